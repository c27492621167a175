package llm

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"
)

// OpenAIConfig configures an OpenAI, Azure OpenAI or OpenAI-compatible
// provider (Ollama, vLLM, llama.cpp server).
type OpenAIConfig struct {
	// Name is the provider's configured name, used in errors.
	Name string
	// BaseURL is the API root: https://api.openai.com/v1 by default; for
	// Azure the resource endpoint (https://NAME.openai.azure.com).
	BaseURL string
	APIKey  string
	Model   string
	// Temperature is sent when set; nil leaves the provider's default.
	Temperature *float64
	MaxTokens   int
	// Azure, when set, addresses a deployment of Azure OpenAI.
	Azure *AzureTarget
	// LegacyMaxTokens sends max_tokens instead of max_completion_tokens,
	// for servers that only know the older field.
	LegacyMaxTokens bool
	// HTTP is the gateway's client: its transport owns retries, rate
	// limits, Retry-After, the breaker and metrics.
	HTTP *http.Client
}

// AzureTarget addresses an Azure OpenAI deployment. With no API key, Token
// supplies a Microsoft Entra access token for every request.
type AzureTarget struct {
	Deployment string
	APIVersion string
	Token      func(ctx context.Context) (string, error)
}

type openAIProvider struct {
	cfg  OpenAIConfig
	chat openai.ChatCompletionService
}

// NewOpenAI returns a provider speaking the OpenAI chat completions format
// through the official SDK, with the SDK's retries off: the gateway's
// transport retries. The SDK's environment defaults (OPENAI_API_KEY and
// the like) are not read: only the configuration counts.
func NewOpenAI(c OpenAIConfig) (Provider, error) {
	if c.HTTP == nil {
		return nil, fmt.Errorf("llm %s: an HTTP client from the gateway is required", c.Name)
	}
	base := strings.TrimRight(c.BaseURL, "/")
	if base == "" {
		base = "https://api.openai.com/v1"
	}
	if c.Azure == nil {
		base = withV1(base)
	}
	opts := []option.RequestOption{option.WithHTTPClient(c.HTTP), option.WithMaxRetries(0)}
	if az := c.Azure; az != nil {
		if az.Deployment == "" || az.APIVersion == "" {
			return nil, fmt.Errorf("llm %s: Azure OpenAI needs deployment and api_version", c.Name)
		}
		base += "/openai/deployments/" + pathEscape(az.Deployment)
		opts = append(opts, option.WithQuery("api-version", az.APIVersion))
		switch {
		case c.APIKey != "":
			opts = append(opts, option.WithHeader("api-key", c.APIKey))
		case az.Token != nil:
			token := az.Token
			opts = append(opts, option.WithMiddleware(func(r *http.Request, next option.MiddlewareNext) (*http.Response, error) {
				t, err := token(r.Context())
				if err != nil {
					return nil, err
				}
				r.Header.Set("Authorization", "Bearer "+t)
				return next(r)
			}))
		default:
			return nil, fmt.Errorf("llm %s: Azure OpenAI needs api_key or a Microsoft Entra credential (auth)", c.Name)
		}
	} else if c.APIKey != "" {
		opts = append(opts, option.WithAPIKey(c.APIKey))
	}
	opts = append(opts, option.WithBaseURL(base+"/"))
	return &openAIProvider{cfg: c, chat: openai.NewChatCompletionService(opts...)}, nil
}

// Chat implements Provider.
func (p *openAIProvider) Chat(ctx context.Context, req Request) (*Response, error) {
	params := openAIParams(p.cfg, req)
	res, err := p.chat.New(ctx, params)
	if err != nil {
		return nil, p.explain(err)
	}
	out, err := fromOpenAI(res)
	if err != nil {
		e := &Error{Provider: p.cfg.Name, Msg: err.Error()}
		if res != nil {
			e.Usage = Usage{PromptTokens: clampTokens(res.Usage.PromptTokens), CompletionTokens: clampTokens(res.Usage.CompletionTokens)}
		}
		return nil, e
	}
	return out, nil
}

