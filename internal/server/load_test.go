package server

import (
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/spotter-soc/spotter/internal/copilot"
	"github.com/spotter-soc/spotter/internal/store/storetest"
)

// TestLoadDirectSkillPrompts has 50 clients submit direct-skill prompts on
// loopback, each waiting for its evaluation, against results already in
// the cache. It reports throughput and latency percentiles; set
// SPOTTER_LOAD_REQUESTS to change the requests per client (default 20).
func TestLoadDirectSkillPrompts(t *testing.T) {
	if testing.Short() {
		t.Skip("load test skipped in -short mode")
	}
	const clients = 50
	perClient := 20
	if v, err := strconv.Atoi(os.Getenv("SPOTTER_LOAD_REQUESTS")); err == nil && v > 0 {
		perClient = v
	}
	var dsn string // SQLite unless a PostgreSQL server is configured
	if os.Getenv(storetest.PostgresEnv) != "" {
		dsn = storetest.PostgresURL(t)
	}
	h := newHarness(t, dsn, copilot.Options{Workers: 16, Queue: 128})
	const ips = 10
	// Warm the cache: one call per address.
	sid := h.newSession()
	for i := range ips {
		res, code := h.submit(sid, directIP(i))
		if code != http.StatusCreated || res.Evaluation.ResultType != copilot.ResultSuccess {
			t.Fatalf("warming the cache: status %d, %+v", code, res.Evaluation)
		}
	}
	runsBefore := h.runs.Load()

	sessions := make([]string, clients)
	for i := range sessions {
		sessions[i] = h.newSession()
	}
	latencies := make([][]time.Duration, clients)
	var failures sync.Map
	var wg sync.WaitGroup
	start := time.Now()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perClient {
				t0 := time.Now()
				res, code := h.submitQuiet(sessions[c], directIP(c+i))
				latencies[c] = append(latencies[c], time.Since(t0))
				if code != http.StatusCreated || res.Evaluation.ResultType != copilot.ResultSuccess || !res.Evaluation.Sources[0].CacheHit {
					failures.Store(c*perClient+i, res.Evaluation.ResultType)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	all := slices.Concat(latencies...)
	slices.Sort(all)
	n := len(all)
	bad := 0
	failures.Range(func(_, _ any) bool { bad++; return true })
	if bad > 0 {
		t.Errorf("%d of %d prompts did not succeed from the cache", bad, n)
	}
	if runs := h.runs.Load() - runsBefore; runs != 0 {
		t.Errorf("the skill ran %d times during the load; want every call served from the cache", runs)
	}
	pct := func(p float64) time.Duration { return all[min(n-1, int(float64(n)*p))] }
	t.Logf("%d clients x %d direct-skill prompts (cached, ?wait=10s): %d requests in %s = %.0f req/s; latency p50 %s p90 %s p99 %s max %s",
		clients, perClient, n, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds(),
		pct(0.50).Round(time.Microsecond), pct(0.90).Round(time.Microsecond), pct(0.99).Round(time.Microsecond), all[n-1].Round(time.Microsecond))
}

func directIP(i int) copilot.PromptRequest {
	return copilot.PromptRequest{SkillName: "fakeintel.IPReputation", SkillInputs: map[string]any{"ip": "185.220.101." + strconv.Itoa(1+i%10)}}
}

// submitQuiet is submit for goroutines other than the test's: it reports
// transport failures as status 0 instead of failing the test.
func (h *harness) submitQuiet(sessionID string, req copilot.PromptRequest) (SubmitResult, int) {
	var out SubmitResult
	code := h.doQuiet("POST", "/api/v1/sessions/"+sessionID+"/prompts?wait=10s", h.tokens[RoleAnalyst], req, &out)
	return out, code
}
