package abuseipdb

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/spotter-soc/spotter/internal/plugins/abuseipdb/fake"
	"github.com/spotter-soc/spotter/internal/skill"
	"github.com/spotter-soc/spotter/internal/skill/skilltest"
)

const testKey = "abuseipdb-test-key-7f3a9c"

// testNow is the fake's clock, so that report ages are stable.
var testNow = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// harness runs the plugin's skills against the fake over real HTTP, with a
// plain client: the gateway's retries are tested elsewhere.
type harness struct {
	t      *testing.T
	fake   *fake.Server
	url    string
	skills map[string]skill.Skill
	client *client
	logs   *bytes.Buffer
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	f := fake.New(testKey, fake.Sample(testNow))
	f.SetClock(func() time.Time { return testNow })
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return newHarnessAt(t, f, srv.URL+"/api/v2", testKey)
}

func newHarnessAt(t *testing.T, f *fake.Server, base, key string) *harness {
	t.Helper()
	logs := &bytes.Buffer{}
	env := skill.Env{
		Settings: map[string]string{"api_key": key, "base_url": base},
		HTTP:     &http.Client{},
		Log:      slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	list, err := Plugin{}.New(env)
	if err != nil {
		t.Fatal(err)
	}
	c, err := newClient(env)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, fake: f, url: base, skills: map[string]skill.Skill{}, client: c, logs: logs}
	for _, s := range list {
		h.skills[s.Spec().ID] = s
	}
	return h
}

// run validates raw inputs like the gateway does, runs the skill and checks
// that neither the result, the error nor the logs contain the key.
func (h *harness) run(id string, raw map[string]any) (*skill.Result, error) {
	h.t.Helper()
	s, ok := h.skills[id]
	if !ok {
		h.t.Fatalf("no skill %s", id)
	}
	in, err := s.Spec().Validate(raw)
	if err != nil {
		return nil, err
	}
	res, err := s.Run(context.Background(), in)
	skilltest.NoLeak(h.t, []string{testKey}, res, err, h.logs.Bytes())
	return res, err
}

// providerError asserts that err is a *skill.ProviderError and returns it.
func providerError(t *testing.T, err error) *skill.ProviderError {
	t.Helper()
	var pe *skill.ProviderError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T): want a *skill.ProviderError", err, err)
	}
	return pe
}
