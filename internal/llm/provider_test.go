package llm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/spotter-soc/spotter/internal/config"
	"github.com/spotter-soc/spotter/internal/gateway"
	"github.com/spotter-soc/spotter/internal/llm/fakellm"
	"github.com/spotter-soc/spotter/internal/skill"
	"github.com/spotter-soc/spotter/internal/skill/skilltest"
)

const testKey = "sk-test-7d1f0c2e9b8a4f6d"

// newGateway returns a gateway that retries quickly and logs into buf.
func newGateway(t *testing.T, buf *bytes.Buffer) *gateway.Gateway {
	t.Helper()
	log := slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return gateway.New(skill.NewRegistry(), nil, gateway.Config{MaxRetries: 2, BackoffBase: time.Millisecond, BackoffMax: 5 * time.Millisecond,
		CallTimeout: 5 * time.Second, QueueWait: 5 * time.Second, BreakerFailures: 50}, nil, log)
}

var ipTool = skill.Spec{ID: "abuseipdb.CheckIP", Description: "IP reputation", Inputs: []skill.Input{
	{Name: "ip", Type: skill.TypeString, Required: true, Description: "IPv4 or IPv6 address"},
	{Name: "days", Type: skill.TypeInteger, Description: "look-back in days"},
}}.Tool()

func toolRequest() Request {
	return Request{System: "You are Spotter.", Messages: []Message{{Role: RoleUser, Content: "Check 203.0.113.7"}}, Tools: []skill.Tool{ipTool}}
}

func TestOpenAIToolCallsThenText(t *testing.T) {
	srv := fakellm.New(testKey,
		fakellm.Step{Calls: []fakellm.Call{{Name: "abuseipdb__CheckIP", Args: map[string]any{"ip": "203.0.113.7", "days": 30}}}, PromptTokens: 120, CompletionTokens: 14},
		fakellm.Step{Text: "203.0.113.7 is malicious [abuseipdb.CheckIP].", PromptTokens: 200, CompletionTokens: 20})
	defer srv.Close()
	var logs bytes.Buffer
	gw := newGateway(t, &logs)
	m, err := NewModel("openai", config.LLMProvider{Kind: config.LLMKindOpenAI, BaseURL: srv.URL + "/v1", APIKey: testKey, Model: "gpt-test",
		Temperature: ptr(0.2), MaxTokens: 300, PromptPrice: 0.01, CompletionPrice: 0.03}, gw)
	if err != nil {
		t.Fatal(err)
	}
	meter := NewMeter("evaluation", Limits{}, nil)
	resp, err := m.Chat(context.Background(), meter, toolRequest())
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.ToolCalls) != 1 || resp.ToolCalls[0].Name != "abuseipdb__CheckIP" || resp.ToolCalls[0].Arguments["ip"] != "203.0.113.7" ||
		resp.ToolCalls[0].Arguments["days"] != float64(30) || resp.ToolCalls[0].ArgumentsError != "" {
		t.Fatalf("tool calls: %+v", resp.ToolCalls)
	}
	if resp.Usage != (Usage{120, 14}) || resp.StopReason != "tool_calls" {
		t.Errorf("usage %+v stop %q", resp.Usage, resp.StopReason)
	}
	req := toolRequest()
	req.Messages = append(req.Messages, Message{Role: RoleAssistant, ToolCalls: resp.ToolCalls},
		Message{Role: RoleTool, ToolCallID: resp.ToolCalls[0].ID, Content: `{"verdict":"malicious"}`})
	resp, err = m.Chat(context.Background(), meter, req)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(resp.Text, "malicious") {
		t.Errorf("text %q", resp.Text)
	}
	reqs := srv.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests", len(reqs))
	}
	r0 := reqs[0]
	if r0.Path != "/v1/chat/completions" || r0.Header.Get("Authorization") != "Bearer "+testKey {
		t.Errorf("path %q auth %q", r0.Path, r0.Header.Get("Authorization"))
	}
	if r0.Body["model"] != "gpt-test" || r0.Body["max_completion_tokens"] != float64(300) || r0.Body["temperature"] != 0.2 {
		t.Errorf("body: %v", r0.Body)
	}
	if names := r0.ToolNames(); len(names) != 1 || names[0] != "abuseipdb__CheckIP" {
		t.Errorf("tools %v", names)
	}
	msgs, _ := reqs[1].Body["messages"].([]any)
	if len(msgs) != 4 {
		t.Fatalf("second request has %d messages: %v", len(msgs), msgs)
	}
	if role := msgs[0].(map[string]any)["role"]; role != "system" {
		t.Errorf("first message role %v", role)
	}
	tool := msgs[3].(map[string]any)
	if tool["role"] != "tool" || tool["tool_call_id"] != resp0ID(reqs) {
		t.Errorf("tool message %v", tool)
	}
	spent := meter.Spent()
	if spent.Total() != 354 || spent.Calls != 2 {
		t.Errorf("spent %+v", spent)
	}
	wantCost := (320*0.01 + 34*0.03) / 1000
	if diff := spent.CostUSD - wantCost; diff > 1e-12 || diff < -1e-12 {
		t.Errorf("cost %v, want %v", spent.CostUSD, wantCost)
	}
	var found bool
	for _, pm := range gw.Metrics() {
		if pm.Provider == "llm:openai" {
			found = pm.PromptTokens == 320 && pm.CompletionTokens == 34 && pm.Calls == 2
		}
	}
	if !found {
		t.Errorf("gateway metrics lack the model's tokens: %+v", gw.Metrics())
	}
	skilltest.NoLeak(t, []string{testKey}, logs.String(), resp)
}

