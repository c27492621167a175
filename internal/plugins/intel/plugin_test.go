package intelplugin

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spotter-soc/spotter/internal/gateway"
	"github.com/spotter-soc/spotter/internal/intel"
	"github.com/spotter-soc/spotter/internal/plugins/reputation"
	"github.com/spotter-soc/spotter/internal/skill"
	"github.com/spotter-soc/spotter/internal/store"
)

const feed = `# test feed
198.51.100.7 # Emotet C2
80.94.95.115
203.0.113.0/24
update-check.fabrikam-cdn.net
8d3f68b16f0710f858d8c1d2c699260e6f43161a5510abb0e7ba567bd72c965b
`

// newStore opens a store in a temporary SQLite file, importing feed under
// source with the given confidence when feed is not empty.
func newStore(t *testing.T, source, text string, confidence int) *intel.Store {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "spotter.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	st := intel.NewStore(db)
	if text != "" {
		_, err := st.ImportReader(context.Background(), strings.NewReader(text), source+".txt",
			intel.ImportOptions{Source: source, Format: intel.FormatText, Defaults: intel.Defaults{Confidence: confidence,
				Reference: "https://intel.example.com/{value}", Tags: []string{"c2"}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	return st
}

func opener(st *intel.Store) Opener {
	return func(context.Context) (*intel.Store, error) { return st, nil }
}

// run validates the inputs like the gateway and runs the lookup skill.
func run(t *testing.T, p skill.Plugin, settings map[string]string, raw map[string]any) (*skill.Result, error) {
	t.Helper()
	skills, err := p.New(skill.Env{Settings: settings})
	if err != nil {
		t.Fatal(err)
	}
	s := skills[0]
	in, err := s.Spec().Validate(raw)
	if err != nil {
		return nil, err
	}
	return s.Run(context.Background(), in)
}

func TestRegisters(t *testing.T) {
	r := skill.NewRegistry()
	if err := r.Register(New(nil)); err != nil {
		t.Fatal(err)
	}
	spec, err := r.Lookup(LookupID)
	if err != nil || spec.IndicatorInput != "indicators" || len(spec.Enriches) != 5 || spec.CacheTTL >= 0 {
		t.Errorf("spec %+v, %v", spec, err)
	}
}

func TestLookupVerdicts(t *testing.T) {
	st := newStore(t, "local", feed, 90)
	res, err := run(t, New(opener(st)), nil, map[string]any{
		"indicators": []any{"198.51.100[.]7", "203.0.113.9", "Update-Check.Fabrikam-CDN.net", "192.0.2.1", "8D3F68B16F0710F858D8C1D2C699260E6F43161A5510ABB0E7BA567BD72C965B"},
	})
	if err != nil {
		t.Fatal(err)
	}
	levels := map[string]skill.Level{}
	for _, f := range res.Findings {
		levels[f.Indicator] = f.Level
		if f.Skill != LookupID || f.Type == "" {
			t.Errorf("finding %+v", f)
		}
		if f.Level == skill.Malicious && (f.Source != "intel/local" || !strings.HasPrefix(f.Link, "https://intel.example.com/") ||
			!strings.Contains(strings.Join(f.Reasons, ";"), "tags: c2")) {
			t.Errorf("evidence missing in %+v", f)
		}
	}
	want := map[string]skill.Level{
		"198.51.100.7": skill.Malicious, "203.0.113.9": skill.Malicious, "update-check.fabrikam-cdn.net": skill.Malicious,
		"192.0.2.1": skill.Unknown, "8d3f68b16f0710f858d8c1d2c699260e6f43161a5510abb0e7ba567bd72c965b": skill.Malicious,
	}
	for ind, l := range want {
		if levels[ind] != l {
			t.Errorf("%s: %s; want %s (%v)", ind, levels[ind], l, levels)
		}
	}
	if !strings.Contains(res.Summary, "4 of 5 indicators listed") || len(res.Links) != 4 {
		t.Errorf("summary %q, links %v", res.Summary, res.Links)
	}
	d := res.Data.(Data)
	if d.Indicators[1].Matches[0].How != intel.MatchRange || d.Indicators[1].Type != "ip" {
		t.Errorf("range match: %+v", d.Indicators[1])
	}
}

func TestLookupLowConfidenceAndStale(t *testing.T) {
	st := newStore(t, "tor", "192.0.2.5\n", 50)
	p := &Plugin{open: opener(st)}
	skills, err := p.New(skill.Env{Settings: map[string]string{"fresh_days": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	l := skills[0].(*lookup)
	in := skill.Inputs{"indicators": []string{"192.0.2.5"}}
	res, err := l.Run(context.Background(), in)
	if err != nil || res.Findings[0].Level != skill.Suspicious || res.Findings[0].Score != 50 {
		t.Fatalf("low confidence: %+v %v", res, err)
	}
	l.now = func() time.Time { return time.Now().Add(48 * time.Hour) }
	res, _ = l.Run(context.Background(), in)
	if f := res.Findings[0]; f.Level != skill.Suspicious || f.Score != 25 || !strings.Contains(f.Summary, "stale") {
		t.Errorf("stale: %+v", f)
	}
}

func TestLookupEmptyStore(t *testing.T) {
	st := newStore(t, "", "", 0)
	res, err := run(t, New(opener(st)), nil, map[string]any{"indicators": "198.51.100.7"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 0 || !strings.Contains(res.Summary, "spotter intel import") || !res.Data.(Data).Empty {
		t.Errorf("empty store: %+v", res)
	}
}

func TestLookupErrors(t *testing.T) {
	_, err := run(t, New(func(context.Context) (*intel.Store, error) { return nil, errors.New("no data directory") }), nil,
		map[string]any{"indicators": "198.51.100.7"})
	var pe *skill.ProviderError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "no data directory") {
		t.Errorf("opener failure: %v", err)
	}
	if _, err := New(nil).New(skill.Env{Settings: map[string]string{"feeds": "nonsense"}}); err == nil || !strings.Contains(err.Error(), "nonsense") {
		t.Errorf("bad settings: %v", err)
	}
	st := newStore(t, "local", feed, 90)
	res, err := run(t, New(opener(st)), nil, map[string]any{"indicators": "CVE-2024-21412"})
	if err != nil || len(res.Findings) != 0 || res.Data.(Data).Indicators[0].Note == "" {
		t.Errorf("non-indicator: %+v %v", res, err)
	}
}

// The batch reputation skill consults intel.Lookup like any provider.
func TestReputationBatchUsesIntel(t *testing.T) {
	st := newStore(t, "local", feed, 90)
	reg := skill.NewRegistry()
	reg.MustRegister(New(opener(st)))
	reg.MustRegister(reputation.New())
	gw := gateway.New(reg, nil, gateway.Config{}, nil, nil)
	if err := gw.ConfigErr(); err != nil {
		t.Fatal(err)
	}
	res, err := gw.Invoke(context.Background(), "GetReputationsForIndicators",
		map[string]any{"indicators": []any{"80.94.95[.]115", "update-check.fabrikam-cdn[.]net", "192.0.2.99"}}, gateway.InvokeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var d reputation.Data
	b, _ := json.Marshal(res.Data) // the gateway hands data on as decoded JSON
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	got := map[string]skill.Level{}
	for _, ind := range d.Indicators {
		got[ind.Value] = ind.Verdict
		if ind.Note == "" && (len(ind.Results) != 1 || ind.Results[0].Skill != LookupID) {
			t.Errorf("%s: results %+v", ind.Value, ind.Results)
		}
	}
	if got["80.94.95.115"] != skill.Malicious || got["update-check.fabrikam-cdn.net"] != skill.Malicious {
		t.Errorf("batch verdicts %v", got)
	}
}
