package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestPlaybookCommands(t *testing.T) {
	code, out, errs := run(t, "", nil, "playbook", "list")
	if code != ExitOK || !strings.Contains(out, "incident-enrichment") {
		t.Fatalf("list: exit %d\n%s%s", code, out, errs)
	}
	code, out, _ = run(t, "", nil, "playbook", "show", "incident-enrichment")
	if code != ExitOK || !strings.Contains(out, "name: incident-enrichment") || !strings.Contains(out, "batch_size") {
		t.Errorf("show:\n%s", out)
	}
	bad := filepath.Join("..", "playbook", "testdata", "lint", "bad.yaml")
	code, out, errs = run(t, "", nil, "playbook", "lint", bad)
	if code == ExitOK || !strings.Contains(out+errs, "bad.yaml:13:5: call: unknown skill") {
		t.Errorf("lint: exit %d\n%s%s", code, out, errs)
	}
	example := filepath.Join("..", "..", "examples", "ransomware-staging.json")
	code, out, errs = run(t, "", nil, "playbook", "run", "incident-enrichment", "--incident", example)
	if code != ExitOK || !strings.Contains(out, "Volume Shadow Copies Deleted") || !strings.Contains(out, "Recommended next steps") {
		t.Errorf("run: exit %d\n%s", code, errs)
	}
}