// resp0ID is the id the fake gave the first tool call.
func resp0ID(reqs []fakellm.Request) string {
	msgs, _ := reqs[1].Body["messages"].([]any)
	calls, _ := msgs[2].(map[string]any)["tool_calls"].([]any)
	if len(calls) == 0 {
		return "?"
	}
	return calls[0].(map[string]any)["id"].(string)
}

func TestAzureOpenAIDeploymentKeyAndToken(t *testing.T) {
	srv := fakellm.New(testKey, fakellm.Step{Text: "ok"}, fakellm.Step{Text: "ok"})
	defer srv.Close()
	var logs bytes.Buffer
	gw := newGateway(t, &logs)
	m, err := NewModel("azure", config.LLMProvider{Kind: config.LLMKindAzureOpenAI, BaseURL: srv.URL, APIKey: testKey,
		Deployment: "gpt4o-soc", APIVersion: "2024-10-21"}, gw)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Chat(context.Background(), nil, toolRequest()); err != nil {
		t.Fatal(err)
	}
	r := srv.Requests()[0]
	if r.Path != "/openai/deployments/gpt4o-soc/chat/completions" || r.Query != "api-version=2024-10-21" || r.Header.Get("api-key") != testKey {
		t.Errorf("path %q query %q api-key set %v", r.Path, r.Query, r.Header.Get("api-key") != "")
	}
	if r.Header.Get("Authorization") != "" {
		t.Error("Azure with a key must not send Authorization")
	}
	// Entra: a bearer token per request, no api-key.
	const token = "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.entra-test"
	srv.Key = token
	p, err := NewOpenAI(OpenAIConfig{Name: "azure", BaseURL: srv.URL, HTTP: gw.Client("llm:azure", skill.RateLimit{}),
		Azure: &AzureTarget{Deployment: "gpt4o-soc", APIVersion: "2024-10-21", Token: func(context.Context) (string, error) { return token, nil }}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Chat(context.Background(), toolRequest()); err != nil {
		t.Fatal(err)
	}
	r = srv.Requests()[1]
	if r.Header.Get("Authorization") != "Bearer "+token || r.Header.Get("api-key") != "" {
		t.Errorf("entra request headers: auth set %v, api-key set %v", r.Header.Get("Authorization") != "", r.Header.Get("api-key") != "")
	}
	if r.Body["model"] != "gpt4o-soc" {
		t.Errorf("model defaults to the deployment: %v", r.Body["model"])
	}
	skilltest.NoLeak(t, []string{testKey, token}, logs.String())
}

func TestOpenAICompatibleWithoutKey(t *testing.T) {
	srv := fakellm.New("", fakellm.Step{Text: "hello"})
	defer srv.Close()
	var logs bytes.Buffer
	m, err := NewModel("ollama", config.LLMProvider{Kind: config.LLMKindOpenAICompatible, BaseURL: srv.URL + "/v1", Model: "llama3.1:8b"}, newGateway(t, &logs))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := m.Chat(context.Background(), nil, Request{System: "s", Messages: []Message{{Role: RoleUser, Content: "hi"}}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Text != "hello" || resp.Usage.PromptTokens == 0 {
		t.Errorf("resp %+v", resp)
	}
	r := srv.Requests()[0]
	if r.Header.Get("Authorization") != "" {
		t.Errorf("no key configured, yet Authorization %q was sent", r.Header.Get("Authorization"))
	}
	if r.Body["max_tokens"] != float64(DefaultMaxTokens) {
		t.Errorf("compatible servers get max_tokens: %v", r.Body)
	}
}

func TestAnthropicToolUse(t *testing.T) {
	srv := fakellm.New(testKey,
		fakellm.Step{Text: "Looking it up.", Calls: []fakellm.Call{{Name: "abuseipdb__CheckIP", Args: map[string]any{"ip": "203.0.113.7"}}}, PromptTokens: 90, CompletionTokens: 9},
		fakellm.Step{Text: "Done.", PromptTokens: 150, CompletionTokens: 5})
	defer srv.Close()
	var logs bytes.Buffer
	m, err := NewModel("claude", config.LLMProvider{Kind: config.LLMKindAnthropic, BaseURL: srv.URL, APIKey: testKey, Model: "claude-test", MaxTokens: 512}, newGateway(t, &logs))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := m.Chat(context.Background(), nil, toolRequest())
	if err != nil {
		t.Fatal(err)
	}
	if resp.Text != "Looking it up." || len(resp.ToolCalls) != 1 || resp.ToolCalls[0].Arguments["ip"] != "203.0.113.7" || resp.StopReason != "tool_use" {
		t.Fatalf("resp %+v", resp)
	}
	if resp.Usage != (Usage{90, 9}) {
		t.Errorf("usage %+v", resp.Usage)
	}
	req := toolRequest()
	req.Messages = append(req.Messages, Message{Role: RoleAssistant, Content: resp.Text, ToolCalls: resp.ToolCalls},
		Message{Role: RoleTool, ToolCallID: resp.ToolCalls[0].ID, Content: "{}"},
		Message{Role: RoleTool, ToolCallID: "other", Content: "refused", IsError: true})
	if _, err := m.Chat(context.Background(), nil, req); err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	r0 := reqs[0]
	if r0.Path != "/v1/messages" || r0.Header.Get("x-api-key") != testKey || r0.Header.Get("anthropic-version") == "" {
		t.Errorf("path %q headers %v", r0.Path, r0.Header.Get("anthropic-version"))
	}
	if r0.Body["max_tokens"] != float64(512) || r0.Body["model"] != "claude-test" {
		t.Errorf("body %v", r0.Body)
	}
	sys, _ := r0.Body["system"].([]any)
	if len(sys) != 1 {
		t.Errorf("system %v", r0.Body["system"])
	}
	tools, _ := r0.Body["tools"].([]any)
	schema := tools[0].(map[string]any)["input_schema"].(map[string]any)
	if schema["type"] != "object" || schema["properties"] == nil {
		t.Errorf("input_schema %v", schema)
	}
	msgs, _ := reqs[1].Body["messages"].([]any)
	if len(msgs) != 3 {
		t.Fatalf("tool results must share one user turn: %d messages", len(msgs))
	}
	last := msgs[2].(map[string]any)
	if blocks, _ := last["content"].([]any); last["role"] != "user" || len(blocks) != 2 {
		t.Errorf("tool results turn %v", last)
	}
	skilltest.NoLeak(t, []string{testKey}, logs.String())
}

func TestRateLimitRetryAfterIsTheGatewaysJob(t *testing.T) {
	for _, kind := range []string{config.LLMKindOpenAI, config.LLMKindAnthropic} {
		t.Run(kind, func(t *testing.T) {
			srv := fakellm.New(testKey, fakellm.Step{Status: http.StatusTooManyRequests, RetryAfter: "0.05", ErrorType: "rate_limit_error", ErrorMessage: "slow down"},
				fakellm.Step{Text: "ok"})
			defer srv.Close()
			var logs bytes.Buffer
			gw := newGateway(t, &logs)
			base := srv.URL
			if kind == config.LLMKindOpenAI {
				base += "/v1"
			}
			m, err := NewModel("p", config.LLMProvider{Kind: kind, BaseURL: base, APIKey: testKey, Model: "m"}, gw)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			resp, err := m.Chat(context.Background(), nil, toolRequest())
			if err != nil {
				t.Fatal(err)
			}
			if resp.Text != "ok" || len(srv.Requests()) != 2 {
				t.Fatalf("resp %+v after %d requests", resp, len(srv.Requests()))
			}
			if time.Since(start) < 40*time.Millisecond {
				t.Error("Retry-After was not honoured")
			}
			for _, pm := range gw.Metrics() {
				if pm.Provider == "llm:p" && pm.Retries != 1 {
					t.Errorf("retries %d, want 1 (by the gateway, the SDK's are off)", pm.Retries)
				}
			}
		})
	}
}

func TestProviderErrors(t *testing.T) {
	cases := []struct {
		name   string
		kind   string
		key    string
		step   fakellm.Step
		status int
		want   string
	}{
		{"openai bad key echoed by the provider", config.LLMKindOpenAI, testKey + "-wrong", fakellm.Step{Text: "x"}, 401, "authentication failed"},
		{"openai bad request", config.LLMKindOpenAI, testKey, fakellm.Step{Status: 400, ErrorType: "invalid_request_error", ErrorMessage: "model gpt-x does not exist"}, 400, "model gpt-x does not exist"},
		{"openai server error after retries", config.LLMKindOpenAI, testKey, fakellm.Step{Status: 500, ErrorMessage: "boom"}, 500, "boom"},
		{"openai quota", config.LLMKindOpenAI, testKey, fakellm.Step{Status: 429, ErrorType: "insufficient_quota", ErrorMessage: "You exceeded your current quota"}, 429, "rate limited or out of quota"},
		{"openai no choices", config.LLMKindOpenAI, testKey, fakellm.Step{Body: `{"id":"x","object":"chat.completion","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":0}}`}, 0, "choices: expected at least one"},
		{"anthropic bad key", config.LLMKindAnthropic, testKey + "-wrong", fakellm.Step{Text: "x"}, 401, "authentication failed"},
		{"anthropic overloaded", config.LLMKindAnthropic, testKey, fakellm.Step{Status: 400, ErrorType: "invalid_request_error", ErrorMessage: "max_tokens: too large"}, 400, "max_tokens: too large"},
		{"anthropic tool without name", config.LLMKindAnthropic, testKey, fakellm.Step{Body: `{"id":"m","type":"message","role":"assistant","content":[{"type":"tool_use","id":"t","input":{}}],"usage":{"input_tokens":1,"output_tokens":1}}`}, 0, "content[0].name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			steps := []fakellm.Step{c.step, c.step, c.step}
			srv := fakellm.New(testKey, steps...)
			defer srv.Close()
			var logs bytes.Buffer
			base := srv.URL
			if c.kind == config.LLMKindOpenAI {
				base += "/v1"
			}
			m, err := NewModel("p", config.LLMProvider{Kind: c.kind, BaseURL: base, APIKey: c.key, Model: "m"}, newGateway(t, &logs))
			if err != nil {
				t.Fatal(err)
			}
			_, err = m.Chat(context.Background(), nil, toolRequest())
			var le *Error
			if !errors.As(err, &le) {
				t.Fatalf("error %T %v, want *llm.Error", err, err)
			}
			if le.Status != c.status || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q (status %d), want %q (status %d)", err, le.Status, c.want, c.status)
			}
			skilltest.NoLeak(t, []string{testKey}, err, logs.String())
		})
	}
}

func TestMalformedToolArgumentsAreReportedNotFatal(t *testing.T) {
	for _, kind := range []string{config.LLMKindOpenAI, config.LLMKindAnthropic} {
		t.Run(kind, func(t *testing.T) {
			raw := `{"ip": "203.0.113.7"`
			if kind == config.LLMKindAnthropic {
				raw = `["203.0.113.7"]`
			}
			srv := fakellm.New("", fakellm.Step{Calls: []fakellm.Call{{Name: "abuseipdb__CheckIP", RawArgs: raw}}})
			defer srv.Close()
			var logs bytes.Buffer
			base := srv.URL
			if kind == config.LLMKindOpenAI {
				base += "/v1"
			}
			m, err := NewModel("p", config.LLMProvider{Kind: kind, BaseURL: base, APIKey: "k-unused-1234", Model: "m"}, newGateway(t, &logs))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := m.Chat(context.Background(), nil, toolRequest())
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.ToolCalls) != 1 || resp.ToolCalls[0].ArgumentsError == "" || resp.ToolCalls[0].Arguments != nil {
				t.Errorf("calls %+v", resp.ToolCalls)
			}
		})
	}
}

func TestBudgetRefusesOnceSpent(t *testing.T) {
	srv := fakellm.New("", fakellm.Step{Text: "a", PromptTokens: 600, CompletionTokens: 100}, fakellm.Step{Text: "b", PromptTokens: 10, CompletionTokens: 10})
	defer srv.Close()
	var logs bytes.Buffer
	m, err := NewModel("p", config.LLMProvider{Kind: config.LLMKindOpenAICompatible, BaseURL: srv.URL + "/v1", Model: "m", PromptPrice: 1, CompletionPrice: 2}, newGateway(t, &logs))
	if err != nil {
		t.Fatal(err)
	}
	run := NewMeter("run", Limits{CostUSD: 5}, nil)
	eval := NewMeter("evaluation", Limits{Tokens: 500}, run)
	if _, err := m.Chat(context.Background(), eval, toolRequest()); err != nil {
		t.Fatal(err)
	}
	_, err = m.Chat(context.Background(), eval, toolRequest())
	if !errors.Is(err, ErrBudget) || !strings.Contains(err.Error(), "evaluation token budget of 500") {
		t.Fatalf("err %v", err)
	}
	// A fresh evaluation under the same run is refused by the run's cost budget ($0.80 of $5 is fine).
	eval2 := NewMeter("evaluation", Limits{}, run)
	if _, err := m.Chat(context.Background(), eval2, toolRequest()); err != nil {
		t.Fatalf("run budget not yet spent: %v", err)
	}
	if got := run.Spent(); got.Calls != 2 || got.Total() != 720 {
		t.Errorf("run spent %+v", got)
	}
	tight := NewMeter("run", Limits{CostUSD: 0.5}, nil)
	tight.Add(Usage{PromptTokens: 600}, 0.6)
	if err := NewMeter("evaluation", Limits{}, tight).Check(); !errors.Is(err, ErrBudget) || !strings.Contains(err.Error(), "run cost budget") {
		t.Errorf("parent budget: %v", err)
	}
	if len(srv.Requests()) != 2 {
		t.Errorf("a refused call must not reach the provider: %d requests", len(srv.Requests()))
	}
}

func TestAnthropicLargeMaxTokensIsNotRefusedBySDK(t *testing.T) {
	srv := fakellm.New(testKey, fakellm.Step{Text: "ok"})
	defer srv.Close()
	var logs bytes.Buffer
	m, err := NewModel("claude", config.LLMProvider{Kind: config.LLMKindAnthropic, BaseURL: srv.URL, APIKey: testKey, Model: "claude-test", MaxTokens: 64000}, newGateway(t, &logs))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Chat(context.Background(), nil, toolRequest()); err != nil {
		t.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }

func TestAzureEntraTokenFailureIsExplainedWithoutTheSecret(t *testing.T) {
	srv := fakellm.New("", fakellm.Step{Text: "never"})
	defer srv.Close()
	const secret = "entra~Secret.Value-3f2a1b0c9d8e"
	var logs bytes.Buffer
	m, err := NewModel("azure", config.LLMProvider{Kind: config.LLMKindAzureOpenAI, BaseURL: srv.URL, Deployment: "d", APIVersion: "2024-10-21",
		TenantID: "72f988bf-0000-4000-8000-00000000fa11", ClientID: "5d1c0a9e-0000-4000-8000-0000000c11e7", ClientSecret: secret,
		AuthorityHost: "https://127.0.0.1:1/"}, newGateway(t, &logs))
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Chat(context.Background(), nil, toolRequest())
	if err == nil || !strings.Contains(err.Error(), "llm azure") || !strings.Contains(err.Error(), "Microsoft Entra token") {
		t.Fatalf("err %v", err)
	}
	if len(srv.Requests()) != 0 {
		t.Error("no request may reach the model without a token")
	}
	skilltest.NoLeak(t, []string{secret}, err, logs.String())
}

func TestNoToolCallsKeepsToolsDefined(t *testing.T) {
	for _, kind := range []string{config.LLMKindOpenAI, config.LLMKindAnthropic} {
		srv := fakellm.New("", fakellm.Step{Text: "final"})
		base := srv.URL
		if kind == config.LLMKindOpenAI {
			base += "/v1"
		}
		var logs bytes.Buffer
		m, err := NewModel("p", config.LLMProvider{Kind: kind, BaseURL: base, APIKey: "k-1234567", Model: "m"}, newGateway(t, &logs))
		if err != nil {
			t.Fatal(err)
		}
		req := toolRequest()
		req.NoToolCalls = true
		if _, err := m.Chat(context.Background(), nil, req); err != nil {
			t.Fatal(err)
		}
		body := srv.Requests()[0].Body
		want := any("none")
		if kind == config.LLMKindAnthropic {
			want = map[string]any{"type": "none"}
		}
		if fmt.Sprint(body["tool_choice"]) != fmt.Sprint(want) || len(srv.Requests()[0].ToolNames()) != 1 {
			t.Errorf("%s: tool_choice %v tools %v", kind, body["tool_choice"], srv.Requests()[0].ToolNames())
		}
		srv.Close()
	}
}
