package abusech

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/spotter-soc/spotter/internal/plugins/abusech/fake"
	"github.com/spotter-soc/spotter/internal/skill"
	"github.com/spotter-soc/spotter/internal/skill/skilltest"
)

const testKey = "abusech-test-key-5c1d9e0a"

var testNow = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// harness runs the plugin's skills against the fake over real HTTP with a
// plain client: the gateway's retries are tested elsewhere.
type harness struct {
	t      *testing.T
	fake   *fake.Server
	skills map[string]skill.Skill
	logs   *bytes.Buffer
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	return newHarnessKeys(t, testKey, testKey)
}

// newHarnessKeys serves a fake that accepts serverKey to a plugin configured with key.
func newHarnessKeys(t *testing.T, serverKey, key string) *harness {
	t.Helper()
	f := fake.New(serverKey, fake.Sample(testNow))
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	settings := fake.Settings(srv.URL)
	settings["api_key"] = key
	logs := &bytes.Buffer{}
	list, err := Plugin{}.New(skill.Env{
		Settings: settings,
		HTTP:     &http.Client{},
		Log:      slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, fake: f, skills: map[string]skill.Skill{}, logs: logs}
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

func providerError(t *testing.T, err error) *skill.ProviderError {
	t.Helper()
	var pe *skill.ProviderError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T): want a *skill.ProviderError", err, err)
	}
	return pe
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
