package server

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spotter-soc/spotter/internal/copilot"
	"github.com/spotter-soc/spotter/internal/gateway"
	"github.com/spotter-soc/spotter/internal/runs"
	"github.com/spotter-soc/spotter/internal/skill"
)

const runsPlaybook = `name: check-ip
triggers:
  - manual: {}
inputs:
  ip: {type: string, required: true}
steps:
  - id: rep
    call: fakeintel.IPReputation
    with: {ip: inputs.ip}
outputs:
  checked: inputs.ip
`

// newRunsHarness is a harness whose server also has a run engine.
func newRunsHarness(t *testing.T) *harness {
	t.Helper()
	dir := t.TempDir()
	st := openStore(t, "")
	counter := &atomic.Int64{}
	reg := skill.NewRegistry()
	reg.MustRegister(fakePlugin{runs: counter})
	gw := gateway.New(reg, nil, gateway.DefaultConfig(), st.Cache(), nil)
	eng := copilot.NewEngine(copilot.NewRepo(st), copilot.GatewayInvoker{GW: gw}, copilot.Options{})
	re, err := runs.New(context.Background(), runs.Options{Store: st, DataDir: dir, PollInterval: 20 * time.Millisecond,
		Env: runs.Env{Invoker: copilot.GatewayInvoker{GW: gw}}})
	if err != nil {
		t.Fatal(err)
	}
	api, err := New(Config{Store: st, Engine: eng, Catalog: gw, Runs: re, Metrics: gw.Metrics})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, srv: httptest.NewServer(api.Handler()), api: api, tokens: map[Role]string{}, runs: counter}
	t.Cleanup(func() {
		h.srv.Close()
		re.Close(5 * time.Second)
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

func TestRunsAPI(t *testing.T) {
	h := newRunsHarness(t)
	start := map[string]any{"playbook": "check-ip", "source": runsPlaybook, "inputs": map[string]any{"ip": "185.220.101.47"}, "key": "api-test-1"}
	var started StartedRun
	if code := h.do("POST", "/api/v1/runs", h.tokens[RoleAnalyst], start, &started); code != http.StatusAccepted || started.ID == "" || started.Existed {
		t.Fatalf("start: %d %+v", code, started)
	}
	var again StartedRun
	if code := h.do("POST", "/api/v1/runs", h.tokens[RoleAnalyst], start, &again); code != http.StatusAccepted || again.ID != started.ID || !again.Existed {
		t.Fatalf("repeated start: %d %+v", code, again)
	}
	var run runs.Run
	deadline := time.Now().Add(30 * time.Second)
	for {
		if code := h.do("GET", "/api/v1/runs/"+started.ID, h.tokens[RoleViewer], nil, &run); code != 200 {
			t.Fatalf("get: %d", code)
		}
		if run.Status == runs.StatusSucceeded || run.Status == runs.StatusFailed || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if run.Status != runs.StatusSucceeded || string(run.Outputs) != `{"checked":"185.220.101.47"}` || len(run.Effects) != 2 {
		t.Fatalf("run %+v", run)
	}
	if h.runs.Load() != 1 {
		t.Errorf("the skill ran %d times", h.runs.Load())
	}
	var list struct{ Runs []runs.Run }
	if code := h.do("GET", "/api/v1/runs?status=succeeded", h.tokens[RoleViewer], nil, &list); code != 200 || len(list.Runs) != 1 {
		t.Errorf("list: %d %d", code, len(list.Runs))
	}
	if code := h.do("POST", "/api/v1/runs/"+started.ID+"/cancel", h.tokens[RoleAnalyst], nil, nil); code != http.StatusConflict {
		t.Errorf("cancelling a finished run: %d", code)
	}
	if code := h.do("GET", "/api/v1/runs/nope", h.tokens[RoleViewer], nil, nil); code != http.StatusNotFound {
		t.Errorf("unknown run: %d", code)
	}
	bad := map[string]any{"playbook": "check-ip", "source": runsPlaybook}
	if code := h.do("POST", "/api/v1/runs", h.tokens[RoleAnalyst], bad, nil); code != http.StatusUnprocessableEntity {
		t.Errorf("missing input: %d", code)
	}
	// Roles: viewers read, analysts start and cancel.
	for _, c := range []struct {
		method, path string
		body         any
		least        Role
	}{
		{"GET", "/api/v1/runs", nil, RoleViewer},
		{"GET", "/api/v1/runs/" + started.ID, nil, RoleViewer},
		{"POST", "/api/v1/runs", start, RoleAnalyst},
		{"POST", "/api/v1/runs/" + started.ID + "/cancel", nil, RoleAnalyst},
	} {
		if code := h.do(c.method, c.path, "", c.body, nil); code != http.StatusUnauthorized {
			t.Errorf("%s %s without a token: %d", c.method, c.path, code)
		}
		for _, r := range []Role{RoleViewer, RoleAnalyst, RoleAdmin} {
			code := h.do(c.method, c.path, h.tokens[r], c.body, nil)
			if allowed := r.Allows(c.least); allowed == (code == http.StatusForbidden) {
				t.Errorf("%s %s as %s: %d", c.method, c.path, r, code)
			}
		}
	}
}

func TestMetrics(t *testing.T) {
	h := newRunsHarness(t)
	start := map[string]any{"playbook": "check-ip", "source": runsPlaybook, "inputs": map[string]any{"ip": "185.220.101.47"}}
	var started StartedRun
	if code := h.do("POST", "/api/v1/runs", h.tokens[RoleAnalyst], start, &started); code != http.StatusAccepted {
		t.Fatalf("start: %d", code)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var run runs.Run
		h.do("GET", "/api/v1/runs/"+started.ID, h.tokens[RoleViewer], nil, &run)
		if run.Status == runs.StatusSucceeded || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	get := func(token string) (int, string) {
		req, _ := http.NewRequest("GET", h.srv.URL+MetricsPath, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := h.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(data)
	}
	if code, _ := get(""); code != http.StatusUnauthorized {
		t.Errorf("/metrics without a token: %d", code)
	}
	code, body := get(h.tokens[RoleViewer])
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	for _, want := range []string{
		`spotter_provider_cache_misses_total{provider="fakeintel"} 1`,
		`spotter_playbook_runs{status="succeeded"} 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, body)
		}
	}
	var js struct {
		Providers []struct {
			Provider string
			Calls    int64
		}
		Runs map[string]int
	}
	if code := h.do("GET", "/api/v1/metrics", h.tokens[RoleViewer], nil, &js); code != 200 || len(js.Providers) == 0 || js.Runs["succeeded"] != 1 {
		t.Errorf("/api/v1/metrics: %d %+v", code, js)
	}
}
