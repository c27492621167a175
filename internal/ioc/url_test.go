package ioc

import "testing"

func TestNormalizeURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://Example.COM", "http://example.com/"},
		{"HTTP://EXAMPLE.COM/Path?Q=A", "http://example.com/Path?Q=A"},
		{"http://example.com:80/a", "http://example.com/a"},
		{"https://example.com:443/a", "https://example.com/a"},
		{"http://example.com:443/a", "http://example.com:443/a"},
		{"https://example.com:8443/a", "https://example.com:8443/a"},
		{"https://example.com/a#frag", "https://example.com/a"},
		{"https://example.com/a?x=1#frag", "https://example.com/a?x=1"},
		{"https://example.com?", "https://example.com/?"},
		{"http://User:Pw@Example.com/", "http://User:Pw@example.com/"},
		{"http://[2001:DB8::1]:80/x", "http://[2001:db8::1]/x"},
		{"http://[2001:db8::1]:8080", "http://[2001:db8::1]:8080/"},
		{"http://example.com:/x", "http://example.com/x"},
		{"http://[FE80::1%25eth0]:8080/x", "http://[fe80::1%25eth0]:8080/x"},
		{"A000://%25", "a000://%25/"},
		{"https://example.com/a%2Fb/C", "https://example.com/a%2Fb/C"},
		{"ftp://Files.Example.org/Pub", "ftp://files.example.org/Pub"},
		{"  https://example.com/x  ", "https://example.com/x"},
		{"mailto:Bob@Example.com", "mailto:Bob@Example.com"},
		{"http://exa mple.com/", "http://exa mple.com/"}, // unparsable: trimmed input
		{" http://[::1/ ", "http://[::1/"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := NormalizeURL(tt.in); got != tt.want {
			t.Errorf("NormalizeURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTrimURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://a.com/x.", "http://a.com/x"},
		{"http://a.com/x,;:!?'\"", "http://a.com/x"},
		{"http://a.com/x)", "http://a.com/x"},
		{"http://a.com/wiki/Foo_(bar)", "http://a.com/wiki/Foo_(bar)"},
		{"http://a.com/wiki/Foo_(bar))", "http://a.com/wiki/Foo_(bar)"},
		{"http://a.com/x].", "http://a.com/x"},
		{"http://a.com/[x]", "http://a.com/[x]"},
		{"http://a.com/x}>", "http://a.com/x"},
		{"http://a.com/", "http://a.com/"},
	}
	for _, tt := range tests {
		if got := trimURL(tt.in); got != tt.want {
			t.Errorf("trimURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
