package gateway

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"path"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// step is one scripted answer of the fake provider.
type step struct {
	status int
	header http.Header
}

// statuses scripts plain answers with the given statuses.
func statuses(codes ...int) []step {
	out := make([]step, len(codes))
	for i, c := range codes {
		out[i] = step{status: c}
	}
	return out
}

// fakeProvider is a provider API for tests, usable over the wire
// (httptest.NewServer) or in memory (memTransport, inside synctest). It
// answers GET /lookup/<indicator> with a small JSON document, and can add
// latency, enforce a token-bucket rate limit (429 with Retry-After), require
// an API key, and play a script of statuses before answering normally. It
// records what it saw.
type fakeProvider struct {
	latency time.Duration
	limit   *rate.Limiter // nil: no limit
	secret  string        // "": no key required
	script  []step

	mu          sync.Mutex
	calls       int
	inFlight    int
	maxInFlight int
	times       []time.Time // arrival of every request
	bodies      []string
	answers     []int // status of every answer
}

func (f *fakeProvider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
	}
	f.mu.Lock()
	f.calls++
	f.inFlight++
	f.maxInFlight = max(f.maxInFlight, f.inFlight)
	f.times = append(f.times, time.Now())
	f.bodies = append(f.bodies, string(body))
	var next *step
	if len(f.script) > 0 {
		next = &f.script[0]
		f.script = f.script[1:]
	}
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inFlight--
		f.mu.Unlock()
	}()

	status, header, doc := f.answer(r, next)
	if f.latency > 0 {
		t := time.NewTimer(f.latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	f.mu.Lock()
	f.answers = append(f.answers, status)
	f.mu.Unlock()
	for k, v := range header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(doc)
}

// answer decides the response when the request arrives, as a provider does.
func (f *fakeProvider) answer(r *http.Request, next *step) (int, http.Header, any) {
	if f.limit != nil {
		res := f.limit.Reserve()
		if d := res.Delay(); d > 0 {
			res.Cancel()
			h := http.Header{"Retry-After": {fmt.Sprint(int(math.Ceil(d.Seconds())))}}
			return http.StatusTooManyRequests, h, map[string]any{"errors": []any{map[string]any{"detail": "Too many requests", "status": 429}}}
		}
	}
	if f.secret != "" && r.Header.Get("X-Api-Key") != f.secret && r.URL.Query().Get("key") != f.secret {
		return http.StatusUnauthorized, nil, map[string]any{"errors": []any{map[string]any{"detail": "Authentication failed.", "status": 401}}}
	}
	if next != nil && next.status != http.StatusOK {
		return next.status, next.header, map[string]any{"errors": []any{map[string]any{"detail": "scripted", "status": next.status}}}
	}
	var h http.Header
	if next != nil {
		h = next.header
	}
	return http.StatusOK, h, map[string]any{"indicator": path.Base(r.URL.Path), "score": 42}
}

func (f *fakeProvider) stats() (calls, maxInFlight int, times []time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls, f.maxInFlight, append([]time.Time(nil), f.times...)
}

func (f *fakeProvider) callCount() int {
	c, _, _ := f.stats()
	return c
}

// memTransport serves requests with a handler in memory, so transport tests
// can run inside a synctest bubble, where real sockets are not allowed.
type memTransport struct{ h http.Handler }

func (m memTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.h.ServeHTTP(rec, req)
	}()
	select {
	case <-done:
	case <-req.Context().Done():
		<-done
		return nil, req.Context().Err()
	}
	if req.Body != nil {
		_ = req.Body.Close()
	}
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

// newProviderLimit is the fake's own token bucket.
func newProviderLimit(perSecond float64, burst int) *rate.Limiter {
	return rate.NewLimiter(rate.Limit(perSecond), burst)
}

// newServer serves the fake over real HTTP for wire-level tests.
func newServer(t testing.TB, f *fakeProvider) *httptest.Server {
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return srv
}
