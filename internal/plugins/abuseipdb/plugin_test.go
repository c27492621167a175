package abuseipdb

import (
	"strings"
	"testing"

	"github.com/spotter-soc/spotter/internal/skill"
)

func TestInfo(t *testing.T) {
	info := New().Info()
	if len(info.Skills) != 2 {
		t.Fatalf("skills: %d", len(info.Skills))
	}
	for _, s := range info.Skills {
		if err := s.Check(); err != nil {
			t.Error(err)
		}
		if s.Name == "" || s.ModelDescription == "" || len(s.Examples) < 2 || s.Section != "ips" || s.CacheTTL <= 0 {
			t.Errorf("%s: incomplete spec %+v", s.ID, s)
		}
	}
	if err := skill.NewRegistry().Register(New()); err != nil {
		t.Fatal(err)
	}
	var key, base skill.Setting
	for _, s := range info.Settings {
		switch s.Name {
		case "api_key":
			key = s
		case "base_url":
			base = s
		}
	}
	if !key.Required || !key.Secret || base.Default != "https://api.abuseipdb.com/api/v2" {
		t.Errorf("settings: %+v", info.Settings)
	}
	if info.Limits.PerDay != 1000 {
		t.Errorf("limits: %+v", info.Limits)
	}
}

func TestNewChecksSettings(t *testing.T) {
	for _, settings := range []map[string]string{
		{"api_key": " ", "base_url": DefaultBaseURL},
		{"api_key": testKey, "base_url": "ftp://example.com"},
		{"api_key": testKey, "base_url": "not a url"},
	} {
		_, err := Plugin{}.New(skill.Env{Settings: settings})
		if err == nil {
			t.Errorf("%v accepted", settings["base_url"])
		} else if strings.Contains(err.Error(), testKey) {
			t.Errorf("key in %v", err)
		}
	}
	if _, err := (Plugin{}).New(skill.Env{Settings: map[string]string{"api_key": testKey}}); err != nil {
		t.Errorf("default base URL: %v", err)
	}
}
