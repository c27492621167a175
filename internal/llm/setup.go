package llm

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/spotter-soc/spotter/internal/azure"
	"github.com/spotter-soc/spotter/internal/config"
	"github.com/spotter-soc/spotter/internal/skill"
)

// Gateway is what models need from the provider gateway: an HTTP client
// per provider that applies limits, retries and the breaker, and a place
// to count tokens. *gateway.Gateway is one.
type Gateway interface {
	Client(provider string, limits skill.RateLimit) *http.Client
	RecordTokens(provider string, prompt, completion int64, costUSD float64)
}

// GatewayName is the provider name a model's traffic and tokens are
// counted under in the gateway's metrics.
func GatewayName(name string) string { return "llm:" + name }

// cognitiveScope is the Microsoft Entra scope of Azure OpenAI.
const cognitiveScope = "https://cognitiveservices.azure.com/.default"

// Defaults of a provider's settings.
const (
	DefaultMaxTokens     = 1024
	DefaultTimeout       = 60 * time.Second
	DefaultContextTokens = 8192
)

// Models builds every configured provider. Errors name the setting.
func Models(c config.LLM, gw Gateway) (map[string]*Model, error) {
	names := make([]string, 0, len(c.Providers))
	for n := range c.Providers {
		names = append(names, n)
	}
	sort.Strings(names)
	out := map[string]*Model{}
	for _, n := range names {
		m, err := NewModel(n, c.Providers[n], gw)
		if err != nil {
			return nil, err
		}
		out[n] = m
	}
	return out, nil
}

// NewModel builds one provider's model.
func NewModel(name string, p config.LLMProvider, gw Gateway) (*Model, error) {
	limits := skill.RateLimit{PerSecond: p.RatePerSecond, Concurrency: p.Concurrency}
	if limits.PerSecond > 0 {
		limits.Burst = max(1, int(limits.PerSecond))
	}
	httpc := gw.Client(GatewayName(name), limits)
	maxTokens := p.MaxTokens
	if maxTokens <= 0 {
		maxTokens = DefaultMaxTokens
	}
	var (
		prov Provider
		err  error
	)
	key := "llm.providers." + name
	switch p.Kind {
	case config.LLMKindOpenAI, config.LLMKindOpenAICompatible:
		prov, err = NewOpenAI(OpenAIConfig{Name: name, BaseURL: p.BaseURL, APIKey: p.APIKey, Model: p.Model, Temperature: p.Temperature,
			MaxTokens: maxTokens, HTTP: httpc, LegacyMaxTokens: p.Kind == config.LLMKindOpenAICompatible})
	case config.LLMKindAzureOpenAI:
		az := &AzureTarget{Deployment: p.Deployment, APIVersion: p.APIVersion}
		if p.APIKey == "" {
			cfg, perr := azure.ParseConfig(key, map[string]string{"auth": p.Auth, "tenant_id": p.TenantID, "client_id": p.ClientID,
				"client_secret": p.ClientSecret, "authority_host": p.AuthorityHost})
			if perr != nil {
				return nil, perr
			}
			cred, cerr := azure.NewCredential(cfg, httpc)
			if cerr != nil {
				return nil, cerr
			}
			scope := p.TokenScope
			if scope == "" {
				scope = cognitiveScope
			}
			az.Token = entraToken(cred, scope, p.ClientSecret)
		}
		prov, err = NewOpenAI(OpenAIConfig{Name: name, BaseURL: p.BaseURL, APIKey: p.APIKey, Model: p.Model, Temperature: p.Temperature,
			MaxTokens: maxTokens, HTTP: httpc, Azure: az})
	case config.LLMKindAnthropic:
		prov, err = NewAnthropic(AnthropicConfig{Name: name, BaseURL: p.BaseURL, APIKey: p.APIKey, Model: p.Model, Temperature: p.Temperature,
			MaxTokens: maxTokens, Timeout: p.Timeout, HTTP: httpc})
	default:
		return nil, &config.Error{Key: key + ".kind", Msg: fmt.Sprintf("%q: expected one of openai, azure-openai, anthropic, openai-compatible", p.Kind)}
	}
	if err != nil {
		return nil, err
	}
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctxTokens := p.ContextSize
	if ctxTokens <= 0 {
		ctxTokens = DefaultContextTokens
	}
	modelID := p.Model
	if modelID == "" {
		modelID = p.Deployment
	}
	return &Model{
		Name: name, Provider: prov, ModelID: modelID, Price: Price{Prompt: p.PromptPrice, Completion: p.CompletionPrice},
		ContextTokens: ctxTokens, MaxTokens: maxTokens, Timeout: timeout,
		Evaluation: Limits{Tokens: p.Budget.EvaluationTokens, CostUSD: p.Budget.EvaluationCost},
		Run:        Limits{Tokens: p.Budget.RunTokens, CostUSD: p.Budget.RunCost},
		Recorder:   gw,
	}, nil
}

// tokenMargin is how long before its expiry a cached Entra token is
// replaced.
const tokenMargin = 5 * time.Minute

// entraToken returns the Token func of an Azure OpenAI target: a token of
// cred for scope, reused until tokenMargin before it expires (or its
// RefreshOn). Some credentials cache nothing (the Azure CLI's starts the
// az command on every request), so without this every model call would
// wait for a new token. Errors carry no secret.
func entraToken(cred azcore.TokenCredential, scope string, secrets ...string) func(context.Context) (string, error) {
	var (
		mu  sync.Mutex
		cur azcore.AccessToken
	)
	return func(ctx context.Context) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		now := time.Now()
		fresh := cur.Token != "" && now.Before(cur.ExpiresOn.Add(-tokenMargin)) && (cur.RefreshOn.IsZero() || now.Before(cur.RefreshOn))
		if fresh {
			return cur.Token, nil
		}
		t, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{scope}})
		if err != nil {
			if cur.Token != "" && now.Before(cur.ExpiresOn.Add(-30*time.Second)) {
				return cur.Token, nil // a refresh failed; the token still holds
			}
			return "", fmt.Errorf("Microsoft Entra token: %s", scrubSecrets(clean(err.Error(), 300), secrets...))
		}
		cur = t
		return t.Token, nil
	}
}
