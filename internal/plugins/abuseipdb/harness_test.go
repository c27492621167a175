package abuseipdb

import (
	"slices"
	"testing"
	"time"

	"github.com/spotter-soc/spotter/internal/plugins/abuseipdb/fake"
	"github.com/spotter-soc/spotter/internal/plugins/provider/providertest"
	"github.com/spotter-soc/spotter/internal/skill"
)

const testKey = "abuseipdb-test-key-7f3a9c"

// testNow is the fake's clock, so that report ages are stable.
var testNow = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// The shared assertions, under the names the tests use.
var (
	providerError = providertest.ProviderError
	contains      = slices.Contains[[]string]
)

// harness runs the plugin's skills against the fake (see
// providertest.Harness); client lets a test drive the wire format directly.
type harness struct {
	*providertest.Harness
	fake   *fake.Server
	skills map[string]skill.Skill
	client *client
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	f := fake.New(testKey, fake.Sample(testNow))
	f.SetClock(func() time.Time { return testNow })
	return newHarnessAt(t, f, providertest.Serve(t, f)+"/api/v2", testKey)
}

func newHarnessAt(t *testing.T, f *fake.Server, base, key string) *harness {
	t.Helper()
	ph := providertest.New(t, Plugin{}, map[string]string{"api_key": key, "base_url": base}, testKey)
	c, err := newClient(ph.Env)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{Harness: ph, fake: f, skills: ph.Skills, client: c}
}

// run validates raw inputs like the gateway does, runs the skill and checks
// that neither the result, the error nor the logs contain the key.
func (h *harness) run(id string, raw map[string]any) (*skill.Result, error) {
	h.T.Helper()
	return h.Run(id, raw)
}
