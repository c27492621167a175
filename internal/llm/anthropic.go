package llm

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/anthropics/anthropic-sdk-go/option"
)

// AnthropicConfig configures the Anthropic Messages API.
type AnthropicConfig struct {
	Name        string
	BaseURL     string // https://api.anthropic.com by default
	APIKey      string
	Model       string
	Temperature *float64 // nil: the provider's default
	MaxTokens   int      // required by the API; 1024 when unset
	// Timeout bounds a call; it also spares the SDK's refusal of
	// non-streaming calls with a large max_tokens (default 60s).
	Timeout time.Duration
	HTTP    *http.Client
}

type anthropicProvider struct {
	cfg      AnthropicConfig
	messages anthropic.MessageService
}

// NewAnthropic returns a provider speaking the Anthropic Messages API
// through the official SDK, with its retries off and its environment
// defaults (ANTHROPIC_API_KEY and the like) ignored.
func NewAnthropic(c AnthropicConfig) (Provider, error) {
	if c.HTTP == nil {
		return nil, fmt.Errorf("llm %s: an HTTP client from the gateway is required", c.Name)
	}
	if c.APIKey == "" {
		return nil, fmt.Errorf("llm %s: api_key is required for kind anthropic", c.Name)
	}
	base := strings.TrimRight(c.BaseURL, "/")
	if base == "" {
		base = "https://api.anthropic.com"
	}
	// The SDK's paths start with v1/: a base URL given with /v1, as the
	// API reference writes it, would be asked for /v1/v1/messages.
	base = strings.TrimSuffix(base, "/v1")
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	client := anthropic.NewClient(option.WithoutEnvironmentDefaults(), option.WithHTTPClient(c.HTTP), option.WithMaxRetries(0),
		option.WithAPIKey(c.APIKey), option.WithBaseURL(base+"/"), option.WithRequestTimeout(timeout))
	return &anthropicProvider{cfg: c, messages: client.Messages}, nil
}

// Chat implements Provider.
func (p *anthropicProvider) Chat(ctx context.Context, req Request) (*Response, error) {
	res, err := p.messages.New(ctx, anthropicParams(p.cfg, req))
	if err != nil {
		return nil, p.explain(err)
	}
	out, err := fromAnthropic(res)
	if err != nil {
		e := &Error{Provider: p.cfg.Name, Msg: err.Error()}
		if res != nil {
			e.Usage = Usage{PromptTokens: clampTokens(res.Usage.InputTokens), CompletionTokens: clampTokens(res.Usage.OutputTokens)}
		}
		return nil, e
	}
	return out, nil
}

// anthropicParams builds the request: the system prompt apart, tool
// results as user turns of tool_result blocks, consecutive tool results
// merged into one turn as the API requires.
func anthropicParams(c AnthropicConfig, req Request) anthropic.MessageNewParams {
	maxTokens := req.MaxTokens
	if maxTokens <= 0 {
		maxTokens = c.MaxTokens
	}
	if maxTokens <= 0 {
		maxTokens = 1024
	}
	params := anthropic.MessageNewParams{Model: anthropic.Model(c.Model), MaxTokens: int64(maxTokens)}
	if req.System != "" {
		params.System = []anthropic.TextBlockParam{{Text: req.System}}
	}
	if c.Temperature != nil {
		params.Temperature = anthropic.Float(*c.Temperature)
	}
	var msgs []anthropic.MessageParam
	for _, m := range req.Messages {
		switch m.Role {
		case RoleUser:
			msgs = append(msgs, anthropic.NewUserMessage(anthropic.NewTextBlock(m.Content)))
		case RoleAssistant:
			var blocks []anthropic.ContentBlockParamUnion
			if m.Content != "" {
				blocks = append(blocks, anthropic.NewTextBlock(m.Content))
			}
			for _, tc := range m.ToolCalls {
				args := tc.Arguments
				if args == nil {
					args = map[string]any{}
				}
				blocks = append(blocks, anthropic.NewToolUseBlock(tc.ID, args, tc.Name))
			}
			if len(blocks) == 0 {
				blocks = append(blocks, anthropic.NewTextBlock("(no text)"))
			}
			msgs = append(msgs, anthropic.NewAssistantMessage(blocks...))
		case RoleTool:
			block := anthropic.NewToolResultBlock(m.ToolCallID, m.Content, m.IsError)
			if n := len(msgs); n > 0 && msgs[n-1].Role == anthropic.MessageParamRoleUser && isToolResults(msgs[n-1]) {
				msgs[n-1].Content = append(msgs[n-1].Content, block)
				continue
			}
			msgs = append(msgs, anthropic.NewUserMessage(block))
		}
	}
	params.Messages = msgs
	for _, t := range req.Tools {
		schema := anthropic.ToolInputSchemaParam{Properties: t.Parameters["properties"]}
		if req, ok := t.Parameters["required"].([]string); ok {
			schema.Required = req
		}
		tool := anthropic.ToolUnionParamOfTool(schema, t.Name)
		tool.OfTool.Description = anthropic.String(t.Description)
		params.Tools = append(params.Tools, tool)
	}
	if req.NoToolCalls && len(params.Tools) > 0 {
		params.ToolChoice = anthropic.ToolChoiceUnionParam{OfNone: &anthropic.ToolChoiceNoneParam{}}
	}
	return params
}

func isToolResults(m anthropic.MessageParam) bool {
	for _, b := range m.Content {
		if b.OfToolResult == nil {
			return false
		}
	}
	return len(m.Content) > 0
}

// fromAnthropic converts a message: text blocks joined, tool_use blocks
// (their input arrives as a JSON object) as tool calls, and the usage.
func fromAnthropic(res *anthropic.Message) (*Response, error) {
	if res == nil {
		return nil, errors.New("response: expected a message")
	}
	out := &Response{StopReason: string(res.StopReason),
		Usage: Usage{PromptTokens: clampTokens(res.Usage.InputTokens), CompletionTokens: clampTokens(res.Usage.OutputTokens)}}
	var text []string
	for i, b := range res.Content {
		switch b.Type {
		case "text":
			text = append(text, b.Text)
		case "tool_use":
			if b.Name == "" {
				return nil, fmt.Errorf("response: content[%d].name: expected the tool name of a tool_use block", i)
			}
			call := ToolCall{ID: b.ID, Name: b.Name, Raw: string(b.Input)}
			if call.ID == "" {
				call.ID = fmt.Sprintf("toolu_%d", i)
			}
			call.Arguments, call.ArgumentsError = ParseArguments(string(b.Input))
			out.ToolCalls = append(out.ToolCalls, call)
		}
	}
	out.Text = strings.Join(text, "\n")
	return out, nil
}

func (p *anthropicProvider) explain(err error) error {
	var apiErr *anthropic.Error
	if errors.As(err, &apiErr) {
		e := &Error{Provider: p.cfg.Name, Status: apiErr.StatusCode}
		msg := ""
		if body, perr := ParseErrorBody([]byte(apiErr.RawJSON())); perr == nil {
			e.Code, msg = cmp.Or(body.Type, body.Code), body.Message
		}
		e.Msg = scrubSecrets(statusMessage(apiErr.StatusCode, msg), p.cfg.APIKey)
		return e
	}
	return &Error{Provider: p.cfg.Name, Msg: scrubSecrets(transportMessage(err), p.cfg.APIKey)}
}

// anthropicMessage decodes a raw Messages API response, for tests and fuzzing.
func anthropicMessage(body []byte) (*anthropic.Message, error) {
	var m anthropic.Message
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, err
	}
	return &m, nil
}
