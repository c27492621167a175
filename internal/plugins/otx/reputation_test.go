package otx

import (
	"errors"
	"strings"
	"testing"

	"github.com/spotter-soc/spotter/internal/plugins/otx/fake"
	"github.com/spotter-soc/spotter/internal/skill"
)

func TestVerdicts(t *testing.T) {
	tests := []struct {
		input, indicator, otxType, typ string
		level                          skill.Level
		score                          int
		reason                         string
		link                           string
	}{
		{"185.220.101.47", "", "IPv4", "ip", skill.Malicious, 87, "in 12 OTX pulses", "https://otx.alienvault.com/indicator/ip/185.220.101.47"},
		{"45.155.205[.]233", "45.155.205.233", "IPv4", "ip", skill.Suspicious, 40, "tags: scanner", ""},
		{"2A0B:F4C2:2::1", "2a0b:f4c2:2::1", "IPv6", "ip", skill.Suspicious, 50, "in 2 OTX pulses", "https://otx.alienvault.com/indicator/ip/2a0b:f4c2:2::1"},
		{"evil-cdn.com", "", "domain", "domain", skill.Malicious, 78, "malware family AsyncRAT", "https://otx.alienvault.com/indicator/domain/evil-cdn.com"},
		{"CDN.evil-cdn.com", "cdn.evil-cdn.com", "hostname", "domain", skill.Suspicious, 40, "tags: lookalike", "https://otx.alienvault.com/indicator/hostname/cdn.evil-cdn.com"},
		{"google.com", "", "domain", "domain", skill.Benign, 0, "allowlisted by OTX", ""},
		{"hxxp://evil-cdn[.]com/x.ps1", "http://evil-cdn.com/x.ps1", "url", "url", skill.Malicious, 77, "malware family AsyncRAT", "https://otx.alienvault.com/indicator/url/http:%2F%2Fevil-cdn.com%2Fx.ps1"},
		{strings.ToUpper(fake.EICARMD5), fake.EICARMD5, "file", "hash", skill.Malicious, 79, "malware family EICAR", "https://otx.alienvault.com/indicator/file/" + fake.EICARMD5},
		{"93.184.216.34", "", "IPv4", "ip", skill.Suspicious, 74, "1 false positive report", ""},
		{"1.1.1.1", "", "IPv4", "ip", skill.Unknown, 0, "", ""},
		{"unknown-domain.org", "", "domain", "domain", skill.Unknown, 0, "", ""},
		{strings.Repeat("ab", 32), "", "file", "hash", skill.Unknown, 0, "", ""},
	}
	h := newHarness(t)
	for _, tt := range tests {
		t.Run(tt.input, func(t *testing.T) {
			res, err := h.run(tt.input)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Findings) != 1 {
				t.Fatalf("findings: %+v", res.Findings)
			}
			f := res.Findings[0]
			want := tt.indicator
			if want == "" {
				want = tt.input
			}
			d := res.Data.(Report)
			if f.Indicator != want || d.Type != tt.otxType || f.Type != tt.typ || f.Level != tt.level || f.Score != tt.score || f.Skill != IndicatorReputationID || f.Source != "AlienVault OTX" {
				t.Errorf("finding %+v (type %s): want %s %s %s %d", f, d.Type, want, tt.otxType, tt.level, tt.score)
			}
			if tt.reason != "" && !contains(f.Reasons, tt.reason) {
				t.Errorf("reasons %q lack %q", f.Reasons, tt.reason)
			}
			if tt.link != "" && f.Link != tt.link {
				t.Errorf("link %q, want %q", f.Link, tt.link)
			}
			if f.Summary == "" || strings.Contains(f.Summary, "\n") || !strings.Contains(res.Summary, "**AlienVault OTX**") {
				t.Errorf("summary %q / %q", f.Summary, res.Summary)
			}
		})
	}
}

func TestReportData(t *testing.T) {
	h := newHarness(t)
	res, err := h.run("185.220.101.47")
	if err != nil {
		t.Fatal(err)
	}
	d := res.Data.(Report)
	if d.PulseCount != 12 || len(d.Pulses) != MaxPulses || d.Pulses[0].Name != "SSH honeypot attackers #1" || d.Pulses[0].Modified == nil ||
		!strings.HasPrefix(d.Pulses[0].Link, "https://otx.alienvault.com/pulse/6a6d3e0e57891f3d") || d.Pulses[0].Author != "example-analyst" {
		t.Errorf("pulses: %d %+v", d.PulseCount, d.Pulses)
	}
	if strings.Join(d.Tags, ",") != "honeypot,ssh,tor" || strings.Join(d.AttackIDs, ",") != "T1110" || d.ASN != "AS64500 Example Anonymity Network" || d.Country != "Germany" {
		t.Errorf("data: %+v", d)
	}
	res, err = h.run("google.com")
	if err != nil {
		t.Fatal(err)
	}
	if d := res.Data.(Report); !d.Allowlisted || len(d.Validation) != 2 || d.Validation[0] != "Alexa rank: #1" {
		t.Errorf("allowlist: %+v", d)
	}
}

// The type segment is case-sensitive and the indicator is one escaped
// path segment; the key goes in X-OTX-API-KEY.
func TestRequests(t *testing.T) {
	h := newHarness(t)
	for _, in := range []string{"185.220.101.47", "2a0b:f4c2:2::1", "evil-cdn.com", "cdn.evil-cdn.com", "http://evil-cdn.com/x.ps1?a=b%20c#frag", fake.EICARMD5} {
		if _, err := h.run(in); err != nil {
			t.Fatal(err)
		}
	}
	want := []struct{ path, typ, indicator string }{
		{"/indicators/IPv4/185.220.101.47/general", "IPv4", "185.220.101.47"},
		{"/indicators/IPv6/2a0b:f4c2:2::1/general", "IPv6", "2a0b:f4c2:2::1"},
		{"/indicators/domain/evil-cdn.com/general", "domain", "evil-cdn.com"},
		{"/indicators/hostname/cdn.evil-cdn.com/general", "hostname", "cdn.evil-cdn.com"},
		{"/indicators/url/http:%2F%2Fevil-cdn.com%2Fx.ps1%3Fa=b%2520c/general", "url", "http://evil-cdn.com/x.ps1?a=b%20c"},
		{"/indicators/file/" + fake.EICARMD5 + "/general", "file", fake.EICARMD5},
	}
	reqs := h.fake.Requests()
	if len(reqs) != len(want) {
		t.Fatalf("requests: %+v", reqs)
	}
	for i, r := range reqs {
		w := want[i]
		if r.Method != "GET" || r.Path != w.path || r.Type != w.typ || r.Indicator != w.indicator || r.Header.Get("X-OTX-API-KEY") != testKey {
			t.Errorf("request %d: %s %s %s %q (key sent: %v)", i, r.Method, r.Path, r.Type, r.Indicator, r.Header.Get("X-OTX-API-KEY") == testKey)
		}
	}
}

func TestRefusedInputs(t *testing.T) {
	h := newHarness(t)
	for _, in := range []string{"10.0.0.1", "::1", "169.254.1.1", "user@example.com", "CVE-2024-3400", "not an indicator", "server.corp.local"} {
		_, err := h.run(in)
		var ie *skill.InputError
		if !errors.As(err, &ie) || ie.Input != "indicator" {
			t.Errorf("%q: %v", in, err)
		}
	}
	if n := len(h.fake.Requests()); n != 0 {
		t.Errorf("%d requests sent for refused input", n)
	}
}
