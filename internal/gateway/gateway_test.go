package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spotter-soc/spotter/internal/skill"
)

func statusOf(t *testing.T, g *Gateway, name string) PluginStatus {
	t.Helper()
	for _, s := range g.Status() {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no status for plugin %s", name)
	return PluginStatus{}
}

func TestSettingsResolution(t *testing.T) {
	tests := []struct {
		name       string
		optional   bool
		settings   map[string]any
		configured bool
		reason     string // substring
		configErr  string // substring; "" means none
	}{
		{name: "nothing set", settings: nil,
			reason: "missing api_key (plugins.prov.api_key or SPOTTER_PROV_API_KEY), base_url (plugins.prov.base_url or SPOTTER_PROV_BASE_URL)"},
		{name: "blank values are missing", settings: map[string]any{"api_key": "  ", "base_url": "http://x"},
			reason: "missing api_key (plugins.prov.api_key or SPOTTER_PROV_API_KEY)"},
		{name: "all required set", settings: map[string]any{"api_key": "k-123456", "base_url": "http://x"}, configured: true},
		{name: "numbers and bools become strings", settings: map[string]any{"api_key": 12345678, "base_url": "http://x", "region": true}, configured: true},
		{name: "undeclared setting", settings: map[string]any{"api_kee": "k", "base_url": "http://x"},
			reason: "unknown setting api_kee; expected one of api_key, base_url, region, enabled", configErr: "plugins.prov: unknown setting api_kee"},
		{name: "list value", settings: map[string]any{"api_key": []any{"a"}, "base_url": "http://x"},
			reason: "setting api_key: expected a string, number or boolean", configErr: "plugins.prov.api_key: expected a string, number or boolean, got []interface {}"},
		{name: "disabled", settings: map[string]any{"api_key": "k-123456", "base_url": "http://x", "enabled": false},
			reason: "disabled by plugins.prov.enabled"},
		{name: "optional, off by default", optional: true, settings: map[string]any{"api_key": "k-123456", "base_url": "http://x"},
			reason: "optional plugin, off until enabled (plugins.prov.enabled: true or SPOTTER_PROV_ENABLED=true)"},
		{name: "optional, enabled", optional: true, settings: map[string]any{"api_key": "k-123456", "base_url": "http://x", "enabled": true}, configured: true},
		{name: "optional, enabled as string", optional: true, settings: map[string]any{"api_key": "k-123456", "base_url": "http://x", "enabled": "true"}, configured: true},
		{name: "enabled not a bool", settings: map[string]any{"api_key": "k-123456", "base_url": "http://x", "enabled": "yes"},
			reason: "plugins.prov.enabled: expected true or false", configErr: `plugins.prov.enabled: "yes": expected true or false`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := newRegistry(t, &lookupPlugin{name: "prov", optional: tt.optional})
			g := New(reg, map[string]map[string]any{"prov": tt.settings}, testConfig(), nil, discard())
			st := statusOf(t, g, "prov")
			if st.Configured != tt.configured || !strings.Contains(st.Reason, tt.reason) {
				t.Errorf("configured %v reason %q; want %v and %q", st.Configured, st.Reason, tt.configured, tt.reason)
			}
			err := g.ConfigErr()
			if tt.configErr == "" && err != nil || tt.configErr != "" && (err == nil || !strings.Contains(err.Error(), tt.configErr)) {
				t.Errorf("ConfigErr() = %v; want %q", err, tt.configErr)
			}
			if got := len(g.Configured()) == 1; got != tt.configured {
				t.Errorf("Configured() lists %d skills", len(g.Configured()))
			}
		})
	}
}

