package cmdline

import (
	"slices"
	"testing"
)

// TestPrefilterAgreesWithNaiveEvaluation checks the automata and the rule
// prefilter against evaluating every value on its own, for the built-in
// pack and (when present) SigmaHQ, over every layer of the labelled corpus.
func TestPrefilterAgreesWithNaiveEvaluation(t *testing.T) {
	rules := LoadBuiltin().Rules
	if dir := sharedSigmaDir(t); dir != "" {
		res, err := LoadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		rules = append(rules, res.Rules...)
	}
	fast, slow := newRuleSet(rules, false), newRuleSet(rules, true)
	lines := append(readCorpus(t, "malicious.txt"), readCorpus(t, "benign.txt")...)
	checked := 0
	for _, in := range lines {
		for _, l := range Deobfuscate(in.CommandLine, DeobfuscateOptions{}) {
			layer := in
			layer.CommandLine = l.Text
			ev := BuildEvent(layer)
			got, want := fast.Match(ev, ""), slow.Match(ev, "")
			if !slices.EqualFunc(got, want, func(a, b Match) bool { return a.Rule == b.Rule }) {
				t.Errorf("%q: prefiltered %d matches, naive %d", l.Text, len(got), len(want))
			}
			checked++
		}
	}
	t.Logf("%d events, %d rules", checked, len(rules))
}

func TestAutomaton(t *testing.T) {
	a := newAutomaton([]string{"he", "she", "his", "hers", "s", "cmd.exe"})
	flags := make([]uint8, 6)
	a.scan("ushers", flags)
	want := []uint8{hitAny, hitAny, 0, hitAny | hitSuffix, hitAny | hitSuffix, 0}
	if !slices.Equal(flags, want) {
		t.Errorf("ushers: %v, want %v", flags, want)
	}
	clear(flags)
	a.scan("cmd.exe", flags)
	if flags[5] != hitAny|hitPrefix|hitSuffix|hitEqual {
		t.Errorf("cmd.exe: %v", flags)
	}
	for pattern, want := range map[string][]string{
		`\bcertutil\b.*-urlcache`:     {"-urlcache"},
		`(?i)(?:foo|barbaz)\s+x`:      {"foo", "barbaz"},
		`a*`:                          nil,
		`(?:x|y*)`:                    nil,
		`[-/]e(?:nc)?`:                {"e"},
		`(?s)^.*\\windows\\temp\\.*$`: {`\windows\temp\`},
		`(?i)IEX`:                     {"iex"},
	} {
		got, ok := regexLiterals(pattern)
		if ok != (want != nil) || !slices.Equal(got, want) {
			t.Errorf("regexLiterals(%q) = %q, %v; want %q", pattern, got, ok, want)
		}
	}
}
