package incident

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that no input makes the parser or the categoriser panic,
// and that every failure is an *InputError.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "examples", "*.json"))
	for _, p := range files {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		inc, err := Parse(data)
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error is %T, want *InputError: %v", err, err)
			}
			return
		}
		if inc.Title == "" {
			t.Fatal("parsed incident without a title")
		}
		e := Categorize(inc, DefaultOptions())
		if e.IPsPublic == nil || e.Accounts == nil || e.Skipped == nil || e.Other == nil {
			t.Fatal("nil list in Entities")
		}
	})
}
