package abuseipdb

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spotter-soc/spotter/internal/skill"
	"github.com/spotter-soc/spotter/internal/skill/skilltest"
)

func TestCheckIPVerdicts(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		ip      string
		verbose bool
		level   skill.Level
		score   int
		reasons []string
	}{
		{"185.220.101.47", false, skill.Malicious, 100, []string{"abuse confidence 100%", "3 reports from 3 users in 30 days", "Tor exit node"}},
		{"185.220.101[.]47", true, skill.Malicious, 100, []string{"reported for Brute-Force", "reported for Port Scan", "reported for SSH"}},
		{"45.155.205.233", false, skill.Suspicious, 55, []string{"2 reports from 2 users in 30 days"}},
		{"8.8.8.8", false, skill.Benign, 0, []string{"whitelisted by AbuseIPDB"}},
		{"93.184.216.34", false, skill.Benign, 3, []string{"1 report from 1 user in 30 days"}},
		{"1.1.1.1", false, skill.Unknown, 0, []string{"abuse confidence 0%"}},
		{"2a0b:f4c2:2::1", false, skill.Malicious, 82, []string{"usage type: Data Center/Web Hosting/Transit"}},
	}
	for _, tt := range tests {
		t.Run(tt.ip, func(t *testing.T) {
			res, err := h.run(CheckIPID, map[string]any{"ip": tt.ip, "verbose": tt.verbose})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Findings) != 1 {
				t.Fatalf("findings: %+v", res.Findings)
			}
			f := res.Findings[0]
			if f.Level != tt.level || f.Score != tt.score || f.Type != "ip" || f.Skill != CheckIPID || f.Source != "AbuseIPDB" {
				t.Errorf("finding %+v: want %s %d", f, tt.level, tt.score)
			}
			if !strings.HasPrefix(f.Link, "https://www.abuseipdb.com/check/") || f.Summary == "" || strings.Contains(f.Summary, "\n") {
				t.Errorf("link %q, summary %q", f.Link, f.Summary)
			}
			for _, want := range tt.reasons {
				if !contains(f.Reasons, want) {
					t.Errorf("reasons %q lack %q", f.Reasons, want)
				}
			}
			if _, ok := res.Data.(IPReport); !ok || !strings.Contains(res.Summary, "**AbuseIPDB**") {
				t.Errorf("data %T, summary %q", res.Data, res.Summary)
			}
		})
	}
}

func TestCheckIPVerboseData(t *testing.T) {
	h := newHarness(t)
	res, err := h.run(CheckIPID, map[string]any{"ip": "185.220.101.47", "verbose": true, "max_age_days": 365})
	if err != nil {
		t.Fatal(err)
	}
	d := res.Data.(IPReport)
	wantCats := []CategoryCount{
		{18, "Brute-Force", 2}, {14, "Port Scan", 1}, {15, "Hacking", 1}, {21, "Web App Attack", 1}, {22, "SSH", 1},
	}
	if diff := cmp.Diff(wantCats, d.Categories); diff != "" {
		t.Errorf("categories (-want +got):\n%s", diff)
	}
	if d.TotalReports != 4 || d.DistinctReporters != 3 || len(d.Reports) != 4 || d.CountryName != "Germany" || !d.Tor {
		t.Errorf("data: %+v", d)
	}
	if d.Reports[0].Comment != "sshd: 312 failed logins" || d.Reports[0].Categories[1] != "SSH" {
		t.Errorf("newest report first: %+v", d.Reports[0])
	}
	if d.LastReported == nil || !d.LastReported.Equal(testNow.Add(-2*time.Hour)) {
		t.Errorf("last reported: %v", d.LastReported)
	}
	if !strings.Contains(res.Summary, "Brute-Force (2)") {
		t.Errorf("summary: %s", res.Summary)
	}
}

