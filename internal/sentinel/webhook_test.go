package sentinel

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/spotter-soc/spotter/internal/config"
	"github.com/spotter-soc/spotter/internal/incident"
	"github.com/spotter-soc/spotter/internal/skill/skilltest"
)

const hookSecret = "hook~Secret.4f8a2c9e7b1d3f5a"

func newTestWebhook(t *testing.T, st *recordingStarter, logs *bytes.Buffer) *Webhook {
	t.Helper()
	wh, err := NewWebhook(WebhookOptions{
		Hooks: []config.SentinelHook{
			{Name: "default", Secret: hookSecret, Inputs: map[string]any{"post_to_incident": true}},
			{Name: "phishing", Secret: hookSecret + "-phish", Playbook: "phishing-triage"},
		},
		Starter: st, Inputs: map[string]any{"set_active": true, "post_to_incident": false},
		Log: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	return wh
}

func deliver(h http.Handler, method, target, secret string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, bytes.NewReader(body))
	if secret != "" {
		req.Header.Set(HookSecretHeader, secret)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestWebhook(t *testing.T) {
	payload, err := os.ReadFile("testdata/trigger.json")
	if err != nil {
		t.Fatal(err)
	}
	updated := bytes.Replace(payload, []byte(`"lastModifiedTimeUtc": "2025-03-01T10:00:05.1234567Z"`), []byte(`"lastModifiedTimeUtc": "2025-03-01T10:07:00Z"`), 1)
	updated = bytes.Replace(updated, []byte(`"objectEventType": "Create"`), []byte(`"objectEventType": "Update"`), 1)
	st := &recordingStarter{}
	var logs bytes.Buffer
	wh := newTestWebhook(t, st, &logs)
	type step struct {
		name, method, target, secret string
		body                         []byte
		status                       int
		want                         string // in the response body
		runs                         int    // runs started so far
	}
	for _, s := range []step{
		{"no secret", "POST", HookPath, "", payload, 401, "wrong secret", 0},
		{"bad secret", "POST", HookPath, "nope-nope-nope-nope", payload, 401, "wrong secret", 0},
		{"other hook's secret", "POST", HookPath, hookSecret + "-phish", payload, 401, "wrong secret", 0},
		{"unknown hook", "POST", HookPath + "/nosuch", hookSecret, payload, 401, "wrong secret", 0},
		{"GET", "GET", HookPath, hookSecret, nil, 405, "expected POST", 0},
		{"not JSON", "POST", HookPath, hookSecret, []byte(`{"object":`), 400, "", 0},
		{"no title", "POST", HookPath, hookSecret, []byte(`{"object":{"name":"x","properties":{}}}`), 400, `"field":"$.object.properties.title"`, 0},
		{"not a trigger", "POST", HookPath, hookSecret, []byte(`{"incident":{"properties":{"title":"t"}}}`), 400, `"field":"$.object"`, 0},
		{"no lastModified", "POST", HookPath, hookSecret, []byte(`{"object":{"id":"/subscriptions/s/resourceGroups/r/providers/Microsoft.OperationalInsights/workspaces/w/providers/Microsoft.SecurityInsights/Incidents/abc","name":"abc","properties":{"title":"t"}}}`),
			400, `"field":"$.object.properties.lastModifiedTimeUtc"`, 0},
		{"delivery", "POST", HookPath, hookSecret, payload, 202, `"duplicate":false`, 1},
		{"repeated delivery", "POST", HookPath, hookSecret, payload, 202, `"run_id":"run-001","duplicate":true`, 1},
		{"secret as ?code=", "POST", HookPath + "?code=" + hookSecret, "", payload, 202, `"duplicate":true`, 1},
		{"new revision", "POST", HookPath + "/default", hookSecret, updated, 202, `"run_id":"run-002"`, 2},
		{"named hook", "POST", HookPath + "/phishing", hookSecret + "-phish", payload, 202, `"run_id":"run-003"`, 3},
	} {
		rec := deliver(wh, s.method, s.target, s.secret, s.body)
		if rec.Code != s.status || !strings.Contains(rec.Body.String(), s.want) {
			t.Errorf("%s: %d %s, want %d with %s", s.name, rec.Code, rec.Body.String(), s.status, s.want)
		}
		if n := len(st.started()); n != s.runs {
			t.Errorf("%s: %d runs started, want %d", s.name, n, s.runs)
		}
		skilltest.NoLeak(t, []string{hookSecret}, rec.Body.String())
	}
	reqs := st.started()
	first := reqs[0]
	if first.Playbook != DefaultPlaybook || first.Trigger != "incident" || first.Event != "created" || first.Origin != "sentinel-hook:default" ||
		first.Inputs["post_to_incident"] != true || first.Inputs["set_active"] != true {
		t.Errorf("start request: %+v", first)
	}
	if _, err := incident.Parse(first.Incident); err != nil {
		t.Errorf("the run's incident does not parse: %v", err)
	}
	if reqs[1].Event != "updated" || reqs[1].Key == first.Key || reqs[2].Playbook != "phishing-triage" {
		t.Errorf("revision and named hook: %+v / %+v", reqs[1], reqs[2])
	}
	wantKey := "sentinel/d0cfe6b2-0000-4000-8000-000000005ub1/rg-siem/law-sentinel/63883bf7-0000-4000-8000-000000000009/2025-03-01T10:00:05.1234567Z/incident-enrichment"
	if first.Key != wantKey {
		t.Errorf("key %s\nwant %s", first.Key, wantKey)
	}
	skilltest.NoLeak(t, []string{hookSecret}, logs.String(), reqs)
}

func TestWebhookStarterFailure(t *testing.T) {
	payload, _ := os.ReadFile("testdata/trigger.json")
	st := &recordingStarter{fail: errors.New("database is locked")}
	var logs bytes.Buffer
	rec := deliver(newTestWebhook(t, st, &logs), "POST", HookPath, hookSecret, payload)
	if rec.Code != http.StatusServiceUnavailable || strings.Contains(rec.Body.String(), "locked") {
		t.Errorf("%d %s", rec.Code, rec.Body.String())
	}
}

func TestWebhookRefusesHugeDeliveries(t *testing.T) {
	st := &recordingStarter{}
	wh, _ := NewWebhook(WebhookOptions{Hooks: []config.SentinelHook{{Name: "default", Secret: hookSecret}}, Starter: st, MaxBytes: 1024})
	rec := deliver(wh, "POST", HookPath, hookSecret, bytes.Repeat([]byte(" "), 4096))
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("%d", rec.Code)
	}
}

// FuzzDelivery: arbitrary bodies never panic, and an accepted delivery has
// a key and an incident that parses.
func FuzzDelivery(f *testing.F) {
	payload, _ := os.ReadFile("testdata/trigger.json")
	f.Add(payload)
	f.Add([]byte(`{"object":{"name":"a","id":"/x","properties":{"title":"t","lastModifiedTimeUtc":"z"}},"workspaceInfo":{"SubscriptionId":"s","WorkspaceName":"w"}}`))
	f.Add([]byte(`{"object":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, field, err := Delivery(body)
		if err != nil {
			if field == "" {
				t.Fatalf("error without a field: %v", err)
			}
			return
		}
		if req.Key == "" || !json.Valid(req.Incident) {
			t.Fatalf("accepted without key or valid incident: %+v", req)
		}
	})
}

type memWrites map[string]bool

func (m memWrites) Record(_ context.Context, rev string) error { m[rev] = true; return nil }
func (m memWrites) Written(_ context.Context, rev string) (bool, error) {
	return m[rev], nil
}

func TestWebhookIgnoresOwnWrites(t *testing.T) {
	payload, _ := os.ReadFile("testdata/trigger.json")
	update := bytes.Replace(payload, []byte(`"objectEventType": "Create"`), []byte(`"objectEventType": "Update"`), 1)
	writes := memWrites{}
	req, _, err := Delivery(update)
	if err != nil {
		t.Fatal(err)
	}
	_ = writes.Record(context.Background(), req.Key)
	st := &recordingStarter{}
	wh, _ := NewWebhook(WebhookOptions{Hooks: []config.SentinelHook{{Name: "default", Secret: hookSecret}}, Starter: st, Writes: writes})
	rec := deliver(wh, "POST", HookPath, hookSecret, update)
	if rec.Code != http.StatusAccepted || !strings.Contains(rec.Body.String(), `"ignored"`) || len(st.started()) != 0 {
		t.Errorf("own update: %d %s", rec.Code, rec.Body.String())
	}
	// The creation of the same revision still runs: only updates are skipped.
	if rec := deliver(wh, "POST", HookPath, hookSecret, payload); rec.Code != http.StatusAccepted || len(st.started()) != 1 {
		t.Errorf("create: %d %s", rec.Code, rec.Body.String())
	}
}
