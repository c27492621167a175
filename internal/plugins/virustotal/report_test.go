package virustotal

import (
	"errors"
	"strings"
	"testing"

	"github.com/spotter-soc/spotter/internal/plugins/virustotal/fake"
	"github.com/spotter-soc/spotter/internal/skill"
)

func TestVerdicts(t *testing.T) {
	_, _, dropper := fake.Hashes("suspicious-dropper")
	clean, _, _ := fake.Hashes("clean-tool")
	_, fresh, _ := fake.Hashes("fresh-upload")
	tests := []struct {
		id, input, value string
		typ              string
		level            skill.Level
		score            int
		reason           string
		link             string
	}{
		{FileReportID, "hash", strings.ToUpper(fake.EICARMD5), "hash", skill.Malicious, 100, "detected as EICAR-Test-File", "https://www.virustotal.com/gui/file/" + fake.EICARSHA256},
		{FileReportID, "hash", fake.EICARSHA256, "hash", skill.Malicious, 100, "threat label virus.eicar/test", ""},
		{FileReportID, "hash", dropper, "hash", skill.Suspicious, 50, "2/69 engines malicious", ""},
		{FileReportID, "hash", clean, "hash", skill.Benign, 0, "0/70 engines malicious", ""},
		{FileReportID, "hash", fresh, "hash", skill.Unknown, 0, "", ""},
		{FileReportID, "hash", strings.Repeat("ab", 32), "hash", skill.Unknown, 0, "", "https://www.virustotal.com/gui/file/" + strings.Repeat("ab", 32)},
		{URLReportID, "url", "hxxp://evil-cdn[.]com/x.ps1", "url", skill.Malicious, 82, "12/94 engines malicious", ""},
		{URLReportID, "url", "https://EXAMPLE.com", "url", skill.Benign, 0, "", ""},
		{URLReportID, "url", "http://never-seen.example.org/a?b=c", "url", skill.Unknown, 0, "", "https://www.virustotal.com/gui/search/http:%2F%2Fnever-seen.example.org%2Fa%3Fb=c"},
		{DomainReportID, "domain", "evil-cdn[.]com", "domain", skill.Malicious, 79, "community reputation -45", "https://www.virustotal.com/gui/domain/evil-cdn.com"},
		{DomainReportID, "domain", "login-micros0ft.com", "domain", skill.Suspicious, 40, "detected as phishing, suspicious", ""},
		{DomainReportID, "domain", "example.com", "domain", skill.Benign, 0, "community reputation 10", ""},
		{DomainReportID, "domain", "unknown-domain.org", "domain", skill.Unknown, 0, "", ""},
		{IPReportID, "ip", "185.220.101.47", "ip", skill.Malicious, 85, "AS64500 Example Anonymity Network", "https://www.virustotal.com/gui/ip-address/185.220.101.47"},
		{IPReportID, "ip", "45.155.205.233", "ip", skill.Suspicious, 45, "2/94 engines malicious", ""},
		{IPReportID, "ip", "8.8.8.8", "ip", skill.Benign, 0, "community reputation 540", ""},
		{IPReportID, "ip", "2606:4700:4700::1111", "ip", skill.Unknown, 0, "", ""},
	}
	h := newHarness(t)
	for _, tt := range tests {
		t.Run(tt.id+" "+tt.value, func(t *testing.T) {
			res, err := h.run(tt.id, map[string]any{tt.input: tt.value})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Findings) != 1 {
				t.Fatalf("findings: %+v", res.Findings)
			}
			f := res.Findings[0]
			if f.Level != tt.level || f.Score != tt.score || f.Type != tt.typ || f.Skill != tt.id || f.Source != "VirusTotal" {
				t.Errorf("finding %+v: want %s %d", f, tt.level, tt.score)
			}
			if tt.reason != "" && !contains(f.Reasons, tt.reason) {
				t.Errorf("reasons %q lack %q", f.Reasons, tt.reason)
			}
			if tt.link != "" && f.Link != tt.link {
				t.Errorf("link %q, want %q", f.Link, tt.link)
			}
			if f.Summary == "" || strings.Contains(f.Summary, "\n") || !strings.HasPrefix(f.Link, GUI+"/") || !strings.Contains(res.Summary, "**VirusTotal**") {
				t.Errorf("summary %q, link %q", f.Summary, f.Link)
			}
		})
	}
}

