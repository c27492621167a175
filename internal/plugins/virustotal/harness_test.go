package virustotal

import (
	"slices"
	"testing"
	"time"

	"github.com/spotter-soc/spotter/internal/plugins/provider/providertest"
	"github.com/spotter-soc/spotter/internal/plugins/virustotal/fake"
	"github.com/spotter-soc/spotter/internal/skill"
)

const testKey = "virustotal-test-key-2b8e41d7"

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
	f := fake.New(testKey, fake.Sample(testNow))
	return newHarnessAt(t, f, providertest.Serve(t, f)+"/api/v3", testKey)
}

func newHarnessAt(t *testing.T, f *fake.Server, base, key string) *harness {
	t.Helper()
	ph := providertest.New(t, Plugin{}, map[string]string{"api_key": key, "base_url": base}, testKey)
	return &harness{Harness: ph, fake: f}
}

// run validates raw inputs like the gateway does, runs the skill and checks
// that neither the result, the error nor the logs contain the key.
func (h *harness) run(id string, raw map[string]any) (*skill.Result, error) {
	h.T.Helper()
	return h.Run(id, raw)
}
