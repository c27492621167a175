package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spotter-soc/spotter/internal/skill"
)

// lookupPlugin is a provider plugin for tests. Its one skill, <name>.Lookup,
// fetches GET {base_url}/lookup/{indicator} with the API key both in the
// X-Api-Key header and in the key= query parameter, as AbuseIPDB allows.
type lookupPlugin struct {
	name     string
	limits   skill.RateLimit
	ttl      time.Duration
	optional bool
	newErr   error // returned by New when set
}

func (p *lookupPlugin) spec() skill.Spec {
	return skill.Spec{
		ID:          p.name + ".Lookup",
		Description: "Looks an indicator up at the fake provider.",
		Aliases:     []string{p.name + "-lookup"},
		Inputs: []skill.Input{
			{Name: "indicator", Description: "IP address", Type: skill.TypeString, Required: true},
			{Name: "days", Description: "look-back", Type: skill.TypeInteger, Default: 30},
		},
		Enriches:       []string{"ip"},
		IndicatorInput: "indicator",
		CacheTTL:       p.ttl,
	}
}

func (p *lookupPlugin) Info() skill.PluginInfo {
	return skill.PluginInfo{
		Name:        p.name,
		Description: "Fake provider for gateway tests.",
		Settings: []skill.Setting{
			{Name: "api_key", Description: "API key", Required: true, Secret: true},
			{Name: "base_url", Description: "API root", Required: true},
			{Name: "region", Description: "data region", Default: "eu"},
		},
		Limits:   p.limits,
		Skills:   []skill.Spec{p.spec()},
		Optional: p.optional,
	}
}

func (p *lookupPlugin) New(env skill.Env) ([]skill.Skill, error) {
	if p.newErr != nil {
		return nil, p.newErr
	}
	key, base := env.Settings["api_key"], env.Settings["base_url"]
	run := func(ctx context.Context, in skill.Inputs) (*skill.Result, error) {
		ind := in.String("indicator")
		u := base + "/lookup/" + url.PathEscape(ind) + "?key=" + url.QueryEscape(key)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, fmt.Errorf("%s: building request: %w", p.name, err)
		}
		req.Header.Set("X-Api-Key", key)
		req.Header.Set("Accept", "application/json")
		// A careless plugin: logs the full URL, key included. The gateway's
		// logger must scrub it.
		env.Log.Debug("looking up", "url", u, "indicator", ind)
		resp, err := env.HTTP.Do(req)
		if err != nil {
			// *url.Error carries the full URL, key included; the gateway
			// must scrub it.
			return nil, fmt.Errorf("%s lookup: %w", p.name, err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			_, _ = io.Copy(io.Discard, resp.Body)
			return nil, &skill.ProviderError{Provider: p.name, Status: resp.StatusCode, Msg: "lookup failed: " + http.StatusText(resp.StatusCode)}
		}
		var doc map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
			return nil, fmt.Errorf("%s: expected a JSON object: %w", p.name, err)
		}
		return &skill.Result{
			Data:     doc,
			Summary:  fmt.Sprintf("%s scored %v", ind, doc["score"]),
			Findings: []skill.Finding{{Indicator: ind, Type: "ip", Skill: p.name + ".Lookup", Level: skill.Suspicious, Score: 42, Source: p.name}},
			Links:    []string{base + "/check/" + ind},
		}, nil
	}
	return []skill.Skill{skill.Func{S: p.spec(), F: run}}, nil
}

// localPlugin has a skill that runs in process and counts its runs, for
// cache and dedup tests that need no HTTP.
type localPlugin struct {
	ttl   time.Duration
	runs  atomic.Int64
	delay time.Duration
	fail  atomic.Bool
}

func (p *localPlugin) spec() skill.Spec {
	return skill.Spec{
		ID:          "local.Echo",
		Description: "Echoes its input.",
		Inputs: []skill.Input{
			{Name: "text", Description: "text", Type: skill.TypeString, Required: true},
			{Name: "tags", Description: "tags", Type: skill.TypeStringList},
			{Name: "opts", Description: "options", Type: skill.TypeObject},
			{Name: "mode", Description: "mode", Type: skill.TypeString, Default: "fast"},
		},
		CacheTTL: p.ttl,
	}
}

func (p *localPlugin) Info() skill.PluginInfo {
	return skill.PluginInfo{
		Name:        "local",
		Description: "In-process test skills.",
		Settings:    []skill.Setting{{Name: "salt", Description: "changes the fingerprint", Default: "a"}},
		Skills:      []skill.Spec{p.spec()},
	}
}

func (p *localPlugin) New(env skill.Env) ([]skill.Skill, error) {
	run := func(ctx context.Context, in skill.Inputs) (*skill.Result, error) {
		n := p.runs.Add(1)
		if p.delay > 0 {
			select {
			case <-time.After(p.delay):
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		if p.fail.Load() {
			return nil, errors.New("local: asked to fail")
		}
		return &skill.Result{
			Data:    map[string]any{"text": in.String("text"), "run": n, "nested": map[string]any{"list": []any{1, "two"}}},
			Summary: in.String("text"),
		}, nil
	}
	return []skill.Skill{skill.Func{S: p.spec(), F: run}}, nil
}

// testConfig is DefaultConfig with waits short enough for real-time tests.
func testConfig() Config {
	c := DefaultConfig()
	c.BackoffBase = time.Millisecond
	c.BackoffMax = 5 * time.Millisecond
	return c
}

// newRegistry registers plugins or fails the test.
func newRegistry(t testing.TB, plugins ...skill.Plugin) *skill.Registry {
	t.Helper()
	reg := skill.NewRegistry()
	for _, p := range plugins {
		if err := reg.Register(p); err != nil {
			t.Fatal(err)
		}
	}
	return reg
}

// discard is a logger that drops everything.
func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
