package investigate

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spotter-soc/spotter/internal/report"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// TestGoldenExamples runs the whole pipeline on each example incident and
// compares the three report formats with the files under testdata/golden.
// Regenerate with: go test ./internal/investigate/ -run Golden -update
func TestGoldenExamples(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "examples", "*.json"))
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		r := newTest().Run(context.Background(), load(t, filepath.Base(f)))
		for _, format := range []report.Format{report.FormatMarkdown, report.FormatHTML, report.FormatJSON} {
			t.Run(name+"."+string(format), func(t *testing.T) {
				var buf bytes.Buffer
				if err := report.Render(&buf, r, format, report.Options{MaxChars: 30000}); err != nil {
					t.Fatal(err)
				}
				path := filepath.Join("testdata", "golden", name+"."+string(format))
				if *update {
					if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run with -update to create it)", err)
				}
				if !bytes.Equal(buf.Bytes(), want) {
					t.Errorf("%s differs from the golden file; review the change and run with -update\n%s", path, firstDiff(string(want), buf.String()))
				}
			})
		}
	}
}

// firstDiff shows the first differing line.
func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\n want: %s\n got:  %s", i+1, a, b)
		}
	}
	return ""
}
