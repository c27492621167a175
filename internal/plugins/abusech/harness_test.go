package abusech

import (
	"slices"
	"testing"
	"time"

	"github.com/spotter-soc/spotter/internal/plugins/abusech/fake"
	"github.com/spotter-soc/spotter/internal/plugins/provider/providertest"
	"github.com/spotter-soc/spotter/internal/skill"
)

const testKey = "abusech-test-key-5c1d9e0a"

var testNow = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// The shared assertions, under the names the tests use.
var (
	providerError = providertest.ProviderError
	contains      = slices.Contains[[]string]
)

// harness runs the plugin's skills against the fake; see providertest.Harness.
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
	settings := fake.Settings(providertest.Serve(t, f))
	settings["api_key"] = key
	return &harness{Harness: providertest.New(t, Plugin{}, settings, testKey), fake: f}
}

// run validates raw inputs like the gateway does, runs the skill and checks
// that neither the result, the error nor the logs contain the key.
func (h *harness) run(id string, raw map[string]any) (*skill.Result, error) {
	h.T.Helper()
	return h.Run(id, raw)
}
