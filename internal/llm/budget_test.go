package llm

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spotter-soc/spotter/internal/config"
	"github.com/spotter-soc/spotter/internal/llm/fakellm"
)

// TestBudgetHoldsAgainstConcurrentCalls: calls that start together (skills
// that call a model, run in parallel) must not all pass the check on the
// same remaining budget; each holds its estimate while in flight.
func TestBudgetHoldsAgainstConcurrentCalls(t *testing.T) {
	var reached atomic.Int32
	m := &Model{Name: "p", MaxTokens: 400, Price: Price{Prompt: 1, Completion: 1},
		Provider: ProviderFunc(func(ctx context.Context, req Request) (*Response, error) {
			reached.Add(1)
			time.Sleep(50 * time.Millisecond)
			return &Response{Text: "ok", Usage: Usage{PromptTokens: EstimateTokens(req.System + req.Messages[0].Content), CompletionTokens: req.MaxTokens}}, nil
		})}
	run := NewMeter("run", Limits{Tokens: 1000}, nil)
	const calls = 8
	var wg sync.WaitGroup
	start := make(chan struct{})
	var refused atomic.Int32
	for range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			eval := NewMeter("evaluation", Limits{}, run)
			_, err := m.Chat(context.Background(), eval, Request{System: "s", Messages: []Message{{Role: RoleUser, Content: "summarise"}}})
			if errors.Is(err, ErrBudget) {
				refused.Add(1)
			} else if err != nil {
				t.Error(err)
			}
		}()
	}
	close(start)
	wg.Wait()
	spent := run.Spent()
	// At most one call may start below the limit and end above it.
	if spent.Total() > 1000+400+10 || int(reached.Load())+int(refused.Load()) != calls {
		t.Errorf("spent %+v of a 1000-token budget: %d calls reached the model, %d refused", spent, reached.Load(), refused.Load())
	}
	if err := run.Check(); !errors.Is(err, ErrBudget) {
		t.Errorf("the budget must be spent: %v", err)
	}
	// Released holds: a fresh meter under no limit is unaffected, and a
	// meter with room left after its calls ended accepts another.
	roomy := NewMeter("run", Limits{Tokens: 10000}, nil)
	for range 3 {
		if _, err := m.Chat(context.Background(), roomy, Request{System: "s", Messages: []Message{{Role: RoleUser, Content: "x"}}}); err != nil {
			t.Fatal(err)
		}
	}
	if roomy.held != (Spent{}) {
		t.Errorf("holds not released: %+v", roomy.held)
	}
}

// TestUnusableAnswerStillCounts: an answer Spotter rejects (a tool call
// without a name) was billed by the provider; its usage counts.
func TestUnusableAnswerStillCounts(t *testing.T) {
	bodies := map[string]string{
		config.LLMKindOpenAI: `{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"finish_reason":"tool_calls",` +
			`"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"","arguments":"{}"}}]}}],` +
			`"usage":{"prompt_tokens":300,"completion_tokens":20,"total_tokens":320}}`,
		config.LLMKindAnthropic: `{"id":"msg_1","type":"message","role":"assistant","model":"m","stop_reason":"tool_use","stop_sequence":null,` +
			`"content":[{"type":"tool_use","id":"toolu_1","name":"","input":{}}],"usage":{"input_tokens":300,"output_tokens":20}}`,
	}
	for kind, body := range bodies {
		t.Run(kind, func(t *testing.T) {
			srv := fakellm.New("k-123456", fakellm.Step{Body: body})
			defer srv.Close()
			var logs bytes.Buffer
			base := srv.URL + "/v1"
			if kind == config.LLMKindAnthropic {
				base = srv.URL
			}
			m, err := NewModel("p", config.LLMProvider{Kind: kind, BaseURL: base, APIKey: "k-123456", Model: "m", PromptPrice: 1, CompletionPrice: 1}, newGateway(t, &logs))
			if err != nil {
				t.Fatal(err)
			}
			meter := NewMeter("evaluation", Limits{}, nil)
			if _, err := m.Chat(context.Background(), meter, Request{System: "s", Messages: []Message{{Role: RoleUser, Content: "hi"}}}); err == nil || !strings.Contains(err.Error(), "name") {
				t.Fatalf("err %v", err)
			}
			if got := meter.Spent(); got.Total() != 320 || got.Calls != 1 || got.CostUSD < 0.3199 {
				t.Errorf("spent %+v, want the 320 billed tokens", got)
			}
		})
	}
}
