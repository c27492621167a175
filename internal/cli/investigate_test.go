package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// hermetic is an environment whose home, configuration and data
// directories are fresh temporary directories, plus extra variables.
func hermetic(t *testing.T, extra ...string) []string {
	t.Helper()
	dir := t.TempDir()
	return append([]string{"HOME=" + dir, "XDG_CONFIG_HOME=" + filepath.Join(dir, "config"), "XDG_DATA_HOME=" + filepath.Join(dir, "data")}, extra...)
}

var statsLine = regexp.MustCompile(`(?m)^Spotter: .*generated .*$`)

func example(name string) string { return filepath.Join("..", "..", "examples", name) }

// A copy of the built-in playbook, run with --playbook, writes the same
// report as the built-in one.
func TestInvestigatePlaybookCopy(t *testing.T) {
	code, src, errs := run(t, "", hermetic(t), "playbook", "show", "incident-enrichment")
	if code != ExitOK {
		t.Fatalf("show: exit %d: %s", code, errs)
	}
	mine := filepath.Join(t.TempDir(), "mine.yaml")
	if err := os.WriteFile(mine, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	inc := example("ransomware-staging.json")
	code, want, errs := run(t, "", hermetic(t), "investigate", inc)
	if code != ExitOK {
		t.Fatalf("built-in: exit %d: %s", code, errs)
	}
	code, got, errs := run(t, "", hermetic(t), "investigate", "--playbook", mine, inc)
	if code != ExitOK {
		t.Fatalf("--playbook: exit %d: %s", code, errs)
	}
	if a, b := statsLine.ReplaceAllString(want, ""), statsLine.ReplaceAllString(got, ""); a != b {
		t.Errorf("--playbook copy wrote a different report:\n%s", firstLineDiff(a, b))
	}
	for _, s := range []string{"Volume Shadow Copies Deleted", "Recommended next steps"} {
		if !strings.Contains(got, s) {
			t.Errorf("report lacks %q", s)
		}
	}
}

// A user's playbook may declare fewer inputs than the built-in one; it gets
// those it declares.
func TestInvestigateTrimmedPlaybook(t *testing.T) {
	mine := filepath.Join(t.TempDir(), "small.yaml")
	os.WriteFile(mine, []byte(`name: small
triggers:
  - incident: {events: [created]}
inputs:
  presummarise_threshold: {type: int, default: 0}
vars:
  findings: "[]"
  coverage: "[]"
steps:
  - id: offline
    append:
      findings: "flatten(map(['ips', 'hashes', 'mail'], builtin(it, true).findings))"
  - id: compose
    report:
      max_chars: inputs.presummarise_threshold
`), 0o644)
	code, out, errs := run(t, "", hermetic(t), "investigate", "--format", "json", "--playbook", mine, example("ransomware-staging.json"))
	if code != ExitOK || !strings.Contains(out, `"findings"`) || !strings.Contains(out, "Ransom:Win64/BlackByte.A") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
}

func TestInvestigatePlaybookErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte(`name: bad
triggers:
  - manual: {}
steps:
  - id: first
    set: {x: steps.later.output}
  - id: later
    call: nope.Skill
`), 0o644)
	noReport := filepath.Join(dir, "noreport.yaml")
	os.WriteFile(noReport, []byte("name: quiet\ntriggers:\n  - manual: {}\nsteps:\n  - id: a\n    set: {x: \"1\"}\n"), 0o644)
	fails := filepath.Join(dir, "fails.yaml")
	os.WriteFile(fails, []byte(`name: fails
triggers:
  - manual: {}
vars:
  findings: "[]"
steps:
  - id: compose
    report: {findings: vars.findings}
  - id: stop
    terminate: {status: failed, message: "'sink down'"}
`), 0o644)
	inc := example("ransomware-staging.json")
	tests := []struct {
		name string
		env  []string
		args []string
		code int
		msgs []string
		out  string
	}{
		{"lint errors name file:line:col", nil, []string{"--playbook", bad, inc}, ExitBadInput,
			[]string{"does not lint", bad + `:6:14: set.x: step "later" is defined later (line 7)`, bad + `:7:5: call: unknown skill "nope.Skill"`}, ""},
		{"missing playbook file", nil, []string{"--playbook", filepath.Join(dir, "nope.yaml"), inc}, ExitBadInput,
			[]string{"--playbook", "nope.yaml: no such file"}, ""},
		{"no report composed", nil, []string{"--playbook", noReport, inc}, ExitFailure, []string{"composed no report"}, ""},
		{"failed run still writes its report", nil, []string{"--playbook", fails, inc}, ExitFailure,
			[]string{"playbook fails failed: sink down"}, "Multi-stage incident involving Execution"},
		// enrich.timeout bounds the calls; the report still comes, listing
		// the sources that ran out of time as failed (as any failed source).
		{"calls bounded by enrich.timeout", []string{"SPOTTER_ENRICH_TIMEOUT=1ns"}, []string{inc}, ExitOK,
			nil, "the run's time for calls is over"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := run(t, "", hermetic(t, tt.env...), append([]string{"investigate"}, tt.args...)...)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.code, errs)
			}
			for _, m := range tt.msgs {
				if !strings.Contains(errs, m) {
					t.Errorf("stderr lacks %q:\n%s", m, errs)
				}
			}
			if !strings.Contains(out, tt.out) {
				t.Errorf("stdout lacks %q:\n%s", tt.out, out)
			}
		})
	}
}

// The enrich.* switches reach the playbook as its inputs.
func TestInvestigateSwitchesFromConfig(t *testing.T) {
	code, out, errs := run(t, "", hermetic(t, "SPOTTER_ENRICH_PROCESSES=false"), "investigate", "--format", "json", example("ransomware-staging.json"))
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "switched off (enrich.processes: false)") {
		t.Errorf("processes not switched off:\n%s", out)
	}
	if strings.Contains(out, "switched off (enrich.ips") {
		t.Errorf("ips switched off too:\n%s", out)
	}
}

func firstLineDiff(a, b string) string {
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(x) || i < len(y); i++ {
		var p, q string
		if i < len(x) {
			p = x[i]
		}
		if i < len(y) {
			q = y[i]
		}
		if p != q {
			return fmt.Sprintf("line %d:\n want: %s\n got:  %s", i+1, p, q)
		}
	}
	return ""
}

// playbook lint reports a step read before it runs, with file:line:col.
func TestPlaybookLintStepOrder(t *testing.T) {
	f := filepath.Join("..", "playbook", "testdata", "lint", "order.yaml")
	code, out, errs := run(t, "", hermetic(t), "playbook", "lint", f)
	want := f + `:11:14: set.a: step "second" is defined later (line 12) and has not run yet here`
	if code != ExitFailure || !strings.Contains(out, want) {
		t.Errorf("exit %d, want %d and %q:\n%s%s", code, ExitFailure, want, out, errs)
	}
}
