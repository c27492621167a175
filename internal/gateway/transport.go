package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/spotter-soc/spotter/internal/skill"
)

// drainLimit is how much of a discarded response body is read so the
// connection can be reused.
const drainLimit = 64 << 10

// transport is the http.RoundTripper every request of one provider goes
// through. For each attempt, in order: the circuit breaker, the limiter
// (concurrency, daily quota, provider pauses, rate), a per-attempt timeout,
// then the classification of the outcome, which feeds metrics, the breaker,
// provider pauses and the decision to retry.
type transport struct {
	provider string
	cfg      Config
	base     http.RoundTripper
	breaker  *breaker
	limiter  *limiter
	metrics  *counters
	secrets  *sealed // the plugin's settings, whose secrets are scrubbed from error messages
	log      *slog.Logger
	randN    func(n int64) int64
}

func newTransport(provider string, limits skill.RateLimit, cfg Config, base http.RoundTripper, m *counters, secrets *sealed, log *slog.Logger) *transport {
	lim := newLimiter(provider, limits, log)
	lim.metrics = m
	return &transport{
		provider: provider,
		cfg:      cfg,
		base:     base,
		breaker:  newBreaker(provider, cfg.BreakerFailures, cfg.BreakerCooldown, log),
		limiter:  lim,
		metrics:  m,
		secrets:  secrets,
		log:      log,
		randN:    rand.Int64N,
	}
}

// RoundTrip implements http.RoundTripper. HTTP responses, errors included,
// are returned as they are once retries are over; failures without a
// response come back as *Error naming the provider.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	target := redactURL(req.URL)
	getBody, err := replayable(req)
	if err != nil {
		return nil, fmt.Errorf("%s: reading the body of the request to %s: %w", t.provider, target, err)
	}
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			t.metrics.retry()
		}
		trial, err := t.breaker.allow(time.Now())
		if err != nil {
			t.metrics.failure(ReasonBreakerOpen)
			return nil, err
		}
		release, waited, err := t.limiter.acquire(ctx, t.cfg.QueueWait)
		if waited {
			t.metrics.throttled()
		}
		if err != nil {
			t.breaker.record(time.Now(), trial, outcomeNeutral)
			return nil, t.refused(target, err)
		}
		if waited && !trial {
			if err := t.breaker.stillClosed(time.Now()); err != nil {
				release(false)
				t.metrics.failure(ReasonBreakerOpen)
				return nil, err
			}
		}

		resp, err := t.send(ctx, req, getBody, release)
		now := time.Now()
		reason, retryable := Classify(resp, err)
		attemptTimeout := err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded)
		o := outcomeOf(reason)
		if ctx.Err() != nil {
			retryable = false
			if err != nil {
				// The caller gave up: that says nothing about the provider.
				reason, _ = Classify(nil, ctx.Err())
				o = outcomeNeutral
			}
		}
		t.metrics.failure(reason)
		t.breaker.record(now, trial, o)
		pauseUntil, signal, paused := providerPause(resp, now)
		if paused {
			t.limiter.pause(pauseUntil, signal)
		}

		wait, retry := t.retryWait(ctx, attempt, retryable, paused, pauseUntil, now)
		if !retry {
			if err != nil {
				timeout := time.Duration(0)
				if attemptTimeout {
					timeout = t.cfg.CallTimeout
				}
				return nil, attemptError(t.provider, reason, target, timeout, err, t.secrets.list())
			}
			return resp, nil
		}
		status := 0
		if resp != nil {
			status = resp.StatusCode
			_, _ = io.CopyN(io.Discard, resp.Body, drainLimit)
			_ = resp.Body.Close()
		}
		t.log.Debug("retrying provider request", "provider", t.provider, "url", target,
			"status", status, "reason", reason, "attempt", attempt+1, "wait", wait)
		if err := sleepUntil(ctx, now.Add(wait)); err != nil {
			return nil, t.refused(target, err)
		}
	}
}

// retryWait decides whether to try again and how long to wait first. A
// provider pause is waited out by the limiter, so its wait here is zero; a
// pause longer than the queue wait is not retried.
func (t *transport) retryWait(ctx context.Context, attempt int, retryable, paused bool, pauseUntil, now time.Time) (time.Duration, bool) {
	if !retryable || attempt >= t.cfg.MaxRetries {
		return 0, false
	}
	resume := now.Add(backoff(t.cfg.BackoffBase, t.cfg.BackoffMax, attempt, t.randN))
	if paused {
		if pauseUntil.Sub(now) > t.cfg.QueueWait {
			return 0, false
		}
		resume = pauseUntil
	}
	if d, ok := ctx.Deadline(); ok && resume.After(d) {
		return 0, false
	}
	if paused {
		return 0, true
	}
	return resume.Sub(now), true
}

// refused turns an error from waiting (in line or between attempts) into an
// *Error and counts it.
func (t *transport) refused(target string, err error) error {
	var ge *Error
	if errors.As(err, &ge) {
		t.metrics.failure(ge.Reason)
		return err
	}
	reason, _ := Classify(nil, err)
	t.metrics.failure(reason)
	return attemptError(t.provider, reason, target, 0, err, t.secrets.list())
}

// send makes one attempt under its own timeout. The timeout and the limiter
// slot last until the response body is closed or read to the end.
func (t *transport) send(ctx context.Context, req *http.Request, getBody func() (io.ReadCloser, error), release func(sent bool)) (*http.Response, error) {
	actx, cancel := context.WithTimeout(ctx, t.cfg.CallTimeout)
	out := req.Clone(actx)
	if getBody != nil {
		body, err := getBody()
		if err != nil {
			cancel()
			release(false)
			return nil, fmt.Errorf("replaying the request body: %w", err)
		}
		out.Body = body
	}
	start := time.Now()
	resp, err := t.base.RoundTrip(out)
	t.metrics.attempt(time.Since(start))
	if err != nil {
		cancel()
		release(true)
		return nil, err
	}
	resp.Body = &attemptBody{ReadCloser: resp.Body, done: func() { cancel(); release(true) }}
	return resp, nil
}

// replayable returns a function that yields the request body afresh for
// each attempt: req.GetBody when set, or a copy read into memory.
func replayable(req *http.Request) (func() (io.ReadCloser, error), error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	defer req.Body.Close()
	if req.GetBody != nil {
		return req.GetBody, nil
	}
	data, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }, nil
}

// attemptBody ends an attempt (its timeout and limiter slot) when the
// response body is closed or fully read.
type attemptBody struct {
	io.ReadCloser
	once sync.Once
	done func()
}

func (b *attemptBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.once.Do(b.done)
	}
	return n, err
}

func (b *attemptBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.done)
	return err
}
