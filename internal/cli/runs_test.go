package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunsStartListShow(t *testing.T) {
	env := []string{"HOME=" + t.TempDir(), "SPOTTER_ABUSEIPDB_API_KEY=k-secret-12345"}
	code, out, errOut := run(t, "", env, "runs", "start", "incident-enrichment", "--incident", "../../examples/ransomware-staging.json", "--key", "inc-3177-rev-1")
	if code != 0 {
		t.Fatalf("runs start: exit %d\n%s", code, errOut)
	}
	if !strings.Contains(out, "## Overview") || !strings.Contains(out, "3177") {
		t.Fatalf("runs start printed no report:\n%s", out)
	}
	// The same key is the same run.
	code, _, errOut = run(t, "", env, "runs", "start", "incident-enrichment", "--incident", "../../examples/ransomware-staging.json", "--key", "inc-3177-rev-1", "--detach")
	if code != 0 || !strings.Contains(errOut, "already exists") {
		t.Fatalf("repeated start: exit %d\n%s", code, errOut)
	}
	code, out, _ = run(t, "", env, "runs", "list", "--json")
	var list []struct {
		ID, Status, Playbook, Trigger, Incident string
	}
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list) != 1 {
		t.Fatalf("runs list --json: exit %d\n%s", code, out)
	}
	r := list[0]
	if r.Status != "succeeded" || r.Playbook != "incident-enrichment" || r.Trigger != "incident" || !strings.HasPrefix(r.Incident, "#3177") {
		t.Errorf("listed run %+v", r)
	}
	code, out, _ = run(t, "", env, "runs", "list")
	if code != 0 || !strings.Contains(out, r.ID[:8]) || !strings.Contains(out, "succeeded") {
		t.Errorf("runs list:\n%s", out)
	}
	code, out, _ = run(t, "", env, "runs", "show", r.ID[:8])
	if code != 0 || !strings.Contains(out, "Effects:") || !strings.Contains(out, "scriptanalyzer.AnalyzeCommandLines") {
		t.Errorf("runs show:\n%s", out)
	}
	code, out, _ = run(t, "", env, "runs", "show", "--json", r.ID)
	if code != 0 || !strings.Contains(out, `"effects"`) || strings.Contains(out, "k-secret-12345") {
		t.Errorf("runs show --json:\n%s", out)
	}
	code, out, _ = run(t, "", env, "runs", "show", "--report", r.ID)
	if code != 0 || !strings.Contains(out, "## Overview") {
		t.Errorf("runs show --report:\n%.300s", out)
	}
	for _, args := range [][]string{
		{"runs", "show", "ffffffff"},
		{"runs", "list", "--status", "done"},
		{"runs", "start"},
		{"runs", "start", "no-such-playbook"},
		{"runs", "start", "incident-enrichment", "--input", "nonsense"},
	} {
		if code, _, _ := run(t, "", env, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	code, out, _ = run(t, "", env, "runs", "prune", "--older-than", "1h")
	if code != 0 || !strings.Contains(out, "deleted 0 runs") {
		t.Errorf("runs prune: %d %s", code, out)
	}
	code, out, _ = run(t, "", env, "runs", "resume", "--timeout", "2s")
	if code != 0 || !strings.Contains(out, "no unfinished runs") {
		t.Errorf("runs resume: %d %s", code, out)
	}
}

func TestRunsStartFilePlaybookWithSink(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.txt")
	pb := filepath.Join(dir, "pb.yaml")
	src := "name: write-it\ntriggers:\n  - manual: {}\ninputs:\n  path: {type: string, required: true}\nsteps:\n  - id: save\n    write_file: {path: inputs.path, content: \"'hello ' + run.id\"}\noutputs:\n  bytes: steps.save.output.bytes\n"
	if err := os.WriteFile(pb, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"HOME=" + t.TempDir()}
	code, stdout, errOut := run(t, "", env, "runs", "start", pb, "--input", "path="+out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	data, err := os.ReadFile(out)
	if err != nil || !strings.HasPrefix(string(data), "hello ") {
		t.Fatalf("sink wrote %q: %v", data, err)
	}
	if !strings.Contains(stdout, `"bytes": 42`) {
		t.Errorf("outputs: %s", stdout)
	}
}
