package cli

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spotter-soc/spotter/internal/copilot"
	"github.com/spotter-soc/spotter/internal/gateway"
	"github.com/spotter-soc/spotter/internal/plugins"
	"github.com/spotter-soc/spotter/internal/server"
	"github.com/spotter-soc/spotter/internal/store"
)

// testServer runs the API over a database of its own with the built-in
// plugins (unconfigured ones cannot run) and returns its URL and an
// analyst token.
func testServer(t *testing.T) (string, string) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "spotter.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	gw := gateway.New(plugins.Registry(plugins.Options{}), nil, gateway.DefaultConfig(), st.Cache(), nil)
	eng := copilot.NewEngine(copilot.NewRepo(st), copilot.GatewayInvoker{GW: gw}, copilot.Options{})
	api, err := server.New(server.Config{Store: st, Engine: eng, Catalog: gw})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(func() {
		srv.Close()
		_ = eng.Close(context.Background())
	})
	_, secret, err := api.Tokens().Create(ctx, "cli", server.RoleAnalyst)
	if err != nil {
		t.Fatal(err)
	}
	return srv.URL, secret
}

var sessionLine = regexp.MustCompile(`session (ses_[0-9a-f]+)`)

func TestRemoteModeMatchesLocal(t *testing.T) {
	url, token := testServer(t)
	remote := []string{"--server", url, "--token", token}
	local := []string{"HOME=" + t.TempDir()}
	remoteEnv := []string{"HOME=" + t.TempDir()} // no local database is used
	const ask = "Is this command line malicious: vssadmin delete shadows /all /quiet"

	code, want, errs := run(t, "", local, "prompt", ask)
	if code != ExitOK {
		t.Fatalf("local prompt: exit %d\n%s", code, errs)
	}
	code, got, errs := run(t, "", remoteEnv, append([]string{"prompt", ask}, remote...)...)
	if code != ExitOK || got != want {
		t.Fatalf("remote prompt: exit %d\n%s\nexpected the local output:\n%s\n%s", code, got, want, errs)
	}
	m := sessionLine.FindStringSubmatch(errs)
	if m == nil {
		t.Fatalf("remote prompt printed no session id: %s", errs)
	}
	sessionID := m[1]

	code, out, _ := run(t, "", remoteEnv, append([]string{"sessions", "list"}, remote...)...)
	if code != ExitOK || !strings.Contains(out, sessionID) || !strings.Contains(out, "vssadmin") {
		t.Errorf("remote sessions list: exit %d\n%s", code, out)
	}
	code, out, _ = run(t, "", remoteEnv, append([]string{"sessions", "show", sessionID}, remote...)...)
	if code != ExitOK || !strings.Contains(out, "## 1. "+ask) || !strings.Contains(out, "scriptanalyzer.AnalyzeCommandLines") {
		t.Errorf("remote sessions show: exit %d\n%s", code, out)
	}
	if code, _, errs = run(t, "", remoteEnv, append([]string{"sessions", "show", "ses_nope"}, remote...)...); code != ExitBadInput {
		t.Errorf("remote unknown session: exit %d %s", code, errs)
	}

	code, wantList, _ := run(t, "", local, "promptbook", "list")
	code2, gotList, _ := run(t, "", remoteEnv, append([]string{"promptbook", "list"}, remote...)...)
	if code != ExitOK || code2 != ExitOK || gotList != wantList || !strings.Contains(gotList, "suspicious-script") {
		t.Errorf("promptbook list: remote\n%s\nlocal\n%s", gotList, wantList)
	}
	code, out, _ = run(t, "", remoteEnv, append([]string{"promptbook", "show", "suspicious-script"}, remote...)...)
	if code != ExitOK || !strings.Contains(out, "Script (required)") {
		t.Errorf("promptbook show: exit %d\n%s", code, out)
	}
	code, out, errs = run(t, "", remoteEnv, append([]string{"promptbook", "run", "suspicious-script", "--input", "Script=vssadmin delete shadows /all /quiet"}, remote...)...)
	if !strings.Contains(out, "scriptanalyzer.AnalyzeCommandLines") || !sessionLine.MatchString(errs) {
		t.Errorf("promptbook run: exit %d\n%s%s", code, out, errs)
	}
	code, _, errs = run(t, "", remoteEnv, append([]string{"promptbook", "run", "suspicious-script"}, remote...)...)
	if code != ExitBadInput || !strings.Contains(errs, "inputs.Script") {
		t.Errorf("promptbook run without its input: exit %d %s", code, errs)
	}
}

func TestRemoteFlagsNeedEachOther(t *testing.T) {
	env := []string{"HOME=" + t.TempDir()}
	if code, _, errs := run(t, "", env, "prompt", "hi", "--server", "http://127.0.0.1:1"); code != ExitBadInput || !strings.Contains(errs, "--token") {
		t.Errorf("--server without --token: exit %d %s", code, errs)
	}
	if code, _, errs := run(t, "", env, "sessions", "list", "--token", "x"); code != ExitBadInput || !strings.Contains(errs, "--server") {
		t.Errorf("--token without --server: exit %d %s", code, errs)
	}
	url, _ := testServer(t)
	if code, _, errs := run(t, "", env, "sessions", "list", "--server", url, "--token", "spt_wrong"); code == ExitOK || !strings.Contains(errs, "401") {
		t.Errorf("a wrong token: exit %d %s", code, errs)
	}
}

func TestPromptbookLocal(t *testing.T) {
	env := []string{"HOME=" + t.TempDir()}
	code, out, errs := run(t, "", env, "promptbook", "run", "suspicious-script", "--input", "Script=vssadmin delete shadows /all /quiet")
	if !strings.Contains(out, "## 1. Analyze this script") || !strings.Contains(out, "scriptanalyzer.AnalyzeCommandLines") {
		t.Errorf("local promptbook run: exit %d\n%s%s", code, out, errs)
	}
	if code, _, errs := run(t, "", env, "promptbook", "show", "nope"); code != ExitBadInput {
		t.Errorf("unknown promptbook: exit %d %s", code, errs)
	}
	if code, _, errs := run(t, "", env, "promptbook", "list", "--promptbooks", filepath.Join(t.TempDir(), "missing")); code == ExitOK {
		t.Errorf("a missing --promptbooks directory was accepted: %s", errs)
	}
}
