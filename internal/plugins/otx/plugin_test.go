package otx

import (
	"testing"

	"github.com/spotter-soc/spotter/internal/skill"
)

func TestInfo(t *testing.T) {
	info := New().Info()
	if len(info.Skills) != 1 {
		t.Fatalf("skills: %d", len(info.Skills))
	}
	s := info.Skills[0]
	if err := s.Check(); err != nil {
		t.Error(err)
	}
	if s.Name == "" || s.ModelDescription == "" || len(s.Examples) < 2 || len(s.Enriches) != 4 || s.CacheTTL <= 0 {
		t.Errorf("incomplete spec %+v", s)
	}
	if err := skill.NewRegistry().Register(New()); err != nil {
		t.Fatal(err)
	}
	for _, st := range info.Settings {
		if st.Name == "api_key" && (!st.Required || !st.Secret) || st.Name == "base_url" && st.Default != "https://otx.alienvault.com/api/v1" {
			t.Errorf("setting: %+v", st)
		}
	}
	if info.Limits.PerSecond <= 0 || info.Limits.PerSecond*3600 > 10000 {
		t.Errorf("limits: %+v", info.Limits)
	}
	if _, err := (Plugin{}).New(skill.Env{Settings: map[string]string{"api_key": testKey, "base_url": "otx.alienvault.com"}}); err == nil {
		t.Error("a base URL without a scheme was accepted")
	}
}
