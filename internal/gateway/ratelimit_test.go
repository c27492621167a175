package gateway

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/spotter-soc/spotter/internal/skill"
)

// maxInWindow returns the most requests that arrived within any window of
// length w (half-open: [t, t+w)).
func maxInWindow(sorted []time.Time, w time.Duration) int {
	best, j := 0, 0
	for i := range sorted {
		for j < len(sorted) && sorted[j].Sub(sorted[i]) < w {
			j++
		}
		best = max(best, j-i)
	}
	return best
}

func TestRateLimitCompliance(t *testing.T) {
	limits := skill.RateLimit{PerSecond: 20, Burst: 1, Concurrency: 4}
	tests := []struct {
		name    string
		latency time.Duration
		minTime time.Duration // the binding limit's lower bound for 300 requests
	}{
		// 20/s × 50 ms keeps one request in flight: the rate binds.
		{"rate bound", 50 * time.Millisecond, 299 * time.Second / 20},
		// 4 slots × 400 ms allow 10/s: concurrency binds.
		{"concurrency bound", 400 * time.Millisecond, 75 * 400 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := &fakeProvider{latency: tt.latency}
				tr, m := newTestTransport(f, limits, testConfig())
				start := time.Now()
				var wg sync.WaitGroup
				for w := range 30 {
					wg.Go(func() {
						for i := range 10 {
							if status, err := fetch(t.Context(), tr, fmt.Sprintf("/lookup/%d-%d", w, i)); err != nil || status != 200 {
								t.Errorf("worker %d: %d, %v", w, status, err)
								return
							}
						}
					})
				}
				wg.Wait()
				elapsed := time.Since(start)

				calls, maxInFlight, times := f.stats()
				if calls != 300 {
					t.Fatalf("provider saw %d requests, want 300", calls)
				}
				if maxInFlight > limits.Concurrency {
					t.Errorf("%d requests in flight at once, limit %d", maxInFlight, limits.Concurrency)
				}
				slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
				for _, w := range []time.Duration{time.Millisecond, 50 * time.Millisecond, 120 * time.Millisecond, 500 * time.Millisecond, time.Second, 5 * time.Second} {
					allowed := limits.Burst + int(limits.PerSecond*w.Seconds())
					if got := maxInWindow(times, w); got > allowed {
						t.Errorf("%d requests within %v, limit allows %d", got, w, allowed)
					}
				}
				if elapsed < tt.minTime || elapsed > tt.minTime*11/10+time.Second {
					t.Errorf("took %v, want close to the %v the limits impose", elapsed, tt.minTime)
				}
				if got := m.snapshot(); got.ThrottledWaits == 0 || got.Calls != 300 || got.Errors[ReasonRateLimited] != 0 {
					t.Errorf("metrics %+v", got)
				}
			})
		})
	}
}

// A provider that enforces the same limit never has to refuse us.
func TestRateLimitKeepsProviderHappy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeProvider{limit: newProviderLimit(10, 1)}
		tr, _ := newTestTransport(f, skill.RateLimit{PerSecond: 10, Burst: 1}, testConfig())
		var wg sync.WaitGroup
		for w := range 10 {
			wg.Go(func() {
				for i := range 5 {
					if _, err := fetch(t.Context(), tr, fmt.Sprintf("/%d/%d", w, i)); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, s := range f.answers {
			if s != 200 {
				t.Fatalf("provider answered %d; answers %v", s, f.answers)
			}
		}
	})
}