// openAIParams builds the request body.
func openAIParams(c OpenAIConfig, req Request) openai.ChatCompletionNewParams {
	msgs := []openai.ChatCompletionMessageParamUnion{openai.SystemMessage(req.System)}
	for _, m := range req.Messages {
		switch m.Role {
		case RoleUser:
			msgs = append(msgs, openai.UserMessage(m.Content))
		case RoleAssistant:
			a := openai.ChatCompletionAssistantMessageParam{}
			if m.Content != "" {
				a.Content.OfString = openai.String(m.Content)
			}
			for _, tc := range m.ToolCalls {
				a.ToolCalls = append(a.ToolCalls, openai.ChatCompletionMessageToolCallUnionParam{OfFunction: &openai.ChatCompletionMessageFunctionToolCallParam{
					ID: tc.ID, Function: openai.ChatCompletionMessageFunctionToolCallFunctionParam{Name: tc.Name, Arguments: orJSON(tc.Raw)},
				}})
			}
			msgs = append(msgs, openai.ChatCompletionMessageParamUnion{OfAssistant: &a})
		case RoleTool:
			msgs = append(msgs, openai.ToolMessage(m.Content, m.ToolCallID))
		}
	}
	params := openai.ChatCompletionNewParams{Messages: msgs, Model: shared.ChatModel(c.Model)}
	if c.Azure != nil && c.Model == "" {
		params.Model = shared.ChatModel(c.Azure.Deployment)
	}
	if c.Temperature != nil {
		params.Temperature = openai.Float(*c.Temperature)
	}
	maxTokens := req.MaxTokens
	if maxTokens <= 0 {
		maxTokens = c.MaxTokens
	}
	if maxTokens > 0 {
		if c.LegacyMaxTokens {
			params.MaxTokens = openai.Int(int64(maxTokens))
		} else {
			params.MaxCompletionTokens = openai.Int(int64(maxTokens))
		}
	}
	for _, t := range req.Tools {
		params.Tools = append(params.Tools, openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
			Name: t.Name, Description: openai.String(t.Description), Parameters: shared.FunctionParameters(t.Parameters),
		}))
	}
	if req.NoToolCalls && len(params.Tools) > 0 {
		params.ToolChoice = openai.ChatCompletionToolChoiceOptionUnionParam{OfAuto: openai.String("none")}
	}
	return params
}

// fromOpenAI converts a chat completion: the first choice's text and tool
// calls (arguments arrive as a JSON string) and the usage.
func fromOpenAI(res *openai.ChatCompletion) (*Response, error) {
	if res == nil || len(res.Choices) == 0 {
		return nil, errors.New("response: choices: expected at least one choice")
	}
	ch := res.Choices[0]
	out := &Response{Text: ch.Message.Content, StopReason: ch.FinishReason,
		Usage: Usage{PromptTokens: clampTokens(res.Usage.PromptTokens), CompletionTokens: clampTokens(res.Usage.CompletionTokens)}}
	for i, tc := range ch.Message.ToolCalls {
		if tc.Type != "" && tc.Type != "function" {
			return nil, fmt.Errorf("response: choices[0].message.tool_calls[%d].type: %q: expected function", i, tc.Type)
		}
		call := ToolCall{ID: tc.ID, Name: tc.Function.Name, Raw: tc.Function.Arguments}
		if call.ID == "" {
			call.ID = fmt.Sprintf("call_%d", i)
		}
		if call.Name == "" {
			return nil, fmt.Errorf("response: choices[0].message.tool_calls[%d].function.name: expected a tool name", i)
		}
		call.Arguments, call.ArgumentsError = ParseArguments(tc.Function.Arguments)
		out.ToolCalls = append(out.ToolCalls, call)
	}
	return out, nil
}

// explain turns an SDK error into *Error without the request or its
// headers (the SDK error carries both).
func (p *openAIProvider) explain(err error) error {
	var apiErr *openai.Error
	if errors.As(err, &apiErr) {
		e := &Error{Provider: p.cfg.Name, Status: apiErr.StatusCode, Code: cmp.Or(apiErr.Code, apiErr.Type)}
		e.Msg = statusMessage(apiErr.StatusCode, apiErr.Message)
		e.Msg = scrubSecrets(e.Msg, p.cfg.APIKey)
		return e
	}
	return &Error{Provider: p.cfg.Name, Msg: scrubSecrets(transportMessage(err), p.cfg.APIKey)}
}

// withV1 adds /v1 to a base URL with no path: the OpenAI API and the
// servers that copy it (Ollama, vLLM, LM Studio, llama.cpp) serve chat
// completions under /v1, and "http://localhost:11434" is a common way to
// name the server. A base URL with a path is taken as given.
func withV1(base string) string {
	u, err := url.Parse(base)
	if err != nil || u.Path != "" || u.RawQuery != "" {
		return base
	}
	return base + "/v1"
}

func orJSON(raw string) string {
	if strings.TrimSpace(raw) == "" {
		return "{}"
	}
	return raw
}

func pathEscape(s string) string {
	r := strings.NewReplacer("/", "%2F", "?", "%3F", "#", "%23", " ", "%20")
	return r.Replace(s)
}
