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
// the run's meter as parent, so both budgets hold. Calls in flight hold
// their estimated usage until they end, so concurrent calls (parallel
// skills that call a model) cannot all start on the same remaining budget.
// Safe for concurrent use; a nil *Meter counts nothing and refuses nothing.
type Meter struct {
	name   string
	limits Limits
	parent *Meter

	mu    sync.Mutex
	spent Spent
	held  Spent // the estimates of calls in flight
}

// NewMeter returns a meter named for its error messages ("evaluation",
// "run"), with an optional parent.
func NewMeter(name string, limits Limits, parent *Meter) *Meter {
	return &Meter{name: name, limits: limits, parent: parent}
}

// Check returns an error wrapping ErrBudget when this meter or a parent has
// reached a limit, counting what calls in flight hold.
func (m *Meter) Check() error {
	for x := m; x != nil; x = x.parent {
		x.mu.Lock()
		err := x.exceeded()
		x.mu.Unlock()
		if err != nil {
			return err
		}
	}
	return nil
}

// exceeded is Check for one meter, under its lock.
func (m *Meter) exceeded() error {
	s, h, l := m.spent, m.held, m.limits
	if l.Tokens > 0 && s.Total()+h.Total() >= l.Tokens {
		if h.Total() == 0 {
			return fmt.Errorf("the %s token budget of %d is spent (%d used): %w", m.name, l.Tokens, s.Total(), ErrBudget)
		}
		return fmt.Errorf("the %s token budget of %d is spent or held by calls in progress (%d used, up to %d in progress): %w", m.name, l.Tokens, s.Total(), h.Total(), ErrBudget)
	}
	if l.CostUSD > 0 && s.CostUSD+h.CostUSD >= l.CostUSD {
		if h.CostUSD == 0 {
			return fmt.Errorf("the %s cost budget of $%.4f is spent ($%.4f used): %w", m.name, l.CostUSD, s.CostUSD, ErrBudget)
		}
		return fmt.Errorf("the %s cost budget of $%.4f is spent or held by calls in progress ($%.4f used, up to $%.4f in progress): %w", m.name, l.CostUSD, s.CostUSD, h.CostUSD, ErrBudget)
	}
	return nil
}

// reserve checks the limits of the meter and its parents and, in the same
// step, holds est (the most a call is expected to use) on each of them, so
// that a concurrent call sees it. The returned func releases the hold once
// the call has ended (and Add has counted what it really used).
func (m *Meter) reserve(est Usage, cost float64) (func(), error) {
	var chain []*Meter
	for x := m; x != nil; x = x.parent {
		chain = append(chain, x)
	}
	// Children before parents: every caller locks in that order.
	for _, x := range chain {
		x.mu.Lock()
	}
	var err error
	for _, x := range chain {
		if err = x.exceeded(); err != nil {
			break
		}
	}
	if err == nil {
		for _, x := range chain {
			x.held.Usage = x.held.Usage.Add(est)
			x.held.CostUSD += cost
		}
	}
	for _, x := range chain {
		x.mu.Unlock()
	}
	if err != nil {
		return nil, err
	}
	return func() {
		for _, x := range chain {
			x.mu.Lock()
			x.held.PromptTokens -= est.PromptTokens
			x.held.CompletionTokens -= est.CompletionTokens
			x.held.CostUSD -= cost
			if x.held.Total() == 0 {
				x.held = Spent{} // no float residue once nothing is in flight
			}
			x.mu.Unlock()
		}
	}, nil
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
