package playbook

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/spotter-soc/spotter/internal/incident"
	"github.com/spotter-soc/spotter/internal/investigate"
	"github.com/spotter-soc/spotter/internal/report"
	"github.com/spotter-soc/spotter/internal/skill"
)

func intp(n int) *int { return &n }

// testSpecs are two enrichment skills: a list-taking IP reputation skill
// and a single-value account lookup.
var testSpecs = []skill.Spec{
	{ID: "rep.CheckIPs", Enriches: []string{"ip", "domain"}, IndicatorInput: "ips", Section: report.SectionIPs,
		Inputs: []skill.Input{{Name: "ips", Type: skill.TypeStringList, Required: true, Max: intp(3)}}},
	{ID: "dir.User", Enriches: []string{"account"}, IndicatorInput: "user", Section: report.SectionAccounts,
		Inputs: []skill.Input{{Name: "user", Type: skill.TypeString, Required: true}}},
}

// fakeSkills answers with one finding per indicator and records each call.
type fakeSkills struct {
	mu    sync.Mutex
	calls []string
	fail  map[string]bool // indicator values whose lookup fails
}

func (f *fakeSkills) Invoke(_ context.Context, name string, raw map[string]any) (*skill.Result, error) {
	var vals []string
	for _, v := range raw {
		switch v := v.(type) {
		case string:
			vals = append(vals, v)
		case []any:
			for _, x := range v {
				vals = append(vals, x.(string))
			}
		case []string:
			vals = append(vals, v...)
		}
	}
	sort.Strings(vals)
	f.mu.Lock()
	f.calls = append(f.calls, name+"("+strings.Join(vals, ",")+")")
	f.mu.Unlock()
	res := &skill.Result{}
	for _, v := range vals {
		if f.fail[v] {
			return nil, errors.New("lookup of " + v + " failed")
		}
		res.Findings = append(res.Findings, skill.Finding{Indicator: v, Type: "ip", Level: skill.Suspicious, Score: 60, Summary: "seen before"})
	}
	return res, nil
}

func loadExample(t *testing.T, name string) *incident.Incident {
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

func TestBuiltinLintsClean(t *testing.T) {
	for _, name := range Builtins() {
		data, err := BuiltinSource(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, diags := Check(name+".yaml", data, LintOptions{}); len(diags) > 0 {
			t.Errorf("%s:\n%v", name, diags)
		}
	}
}

// TestBuiltinMatchesInvestigate runs the built-in enrichment playbook and
// the Go pipeline on every example with the same skills and compares the
// findings, the verdict and the coverage.
func TestBuiltinMatchesInvestigate(t *testing.T) {
	pb, err := Builtin(EnrichmentName)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join("..", "..", "examples", "*.json"))
	if len(files) == 0 {
		t.Skip("no examples")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			inc := loadExample(t, filepath.Base(f))
			opts := incident.DefaultOptions()
			enabled := map[string]bool{investigate.CategoryHosts: false}
			iv := investigate.New(opts, enabled, investigate.SkillSources(&fakeSkills{}, testSpecs)...)
			want := iv.Run(context.Background(), inc)

			in := &Interpreter{Invoker: &fakeSkills{}, Skills: testSpecs, Options: opts}
			res, err := in.Run(context.Background(), pb, Request{Trigger: TriggerIncident, Incident: inc, Inputs: map[string]any{"hosts": "false"}})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != StatusSucceeded || res.Report == nil {
				t.Fatalf("status %s: %s", res.Status, res.Message)
			}
			got := res.Report
			if a, b := findingSet(t, want.Findings), findingSet(t, got.Findings); a != b {
				t.Errorf("findings differ:\nwant %s\ngot  %s", a, b)
			}
			if a, b := jsonOf(t, want.Verdict), jsonOf(t, got.Verdict); a != b {
				t.Errorf("verdict differs:\nwant %s\ngot  %s", a, b)
			}
			if a, b := coverageSet(t, want.Coverage), coverageSet(t, got.Coverage); a != b {
				t.Errorf("coverage differs:\nwant %s\ngot  %s", a, b)
			}
			if want.Stats.SkillCalls != got.Stats.SkillCalls || want.Stats.Indicators != got.Stats.Indicators {
				t.Errorf("stats: want %d calls, %d indicators; got %d, %d", want.Stats.SkillCalls, want.Stats.Indicators, got.Stats.SkillCalls, got.Stats.Indicators)
			}
		})
	}
}

func TestBuiltinSkipListAndBatchSize(t *testing.T) {
	pb, err := Builtin(EnrichmentName)
	if err != nil {
		t.Fatal(err)
	}
	inc := loadExample(t, "phishing-credential-theft.json")
	ents := incident.Categorize(inc, incident.DefaultOptions())
	ips := investigate.Values(ents, "ip")
	if len(ips) == 0 {
		t.Skip("example has no public IPs")
	}
	fake := &fakeSkills{}
	in := &Interpreter{Invoker: fake, Skills: testSpecs, Options: incident.DefaultOptions()}
	res, err := in.Run(context.Background(), pb, Request{Incident: inc, Inputs: map[string]any{
		"skip_ips": strings.ToUpper(ips[0]), "batch_size": "1", "accounts": "false", "domains": "false",
	}})
	if err != nil || res.Status != StatusSucceeded {
		t.Fatalf("%v %+v", err, res)
	}
	if len(fake.calls) != len(ips)-1 {
		t.Errorf("calls = %v, want one per IP except %s", fake.calls, ips[0])
	}
	for _, c := range fake.calls {
		if strings.Contains(c, ips[0]) {
			t.Errorf("skipped IP looked up: %s", c)
		}
	}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func coverageSet(t *testing.T, cs []report.Coverage) string {
	var lines []string
	for _, c := range cs {
		lines = append(lines, jsonOf(t, c))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func findingSet(t *testing.T, fs []skill.Finding) string {
	var lines []string
	for _, f := range fs {
		lines = append(lines, jsonOf(t, f))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}
