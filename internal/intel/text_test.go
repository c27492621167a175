package intel

import (
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		hint      Type
		in        string
		typ       Type
		want, err string
	}{
		{"", "198.51.100.7", TypeIP, "198.51.100.7", ""},
		{"", " 198.51.100[.]7 ", TypeIP, "198.51.100.7", ""},
		{"", "198.51.100.7:8080", TypeIP, "198.51.100.7", ""},
		{"", "[2001:DB8::1]:443", TypeIP, "2001:db8::1", ""},
		{"", "::ffff:198.51.100.7", TypeIP, "198.51.100.7", ""},
		{"", "203.0.113.77/24", TypeCIDR, "203.0.113.0/24", ""},
		{"", "203.0.113.77/32", TypeIP, "203.0.113.77", ""},
		{"", "2001:db8::/32", TypeCIDR, "2001:db8::/32", ""},
		{"", "::ffff:203.0.113.0/120", TypeCIDR, "203.0.113.0/24", ""},
		{"", "Evil.Example.COM.", TypeDomain, "evil.example.com", ""},
		{"", "hxxps://evil.example.com:443/a?b=c#frag", TypeURL, "https://evil.example.com/a?b=c", ""},
		{"", "A@Evil.Example.com", TypeEmail, "a@evil.example.com", ""},
		{"", "D41D8CD98F00B204E9800998ECF8427E", TypeMD5, "d41d8cd98f00b204e9800998ecf8427e", ""},
		{"", "CVE-2024-1234", "", "", "not indicators"},
		{"", "hello world", "", "", "expected an IP address"},
		{"", "", "", "", "empty"},
		{"", "1.2.3.4/33", "", "", "expected"},
		{TypeURL, "evil.example.com/gate.php", TypeURL, "http://evil.example.com/gate.php", ""},
		{TypeSHA256, "d41d8cd98f00b204e9800998ecf8427e", "", "", "SHA256 (64 hex digits)"},
		{TypeIP, "evil.example.com", "", "", "expected an IPv4 or IPv6 address"},
		{TypeDomain, "localhost", "", "", "public suffix"},
		{typeHash, "3395856ce81f2b7382dee72602f798b642f14140", TypeSHA1, "3395856ce81f2b7382dee72602f798b642f14140", ""},
		{"", strings.Repeat("a", MaxValueLen+1), "", "", "at most"},
		{"", "evil\x00.example.com", "", "", "control character"},
	}
	for _, tt := range tests {
		typ, v, err := Normalize(tt.hint, tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Normalize(%q, %q) = %s %q, %v; want error containing %q", tt.hint, clip(tt.in, 30), typ, v, err, tt.err)
			}
			continue
		}
		if err != nil || typ != tt.typ || v != tt.want {
			t.Errorf("Normalize(%q, %q) = %s %q, %v; want %s %q", tt.hint, tt.in, typ, v, err, tt.typ, tt.want)
		}
	}
}

func TestParseText(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		values  []string
		descs   []string
		invalid []int // line numbers
	}{
		{"comments and blanks", "# header\n\n; another\n// and another\n198.51.100.7\n", []string{"198.51.100.7"}, []string{""}, nil},
		{"inline comments", "198.51.100.7 # Emotet C2\n203.0.113.0/24 ; SBL123\nhttp://x.example.com/#frag\n",
			[]string{"198.51.100.7", "203.0.113.0/24", "http://x.example.com/"}, []string{"Emotet C2", "SBL123", ""}, nil},
		{"defanged", "evil[.]example[.]com\nhxxp://bad[.]example[.]org/x\nuser [at] evil [dot] example [dot] com\n",
			[]string{"evil.example.com", "http://bad.example.org/x", "user@evil.example.com"}, []string{"", "", ""}, nil},
		{"hosts file", "0.0.0.0 ads.example.com\n127.0.0.1 tracker.example.net # blocked\n",
			[]string{"ads.example.com", "tracker.example.net"}, []string{"", "blocked"}, nil},
		{"extra words", "198.51.100.9 seen 12 times\n", []string{"198.51.100.9"}, []string{"seen 12 times"}, nil},
		{"invalid lines counted", "198.51.100.7\nnot-an-indicator\n\xff\xfe\n203.0.113.5\n",
			[]string{"198.51.100.7", "203.0.113.5"}, []string{"", ""}, []int{2, 3}},
		{"CRLF and BOM", "\xef\xbb\xbf198.51.100.7\r\n198.51.100.8\r\n", []string{"198.51.100.7", "198.51.100.8"}, []string{"", ""}, nil},
		{"no trailing newline", "198.51.100.7", []string{"198.51.100.7"}, []string{""}, nil},
		{"overlong line", strings.Repeat("x", maxTextLine+10) + "\n198.51.100.7\n", []string{"198.51.100.7"}, []string{""}, []int{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParseText(strings.NewReader(tt.in), "list.txt", Defaults{})
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Indicators) != len(tt.values) {
				t.Fatalf("got %d entries %+v; want %v", len(p.Indicators), p.Indicators, tt.values)
			}
			for i, in := range p.Indicators {
				if in.Value != tt.values[i] || in.Description != tt.descs[i] {
					t.Errorf("entry %d = %q (%q); want %q (%q)", i, in.Value, in.Description, tt.values[i], tt.descs[i])
				}
				if in.Confidence != DefaultConfidence {
					t.Errorf("entry %d: confidence %d; want the default", i, in.Confidence)
				}
			}
			var lines []int
			for _, pr := range p.Report.Problems {
				lines = append(lines, pr.Line)
				if pr.File != "list.txt" || !strings.HasPrefix(pr.String(), "list.txt:") {
					t.Errorf("problem %+v does not name the file", pr)
				}
			}
			if p.Report.Invalid != len(tt.invalid) || !equalInts(lines, tt.invalid) {
				t.Errorf("invalid lines %v (%d); want %v", lines, p.Report.Invalid, tt.invalid)
			}
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestDefaultsApplied(t *testing.T) {
	def := Defaults{Confidence: 55, Tags: []string{"tor-exit", " tor-exit ", ""}, Malware: "none-given",
		Reference: "https://metrics.torproject.org/rs.html#search/{value}", Retention: 24 * 3600e9}
	p, err := ParseText(strings.NewReader("192.0.2.1\n"), "tor.txt", def)
	if err != nil {
		t.Fatal(err)
	}
	in := p.Indicators[0]
	if in.Confidence != 55 || len(in.Tags) != 1 || in.Tags[0] != "tor-exit" || in.Malware != "none-given" ||
		in.Reference != "https://metrics.torproject.org/rs.html#search/192.0.2.1" || in.ValidUntil.IsZero() {
		t.Errorf("defaults not applied: %+v", in)
	}
}
