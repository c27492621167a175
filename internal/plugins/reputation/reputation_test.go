package reputation

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/spotter-soc/spotter/internal/skill"
)

type fakeCaller struct {
	specs []skill.Spec
	mu    sync.Mutex
	calls []string
	fn    func(id string, raw map[string]any) (*skill.Result, error)
}

func (f *fakeCaller) Configured() []skill.Spec { return f.specs }
func (f *fakeCaller) Invoke(_ context.Context, id string, raw map[string]any) (*skill.Result, error) {
	f.mu.Lock()
	f.calls = append(f.calls, id)
	f.mu.Unlock()
	return f.fn(id, raw)
}

func provider(id, input string, typ skill.Type, enriches ...string) skill.Spec {
	return skill.Spec{ID: id, Description: "d", Enriches: enriches, IndicatorInput: input, Inputs: []skill.Input{{Name: input, Type: typ}}}
}

func TestBatch(t *testing.T) {
	c := &fakeCaller{
		specs: []skill.Spec{
			provider("ipa.Check", "ip", skill.TypeString, "ip"),
			provider("multi.Report", "values", skill.TypeStringList, "ip", "hash", "domain"),
			provider("dom.Broken", "domain", skill.TypeString, "domain"),
			spec, // itself: never called
		},
		fn: func(id string, raw map[string]any) (*skill.Result, error) {
			switch id {
			case "ipa.Check":
				ip := raw["ip"].(string)
				return &skill.Result{Findings: []skill.Finding{{Indicator: ip, Type: "ip", Level: skill.Malicious, Score: 88, Source: "A", Summary: "bad"}}}, nil
			case "multi.Report":
				v := raw["values"].([]string)[0]
				return &skill.Result{Findings: []skill.Finding{{Indicator: v, Level: skill.Benign, Source: "M", Summary: "fine"}}}, nil
			case "dom.Broken":
				return nil, errors.New("dom: the API key was rejected (401)")
			}
			return nil, errors.New("unexpected " + id)
		},
	}
	skills, err := Plugin{}.New(skill.Env{Skills: c})
	if err != nil {
		t.Fatal(err)
	}
	in, err := spec.Validate(map[string]any{"indicators": []string{
		"185.220.101[.]47", "185.220.101.47", "10.0.0.1", "evil-cdn.com", "44D88612FEA8A8F36DE82E1278ABB02F", "not an indicator",
	}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := skills[0].Run(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	d := res.Data.(Data)
	got := map[string]Indicator{}
	for _, ind := range d.Indicators {
		got[ind.Value] = ind
	}
	if len(d.Indicators) != 5 {
		t.Fatalf("indicators (defanged duplicate merged): %+v", d.Indicators)
	}
	if ip := got["185.220.101.47"]; ip.Verdict != skill.Malicious || ip.Score != 88 || len(ip.Results) != 2 {
		t.Errorf("ip: %+v", ip)
	}
	if p := got["10.0.0.1"]; !strings.Contains(p.Note, "internal address") || len(p.Results) != 0 {
		t.Errorf("private ip: %+v", p)
	}
	dom := got["evil-cdn.com"]
	if dom.Verdict != skill.Benign || len(dom.Results) != 2 || dom.Results[0].Error == "" {
		t.Errorf("domain (one provider failing must not fail the batch): %+v", dom)
	}
	if h := got["44d88612fea8a8f36de82e1278abb02f"]; h.Type != "hash" || h.Verdict != skill.Benign {
		t.Errorf("hash: %+v", h)
	}
	if n := got["not an indicator"]; n.Note == "" {
		t.Errorf("junk: %+v", n)
	}
	for _, id := range c.calls {
		if id == ID {
			t.Error("the batch skill called itself")
		}
	}
	if len(c.calls) != 5 { // ip: 2 providers; domain: 2; hash: 1
		t.Errorf("calls: %v", c.calls)
	}
	if !strings.Contains(res.Summary, "5 indicators checked, 1 malicious, 2 benign, 2 unknown") {
		t.Errorf("summary: %s", res.Summary)
	}
}

func TestBatchLimits(t *testing.T) {
	if _, err := spec.Validate(map[string]any{"indicators": strings.Repeat("1.1.1.1,", 11)}); err == nil {
		t.Error("more than 10 indicators accepted")
	}
	if err := spec.Check(); err != nil {
		t.Error(err)
	}
	if _, err := (Plugin{}).New(skill.Env{}); err == nil {
		t.Error("New without a caller must fail")
	}
}
