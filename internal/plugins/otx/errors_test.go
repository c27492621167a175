package otx

import (
	"github.com/spotter-soc/spotter/internal/plugins/provider"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/spotter-soc/spotter/internal/plugins/otx/fake"
	"github.com/spotter-soc/spotter/internal/skill"
	"github.com/spotter-soc/spotter/internal/skill/skilltest"
)

func TestKeyRejected(t *testing.T) {
	h := newHarnessKeys(t, "another-valid-key-0000", testKey)
	_, err := h.run("evil-cdn.com")
	if pe := providerError(t, err); pe.Error() != "otx: the API key was rejected (403)" {
		t.Errorf("error: %q", pe)
	}
}

func TestInjectedFaults(t *testing.T) {
	tests := []struct {
		name   string
		fault  fake.Fault
		status int
		msg    string
	}{
		{"malformed", fake.Malformed(), 0, "otx: unexpected response: unexpected end of JSON input"},
		{"rate limited", fake.RateLimit(15 * time.Second), 429, "otx: rate limit exceeded (retry after 15s) (429)"},
		{"bad gateway", fake.ServerError(502), 502, "otx: the service is unavailable (502)"},
		{"unavailable", fake.ServerError(503), 503, "otx: the service is unavailable (503)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.fake.Inject(tt.fault, 1)
			_, err := h.run("evil-cdn.com")
			if pe := providerError(t, err); pe.Status != tt.status || pe.Error() != tt.msg {
				t.Errorf("error %q (status %d), want %q", pe, pe.Status, tt.msg)
			}
			if _, err := h.run("evil-cdn.com"); err != nil {
				t.Errorf("after the fault: %v", err)
			}
			if n := len(h.fake.Requests()); n != 2 {
				t.Errorf("%d requests: the plugin must not retry", n)
			}
		})
	}
	h := newHarness(t)
	h.fake.Inject(fake.ServerError(500), 3)
	for range 3 {
		if _, err := h.run("1.1.1.1"); providerError(t, err).Status != 500 {
			t.Error(err)
		}
	}
}

func TestStatusMapping(t *testing.T) {
	ip := target{"8.8.8.8", TypeIPv4, "ip"}
	tests := []struct {
		status int
		body   string
		want   string
	}{
		{400, `{"detail":"Invalid IPv4 indicator: 8.8.8.8.8"}`, "otx: the indicator was rejected: Invalid IPv4 indicator: 8.8.8.8.8 (400)"},
		{401, `{"detail":"Authentication credentials were not provided."}`, "otx: the API key was rejected (401)"},
		{405, `{"detail":"nope ` + testKey + `"}`, "otx: unexpected HTTP status: nope <secret> (405)"},
		{200, `[]`, "otx: unexpected response: expected a JSON object"},
		{200, `{"pulse_info":{"count":"many"}}`, "otx: unexpected response: expected a count"},
		{200, `{"pulse_info":{"pulses":[{"malware_families":[1]}]}}`, "otx: unexpected response: expected names or objects with a display_name"},
	}
	for _, tt := range tests {
		res, err := generalResult(ip, &provider.Response{Status: tt.status, Header: http.Header{}, Body: []byte(tt.body)}, testKey)
		skilltest.NoLeak(t, []string{testKey}, res, err)
		if pe := providerError(t, err); pe.Error() != tt.want {
			t.Errorf("%d %s:\n got %q\nwant %q", tt.status, tt.body, pe, tt.want)
		}
	}
}

// A 404 and an empty pulse_info are results with an unknown verdict.
func TestNotFound(t *testing.T) {
	ip := target{"8.8.8.8", TypeIPv4, "ip"}
	for _, r := range []*provider.Response{
		{Status: 404, Body: []byte(`{"detail":"Not found."}`)},
		{Status: 200, Body: []byte(`{"indicator":"8.8.8.8","pulse_info":{"count":0,"pulses":[]},"base_indicator":{},"validation":[]}`)},
		{Status: 200, Body: []byte(`{"indicator":"8.8.8.8","pulse_info":null}`)},
	} {
		res, err := generalResult(ip, r, testKey)
		skilltest.NoLeak(t, []string{testKey}, res, err)
		if err != nil || res.Findings[0].Level != skill.Unknown || res.Findings[0].Score != 0 {
			t.Errorf("%d %s: %v %+v", r.Status, r.Body, err, res)
		}
	}
}

// Malware families and ATT&CK ids come as names or as objects.
func TestNameLists(t *testing.T) {
	body := `{"pulse_info":{"count":"3","pulses":[
	  {"id":"a1","name":"p1","malware_families":[{"id":"Emotet","display_name":"Emotet","target":null}],"attack_ids":[{"id":"T1566","name":"Phishing","display_name":"T1566 - Phishing"}],"tags":null,"author":null},
	  {"id":"a2","name":"p2","malware_families":["Emotet","Heodo"],"attack_ids":null,"modified":"2025-02-01T10:00:00.123456"},
	  {"id":"../x","name":"p3","malware_families":[{"name":"QakBot"},{"id":"IcedID"}]}],
	 "related":{"alienvault":{"adversary":["TA542"],"malware_families":["Emotet"]},"other":{"adversary":[],"malware_families":[]}}},
	 "validation":[],"false_positive":[]}`
	res, err := generalResult(target{"x.example", TypeDomain, "domain"}, &provider.Response{Status: 200, Body: []byte(body)}, testKey)
	skilltest.NoLeak(t, []string{testKey}, res, err)
	if err != nil {
		t.Fatal(err)
	}
	d := res.Data.(Report)
	if strings.Join(d.MalwareFamilies, ",") != "Emotet,Heodo,IcedID,QakBot" || strings.Join(d.AttackIDs, ",") != "T1566 - Phishing" || strings.Join(d.Adversaries, ",") != "TA542" {
		t.Errorf("lists: %+v", d)
	}
	if d.PulseCount != 3 || d.Pulses[0].Name != "p2" || d.Pulses[2].Link != "" {
		t.Errorf("pulses: %+v", d.Pulses)
	}
	if f := res.Findings[0]; f.Level != skill.Malicious || f.Score != 78 || !contains(f.Reasons, "adversary TA542") {
		t.Errorf("finding: %+v", f)
	}
}

func TestDetect(t *testing.T) {
	for in, want := range map[string]string{
		"example.co.uk":           TypeDomain,
		"mail.example.co.uk":      TypeHostname,
		"user.github.io":          TypeDomain,
		"a.b.user.github.io":      TypeHostname,
		"https://example.com/a?b": TypeURL,
		"8.8.8.8":                 TypeIPv4,
		"2606:4700:4700::1111":    TypeIPv6,
		strings.Repeat("a", 40):   TypeFile,
	} {
		got, err := detect(in)
		if err != nil || got.otxType != want {
			t.Errorf("detect(%q) = %+v, %v; want %s", in, got, err, want)
		}
	}
}
