package investigate

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/spotter-soc/spotter/internal/incident"
	"github.com/spotter-soc/spotter/internal/report"
	"github.com/spotter-soc/spotter/internal/skill"
)

type fakeInvoker struct {
	mu    sync.Mutex
	calls map[string][]any
	fn    func(id string, arg any) (*skill.Result, error)
}

func (f *fakeInvoker) Invoke(_ context.Context, id string, raw map[string]any) (*skill.Result, error) {
	var arg any
	for _, v := range raw {
		arg = v
	}
	f.mu.Lock()
	if f.calls == nil {
		f.calls = map[string][]any{}
	}
	f.calls[id] = append(f.calls[id], arg)
	f.mu.Unlock()
	return f.fn(id, arg)
}

func TestSkillSources(t *testing.T) {
	specs := []skill.Spec{
		{ID: "ipa.Check", Description: "d", Enriches: []string{"ip"}, IndicatorInput: "ip", Inputs: []skill.Input{{Name: "ip", Type: skill.TypeString}}},
		{ID: "multi.Batch", Description: "d", Enriches: []string{"domain", "hash", "weird"}, IndicatorInput: "values",
			Inputs: []skill.Input{{Name: "values", Type: skill.TypeStringList, Max: skill.Int(2)}}},
		{ID: "dir.Risk", Description: "d", Section: report.SectionUserRisk, Enriches: []string{"account"}, IndicatorInput: "users",
			Inputs: []skill.Input{{Name: "users", Type: skill.TypeStringList, Max: skill.Int(20)}}},
		{ID: "local.NoEnrich", Description: "d"},
	}
	inv := &fakeInvoker{fn: func(id string, arg any) (*skill.Result, error) {
		switch v := arg.(type) {
		case string:
			if v == "8.8.8.8" {
				return nil, errors.New("ipa: quota exceeded (429)")
			}
			return &skill.Result{Cached: v == "1.1.1.1", Findings: []skill.Finding{{Indicator: v, Type: "ip", Level: skill.Malicious, Score: 80, Source: "A"}}}, nil
		case []string:
			var fs []skill.Finding
			for _, x := range v {
				fs = append(fs, skill.Finding{Indicator: x, Type: "x", Level: skill.Suspicious, Score: 40, Source: id})
			}
			return &skill.Result{Findings: fs}, nil
		}
		return nil, errors.New("bad arg")
	}}
	sources := SkillSources(inv, specs)
	if len(sources) != 4 { // ipa/ip, multi/domain, multi/hash, dir/account
		t.Fatalf("sources: %d", len(sources))
	}
	inc, err := incident.Parse([]byte(`{"incident":{"properties":{"title":"t","description":"1.1.1.1 8.8.8.8 9.9.9.9 a.com b.com c.com 44d88612fea8a8f36de82e1278abb02f"}},
		"entities":[{"kind":"Account","properties":{"accountName":"al","upnSuffix":"contoso.com"}},{"kind":"Account","properties":{"accountName":"root"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	iv := New(incident.DefaultOptions(), map[string]bool{CategoryHashes: false}, sources...)
	iv.Now = fixedNow
	r := iv.Run(context.Background(), inc)

	if got := len(inv.calls["ipa.Check"]); got != 3 {
		t.Errorf("one call per IP: %d", got)
	}
	if got := inv.calls["multi.Batch"]; len(got) != 2 || len(got[0].([]string))+len(got[1].([]string)) != 3 {
		t.Errorf("three domains in two batches of at most 2: %v", got)
	}
	if got := inv.calls["dir.Risk"]; len(got) != 1 || strings.Join(got[0].([]string), ",") != "al@contoso.com" {
		t.Errorf("accounts without UPN or object id are not sent: %v", got)
	}
	c := coverageFor(r, "ipa.Check", report.SectionIPs)
	if c.Status != report.StatusFailed || !strings.Contains(c.Detail, "1 of 3 lookups failed") || !strings.Contains(c.Detail, "quota exceeded") {
		t.Errorf("partial failure: %+v", c)
	}
	if v := verdictOf(r, "9.9.9.9"); v.Level != skill.Malicious {
		t.Errorf("findings of the lookups that worked are kept: %+v", v)
	}
	if c := coverageFor(r, "multi.Batch", report.SectionIndicators); c.Status == "" {
		t.Errorf("coverage: %+v", r.Coverage)
	}
	if c := coverageFor(r, "dir.Risk", report.SectionUserRisk); c.Status != report.StatusRan {
		t.Errorf("user risk section: %+v", c)
	}
	hashOff := false
	for _, cv := range r.Coverage {
		if cv.Skill == "multi.Batch" && strings.Contains(cv.Detail, "enrich.hashes") {
			hashOff = true
		}
		if cv.Status == report.StatusNotConfigured && (cv.Section == report.SectionIPs || cv.Section == report.SectionUserRisk) && cv.Skill == "" {
			t.Errorf("a served section still says not configured: %+v", cv)
		}
	}
	if !hashOff {
		t.Errorf("hash lookups must be switched off: %+v", r.Coverage)
	}
	if r.Stats.CacheHits != 1 || r.Stats.SkillCalls < 6 {
		t.Errorf("stats: %+v", r.Stats)
	}
}

func coverageFor(r *report.Report, id, section string) report.Coverage {
	for _, c := range r.Coverage {
		if c.Skill == id && c.Section == section {
			return c
		}
	}
	return report.Coverage{}
}
