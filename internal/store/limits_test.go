package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spotter-soc/spotter/internal/gateway"
	"github.com/spotter-soc/spotter/internal/skill"
	"github.com/spotter-soc/spotter/internal/store/storetest"
)

func TestSharedLimitsSQLiteStaysInMemory(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "spotter.db"))
	if l := s.SharedLimits(); l != nil {
		t.Errorf("SQLite store returned shared limits %T; want nil (in-memory limits)", l)
	}
}

// near fails unless got is within [want-early, want+late].
func near(t *testing.T, what string, got, want, early, late time.Duration) {
	t.Helper()
	if got < want-early || got > want+late {
		t.Errorf("%s = %v, want %v (−%v/+%v)", what, got, want, early, late)
	}
}

// The SQL runs the same GCRA as gateway.GCRA: a burst of 3 at 10/s, then one
// token every 100 ms; a refused reservation changes nothing.
func TestPostgresLimitsReserve(t *testing.T) {
	s := openTest(t, storetest.PostgresURL(t))
	l := s.SharedLimits()
	ctx := context.Background()
	r := gateway.Rate{PerSecond: 10, Burst: 3}
	// The database clock runs on while the test calls it: waits are
	// compared against the time since the first reservation came back,
	// which is at most the time the database counts, so a wait is never
	// longer than expected and may be shorter by two trips to the server.
	var start time.Time
	for i, want := range []time.Duration{0, 0, 0, 100 * time.Millisecond, 200 * time.Millisecond} {
		var elapsed time.Duration // measured before the call: at most what the database counts
		if i > 0 {
			elapsed = time.Since(start)
		}
		res, err := l.Reserve(ctx, "p", r, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			start = time.Now()
		}
		if !res.OK || res.Paused != 0 {
			t.Fatalf("reservation %d: %+v", i, res)
		}
		near(t, fmt.Sprintf("wait %d", i), res.Wait, max(want-elapsed, 0), 100*time.Millisecond, time.Millisecond)
	}
	res, err := l.Reserve(ctx, "p", r, 50*time.Millisecond)
	if err != nil || res.OK {
		t.Fatalf("reservation beyond maxWait: %+v, %v; want refused", res, err)
	}
	elapsed := time.Since(start)
	res, err = l.Reserve(ctx, "p", r, time.Second)
	if err != nil || !res.OK {
		t.Fatalf("%+v, %v", res, err)
	}
	near(t, "wait after a refusal", res.Wait, 300*time.Millisecond-elapsed, 100*time.Millisecond, time.Millisecond)

	// Providers are independent.
	if res, err := l.Reserve(ctx, "other", r, 0); err != nil || !res.OK || res.Wait != 0 {
		t.Errorf("other provider: %+v, %v", res, err)
	}
}

func TestPostgresLimitsQuota(t *testing.T) {
	s := openTest(t, storetest.PostgresURL(t))
	l := s.SharedLimits()
	ctx := context.Background()
	for i := range 3 {
		if g, err := l.TakeQuota(ctx, "p", 3); err != nil || !g.OK {
			t.Fatalf("request %d: %+v, %v", i, g, err)
		}
	}
	for range 3 { // refusals do not pile up
		g, err := l.TakeQuota(ctx, "p", 3)
		if err != nil || g.OK {
			t.Fatalf("request over quota: %+v, %v", g, err)
		}
		untilMidnight := time.Now().UTC().Truncate(24 * time.Hour).Add(24 * time.Hour).Sub(time.Now())
		near(t, "reset", g.ResetIn, untilMidnight, 5*time.Second, 5*time.Second)
	}
	if err := l.RefundQuota(ctx, "p", 3); err != nil {
		t.Fatal(err)
	}
	if g, err := l.TakeQuota(ctx, "p", 3); err != nil || !g.OK {
		t.Fatalf("after a refund: %+v, %v", g, err)
	}
	if g, _ := l.TakeQuota(ctx, "p", 3); g.OK {
		t.Fatal("quota granted twice for one refund")
	}
	// Yesterday's count does not carry over.
	if _, err := s.DB().ExecContext(ctx, `UPDATE gateway_quota SET day = day - 1`); err != nil {
		t.Fatal(err)
	}
	if g, err := l.TakeQuota(ctx, "p", 3); err != nil || !g.OK {
		t.Fatalf("new day: %+v, %v", g, err)
	}
}

