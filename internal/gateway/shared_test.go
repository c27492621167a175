package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/spotter-soc/spotter/internal/skill"
)

func TestGCRA(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	type call struct {
		at      time.Duration // since t0
		maxWait time.Duration
		wait    time.Duration
		ok      bool
	}
	tests := []struct {
		name  string
		rate  Rate
		calls []call
	}{
		{"burst of 3 at 10/s, then one per 100ms", Rate{PerSecond: 10, Burst: 3}, []call{
			{0, time.Second, 0, true}, {0, time.Second, 0, true}, {0, time.Second, 0, true},
			{0, time.Second, ms(100), true}, {0, time.Second, ms(200), true},
			// Too long a wait: refused, and nothing taken.
			{0, ms(250), ms(300), false},
			{ms(50), time.Second, ms(250), true},
		}},
		{"burst 0 counts as 1", Rate{PerSecond: 4}, []call{
			{0, 0, 0, true}, {0, time.Second, ms(250), true}, {ms(100), time.Second, ms(400), true},
		}},
		{"idle time refills the bucket, up to the burst", Rate{PerSecond: 10, Burst: 2}, []call{
			{0, 0, 0, true}, {0, 0, 0, true}, {0, 0, ms(100), false},
			{ms(150), 0, 0, true}, {ms(150), 0, ms(50), false},
			{ms(10_000), 0, 0, true}, {ms(10_000), 0, 0, true}, {ms(10_000), 0, ms(100), false},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tat time.Time
			for i, c := range tt.calls {
				next, wait, ok := GCRA(tat, t0.Add(c.at), tt.rate, c.maxWait)
				if wait != c.wait || ok != c.ok {
					t.Fatalf("call %d at +%v: wait %v ok %v; want %v %v", i, c.at, wait, ok, c.wait, c.ok)
				}
				if !ok && !next.Equal(tat) {
					t.Fatalf("call %d: a refused call moved the TAT", i)
				}
				tat = next
			}
		})
	}
}

// GCRA admits exactly what a token bucket admits.
func TestGCRAMatchesTokenBucket(t *testing.T) {
	r := Rate{PerSecond: 7, Burst: 4}
	var tat time.Time
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	var sent []time.Time
	for i := range 200 {
		now = now.Add(time.Duration(i%5) * 37 * time.Millisecond)
		next, wait, ok := GCRA(tat, now, r, time.Hour)
		if !ok {
			t.Fatal("refused within an hour's wait")
		}
		tat = next
		sent = append(sent, now.Add(wait))
	}
	slices.SortFunc(sent, func(a, b time.Time) int { return a.Compare(b) })
	for _, w := range []time.Duration{time.Millisecond, 100 * time.Millisecond, time.Second, 10 * time.Second} {
		allowed := r.Burst + int(r.PerSecond*w.Seconds())
		if got := maxInWindow(sent, w); got > allowed {
			t.Errorf("%d requests within %v; a bucket of %d at %v/s allows %d", got, w, r.Burst, r.PerSecond, allowed)
		}
	}
}

func TestMemoryLimitsQuotaDay(t *testing.T) {
	now := time.Date(2026, 11, 23, 23, 59, 0, 0, time.UTC)
	m := &MemoryLimits{Now: func() time.Time { return now }}
	ctx := context.Background()
	for range 2 {
		if g, _ := m.TakeQuota(ctx, "p", 2); !g.OK {
			t.Fatal("quota refused early")
		}
	}
	g, _ := m.TakeQuota(ctx, "p", 2)
	if g.OK || g.ResetIn != time.Minute {
		t.Fatalf("over quota: %+v, want a reset in 1m", g)
	}
	_ = m.RefundQuota(ctx, "p", 2)
	if g, _ := m.TakeQuota(ctx, "p", 2); !g.OK {
		t.Fatal("refund did not free a request")
	}
	now = now.Add(time.Minute)
	if g, _ := m.TakeQuota(ctx, "p", 2); !g.OK {
		t.Fatal("quota not reset at 00:00 UTC")
	}
}

