package gateway

import (
	"context"
	"errors"
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
//
// With shared limits (WithSharedLimits) the quota, the rate and the pauses
// are those every process shares; the concurrency cap stays in this
// process. While the shared limits cannot be reached, the in-memory ones
// below stand in for them.
type limiter struct {
	provider string
	limits   skill.RateLimit
	rate     *rate.Limiter // nil: no sustained rate limit
	slots    chan struct{} // nil: no concurrency limit
	log      *slog.Logger
	shared   *sharedState // nil: limits kept in memory only
	metrics  *counters    // nil in tests that do not look

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
	holdsSlot, holdsQuota, sharedQuota := false, false, false
	fellBack := false
	release = func(sent bool) {
		if holdsSlot {
			<-l.slots
		}
		if holdsQuota && !sent {
			l.refundQuota(ctx, sharedQuota)
		}
	}
	defer func() {
		if fellBack && l.metrics != nil {
			l.metrics.sharedFallback()
		}
	}()
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
		reset, shared, ok, err := l.takeQuota(ctx, time.Now(), &fellBack)
		if err != nil {
			return fail(err)
		}
		if ok {
			holdsQuota, sharedQuota = true, shared
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
		next, w, err := l.reserveShared(ctx, deadline, &fellBack)
		waited = waited || w
		if err != nil {
			return fail(err)
		}
		switch next {
		case stepSend:
			return release, waited, nil
		case stepAgain:
			continue // the provider is paused: wait for it above
		case stepRefused:
			return fail(slotError(l.provider, "rate-limit", time.Since(start), nil))
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

// What reserveShared tells acquire to do next.
const (
	stepSend    = iota // send the request now
	stepAgain          // the provider is paused (recorded in pausedUntil): wait and try again
	stepLocal          // no shared limits to consult now: the in-memory ones decide
	stepRefused        // no token comes free before the deadline
)

// reserveShared takes the request's rate token from the shared limits and
// waits for it. When the shared limits are configured but unavailable it
// sets fellBack and returns stepLocal.
func (l *limiter) reserveShared(ctx context.Context, deadline time.Time, fellBack *bool) (next int, waited bool, err error) {
	now := time.Now()
	s := l.shared.get(now)
	if s == nil {
		if l.shared.active() {
			*fellBack = true
		}
		return stepLocal, false, nil
	}
	rt := Rate{PerSecond: l.limits.PerSecond, Burst: l.limits.Burst}
	sctx, cancel := context.WithTimeout(ctx, sharedTimeout)
	res, err := s.Reserve(sctx, l.provider, rt, max(deadline.Sub(now), 0))
	cancel()
	if err != nil {
		return stepLocal, false, l.sharedFailed(ctx, err, fellBack)
	}
	l.shared.ok()
	if res.Paused > 0 {
		l.notePause(time.Now().Add(res.Paused))
		return stepAgain, false, nil
	}
	if !res.OK {
		return stepRefused, false, nil
	}
	if res.Wait <= 0 {
		return stepSend, false, nil
	}
	if err := sleepUntil(ctx, now.Add(res.Wait)); err != nil {
		return stepLocal, true, err
	}
	// A pause may have been set, here or elsewhere, while this request
	// waited for its token; the token is then spent, as with the in-memory
	// limiter.
	if l.pauseEnd().After(time.Now()) {
		return stepAgain, true, nil
	}
	sctx, cancel = context.WithTimeout(ctx, sharedTimeout)
	d, err := s.PausedFor(sctx, l.provider)
	cancel()
	if err != nil {
		// The token was granted: send on the strength of it.
		if ctxErr := l.sharedFailed(ctx, err, fellBack); ctxErr != nil {
			return stepLocal, true, ctxErr
		}
		return stepSend, true, nil
	}
	if d > 0 {
		l.notePause(time.Now().Add(d))
		return stepAgain, true, nil
	}
	return stepSend, true, nil
}

// sharedFailed records that the shared limits could not be reached. It
// returns the caller's own error when the caller gave up, which is no
// failure of the database.
func (l *limiter) sharedFailed(ctx context.Context, err error, fellBack *bool) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if l.shared.failed(l.provider, err) {
		*fellBack = true
	}
	return nil
}

// takeQuota counts one request against today's quota, shared when it can,
// or reports when the quota resets. shared tells where it was counted.
func (l *limiter) takeQuota(ctx context.Context, now time.Time, fellBack *bool) (reset time.Time, shared, ok bool, err error) {
	if s := l.shared.get(now); s != nil {
		sctx, cancel := context.WithTimeout(ctx, sharedTimeout)
		g, err := s.TakeQuota(sctx, l.provider, l.limits.PerDay)
		cancel()
		if err == nil {
			l.shared.ok()
			if !g.OK {
				return now.Add(g.ResetIn), false, false, nil
			}
			// Count it here too, so that this process's own use still
			// binds should the shared limits become unavailable.
			l.countQuota(now, false)
			return time.Time{}, true, true, nil
		}
		if err := l.sharedFailed(ctx, err, fellBack); err != nil {
			return time.Time{}, false, false, err
		}
	} else if l.shared.active() {
		*fellBack = true
	}
	reset, ok = l.countQuota(now, true)
	return reset, false, ok, nil
}

// countQuota counts one request against today's in-memory quota; with
// check set, only when the quota allows it, else it reports the reset.
func (l *limiter) countQuota(now time.Time, check bool) (reset time.Time, ok bool) {
	day := now.UTC().Truncate(24 * time.Hour)
	l.mu.Lock()
	defer l.mu.Unlock()
	if !day.Equal(l.quotaDay) {
		l.quotaDay, l.used = day, 0
	}
	if check && l.used >= l.limits.PerDay {
		return day.Add(24 * time.Hour), false
	}
	l.used++
	return time.Time{}, true
}

// refundQuota gives back the quota of a request that was never sent, to
// the shared limits too when it was counted there.
func (l *limiter) refundQuota(ctx context.Context, shared bool) {
	l.mu.Lock()
	if l.used > 0 {
		l.used--
	}
	l.mu.Unlock()
	if !shared {
		return
	}
	s := l.shared.get(time.Now())
	if s == nil {
		return
	}
	// The refund is due even when the caller has given up.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sharedTimeout)
	defer cancel()
	if err := s.RefundQuota(sctx, l.provider, l.limits.PerDay); err != nil {
		if l.shared.failed(l.provider, err) && l.metrics != nil {
			l.metrics.sharedFallback()
		}
		return
	}
	l.shared.ok()
}

// pause holds every request to this provider until the given time, in
// every process sharing the limits.
func (l *limiter) pause(until time.Time, why string) {
	if l.notePause(until) {
		l.log.Info("provider asked to pause requests", "provider", l.provider, "until", stamp(until), "signal", why)
	}
	now := time.Now()
	s := l.shared.get(now)
	if s == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), sharedTimeout)
	defer cancel()
	if err := s.Pause(ctx, l.provider, until.Sub(now)); err != nil {
		if l.shared.failed(l.provider, err) && l.metrics != nil {
			l.metrics.sharedFallback()
		}
		return
	}
	l.shared.ok()
}

// notePause holds this process's requests until the given time and
// reports whether that extended the pause.
func (l *limiter) notePause(until time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !until.After(l.pausedUntil) {
		return false
	}
	l.pausedUntil = until
	return true
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

// sharedTimeout bounds one call to the shared limits: a database that
// does not answer by then counts as unavailable.
const sharedTimeout = 2 * time.Second

// sharedRetry is how long the limiters keep to their in-memory limits
// after the shared ones failed, before they try them again.
const sharedRetry = 10 * time.Second

// sharedState is a gateway's view of its shared limits, common to every
// provider: when the database fails, all of them fall back together and
// the failure is logged once, not once per provider or request.
type sharedState struct {
	limits SharedLimits
	log    *slog.Logger

	mu        sync.Mutex
	none      bool // lazy limits that turned out to be none
	downUntil time.Time
	failing   bool
}

func newSharedState(s SharedLimits, log *slog.Logger) *sharedState {
	if s == nil {
		return nil
	}
	return &sharedState{limits: s, log: log}
}

// active reports whether shared limits are configured at all.
func (s *sharedState) active() bool {
	if s == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.none
}

// get returns the shared limits to consult now, or nil when there are none
// or they failed recently.
func (s *sharedState) get(now time.Time) SharedLimits {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.none || now.Before(s.downUntil) {
		return nil
	}
	return s.limits
}

// ok records a successful call, ending an outage.
func (s *sharedState) ok() {
	s.mu.Lock()
	recovered := s.failing
	s.failing = false
	s.mu.Unlock()
	if recovered {
		s.log.Info("shared provider limits reachable again; limits hold across processes")
	}
}

// failed records a failed call and reports whether it was a real failure
// (true) rather than limits that turned out to be none. The first failure
// of an outage is logged.
func (s *sharedState) failed(provider string, err error) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if errors.Is(err, errNoShared) {
		s.none = true
		return false
	}
	s.downUntil = time.Now().Add(sharedRetry)
	if !s.failing {
		s.failing = true
		s.log.Warn("shared provider limits unavailable; each process enforces rate limits, quotas and pauses on its own until the database answers again",
			"provider", provider, "retry_in", sharedRetry, "error", err)
	}
	return true
}
