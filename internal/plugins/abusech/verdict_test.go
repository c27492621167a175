package abusech

import (
	"errors"
	"github.com/spotter-soc/spotter/internal/plugins/provider"
	"strings"
	"testing"

	"github.com/spotter-soc/spotter/internal/plugins/abusech/fake"
	"github.com/spotter-soc/spotter/internal/skill"
	"github.com/spotter-soc/spotter/internal/skill/skilltest"
)

func TestVerdicts(t *testing.T) {
	md5hex, sha1hex, sha256hex := fake.Hashes(fake.SampleContent)
	tests := []struct {
		id, input, value string
		indicator, typ   string
		level            skill.Level
		score            int
		reason           string
		link             string
	}{
		{URLhausURLID, "url", "hxxp://evil-cdn[.]com/x.ps1", "http://evil-cdn.com/x.ps1", "url", skill.Malicious, 95, "served AsyncRAT", "https://urlhaus.abuse.ch/url/3001/"},
		{URLhausURLID, "url", "http://evil-cdn.com/old.exe", "", "url", skill.Malicious, 75, "status offline", ""},
		{URLhausURLID, "url", "https://example.com/", "", "url", skill.Unknown, 0, "", "https://urlhaus.abuse.ch/browse.php?search=https%3A%2F%2Fexample.com%2F"},
		{URLhausHostID, "host", "evil-cdn.com", "", "domain", skill.Malicious, 90, "spamhaus_dbl: malware_domain", "https://urlhaus.abuse.ch/host/evil-cdn.com/"},
		{URLhausHostID, "host", "185.220.101.47", "", "ip", skill.Suspicious, 65, "1 malware URL on URLhaus, 1 online", ""},
		{URLhausHostID, "host", "files.example-share.com", "", "domain", skill.Suspicious, 40, "spamhaus_dbl: abused_legit_malware", ""},
		{URLhausHostID, "host", "example.org", "", "domain", skill.Unknown, 0, "", ""},
		{ThreatFoxIOCID, "ioc", "185.220.101.47:443", "185.220.101.47", "ip", skill.Malicious, 100, "ThreatFox botnet_cc: Cobalt Strike", "https://threatfox.abuse.ch/ioc/41001/"},
		{ThreatFoxIOCID, "ioc", "185.220.101[.]47", "185.220.101.47", "ip", skill.Malicious, 100, "confidence 100%", ""},
		{ThreatFoxIOCID, "ioc", "evil-cdn.com", "", "domain", skill.Malicious, 75, "ThreatFox payload_delivery: AsyncRAT", ""},
		{ThreatFoxIOCID, "ioc", strings.ToUpper(sha256hex), sha256hex, "hash", skill.Malicious, 100, "", ""},
		{ThreatFoxIOCID, "ioc", "45.155.205.233", "", "ip", skill.Suspicious, 25, "confidence 25%", ""},
		{ThreatFoxIOCID, "ioc", "http://never.example.net/x", "", "url", skill.Unknown, 0, "", "https://threatfox.abuse.ch/browse.php?search=ioc%3Ahttp%3A%2F%2Fnever.example.net%2Fx"},
		{MalwareBazaarHashID, "hash", md5hex, "", "hash", skill.Malicious, 95, "MalwareBazaar sample: AsyncRAT", "https://bazaar.abuse.ch/sample/" + sha256hex + "/"},
		{MalwareBazaarHashID, "hash", sha1hex, "", "hash", skill.Malicious, 95, "delivered by email_attachment", ""},
		{MalwareBazaarHashID, "hash", strings.Repeat("0", 64), "", "hash", skill.Unknown, 0, "", "https://bazaar.abuse.ch/browse.php?search=sha256%3A" + strings.Repeat("0", 64)},
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
			want := tt.indicator
			if want == "" {
				want = tt.value
			}
			if f.Indicator != want || f.Level != tt.level || f.Score != tt.score || f.Type != tt.typ || f.Skill != tt.id {
				t.Errorf("finding %+v: want %s %s %d", f, want, tt.level, tt.score)
			}
			if tt.reason != "" && !contains(f.Reasons, tt.reason) {
				t.Errorf("reasons %q lack %q", f.Reasons, tt.reason)
			}
			if tt.link != "" && f.Link != tt.link {
				t.Errorf("link %q, want %q", f.Link, tt.link)
			}
			if f.Summary == "" || strings.Contains(f.Summary, "\n") || f.Source == "" || res.Summary == "" {
				t.Errorf("finding %+v, summary %q", f, res.Summary)
			}
		})
	}
}

