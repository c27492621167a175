package server

import (
	"context"
	"net/http"
	"sort"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/spotter-soc/spotter/internal/gateway"
	"github.com/spotter-soc/spotter/internal/runs"
)

// MetricsPath serves the Prometheus exposition; it takes a bearer token
// like every other route (Prometheus sends one with authorization:
// credentials).
const MetricsPath = "/metrics"

// metricsCollector reads the gateway's per-provider figures and the run
// history at scrape time.
type metricsCollector struct {
	providers func() []gateway.ProviderMetrics
	runs      RunService
}

var (
	mCalls      = prometheus.NewDesc("spotter_provider_calls_total", "HTTP attempts sent to the provider, retries included.", []string{"provider"}, nil)
	mHits       = prometheus.NewDesc("spotter_provider_cache_hits_total", "Skill calls answered from the result cache.", []string{"provider"}, nil)
	mMisses     = prometheus.NewDesc("spotter_provider_cache_misses_total", "Skill calls not found in the result cache.", []string{"provider"}, nil)
	mDedup      = prometheus.NewDesc("spotter_provider_deduplicated_total", "Skill calls that shared an identical call in flight.", []string{"provider"}, nil)
	mRetries    = prometheus.NewDesc("spotter_provider_retries_total", "Attempts after the first of a request.", []string{"provider"}, nil)
	mThrottled  = prometheus.NewDesc("spotter_provider_throttled_waits_total", "Attempts that waited for a concurrency slot, the rate limit, the quota or a provider pause.", []string{"provider"}, nil)
	mErrors     = prometheus.NewDesc("spotter_provider_errors_total", "Failed attempts and refused calls, by reason.", []string{"provider", "reason"}, nil)
	mFallbacks  = prometheus.NewDesc("spotter_provider_shared_limit_fallbacks_total", "Requests held to this process's own limits because the shared limits were unreachable.", []string{"provider"}, nil)
	mLatency    = prometheus.NewDesc("spotter_provider_latency_seconds", "Attempt latency, request sent to response headers (recent attempts).", []string{"provider"}, nil)
	mPrompt     = prometheus.NewDesc("spotter_llm_prompt_tokens_total", "Prompt tokens used through a language-model provider.", []string{"provider"}, nil)
	mCompletion = prometheus.NewDesc("spotter_llm_completion_tokens_total", "Completion tokens used through a language-model provider.", []string{"provider"}, nil)
	mCost       = prometheus.NewDesc("spotter_llm_cost_usd_total", "Estimated cost of language-model calls, from the configured prices.", []string{"provider"}, nil)
	mRuns       = prometheus.NewDesc("spotter_playbook_runs", "Playbook runs in history, by status.", []string{"status"}, nil)
)

func (c metricsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{mCalls, mHits, mMisses, mDedup, mRetries, mThrottled, mErrors, mFallbacks, mLatency, mPrompt, mCompletion, mCost, mRuns} {
		ch <- d
	}
}

func (c metricsCollector) Collect(ch chan<- prometheus.Metric) {
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	if c.providers != nil {
		for _, m := range c.providers() {
			p := m.Provider
			counter(mCalls, float64(m.Calls), p)
			counter(mHits, float64(m.CacheHits), p)
			counter(mMisses, float64(m.CacheMisses), p)
			counter(mDedup, float64(m.Deduplicated), p)
			counter(mRetries, float64(m.Retries), p)
			counter(mThrottled, float64(m.ThrottledWaits), p)
			counter(mFallbacks, float64(m.SharedLimitFallbacks), p)
			reasons := make([]string, 0, len(m.Errors))
			for r := range m.Errors {
				reasons = append(reasons, r)
			}
			sort.Strings(reasons)
			for _, r := range reasons {
				counter(mErrors, float64(m.Errors[r]), p, r)
			}
			if m.LatencyMS.Count > 0 {
				ch <- prometheus.MustNewConstSummary(mLatency, uint64(m.LatencyMS.Count), m.LatencyMS.Sum/1000,
					map[float64]float64{0.5: m.LatencyMS.P50 / 1000, 0.95: m.LatencyMS.P95 / 1000}, p)
			}
			if m.PromptTokens+m.CompletionTokens > 0 || m.CostUSD > 0 {
				counter(mPrompt, float64(m.PromptTokens), p)
				counter(mCompletion, float64(m.CompletionTokens), p)
				counter(mCost, m.CostUSD, p)
			}
		}
	}
	if c.runs != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if counts, err := c.runs.History().Counts(ctx); err == nil {
			for _, s := range []string{runs.StatusQueued, runs.StatusRunning, runs.StatusSucceeded, runs.StatusFailed, runs.StatusCancelled} {
				ch <- prometheus.MustNewConstMetric(mRuns, prometheus.GaugeValue, float64(counts[s]), s)
			}
		}
	}
}

type metricsOutput struct {
	Body struct {
		Providers []gateway.ProviderMetrics `json:"providers"`
		Runs      map[string]int            `json:"runs,omitempty" doc:"Playbook runs in history by status"`
	}
}

// metricsRoutes serves /metrics (Prometheus text) and /api/v1/metrics
// (JSON) when the server has the gateway's figures.
func (s *Server) metricsRoutes(mux *http.ServeMux) {
	if s.cfg.Metrics == nil {
		return
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(metricsCollector{providers: s.cfg.Metrics, runs: s.cfg.Runs},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mux.Handle("GET "+MetricsPath, promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	huma.Register(s.api, operation(http.MethodGet, "/api/v1/metrics", "getMetrics",
		"Per-provider figures (calls, cache, retries, throttling, errors, latency, model tokens and cost) and runs by status", RoleViewer, false, "admin"),
		func(ctx context.Context, _ *struct{}) (*metricsOutput, error) {
			out := &metricsOutput{}
			out.Body.Providers = s.cfg.Metrics()
			if out.Body.Providers == nil {
				out.Body.Providers = []gateway.ProviderMetrics{}
			}
			if s.cfg.Runs != nil {
				counts, err := s.cfg.Runs.History().Counts(ctx)
				if err != nil {
					return nil, apiError(err)
				}
				out.Body.Runs = counts
			}
			return out, nil
		})
}
