package intel

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestDetectFormat(t *testing.T) {
	tests := []struct {
		name, head string
		want       Format
	}{
		{"feed/manifest.json", `{"x": {}}`, FormatMISP},
		{"feed/hashes.csv", "abc,def", FormatMISP},
		{"event.json", `{"Event": {"uuid": "x"}}`, FormatMISP},
		{"bundle.json", "\xef\xbb\xbf  {\"type\": \"bundle\"}", FormatSTIX},
		{"objects.txt", `[{"type": "indicator"}]`, FormatSTIX},
		{"export.CSV", "a,b\n", FormatCSV},
		{"list", "198.51.100.7\n", FormatText},
	}
	for _, tt := range tests {
		if got := DetectFormat(tt.name, []byte(tt.head)); got != tt.want {
			t.Errorf("DetectFormat(%q) = %s; want %s", tt.name, got, tt.want)
		}
	}
}

// A directory of files is one import named after the directory; each file
// is read in the format its name and content suggest.
func TestImportDirectory(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "feeds/a.txt", "198.51.100.7\n")
	writeFile(t, dir, "feeds/b.csv", "indicator,type\nevil.example.com,domain\n")
	writeFile(t, dir, "feeds/c.json", `{"type":"bundle","objects":[{"type":"indicator","id":"indicator--1","pattern":"[url:value = 'http://evil.example.com/x']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}]}`)
	writeFile(t, dir, "feeds/.hidden", "203.0.113.1\n")
	s := newSQLite(t)
	rep, err := s.ImportPath(context.Background(), dir+"/feeds", ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Source != "feeds" || rep.Added != 3 || len(rep.Files) != 3 {
		t.Errorf("directory import: %s %v", rep.Summary(), rep.Files)
	}
	if _, err := s.ImportPath(context.Background(), dir+"/missing", ImportOptions{}); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing path: %v", err)
	}
	writeFile(t, dir, "empty/.keep", "")
	if _, err := s.ImportPath(context.Background(), dir+"/empty", ImportOptions{}); err == nil || !strings.Contains(err.Error(), "no feed files") {
		t.Errorf("empty directory: %v", err)
	}
}

// A file with nothing but invalid lines is an error, not an empty import.
func TestImportNothingValid(t *testing.T) {
	s := newSQLite(t)
	_, err := s.ImportReader(context.Background(), strings.NewReader("hello\nworld\n"), "words.txt", ImportOptions{Format: FormatText})
	var ie *InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "words.txt:1") || !strings.Contains(err.Error(), "no valid entry, 2 invalid") {
		t.Errorf("garbage import: %v", err)
	}
	st, _ := s.Stats(context.Background())
	if len(st.Feeds) != 0 {
		t.Errorf("a failed import recorded a feed: %+v", st.Feeds)
	}
}
