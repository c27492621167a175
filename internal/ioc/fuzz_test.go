package ioc

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// The seed corpora live in testdata/fuzz/<FuzzName>/ and run as ordinary
// tests under "go test"; the f.Add seeds below cover the edge cases.

func FuzzExtract(f *testing.F) {
	for _, s := range []string{
		"", "::", "1.2.3.4", "[2001:db8::1]:443", "hxxps://evil[.]com/a)", "a@b.c", "CVE-2021-44228",
		"::ffff:8.8.8.8", "http://[::1", "x://y", "'http://a.com/','", "1.2.3.4.5", "evil[[.]]com",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		set := Extract(s)
		checkSetInvariants(t, set)
		r := Refang(s)
		lower := strings.ToLower(r)
		for _, l := range [][]string{set.MD5, set.SHA1, set.SHA256} {
			for _, h := range l {
				if !strings.Contains(lower, h) {
					t.Errorf("hash %q not in the input", h)
				}
			}
		}
		for _, u := range set.URLs {
			if !strings.Contains(r, u) {
				t.Errorf("URL %q not in the refanged input", u)
			}
		}
		for _, c := range set.CVEs {
			if !strings.Contains(lower, strings.ToLower(c)) {
				t.Errorf("CVE %q not in the input", c)
			}
		}
		// Extract refangs first, so refanging beforehand changes nothing
		// whenever Refang is idempotent on s.
		if Refang(r) == r {
			if again := Extract(r); !reflect.DeepEqual(again, set) {
				t.Errorf("Extract(Refang(s)) != Extract(s):\n%+v\n%+v", again, set)
			}
		}
	})
}

func FuzzRefang(f *testing.F) {
	for _, s := range []string{
		"", "hxxp://a[.]b", "hXXps[:]//x(dot)y", "a [at] b [dot] c", `a\.b`, "[", "x", "fxp[://]h", `C:\a\.b`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Refang(s)
		if len(out) > len(s) {
			t.Errorf("Refang grew the input: %q -> %q", s, out)
		}
		if !strings.ContainsAny(s, "[({\\xX") && out != s {
			t.Errorf("Refang changed text without a trigger: %q -> %q", s, out)
		}
		if utf8.ValidString(s) && !utf8.ValidString(out) {
			t.Errorf("Refang broke UTF-8: %q -> %q", s, out)
		}
	})
}

func FuzzClassify(f *testing.F) {
	for _, s := range []string{
		"8.8.8.8", "::ffff:1.2.3.4", "Example.COM.", "hxxp://evil[.]com", "a@b.co", "cve-2020-1234",
		"d41d8cd98f00b204e9800998ecf8427e", "bücher.de", "http://[fe80::1%25eth0]/",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		typ, norm, ok := Classify(s)
		if !ok {
			if typ != "" || norm != "" {
				t.Errorf("Classify(%q) not ok but returned %q, %q", s, typ, norm)
			}
			return
		}
		if norm == "" {
			t.Fatalf("Classify(%q) ok with empty normal form", s)
		}
		if typ2, norm2, ok2 := Classify(norm); !ok2 || typ2 != typ || norm2 != norm {
			t.Errorf("Classify not idempotent: %q -> %s %q -> %s %q %v", s, typ, norm, typ2, norm2, ok2)
		}
		switch typ {
		case TypeIPv4, TypeIPv6:
			a, ok := ParseIP(norm)
			if !ok || a.Is4() != (typ == TypeIPv4) || a.String() != norm {
				t.Errorf("bad IP normal form %q for %q", norm, s)
			}
		case TypeMD5, TypeSHA1, TypeSHA256:
			if HashType(norm) != string(typ) || lowerASCII(norm) != norm {
				t.Errorf("bad hash normal form %q", norm)
			}
		case TypeDomain:
			if !IsDomain(norm) || NormalizeDomain(norm) != norm {
				t.Errorf("bad domain normal form %q", norm)
			}
		case TypeEmail:
			if e, ok := parseEmail(norm); !ok || e != norm {
				t.Errorf("bad e-mail normal form %q", norm)
			}
		case TypeURL:
			if NormalizeURL(norm) != norm {
				t.Errorf("NormalizeURL not idempotent on %q", norm)
			}
		case TypeCVE:
			if !isCVE(norm) || strings.ToUpper(norm) != norm {
				t.Errorf("bad CVE normal form %q", norm)
			}
		default:
			t.Errorf("unknown type %q", typ)
		}
	})
}
