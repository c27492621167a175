package ioc

import (
	"strings"
	"testing"
)

func TestHashType(t *testing.T) {
	tests := []struct{ in, want string }{
		{"d41d8cd98f00b204e9800998ecf8427e", "md5"},
		{"D41D8CD98F00B204E9800998ECF8427E", "md5"},
		{"da39a3ee5e6b4b0d3255bfef95601890afd80709", "sha1"},
		{"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "sha256"},
		{"1b4e28ba2fa111d2883f0016d3cca427", "md5"}, // dash-less GUID: indistinguishable
		{"1b4e28ba-2fa1-11d2-883f-0016d3cca427", ""},
		{"d41d8cd98f00b204e9800998ecf8427", ""},   // 31
		{"d41d8cd98f00b204e9800998ecf8427e0", ""}, // 33
		{"g41d8cd98f00b204e9800998ecf8427e", ""},
		{" d41d8cd98f00b204e9800998ecf8427e", ""},
		{strings.Repeat("ab", 64), ""}, // SHA-512 length
		{strings.Repeat("0", 16), ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := HashType(tt.in); got != tt.want {
			t.Errorf("HashType(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
