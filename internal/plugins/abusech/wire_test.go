package abusech

import (
	"github.com/spotter-soc/spotter/internal/plugins/provider"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spotter-soc/spotter/internal/plugins/abusech/fake"
	"github.com/spotter-soc/spotter/internal/skill"
	"github.com/spotter-soc/spotter/internal/skill/skilltest"
)

// Each query goes to its documented endpoint, form-encoded or JSON, with
// the key in the Auth-Key header.
func TestRequests(t *testing.T) {
	h := newHarness(t)
	_, _, sha := fake.Hashes(fake.SampleContent)
	for _, c := range []struct{ id, input, value string }{
		{URLhausURLID, "url", "hxxp://evil-cdn[.]com/x.ps1"},
		{URLhausHostID, "host", "Evil-CDN.com"},
		{ThreatFoxIOCID, "ioc", "185.220.101.47:443"},
		{MalwareBazaarHashID, "hash", strings.ToUpper(sha)},
	} {
		if _, err := h.run(c.id, map[string]any{c.input: c.value}); err != nil {
			t.Fatal(err)
		}
	}
	reqs := h.fake.Requests()
	if len(reqs) != 4 {
		t.Fatalf("requests: %+v", reqs)
	}
	want := []struct {
		service, path, contentType string
		form                       map[string]string
		json                       map[string]any
	}{
		{"urlhaus", "/url/", "application/x-www-form-urlencoded", map[string]string{"url": "http://evil-cdn.com/x.ps1"}, nil},
		{"urlhaus", "/host/", "application/x-www-form-urlencoded", map[string]string{"host": "evil-cdn.com"}, nil},
		{"threatfox", "/", "application/json", nil, map[string]any{"query": "search_ioc", "search_term": "185.220.101.47:443"}},
		{"malwarebazaar", "/", "application/x-www-form-urlencoded", map[string]string{"query": "get_info", "hash": sha}, nil},
	}
	for i, r := range reqs {
		w := want[i]
		if r.Method != http.MethodPost || r.Service != w.service || r.Path != w.path || r.Header.Get("Content-Type") != w.contentType || r.Header.Get("Auth-Key") != testKey {
			t.Errorf("request %d: %s %s %s %q (key sent: %v)", i, r.Method, r.Service, r.Path, r.Header.Get("Content-Type"), r.Header.Get("Auth-Key") == testKey)
		}
		for k, v := range w.form {
			if got := r.Form.Get(k); got != v || len(r.Form) != len(w.form) {
				t.Errorf("request %d: form %v, want %s=%s", i, r.Form, k, v)
			}
		}
		if w.json != nil {
			if diff := cmp.Diff(w.json, r.JSON); diff != "" {
				t.Errorf("request %d: JSON body (-want +got):\n%s", i, diff)
			}
		}
	}
}

func TestKeyRejected(t *testing.T) {
	h := newHarnessKeys(t, "the-right-key-123456", testKey)
	for id, in := range map[string]map[string]any{
		URLhausURLID:        {"url": "http://evil-cdn.com/x.ps1"},
		ThreatFoxIOCID:      {"ioc": "evil-cdn.com"},
		MalwareBazaarHashID: {"hash": strings.Repeat("a", 32)},
	} {
		_, err := h.run(id, in)
		pe := providerError(t, err)
		if pe.Status != 403 || pe.Code != "unknown_auth_key" || !strings.HasSuffix(pe.Error(), "rejected the API key (unknown_auth_key) (403)") {
			t.Errorf("%s: %q", id, pe)
		}
	}
	// the variant answered with HTTP 200
	h.fake.AnswerUnknownKeyWith200(true)
	_, err := h.run(URLhausHostID, map[string]any{"host": "evil-cdn.com"})
	if pe := providerError(t, err); pe.Error() != "abusech: URLhaus rejected the API key (unknown_auth_key)" {
		t.Errorf("200 variant: %q", pe)
	}
}

