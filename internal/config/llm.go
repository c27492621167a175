package config

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"
)

// LLM configures the optional language models. With no provider configured
// (the default) Spotter plans prompts by rules and renders answers and
// reports from templates; nothing is sent to a model.
type LLM struct {
	// Providers are the models Spotter may call, by a name of your choice.
	Providers map[string]LLMProvider `koanf:"providers"`
	// Planner names the provider that plans copilot prompts by tool calling;
	// empty means the rule planner.
	Planner string `koanf:"planner"`
	// Summarizer names the provider of the SummarizeData skill and of the
	// report's LLM summary; empty means none.
	Summarizer string `koanf:"summarizer"`
	// Rounds bounds the tool-calling rounds of one evaluation (default 4).
	Rounds int `koanf:"rounds"`
	// SkillsDir holds plugin manifests (YAML) declaring prompt-template
	// (format: gpt) skills; empty means none.
	SkillsDir string `koanf:"skills_dir"`
}

// Provider kinds.
const (
	LLMKindOpenAI           = "openai"
	LLMKindAzureOpenAI      = "azure-openai"
	LLMKindAnthropic        = "anthropic"
	LLMKindOpenAICompatible = "openai-compatible"
)

// LLMKinds lists the accepted provider kinds.
var LLMKinds = []string{LLMKindOpenAI, LLMKindAzureOpenAI, LLMKindAnthropic, LLMKindOpenAICompatible}

// LLMProvider is one model endpoint.
type LLMProvider struct {
	Kind string `koanf:"kind"`
	// BaseURL is the API root: required for openai-compatible servers
	// (http://localhost:11434/v1 for Ollama) and for Azure OpenAI (the
	// resource endpoint, https://NAME.openai.azure.com).
	BaseURL string `koanf:"base_url"`
	// APIKey authenticates; shown as <secret>. Azure OpenAI without a key
	// uses a Microsoft Entra token (auth, tenant_id, client_id, client_secret).
	APIKey string `koanf:"api_key"`
	// Deployment and APIVersion address an Azure OpenAI deployment.
	Deployment string `koanf:"deployment"`
	APIVersion string `koanf:"api_version"`
	// Auth, TenantID, ClientID and ClientSecret select the Entra credential
	// of Azure OpenAI when APIKey is empty (auth as for the entra plugin).
	Auth         string `koanf:"auth"`
	TenantID     string `koanf:"tenant_id"`
	ClientID     string `koanf:"client_id"`
	ClientSecret string `koanf:"client_secret"`
	// AuthorityHost and TokenScope serve national clouds (defaults:
	// https://login.microsoftonline.com/ and
	// https://cognitiveservices.azure.com/.default).
	AuthorityHost string `koanf:"authority_host"`
	TokenScope    string `koanf:"token_scope"`

	Model       string        `koanf:"model"`
	Temperature *float64      `koanf:"temperature"`    // unset: the provider's default
	MaxTokens   int           `koanf:"max_tokens"`     // completion tokens per call (default 1024)
	Timeout     time.Duration `koanf:"timeout"`        // per call (default 60s)
	ContextSize int           `koanf:"context_tokens"` // the model's context window in tokens (default 8192)
	// Prices are in US dollars per 1,000 tokens, for the cost estimate.
	PromptPrice     float64 `koanf:"prompt_price"`
	CompletionPrice float64 `koanf:"completion_price"`
	// Budgets bound tokens and cost; zero means no bound.
	Budget LLMBudget `koanf:"budget"`
	// RatePerSecond and Concurrency bound calls through the gateway.
	RatePerSecond float64 `koanf:"rate_per_second"`
	Concurrency   int     `koanf:"concurrency"`
}

// LLMBudget bounds what one evaluation and one run (a promptbook run or an
// investigation) may spend.
type LLMBudget struct {
	EvaluationTokens int     `koanf:"evaluation_tokens"`
	EvaluationCost   float64 `koanf:"evaluation_cost"`
	RunTokens        int     `koanf:"run_tokens"`
	RunCost          float64 `koanf:"run_cost"`
}

// Enabled reports whether any provider is configured.
func (l LLM) Enabled() bool { return len(l.Providers) > 0 }