func TestStatus(t *testing.T) {
	reg := newRegistry(t, &lookupPlugin{name: "prov"}, &localPlugin{})
	g := New(reg, map[string]map[string]any{"prov": {"api_key": "k-123456", "base_url": "http://x"}}, testConfig(), nil, discard())
	want := []PluginStatus{
		{Name: "local", Description: "In-process test skills.", Configured: true,
			Settings: []SettingStatus{{Name: "salt", Description: "changes the fingerprint", Set: true, Value: "a"}},
			Skills:   []string{"local.Echo"}},
		{Name: "prov", Description: "Fake provider for gateway tests.", Configured: true,
			Settings: []SettingStatus{
				{Name: "api_key", Description: "API key", Required: true, Secret: true, Set: true},
				{Name: "base_url", Description: "API root", Required: true, Set: true, Value: "http://x"},
				{Name: "region", Description: "data region", Set: true, Value: "eu"},
			},
			Skills: []string{"prov.Lookup"}},
	}
	if diff := cmp.Diff(want, g.Status()); diff != "" {
		t.Errorf("Status (-want +got):\n%s", diff)
	}
	var ids []string
	for _, s := range g.Configured() {
		ids = append(ids, s.ID)
	}
	if fmt.Sprint(ids) != "[local.Echo prov.Lookup]" {
		t.Errorf("Configured() = %v", ids)
	}
	if got := g.Metrics(); len(got) != 2 || got[0].Provider != "local" || got[1].Provider != "prov" {
		t.Errorf("Metrics() = %+v; want one entry per plugin, sorted", got)
	}
}

func TestPluginNewErrorIsScrubbed(t *testing.T) {
	secret := "k-SECRET-98765"
	p := &lookupPlugin{name: "prov", newErr: fmt.Errorf("key %s rejected by setup", secret)}
	g := New(newRegistry(t, p), map[string]map[string]any{"prov": {"api_key": secret, "base_url": "http://x"}}, testConfig(), nil, discard())
	st := statusOf(t, g, "prov")
	if st.Configured || st.Reason != "key <secret> rejected by setup" {
		t.Errorf("configured %v reason %q", st.Configured, st.Reason)
	}
	_, err := g.Invoke(context.Background(), "prov.Lookup", map[string]any{"indicator": "1.2.3.4"}, InvokeOptions{})
	var nc *skill.NotConfiguredError
	if !errors.As(err, &nc) || strings.Contains(err.Error(), secret) {
		t.Errorf("Invoke: %v", err)
	}
}

func TestConfigErrForUnknownNames(t *testing.T) {
	cfg := testConfig()
	cfg.Limits = map[string]skill.RateLimit{"nosuch": {PerSecond: 1}}
	cfg.TTL = map[string]time.Duration{"local.Nope": time.Hour, "local.echo": time.Hour}
	g := New(newRegistry(t, &localPlugin{}), map[string]map[string]any{"abuseipbd": {"api_key": "x"}}, cfg, nil, discard())
	err := g.ConfigErr()
	for _, want := range []string{
		"plugins.abuseipbd: no such plugin; expected one of local",
		`gateway limits for "nosuch": no such plugin`,
		`gateway ttl: "local.Nope": no such skill`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ConfigErr() = %v; want it to contain %q", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), "local.echo") {
		t.Errorf("a TTL for an existing skill (any case) is not an error: %v", err)
	}
}

