package config

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestLLMSection(t *testing.T) {
	c, err := Load("", []string{"HOME=/home/u"})
	if err != nil {
		t.Fatal(err)
	}
	if c.LLM.Enabled() || c.LLM.Planner != "" {
		t.Fatalf("the default configuration has no model: %+v", c.LLM)
	}
	p := write(t, `
llm:
  planner: gpt
  summarizer: local
  rounds: 3
  providers:
    gpt:
      kind: azure-openai
      base_url: https://soc.openai.azure.com
      deployment: gpt-4o
      api_version: 2024-10-21
      api_key: azure-key-123456
      max_tokens: 800
      timeout: 45s
      prompt_price: 0.0025
      completion_price: 0.01
      budget:
        evaluation_tokens: 20000
        run_cost: 0.5
    local:
      kind: openai-compatible
      base_url: http://localhost:11434/v1
      model: llama3.1:8b
      context_tokens: 32768
      temperature: 0
`)
	c, err = Load(p, []string{"HOME=/home/u", "SPOTTER_LLM_ROUNDS=5"})
	if err != nil {
		t.Fatal(err)
	}
	g := c.LLM.Providers["gpt"]
	if c.LLM.Planner != "gpt" || c.LLM.Rounds != 5 || g.Deployment != "gpt-4o" || g.MaxTokens != 800 || g.Timeout != 45*time.Second ||
		g.Budget.EvaluationTokens != 20000 || g.Budget.RunCost != 0.5 || c.LLM.Providers["local"].ContextSize != 32768 ||
		g.Temperature != nil || c.LLM.Providers["local"].Temperature == nil || *c.LLM.Providers["local"].Temperature != 0 {
		t.Errorf("llm %+v", c.LLM)
	}
	red, _ := json.Marshal(c.Redacted())
	if strings.Contains(string(red), "azure-key-123456") || !strings.Contains(string(red), `"api_key":"\u003csecret\u003e"`) ||
		!strings.Contains(string(red), `"max_tokens":800`) {
		t.Errorf("redacted: %s", red)
	}
}

func TestLLMSectionErrorsNameTheKey(t *testing.T) {
	cases := []struct{ yaml, want string }{
		{"llm:\n  providers:\n    a: {kind: gemini, model: m}", "llm.providers.a.kind: \"gemini\": expected one of openai, azure-openai, anthropic, openai-compatible"},
		{"llm:\n  providers:\n    a: {kind: openai-compatible, model: m}", "llm.providers.a.base_url: required for kind openai-compatible"},
		{"llm:\n  providers:\n    a: {kind: azure-openai, base_url: 'https://x.openai.azure.com', api_version: v}", "llm.providers.a.deployment: required"},
		{"llm:\n  providers:\n    a: {kind: openai}", "llm.providers.a.model: required"},
		{"llm:\n  providers:\n    a: {kind: azure-openai, base_url: 'https://x.openai.azure.com', deployment: d, api_version: v, tenant_id: t}", "llm.providers.a.client_id: required for a Microsoft Entra token"},
		{"llm:\n  providers:\n    a: {kind: azure-openai, base_url: 'https://x.openai.azure.com', deployment: d, api_version: v, auth: password}", "llm.providers.a.auth: \"password\""},
		{"llm:\n  providers:\n    a: {kind: openai, model: m, temperature: 3}", "llm.providers.a.temperature: 3: expected a number between 0 and 2"},
		{"llm:\n  providers:\n    a: {kind: anthropic, model: m, api_key: k, temperature: 1.5}", "llm.providers.a.temperature: 1.5: expected a number between 0 and 1 for kind anthropic"},
		{"llm:\n  providers:\n    a: {kind: anthropic, model: m, budget: {run_tokens: -1}}", "llm.providers.a.budget.run_tokens"},
		{"llm:\n  planner: b\n  providers:\n    a: {kind: openai, model: m}", "llm.planner: \"b\": no such provider"},
		{"llm:\n  providers:\n    a: {kind: openai, model: m, base_url: 'ftp://x'}", "llm.providers.a.base_url"},
		{"llm:\n  providers:\n    a: {kind: openai, model: m, modle: x}", "modle"},
	}
	for _, c := range cases {
		_, err := Load(write(t, c.yaml), []string{"HOME=/home/u"})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err %v, want %q", c.yaml, err, c.want)
		}
	}
}
