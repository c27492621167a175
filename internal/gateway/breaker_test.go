package gateway

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/spotter-soc/spotter/internal/skill"
)

func TestBreaker(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		f := &fakeProvider{script: statuses(503, 503, 503, 503, 503, 503, 200, 200)}
		cfg := testConfig()
		cfg.MaxRetries = 0
		tr, m := newTestTransport(f, skill.RateLimit{}, cfg)
		ctx := t.Context()
		for range 5 {
			if status, _ := fetch(ctx, tr, "/x"); status != 503 {
				t.Fatalf("status %d during the storm", status)
			}
		}
		// Open: fail fast without calling the provider.
		_, err := fetch(ctx, tr, "/x")
		ge := gatewayError(t, err, ReasonBreakerOpen)
		if !strings.Contains(err.Error(), "provider unavailable until 2000-01-01T00:00:30Z") || f.callCount() != 5 {
			t.Errorf("%v; calls %d", err, f.callCount())
		}
		if !ge.Until.Equal(start.Add(30 * time.Second)) {
			t.Errorf("until %v", ge.Until)
		}

		// Half-open: the trial fails, so the breaker opens again.
		time.Sleep(30 * time.Second)
		if status, _ := fetch(ctx, tr, "/x"); status != 503 {
			t.Fatalf("trial status %d, want the scripted 503", status)
		}
		_, err = fetch(ctx, tr, "/x")
		gatewayError(t, err, ReasonBreakerOpen)

		// Half-open again: while the one trial is in flight, others fail fast.
		time.Sleep(30 * time.Second)
		f.latency = time.Second
		var wg sync.WaitGroup
		wg.Go(func() {
			if status, err := fetch(ctx, tr, "/trial"); status != 200 {
				t.Errorf("trial: %d, %v", status, err)
			}
		})
		time.Sleep(100 * time.Millisecond)
		_, err = fetch(ctx, tr, "/x")
		gatewayError(t, err, ReasonBreakerOpen)
		wg.Wait()

		// Closed: requests flow again.
		if status, err := fetch(ctx, tr, "/x"); status != 200 {
			t.Fatalf("after recovery: %d, %v", status, err)
		}
		if f.callCount() != 8 {
			t.Errorf("provider saw %d calls, want 8", f.callCount())
		}
		if got := m.snapshot().Errors; got[ReasonBreakerOpen] != 3 || got[ReasonServer] != 6 {
			t.Errorf("errors %v", got)
		}
	})
}

// 4xx answers mean the provider is up: they must not open the breaker.
func TestBreakerIgnoresClientErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeProvider{script: statuses(404, 404, 404, 404, 404, 404, 404)}
		cfg := testConfig()
		cfg.MaxRetries = 0
		tr, _ := newTestTransport(f, skill.RateLimit{}, cfg)
		for range 7 {
			if _, err := fetch(t.Context(), tr, "/x"); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// Requests queued behind the rate limit do not go out once the breaker opens.
func TestQueuedRequestsRespectBreaker(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeProvider{script: statuses(503, 503, 503, 503, 503, 503, 503, 503, 503, 503)}
		cfg := testConfig()
		cfg.MaxRetries, cfg.BreakerFailures = 0, 2
		tr, _ := newTestTransport(f, skill.RateLimit{PerSecond: 1, Burst: 1}, cfg)
		var wg sync.WaitGroup
		for i := range 6 {
			wg.Go(func() { _, _ = fetch(t.Context(), tr, fmt.Sprint("/", i)) })
		}
		wg.Wait()
		if f.callCount() != 2 {
			t.Errorf("provider saw %d calls; after 2 failures the queue must fail fast", f.callCount())
		}
	})
}