func TestLimitsOverrideFieldByField(t *testing.T) {
	cfg := Config{Limits: map[string]skill.RateLimit{"vt": {PerDay: 1000}}}
	got := cfg.limitsFor("vt", skill.RateLimit{PerSecond: 4.0 / 60, Burst: 4, PerDay: 500})
	if want := (skill.RateLimit{PerSecond: 4.0 / 60, Burst: 4, PerDay: 1000}); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestEnvGivenToPlugin(t *testing.T) {
	var env skill.Env
	p := &capturePlugin{lookupPlugin: lookupPlugin{name: "prov"}, got: &env}
	g := New(newRegistry(t, p), map[string]map[string]any{"prov": {"API_KEY": "k-123456", "base_url": " http://x "}}, testConfig(), nil, discard())
	if !statusOf(t, g, "prov").Configured {
		t.Fatal("not configured")
	}
	want := map[string]string{"api_key": "k-123456", "base_url": "http://x", "region": "eu"}
	if diff := cmp.Diff(want, env.Settings); diff != "" {
		t.Errorf("settings (-want +got):\n%s", diff)
	}
	if _, ok := env.HTTP.Transport.(*transport); !ok || env.Log == nil {
		t.Errorf("HTTP transport %T, log %v", env.HTTP.Transport, env.Log)
	}
}

type capturePlugin struct {
	lookupPlugin
	got *skill.Env
}

func (p *capturePlugin) New(env skill.Env) ([]skill.Skill, error) {
	*p.got = env
	return p.lookupPlugin.New(env)
}

func TestInvokeErrors(t *testing.T) {
	reg := newRegistry(t, &lookupPlugin{name: "prov"}, &localPlugin{})
	g := New(reg, nil, testConfig(), NewMemoryCache(), discard())
	ctx := context.Background()

	_, err := g.Invoke(ctx, "prov.Lokup", nil, InvokeOptions{})
	if !errors.Is(err, skill.ErrNotFound) {
		t.Errorf("unknown skill: %v", err)
	}
	_, err = g.Invoke(ctx, "prov-lookup", map[string]any{"indicator": "1.2.3.4"}, InvokeOptions{})
	var nc *skill.NotConfiguredError
	if !errors.As(err, &nc) || nc.Plugin != "prov" || !strings.Contains(nc.Reason, "SPOTTER_PROV_API_KEY") {
		t.Errorf("not configured: %v", err)
	}
	_, err = g.Invoke(ctx, "local.Echo", map[string]any{"txt": "x"}, InvokeOptions{})
	var ie *skill.InputError
	if !errors.As(err, &ie) || ie.Input != "txt" {
		t.Errorf("bad input: %v", err)
	}
	if spec, err := g.Skill("PROV-LOOKUP"); err != nil || spec.ID != "prov.Lookup" {
		t.Errorf("Skill by alias: %v, %v", spec.ID, err)
	}
}

// Over the wire: a 401 is not retried and comes back as the plugin's error.
func TestInvokeUnauthorized(t *testing.T) {
	f := &fakeProvider{secret: "right-key-1234"}
	srv := newServer(t, f)
	reg := newRegistry(t, &lookupPlugin{name: "prov"})
	g := New(reg, map[string]map[string]any{"prov": {"api_key": "wrong-key-1234", "base_url": srv.URL}}, testConfig(), NewMemoryCache(), discard())
	start := time.Now()
	_, err := g.Invoke(context.Background(), "prov.Lookup", map[string]any{"indicator": "1.2.3.4"}, InvokeOptions{})
	var pe *skill.ProviderError
	if !errors.As(err, &pe) || pe.Status != http.StatusUnauthorized {
		t.Fatalf("got %v, want the plugin's 401 error", err)
	}
	if f.callCount() != 1 || time.Since(start) > time.Second {
		t.Errorf("%d calls in %v; a 401 must surface at once", f.callCount(), time.Since(start))
	}
	if m := g.Metrics()[0]; m.Errors[ReasonAuth] != 1 || m.Retries != 0 {
		t.Errorf("metrics %+v", m)
	}
}

// Calls that are not skills share the gateway's transport machinery.
func TestClient(t *testing.T) {
	f := &fakeProvider{}
	srv := newServer(t, f)
	g := New(newRegistry(t, &localPlugin{}), nil, testConfig(), nil, discard())
	c := g.Client("sentinel", skill.RateLimit{PerSecond: 100})
	resp, err := c.Get(srv.URL + "/comment")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if g.Client("sentinel", skill.RateLimit{}).Transport != c.Transport {
		t.Error("a second Client for the same provider got another transport")
	}
	m := g.Metrics()
	if len(m) != 2 || m[1].Provider != "sentinel" || m[1].Calls != 1 {
		t.Errorf("metrics %+v", m)
	}
}