// shareTransports gives transports one set of shared limits, as gateways
// in different processes on one database would have.
func shareTransports(s SharedLimits, log *slog.Logger, trs ...*transport) {
	st := newSharedState(s, log)
	for _, tr := range trs {
		tr.limiter.shared = st
	}
}

func TestSharedLimitsAcrossTransports(t *testing.T) {
	limits := skill.RateLimit{PerSecond: 10, Burst: 1}
	t.Run("rate", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := &fakeProvider{latency: 10 * time.Millisecond}
			a, ma := newTestTransport(f, limits, testConfig())
			b, mb := newTestTransport(f, limits, testConfig())
			shareTransports(NewMemoryLimits(), discard(), a, b)
			start := time.Now()
			var wg sync.WaitGroup
			for w := range 10 {
				tr := a
				if w%2 == 1 {
					tr = b
				}
				wg.Go(func() {
					for i := range 10 {
						if _, err := fetch(t.Context(), tr, fmt.Sprintf("/%d/%d", w, i)); err != nil {
							t.Error(err)
						}
					}
				})
			}
			wg.Wait()
			// 100 requests at 10/s together: 9.9 s, not the 4.9 s two
			// independent limiters would take.
			if elapsed := time.Since(start); elapsed < 9900*time.Millisecond {
				t.Errorf("100 requests through two transports took %v; a shared 10/s needs 9.9s", elapsed)
			}
			_, _, times := f.stats()
			slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
			if got := maxInWindow(times, time.Second); got > 11 {
				t.Errorf("%d requests within a second", got)
			}
			if ma.snapshot().SharedLimitFallbacks+mb.snapshot().SharedLimitFallbacks != 0 {
				t.Error("fallbacks counted with working shared limits")
			}
		})
	})
	t.Run("pause", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := &fakeProvider{script: []step{{status: 429, header: map[string][]string{"Retry-After": {"30"}}}}}
			cfg := testConfig()
			cfg.MaxRetries = 0
			for _, l := range []skill.RateLimit{limits, {}} {
				a, _ := newTestTransport(f, l, cfg)
				b, _ := newTestTransport(f, l, cfg)
				shareTransports(NewMemoryLimits(), discard(), a, b)
				f.mu.Lock()
				f.script = []step{{status: 429, header: map[string][]string{"Retry-After": {"30"}}}}
				f.mu.Unlock()
				start := time.Now()
				if status, err := fetch(t.Context(), a, "/a"); status != 429 || err != nil {
					t.Fatalf("first request: %d, %v", status, err)
				}
				if status, err := fetch(t.Context(), b, "/b"); status != 200 || err != nil {
					t.Fatalf("other transport: %d, %v", status, err)
				}
				if waited := time.Since(start); waited < 30*time.Second {
					t.Errorf("limits %+v: the other transport sent after %v, inside the 30s pause", l, waited)
				}
			}
		})
	})
	t.Run("quota", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := &fakeProvider{}
			cfg := testConfig()
			cfg.QueueWait = time.Second
			l := skill.RateLimit{PerDay: 3}
			a, _ := newTestTransport(f, l, cfg)
			b, _ := newTestTransport(f, l, cfg)
			shareTransports(NewMemoryLimits(), discard(), a, b)
			for i, tr := range []*transport{a, b, a} {
				if _, err := fetch(t.Context(), tr, "/x"); err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
			}
			_, err := fetch(t.Context(), b, "/x")
			gatewayError(t, err, ReasonQuota)
		})
	})
}

// failingLimits is shared limits whose database is down.
type failingLimits struct {
	mu    sync.Mutex
	calls int
	down  bool
}

var errDown = errors.New("connection refused")

func (f *failingLimits) call() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.down {
		return errDown
	}
	return nil
}

func (f *failingLimits) Reserve(context.Context, string, Rate, time.Duration) (Reservation, error) {
	return Reservation{OK: true}, f.call()
}
func (f *failingLimits) TakeQuota(context.Context, string, int) (QuotaGrant, error) {
	return QuotaGrant{OK: true}, f.call()
}
func (f *failingLimits) RefundQuota(context.Context, string, int) error     { return f.call() }
func (f *failingLimits) Pause(context.Context, string, time.Duration) error { return f.call() }
func (f *failingLimits) PausedFor(context.Context, string) (time.Duration, error) {
	return 0, f.call()
}

