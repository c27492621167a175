package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// goldenCases are the renderings kept as golden files, named
// testdata/golden/<name>.<format>. The large fixture is kept condensed only:
// its full rendering is hundreds of kilobytes of repetitive lines.
var goldenCases = []struct {
	name   string
	report func() *Report
	format Format
	opts   Options
}{
	{"phishing", phishingReport, FormatMarkdown, Options{}},
	{"phishing", phishingReport, FormatHTML, Options{}},
	{"phishing-fragment", phishingReport, FormatHTML, Options{Fragment: true}},
	{"phishing", phishingReport, FormatJSON, Options{}},
	{"empty", emptyReport, FormatMarkdown, Options{}},
	{"empty", emptyReport, FormatHTML, Options{}},
	{"empty", emptyReport, FormatJSON, Options{}},
	{"ransomware-30000", ransomwareReport, FormatMarkdown, Options{MaxChars: 30000}},
	{"ransomware-8000", ransomwareReport, FormatHTML, Options{MaxChars: 8000, Fragment: true}},
	{"ransomware-3000", ransomwareReport, FormatMarkdown, Options{MaxChars: 3000}},
}

// TestGolden renders the golden cases and compares them with their files;
// go test ./internal/report/ -run Golden -update rewrites the files.
func TestGolden(t *testing.T) {
	for _, c := range goldenCases {
		file := c.name + "." + string(c.format)
		t.Run(file, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Render(&buf, c.report(), c.format, c.opts); err != nil {
				t.Fatalf("Render: %v", err)
			}
			// A second rendering must be identical: no map order, no state.
			var again bytes.Buffer
			if err := Render(&again, c.report(), c.format, c.opts); err != nil {
				t.Fatalf("Render: %v", err)
			}
			if buf.String() != again.String() {
				t.Fatal("two renderings of the same report differ")
			}
			path := filepath.Join("testdata", "golden", file)
			if *update {
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (go test ./internal/report/ -run Golden -update creates it)", err)
			}
			if diff := cmp.Diff(string(want), buf.String()); diff != "" {
				t.Errorf("%s differs from the golden file (-want +got):\n%s", path, diff)
			}
		})
	}
}
