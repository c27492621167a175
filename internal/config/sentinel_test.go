package config

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const sentinelYAML = `
sentinel:
  workspaces:
    - name: prod
      subscription_id: d0cfe6b2-0000-4000-8000-000000000001
      resource_group: rg-siem
      workspace_name: law-sentinel
      api_version: 2024-03-01
      credential:
        tenant_id: 72f988bf-0000-4000-8000-000000000002
        client_id: 5d1c0a9e-0000-4000-8000-000000000003
        client_secret: ws~Secret.Value-1234567890
    - name: gov
      subscription_id: d0cfe6b2-0000-4000-8000-000000000004
      resource_group: rg-gov
      workspace_name: law-gov
      arm_url: https://management.usgovcloudapi.net
      credential:
        auth: managed_identity
  defender:
    - name: contoso
      credential:
        tenant_id: 72f988bf-0000-4000-8000-000000000002
        client_id: 5d1c0a9e-0000-4000-8000-000000000003
        client_secret: xdr~Secret.Value-0987654321
  poll:
    interval: 2m
    rules:
      - name: high
        workspaces: [prod]
        severities: [High, Medium]
        title: "sign-in|brute"
        events: [created, updated]
        inputs: {post_summary: true}
  hooks:
    - name: default
      secret: hook~Secret.Value-abcdefabcdef
      playbook: incident-enrichment
  write_back:
    comment: both
    labels: true
`

