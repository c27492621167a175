// Package fake is an in-memory AbuseIPDB API v2 server for tests and
// benchmarks. It speaks the documented wire format: the Key header,
// JSON:API-style error documents with the documented 401, 422 and 429
// bodies, X-RateLimit-* headers and a daily quota, and the /check and
// /check-block documents. It can be told to fail on purpose (malformed
// bodies, 429 with Retry-After, runs of 5xx, latency) and records every
// request it receives.
package fake

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spotter-soc/spotter/internal/plugins/provider/fakekit"
)

// The documented error details.
const (
	DetailUnauthorized = "Authentication failed. Your API key is either missing, incorrect, or revoked. Note: The APIv2 key differs from the APIv1 key."
	DetailInvalidIP    = "The ip address must be a valid IPv4 or IPv6 address (e.g. 8.8.8.8 or 2001:4860:4860::8888)."
	DetailMaxAge       = "The max age in days must be between 1 and 365."
)

// Request is one request the server received.
type Request struct {
	Method   string
	Path     string // with the /api/v2 prefix removed
	RawQuery string
	Query    url.Values
	Header   http.Header
}

// Fault replaces the normal answer to one request.
type Fault = fakekit.Fault

// Malformed answers 200 with a truncated, non-JSON body.
func Malformed() Fault { return fakekit.Malformed() }

// RateLimit answers 429 with the documented body, a Retry-After header (one
// second when retryAfter is zero) and X-RateLimit-* headers.
func RateLimit(retryAfter time.Duration) Fault { return fakekit.RateLimit(retryAfter) }

// ServerError answers with a 5xx status (503 when zero) and an HTML page.
func ServerError(status int) Fault { return fakekit.ServerError(status) }

// Server is the fake API. Create it with New and serve it with httptest.
type Server struct {
	fakekit.Kit[Request] // SetLatency, Inject and Requests

	key        string
	data       Dataset
	now        func() time.Time
	dailyLimit int

	mu   sync.Mutex
	used int // requests counted against the daily limit
}

// New returns a server that accepts key and knows the addresses in data.
// Addresses it does not know are answered as never reported, as the real
// API does. The daily limit is the free plan's 1,000 requests.
func New(key string, data Dataset) *Server {
	return &Server{key: key, data: data, now: time.Now, dailyLimit: 1000}
}

// SetClock makes the server judge report ages against now instead of the
// wall clock.
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// SetDailyLimit changes the daily quota after which every request gets the
// documented 429.
func (s *Server) SetDailyLimit(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dailyLimit = n
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/api/v2")
	fault, ok := s.Begin(r, Request{Method: r.Method, Path: path, RawQuery: r.URL.RawQuery, Query: r.URL.Query(), Header: r.Header.Clone()})
	if !ok {
		return
	}
	s.mu.Lock()
	now := s.now()
	s.mu.Unlock()
	if fault != nil {
		s.fail(w, *fault, now)
		return
	}
	key := r.Header.Get("Key")
	if key == "" {
		key = r.URL.Query().Get("key")
	}
	if key != s.key || s.key == "" {
		writeError(w, http.StatusUnauthorized, DetailUnauthorized, "")
		return
	}
	if !s.count(w, now) {
		return
	}
	switch path {
	case "/check":
		if r.Method != http.MethodGet && r.Method != http.MethodPost {
			writeError(w, http.StatusMethodNotAllowed, "The method is not allowed for this endpoint.", "")
			return
		}
		s.check(w, r.URL.Query(), now)
	case "/check-block":
		if r.Method != http.MethodGet && r.Method != http.MethodPost {
			writeError(w, http.StatusMethodNotAllowed, "The method is not allowed for this endpoint.", "")
			return
		}
		s.checkBlock(w, r.URL.Query(), now)
	default:
		writeError(w, http.StatusNotFound, "The requested endpoint does not exist.", "")
	}
}

// count charges one request against the daily quota and writes the
// X-RateLimit-* headers; it answers the documented 429 once the quota is spent.
func (s *Server) count(w http.ResponseWriter, now time.Time) bool {
	s.mu.Lock()
	s.used++
	used, limit := s.used, s.dailyLimit
	s.mu.Unlock()
	reset := nextMidnight(now)
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(0, limit-used)))
	if used <= limit {
		return true
	}
	h.Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
	h.Set("Retry-After", strconv.Itoa(int(reset.Sub(now).Seconds())))
	writeError(w, http.StatusTooManyRequests, "Daily rate limit of "+strconv.Itoa(limit)+" requests exceeded for this endpoint. See headers for additional details.", "")
	return false
}

func (s *Server) fail(w http.ResponseWriter, f Fault, now time.Time) {
	switch f.Kind {
	case fakekit.KindMalformed:
		fakekit.WriteMalformed(w, `{"data":{"ipAddress":"1.2.3.4","abuseConfidenceScore":`)
	case fakekit.KindRateLimit:
		ra := max(f.RetryAfter, time.Second)
		h := w.Header()
		h.Set("Retry-After", strconv.Itoa(int(ra.Seconds())))
		h.Set("X-RateLimit-Limit", strconv.Itoa(s.dailyLimitNow()))
		h.Set("X-RateLimit-Remaining", "0")
		h.Set("X-RateLimit-Reset", strconv.FormatInt(now.Add(ra).Unix(), 10))
		writeError(w, http.StatusTooManyRequests, "Daily rate limit of "+strconv.Itoa(s.dailyLimitNow())+" requests exceeded for this endpoint. See headers for additional details.", "")
	default:
		status := f.Status
		if status == 0 {
			status = http.StatusServiceUnavailable
		}
		fakekit.WriteErrorPage(w, status, "text/html; charset=UTF-8")
	}
}

func (s *Server) dailyLimitNow() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dailyLimit
}

// errorDoc is the JSON:API-style error document.
type errorDoc struct {
	Errors []errorItem `json:"errors"`
}

type errorItem struct {
	Detail string       `json:"detail"`
	Status int          `json:"status"`
	Source *errorSource `json:"source,omitempty"`
}

type errorSource struct {
	Parameter string `json:"parameter"`
}

func writeError(w http.ResponseWriter, status int, detail, parameter string) {
	item := errorItem{Detail: detail, Status: status}
	if parameter != "" {
		item.Source = &errorSource{Parameter: parameter}
	}
	fakekit.WriteJSON(w, status, errorDoc{Errors: []errorItem{item}})
}

func nextMidnight(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
}
