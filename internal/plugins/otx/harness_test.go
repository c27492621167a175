package otx

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/spotter-soc/spotter/internal/plugins/otx/fake"
	"github.com/spotter-soc/spotter/internal/skill"
	"github.com/spotter-soc/spotter/internal/skill/skilltest"
)

const testKey = "otx-test-key-93f0a7b2c4d6"

var testNow = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// harness runs the skill against the fake over real HTTP with a plain
// client: the gateway's retries are tested elsewhere.
type harness struct {
	t     *testing.T
	fake  *fake.Server
	skill skill.Skill
	logs  *bytes.Buffer
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	return newHarnessKeys(t, testKey, testKey)
}

func newHarnessKeys(t *testing.T, serverKey, key string) *harness {
	t.Helper()
	f := fake.New(serverKey, fake.Sample(testNow))
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	logs := &bytes.Buffer{}
	list, err := Plugin{}.New(skill.Env{
		Settings: map[string]string{"api_key": key, "base_url": srv.URL + "/api/v1"},
		HTTP:     &http.Client{},
		Log:      slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, fake: f, skill: list[0], logs: logs}
}

// run validates the input like the gateway does, runs the skill and checks
// that neither the result, the error nor the logs contain the key.
func (h *harness) run(indicator string) (*skill.Result, error) {
	h.t.Helper()
	in, err := h.skill.Spec().Validate(map[string]any{"indicator": indicator})
	if err != nil {
		return nil, err
	}
	res, err := h.skill.Run(context.Background(), in)
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
