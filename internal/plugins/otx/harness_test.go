package otx

import (
	"slices"
	"testing"
	"time"

	"github.com/spotter-soc/spotter/internal/plugins/otx/fake"
	"github.com/spotter-soc/spotter/internal/plugins/provider/providertest"
	"github.com/spotter-soc/spotter/internal/skill"
)

const testKey = "otx-test-key-93f0a7b2c4d6"

var testNow = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// The shared assertions, under the names the tests use.
var (
	providerError = providertest.ProviderError
	contains      = slices.Contains[[]string]
)

// harness runs the skill against the fake; see providertest.Harness.
type harness struct {
	*providertest.Harness
	fake *fake.Server
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	return newHarnessKeys(t, testKey, testKey)
}

// newHarnessKeys serves a fake that accepts serverKey to a plugin configured with key.
func newHarnessKeys(t *testing.T, serverKey, key string) *harness {
	t.Helper()
	f := fake.New(serverKey, fake.Sample(testNow))
	settings := map[string]string{"api_key": key, "base_url": providertest.Serve(t, f) + "/api/v1"}
	return &harness{Harness: providertest.New(t, Plugin{}, settings, testKey), fake: f}
}

// run validates the input like the gateway does, runs the skill and checks
// that neither the result, the error nor the logs contain the key.
func (h *harness) run(indicator string) (*skill.Result, error) {
	h.T.Helper()
	return h.Run(IndicatorReputationID, map[string]any{"indicator": indicator})
}
