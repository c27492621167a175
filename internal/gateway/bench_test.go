package gateway

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/spotter-soc/spotter/internal/skill"
)

// BenchmarkGateway measures the gateway against its lower bound: 1,000
// lookups of 200 distinct indicators (each asked for 5 times, in a fixed
// shuffled order, by 50 concurrent workers) through Invoke with the memory
// cache, against a provider on the wire with 50 ms latency that allows 20
// requests/s. Only the 200 distinct lookups may reach the provider, so the
// cold pass cannot finish before (200-1)/20 s = 9.95 s; without cache and
// deduplication the 1,000 lookups would need 50 s.
//
// Real time, one iteration:
//
//	go test ./internal/gateway/ -run '^$' -bench BenchmarkGateway -benchtime=1x
func BenchmarkGateway(b *testing.B) {
	const (
		distinct  = 200
		repeats   = 5
		workers   = 50
		perSecond = 20.0
		latency   = 50 * time.Millisecond
	)
	// The fake's own bucket allows a burst of 2 so that a millisecond of
	// jitter on the wire between two requests sent exactly 50 ms apart is not
	// mistaken for a violation; the gateway itself is held to a burst of 1.
	f := &fakeProvider{latency: latency, limit: newProviderLimit(perSecond, 2)}
	srv := newServer(b, f)
	lookups := make([]string, 0, distinct*repeats)
	for i := range distinct {
		for range repeats {
			lookups = append(lookups, fmt.Sprintf("198.51.%d.%d", i/100, i%100))
		}
	}
	rand.New(rand.NewPCG(2026, 11)).Shuffle(len(lookups), func(i, j int) { lookups[i], lookups[j] = lookups[j], lookups[i] })

	var coldCalls, warmCalls int
	var cold, warm time.Duration
	for b.Loop() {
		reg := newRegistry(b, &lookupPlugin{name: "bench", limits: skill.RateLimit{PerSecond: perSecond, Burst: 1}})
		settings := map[string]map[string]any{"bench": {"api_key": "bench-key-1234", "base_url": srv.URL}}
		g := New(reg, settings, DefaultConfig(), NewMemoryCache(), discard())

		before := f.callCount()
		start := time.Now()
		lookupAll(b, g, lookups, workers)
		cold = time.Since(start)
		coldCalls = f.callCount() - before

		before = f.callCount()
		start = time.Now()
		lookupAll(b, g, lookups, workers)
		warm = time.Since(start)
		warmCalls = f.callCount() - before
	}

	bound := time.Duration(float64(distinct-1) / perSecond * float64(time.Second))
	uncached := float64(distinct*repeats) / perSecond
	b.ReportMetric(float64(coldCalls), "cold-calls")
	b.ReportMetric(float64(warmCalls), "warm-calls")
	b.ReportMetric(cold.Seconds(), "cold-s")
	b.ReportMetric(cold.Seconds()/bound.Seconds(), "cold/bound")
	b.ReportMetric(float64(warm.Microseconds())/1000, "warm-ms")
	b.ReportMetric(uncached, "uncached-bound-s")
	b.ReportMetric(uncached/cold.Seconds(), "speedup-vs-uncached")
	// A request the fake answered 429 (the two clocks can disagree by a
	// millisecond) is retried by the gateway: it is an attempt, not a lookup.
	throttled := rejected(f)
	b.ReportMetric(float64(throttled), "provider-429s")
	if coldCalls-throttled != distinct || warmCalls != 0 {
		b.Errorf("provider lookups: cold %d (want %d; %d attempts, %d answered 429), warm %d (want 0)", coldCalls-throttled, distinct, coldCalls, throttled, warmCalls)
	}
	if cold < bound {
		b.Errorf("cold pass took %v, faster than the rate limit allows (%v)", cold, bound)
	}
}

// lookupAll issues every lookup through Invoke from concurrent workers.
func lookupAll(b *testing.B, g *Gateway, lookups []string, workers int) {
	work := make(chan string)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for ind := range work {
				if _, err := g.Invoke(b.Context(), "bench.Lookup", map[string]any{"indicator": ind}, InvokeOptions{}); err != nil {
					b.Error(err)
				}
			}
		})
	}
	for _, ind := range lookups {
		work <- ind
	}
	close(work)
	wg.Wait()
}

func rejected(f *fakeProvider) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, s := range f.answers {
		if s == http.StatusTooManyRequests {
			n++
		}
	}
	return n
}
