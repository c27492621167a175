// Package llm is Spotter's optional language-model layer: a small Provider
// contract (chat with tools, usage back), implementations for OpenAI, Azure
// OpenAI, OpenAI-compatible servers and Anthropic on the official SDKs with
// their retries off (the gateway owns retries, rate limits and Retry-After),
// token and cost accounting with budgets, and the fencing that keeps
// untrusted data apart from instructions.
package llm

import (
	"context"
	"errors"
	"fmt"

	"github.com/spotter-soc/spotter/internal/skill"
)

// Role says who wrote a message.
type Role string

// Message roles.
const (
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
	RoleTool      Role = "tool"
)

// Message is one turn of a conversation.
type Message struct {
	Role    Role
	Content string
	// ToolCalls are the calls an assistant turn asked for.
	ToolCalls []ToolCall
	// ToolCallID answers the call with that id (RoleTool only).
	ToolCallID string
	// IsError marks a tool result that reports a refusal or failure.
	IsError bool
}

// ToolCall is a model's request to run one tool.
type ToolCall struct {
	ID   string
	Name string
	// Arguments are the decoded arguments; nil when ArgumentsError is set.
	Arguments map[string]any
	// ArgumentsError says why the arguments could not be decoded; the call
	// is answered with this error and never executed.
	ArgumentsError string
	// Raw is the arguments as the model sent them, for the conversation.
	Raw string
}

// Request is one chat call. System is fixed by Spotter; untrusted data goes
// in messages, fenced (see Fence).
type Request struct {
	System   string
	Messages []Message
	Tools    []skill.Tool
	// MaxTokens overrides the provider's completion limit when positive.
	MaxTokens int
	// NoToolCalls keeps the tools defined (the conversation may hold tool
	// calls, which some APIs require them for) but asks for text only.
	NoToolCalls bool
}

// Response is the model's answer: text, tool calls, or both.
type Response struct {
	Text       string
	ToolCalls  []ToolCall
	StopReason string
	Usage      Usage
}

// Usage counts tokens.
type Usage struct {
	PromptTokens     int `json:"promptTokens"`
	CompletionTokens int `json:"completionTokens"`
}

// Total is prompt plus completion tokens.
func (u Usage) Total() int { return u.PromptTokens + u.CompletionTokens }

// Add returns the sum.
func (u Usage) Add(o Usage) Usage {
	return Usage{PromptTokens: u.PromptTokens + o.PromptTokens, CompletionTokens: u.CompletionTokens + o.CompletionTokens}
}

// Provider is a chat model endpoint.
type Provider interface {
	// Chat sends one request. Errors are *Error and never contain secrets.
	Chat(ctx context.Context, req Request) (*Response, error)
}

// ProviderFunc adapts a function to Provider (scripted models in tests).
type ProviderFunc func(ctx context.Context, req Request) (*Response, error)

// Chat implements Provider.
func (f ProviderFunc) Chat(ctx context.Context, req Request) (*Response, error) { return f(ctx, req) }

// Error is a failed model call, in words an operator can act on.
type Error struct {
	Provider string
	Status   int    // HTTP status, 0 when none
	Code     string // the provider's error type or code
	Msg      string
	// Usage is what a call the provider answered, but Spotter could not
	// use, was billed for; it still counts on the meters.
	Usage Usage
}

func (e *Error) Error() string {
	s := "llm " + e.Provider + ": " + e.Msg
	if e.Status != 0 {
		s += fmt.Sprintf(" (HTTP %d)", e.Status)
	}
	return s
}

// ErrBudget is wrapped by errors of calls refused because a token or cost
// budget is spent.
var ErrBudget = errors.New("budget spent")