func TestStatusMapping(t *testing.T) {
	tests := []struct {
		status int
		header http.Header
		body   string
		want   string
	}{
		{401, nil, `{"error":"Unauthorized"}`, "abusech: MalwareBazaar rejected the API key (401)"},
		{401, nil, `Unauthorized`, "abusech: MalwareBazaar rejected the API key (401)"},
		{403, nil, `{"query_status":"unknown_auth_key"}`, "abusech: MalwareBazaar rejected the API key (unknown_auth_key) (403)"},
		{429, http.Header{"Retry-After": {"30"}}, `Too Many Requests`, "abusech: MalwareBazaar: rate limit exceeded (retry after 30s) (429)"},
		{502, nil, `<html>bad gateway</html>`, "abusech: MalwareBazaar: the service is unavailable (502)"},
		{404, nil, `<html>not found</html>`, "abusech: MalwareBazaar: unexpected HTTP status (404)"},
		{200, nil, `{"query_status":"illegal_hash"}`, "abusech: MalwareBazaar rejected the hash (illegal_hash)"},
		{200, nil, `{"query_status":"no_hash_provided"}`, "abusech: MalwareBazaar rejected the hash (no_hash_provided)"},
		{200, nil, `{"data":[]}`, "abusech: MalwareBazaar: unexpected response: no query_status"},
		{200, nil, `{"query_status":"ok","data":"` + testKey + `"}`, `abusech: MalwareBazaar: unexpected response: "data" is not a list`},
		{200, nil, `{"query_status":"ok","data":[{"file_size":"big"}]}`, "abusech: MalwareBazaar: known sample"},
	}
	for _, tt := range tests {
		h := tt.header
		if h == nil {
			h = http.Header{}
		}
		res, err := bazaarResult(strings.Repeat("a", 32), &provider.Response{Status: tt.status, Header: h, Body: []byte(tt.body)}, testKey)
		skilltest.NoLeak(t, []string{testKey}, res, err)
		if strings.HasPrefix(tt.want, "abusech: MalwareBazaar: known") {
			if err != nil || res.Findings[0].Level != skill.Malicious {
				t.Errorf("%s: %v", tt.body, err)
			}
			continue
		}
		if pe := providerError(t, err); pe.Error() != tt.want {
			t.Errorf("%d %s:\n got %q\nwant %q", tt.status, tt.body, pe, tt.want)
		}
	}
}

func TestInjectedFaults(t *testing.T) {
	tests := []struct {
		name   string
		fault  fake.Fault
		status int
		msg    string
	}{
		{"malformed", fake.Malformed(), 0, "abusech: ThreatFox: unexpected response: unexpected end of JSON input"},
		{"rate limited", fake.RateLimit(20 * time.Second), 429, "abusech: ThreatFox: rate limit exceeded (retry after 20s) (429)"},
		{"unavailable", fake.ServerError(503), 503, "abusech: ThreatFox: the service is unavailable (503)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.fake.Inject(tt.fault, 1)
			_, err := h.run(ThreatFoxIOCID, map[string]any{"ioc": "evil-cdn.com"})
			if pe := providerError(t, err); pe.Status != tt.status || pe.Error() != tt.msg {
				t.Errorf("error %q (status %d), want %q", pe, pe.Status, tt.msg)
			}
			if _, err := h.run(ThreatFoxIOCID, map[string]any{"ioc": "evil-cdn.com"}); err != nil {
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
		_, err := h.run(URLhausURLID, map[string]any{"url": "http://evil-cdn.com/x.ps1"})
		if pe := providerError(t, err); pe.Status != 500 {
			t.Errorf("run of 5xx: %v", pe)
		}
	}
}

func TestInfo(t *testing.T) {
	info := New().Info()
	if len(info.Skills) != 4 {
		t.Fatalf("skills: %d", len(info.Skills))
	}
	for _, s := range info.Skills {
		if err := s.Check(); err != nil {
			t.Error(err)
		}
		if s.Name == "" || s.ModelDescription == "" || len(s.Examples) < 2 || len(s.Enriches) == 0 || s.CacheTTL <= 0 {
			t.Errorf("%s: incomplete spec %+v", s.ID, s)
		}
	}
	if err := skill.NewRegistry().Register(New()); err != nil {
		t.Fatal(err)
	}
	defaults := map[string]string{}
	for _, s := range info.Settings {
		defaults[s.Name] = s.Default
		if s.Name == "api_key" && (!s.Required || !s.Secret) {
			t.Errorf("api_key: %+v", s)
		}
	}
	want := map[string]string{"api_key": "", "urlhaus_url": "https://urlhaus-api.abuse.ch/v1",
		"threatfox_url": "https://threatfox-api.abuse.ch/api/v1", "malwarebazaar_url": "https://mb-api.abuse.ch/api/v1"}
	if diff := cmp.Diff(want, defaults); diff != "" {
		t.Errorf("settings (-want +got):\n%s", diff)
	}
	if _, err := (Plugin{}).New(skill.Env{Settings: map[string]string{"api_key": testKey, "threatfox_url": "threatfox"}}); err == nil {
		t.Error("a relative base URL was accepted")
	}
}
