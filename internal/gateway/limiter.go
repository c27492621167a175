package gateway

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/spotter-soc/spotter/internal/skill"
)

// limiter keeps one provider within its limits: a concurrency cap, a daily
// quota, a sustained rate with a burst, and pauses the provider itself asks
// for (Retry-After, X-RateLimit-Reset). Requests wait in line for each of
// them instead of failing, up to the queue wait or the caller's deadline.
type limiter struct {
	provider string
	limits   skill.RateLimit
	rate     *rate.Limiter // nil: no sustained rate limit
	slots    chan struct{} // nil: no concurrency limit
	log      *slog.Logger

	mu          sync.Mutex
	quotaDay    time.Time // 00:00 UTC of the day the used count belongs to
	used        int
	pausedUntil time.Time
}

func newLimiter(provider string, limits skill.RateLimit, log *slog.Logger) *limiter {
	l := &limiter{provider: provider, limits: limits, log: log}
	if limits.PerSecond > 0 {
		l.rate = rate.NewLimiter(rate.Limit(limits.PerSecond), max(limits.Burst, 1))
	}
	if limits.Concurrency > 0 {
		l.slots = make(chan struct{}, limits.Concurrency)
	}
	return l
}

// acquire waits until one request may be sent. release must be called once
// the attempt is over; sent says whether the request went out (a request that
// never left gives its quota back). waited reports whether the request had
// to wait in line at all.
func (l *limiter) acquire(ctx context.Context, queueWait time.Duration) (release func(sent bool), waited bool, err error) {
	start := time.Now()
	deadline := start.Add(queueWait)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	holdsSlot, holdsQuota := false, false
	release = func(sent bool) {
		if holdsSlot {
			<-l.slots
		}
		if holdsQuota && !sent {
			l.refundQuota()
		}
	}
	fail := func(e error) (func(bool), bool, error) {
		release(false)
		return nil, waited, e
	}

	// The concurrency slot comes first, so that a request holding a rate
	// token is sent right away rather than after waiting for a slot; tokens
	// taken long before sending would let requests bunch up.
	if l.slots != nil {
		select {
		case l.slots <- struct{}{}:
		default:
			waited = true
			t := time.NewTimer(time.Until(deadline))
			select {
			case l.slots <- struct{}{}:
				t.Stop()
			case <-ctx.Done():
				t.Stop()
				return fail(ctx.Err())
			case <-t.C:
				return fail(slotError(l.provider, "concurrency", time.Since(start), nil))
			}
		}
		holdsSlot = true
	}

	for l.limits.PerDay > 0 {
		reset, ok := l.takeQuota(time.Now())
		if ok {
			holdsQuota = true
			break
		}
		if reset.After(deadline) {
			return fail(quotaError(l.provider, l.limits.PerDay, reset))
		}
		waited = true
		if err := sleepUntil(ctx, reset); err != nil {
			return fail(err)
		}
	}

	for {
		if until := l.pauseEnd(); until.After(time.Now()) {
			if until.After(deadline) {
				return fail(pausedError(l.provider, until, queueWait))
			}
			waited = true
			if err := sleepUntil(ctx, until); err != nil {
				return fail(err)
			}
		}
		if l.rate != nil {
			r := l.rate.Reserve()
			if d := r.Delay(); d > 0 {
				if time.Now().Add(d).After(deadline) {
					r.Cancel()
					return fail(slotError(l.provider, "rate-limit", time.Since(start), nil))
				}
				waited = true
				if err := sleepUntil(ctx, time.Now().Add(d)); err != nil {
					r.Cancel()
					return fail(err)
				}
			}
		}
		// A pause may have been set while this request waited for its token.
		if !l.pauseEnd().After(time.Now()) {
			return release, waited, nil
		}
	}
}

// takeQuota counts one request against today's quota, or reports when the
// quota resets.
func (l *limiter) takeQuota(now time.Time) (reset time.Time, ok bool) {
	day := now.UTC().Truncate(24 * time.Hour)
	l.mu.Lock()
	defer l.mu.Unlock()
	if !day.Equal(l.quotaDay) {
		l.quotaDay, l.used = day, 0
	}
	if l.used >= l.limits.PerDay {
		return day.Add(24 * time.Hour), false
	}
	l.used++
	return time.Time{}, true
}

func (l *limiter) refundQuota() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.used > 0 {
		l.used--
	}
}

// pause holds every request to this provider until the given time.
func (l *limiter) pause(until time.Time, why string) {
	l.mu.Lock()
	extended := until.After(l.pausedUntil)
	if extended {
		l.pausedUntil = until
	}
	l.mu.Unlock()
	if extended {
		l.log.Info("provider asked to pause requests", "provider", l.provider, "until", stamp(until), "signal", why)
	}
}

func (l *limiter) pauseEnd() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pausedUntil
}

// sleepUntil waits for t or for ctx to end.
func sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