// ValidateLLM checks the llm section: known kinds, the fields each kind
// needs, and planner/summarizer naming configured providers.
func (l LLM) ValidateLLM() error {
	names := make([]string, 0, len(l.Providers))
	for n := range l.Providers {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := l.Providers[n]
		key := "llm.providers." + n
		switch p.Kind {
		case LLMKindOpenAI, LLMKindAnthropic:
		case LLMKindOpenAICompatible:
			if p.BaseURL == "" {
				return &Error{Key: key + ".base_url", Msg: "required for kind openai-compatible (e.g. http://localhost:11434/v1)"}
			}
		case LLMKindAzureOpenAI:
			if p.BaseURL == "" {
				return &Error{Key: key + ".base_url", Msg: "required for kind azure-openai (https://RESOURCE.openai.azure.com)"}
			}
			if p.Deployment == "" {
				return &Error{Key: key + ".deployment", Msg: "required for kind azure-openai"}
			}
			if p.APIVersion == "" {
				return &Error{Key: key + ".api_version", Msg: "required for kind azure-openai (e.g. 2024-10-21)"}
			}
			if p.APIKey == "" {
				switch p.Auth {
				case "", "client_secret":
					for _, f := range []struct{ k, v string }{{"tenant_id", p.TenantID}, {"client_id", p.ClientID}, {"client_secret", p.ClientSecret}} {
						if f.v == "" {
							return &Error{Key: key + "." + f.k, Msg: "required for a Microsoft Entra token with auth client_secret (or set api_key)"}
						}
					}
				case "managed_identity", "workload_identity", "azure_cli":
				default:
					return &Error{Key: key + ".auth", Msg: fmt.Sprintf("%q: expected client_secret, managed_identity, workload_identity or azure_cli", p.Auth)}
				}
			}
		default:
			return &Error{Key: key + ".kind", Msg: fmt.Sprintf("%q: expected one of %s", p.Kind, strings.Join(LLMKinds, ", "))}
		}
		if p.BaseURL != "" {
			if u, err := url.Parse(p.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return &Error{Key: key + ".base_url", Msg: fmt.Sprintf("%q: expected an http:// or https:// URL", p.BaseURL)}
			}
		}
		if p.Model == "" && p.Kind != LLMKindAzureOpenAI {
			return &Error{Key: key + ".model", Msg: "required (the model name the provider expects)"}
		}
		if t := p.Temperature; t != nil && (*t < 0 || *t > 2) {
			return &Error{Key: key + ".temperature", Msg: fmt.Sprintf("%g: expected a number between 0 and 2", *t)}
		}
		// Anthropic refuses a temperature above 1 with HTTP 400, which would
		// fail every call of the provider.
		if t := p.Temperature; t != nil && p.Kind == LLMKindAnthropic && *t > 1 {
			return &Error{Key: key + ".temperature", Msg: fmt.Sprintf("%g: expected a number between 0 and 1 for kind anthropic", *t)}
		}
		for _, f := range []struct {
			k string
			v float64
		}{{"max_tokens", float64(p.MaxTokens)}, {"context_tokens", float64(p.ContextSize)}, {"prompt_price", p.PromptPrice},
			{"completion_price", p.CompletionPrice}, {"budget.evaluation_tokens", float64(p.Budget.EvaluationTokens)},
			{"budget.evaluation_cost", p.Budget.EvaluationCost}, {"budget.run_tokens", float64(p.Budget.RunTokens)},
			{"budget.run_cost", p.Budget.RunCost}, {"timeout", float64(p.Timeout)}} {
			if f.v < 0 {
				return &Error{Key: key + "." + f.k, Msg: fmt.Sprintf("%v: expected zero (the default) or a positive value", f.v)}
			}
		}
	}
	for _, ref := range []struct{ key, name string }{{"llm.planner", l.Planner}, {"llm.summarizer", l.Summarizer}} {
		if ref.name == "" {
			continue
		}
		if _, ok := l.Providers[ref.name]; !ok {
			return &Error{Key: ref.key, Msg: fmt.Sprintf("%q: no such provider; expected one of llm.providers (%s)", ref.name, strings.Join(names, ", "))}
		}
	}
	if l.Rounds < 0 || l.Rounds > 16 {
		return &Error{Key: "llm.rounds", Msg: fmt.Sprintf("%d: expected between 1 and 16 (0 for the default 4)", l.Rounds)}
	}
	return nil
}

// redactLLM hides the secrets of the llm section in a Redacted map.
func redactLLM(m map[string]any) {
	llm, ok := m["llm"].(map[string]any)
	if !ok {
		return
	}
	provs, ok := llm["providers"].(map[string]any)
	if !ok {
		return
	}
	for _, v := range provs {
		p, ok := v.(map[string]any)
		if !ok {
			continue
		}
		for _, k := range []string{"api_key", "client_secret"} {
			if v, ok := p[k].(string); ok && v != "" {
				p[k] = Redacted
			}
		}
	}
}