func TestPostgresLimitsPause(t *testing.T) {
	s := openTest(t, storetest.PostgresURL(t))
	l := s.SharedLimits()
	ctx := context.Background()
	if d, err := l.PausedFor(ctx, "p"); err != nil || d != 0 {
		t.Fatalf("unknown provider paused for %v, %v", d, err)
	}
	if err := l.Pause(ctx, "p", 2*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := l.Pause(ctx, "p", time.Second); err != nil { // a shorter pause does not cut it
		t.Fatal(err)
	}
	d, err := l.PausedFor(ctx, "p")
	if err != nil {
		t.Fatal(err)
	}
	near(t, "pause", d, 2*time.Second, 100*time.Millisecond, 0)
	for _, r := range []gateway.Rate{{PerSecond: 10, Burst: 1}, {}} {
		res, err := l.Reserve(ctx, "p", r, time.Minute)
		if err != nil || res.OK || res.Paused <= time.Second {
			t.Errorf("reserve %+v while paused: %+v, %v", r, res, err)
		}
	}
}

// countingServer is a provider on the wire that records when each request
// arrives, and answers the first len(script) requests with the scripted
// statuses (429 with Retry-After: 2).
type countingServer struct {
	mu     sync.Mutex
	times  []time.Time
	script []int
}

func (c *countingServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	c.times = append(c.times, time.Now())
	status := http.StatusOK
	if len(c.script) > 0 {
		status, c.script = c.script[0], c.script[1:]
	}
	c.mu.Unlock()
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "2")
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, `{"ok":true}`)
}

func (c *countingServer) arrivals() []time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.times)
}

// worker is one `spotter worker` process as far as the limits go: a
// gateway of its own, on a connection pool of its own, to the same database.
func worker(t *testing.T, dsn string, cfg gateway.Config, log *slog.Logger) *gateway.Gateway {
	t.Helper()
	s := openTest(t, dsn)
	return gateway.New(skill.NewRegistry(), nil, cfg, nil, log, gateway.WithSharedLimits(s.SharedLimits()))
}

