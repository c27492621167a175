package ioc

import (
	"strings"
	"testing"

	"golang.org/x/net/publicsuffix"
)

func TestIsDomain(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"example.com", true},
		{"Example.COM", true},
		{"example.com.", true},
		{" example.com ", true},
		{"www.example.co.uk", true},
		{"example.co.uk", true},
		{"co.uk", false},
		{"com", false},
		{"evil-domain.net", true},
		{"a.b.c.d.example.org", true},
		{"xn--bcher-kva.de", true},
		{"bücher.de", true},
		{"例え.jp", true},
		{"пример.рф", true},
		{"例え.中国", true},
		{"github.io", true},
		{"user.github.io", true},
		{"blogspot.com", true},
		{"foo.blogspot.com", true},
		{"s3.amazonaws.com", true},
		{"host.cromulent", false},
		{"server.local", false},
		{"corp.internal", false},
		{"localhost", false},
		{"1.2.3.4", false},
		{"10.0.19041.1", false},
		{"-evil.com", false},
		{"evil-.com", false},
		{"ev_il.com", false},
		{"evil..com", false},
		{".evil.com", false},
		{"evil.com..", false},
		{strings.Repeat("a", 63) + ".com", true},
		{strings.Repeat("a", 64) + ".com", false},
		{strings.Repeat("abcdefghi.", 26) + "com", false}, // 263 bytes
		{strings.Repeat("abcdefghi.", 25) + "com", true},  // 253 bytes
		{"", false},
		{"evil com", false},
		{"EVIL.COM", true},
		// File names are not domains.
		{"invoice.pdf", false},
		{"update.exe", false},
		{"readme.md", false},
		{"payload.ps1", false},
		{"setup.msi", false},
		{"archive.zip", false},
		{"script.sh", false},
		{"run.py", false},
		{"lib.so", false},
		{"movie.mov", false},
		{"exploit.pl", false},
		{"main.rs", false},
		{"report.one", false},
		// ... but longer names under those TLDs are.
		{"www.evil.zip", true},
		{"cdn.update.mov", true},
		{"shop.example.pl", true},
	}
	for _, tt := range tests {
		if got := IsDomain(tt.in); got != tt.want {
			t.Errorf("IsDomain(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeDomain(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Example.COM.", "example.com"},
		{"  www.Evil.net  ", "www.evil.net"},
		{"Bücher.DE", "bücher.de"},
		{"example.com", "example.com"},
	}
	for _, tt := range tests {
		if got := NormalizeDomain(tt.in); got != tt.want {
			t.Errorf("NormalizeDomain(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFileExtTLDsAreTLDs(t *testing.T) {
	for ext := range fileExtTLDs {
		ps, icann := publicsuffix.PublicSuffix("xyzzy." + ext)
		if !icann || ps != ext {
			t.Errorf("%q is not an ICANN TLD (suffix %q, icann %v); drop it from fileExtTLDs", ext, ps, icann)
		}
	}
}

func TestPunycode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"bücher", "bcher-kva"},
		{"中国", "fiqs8s"},
		{"例え", "r8jz45g"},
		{"рф", "p1ai"},
		{"münchen", "mnchen-3ya"},
		{"ليهمابتكلموشعربي؟", "egbpdaj6bu4bxfgehfvwxn"}, // RFC 3492 sample (A)
		{"他们为什么不说中文", "ihqwcrb4cv8a8dqg056pqjye"},       // RFC 3492 sample (B)
	}
	for _, tt := range tests {
		got, ok := punycodeEncode(tt.in)
		if !ok || got != tt.want {
			t.Errorf("punycodeEncode(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
}
