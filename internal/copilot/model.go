// Package copilot is Spotter's copilot: sessions of prompts, their
// evaluations run by a bounded pool of workers, and the rule-based planner
// that maps a prompt in plain words to skills when no model is configured.
package copilot

import (
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/spotter-soc/spotter/internal/skill"
)

// State is where an evaluation is in its life:
// created → running → completed | failed | cancelled.
type State string

// Evaluation states.
const (
	StateCreated   State = "created"
	StateRunning   State = "running"
	StateCompleted State = "completed"
	StateFailed    State = "failed"
	StateCancelled State = "cancelled"
)

// Done reports whether the state is final.
func (s State) Done() bool {
	return s == StateCompleted || s == StateFailed || s == StateCancelled
}

// ResultType says how an evaluation ended.
type ResultType string

// Result types.
const (
	ResultSuccess          ResultType = "success"
	ResultError            ResultType = "error"
	ResultRejected         ResultType = "rejected"
	ResultTimedOut         ResultType = "timedOut"
	ResultCapacityExceeded ResultType = "capacityExceeded"
)

// Session is an investigation: an ordered list of prompts and their evaluations.
type Session struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedBy string    `json:"createdBy,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// SessionDetail is a session with its prompts in order, each with its evaluation.
type SessionDetail struct {
	Session
	Prompts []PromptDetail `json:"prompts"`
	// Usage sums the model usage of the session's evaluations.
	Usage Usage `json:"usage"`
}

// PromptDetail is a prompt with its evaluation (nil only while it is being created).
type PromptDetail struct {
	Prompt
	Evaluation *Evaluation `json:"evaluation,omitempty"`
}

// PromptRequest is what a caller submits: natural-language content, or a
// skill name with inputs; Plugins limits the skills the planner may use.
type PromptRequest struct {
	Content     string         `json:"content,omitempty" doc:"The prompt in plain words"`
	SkillName   string         `json:"skillName,omitempty" doc:"Run this skill directly (id or alias) instead of planning"`
	SkillInputs map[string]any `json:"skillInputs,omitempty" doc:"Inputs of the direct skill"`
	Plugins     []string       `json:"plugins,omitempty" doc:"Plugins the planner may use (default: every configured one)"`
}

// Prompt is a stored request.
type Prompt struct {
	ID          string         `json:"id"`
	SessionID   string         `json:"sessionId"`
	Seq         int            `json:"seq"`
	Content     string         `json:"content,omitempty"`
	SkillName   string         `json:"skillName,omitempty"`
	SkillInputs map[string]any `json:"skillInputs,omitempty"`
	Plugins     []string       `json:"plugins,omitempty"`
	CreatedBy   string         `json:"createdBy,omitempty"`
	CreatedAt   time.Time      `json:"createdAt"`
}

// SkillSource records one skill call made by an evaluation.
type SkillSource struct {
	Skill    string         `json:"skill"`
	Plugin   string         `json:"plugin"`
	Inputs   map[string]any `json:"inputs"`
	Reason   string         `json:"reason,omitempty"`
	CacheHit bool           `json:"cacheHit"`
	// DurationMs is the wall time of the call in milliseconds.
	DurationMs int64 `json:"durationMs"`
	// Links point to the raw evidence at the provider.
	Links []string `json:"links,omitempty"`
	Error string   `json:"error,omitempty"`

	// summary and findings feed the rendered answer; they are not stored.
	summary  string
	findings []skill.Finding
}

// Usage counts the model tokens an evaluation used and their estimated
// cost; the rule planner uses none.
type Usage struct {
	PromptTokens     int `json:"promptTokens"`
	CompletionTokens int `json:"completionTokens"`
	TotalTokens      int `json:"totalTokens"`
	// ModelCalls counts the calls to the model; CostUSD estimates their
	// price from the provider's configured prices.
	ModelCalls int     `json:"modelCalls,omitempty"`
	CostUSD    float64 `json:"costUsd,omitempty"`
}

// Add returns the sum of two usages.
func (u Usage) Add(o Usage) Usage {
	return Usage{PromptTokens: u.PromptTokens + o.PromptTokens, CompletionTokens: u.CompletionTokens + o.CompletionTokens,
		TotalTokens: u.TotalTokens + o.TotalTokens, ModelCalls: u.ModelCalls + o.ModelCalls, CostUSD: u.CostUSD + o.CostUSD}
}

// Flag is something in a model's answer that the evidence does not back,
// or a model request Spotter refused.
type Flag struct {
	// Kind is one of the Flag* constants.
	Kind   string `json:"kind" enum:"unsupported-action,unsupported-link,refused-tool-call,invalid-tool-arguments"`
	Detail string `json:"detail"`
}

// Flag kinds.
const (
	// FlagUnsupportedAction: the answer claims an action no skill took.
	FlagUnsupportedAction = "unsupported-action"
	// FlagUnsupportedLink: the answer cites a link absent from the evidence.
	FlagUnsupportedLink = "unsupported-link"
	// FlagRefusedToolCall: the model asked for a skill outside the scope.
	FlagRefusedToolCall = "refused-tool-call"
	// FlagInvalidArguments: the model's tool arguments failed the skill's spec.
	FlagInvalidArguments = "invalid-tool-arguments"
)

// Evaluation is the execution of a prompt.
type Evaluation struct {
	ID          string        `json:"id"`
	PromptID    string        `json:"promptId"`
	SessionID   string        `json:"sessionId"`
	State       State         `json:"state" enum:"created,running,completed,failed,cancelled"`
	ResultType  ResultType    `json:"resultType,omitempty" enum:"success,error,rejected,timedOut,capacityExceeded" doc:"Set when the evaluation is done (empty when cancelled)"`
	Content     string        `json:"content" doc:"The answer in Markdown"`
	Sources     []SkillSource `json:"sources"`
	Suggestions []string      `json:"suggestions,omitempty" doc:"Skills that may help when the prompt was rejected"`
	Entities    Entities      `json:"entities" doc:"Indicators, users, hosts and command lines the evaluation dealt with, by kind"`
	Usage       Usage         `json:"usage"`
	// Planner is "rules" or "llm:<provider>"; Fallback says why a model
	// planner gave way to the rules.
	Planner  string `json:"planner,omitempty"`
	Fallback string `json:"fallback,omitempty"`
	// Flags list what the model's answer claims without evidence and the
	// model requests that were refused.
	Flags       []Flag     `json:"flags,omitempty"`
	Error       string     `json:"error,omitempty"`
	CreatedAt   time.Time  `json:"createdAt"`
	StartedAt   *time.Time `json:"startedAt,omitempty"`
	CompletedAt *time.Time `json:"completedAt,omitempty"`
}

// newID returns a random identifier with a readable prefix.
func newID(prefix string) string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

func millis(t time.Time) int64 { return t.UnixMilli() }

func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }
