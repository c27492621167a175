package config

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func write(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "spotter.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaults(t *testing.T) {
	c, err := Load("", []string{"HOME=/home/u"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Report.MaxChars != 30000 || c.Report.Format != "md" || !c.Enrich.Mail || !c.Incident.ExtractFromText || c.Enrich.Timeout != 2*time.Minute {
		t.Errorf("defaults: %+v", c)
	}
	if c.DataDir != filepath.Join("/home/u", ".local", "share", "spotter") && runtime.GOOS == "linux" {
		t.Errorf("data directory %q must follow the given HOME", c.DataDir)
	}
}

func TestFileThenEnvironment(t *testing.T) {
	p := write(t, `
data_dir: /srv/spotter
incident:
  skip_accounts: [svc_scan, "CONTOSO\\backup"]
  skip_ips: [192.0.2.0/24]
enrich:
  mail: false
  timeout: 30s
report:
  max_chars: 20000
plugins:
  abuseipdb:
    api_key: from-file
`)
	env := []string{
		"SPOTTER_REPORT_MAX_CHARS=25000",
		"SPOTTER_INCIDENT_SKIP_HASHES=aa, bb ,",
		"SPOTTER_ABUSEIPDB_BASE_URL=http://127.0.0.1:9",
		"SPOTTER_ENRICH_IPS=false",
		"SPOTTER_TEST_POSTGRES_URL=postgres://ignored",
	}
	c, err := Load(p, env)
	if err != nil {
		t.Fatal(err)
	}
	if c.DataDir != "/srv/spotter" || c.Report.MaxChars != 25000 || c.Enrich.Mail || c.Enrich.IPs || c.Enrich.Timeout != 30*time.Second {
		t.Errorf("merged: %+v", c)
	}
	if strings.Join(c.Incident.SkipAccounts, "|") != `svc_scan|CONTOSO\backup` || strings.Join(c.Incident.SkipHashes, "|") != "aa|bb" {
		t.Errorf("lists: %+v", c.Incident)
	}
	if c.Plugins["abuseipdb"]["api_key"] != "from-file" || c.Plugins["abuseipdb"]["base_url"] != "http://127.0.0.1:9" {
		t.Errorf("plugins: %+v", c.Plugins)
	}
	if _, ok := c.Plugins["test"]; ok {
		t.Error("SPOTTER_TEST_* variables are not configuration")
	}
	if c.Source != p {
		t.Errorf("source %q", c.Source)
	}
}

func TestConfigFromEnvironmentPath(t *testing.T) {
	p := write(t, "report:\n  format: html\n")
	c, err := Load("", []string{"SPOTTER_CONFIG=" + p, "SPOTTER_DATA_DIR=/var/lib/spotter"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Report.Format != "html" || c.DataDir != "/var/lib/spotter" {
		t.Errorf("got %+v", c)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name, file string
		env        []string
		want       string
	}{
		// The reference compared a flag to the string "ture"; here a misspelt boolean is an error.
		{"misspelt boolean", "", []string{"SPOTTER_ENRICH_MAIL=ture"}, "enrich.mail"},
		{"unknown key", "incident:\n  skip_acounts: [a]\n", nil, "skip_acounts"},
		{"bad yaml", "report: [\n", nil, "not valid YAML"},
		{"bad number", "report:\n  max_chars: lots\n", nil, "max_chars"},
		{"negative budget", "report:\n  max_chars: -1\n", nil, "report.max_chars"},
		{"bad format", "report:\n  format: pdf\n", nil, "report.format"},
		{"bad cidr", "incident:\n  skip_ips: [10.0.0.0/33]\n", nil, "incident.skip_ips[0]"},
		{"bad duration", "enrich:\n  timeout: soon\n", nil, "timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			if tt.file != "" {
				path = write(t, tt.file)
			}
			_, err := Load(path, tt.env)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error naming %q", err, tt.want)
			}
		})
	}
}

func TestRedacted(t *testing.T) {
	c := Default()
	c.Plugins["graph"] = map[string]any{"client_secret": "s3cr3t", "tenant_id": "t", "api_key": ""}
	m := c.Redacted()
	g := m["plugins"].(map[string]any)["graph"].(map[string]any)
	if g["client_secret"] != Redacted || g["tenant_id"] != "t" || g["api_key"] != "" {
		t.Errorf("redacted: %v", g)
	}
	c.Remote.Token = "spt_remote-secret-77"
	if got := c.Redacted()["remote"].(map[string]any)["token"]; got != Redacted {
		t.Errorf("remote token: %v", got)
	}
	c.Database.URL = "postgres://spotter:pg-pass-9981@db.internal:5432/spotter?sslmode=require"
	if got := c.Redacted()["database"].(map[string]any)["url"]; got != "postgres://spotter:<secret>@db.internal:5432/spotter?sslmode=require" {
		t.Errorf("database url: %v", got)
	}
	if c.Plugins["graph"]["client_secret"] != "s3cr3t" {
		t.Error("Redacted must not change the configuration")
	}
	if _, ok := m["incident"].(map[string]any)["skip_accounts"]; !ok {
		t.Errorf("keys must be the file's keys: %v", m["incident"])
	}
}

func TestDefaultDataDir(t *testing.T) {
	env := map[string]string{"XDG_DATA_HOME": "/x/data"}
	if got := DefaultDataDir(func(k string) string { return env[k] }); got != filepath.Join("/x/data", "spotter") {
		t.Errorf("got %s", got)
	}
	env = map[string]string{"XDG_DATA_HOME": "relative"} // the XDG spec says to ignore relative paths
	if got := DefaultDataDir(func(k string) string { return env[k] }); strings.Contains(got, "relative") {
		t.Errorf("got %s", got)
	}
}

func TestKeys(t *testing.T) {
	keys := strings.Join(Keys(), " ")
	for _, k := range []string{"data_dir", "incident.skip_accounts", "enrich.mail", "report.max_chars"} {
		if !strings.Contains(keys, k) {
			t.Errorf("Keys lacks %s", k)
		}
	}
}
