package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spotter-soc/spotter/internal/copilot"
	"github.com/spotter-soc/spotter/internal/gateway"
	"github.com/spotter-soc/spotter/internal/skill"
	"github.com/spotter-soc/spotter/internal/store"
	"github.com/spotter-soc/spotter/internal/store/storetest"
)

// fakePlugin is a provider with two skills and no network.
type fakePlugin struct{ runs *atomic.Int64 }

func (fakePlugin) Info() skill.PluginInfo {
	return skill.PluginInfo{Name: "fakeintel", Description: "Test intelligence", Skills: []skill.Spec{
		{ID: "fakeintel.IPReputation", Name: "IP reputation", Description: "Checks the reputation of a public IP address.",
			Examples: []string{"Is 185.220.101.47 malicious?"}, Enriches: []string{"ip"}, IndicatorInput: "ip",
			Inputs: []skill.Input{{Name: "ip", Type: skill.TypeString, Required: true, Format: skill.FormatIndicator, Description: "public IP address"},
				{Name: "days", Type: skill.TypeInteger, Min: ptr(1), Max: ptr(365), Description: "days of history"}}},
		{ID: "fakeintel.UserRisk", Name: "User risk", Description: "Reads the risk level of users.",
			Enriches: []string{"account"}, IndicatorInput: "users",
			Inputs: []skill.Input{{Name: "users", Type: skill.TypeStringList, Required: true, Max: ptr(20), Description: "user principal names"}}},
	}}
}

func ptr(n int) *int { return &n }

func (p fakePlugin) New(env skill.Env) ([]skill.Skill, error) {
	info := p.Info()
	run := func(ctx context.Context, in skill.Inputs) (*skill.Result, error) {
		p.runs.Add(1)
		ind := in.String("ip")
		return &skill.Result{Data: map[string]any{"ip": ind}, Summary: "Reputation of " + ind + ": bad.", Links: []string{"https://intel.example/" + ind},
			Findings: []skill.Finding{{Indicator: ind, Type: "ip", Level: skill.Malicious, Score: 95, Source: "fakeintel", Summary: "reported 12 times"}}}, nil
	}
	return []skill.Skill{skill.Func{S: info.Skills[0], F: run}, skill.Func{S: info.Skills[1], F: func(ctx context.Context, in skill.Inputs) (*skill.Result, error) {
		return &skill.Result{Summary: "low risk"}, nil
	}}}, nil
}

// harness is a running API over a fresh database with a token per role.
type harness struct {
	t      testing.TB
	srv    *httptest.Server
	api    *Server
	tokens map[Role]string
	runs   *atomic.Int64
}

// openStore opens a migrated store: SQLite in a temporary directory when
// dsn is empty, else the database dsn names.
func openStore(t testing.TB, dsn string) *store.Store {
	t.Helper()
	ctx := context.Background()
	if dsn == "" {
		dsn = filepath.Join(t.TempDir(), "spotter.db")
	}
	st, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func newHarness(t testing.TB, dsn string, opts copilot.Options) *harness {
	t.Helper()
	st := openStore(t, dsn)
	runs := &atomic.Int64{}
	reg := skill.NewRegistry()
	reg.MustRegister(fakePlugin{runs: runs})
	gw := gateway.New(reg, nil, gateway.DefaultConfig(), st.Cache(), nil)
	eng := copilot.NewEngine(copilot.NewRepo(st), copilot.GatewayInvoker{GW: gw}, opts)
	api, err := New(Config{Store: st, Engine: eng, Catalog: gw, MaxWait: 30 * time.Second,
		Settings: func() map[string]any {
			return map[string]any{"plugins": map[string]any{"x": map[string]any{"api_key": "<secret>"}}}
		}})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, srv: httptest.NewServer(api.Handler()), api: api, tokens: map[Role]string{}, runs: runs}
	t.Cleanup(func() {
		h.srv.Close()
		_ = eng.Close(context.Background())
	})
	for _, r := range []Role{RoleViewer, RoleAnalyst, RoleAdmin} {
		_, secret, err := api.Tokens().Create(context.Background(), string(r)+"-user", r)
		if err != nil {
			t.Fatal(err)
		}
		h.tokens[r] = secret
	}
	return h
}

// eachDialect runs f on SQLite and, when configured, PostgreSQL.
func eachDialect(t *testing.T, f func(t *testing.T, h *harness)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		f(t, newHarness(t, "", copilot.Options{}))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		f(t, newHarness(t, storetest.PostgresURL(t), copilot.Options{}))
	})
}

// do sends a request with an optional token and JSON body and decodes a
// JSON answer into out when it is not nil; transport errors fail the test.
func (h *harness) do(method, path, token string, body any, out any) int {
	h.t.Helper()
	code, err := h.send(method, path, token, body, out)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	return code
}

// doQuiet is do for goroutines other than the test's: a transport error
// gives status 0.
func (h *harness) doQuiet(method, path, token string, body any, out any) int {
	code, _ := h.send(method, path, token, body, out)
	return code
}

func (h *harness) send(method, path, token string, body any, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, h.srv.URL+path, rd)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("decoding %q: %w", data, err)
		}
	}
	return resp.StatusCode, nil
}

// newSession creates a session as the analyst and returns its id.
func (h *harness) newSession() string {
	h.t.Helper()
	var s copilot.Session
	if code := h.do("POST", "/api/v1/sessions", h.tokens[RoleAnalyst], map[string]any{"name": "case"}, &s); code != http.StatusCreated {
		h.t.Fatalf("creating a session: status %d", code)
	}
	return s.ID
}

// submit posts a prompt as the analyst with ?wait=10s.
func (h *harness) submit(sessionID string, req copilot.PromptRequest) (SubmitResult, int) {
	h.t.Helper()
	var out SubmitResult
	code := h.do("POST", "/api/v1/sessions/"+sessionID+"/prompts?wait=10s", h.tokens[RoleAnalyst], req, &out)
	return out, code
}
