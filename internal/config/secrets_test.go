package config

import (
	"slices"
	"testing"
)

func TestSecretValues(t *testing.T) {
	c := Default()
	c.Plugins = map[string]map[string]any{"abuseipdb": {"api_key": "k-123456", "max_age_days": 30}}
	c.Remote.Token = "spt_abcdef"
	c.Database.URL = "postgres://spotter:pw-98765@db.example:5432/spotter"
	got := c.SecretValues()
	for _, want := range []string{"k-123456", "spt_abcdef", "pw-98765"} {
		if !slices.Contains(got, want) {
			t.Errorf("SecretValues() = %v, missing %q", got, want)
		}
	}
	if slices.Contains(got, "30") {
		t.Errorf("a plain setting was taken for a secret: %v", got)
	}
}
