package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// run invokes the command line in-process with a clean environment.
func run(t *testing.T, stdin string, environ []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	if environ == nil {
		environ = []string{"HOME=" + t.TempDir()}
	}
	code = Main(args, strings.NewReader(stdin), &out, &errb, environ)
	return code, out.String(), errb.String()
}

func examples(t *testing.T) []string {
	files, _ := filepath.Glob(filepath.Join("..", "..", "examples", "*.json"))
	if len(files) == 0 {
		t.Fatal("no examples")
	}
	return files
}

func TestInvestigateExamples(t *testing.T) {
	for _, f := range examples(t) {
		for _, format := range []string{"md", "html", "json"} {
			t.Run(filepath.Base(f)+"/"+format, func(t *testing.T) {
				code, out, errs := run(t, "", nil, "investigate", "--format", format, f)
				if code != ExitOK {
					t.Fatalf("exit %d: %s", code, errs)
				}
				if len([]rune(out)) > 30000 && format != "json" {
					t.Errorf("report of %d characters exceeds the default budget", len([]rune(out)))
				}
				if format == "json" {
					var m map[string]json.RawMessage
					if err := json.Unmarshal([]byte(out), &m); err != nil {
						t.Fatal(err)
					}
					for _, k := range []string{"incident", "entities", "findings", "verdict", "stats"} {
						if _, ok := m[k]; !ok {
							t.Errorf("JSON report without %q", k)
						}
					}
				}
			})
		}
	}
}

func TestInvestigateStdinAndOut(t *testing.T) {
	data, err := os.ReadFile(examples(t)[0])
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "r.md")
	code, stdout, errs := run(t, string(data), nil, "investigate", "--out", out, "-")
	if code != ExitOK || stdout != "" {
		t.Fatalf("exit %d, stdout %q, stderr %s", code, stdout, errs)
	}
	b, err := os.ReadFile(out)
	if err != nil || len(b) == 0 {
		t.Fatalf("--out not written: %v", err)
	}
}

func TestInvestigateBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"incident":{"properties":{"title":"x"}},"entities":[{"id":"a"}]}`), 0o644)
	tests := []struct {
		name  string
		args  []string
		stdin string
		code  int
		msg   string
	}{
		{"missing file", []string{"investigate", filepath.Join(dir, "nope.json")}, "", ExitBadInput, "nope.json: no such file"},
		{"names file and path", []string{"investigate", bad}, "", ExitBadInput, "bad.json: $.entities[0].kind: missing"},
		{"stdin syntax", []string{"investigate", "-"}, "{", ExitBadInput, "<stdin>: line 1"},
		{"no args", []string{"investigate"}, "", ExitBadInput, "expected one argument"},
		{"bad format", []string{"investigate", "--format", "pdf", "-"}, "{}", ExitBadInput, "--format"},
		{"bad flag", []string{"investigate", "--nope", "-"}, "", ExitBadInput, "unknown flag"},
		{"negative budget", []string{"investigate", "--max-chars", "-5", "-"}, "", ExitBadInput, "--max-chars"},
		{"missing config", []string{"--config", filepath.Join(dir, "none.yaml"), "investigate", "-"}, "", ExitBadInput, "file not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errs := run(t, tt.stdin, nil, tt.args...)
			if code != tt.code || !strings.Contains(errs, tt.msg) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, errs, tt.code, tt.msg)
			}
		})
	}
}

func TestExtract(t *testing.T) {
	text := "C2 at hxxp://evil-cdn[.]com/x.ps1 and 185.220.101[.]47, internal 10.1.2.3, CVE-2024-3400, invoice.pdf"
	code, out, errs := run(t, text, nil, "extract", "--json", "-")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var got map[string][]string
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"ipv4", "ipv6", "domains", "urls", "emails", "md5", "sha1", "sha256", "cves", "private_ips"} {
		if _, ok := got[k]; !ok {
			t.Errorf("missing key %q", k)
		}
	}
	if strings.Join(got["ipv4"], ",") != "185.220.101.47" || strings.Join(got["private_ips"], ",") != "10.1.2.3" ||
		strings.Join(got["domains"], ",") != "evil-cdn.com" || strings.Join(got["cves"], ",") != "CVE-2024-3400" ||
		strings.Join(got["urls"], ",") != "http://evil-cdn.com/x.ps1" {
		t.Errorf("extract: %s", out)
	}
	code, out, _ = run(t, text, nil, "extract", "-")
	if code != ExitOK || !strings.Contains(out, "IPv4 (1)\n  185.220.101.47") {
		t.Errorf("text output: %s", out)
	}
	code, out, _ = run(t, "nothing here", nil, "extract", "-")
	if code != ExitOK || !strings.Contains(out, "No indicators") {
		t.Errorf("empty output: %s", out)
	}
}

func TestConfigShowRedactsSecrets(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "spotter.yaml")
	os.WriteFile(cfg, []byte("plugins:\n  virustotal:\n    api_key: vt-file-secret-123\n    base_url: http://127.0.0.1:1\n"), 0o600)
	env := []string{"HOME=" + dir, "SPOTTER_ABUSEIPDB_API_KEY=abuse-env-secret-456", "SPOTTER_REPORT_MAX_CHARS=12000"}
	code, out, errs := run(t, "", env, "--config", cfg, "config", "show")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, secret := range []string{"vt-file-secret-123", "abuse-env-secret-456"} {
		if strings.Contains(out+errs, secret) {
			t.Errorf("secret %q rendered:\n%s", secret, out)
		}
	}
	for _, want := range []string{"<secret>", "max_chars: 12000", "base_url: http://127.0.0.1:1"} {
		if !strings.Contains(out, want) {
			t.Errorf("config show lacks %q:\n%s", want, out)
		}
	}
}

func TestHelpDocumentsEveryCommand(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"investigate", "--help"}, {"extract", "--help"}, {"config", "--help"}, {"config", "show", "--help"}} {
		code, out, _ := run(t, "", nil, args...)
		if code != ExitOK || !strings.Contains(out, "Usage:") {
			t.Errorf("%v: exit %d\n%s", args, code, out)
		}
	}
	_, out, _ := run(t, "", nil, "investigate", "--help")
	for _, flag := range []string{"--format", "--out", "--max-chars", "--config", "--data-dir"} {
		if !strings.Contains(out, flag) {
			t.Errorf("investigate --help does not document %s", flag)
		}
	}
}

// A failed write is a failure (exit 1), never reported as success.
func TestInvestigateOutputFailure(t *testing.T) {
	out := filepath.Join(t.TempDir(), "missing-dir", "r.md")
	code, _, errs := run(t, "", nil, "investigate", "--out", out, examples(t)[0])
	if code != ExitFailure || !strings.Contains(errs, "--out") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
}
