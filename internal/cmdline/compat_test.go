package cmdline

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sharedSigmaDir finds ../shared/sigma next to the repository root (the
// directory holding go.mod), or returns "" when it is not there.
func sharedSigmaDir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
	sigmaDir := filepath.Join(filepath.Dir(dir), "shared", "sigma")
	if st, err := os.Stat(sigmaDir); err != nil || !st.IsDir() {
		return ""
	}
	return sigmaDir
}

func countYAML(t testing.TB, dir string) int {
	n := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ext := strings.ToLower(filepath.Ext(p)); !d.IsDir() && (ext == ".yml" || ext == ".yaml") {
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSigmaHQCompatibility loads every rule of the SigmaHQ process_creation
// corpus: all must parse, and at least 98% must evaluate without error
// against every line of the labelled corpus.
func TestSigmaHQCompatibility(t *testing.T) {
	dir := sharedSigmaDir(t)
	if dir == "" {
		t.Skip("../shared/sigma not found next to the repository: compatibility corpus not available")
	}
	files := countYAML(t, dir)
	res, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.Errors {
		t.Errorf("parse: %v", e)
	}
	for _, s := range res.Skipped {
		t.Errorf("skipped as not process_creation: %s", s)
	}
	rewritten, withProblems := 0, 0
	for _, r := range res.Rules {
		if r.rewritten {
			rewritten++
		}
		if len(r.Problems) > 0 {
			withProblems++
			t.Logf("%s: %v", r.Source, r.Problems)
		}
	}
	set := NewRuleSet(res.Rules)
	a := NewAnalyzer(set, AnalyzerOptions{})
	lines := append(readCorpus(t, "malicious.txt"), readCorpus(t, "benign.txt")...)
	for _, in := range lines {
		a.Analyze(in)
		// and once more with every rule, whatever the OS
		set.Match(BuildEvent(in), "")
	}
	evalErrors := map[*Rule]bool{}
	for _, e := range set.EvalErrors() {
		evalErrors[e.Rule] = true
	}
	for _, r := range res.Rules {
		if len(r.Problems) > 0 {
			evalErrors[r] = true
		}
	}
	ok := len(res.Rules) - len(evalErrors)
	rate := float64(ok) / float64(files)
	t.Logf("SigmaHQ corpus: %d files, %d parsed (%d after rewriting condition identifiers), %d with problems, %d with evaluation errors; %.2f%% evaluate without error over %d command lines",
		files, len(res.Rules), rewritten, withProblems, len(evalErrors), 100*rate, len(lines))
	if len(res.Rules) != files {
		t.Errorf("parsed %d of %d rule files, expected all", len(res.Rules), files)
	}
	if rate < 0.98 {
		t.Errorf("%.2f%% of the rules evaluate without error, expected at least 98%%", 100*rate)
	}

	// For information: the labelled corpus against the built-in pack plus
	// every SigmaHQ rule.
	all := NewAnalyzer(NewRuleSet(append(LoadBuiltin().Rules, res.Rules...)), AnalyzerOptions{})
	mal, ben := readCorpus(t, "malicious.txt"), readCorpus(t, "benign.txt")
	hits, fps := 0, 0
	for _, in := range mal {
		if flagged(all.Analyze(in)) {
			hits++
		}
	}
	for _, in := range ben {
		if an := all.Analyze(in); flagged(an) {
			fps++
			t.Logf("with SigmaHQ, benign line flagged %s %d: %s: %s", an.Verdict, an.Score, in.CommandLine, an.Summary)
		}
	}
	t.Logf("built-in + SigmaHQ (%d rules): detection %.1f%%, false positives %.1f%%",
		all.Rules().Len(), 100*float64(hits)/float64(len(mal)), 100*float64(fps)/float64(len(ben)))
}
