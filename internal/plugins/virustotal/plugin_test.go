package virustotal

import (
	"testing"

	"github.com/spotter-soc/spotter/internal/skill"
)

func TestInfo(t *testing.T) {
	info := New().Info()
	if len(info.Skills) != 4 {
		t.Fatalf("skills: %d", len(info.Skills))
	}
	for _, s := range info.Skills {
		if err := s.Check(); err != nil {
			t.Error(err)
		}
		if s.Name == "" || s.ModelDescription == "" || len(s.Examples) < 2 || len(s.Enriches) != 1 || s.CacheTTL <= 0 {
			t.Errorf("%s: incomplete spec %+v", s.ID, s)
		}
	}
	if err := skill.NewRegistry().Register(New()); err != nil {
		t.Fatal(err)
	}
	if l := info.Limits; l.PerDay != 500 || l.PerSecond*60 != 4 || l.Burst != 1 {
		t.Errorf("limits: %+v", l)
	}
	for _, s := range info.Settings {
		if s.Name == "api_key" && (!s.Required || !s.Secret) || s.Name == "base_url" && s.Default != "https://www.virustotal.com/api/v3" {
			t.Errorf("setting: %+v", s)
		}
	}
	if _, err := (Plugin{}).New(skill.Env{Settings: map[string]string{"api_key": testKey, "base_url": "www.virustotal.com"}}); err == nil {
		t.Error("a base URL without a scheme was accepted")
	}
}
