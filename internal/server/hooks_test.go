package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/spotter-soc/spotter/internal/config"
	"github.com/spotter-soc/spotter/internal/copilot"
	"github.com/spotter-soc/spotter/internal/gateway"
	"github.com/spotter-soc/spotter/internal/runs"
	"github.com/spotter-soc/spotter/internal/sentinel"
	"github.com/spotter-soc/spotter/internal/skill"
)

type countingStarter struct{ keys map[string]string }

func (s *countingStarter) Start(_ context.Context, req runs.StartRequest) (string, bool, error) {
	if id, ok := s.keys[req.Key]; ok {
		return id, true, nil
	}
	id := "run-" + string(rune('a'+len(s.keys)))
	s.keys[req.Key] = id
	return id, false, nil
}

// TestSentinelHookRoute: the hook is served beside the API, answers 202
// with the run id without an API token, and the API still needs one.
func TestSentinelHookRoute(t *testing.T) {
	st := openStore(t, "")
	gw := gateway.New(skill.NewRegistry(), nil, gateway.DefaultConfig(), st.Cache(), nil)
	eng := copilot.NewEngine(copilot.NewRepo(st), copilot.GatewayInvoker{GW: gw}, copilot.Options{})
	defer eng.Close(context.Background())
	starter := &countingStarter{keys: map[string]string{}}
	const secret = "route~Hook.Secret-7a9c2e4f"
	wh, err := sentinel.NewWebhook(sentinel.WebhookOptions{Hooks: []config.SentinelHook{{Name: "default", Secret: secret}}, Starter: starter})
	if err != nil {
		t.Fatal(err)
	}
	api, err := New(Config{Store: st, Engine: eng, Catalog: gw, MaxWait: time.Second, Hooks: wh})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.Handler())
	defer srv.Close()
	payload, err := os.ReadFile("../sentinel/testdata/trigger.json")
	if err != nil {
		t.Fatal(err)
	}
	post := func(code string) (*http.Response, map[string]any) {
		resp, err := http.Post(srv.URL+"/api/v1/hooks/sentinel?code="+code, "application/json", strings.NewReader(string(payload)))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return resp, body
	}
	if resp, _ := post("wrong-wrong-wrong"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("bad secret: %d", resp.StatusCode)
	}
	resp, body := post(secret)
	if resp.StatusCode != http.StatusAccepted || body["run_id"] != "run-a" || body["duplicate"] != false {
		t.Errorf("delivery: %d %v", resp.StatusCode, body)
	}
	resp, body = post(secret)
	if resp.StatusCode != http.StatusAccepted || body["run_id"] != "run-a" || body["duplicate"] != true || len(starter.keys) != 1 {
		t.Errorf("repeated delivery: %d %v", resp.StatusCode, body)
	}
	if r, err := http.Get(srv.URL + "/healthz"); err != nil || r.StatusCode != http.StatusOK {
		t.Errorf("healthz: %v %v", r, err)
	}
	if r, err := http.Get(srv.URL + "/skills"); err != nil || r.StatusCode != http.StatusUnauthorized {
		t.Errorf("the API without a token: %v %v", r.StatusCode, err)
	}
}