func (f *failingLimits) set(down bool) {
	f.mu.Lock()
	f.down = down
	f.mu.Unlock()
}

// With the shared limits down, requests go on under the in-memory limits:
// never failed, counted in the metrics, logged once per outage, and the
// database is asked again only after sharedRetry.
func TestSharedLimitsFallback(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs bytes.Buffer
		log := slog.New(slog.NewTextHandler(&logs, nil))
		f := &fakeProvider{}
		limits := skill.RateLimit{PerSecond: 10, Burst: 1, PerDay: 1000}
		a, ma := newTestTransport(f, limits, testConfig())
		b, mb := newTestTransport(f, limits, testConfig())
		fl := &failingLimits{down: true}
		shareTransports(fl, log, a, b)

		start := time.Now()
		for i := range 20 {
			tr := a
			if i%2 == 1 {
				tr = b
			}
			if status, err := fetch(t.Context(), tr, "/x"); err != nil || status != 200 {
				t.Fatalf("request %d: %d, %v", i, status, err)
			}
		}
		// The in-memory limiters still hold each transport to 10/s.
		if elapsed := time.Since(start); elapsed < 900*time.Millisecond {
			t.Errorf("20 requests, 10 per transport, took %v: the local rate limit did not apply", elapsed)
		}
		if got := ma.snapshot().SharedLimitFallbacks + mb.snapshot().SharedLimitFallbacks; got != 20 {
			t.Errorf("shared_limit_fallbacks = %d, want 20", got)
		}
		if fl.calls != 1 {
			t.Errorf("the shared limits were asked %d times during the retry interval, want once", fl.calls)
		}
		if n := strings.Count(logs.String(), "shared provider limits unavailable"); n != 1 {
			t.Errorf("logged %d times, want once:\n%s", n, logs.String())
		}

		// Back up: after sharedRetry the database is asked again.
		fl.set(false)
		time.Sleep(sharedRetry)
		if _, err := fetch(t.Context(), a, "/y"); err != nil {
			t.Fatal(err)
		}
		if got := ma.snapshot().SharedLimitFallbacks; got != 10 {
			t.Errorf("fallbacks after recovery: %d, want still 10", got)
		}
		if !strings.Contains(logs.String(), "reachable again") {
			t.Errorf("recovery not logged:\n%s", logs.String())
		}
	})
}

// Lazy shared limits that turn out to be none (SQLite) leave the in-memory
// limits in charge without counting fallbacks.
func TestLazySharedLimitsNone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		opened := 0
		s := LazySharedLimits(func(context.Context) (SharedLimits, error) { opened++; return nil, nil })
		f := &fakeProvider{}
		tr, m := newTestTransport(f, skill.RateLimit{PerSecond: 10, PerDay: 5}, testConfig())
		shareTransports(s, discard(), tr)
		for range 3 {
			if _, err := fetch(t.Context(), tr, "/x"); err != nil {
				t.Fatal(err)
			}
		}
		if got := m.snapshot().SharedLimitFallbacks; got != 0 {
			t.Errorf("fallbacks %d, want 0", got)
		}
		if opened != 1 {
			t.Errorf("opened %d times, want once", opened)
		}
	})
}

// A gateway built with WithSharedLimits hands them to every transport.
func TestWithSharedLimits(t *testing.T) {
	m := NewMemoryLimits()
	g := New(skill.NewRegistry(), nil, testConfig(), nil, nil, WithSharedLimits(m))
	c := g.Client("x", skill.RateLimit{PerSecond: 1})
	tr := c.Transport.(*transport)
	if tr.limiter.shared == nil || tr.limiter.shared.limits != m {
		t.Fatal("the client's limiter does not use the shared limits")
	}
	if g := New(skill.NewRegistry(), nil, testConfig(), nil, nil); g.Client("x", skill.RateLimit{}).Transport.(*transport).limiter.shared != nil {
		t.Fatal("shared limits without the option")
	}
}
