package skill

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// Skill is one runnable capability.
type Skill interface {
	Spec() Spec
	// Run executes the skill with validated inputs.
	Run(ctx context.Context, in Inputs) (*Result, error)
}

// Func adapts a function to Skill.
type Func struct {
	S Spec
	F func(ctx context.Context, in Inputs) (*Result, error)
}

// Spec implements Skill.
func (f Func) Spec() Spec { return f.S }

// Run implements Skill.
func (f Func) Run(ctx context.Context, in Inputs) (*Result, error) { return f.F(ctx, in) }

// Result is what a skill returns.
type Result struct {
	// Data is the structured result; it must marshal to JSON.
	Data any `json:"data"`
	// Summary is a short Markdown summary for people.
	Summary string `json:"summary"`
	// Findings are per-indicator verdicts.
	Findings []Finding `json:"findings"`
	// Links point to the evidence at the provider.
	Links []string `json:"links,omitempty"`
	// Cached is set by the gateway when the result came from the cache.
	Cached   bool      `json:"cached"`
	CachedAt time.Time `json:"cached_at,omitzero"`
}

// Setting declares one plugin setting. Values come from spotter.yaml under
// plugins.<plugin>.<name> and from SPOTTER_<PLUGIN>_<NAME>.
type Setting struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Required    bool   `json:"required"`
	Secret      bool   `json:"secret"`
	Default     string `json:"default,omitempty"`
}

// RateLimit is a provider's documented limit; the gateway enforces it for
// every call of the plugin. Zero fields mean no limit of that kind.
type RateLimit struct {
	PerSecond   float64 `json:"per_second,omitempty" koanf:"per_second"` // sustained request rate
	Burst       int     `json:"burst,omitempty" koanf:"burst"`
	PerDay      int     `json:"per_day,omitempty" koanf:"per_day"` // daily quota, reset at 00:00 UTC
	Concurrency int     `json:"concurrency,omitempty" koanf:"concurrency"`
}

// PluginInfo describes a plugin without configuring it.
type PluginInfo struct {
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Settings    []Setting `json:"settings"`
	Limits      RateLimit `json:"limits"`
	Skills      []Spec    `json:"skills"`
	// Optional plugins are off unless `enabled: true` is set, even when their
	// required settings have defaults (local skills are on by default).
	Optional bool `json:"optional,omitempty"`
}

// Env is what a plugin gets to build its skills.
type Env struct {
	// Settings are the resolved values of the declared settings (defaults applied).
	Settings map[string]string
	// HTTP sends every outbound request through the gateway: rate limits,
	// quotas, retries with backoff, the circuit breaker, timeouts and metrics.
	HTTP *http.Client
	Log  *slog.Logger
	// Skills lets a composite skill call other skills through the gateway,
	// with their caching, dedup and limits.
	Skills Caller
}

// Caller invokes skills by id or alias.
type Caller interface {
	Invoke(ctx context.Context, name string, raw map[string]any) (*Result, error)
	// Configured lists the skills that can run now.
	Configured() []Spec
}

// Plugin is a provider integration.
type Plugin interface {
	Info() PluginInfo
	// New builds the plugin's skills from its settings. It is called only when
	// every required setting is present; an error makes the plugin "not configured".
	New(env Env) ([]Skill, error)
}

// NotConfiguredError says a skill cannot run because its plugin lacks settings.
type NotConfiguredError struct {
	Plugin string
	Reason string
}

func (e *NotConfiguredError) Error() string {
	return e.Plugin + ": not configured: " + e.Reason
}

// ProviderError is a failure reported by a provider, already put in words an
// analyst can act on. It never contains secrets.
type ProviderError struct {
	Provider string
	Status   int    // HTTP status, 0 when none
	Code     string // the provider's error code, if any
	Msg      string
}

func (e *ProviderError) Error() string {
	s := e.Provider + ": " + e.Msg
	if e.Status != 0 {
		s += fmt.Sprintf(" (%d)", e.Status)
	}
	return s
}

// ErrNotFound is wrapped by errors for an unknown skill.
var ErrNotFound = errors.New("no such skill")
