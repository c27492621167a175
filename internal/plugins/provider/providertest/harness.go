// Package providertest is the test harness the threat-intelligence
// plugins' test suites share: it builds a plugin against a fake server,
// runs its skills the way the gateway does and checks that the API key
// never leaks.
package providertest

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/spotter-soc/spotter/internal/skill"
	"github.com/spotter-soc/spotter/internal/skill/skilltest"
)

// Harness runs a plugin's skills against a fake over real HTTP with a
// plain client: the gateway's retries are tested elsewhere.
type Harness struct {
	T testing.TB
	// Env is what the plugin was built with: the settings, a plain HTTP
	// client and a debug logger writing to Logs.
	Env    skill.Env
	Skills map[string]skill.Skill // by id
	Logs   *bytes.Buffer
	// Secret is the key Run checks results, errors and logs for. It may
	// differ from the api_key setting, e.g. when a test configures a wrong key.
	Secret string
}

// New builds plugin p with settings and fails the test if p refuses them.
func New(t testing.TB, p skill.Plugin, settings map[string]string, secret string) *Harness {
	t.Helper()
	logs := &bytes.Buffer{}
	env := skill.Env{
		Settings: settings,
		HTTP:     &http.Client{},
		Log:      slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	list, err := p.New(env)
	if err != nil {
		t.Fatal(err)
	}
	h := &Harness{T: t, Env: env, Skills: map[string]skill.Skill{}, Logs: logs, Secret: secret}
	for _, s := range list {
		h.Skills[s.Spec().ID] = s
	}
	return h
}

// Run validates raw inputs like the gateway does, runs the skill and checks
// that neither the result, the error nor the logs contain the secret. An
// input the validation refuses comes back as its error, without a run.
func (h *Harness) Run(id string, raw map[string]any) (*skill.Result, error) {
	h.T.Helper()
	s, ok := h.Skills[id]
	if !ok {
		h.T.Fatalf("no skill %s", id)
	}
	in, err := s.Spec().Validate(raw)
	if err != nil {
		return nil, err
	}
	res, err := s.Run(context.Background(), in)
	skilltest.NoLeak(h.T, []string{h.Secret}, res, err, h.Logs.Bytes())
	return res, err
}

// Serve serves handler (a fake) on a test server that closes when the test
// ends, and returns the server's URL.
func Serve(t testing.TB, handler http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	return srv.URL
}

// ProviderError asserts that err is a *skill.ProviderError and returns it.
func ProviderError(t testing.TB, err error) *skill.ProviderError {
	t.Helper()
	var pe *skill.ProviderError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T): want a *skill.ProviderError", err, err)
	}
	return pe
}
