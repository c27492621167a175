package entra_test

import (
	"testing"
	"time"

	"github.com/spotter-soc/spotter/internal/azure"
	"github.com/spotter-soc/spotter/internal/plugins/entra"
	"github.com/spotter-soc/spotter/internal/plugins/intune"
	"github.com/spotter-soc/spotter/internal/plugins/mdti"
	"github.com/spotter-soc/spotter/internal/skill"
)

// The three Graph plugins share settings and an app registration; they must
// still register side by side, and each declaration must be complete.
func TestGraphPluginsRegisterTogether(t *testing.T) {
	reg := skill.NewRegistry()
	for _, p := range []skill.Plugin{entra.New(), intune.New(), mdti.New()} {
		if err := reg.Register(p); err != nil {
			t.Fatalf("%s: %v", p.Info().Name, err)
		}
	}
	want := map[string]struct {
		alias, indicator string
		enriches         []string
		section          string
		ttl              time.Duration
	}{
		"entra.GetUserDetails":     {"GetEntraUserDetailsV1", "user", []string{"account"}, "accounts", 15 * time.Minute},
		"entra.GetRiskyUsers":      {"GetEntraRiskyUsers", "users", []string{"account"}, "user_risk", 15 * time.Minute},
		"intune.GetManagedDevices": {"GetIntuneDevices", "device", []string{"host"}, "devices", time.Hour},
		"mdti.HostReputation":      {"", "host", []string{"ip", "domain"}, "indicators", 6 * time.Hour},
	}
	specs := reg.Specs()
	if len(specs) != len(want) {
		t.Fatalf("%d skills registered", len(specs))
	}
	for _, s := range specs {
		w, ok := want[s.ID]
		if !ok {
			t.Errorf("unexpected skill %s", s.ID)
			continue
		}
		if err := s.Check(); err != nil {
			t.Error(err)
		}
		if s.Name == "" || s.ModelDescription == "" || len(s.Examples) < 2 || len(s.Examples) > 3 {
			t.Errorf("%s: name, model description or examples missing", s.ID)
		}
		for _, in := range s.Inputs {
			if in.Description == "" {
				t.Errorf("%s: input %s has no description", s.ID, in.Name)
			}
		}
		if w.alias != "" {
			if got, err := reg.Lookup(w.alias); err != nil || got.ID != s.ID {
				t.Errorf("alias %s: %v %v", w.alias, got.ID, err)
			}
		}
		if s.IndicatorInput != w.indicator || s.Section != w.section || s.CacheTTL != w.ttl || len(s.Enriches) != len(w.enriches) {
			t.Errorf("%s: indicator %q section %q ttl %v enriches %v", s.ID, s.IndicatorInput, s.Section, s.CacheTTL, s.Enriches)
		}
	}
	if in, _ := mustSpec(t, reg, "entra.GetRiskyUsers").Input("users"); in.Max == nil || *in.Max != 20 {
		t.Errorf("GetRiskyUsers batch size: %v", in.Max)
	}

	secret := map[string]bool{"client_secret": true, "certificate_password": true}
	for _, info := range reg.Plugins() {
		if info.Optional != (info.Name == "mdti") {
			t.Errorf("%s: optional = %v", info.Name, info.Optional)
		}
		if info.Limits.PerSecond <= 0 || info.Limits.Burst <= 0 || info.Limits.Concurrency <= 0 {
			t.Errorf("%s: limits %+v", info.Name, info.Limits)
		}
		if len(info.Settings) != len(azure.Settings()) {
			t.Errorf("%s: %d settings", info.Name, len(info.Settings))
		}
		for _, s := range info.Settings {
			if s.Secret != secret[s.Name] || s.Description == "" {
				t.Errorf("%s.%s: secret=%v", info.Name, s.Name, s.Secret)
			}
		}
	}
}

func mustSpec(t *testing.T, reg *skill.Registry, id string) skill.Spec {
	t.Helper()
	s, err := reg.Lookup(id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
