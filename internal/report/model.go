// Package report turns an investigation into the report analysts read: in
// Markdown, HTML or JSON, within a size budget met by aggregating detail
// rather than cutting text.
package report

import (
	"github.com/spotter-soc/spotter/internal/incident"
	"github.com/spotter-soc/spotter/internal/skill"
)

// Report is everything an investigation found. Its JSON form is the
// machine-readable report; Markdown and HTML are rendered from it.
type Report struct {
	Incident incident.Incident `json:"incident"`
	Entities incident.Entities `json:"entities"`
	Findings []skill.Finding   `json:"findings"`
	Verdict  Verdict           `json:"verdict"`
	Stats    Stats             `json:"stats"`
	// Coverage says, per section, which skills ran and which could not and why.
	Coverage []Coverage `json:"coverage"`
}

// The report sections, in the order they are rendered.
const (
	SectionOverview   = "overview"
	SectionIPs        = "ips"
	SectionAccounts   = "accounts"
	SectionUserRisk   = "user_risk"
	SectionDevices    = "devices"
	SectionProcesses  = "processes"
	SectionIndicators = "indicators"
	SectionVerdict    = "verdict"
)

// Sections lists the section ids in render order.
var Sections = []string{SectionOverview, SectionIPs, SectionAccounts, SectionUserRisk, SectionDevices, SectionProcesses, SectionIndicators, SectionVerdict}

// Verdict is the overall judgement of the incident.
type Verdict struct {
	Level   skill.Level `json:"level"`
	Score   int         `json:"score"`
	Summary string      `json:"summary"`
	// ModelSummary is a language model's summary of the findings, when a
	// summarizer is configured (llm.summarizer); rendered as plain text.
	ModelSummary string `json:"model_summary,omitempty"`
	// Indicators is the aggregated verdict per indicator, worst first.
	Indicators      []skill.Verdict `json:"indicators"`
	Recommendations []string        `json:"recommendations"`
}

// Stats are figures about the investigation run.
type Stats struct {
	GeneratedAt       string         `json:"generated_at,omitempty"` // RFC 3339
	DurationMS        int64          `json:"duration_ms"`
	Entities          int            `json:"entities"`
	EntitiesByKind    map[string]int `json:"entities_by_kind"`
	Alerts            int            `json:"alerts"`
	Indicators        int            `json:"indicators"` // distinct indicators considered for enrichment
	IndicatorsSkipped int            `json:"indicators_skipped"`
	SkillCalls        int            `json:"skill_calls"`
	CacheHits         int            `json:"cache_hits"`
	Errors            int            `json:"errors"`
	Findings          int            `json:"findings"`
	// Providers are the gateway's figures per provider for the process
	// that ran the investigation: HTTP attempts, cache hits, retries, waits.
	Providers []ProviderStats `json:"providers"`
	// LLM counts the language-model calls of the run (nil when none).
	LLM *LLMStats `json:"llm,omitempty"`
}

// LLMStats are the tokens and estimated cost of a run's model calls.
type LLMStats struct {
	Provider         string  `json:"provider"`
	Model            string  `json:"model"`
	Calls            int     `json:"calls"`
	Chunks           int     `json:"chunks,omitempty"`    // map calls when the data did not fit one prompt
	Collapsed        int     `json:"collapsed,omitempty"` // benign/unknown records counted instead of listed
	PromptTokens     int     `json:"prompt_tokens"`
	CompletionTokens int     `json:"completion_tokens"`
	CostUSD          float64 `json:"cost_usd"`
	Error            string  `json:"error,omitempty"`
}

// ProviderStats summarises one provider's traffic.
type ProviderStats struct {
	Provider       string           `json:"provider"`
	Calls          int64            `json:"calls"`
	CacheHits      int64            `json:"cache_hits"`
	Deduplicated   int64            `json:"deduplicated"`
	Retries        int64            `json:"retries"`
	ThrottledWaits int64            `json:"throttled_waits"`
	Errors         map[string]int64 `json:"errors"`
	// Model providers (llm:<name>) also count tokens and estimated cost.
	PromptTokens     int64   `json:"prompt_tokens,omitempty"`
	CompletionTokens int64   `json:"completion_tokens,omitempty"`
	CostUSD          float64 `json:"cost_usd,omitempty"`
}

// Coverage states whether a skill ran for a section.
type Coverage struct {
	Section string `json:"section"`
	Skill   string `json:"skill"`
	Status  string `json:"status"` // one of the Status* constants
	Detail  string `json:"detail,omitempty"`
}

// Coverage statuses.
const (
	StatusRan           = "ran"
	StatusNotConfigured = "not configured"
	StatusNoInput       = "no input"
	StatusFailed        = "failed"
)
