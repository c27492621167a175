package cmdline

import (
	"regexp"
	"strings"
	"testing"
)

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// TestBuiltinPack checks that every built-in rule loads without problems,
// is well described, and matches its own positive cases and none of its
// negative ones through the full analyser (deobfuscation included).
func TestBuiltinPack(t *testing.T) {
	res := LoadBuiltin()
	for _, err := range res.Errors {
		t.Errorf("built-in rule: %v", err)
	}
	if len(res.Skipped) > 0 {
		t.Errorf("built-in files for other log sources: %v", res.Skipped)
	}
	if len(res.Rules) < 60 {
		t.Errorf("built-in pack has %d rules, expected at least 60", len(res.Rules))
	}
	a := NewAnalyzer(NewRuleSet(res.Rules), AnalyzerOptions{})
	ids, titles := map[string]string{}, map[string]string{}
	for _, r := range res.Rules {
		if len(r.Problems) > 0 {
			t.Errorf("%s: problems %v", r.Source, r.Problems)
		}
		if !uuidPattern.MatchString(r.ID) {
			t.Errorf("%s: id %q is not a random UUID", r.Source, r.ID)
		}
		if other, dup := ids[r.ID]; dup {
			t.Errorf("%s: id shared with %s", r.Source, other)
		}
		ids[r.ID] = r.Source
		if other, dup := titles[strings.ToLower(r.Title)]; dup {
			t.Errorf("%s: title shared with %s", r.Source, other)
		}
		titles[strings.ToLower(r.Title)] = r.Source
		if r.Description == "" {
			t.Errorf("%s: no description", r.Source)
		}
		if len(r.Techniques) == 0 && !r.Allow {
			t.Errorf("%s: no ATT&CK technique tag", r.Source)
		}
		if len(r.Tests.Match) == 0 || len(r.Tests.NoMatch) == 0 {
			t.Errorf("%s: expected positive and negative test cases, got %d and %d", r.Source, len(r.Tests.Match), len(r.Tests.NoMatch))
		}
		for _, in := range r.Tests.Match {
			if !hitRule(a.Analyze(in), r) {
				t.Errorf("%s: did not match %q (parent %q)", r.Source, in.CommandLine, in.ParentImage)
			}
		}
		for _, in := range r.Tests.NoMatch {
			if hitRule(a.Analyze(in), r) {
				t.Errorf("%s: matched negative case %q", r.Source, in.CommandLine)
			}
		}
	}
}

func hitRule(an Analysis, r *Rule) bool {
	for _, h := range an.Rules {
		if h.ID == r.ID && h.Source == r.Source {
			return true
		}
	}
	return false
}
