package plugins

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/spotter-soc/spotter/internal/skill"
)

var update = flag.Bool("update", false, "rewrite docs/SKILLS.md")

// TestSkillsDoc keeps docs/SKILLS.md in step with the skill declarations it
// is generated from. Regenerate with: go test ./internal/plugins/ -run SkillsDoc -update
func TestSkillsDoc(t *testing.T) {
	got := SkillsMarkdown(Registry(Options{}))
	path := filepath.Join("..", "..", "docs", "SKILLS.md")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Error("docs/SKILLS.md is out of date: go test ./internal/plugins/ -run SkillsDoc -update")
	}
}

// SkillsMarkdown renders every plugin's settings and skills as Markdown.
func SkillsMarkdown(r *skill.Registry) []byte {
	var b bytes.Buffer
	b.WriteString("# Plugins and skills\n\nGenerated from the skill declarations (`go test ./internal/plugins/ -run SkillsDoc -update`); `spotter skills` and `spotter plugins` print the same from the binary.\n\n")
	b.WriteString("Settings are read from `spotter.yaml` under `plugins.<plugin>.<setting>` or from `SPOTTER_<PLUGIN>_<SETTING>`. A plugin missing a required setting is not configured and its skills are skipped with that reason.\n")
	for _, p := range r.Plugins() {
		fmt.Fprintf(&b, "\n## %s\n\n%s\n", p.Name, p.Description)
		if p.Optional {
			fmt.Fprintf(&b, "\nOff unless `plugins.%s.enabled: true`.\n", p.Name)
		}
		if l := p.Limits; l != (skill.RateLimit{}) {
			var parts []string
			if l.PerSecond > 0 {
				parts = append(parts, fmt.Sprintf("%.3g requests/s (burst %d)", l.PerSecond, l.Burst))
			}
			if l.PerDay > 0 {
				parts = append(parts, fmt.Sprintf("%d requests/day", l.PerDay))
			}
			if l.Concurrency > 0 {
				parts = append(parts, fmt.Sprintf("%d concurrent", l.Concurrency))
			}
			fmt.Fprintf(&b, "\nDefault limits: %s (override with `gateway.limits.%s`).\n", strings.Join(parts, ", "), p.Name)
		}
		if len(p.Settings) > 0 {
			b.WriteString("\n| setting | env | required | secret | default | description |\n|---|---|---|---|---|---|\n")
			for _, s := range p.Settings {
				env := "SPOTTER_" + strings.ToUpper(p.Name+"_"+s.Name)
				fmt.Fprintf(&b, "| `%s` | `%s` | %s | %s | %s | %s |\n", s.Name, env, yes(s.Required), yes(s.Secret), code(s.Default), cell(s.Description))
			}
		}
		specs := append([]skill.Spec(nil), p.Skills...)
		sort.Slice(specs, func(i, j int) bool { return specs[i].ID < specs[j].ID })
		for _, s := range specs {
			fmt.Fprintf(&b, "\n### `%s` — %s\n\n%s\n", s.ID, s.Name, s.Description)
			if s.Writes {
				fmt.Fprintf(&b, "\nWrites: it changes something outside Spotter, so planners never choose it; playbook steps and direct skill requests run it.\n")
			}
			if len(s.Aliases) > 0 {
				fmt.Fprintf(&b, "\nAliases: %s.\n", "`"+strings.Join(s.Aliases, "`, `")+"`")
			}
			if len(s.Enriches) > 0 {
				fmt.Fprintf(&b, "\nEnriches %s in investigations (input `%s`).\n", strings.Join(s.Enriches, ", "), s.IndicatorInput)
			}
			if len(s.Inputs) > 0 {
				b.WriteString("\n| input | type | required | default | description |\n|---|---|---|---|---|\n")
				for _, in := range s.Inputs {
					def := ""
					if in.Default != nil {
						def = fmt.Sprint(in.Default)
					}
					fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", in.Name, in.Type, yes(in.Required), code(def), cell(in.Description))
				}
			}
			for i, ex := range s.Examples {
				if i == 0 {
					b.WriteString("\nExample prompts:\n\n")
				}
				fmt.Fprintf(&b, "- %s\n", ex)
			}
		}
	}
	return b.Bytes()
}

func yes(v bool) string {
	if v {
		return "yes"
	}
	return ""
}

func code(s string) string {
	if s == "" {
		return ""
	}
	return "`" + s + "`"
}

func cell(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ") }
