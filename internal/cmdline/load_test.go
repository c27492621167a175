package cmdline

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadDirReportsEachFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	good := "title: good\nlogsource:\n    category: process_creation\n    product: windows\ndetection:\n    sel:\n        CommandLine|contains: 'evil'\n    condition: sel\nlevel: high\ntags:\n    - attack.t1059.001\n"
	write("good.yml", good)
	write("sub/also_good.yaml", strings.Replace(good, "title: good", "title: also good", 1))
	write("network.yml", "title: net\nlogsource:\n    category: network_connection\ndetection:\n    sel:\n        DestinationPort: 4444\n    condition: sel\n")
	write("broken.yml", "title: broken\nlogsource:\n    category: process_creation\ndetection:\n    sel:\n        CommandLine: [unclosed\n    condition: sel\n")
	write("badcond.yml", "title: bad condition\nlogsource:\n    category: process_creation\ndetection:\n    sel:\n        CommandLine: x\n    condition: sel and (\n")
	write("notitle.yml", "logsource:\n    category: process_creation\ndetection:\n    sel:\n        CommandLine: x\n    condition: sel\n")
	write("readme.txt", "not a rule")
	res, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rules) != 2 {
		t.Errorf("loaded %d rules, expected 2", len(res.Rules))
	}
	if len(res.Skipped) != 1 || !strings.HasSuffix(res.Skipped[0], "network.yml") {
		t.Errorf("skipped %v", res.Skipped)
	}
	if len(res.Errors) != 3 {
		t.Fatalf("errors %v, expected 3", res.Errors)
	}
	byFile := map[string]*LoadError{}
	for _, e := range res.Errors {
		var le *LoadError
		if !errors.As(e, &le) {
			t.Fatalf("%v is not a *LoadError", e)
		}
		byFile[filepath.Base(le.File)] = le
	}
	if le := byFile["broken.yml"]; le == nil || le.Line < 5 || !strings.Contains(le.Error(), "broken.yml:") {
		t.Errorf("broken.yml: %v", le)
	}
	if le := byFile["badcond.yml"]; le == nil || le.Line != 7 {
		t.Errorf("badcond.yml: %v", le)
	}
	if le := byFile["notitle.yml"]; le == nil || !strings.Contains(le.Error(), "expected a rule title") {
		t.Errorf("notitle.yml: %v", le)
	}
	r := res.Rules[0]
	if r.Title != "good" || r.Level != "high" || r.Product != OSWindows || len(r.Techniques) != 1 || r.Techniques[0] != "T1059.001" {
		t.Errorf("rule metadata: %+v", r)
	}
	if !strings.HasPrefix(r.Source, dir) {
		t.Errorf("source %q should name the file", r.Source)
	}
	if _, err := LoadDir(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing directory should be an error")
	}
	if _, err := LoadDir(filepath.Join(dir, "good.yml")); err == nil {
		t.Error("a file is not a directory")
	}
}

func TestIdentifierEncoding(t *testing.T) {
	for _, s := range []string{"selection_1_img", "Q", "QQa", "set1*", "a-b.c", "sel_9", "x"} {
		enc := encodeIdent(s)
		if strings.Trim(enc, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_*") != "" {
			t.Errorf("encodeIdent(%q) = %q has characters the grammar rejects", s, enc)
		}
		if dec := decodeIdent(enc); dec != s {
			t.Errorf("decodeIdent(encodeIdent(%q)) = %q", s, dec)
		}
	}
	if got := rewriteCondition("1 of selection_1_* and not filter | count() > 5"); got != "1 of selection_Qb_* and not filter | count() > 5" {
		t.Errorf("rewriteCondition: %q", got)
	}
}
