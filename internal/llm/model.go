package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Recorder receives the tokens and cost of every call, for metrics; the
// gateway is one.
type Recorder interface {
	RecordTokens(provider string, prompt, completion int64, costUSD float64)
}

// Model is a configured provider with what Spotter needs around it: its
// name, price, context size, budgets and a recorder for metrics.
type Model struct {
	// Name is the provider's name in the configuration (llm.providers.NAME).
	Name     string
	Provider Provider
	// ModelID is the model name sent to the provider, for reports.
	ModelID string
	Price   Price
	// ContextTokens is the context window used to size summary chunks.
	ContextTokens int
	// MaxTokens bounds each completion.
	MaxTokens int
	// Timeout bounds one call (the gateway bounds each HTTP attempt too).
	Timeout time.Duration
	// Evaluation and Run are the budgets of one evaluation and one run.
	Evaluation, Run Limits
	Recorder        Recorder
}

// Chat checks the meter, makes the call, and counts its usage on the
// meter (and its parents) and the recorder.
func (m *Model) Chat(ctx context.Context, meter *Meter, req Request) (*Response, error) {
	if req.MaxTokens <= 0 {
		req.MaxTokens = m.MaxTokens
	}
	est := Usage{PromptTokens: estimateRequest(req), CompletionTokens: max(req.MaxTokens, 0)}
	release, err := meter.reserve(est, m.Price.Cost(est))
	if err != nil {
		return nil, fmt.Errorf("llm %s: call refused: %w", m.Name, err)
	}
	defer release()
	if m.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, m.Timeout)
		defer cancel()
	}
	resp, err := m.Provider.Chat(ctx, req)
	if err != nil {
		// An answer that could not be used was billed all the same.
		if e := (*Error)(nil); errors.As(err, &e) && e.Usage.Total() > 0 {
			m.count(meter, e.Usage)
		}
		return nil, err
	}
	m.count(meter, resp.Usage)
	return resp, nil
}

// count adds a call's usage and cost to the meter and the recorder.
func (m *Model) count(meter *Meter, u Usage) {
	cost := m.Price.Cost(u)
	meter.Add(u, cost)
	if m.Recorder != nil {
		m.Recorder.RecordTokens(GatewayName(m.Name), int64(u.PromptTokens), int64(u.CompletionTokens), cost)
	}
}

// estimateRequest estimates the prompt tokens of a request, to hold them
// on the meter while the call is in flight.
func estimateRequest(req Request) int {
	n := EstimateTokens(req.System)
	for _, msg := range req.Messages {
		n += EstimateTokens(msg.Content) + 4
		for _, tc := range msg.ToolCalls {
			n += EstimateTokens(tc.Name) + EstimateTokens(tc.Raw) + 4
		}
	}
	for _, t := range req.Tools {
		b, _ := json.Marshal(t)
		n += EstimateTokens(string(b))
	}
	return n
}

// Context returns the context window in tokens (8192 when unset).
func (m *Model) Context() int {
	if m.ContextTokens > 0 {
		return m.ContextTokens
	}
	return 8192
}

// Ref points to a model that is built after the skills that use it: the
// registry of plugins comes first, then the gateway, then the models whose
// traffic the gateway carries. Safe for concurrent use.
type Ref struct {
	mu sync.RWMutex
	m  *Model
}

// Set fills the reference.
func (r *Ref) Set(m *Model) {
	r.mu.Lock()
	r.m = m
	r.mu.Unlock()
}

// Get returns the model, or an error when it was never set.
func (r *Ref) Get() (*Model, error) {
	if r == nil {
		return nil, errors.New("no language model is configured (set llm.summarizer)")
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.m == nil {
		return nil, errors.New("the language model is not ready (llm.summarizer could not be built)")
	}
	return r.m, nil
}

// RefTo returns a reference already set to m.
func RefTo(m *Model) *Ref { r := &Ref{}; r.Set(m); return r }