// URLhaus numbers arrive as strings; they are read as numbers.
func TestURLhausStringNumbers(t *testing.T) {
	h := newHarness(t)
	res, err := h.run(URLhausURLID, map[string]any{"url": "http://evil-cdn.com/old.exe"})
	if err != nil {
		t.Fatal(err)
	}
	d := res.Data.(URLhausURLReport)
	if d.ID != "3002" || d.TakedownSeconds == nil || *d.TakedownSeconds != 10*86400 || d.HostingNotified || d.LastOnline == nil || d.DateAdded == nil {
		t.Errorf("url data: %+v", d)
	}
	res, err = h.run(URLhausURLID, map[string]any{"url": "http://evil-cdn.com/x.ps1"})
	if err != nil {
		t.Fatal(err)
	}
	if p := res.Data.(URLhausURLReport).Payloads; len(p) != 1 || p[0].Size != 4096 || p[0].VirusTotal != "20 / 60" || len(p[0].SHA256) != 64 {
		t.Errorf("payloads: %+v", p)
	}
	res, err = h.run(URLhausHostID, map[string]any{"host": "evil-cdn.com"})
	if err != nil {
		t.Fatal(err)
	}
	if d := res.Data.(URLhausHostReport); d.URLCount != 2 || d.OnlineURLs != 1 || d.URLs[0].Status != "online" || d.FirstSeen == nil {
		t.Errorf("host data: %+v", d)
	}

	body := `{"query_status":"ok","id":105821,"url":"http://x.example/a","url_status":"online","larted":"true",
	 "takedown_time_seconds":"3600","last_online":"2019-01-19 01:33:26","date_added":"2019-01-19 01:33:26 UTC",
	 "tags":null,"payloads":null,"blacklists":{"spamhaus_dbl":"not listed"}}`
	res, err = urlhausURLResult("http://x.example/a", &provider.Response{Status: 200, Body: []byte(body)}, testKey)
	skilltest.NoLeak(t, []string{testKey}, res, err)
	if err != nil {
		t.Fatal(err)
	}
	d = res.Data.(URLhausURLReport)
	if d.ID != "105821" || !d.HostingNotified || *d.TakedownSeconds != 3600 || d.LastOnline.Hour() != 1 || d.DateAdded.Second() != 26 {
		t.Errorf("parsed: %+v", d)
	}
}

// ThreatFox's no_result carries a sentence in data, where ok carries a list.
func TestThreatFoxStringData(t *testing.T) {
	for _, tt := range []struct {
		body  string
		level skill.Level
		err   string
	}{
		{`{"query_status":"no_result","data":"Your search did not yield any results"}`, skill.Unknown, ""},
		{`{"query_status":"ok","data":[]}`, skill.Unknown, ""},
		{`{"query_status":"ok","data":[{"id":"7","ioc":"a.example","malware_printable":"X","confidence_level":"80","tags":null,"malware_alias":null,"last_seen":null}]}`, skill.Malicious, ""},
		{`{"query_status":"ok","data":[{"id":"8","confidence_level":60}]}`, skill.Malicious, ""}, // no malware named
		{`{"query_status":"ok","data":[{"id":"9","confidence_level":10,"malware_printable":"Y"}]}`, skill.Suspicious, ""},
		{`{"query_status":"ok","data":"Your search did not yield any results"}`, "", `ThreatFox: unexpected response: "data" is not a list`},
		{`{"query_status":"illegal_search_term","data":"Your search term is too short"}`, "", "ThreatFox rejected the search term (illegal_search_term)"},
		{`{"query_status":"something_new"}`, "", `ThreatFox: unexpected response: query_status "something_new"`},
	} {
		res, err := threatfoxResult("a.example", "a.example", "domain", &provider.Response{Status: 200, Body: []byte(tt.body)}, testKey)
		skilltest.NoLeak(t, []string{testKey}, res, err)
		if tt.err != "" {
			if pe := providerError(t, err); !strings.Contains(pe.Error(), tt.err) {
				t.Errorf("%s: %q", tt.body, pe)
			}
			continue
		}
		if err != nil || res.Findings[0].Level != tt.level {
			t.Errorf("%s: %v %+v", tt.body, err, res)
		}
	}
}

func TestRefusedInputs(t *testing.T) {
	h := newHarness(t)
	for _, c := range []struct{ id, input, value string }{
		{URLhausURLID, "url", "evil-cdn.com"},
		{URLhausHostID, "host", "10.0.0.5"},
		{URLhausHostID, "host", "http://evil-cdn.com/x"},
		{ThreatFoxIOCID, "ioc", "192.168.1.1:443"},
		{ThreatFoxIOCID, "ioc", "user@example.com"},
		{ThreatFoxIOCID, "ioc", "CVE-2024-3400"},
		{ThreatFoxIOCID, "ioc", "evil-cdn.com:99999"},
		{MalwareBazaarHashID, "hash", "xyz"},
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

func TestThreatFoxInput(t *testing.T) {
	for raw, want := range map[string][3]string{
		"185.220.101.47:443":     {"185.220.101.47:443", "185.220.101.47", "ip"},
		"[2a0b:f4c2:2::1]:8443":  {"[2a0b:f4c2:2::1]:8443", "2a0b:f4c2:2::1", "ip"},
		"Evil-CDN.com:8080":      {"evil-cdn.com:8080", "evil-cdn.com", "domain"},
		"hxxps://evil-cdn[.]com": {"https://evil-cdn.com/", "https://evil-cdn.com/", "url"},
	} {
		term, ind, typ, err := threatfoxInput(raw)
		if err != nil || [3]string{term, ind, typ} != want {
			t.Errorf("%q: %q %q %q %v, want %q", raw, term, ind, typ, err, want)
		}
	}
}
