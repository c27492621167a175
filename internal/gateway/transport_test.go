package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/spotter-soc/spotter/internal/skill"
)

// These tests run the transport against the in-memory fake inside a
// synctest bubble: time is virtual, so waits of seconds take none, and
// every duration below is exact.

func newTestTransport(f *fakeProvider, limits skill.RateLimit, cfg Config) (*transport, *counters) {
	m := newCounters("fake")
	return newTransport("fake", limits, cfg.withDefaults(), memTransport{f}, m, nil, discard()), m
}

// fetch sends a GET and returns the status, or the error.
func fetch(ctx context.Context, tr http.RoundTripper, path string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://fake.test"+path, nil)
	if err != nil {
		return 0, err
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

func gatewayError(t *testing.T, err error, reason string) *Error {
	t.Helper()
	var ge *Error
	if !errors.As(err, &ge) {
		t.Fatalf("got %v (%T), want a *gateway.Error with reason %s", err, err, reason)
	}
	if ge.Reason != reason {
		t.Fatalf("reason %q, want %q (%v)", ge.Reason, reason, err)
	}
	if !strings.HasPrefix(ge.Error(), "fake: ") {
		t.Errorf("error %q does not name the provider", ge.Error())
	}
	return ge
}

func TestRetryByStatus(t *testing.T) {
	tests := []struct {
		status  int
		retried bool
	}{
		{400, false}, {401, false}, {403, false}, {404, false}, {409, false}, {422, false}, {418, false},
		{429, true}, {500, true}, {502, true}, {503, true}, {504, true}, {501, false},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.status), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := &fakeProvider{script: statuses(tt.status, 200)}
				tr, m := newTestTransport(f, skill.RateLimit{}, testConfig())
				status, err := fetch(t.Context(), tr, "/lookup/1.2.3.4")
				if err != nil {
					t.Fatal(err)
				}
				wantCalls, wantStatus := 1, tt.status
				if tt.retried {
					wantCalls, wantStatus = 2, 200
				}
				if f.callCount() != wantCalls || status != wantStatus {
					t.Errorf("calls %d status %d, want %d and %d", f.callCount(), status, wantCalls, wantStatus)
				}
				got := m.snapshot()
				if got.Retries != int64(wantCalls-1) || got.Calls != int64(wantCalls) {
					t.Errorf("metrics: %+v", got)
				}
				reason, _ := classifyStatus(tt.status)
				if got.Errors[reason] != 1 {
					t.Errorf("errors %v, want one %q", got.Errors, reason)
				}
			})
		})
	}
}

func TestRetriesGiveUpAfterMax(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeProvider{script: statuses(503, 503, 503, 503, 503, 503)}
		cfg := testConfig()
		cfg.MaxRetries, cfg.BreakerFailures = 3, 0
		tr, m := newTestTransport(f, skill.RateLimit{}, cfg)
		status, err := fetch(t.Context(), tr, "/x")
		if err != nil || status != 503 {
			t.Fatalf("got %d, %v; want the last 503", status, err)
		}
		if f.callCount() != 4 || m.snapshot().Retries != 3 {
			t.Errorf("calls %d retries %d, want 4 and 3", f.callCount(), m.snapshot().Retries)
		}
	})
}

func TestRetryAfterHonoured(t *testing.T) {
	forms := map[string]func(now time.Time) string{
		"seconds":   func(time.Time) string { return "3" },
		"http-date": func(now time.Time) string { return now.Add(3 * time.Second).UTC().Format(http.TimeFormat) },
	}
	for name, form := range forms {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				start := time.Now()
				f := &fakeProvider{script: []step{
					{status: 429, header: http.Header{"Retry-After": {form(start)}}},
					{status: 200}, {status: 200},
				}}
				tr, m := newTestTransport(f, skill.RateLimit{}, testConfig())
				var wg sync.WaitGroup
				wg.Go(func() {
					// Another caller, arriving during the pause, waits too.
					time.Sleep(time.Second)
					if _, err := fetch(t.Context(), tr, "/other"); err != nil {
						t.Error(err)
					}
				})
				status, err := fetch(t.Context(), tr, "/x")
				wg.Wait()
				if err != nil || status != 200 {
					t.Fatalf("got %d, %v", status, err)
				}
				if elapsed := time.Since(start); elapsed != 3*time.Second {
					t.Errorf("took %v, want the 3s the provider asked for", elapsed)
				}
				_, _, times := f.stats()
				for _, at := range times[1:] {
					if at.Sub(start) < 3*time.Second {
						t.Errorf("request at +%v, inside the pause", at.Sub(start))
					}
				}
				if got := m.snapshot(); got.Retries != 1 || got.ThrottledWaits != 2 {
					t.Errorf("retries %d throttled %d, want 1 and 2", got.Retries, got.ThrottledWaits)
				}
			})
		})
	}
}

func TestRetryAfterBeyondQueueWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		f := &fakeProvider{script: []step{{status: 429, header: http.Header{"Retry-After": {"600"}}}}}
		tr, _ := newTestTransport(f, skill.RateLimit{}, testConfig())
		// The response goes back to the plugin, which knows the provider's words.
		status, err := fetch(t.Context(), tr, "/x")
		if err != nil || status != 429 || time.Since(start) != 0 {
			t.Fatalf("got %d, %v after %v; want the 429 at once", status, err, time.Since(start))
		}
		// Later callers fail fast instead of hammering the provider.
		_, err = fetch(t.Context(), tr, "/x")
		ge := gatewayError(t, err, ReasonRateLimited)
		if !ge.Until.Equal(start.Add(600*time.Second)) || f.callCount() != 1 {
			t.Errorf("until %v, calls %d", ge.Until, f.callCount())
		}
		time.Sleep(600 * time.Second)
		if status, err := fetch(t.Context(), tr, "/x"); err != nil || status != 200 {
			t.Errorf("after the pause: %d, %v", status, err)
		}
	})
}

// AbuseIPDB says how many calls are left today and when the count resets.
func TestRateLimitRemainingZeroPauses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		reset := strconv.FormatInt(start.Add(10*time.Second).Unix(), 10)
		f := &fakeProvider{script: []step{{status: 200, header: http.Header{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {reset}}}}}
		tr, _ := newTestTransport(f, skill.RateLimit{}, testConfig())
		if _, err := fetch(t.Context(), tr, "/a"); err != nil {
			t.Fatal(err)
		}
		if _, err := fetch(t.Context(), tr, "/b"); err != nil {
			t.Fatal(err)
		}
		if elapsed := time.Since(start); elapsed != 10*time.Second {
			t.Errorf("second call after %v, want 10s", elapsed)
		}
	})
}

func TestAttemptTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeProvider{latency: 40 * time.Second}
		cfg := testConfig()
		cfg.MaxRetries = 1
		tr, m := newTestTransport(f, skill.RateLimit{}, cfg)
		_, err := fetch(t.Context(), tr, "/lookup/x?key=abc")
		gatewayError(t, err, ReasonTimeout)
		if !strings.Contains(err.Error(), "fake: request to http://fake.test/lookup/x timed out after 30s") {
			t.Errorf("message: %v", err)
		}
		if f.callCount() != 2 || m.snapshot().Errors[ReasonTimeout] != 2 {
			t.Errorf("calls %d, errors %v", f.callCount(), m.snapshot().Errors)
		}
	})
}

// The caller's own deadline ends the call without blaming the provider.
func TestCallerDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeProvider{latency: 40 * time.Second}
		cfg := testConfig()
		cfg.BreakerFailures = 1
		tr, _ := newTestTransport(f, skill.RateLimit{}, cfg)
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		_, err := fetch(ctx, tr, "/x")
		gatewayError(t, err, ReasonTimeout)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%v does not wrap context.DeadlineExceeded", err)
		}
		f.latency = 0
		if status, err := fetch(t.Context(), tr, "/x"); status != 200 {
			t.Errorf("breaker moved by the caller's deadline: %d, %v", status, err)
		}
	})
}

func TestDailyQuota(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeProvider{}
		tr, m := newTestTransport(f, skill.RateLimit{PerDay: 3}, testConfig())
		ctx := t.Context()
		for range 3 {
			if _, err := fetch(ctx, tr, "/x"); err != nil {
				t.Fatal(err)
			}
		}
		_, err := fetch(ctx, tr, "/x")
		gatewayError(t, err, ReasonQuota)
		if want := "fake: daily quota of 3 requests used; resets at 00:00 UTC"; !strings.Contains(err.Error(), want) {
			t.Errorf("%v; want %q", err, want)
		}
		if f.callCount() != 3 || m.snapshot().Errors[ReasonQuota] != 1 {
			t.Errorf("calls %d, errors %v", f.callCount(), m.snapshot().Errors)
		}
		// Shortly before midnight the request waits in line for the reset.
		midnight := time.Now().UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
		time.Sleep(time.Until(midnight.Add(-30 * time.Second)))
		if _, err := fetch(ctx, tr, "/x"); err != nil {
			t.Fatal(err)
		}
		if !time.Now().Equal(midnight) {
			t.Errorf("sent at %v, want the reset at %v", time.Now(), midnight)
		}
	})
}

