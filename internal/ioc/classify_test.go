package ioc

import "testing"

func TestClassify(t *testing.T) {
	tests := []struct {
		in   string
		typ  Type
		norm string // "" means ok=false
	}{
		{"8.8.8.8", TypeIPv4, "8.8.8.8"},
		{" 10.0.0.1 ", TypeIPv4, "10.0.0.1"},
		{"185[.]220[.]101[.]45", TypeIPv4, "185.220.101.45"},
		{"::ffff:8.8.8.8", TypeIPv4, "8.8.8.8"},
		{"2001:DB8::1", TypeIPv6, "2001:db8::1"},
		{"[2001:4860:4860::8888]", TypeIPv6, "2001:4860:4860::8888"},
		{"fe80::1%eth0", TypeIPv6, "fe80::1"},
		{"Example.COM.", TypeDomain, "example.com"},
		{"evil[.]example[.]org", TypeDomain, "evil.example.org"},
		{"bücher.de", TypeDomain, "bücher.de"},
		{"github.io", TypeDomain, "github.io"},
		{"hxxps://Evil[.]com:443/Path?x=1#top", TypeURL, "https://evil.com/Path?x=1"},
		{"http://198.51.100.7/a.ps1", TypeURL, "http://198.51.100.7/a.ps1"},
		{"http://localhost:8080/", TypeURL, "http://localhost:8080/"},
		{"Bob.Smith@Example.co.uk", TypeEmail, "bob.smith@example.co.uk"},
		{"admin[@]evil[.]com", TypeEmail, "admin@evil.com"},
		{"user@evil.zip", TypeEmail, "user@evil.zip"},
		{"D41D8CD98F00B204E9800998ECF8427E", TypeMD5, "d41d8cd98f00b204e9800998ecf8427e"},
		{"da39a3ee5e6b4b0d3255bfef95601890afd80709", TypeSHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
		{"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", TypeSHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"cve-2021-44228", TypeCVE, "CVE-2021-44228"},
		{"CVE-2024-1234567", TypeCVE, "CVE-2024-1234567"},
		// Not indicators.
		{"", "", ""},
		{"   ", "", ""},
		{"CVE-2024-12345678", "", ""},
		{"CVE-24-1234", "", ""},
		{"readme.md", "", ""},
		{"invoice.pdf", "", ""},
		{"10.0.19041.1", "", ""},
		{"1b4e28ba-2fa1-11d2-883f-0016d3cca427", "", ""},
		{"2025-03-01T10:11:12+00:00", "", ""},
		{"12:30:45", "", ""},
		{"00:1a:2b:3c:4d:5e", "", ""},
		{"999.1.1.1", "", ""},
		{"10.0.0.0/8", "", ""},
		{"http://", "", ""},
		{"http://exa mple.com", "", ""},
		{"not an indicator", "", ""},
		{"@evil.com", "", ""},
		{"bob@localhost", "", ""},
		{"host.cromulent", "", ""},
	}
	for _, tt := range tests {
		typ, norm, ok := Classify(tt.in)
		if tt.norm == "" {
			if ok || typ != "" || norm != "" {
				t.Errorf("Classify(%q) = %q, %q, %v; want not ok", tt.in, typ, norm, ok)
			}
			continue
		}
		if !ok || typ != tt.typ || norm != tt.norm {
			t.Errorf("Classify(%q) = %q, %q, %v; want %q, %q", tt.in, typ, norm, ok, tt.typ, tt.norm)
		}
	}
}
