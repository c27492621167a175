// Package gateway is the one layer every outbound provider call goes
// through. It resolves plugin settings, runs skills with a persistent result
// cache and in-flight deduplication, and gives each plugin an HTTP client
// whose transport enforces the provider's rate limits and daily quota,
// honours Retry-After and X-RateLimit-* feedback, retries with backoff and
// jitter, times out attempts, trips a circuit breaker and keeps metrics.
// Plugins describe the wire format; they do not reimplement resilience.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spotter-soc/spotter/internal/skill"
)

// Gateway runs skills on behalf of every caller. It is safe for concurrent use.
type Gateway struct {
	reg      *skill.Registry
	cfg      Config
	cache    Cache
	log      *slog.Logger
	base     http.RoundTripper
	plugins  map[string]*pluginState  // by plugin name
	ttl      map[string]time.Duration // by lower-cased skill id
	flights  flightGroup
	problems []error
	shared   *sharedState // nil: limits kept in memory

	mu         sync.Mutex
	counters   map[string]*counters  // by provider
	transports map[string]*transport // by provider
}

// pluginState is one registered plugin after New.
type pluginState struct {
	info     skill.PluginInfo
	res      resolution
	metrics  *counters
	skills   map[string]skill.Skill // by lower-cased id
	reason   string                 // why not configured; "" when it is
	runnable bool
}

// PluginStatus describes a plugin for `spotter plugins` and the API.
type PluginStatus struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Configured  bool            `json:"configured"`
	Reason      string          `json:"reason,omitempty"` // why not configured
	Settings    []SettingStatus `json:"settings"`
	Skills      []string        `json:"skills"`
}

// SettingStatus describes one plugin setting. Secret values are never shown.
type SettingStatus struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Required    bool   `json:"required"`
	Secret      bool   `json:"secret"`
	// Set is true when the setting has a value, configured or default.
	Set bool `json:"set"`
	// Value is the resolved value; always "" for secrets.
	Value string `json:"value"`
}

// New resolves every registered plugin against its settings (plugins.<name>
// values from the configuration) and builds the skills of those that are
// configured, each with an HTTP client whose transport applies the
// provider's limits. A nil cache disables caching; a nil logger discards logs.
// Configuration mistakes make the plugin concerned "not configured" and are
// also reported together by ConfigErr. Options add what several processes
// share (WithSharedLimits).
func New(reg *skill.Registry, settings map[string]map[string]any, cfg Config, cache Cache, log *slog.Logger, opts ...Option) *Gateway {
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.MaxIdleConnsPerHost = 32
	return newGateway(reg, settings, cfg, cache, log, base, opts...)
}

// newGateway is New with the round tripper that finally sends requests;
// tests pass an in-memory one.
func newGateway(reg *skill.Registry, settings map[string]map[string]any, cfg Config, cache Cache, log *slog.Logger, base http.RoundTripper, opts ...Option) *Gateway {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	g := &Gateway{
		reg: reg, cfg: cfg.withDefaults(), cache: cache, log: log, base: base,
		plugins:    map[string]*pluginState{},
		ttl:        map[string]time.Duration{},
		counters:   map[string]*counters{},
		transports: map[string]*transport{},
		shared:     newSharedState(o.shared, log),
	}
	infos := reg.Plugins()
	names := make([]string, len(infos))
	for i, info := range infos {
		names[i] = info.Name
	}
	byName := map[string]map[string]any{}
	for _, k := range sortedKeys(settings) {
		name := strings.ToLower(k)
		if _, ok := reg.Plugin(name); !ok {
			g.problems = append(g.problems, fmt.Errorf("plugins.%s: no such plugin; expected one of %s", k, strings.Join(names, ", ")))
			continue
		}
		byName[name] = settings[k]
	}
	for _, k := range sortedKeys(cfg.Limits) {
		if _, ok := reg.Plugin(k); !ok {
			g.problems = append(g.problems, fmt.Errorf("gateway limits for %q: no such plugin; expected one of %s", k, strings.Join(names, ", ")))
		}
	}
	for _, k := range sortedKeys(cfg.TTL) {
		spec, err := reg.Lookup(k)
		if err != nil {
			g.problems = append(g.problems, fmt.Errorf("gateway ttl: %w", err))
			continue
		}
		if d := cfg.TTL[k]; d != 0 {
			g.ttl[strings.ToLower(spec.ID)] = d
		}
	}
	for _, info := range infos {
		g.setup(info, byName[info.Name])
	}
	return g
}

