package gateway

import (
	"maps"
	"math"
	"slices"
	"sync"
	"time"
)

// latencyWindow is how many recent attempts the latency percentiles cover.
const latencyWindow = 1024

// ProviderMetrics are the gateway's counters for one provider (plugin).
type ProviderMetrics struct {
	Provider string `json:"provider"`
	// Calls counts HTTP attempts, retries included.
	Calls int64 `json:"calls"`
	// CacheHits counts Invoke calls answered from the cache; CacheMisses
	// the others that got as far as the cache (valid inputs, configured plugin).
	CacheHits   int64 `json:"cache_hits"`
	CacheMisses int64 `json:"cache_misses"`
	// Deduplicated counts Invoke calls that shared the result of an
	// identical call already in flight instead of running the skill.
	Deduplicated int64 `json:"deduplicated"`
	// Retries counts attempts after the first of a request.
	Retries int64 `json:"retries"`
	// ThrottledWaits counts attempts that had to wait in line for a
	// concurrency slot, the rate limit, the daily quota or a provider pause.
	ThrottledWaits int64 `json:"throttled_waits"`
	// Errors counts failed attempts and calls refused by the gateway, by
	// reason (see the Reason constants).
	Errors map[string]int64 `json:"errors"`
	// SharedLimitFallbacks counts requests that were held to this process's
	// own rate limit, quota and pauses because the limits shared with the
	// other processes (WithSharedLimits) could not be reached.
	SharedLimitFallbacks int64 `json:"shared_limit_fallbacks"`
	// LatencyMS describes attempt latency (request sent to response headers)
	// in milliseconds; the percentiles cover the most recent attempts.
	LatencyMS LatencyStats `json:"latency_ms"`
	// PromptTokens, CompletionTokens and CostUSD count what model calls
	// through this provider used (language models only; see RecordTokens).
	PromptTokens     int64   `json:"prompt_tokens,omitempty"`
	CompletionTokens int64   `json:"completion_tokens,omitempty"`
	CostUSD          float64 `json:"cost_usd,omitempty"`
}

// LatencyStats summarises latencies in milliseconds.
type LatencyStats struct {
	Count int64   `json:"count"`
	Sum   float64 `json:"sum"`
	Max   float64 `json:"max"`
	P50   float64 `json:"p50"`
	P95   float64 `json:"p95"`
}

// counters accumulates one provider's metrics; every method is safe for
// concurrent use.
type counters struct {
	mu      sync.Mutex
	m       ProviderMetrics
	samples []float64 // ring buffer of recent latencies
	next    int
}

func newCounters(provider string) *counters {
	return &counters{m: ProviderMetrics{Provider: provider, Errors: map[string]int64{}}}
}

func (c *counters) update(f func(m *ProviderMetrics)) {
	c.mu.Lock()
	f(&c.m)
	c.mu.Unlock()
}

func (c *counters) hit()       { c.update(func(m *ProviderMetrics) { m.CacheHits++ }) }
func (c *counters) miss()      { c.update(func(m *ProviderMetrics) { m.CacheMisses++ }) }
func (c *counters) dedup()     { c.update(func(m *ProviderMetrics) { m.Deduplicated++ }) }
func (c *counters) retry()     { c.update(func(m *ProviderMetrics) { m.Retries++ }) }
func (c *counters) throttled() { c.update(func(m *ProviderMetrics) { m.ThrottledWaits++ }) }
func (c *counters) sharedFallback() {
	c.update(func(m *ProviderMetrics) { m.SharedLimitFallbacks++ })
}

// tokens counts a model call's tokens and estimated cost.
func (c *counters) tokens(prompt, completion int64, cost float64) {
	c.update(func(m *ProviderMetrics) {
		m.PromptTokens += prompt
		m.CompletionTokens += completion
		m.CostUSD += cost
	})
}

// failure counts an error by reason; "" (success) is ignored.
func (c *counters) failure(reason string) {
	if reason == "" {
		return
	}
	c.update(func(m *ProviderMetrics) { m.Errors[reason]++ })
}

// attempt records one HTTP attempt and its latency.
func (c *counters) attempt(d time.Duration) {
	ms := float64(d) / float64(time.Millisecond)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m.Calls++
	l := &c.m.LatencyMS
	l.Count++
	l.Sum += ms
	l.Max = math.Max(l.Max, ms)
	if len(c.samples) < latencyWindow {
		c.samples = append(c.samples, ms)
	} else {
		c.samples[c.next] = ms
		c.next = (c.next + 1) % latencyWindow
	}
}

// snapshot returns a copy that later updates do not touch.
func (c *counters) snapshot() ProviderMetrics {
	c.mu.Lock()
	m := c.m
	m.Errors = maps.Clone(c.m.Errors)
	sorted := slices.Clone(c.samples)
	c.mu.Unlock()
	slices.Sort(sorted)
	m.LatencyMS.P50 = percentile(sorted, 0.50)
	m.LatencyMS.P95 = percentile(sorted, 0.95)
	return m
}

// percentile is the nearest-rank percentile of sorted values (0 when empty).
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}