func TestRequestBodyReplayed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeProvider{script: statuses(503, 502, 200)}
		tr, _ := newTestTransport(f, skill.RateLimit{}, testConfig())
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, "http://fake.test/submit", strings.NewReader(`{"q":1}`))
		// A body without GetBody is buffered for replay.
		req.Body, req.GetBody = io.NopCloser(strings.NewReader(`{"q":1}`)), nil
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		f.mu.Lock()
		defer f.mu.Unlock()
		if fmt.Sprint(f.bodies) != `[{"q":1} {"q":1} {"q":1}]` {
			t.Errorf("bodies %q", f.bodies)
		}
	})
}

// The concurrency slot is held until the caller closes the response body.
func TestConcurrencySlotHeldUntilBodyClosed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeProvider{}
		tr, m := newTestTransport(f, skill.RateLimit{Concurrency: 1}, testConfig())
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://fake.test/a", nil)
		first, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			if _, err := fetch(t.Context(), tr, "/b"); err != nil {
				t.Error(err)
			}
		}()
		synctest.Wait()
		if f.callCount() != 1 {
			t.Fatalf("second request sent while the first body is open")
		}
		time.Sleep(time.Second)
		_ = first.Body.Close()
		<-done
		if f.callCount() != 2 || m.snapshot().ThrottledWaits != 1 {
			t.Errorf("calls %d throttled %d", f.callCount(), m.snapshot().ThrottledWaits)
		}
	})
}

func TestConcurrencyQueueWaitExceeded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeProvider{latency: 10 * time.Minute}
		cfg := testConfig()
		cfg.CallTimeout, cfg.MaxRetries = time.Hour, 0
		tr, _ := newTestTransport(f, skill.RateLimit{Concurrency: 1}, cfg)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		go func() { _, _ = fetch(ctx, tr, "/slow") }()
		synctest.Wait()
		start := time.Now()
		_, err := fetch(t.Context(), tr, "/x")
		gatewayError(t, err, ReasonRateLimited)
		if time.Since(start) != 2*time.Minute {
			t.Errorf("gave up after %v, want the 2m queue wait", time.Since(start))
		}
		cancel()
	})
}

// AbuseIPDB's daily limit: a 429 whose headers point at midnight UTC. The
// plugin gets the 429 to word it, and later calls fail fast until midnight.
func TestAbuseIPDBDailyLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		time.Sleep(10 * time.Hour)
		midnight := time.Now().UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
		h := http.Header{
			"X-Ratelimit-Limit":     {"1000"},
			"X-Ratelimit-Remaining": {"0"},
			"X-Ratelimit-Reset":     {strconv.FormatInt(midnight.Unix(), 10)},
			"Retry-After":           {strconv.Itoa(int(time.Until(midnight).Seconds()))},
		}
		f := &fakeProvider{script: []step{{status: 429, header: h}}}
		tr, m := newTestTransport(f, skill.RateLimit{}, testConfig())
		if status, err := fetch(t.Context(), tr, "/check"); status != 429 || err != nil {
			t.Fatalf("got %d, %v; want the 429 for the plugin", status, err)
		}
		for range 3 {
			_, err := fetch(t.Context(), tr, "/check")
			if ge := gatewayError(t, err, ReasonRateLimited); !ge.Until.Equal(midnight) {
				t.Errorf("until %v, want %v", ge.Until, midnight)
			}
		}
		if f.callCount() != 1 || m.snapshot().Retries != 0 {
			t.Errorf("calls %d retries %d; the provider must not be asked again today", f.callCount(), m.snapshot().Retries)
		}
		time.Sleep(time.Until(midnight))
		if status, err := fetch(t.Context(), tr, "/check"); status != 200 {
			t.Errorf("after midnight: %d, %v", status, err)
		}
	})
}
