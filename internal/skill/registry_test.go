package skill

import (
	"context"
	"errors"
	"strings"
	"testing"
)

type testPlugin struct{ info PluginInfo }

func (p testPlugin) Info() PluginInfo { return p.info }
func (p testPlugin) New(Env) ([]Skill, error) {
	var out []Skill
	for _, s := range p.info.Skills {
		out = append(out, Func{S: s, F: func(context.Context, Inputs) (*Result, error) { return &Result{}, nil }})
	}
	return out, nil
}

func plugin(name string, skills ...Spec) Plugin {
	return testPlugin{PluginInfo{Name: name, Description: name, Skills: skills}}
}

func TestRegistry(t *testing.T) {
	r := NewRegistry()
	if err := r.Register(plugin("vt", Spec{ID: "vt.FileReport", Description: "d", Aliases: []string{"GetFile"}}, Spec{ID: "vt.URLReport", Description: "d"})); err != nil {
		t.Fatal(err)
	}
	if err := r.Register(plugin("abuse", Spec{ID: "abuse.CheckIP", Description: "d"})); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"vt.FileReport", "VT.filereport", "getfile", " GetFile "} {
		if s, err := r.Lookup(name); err != nil || s.ID != "vt.FileReport" {
			t.Errorf("Lookup(%q) = %v, %v", name, s.ID, err)
		}
	}
	_, err := r.Lookup("report")
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "did you mean vt.FileReport, vt.URLReport?") {
		t.Errorf("unknown skill: %v", err)
	}
	if got := r.Specs(); len(got) != 3 || got[0].ID != "abuse.CheckIP" {
		t.Errorf("specs: %+v", got)
	}
	if got := r.Plugins(); len(got) != 2 || got[0].Name != "abuse" {
		t.Errorf("plugins: %+v", got)
	}
	bad := []Plugin{
		plugin("vt"), // twice
		plugin("Bad"),
		plugin("x.y"),
		plugin("other", Spec{ID: "vt.Sneaky", Description: "d"}),                                      // id outside its namespace
		plugin("other", Spec{ID: "other.X", Description: "d", Aliases: []string{"getfile"}}),          // alias taken
		plugin("other", Spec{ID: "other.X", Description: "d"}, Spec{ID: "other.X", Description: "d"}), // declared twice
		testPlugin{PluginInfo{Name: "other", Settings: []Setting{{Name: "API_KEY"}}}},
	}
	for _, p := range bad {
		if err := r.Register(p); err == nil {
			t.Errorf("Register(%+v) accepted", p.Info())
		}
	}
	if _, err := r.Lookup("other.X"); err == nil {
		t.Error("a rejected plugin left skills behind")
	}
}
