package llm

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/spotter-soc/spotter/internal/config"
	"github.com/spotter-soc/spotter/internal/llm/fakellm"
)

// countingCredential hands out tokens valid for ttl and counts requests,
// like the Azure CLI credential, which caches nothing.
type countingCredential struct {
	mu     sync.Mutex
	calls  int
	scopes []string
	ttl    time.Duration
	err    error
}

func (c *countingCredential) GetToken(_ context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	c.scopes = o.Scopes
	if c.err != nil {
		return azcore.AccessToken{}, c.err
	}
	return azcore.AccessToken{Token: "tok-" + strings.Repeat("x", c.calls), ExpiresOn: time.Now().Add(c.ttl)}, nil
}

func TestEntraTokenIsCachedUntilNearExpiry(t *testing.T) {
	ctx := context.Background()
	cred := &countingCredential{ttl: time.Hour}
	tok := entraToken(cred, cognitiveScope)
	for range 5 {
		if got, err := tok(ctx); err != nil || got != "tok-x" {
			t.Fatalf("token %q err %v", got, err)
		}
	}
	if cred.calls != 1 || len(cred.scopes) != 1 || cred.scopes[0] != "https://cognitiveservices.azure.com/.default" {
		t.Errorf("%d token requests for scopes %v; want 1 for the Cognitive Services scope", cred.calls, cred.scopes)
	}

	short := &countingCredential{ttl: 2 * time.Minute} // inside the margin: always replaced
	tok = entraToken(short, cognitiveScope)
	_, _ = tok(ctx)
	_, _ = tok(ctx)
	if short.calls != 2 {
		t.Errorf("a token about to expire was reused: %d requests", short.calls)
	}

	const secret = "entra~Secret.Value-3f2a1b0c9d8e"
	failing := &countingCredential{err: errors.New("AADSTS7000215: Invalid client secret provided: " + secret)}
	_, err := entraToken(failing, cognitiveScope, secret)(ctx)
	if err == nil || strings.Contains(err.Error(), secret) || !strings.Contains(err.Error(), "Microsoft Entra token") {
		t.Errorf("err %v", err)
	}
}

// TestBaseURLWithOrWithoutV1: "http://host:port" reaches an OpenAI-style
// server's /v1/chat/completions, as "http://host:port/v1" does, and an
// Anthropic base URL written with /v1 is not asked for /v1/v1/messages.
func TestBaseURLWithOrWithoutV1(t *testing.T) {
	srv := fakellm.New("", fakellm.Step{Text: "a"}, fakellm.Step{Text: "b"}, fakellm.Step{Text: "c"}, fakellm.Step{Text: "d"}, fakellm.Step{Text: "e"})
	defer srv.Close()
	var logs bytes.Buffer
	cases := []config.LLMProvider{
		{Kind: config.LLMKindOpenAICompatible, BaseURL: srv.URL, Model: "m"},
		{Kind: config.LLMKindOpenAICompatible, BaseURL: srv.URL + "/", Model: "m"},
		{Kind: config.LLMKindOpenAI, BaseURL: srv.URL + "/v1/", Model: "m"},
		{Kind: config.LLMKindAnthropic, BaseURL: srv.URL + "/v1", APIKey: "k-123456", Model: "m"},
		{Kind: config.LLMKindAnthropic, BaseURL: srv.URL, APIKey: "k-123456", Model: "m"},
	}
	for _, p := range cases {
		m, err := NewModel("p", p, newGateway(t, &logs))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Chat(context.Background(), nil, Request{System: "s", Messages: []Message{{Role: RoleUser, Content: "hi"}}}); err != nil {
			t.Errorf("%s %s: %v", p.Kind, p.BaseURL, err)
			continue
		}
		reqs := srv.Requests()
		if got := reqs[len(reqs)-1].Path; got != "/v1/chat/completions" && got != "/v1/messages" {
			t.Errorf("%s %s: path %s", p.Kind, p.BaseURL, got)
		}
	}
}