// setup resolves one plugin and, when it is configured, builds its skills.
func (g *Gateway) setup(info skill.PluginInfo, raw map[string]any) {
	res := resolve(info, raw)
	g.problems = append(g.problems, res.problems...)
	st := &pluginState{info: info, res: res, metrics: g.countersFor(info.Name), skills: map[string]skill.Skill{}, reason: res.reason}
	g.plugins[info.Name] = st
	if !res.configured {
		g.log.Debug("plugin not configured", "plugin", info.Name, "reason", res.reason)
		return
	}
	safe := slog.New(&redactHandler{next: g.log.Handler(), secrets: res.set})
	tr := newTransport(info.Name, g.cfg.limitsFor(info.Name, info.Limits), g.cfg, g.base, st.metrics, res.set, safe)
	tr.limiter.shared = g.shared
	g.transports[info.Name] = tr
	p, _ := g.reg.Plugin(info.Name)
	env := skill.Env{Settings: maps.Clone(res.set.values), HTTP: &http.Client{Transport: tr}, Log: safe.With("plugin", info.Name), Skills: caller{g}}
	skills, err := buildSkills(p, env)
	if err != nil {
		st.reason = scrub(err.Error(), res.set.list())
		g.log.Info("plugin not configured: its setup failed", "plugin", info.Name, "reason", st.reason)
		return
	}
	for _, s := range skills {
		st.skills[strings.ToLower(s.Spec().ID)] = s
	}
	st.runnable = true
}

// buildSkills calls the plugin's New, turning a panic into an error.
func buildSkills(p skill.Plugin, env skill.Env) (skills []skill.Skill, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("setup panicked: %v", r)
		}
	}()
	return p.New(env)
}

func (g *Gateway) countersFor(provider string) *counters {
	g.mu.Lock()
	defer g.mu.Unlock()
	c, ok := g.counters[provider]
	if !ok {
		c = newCounters(provider)
		g.counters[provider] = c
	}
	return c
}

// ConfigErr reports configuration mistakes found by New, joined: settings
// for unknown plugins, settings a plugin does not declare, values of the
// wrong shape, limits and TTLs for unknown plugins or skills. Nil when none.
func (g *Gateway) ConfigErr() error { return errors.Join(g.problems...) }

// Client returns an HTTP client for calls that are not skills (posting
// comments, model APIs) so they get the same limits, retries, breaker and
// metrics. A plugin's name returns that plugin's client; other names get a
// transport of their own with the given limits (Config.Limits still applies).
func (g *Gateway) Client(provider string, limits skill.RateLimit) *http.Client {
	c := g.countersFor(provider)
	g.mu.Lock()
	defer g.mu.Unlock()
	tr, ok := g.transports[provider]
	if !ok {
		tr = newTransport(provider, g.cfg.limitsFor(provider, limits), g.cfg, g.base, c, nil, g.log)
		tr.limiter.shared = g.shared
		g.transports[provider] = tr
	}
	return &http.Client{Transport: tr}
}

// RecordTokens adds a language-model call's tokens and estimated cost to
// the provider's metrics (the llm package reports every call here).
func (g *Gateway) RecordTokens(provider string, prompt, completion int64, costUSD float64) {
	g.countersFor(provider).tokens(prompt, completion, costUSD)
}

// Skill returns a skill's spec by id or alias, whether its plugin is
// configured or not. Unknown names give an error wrapping skill.ErrNotFound.
func (g *Gateway) Skill(name string) (skill.Spec, error) { return g.reg.Lookup(name) }

// Configured returns the specs of the skills that can run now, sorted by id.
func (g *Gateway) Configured() []skill.Spec {
	var out []skill.Spec
	for _, s := range g.reg.Specs() {
		st := g.plugins[s.Plugin()]
		if st != nil && st.runnable && st.skills[strings.ToLower(s.ID)] != nil {
			out = append(out, s)
		}
	}
	return out
}

// Status describes every registered plugin, sorted by name.
func (g *Gateway) Status() []PluginStatus {
	var out []PluginStatus
	for _, name := range sortedKeys(g.plugins) {
		st := g.plugins[name]
		ps := PluginStatus{Name: name, Description: st.info.Description, Configured: st.runnable, Reason: st.reason,
			Settings: []SettingStatus{}, Skills: []string{}}
		for _, s := range st.info.Settings {
			v := st.res.set.values[s.Name]
			ss := SettingStatus{Name: s.Name, Description: s.Description, Required: s.Required, Secret: s.Secret, Set: v != ""}
			if !s.Secret {
				ss.Value = v
			}
			ps.Settings = append(ps.Settings, ss)
		}
		for _, s := range st.info.Skills {
			ps.Skills = append(ps.Skills, s.ID)
		}
		out = append(out, ps)
	}
	return out
}

// Metrics returns a snapshot of every provider's counters, sorted by provider.
func (g *Gateway) Metrics() []ProviderMetrics {
	g.mu.Lock()
	all := slices.Collect(maps.Values(g.counters))
	g.mu.Unlock()
	out := make([]ProviderMetrics, len(all))
	for i, c := range all {
		out[i] = c.snapshot()
	}
	slices.SortFunc(out, func(a, b ProviderMetrics) int { return strings.Compare(a.Provider, b.Provider) })
	return out
}

// caller lets composite skills call other skills through the gateway.
type caller struct{ g *Gateway }

func (c caller) Invoke(ctx context.Context, name string, raw map[string]any) (*skill.Result, error) {
	return c.g.Invoke(ctx, name, raw, InvokeOptions{})
}

func (c caller) Configured() []skill.Spec { return c.g.Configured() }
