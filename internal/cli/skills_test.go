package cli

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	abusefake "github.com/spotter-soc/spotter/internal/plugins/abuseipdb/fake"
	vtfake "github.com/spotter-soc/spotter/internal/plugins/virustotal/fake"
	"github.com/spotter-soc/spotter/internal/skill/skilltest"
)

const (
	abuseKey = "abuseipdb-cli-test-key-5e1d"
	vtKey    = "virustotal-cli-test-key-77aa"
)

// providers starts fake AbuseIPDB and VirusTotal servers and returns an
// environment that configures both plugins to use them.
func providers(t *testing.T) (environ []string, abuse *abusefake.Server, vt *vtfake.Server) {
	t.Helper()
	abuse = abusefake.New(abuseKey, abusefake.Sample(time.Now()))
	vt = vtfake.New(vtKey, vtfake.Sample(time.Now()))
	as, vs := httptest.NewServer(abuse), httptest.NewServer(vt)
	t.Cleanup(as.Close)
	t.Cleanup(vs.Close)
	dir := t.TempDir()
	// VirusTotal's public limit is 4 requests a minute; tests may go faster.
	cfg := filepath.Join(dir, "spotter.yaml")
	if err := os.WriteFile(cfg, []byte("gateway:\n  limits:\n    virustotal:\n      per_second: 200\n      burst: 20\n      per_day: 100000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	environ = []string{
		"HOME=" + dir,
		"SPOTTER_CONFIG=" + cfg,
		"SPOTTER_DATA_DIR=" + filepath.Join(dir, "data"),
		"SPOTTER_ABUSEIPDB_API_KEY=" + abuseKey, "SPOTTER_ABUSEIPDB_BASE_URL=" + as.URL,
		"SPOTTER_VIRUSTOTAL_API_KEY=" + vtKey, "SPOTTER_VIRUSTOTAL_BASE_URL=" + vs.URL,
	}
	return environ, abuse, vt
}

func TestSkillRunThroughGateway(t *testing.T) {
	environ, abuse, _ := providers(t)
	var outputs []any

	code, out, errs := run(t, "", environ, "skill", "run", "abuseipdb.CheckIP", "--input", "ip=185.220.101[.]47", "--json")
	outputs = append(outputs, out, errs)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var res struct {
		Cached   bool `json:"cached"`
		Findings []struct {
			Indicator, Level string
			Score            int
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if res.Cached || len(res.Findings) != 1 || res.Findings[0].Level != "malicious" || res.Findings[0].Indicator != "185.220.101.47" {
		t.Errorf("first run: %s", out)
	}
	// A second process finds the result in the database in the data directory.
	code, out, errs = run(t, "", environ, "skill", "run", "abuseipdb.CheckIP", "--input", "ip=185.220.101.47", "--json")
	outputs = append(outputs, out, errs)
	if code != ExitOK || !strings.Contains(out, `"cached": true`) {
		t.Errorf("second run not cached: exit %d %s %s", code, out, errs)
	}
	if n := len(abuse.Requests()); n != 1 {
		t.Errorf("provider saw %d requests, want 1", n)
	}
	code, out, errs = run(t, "", environ, "skill", "run", "abuseipdb.CheckIP", "--input", "ip=185.220.101.47", "--no-cache")
	outputs = append(outputs, out, errs)
	if code != ExitOK || len(abuse.Requests()) != 2 || !strings.Contains(out, "malicious") {
		t.Errorf("--no-cache: exit %d, %d requests\n%s", code, len(abuse.Requests()), out)
	}

	code, out, errs = run(t, "", environ, "skill", "run", "GetReputationsForIndicators", "--input", "indicators=185.220.101.47,evil-cdn.com,10.0.0.1")
	outputs = append(outputs, out, errs)
	if code != ExitOK || !strings.Contains(out, "3 indicators checked") || !strings.Contains(out, "internal address") {
		t.Errorf("batch skill: exit %d\n%s\n%s", code, out, errs)
	}

	code, out, errs = run(t, "", environ, "plugins", "--json")
	outputs = append(outputs, out, errs)
	if code != ExitOK || !strings.Contains(out, `"name": "abuseipdb"`) {
		t.Errorf("plugins: %d %s", code, errs)
	}
	skilltest.NoLeak(t, []string{abuseKey, vtKey}, outputs...)
}

func TestSkillRunErrors(t *testing.T) {
	environ, _, _ := providers(t)
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"skill", "run", "nosuch.Skill"}, ExitBadInput, `"nosuch.Skill": no such skill`},
		{[]string{"skill", "run", "abuseipdb.CheckIP"}, ExitBadInput, "input ip: required"},
		{[]string{"skill", "run", "abuseipdb.CheckIP", "--input", "ip=1.2.3.4", "--input", "max_age_days=999"}, ExitBadInput, "between 1 and 365"},
		{[]string{"skill", "run", "abuseipdb.CheckIP", "--input", "ip"}, ExitBadInput, "expected key=value"},
		{[]string{"skill", "run", "abuseipdb.CheckIP", "--input", "ip=10.1.1.1"}, ExitBadInput, "10.1.1.1"},
		{[]string{"skill", "run", "otx.IndicatorReputation", "--input", "indicator=evil.com"}, ExitFailure, "otx: not configured: missing api_key"},
		{[]string{"skills", "--plugin", "nope"}, ExitBadInput, "no such plugin"},
	}
	for _, tt := range tests {
		code, out, errs := run(t, "", environ, tt.args...)
		if code != tt.code || !strings.Contains(errs, tt.msg) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tt.args, code, errs, tt.code, tt.msg)
		}
		skilltest.NoLeak(t, []string{abuseKey, vtKey}, out, errs)
	}
}

