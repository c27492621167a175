package gateway

import (
	"time"

	"github.com/spotter-soc/spotter/internal/skill"
)

// Config tunes the gateway. Zero durations take the value from
// DefaultConfig, so a partly filled Config is safe to pass to New.
type Config struct {
	// DefaultTTL is how long a result stays cached when the skill's
	// Spec.CacheTTL is 0.
	DefaultTTL time.Duration `koanf:"default_ttl"`
	// TTL overrides the cache lifetime per skill id; a negative value turns
	// caching off for that skill.
	TTL map[string]time.Duration `koanf:"ttl"`
	// CallTimeout bounds one HTTP attempt, reading the response body included.
	CallTimeout time.Duration `koanf:"call_timeout"`
	// MaxRetries is how many times a failed attempt is repeated; 0 means
	// one attempt only.
	MaxRetries int `koanf:"max_retries"`
	// BackoffBase and BackoffMax bound the exponential backoff between
	// attempts: a random wait in [0, min(BackoffMax, BackoffBase·2^n)].
	BackoffBase time.Duration `koanf:"backoff_base"`
	BackoffMax  time.Duration `koanf:"backoff_max"`
	// QueueWait is how long a request may wait in line for a rate-limit,
	// concurrency or quota slot before it fails.
	QueueWait time.Duration `koanf:"queue_wait"`
	// BreakerFailures consecutive failures (server errors, timeouts, network
	// errors, 429s) open a provider's circuit breaker; 0 or less disables it.
	BreakerFailures int `koanf:"breaker_failures"`
	// BreakerCooldown is how long an open breaker fails calls fast before it
	// lets one trial request through.
	BreakerCooldown time.Duration `koanf:"breaker_cooldown"`
	// Limits overrides a plugin's documented limits (PluginInfo.Limits), by
	// plugin name. Only the non-zero fields of an override replace the
	// documented values.
	Limits map[string]skill.RateLimit `koanf:"limits"`
}

// DefaultConfig returns the values used for anything not configured.
func DefaultConfig() Config {
	return Config{
		DefaultTTL:      24 * time.Hour,
		CallTimeout:     30 * time.Second,
		MaxRetries:      4,
		BackoffBase:     500 * time.Millisecond,
		BackoffMax:      30 * time.Second,
		QueueWait:       2 * time.Minute,
		BreakerFailures: 5,
		BreakerCooldown: 30 * time.Second,
	}
}

// withDefaults fills zero durations from DefaultConfig and clamps counts.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	fill := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	fill(&c.DefaultTTL, d.DefaultTTL)
	fill(&c.CallTimeout, d.CallTimeout)
	fill(&c.BackoffBase, d.BackoffBase)
	fill(&c.BackoffMax, d.BackoffMax)
	fill(&c.QueueWait, d.QueueWait)
	fill(&c.BreakerCooldown, d.BreakerCooldown)
	if c.BackoffMax < c.BackoffBase {
		c.BackoffMax = c.BackoffBase
	}
	c.MaxRetries = max(c.MaxRetries, 0)
	c.BreakerFailures = max(c.BreakerFailures, 0)
	return c
}

// limitsFor merges the configured override for a plugin over its
// documented limits, field by field.
func (c Config) limitsFor(provider string, documented skill.RateLimit) skill.RateLimit {
	o, ok := c.Limits[provider]
	if !ok {
		return documented
	}
	if o.PerSecond != 0 {
		documented.PerSecond = o.PerSecond
	}
	if o.Burst != 0 {
		documented.Burst = o.Burst
	}
	if o.PerDay != 0 {
		documented.PerDay = o.PerDay
	}
	if o.Concurrency != 0 {
		documented.Concurrency = o.Concurrency
	}
	return documented
}