// The address goes on the wire URL-encoded (IPv6 colons included), with the
// key in the Key header and never in the URL.
func TestCheckIPRequest(t *testing.T) {
	h := newHarness(t)
	if _, err := h.run(CheckIPID, map[string]any{"ip": "2A0B:F4C2:0002::0001", "max_age_days": "90", "verbose": "true"}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.run(CheckIPID, map[string]any{"ip": "45.155.205.233"}); err != nil {
		t.Fatal(err)
	}
	reqs := h.fake.Requests()
	if len(reqs) != 2 {
		t.Fatalf("requests: %+v", reqs)
	}
	r := reqs[0]
	if r.Method != "GET" || r.Path != "/check" || r.Header.Get("Key") != testKey || r.Header.Get("Accept") != "application/json" {
		t.Errorf("request: %s %s key=%v accept=%q", r.Method, r.Path, r.Header.Get("Key") == testKey, r.Header.Get("Accept"))
	}
	if !strings.Contains(r.RawQuery, "ipAddress=2a0b%3Af4c2%3A2%3A%3A1") || r.Query.Get("maxAgeInDays") != "90" || !r.Query.Has("verbose") {
		t.Errorf("query: %s", r.RawQuery)
	}
	if strings.Contains(r.RawQuery, testKey) || r.Query.Has("key") {
		t.Errorf("key in the URL: %s", r.RawQuery)
	}
	if q := reqs[1].Query; q.Get("maxAgeInDays") != "30" || q.Has("verbose") || q.Get("ipAddress") != "45.155.205.233" {
		t.Errorf("defaults: %s", reqs[1].RawQuery)
	}
}

// Private, reserved and malformed addresses are refused before any call.
func TestCheckIPRefusesNonPublic(t *testing.T) {
	h := newHarness(t)
	for _, ip := range []string{"10.0.0.1", "127.0.0.1", "192.168.1.10", "100.64.0.1", "fe80::1", "203.0.113.7", "::1", "not-an-ip", "evil.com"} {
		_, err := h.run(CheckIPID, map[string]any{"ip": ip})
		var ie *skill.InputError
		if !errors.As(err, &ie) || ie.Input != "ip" {
			t.Errorf("%s: error %v, want an InputError on ip", ip, err)
		}
	}
	_, err := h.run(CheckIPID, map[string]any{"ip": "192.168.1.10"})
	if err == nil || !strings.Contains(err.Error(), "192.168.1.10 is a private address") {
		t.Errorf("message: %v", err)
	}
	if n := len(h.fake.Requests()); n != 0 {
		t.Errorf("%d requests sent for refused input", n)
	}
}

func TestCheckIPParse(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		level skill.Level
		err   string
	}{
		{"null whitelist and dates", `{"data":{"ipAddress":"1.2.3.4","isPublic":true,"ipVersion":4,"isWhitelisted":null,"abuseConfidenceScore":0,"countryCode":null,"usageType":null,"isp":"X","domain":null,"hostnames":[],"isTor":false,"totalReports":0,"numDistinctUsers":0,"lastReportedAt":null}}`, skill.Unknown, ""},
		{"unknown fields ignored", `{"data":{"abuseConfidenceScore":90,"totalReports":5,"numDistinctUsers":2,"future":{"x":1}},"meta":{}}`, skill.Malicious, ""},
		{"reported but low", `{"data":{"abuseConfidenceScore":10,"totalReports":2}}`, skill.Benign, ""},
		{"tor with a low score", `{"data":{"abuseConfidenceScore":0,"isTor":true,"totalReports":0}}`, skill.Suspicious, ""},
		{"whitelisted wins", `{"data":{"abuseConfidenceScore":30,"isWhitelisted":true,"totalReports":2}}`, skill.Benign, ""},
		{"no data", `{"errors":[]}`, "", `unexpected response: no "data" object`},
		{"score out of range", `{"data":{"abuseConfidenceScore":250}}`, "", "outside 0-100"},
		{"score of the wrong type", `{"data":{"abuseConfidenceScore":"high"}}`, "", "unexpected response: json: cannot unmarshal"},
		{"html", `<html>rate limited</html>`, "", "unexpected response: invalid character"},
		{"empty", ``, "", "unexpected response"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := checkResult("1.2.3.4", 30, []byte(tt.body), testKey)
			skilltest.NoLeak(t, []string{testKey}, res, err)
			if tt.err != "" {
				pe := providerError(t, err)
				if !strings.Contains(pe.Error(), tt.err) || !strings.HasPrefix(pe.Error(), "abuseipdb: ") {
					t.Errorf("error %q, want %q", pe, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Findings[0].Level; got != tt.level {
				t.Errorf("level %s, want %s", got, tt.level)
			}
		})
	}
}
