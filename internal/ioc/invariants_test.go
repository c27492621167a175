package ioc

import (
	"slices"
	"testing"
)

// checkSetInvariants asserts what every Extract result must satisfy.
func checkSetInvariants(t *testing.T, s Set) {
	t.Helper()
	lists := map[string][]string{
		"IPv4": s.IPv4, "IPv6": s.IPv6, "PrivateIPs": s.PrivateIPs, "Domains": s.Domains, "URLs": s.URLs,
		"Emails": s.Emails, "MD5": s.MD5, "SHA1": s.SHA1, "SHA256": s.SHA256, "CVEs": s.CVEs,
	}
	for name, l := range lists {
		if l == nil {
			t.Errorf("%s is nil", name)
		}
		for i, v := range l {
			if slices.Index(l, v) != i {
				t.Errorf("%s has duplicate %q", name, v)
			}
		}
	}
	for _, v := range s.IPv4 {
		a, ok := ParseIP(v)
		if !ok || !a.Is4() || a.String() != v || !ClassifyIP(a).Public {
			t.Errorf("IPv4 entry %q is not a public IPv4 in canonical form", v)
		}
	}
	for _, v := range s.IPv6 {
		a, ok := ParseIP(v)
		if !ok || !a.Is6() || a.String() != v || !ClassifyIP(a).Public {
			t.Errorf("IPv6 entry %q is not a public IPv6 in canonical form", v)
		}
	}
	for _, v := range s.PrivateIPs {
		a, ok := ParseIP(v)
		if !ok || a.String() != v || ClassifyIP(a).Public {
			t.Errorf("PrivateIPs entry %q is not a special-purpose address in canonical form", v)
		}
	}
	for _, v := range s.Domains {
		if NormalizeDomain(v) != v || !validHost(v) {
			t.Errorf("domain %q is not a valid normalised host name", v)
		}
	}
	seenURL := map[string]bool{}
	for _, v := range s.URLs {
		k := NormalizeURL(v)
		if seenURL[k] {
			t.Errorf("URL %q duplicates another under NormalizeURL", v)
		}
		seenURL[k] = true
		if typ, _, ok := Classify(v); !ok || typ != TypeURL {
			t.Errorf("URL %q is not classified as a URL", v)
		}
	}
	for _, v := range s.Emails {
		if e, ok := parseEmail(v); !ok || e != v {
			t.Errorf("email %q is not a valid lower-case address", v)
		}
	}
	for kind, l := range map[string][]string{"md5": s.MD5, "sha1": s.SHA1, "sha256": s.SHA256} {
		for _, v := range l {
			if HashType(v) != kind || lowerASCII(v) != v {
				t.Errorf("%s entry %q is not lower-case hex of the right length", kind, v)
			}
		}
	}
	for _, v := range s.CVEs {
		if !isCVE(v) || v[:4] != "CVE-" {
			t.Errorf("CVE entry %q malformed", v)
		}
	}
}
