package plugins

import "testing"

// Every built-in plugin registers without id or alias collisions, and every
// skill declaration is valid (MustRegister panics otherwise).
func TestRegistry(t *testing.T) {
	r := Registry(Options{})
	if len(r.Plugins()) < 8 {
		t.Errorf("plugins: %d", len(r.Plugins()))
	}
	for _, alias := range []string{"GetReputationsForIndicators", "GetEntraUserDetailsV1", "GetEntraRiskyUsers", "GetIntuneDevices"} {
		if _, err := r.Lookup(alias); err != nil {
			t.Errorf("alias %s: %v", alias, err)
		}
	}
	for _, s := range r.Specs() {
		if s.Name == "" || len(s.Examples) == 0 {
			t.Errorf("%s: a display name and example prompts are expected", s.ID)
		}
	}
}