func get(ctx context.Context, c *http.Client, url string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

// Two workers hammering one provider limited to 10 requests/s send it at
// most 10/s together, not 10/s each.
func TestSharedRateAcrossWorkers(t *testing.T) {
	dsn := storetest.PostgresURL(t)
	srv := &countingServer{}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	limits := skill.RateLimit{PerSecond: 10, Burst: 1}
	const window = 3 * time.Second

	ctx, cancel := context.WithTimeout(context.Background(), window)
	defer cancel()
	var wg sync.WaitGroup
	var gws []*gateway.Gateway
	for range 2 {
		g := worker(t, dsn, gateway.DefaultConfig(), nil)
		gws = append(gws, g)
		c := g.Client("ratetest", limits)
		for range 8 {
			wg.Go(func() {
				for ctx.Err() == nil {
					_, err := get(ctx, c, ts.URL+"/lookup")
					var ge *gateway.Error
					if errors.As(err, &ge) && ge.Reason == gateway.ReasonRateLimited {
						return // its turn would come after the window: refused at once
					}
					if err != nil && ctx.Err() == nil {
						t.Error(err)
						return
					}
				}
			})
		}
	}
	wg.Wait()

	times := srv.arrivals()
	// 10/s for 3 s plus the burst of 1, with one request of slack for the
	// time the requests take to reach the server.
	allowed := int(limits.PerSecond*window.Seconds()) + limits.Burst + 1
	if len(times) > allowed {
		t.Errorf("provider saw %d requests in %v from two workers; the shared limit allows %d (each worker alone would send ~%d)",
			len(times), window, allowed, allowed-2)
	}
	if len(times) < allowed*2/3 {
		t.Errorf("provider saw only %d requests in %v; the limit allows %d", len(times), window, allowed)
	}
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	if got := maxInWindow(times, time.Second); got > int(limits.PerSecond)+limits.Burst+1 {
		t.Errorf("%d requests within one second", got)
	}
	for i, g := range gws {
		for _, m := range g.Metrics() {
			if m.SharedLimitFallbacks != 0 {
				t.Errorf("worker %d fell back to local limits %d times", i, m.SharedLimitFallbacks)
			}
		}
	}
	t.Logf("%d requests in %v from 2 workers × 8 goroutines at a shared 10/s", len(times), window)
}

// maxInWindow returns the most requests that arrived within any window of
// length w.
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

// A 429 with Retry-After seen by one worker holds the other's requests.
func TestSharedPauseAcrossWorkers(t *testing.T) {
	dsn := storetest.PostgresURL(t)
	srv := &countingServer{script: []int{http.StatusTooManyRequests}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	cfg := gateway.DefaultConfig()
	cfg.MaxRetries = 0 // let the 429 through so the test sees when it happened

	for _, limits := range []skill.RateLimit{{PerSecond: 50, Burst: 5}, {}} {
		t.Run(fmt.Sprintf("per_second=%v", limits.PerSecond), func(t *testing.T) {
			srv.mu.Lock()
			srv.times, srv.script = nil, []int{http.StatusTooManyRequests}
			srv.mu.Unlock()
			provider := fmt.Sprintf("pausetest%v", limits.PerSecond)
			a := worker(t, dsn, cfg, nil).Client(provider, limits)
			b := worker(t, dsn, cfg, nil).Client(provider, limits)
			ctx := context.Background()
			if status, err := get(ctx, a, ts.URL+"/a"); err != nil || status != http.StatusTooManyRequests {
				t.Fatalf("first request: %d, %v; want the scripted 429", status, err)
			}
			if status, err := get(ctx, b, ts.URL+"/b"); err != nil || status != http.StatusOK {
				t.Fatalf("other worker: %d, %v", status, err)
			}
			times := srv.arrivals()
			if len(times) != 2 {
				t.Fatalf("provider saw %d requests, want 2", len(times))
			}
			if gap := times[1].Sub(times[0]); gap < 1900*time.Millisecond {
				t.Errorf("the other worker's request came %v after the 429; Retry-After asked for 2s", gap)
			}
		})
	}
}

// The daily quota is one count for every worker.
func TestSharedQuotaAcrossWorkers(t *testing.T) {
	dsn := storetest.PostgresURL(t)
	ts := httptest.NewServer(&countingServer{})
	defer ts.Close()
	cfg := gateway.DefaultConfig()
	cfg.QueueWait = time.Second
	limits := skill.RateLimit{PerDay: 5}
	a := worker(t, dsn, cfg, nil).Client("quotatest", limits)
	// The second opens its database on first use, as the CLI does.
	lazy := gateway.LazySharedLimits(func(context.Context) (gateway.SharedLimits, error) {
		return openTest(t, dsn).SharedLimits(), nil
	})
	b := gateway.New(skill.NewRegistry(), nil, cfg, nil, nil, gateway.WithSharedLimits(lazy)).Client("quotatest", limits)
	ctx := context.Background()
	for i, c := range []*http.Client{a, b, a, b, a} {
		if status, err := get(ctx, c, ts.URL); err != nil || status != 200 {
			t.Fatalf("request %d: %d, %v", i, status, err)
		}
	}
	for _, c := range []*http.Client{a, b} {
		_, err := get(ctx, c, ts.URL)
		var ge *gateway.Error
		if !errors.As(err, &ge) || ge.Reason != gateway.ReasonQuota {
			t.Errorf("sixth request: %v; want the daily quota error", err)
		}
	}
}

// When the limits table cannot be read, lookups go on under the process's
// own limits; the fallback is logged once and counted in the metrics.
func TestSharedLimitsFallback(t *testing.T) {
	dsn := storetest.PostgresURL(t)
	ts := httptest.NewServer(&countingServer{})
	defer ts.Close()
	var logs bytes.Buffer
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, nil))
	s := openTest(t, dsn)
	g := gateway.New(skill.NewRegistry(), nil, gateway.DefaultConfig(), nil, log, gateway.WithSharedLimits(s.SharedLimits()))
	if _, err := s.DB().Exec(`DROP TABLE gateway_limits, gateway_quota`); err != nil {
		t.Fatal(err)
	}
	c := g.Client("fallbacktest", skill.RateLimit{PerSecond: 1000, Burst: 10, PerDay: 1000})
	ctx := context.Background()
	for i := range 20 {
		if status, err := get(ctx, c, ts.URL); err != nil || status != 200 {
			t.Fatalf("request %d: %d, %v", i, status, err)
		}
	}
	var m gateway.ProviderMetrics
	for _, pm := range g.Metrics() {
		if pm.Provider == "fallbacktest" {
			m = pm
		}
	}
	if m.SharedLimitFallbacks != 20 {
		t.Errorf("shared_limit_fallbacks = %d, want 20 (every request)", m.SharedLimitFallbacks)
	}
	mu.Lock()
	out := logs.String()
	mu.Unlock()
	if n := strings.Count(out, "shared provider limits unavailable"); n != 1 {
		t.Errorf("fallback logged %d times, want once:\n%s", n, out)
	}
	if strings.Contains(out, "password") {
		t.Errorf("log mentions a password:\n%s", out)
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
