package gateway

import (
	"log/slog"
	"sync"
	"time"
)

type breakerState int

const (
	breakerClosed   breakerState = iota // requests flow; consecutive failures are counted
	breakerOpen                         // requests fail fast until the cooldown ends
	breakerHalfOpen                     // one trial request decides between closed and open
)

// outcome is what one attempt tells the breaker about the provider.
type outcome int

const (
	outcomeSuccess outcome = iota // the provider answered (any status but 429 and 5xx)
	outcomeFailure                // server error, timeout, network error or 429
	outcomeNeutral                // nothing learned: the caller gave up, or no attempt was made
)

func outcomeOf(reason string) outcome {
	switch {
	case reason == ReasonCanceled:
		return outcomeNeutral
	case breakerFailure(reason):
		return outcomeFailure
	default:
		return outcomeSuccess
	}
}

// breaker is a per-provider circuit breaker. After threshold consecutive
// failures it opens for cooldown, then lets a single trial request through:
// success closes it, failure opens it for another cooldown.
type breaker struct {
	provider  string
	threshold int // 0 disables the breaker
	cooldown  time.Duration
	log       *slog.Logger

	mu        sync.Mutex
	state     breakerState
	failures  int
	openUntil time.Time
	trialBusy bool
}

func newBreaker(provider string, threshold int, cooldown time.Duration, log *slog.Logger) *breaker {
	return &breaker{provider: provider, threshold: threshold, cooldown: cooldown, log: log}
}

// allow decides whether an attempt may go out now. trial is true for the
// one attempt that tests a half-open breaker; its outcome must be recorded.
func (b *breaker) allow(now time.Time) (trial bool, err error) {
	if b.threshold <= 0 {
		return false, nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case breakerOpen:
		if now.Before(b.openUntil) {
			return false, breakerOpenError(b.provider, b.openUntil, b.threshold)
		}
		b.state = breakerHalfOpen
	case breakerClosed:
		return false, nil
	}
	if b.trialBusy {
		return false, breakerTrialError(b.provider)
	}
	b.trialBusy = true
	return true, nil
}

// stillClosed re-checks, after a wait in line, that the breaker did not
// open meanwhile, so that requests queued behind a rate limit do not go out
// to a provider already judged down. It claims no trial.
func (b *breaker) stillClosed(now time.Time) error {
	if b.threshold <= 0 {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state == breakerOpen && now.Before(b.openUntil) {
		return breakerOpenError(b.provider, b.openUntil, b.threshold)
	}
	return nil
}

// record feeds the outcome of an attempt back into the breaker.
func (b *breaker) record(now time.Time, trial bool, o outcome) {
	if b.threshold <= 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if trial {
		b.trialBusy = false
	}
	switch o {
	case outcomeSuccess:
		if b.state == breakerClosed {
			b.failures = 0
		} else if trial {
			b.state, b.failures = breakerClosed, 0
			b.log.Info("circuit breaker closed: provider recovered", "provider", b.provider)
		}
	case outcomeFailure:
		switch {
		case b.state == breakerClosed:
			b.failures++
			if b.failures >= b.threshold {
				b.trip(now)
			}
		case trial:
			b.trip(now)
		}
	}
}

func (b *breaker) trip(now time.Time) {
	b.state = breakerOpen
	b.openUntil = now.Add(b.cooldown)
	b.log.Warn("circuit breaker open: failing calls fast",
		"provider", b.provider, "consecutive_failures", max(b.failures, 1), "until", stamp(b.openUntil))
}