func TestSkillsListing(t *testing.T) {
	environ, _, _ := providers(t)
	code, out, errs := run(t, "", environ, "skills", "--json")
	if code != ExitOK {
		t.Fatal(errs)
	}
	var list []struct {
		ID, Plugin, Description string
		Configured              bool
		Inputs                  []struct {
			Name, Type, Description string
			Required                bool
		}
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatal(err)
	}
	byID := map[string]bool{}
	for _, s := range list {
		byID[s.ID] = s.Configured
		if s.Plugin == "" || s.Description == "" {
			t.Errorf("%s: plugin and description expected", s.ID)
		}
	}
	if !byID["abuseipdb.CheckIP"] || byID["otx.IndicatorReputation"] {
		t.Errorf("configured flags: %v", byID)
	}
	code, out, _ = run(t, "", environ, "skills", "--plugin", "abuseipdb")
	if code != ExitOK || !strings.Contains(out, "--input ip=<string>") || strings.Contains(out, "virustotal") {
		t.Errorf("text listing:\n%s", out)
	}
	code, out, _ = run(t, "", environ, "skill", "schema", "abuseipdb.CheckIP")
	if code != ExitOK || !strings.Contains(out, `"required": [`) {
		t.Errorf("schema:\n%s", out)
	}
	code, out, _ = run(t, "", environ, "skill", "schema", "--tool", "GetReputationsForIndicators")
	if code != ExitOK || !strings.Contains(out, `"name": "reputation__GetReputationsForIndicators"`) {
		t.Errorf("tool:\n%s", out)
	}
}

func TestInvestigateWithProviders(t *testing.T) {
	environ, abuse, _ := providers(t)
	code, out, errs := run(t, "", environ, "investigate", "--format", "json", filepath.Join("..", "..", "examples", "phishing-credential-theft.json"))
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var r struct {
		Findings []struct{ Indicator, Skill, Level string }
		Coverage []struct{ Section, Skill, Status, Detail string }
		Stats    struct {
			SkillCalls int `json:"skill_calls"`
			CacheHits  int `json:"cache_hits"`
			Providers  []struct {
				Provider string `json:"provider"`
				Calls    int    `json:"calls"`
			} `json:"providers"`
		} `json:"stats"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	found := map[string]string{}
	for _, f := range r.Findings {
		found[f.Skill+" "+f.Indicator] = f.Level
	}
	if found["abuseipdb.CheckIP 185.220.101.47"] != "malicious" || found["abuseipdb.CheckIP 45.155.205.233"] != "suspicious" {
		t.Errorf("findings: %v", found)
	}
	for _, c := range r.Coverage {
		if c.Section == "ips" && c.Status == "not configured" && c.Skill == "" {
			t.Errorf("IP section still says not configured: %+v", c)
		}
	}
	if len(abuse.Requests()) != 2 {
		t.Errorf("abuseipdb requests: %d", len(abuse.Requests()))
	}
	calls := map[string]int{}
	for _, p := range r.Stats.Providers {
		calls[p.Provider] = p.Calls
	}
	if calls["abuseipdb"] != 2 || calls["virustotal"] == 0 {
		t.Errorf("provider stats: %+v", r.Stats.Providers)
	}
	// Run again: every lookup comes from the cache.
	code, out, errs = run(t, "", environ, "investigate", "--format", "json", filepath.Join("..", "..", "examples", "phishing-credential-theft.json"))
	if code != ExitOK || len(abuse.Requests()) != 2 {
		t.Errorf("second investigation: exit %d, %d requests, %s", code, len(abuse.Requests()), errs)
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil || r.Stats.CacheHits == 0 {
		t.Errorf("cache hits not reported: %+v %v", r.Stats, err)
	}
	skilltest.NoLeak(t, []string{abuseKey, vtKey}, out, errs)
}

// A misspelt plugin setting is an error, not a silently unconfigured plugin.
func TestPluginSettingTypo(t *testing.T) {
	environ, _, _ := providers(t)
	environ = append(environ, "SPOTTER_ABUSEIPDB_APIKEY=x-test-value-123")
	code, _, errs := run(t, "", environ, "plugins")
	if code != ExitBadInput || !strings.Contains(errs, "apikey") {
		t.Errorf("exit %d: %s", code, errs)
	}
}