func TestSentinelSection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spotter.yaml")
	if err := os.WriteFile(path, []byte(sentinelYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path, []string{"HOME=" + t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Sentinel
	if len(s.Workspaces) != 2 || s.Workspaces[0].Credential.ClientSecret != "ws~Secret.Value-1234567890" || s.Workspaces[1].ARMURL == "" ||
		s.Poll.Interval != 2*time.Minute || s.Poll.Rules[0].Inputs["post_summary"] != true || s.Hooks[0].Name != "default" || !s.WriteBack.Labels {
		t.Fatalf("decoded: %+v", s)
	}
	if d, sum := s.WriteBack.Comments(); !d || !sum {
		t.Error("comment: both")
	}
	secrets := []string{"ws~Secret.Value-1234567890", "xdr~Secret.Value-0987654321", "hook~Secret.Value-abcdefabcdef"}
	red, _ := json.Marshal(cfg.Redacted())
	for _, sec := range secrets {
		if strings.Contains(string(red), sec) {
			t.Errorf("Redacted shows %s", sec[:6])
		}
		if !slices.Contains(cfg.SecretValues(), sec) {
			t.Errorf("SecretValues lacks %s", sec[:6])
		}
	}
	if !strings.Contains(string(red), `"workspace_name":"law-sentinel"`) {
		t.Error("Redacted hides too much")
	}
	if cfg.Sentinel.Workspaces[0].Credential.ClientSecret == Redacted {
		t.Error("Redacted changed the configuration")
	}
}

func TestSentinelValidate(t *testing.T) {
	ok := func() Sentinel {
		return Sentinel{
			Workspaces: []SentinelWorkspace{{Name: "prod", SubscriptionID: "s", ResourceGroup: "r", WorkspaceName: "w"}},
			Hooks:      []SentinelHook{{Name: "default", Secret: "0123456789abcdef"}},
		}
	}
	for _, tc := range []struct {
		edit func(*Sentinel)
		key  string
	}{
		{func(s *Sentinel) {}, ""},
		{func(s *Sentinel) { s.Workspaces[0].Name = "Prod WS" }, "sentinel.workspaces[0].name"},
		{func(s *Sentinel) { s.Workspaces = append(s.Workspaces, s.Workspaces[0]) }, "sentinel.workspaces[1].name"},
		{func(s *Sentinel) { s.Workspaces[0].ResourceGroup = "" }, "sentinel.workspaces[0].resource_group"},
		{func(s *Sentinel) { s.Workspaces[0].ARMURL = "http://management.azure.com" }, "sentinel.workspaces[0].arm_url"},
		{func(s *Sentinel) { s.Workspaces[0].APIVersion = "latest" }, "sentinel.workspaces[0].api_version"},
		{func(s *Sentinel) { s.Poll.Interval = time.Second }, "sentinel.poll.interval"},
		{func(s *Sentinel) { s.Poll.Overlap = -time.Minute }, "sentinel.poll.overlap"},
		{func(s *Sentinel) { s.Poll.Overlap = 48 * time.Hour }, "sentinel.poll.overlap"},
		{func(s *Sentinel) { s.Poll.Overlap = 0 }, ""},
		{func(s *Sentinel) { s.Poll.Overlap = 30 * time.Minute }, ""},
		{func(s *Sentinel) { s.Poll.Rules = []SentinelRule{{Workspaces: []string{"nope"}}} }, "sentinel.poll.rules[0].workspaces"},
		{func(s *Sentinel) { s.Poll.Rules = []SentinelRule{{Severities: []string{"Critical"}}} }, "sentinel.poll.rules[0].severities"},
		{func(s *Sentinel) { s.Poll.Rules = []SentinelRule{{Title: "("}} }, "sentinel.poll.rules[0].title"},
		{func(s *Sentinel) { s.Poll.Rules = []SentinelRule{{Events: []string{"deleted"}}} }, "sentinel.poll.rules[0].events"},
		{func(s *Sentinel) { s.Hooks[0].Secret = "short" }, "sentinel.hooks[0].secret"},
		{func(s *Sentinel) { s.WriteBack.Comment = "all" }, "sentinel.write_back.comment"},
		{func(s *Sentinel) { s.Workspaces = nil }, "sentinel.workspaces: missing"},
		{func(s *Sentinel) { s.Workspaces, s.WriteBack.Comment = nil, "none" }, ""},
	} {
		s := ok()
		tc.edit(&s)
		err := s.Validate()
		if tc.key == "" {
			if err != nil {
				t.Errorf("valid: %v", err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("%s: %v", tc.key, err)
		}
		if err != nil && strings.Contains(err.Error(), "0123456789abcdef") {
			t.Error("an error shows the hook secret")
		}
	}
}

func TestSentinelPollOverlap(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		env        []string
		want       time.Duration
		err        string
	}{
		{name: "default", want: DefaultPollOverlap},
		{name: "off", yaml: "sentinel:\n  poll: {overlap: 0}\n", want: 0},
		{name: "set", yaml: "sentinel:\n  poll: {overlap: 30m}\n", want: 30 * time.Minute},
		{name: "environment", env: []string{"SPOTTER_SENTINEL_POLL_OVERLAP=5m"}, want: 5 * time.Minute},
		{name: "negative", yaml: "sentinel:\n  poll: {overlap: -1m}\n", err: "sentinel.poll.overlap"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := ""
			if tc.yaml != "" {
				path = filepath.Join(t.TempDir(), "spotter.yaml")
				if err := os.WriteFile(path, []byte(tc.yaml), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			cfg, err := Load(path, append([]string{"HOME=" + t.TempDir()}, tc.env...))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %v, want an error naming %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Sentinel.Poll.Overlap != tc.want {
				t.Errorf("overlap %s, want %s", cfg.Sentinel.Poll.Overlap, tc.want)
			}
			poll := cfg.Redacted()["sentinel"].(map[string]any)["poll"].(map[string]any)
			if poll["overlap"] != tc.want.String() {
				t.Errorf("redacted overlap: %v", poll["overlap"])
			}
		})
	}
}

func TestSentinelFromEnvironment(t *testing.T) {
	cfg, err := Load("", []string{"HOME=" + t.TempDir(), "SPOTTER_SENTINEL_POLL_INTERVAL=90s", "SPOTTER_SENTINEL_WRITE_BACK_LABELS=true", "SPOTTER_SENTINEL_WRITE_BACK_COMMENT=none",
		"SPOTTER_REPORT_MAX_CHARS=20000"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Sentinel.Poll.Interval != 90*time.Second || !cfg.Sentinel.WriteBack.Labels || cfg.Report.MaxChars != 20000 {
		t.Errorf("%+v %d", cfg.Sentinel, cfg.Report.MaxChars)
	}
}
