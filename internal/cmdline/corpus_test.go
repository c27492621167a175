package cmdline

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spotter-soc/spotter/internal/skill"
)

// readCorpus reads a labelled corpus file: one command line per line, an
// optional parent process after a tab, "#" comments and blank lines ignored.
func readCorpus(t testing.TB, name string) []Input {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "corpus", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []Input
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cmd, parent, _ := strings.Cut(line, "\t")
		in := Input{CommandLine: cmd}
		in.ParentImage, in.ParentCommandLine = SplitParent(parent)
		out = append(out, in)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func flagged(a Analysis) bool {
	return a.Verdict == skill.Malicious || a.Verdict == skill.Suspicious
}

// corpusRates returns the detection rate on malicious lines and the false
// positive rate on benign lines, logging the misses and false positives.
func corpusRates(t *testing.T, a *Analyzer, mal, ben []Input) (detection, fp float64) {
	t.Helper()
	hits := 0
	for _, in := range mal {
		if flagged(a.Analyze(in)) {
			hits++
		} else {
			t.Logf("missed: %s", in.CommandLine)
		}
	}
	fps := 0
	for _, in := range ben {
		if an := a.Analyze(in); flagged(an) {
			fps++
			t.Logf("false positive (%s %d): %s: %s", an.Verdict, an.Score, in.CommandLine, an.Summary)
		}
	}
	return float64(hits) / float64(len(mal)), float64(fps) / float64(len(ben))
}

// TestLabelledCorpus measures the built-in pack on the labelled corpus: it
// fails below 90% detection or above 3% false positives.
func TestLabelledCorpus(t *testing.T) {
	mal, ben := readCorpus(t, "malicious.txt"), readCorpus(t, "benign.txt")
	if len(mal) < 100 || len(ben) < 100 {
		t.Fatalf("corpus has %d malicious and %d benign lines, expected at least 100 of each", len(mal), len(ben))
	}
	a := NewAnalyzer(NewRuleSet(LoadBuiltin().Rules), AnalyzerOptions{})
	det, fp := corpusRates(t, a, mal, ben)
	t.Logf("built-in pack: detection %.1f%% (%d malicious lines), false positives %.1f%% (%d benign lines)",
		100*det, len(mal), 100*fp, len(ben))
	if det < 0.90 {
		t.Errorf("detection rate %.1f%%, expected at least 90%%", 100*det)
	}
	if fp > 0.03 {
		t.Errorf("false-positive rate %.1f%%, expected at most 3%%", 100*fp)
	}
}
