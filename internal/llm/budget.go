package llm

import (
	"context"
	"fmt"
	"sync"
)

// Price is what a provider charges, in US dollars per 1,000 tokens.
type Price struct {
	Prompt     float64 `json:"prompt"`
	Completion float64 `json:"completion"`
}

// Cost estimates the dollars of usage at the price.
func (p Price) Cost(u Usage) float64 {
	return (float64(u.PromptTokens)*p.Prompt + float64(u.CompletionTokens)*p.Completion) / 1000
}

// Limits bound what a meter may spend; zero fields mean no bound.
type Limits struct {
	Tokens  int     `json:"tokens,omitempty"`
	CostUSD float64 `json:"costUsd,omitempty"`
}

// Spent is what a meter has counted.
type Spent struct {
	Usage
	Calls   int     `json:"calls"`
	CostUSD float64 `json:"costUsd"`
}

// Meter counts the tokens and cost of calls and refuses further calls once
// its limits, or those of a parent, are reached. An evaluation's meter has
// the run's meter as parent, so both budgets hold. Safe for concurrent use;
// a nil *Meter counts nothing and refuses nothing.
type Meter struct {
	name   string
	limits Limits
	parent *Meter

	mu    sync.Mutex
	spent Spent
}

// NewMeter returns a meter named for its error messages ("evaluation",
// "run"), with an optional parent.
func NewMeter(name string, limits Limits, parent *Meter) *Meter {
	return &Meter{name: name, limits: limits, parent: parent}
}

// Check returns an error wrapping ErrBudget when this meter or a parent has
// reached a limit.
func (m *Meter) Check() error {
	for x := m; x != nil; x = x.parent {
		x.mu.Lock()
		s, l := x.spent, x.limits
		x.mu.Unlock()
		if l.Tokens > 0 && s.Total() >= l.Tokens {
			return fmt.Errorf("the %s token budget of %d is spent (%d used): %w", x.name, l.Tokens, s.Total(), ErrBudget)
		}
		if l.CostUSD > 0 && s.CostUSD >= l.CostUSD {
			return fmt.Errorf("the %s cost budget of $%.4f is spent ($%.4f used): %w", x.name, l.CostUSD, s.CostUSD, ErrBudget)
		}
	}
	return nil
}

// Add counts one call on this meter and its parents.
func (m *Meter) Add(u Usage, cost float64) {
	for x := m; x != nil; x = x.parent {
		x.mu.Lock()
		x.spent.Usage = x.spent.Usage.Add(u)
		x.spent.Calls++
		x.spent.CostUSD += cost
		x.mu.Unlock()
	}
}

// Spent returns what the meter has counted.
func (m *Meter) Spent() Spent {
	if m == nil {
		return Spent{}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.spent
}

type meterKey struct{}

// WithMeter returns a context whose model calls count on m: skills that
// call a model (SummarizeData, prompt-template skills) charge the
// evaluation or run that invoked them.
func WithMeter(ctx context.Context, m *Meter) context.Context {
	return context.WithValue(ctx, meterKey{}, m)
}

// MeterFrom returns the meter of ctx, or nil.
func MeterFrom(ctx context.Context) *Meter {
	m, _ := ctx.Value(meterKey{}).(*Meter)
	return m
}