// The finding's indicator is the normalised input, so batch callers can
// match it with what they asked.
func TestIndicatorIsNormalised(t *testing.T) {
	h := newHarness(t)
	res, err := h.run(FileReportID, map[string]any{"hash": " " + strings.ToUpper(fake.EICARSHA1) + " "})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Findings[0].Indicator; got != fake.EICARSHA1 {
		t.Errorf("indicator %q", got)
	}
	d := res.Data.(FileReport)
	if d.SHA256 != fake.EICARSHA256 || d.MD5 != fake.EICARMD5 || d.Size != 68 || d.Analysis.Stats.TypeUnsupported != 3 || d.Analysis.Engines != 68 {
		t.Errorf("data: %+v %+v", d, d.Analysis)
	}
	if len(d.Analysis.Detections) != MaxDetections || d.Analysis.Detections[0].Category != "malicious" {
		t.Errorf("detections: %+v", d.Analysis.Detections)
	}
}

func TestURLID(t *testing.T) {
	tests := map[string]string{
		"http://example.com/":  "aHR0cDovL2V4YW1wbGUuY29tLw",
		"https://a.b/?x=1&y=~": "aHR0cHM6Ly9hLmIvP3g9MSZ5PX4",
		"http://x.io/>?":       "aHR0cDovL3guaW8vPj8", // would be "+" and "/" in standard base64
	}
	for u, want := range tests {
		if got := URLID(u); got != want || strings.ContainsAny(got, "=+/") {
			t.Errorf("URLID(%q) = %q, want %q", u, got, want)
		}
	}
}

// Each lookup goes to its documented path with the key in x-apikey.
func TestRequests(t *testing.T) {
	h := newHarness(t)
	for _, c := range []struct{ id, input, value string }{
		{FileReportID, "hash", fake.EICARMD5},
		{URLReportID, "url", "http://evil-cdn.com/x.ps1"},
		{DomainReportID, "domain", "Evil-CDN.com."},
		{IPReportID, "ip", "2001:4860:4860::8888"},
	} {
		if _, err := h.run(c.id, map[string]any{c.input: c.value}); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{
		"/files/" + fake.EICARMD5,
		"/urls/aHR0cDovL2V2aWwtY2RuLmNvbS94LnBzMQ",
		"/domains/evil-cdn.com",
		"/ip_addresses/2001:4860:4860::8888",
	}
	reqs := h.fake.Requests()
	if len(reqs) != len(want) {
		t.Fatalf("requests: %+v", reqs)
	}
	for i, r := range reqs {
		if r.Method != "GET" || r.Path != want[i] || r.Header.Get("x-apikey") != testKey || r.Header.Get("Accept") != "application/json" {
			t.Errorf("request %d: %s %s (key sent: %v)", i, r.Method, r.Path, r.Header.Get("x-apikey") == testKey)
		}
	}
}

func TestRefusedInputs(t *testing.T) {
	h := newHarness(t)
	for _, c := range []struct{ id, input, value string }{
		{FileReportID, "hash", "abc123"},
		{FileReportID, "hash", strings.Repeat("g", 32)},
		{URLReportID, "url", "evil-cdn.com/x"},
		{URLReportID, "url", "javascript:alert(1)"},
		{DomainReportID, "domain", "http://evil-cdn.com/"},
		{DomainReportID, "domain", "fileserver.corp.local"},
		{IPReportID, "ip", "10.1.2.3"},
		{IPReportID, "ip", "fd00::1"},
		{IPReportID, "ip", "evil-cdn.com"},
	} {
		_, err := h.run(c.id, map[string]any{c.input: c.value})
		var ie *skill.InputError
		if !errors.As(err, &ie) || ie.Input != c.input {
			t.Errorf("%s %q: %v", c.id, c.value, err)
		}
	}
	if n := len(h.fake.Requests()); n != 0 {
		t.Errorf("%d requests sent for refused input", n)
	}
}
