package cli

import (
	"strings"
	"testing"
)

func TestTokenAndPromptCommands(t *testing.T) {
	environ := []string{"HOME=" + t.TempDir()}
	code, out, errs := run(t, "", environ, "token", "create", "--name", "alice", "--role", "analyst")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != ExitOK || !strings.HasPrefix(lines[len(lines)-1], "spt_") {
		t.Fatalf("token create: exit %d\n%s%s", code, out, errs)
	}
	token := lines[len(lines)-1]
	code, out, _ = run(t, "", environ, "token", "list")
	if code != ExitOK || !strings.Contains(out, "alice") || strings.Contains(out, token) {
		t.Errorf("token list must name the token and never print it:\n%s", out)
	}
	if code, _, errs = run(t, "", environ, "token", "create", "--name", "bob", "--role", "root"); code != ExitBadInput {
		t.Errorf("bad role: exit %d %s", code, errs)
	}

	code, out, errs = run(t, "", environ, "prompt", "Is this command line malicious: vssadmin delete shadows /all /quiet")
	if code != ExitOK || !strings.Contains(out, "scriptanalyzer.AnalyzeCommandLines") || !strings.Contains(out, "malicious") {
		t.Errorf("prompt: exit %d\n%s%s", code, out, errs)
	}
	code, out, _ = run(t, "", environ, "sessions", "list")
	if code != ExitOK || !strings.Contains(out, "vssadmin") {
		t.Errorf("sessions list:\n%s", out)
	}
}
