// Package fake is an in-memory VirusTotal API v3 server for tests and
// benchmarks. It speaks the documented wire format: the x-apikey header,
// JSON:API object documents for files, URLs (by unpadded URL-safe base64
// id or SHA-256), domains and IP addresses, and {"error":{"code","message"}}
// documents with the documented codes (AuthenticationRequiredError,
// WrongCredentialsError, NotFoundError, InvalidArgumentError,
// QuotaExceededError, TransientError, DeadlineExceededError). It can be
// told to fail on purpose and records every request it receives.
package fake

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spotter-soc/spotter/internal/plugins/provider/fakekit"
)

// Request is one request the server received.
type Request struct {
	Method string
	Path   string // with the /api/v3 prefix removed, still escaped
	Header http.Header
}

// Fault replaces the normal answer to one request.
type Fault = fakekit.Fault

// Malformed answers 200 with a truncated JSON body.
func Malformed() Fault { return fakekit.Malformed() }

// RateLimit answers 429 QuotaExceededError with a Retry-After header (one
// minute when retryAfter is zero).
func RateLimit(retryAfter time.Duration) Fault { return fakekit.RateLimit(retryAfter) }

// ServerError answers with a 5xx status: 503 TransientError (also when
// status is zero), 504 DeadlineExceededError, or a bare HTML page for other
// statuses.
func ServerError(status int) Fault { return fakekit.ServerError(status) }

// Server is the fake API. Create it with New and serve it with httptest.
type Server struct {
	fakekit.Kit[Request] // SetLatency, Inject and Requests

	key  string
	data Dataset

	mu    sync.Mutex
	quota int // requests allowed before QuotaExceededError; 0 means no quota
	used  int
}

// New returns a server that accepts key and knows the objects in data.
func New(key string, data Dataset) *Server {
	return &Server{key: key, data: data.index()}
}

// SetQuota makes every request after the first n answer 429
// QuotaExceededError (the public API allows 500 a day); 0 removes the quota.
func (s *Server) SetQuota(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.quota, s.used = n, 0
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.EscapedPath(), "/api/v3")
	fault, ok := s.Begin(r, Request{Method: r.Method, Path: path, Header: r.Header.Clone()})
	if !ok {
		return
	}
	if fault != nil {
		fail(w, *fault)
		return
	}
	switch key := r.Header.Get("x-apikey"); {
	case key == "":
		writeError(w, http.StatusUnauthorized, "AuthenticationRequiredError", "X-Apikey header is missing")
		return
	case key != s.key:
		writeError(w, http.StatusUnauthorized, "WrongCredentialsError", "Wrong API key")
		return
	}
	s.mu.Lock()
	s.used++
	over := s.quota > 0 && s.used > s.quota
	s.mu.Unlock()
	if over {
		writeError(w, http.StatusTooManyRequests, "QuotaExceededError", "Quota exceeded")
		return
	}
	if r.Method != http.MethodGet {
		writeError(w, http.StatusBadRequest, "BadRequestError", "Method "+r.Method+" is not allowed here")
		return
	}
	collection, id, ok := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	if !ok || id == "" || strings.Contains(id, "/") {
		writeError(w, http.StatusNotFound, "NotFoundError", "Resource not found")
		return
	}
	switch collection {
	case "files":
		s.file(w, id)
	case "urls":
		s.url(w, id)
	case "domains":
		s.domain(w, id)
	case "ip_addresses":
		s.ip(w, id)
	default:
		writeError(w, http.StatusNotFound, "NotFoundError", "Resource not found")
	}
}

func fail(w http.ResponseWriter, f Fault) {
	switch f.Kind {
	case fakekit.KindMalformed:
		fakekit.WriteMalformed(w, `{"data":{"id":"x","type":"file","attributes":{"last_analysis_stats":{"malicious":`)
	case fakekit.KindRateLimit:
		ra := f.RetryAfter
		if ra <= 0 {
			ra = time.Minute
		}
		w.Header().Set("Retry-After", strconv.Itoa(int(ra.Seconds())))
		writeError(w, http.StatusTooManyRequests, "QuotaExceededError", "Quota exceeded")
	default:
		switch f.Status {
		case 0, http.StatusServiceUnavailable:
			writeError(w, http.StatusServiceUnavailable, "TransientError", "Transient error, please try again later")
		case http.StatusGatewayTimeout:
			writeError(w, http.StatusGatewayTimeout, "DeadlineExceededError", "The operation took too long to complete")
		default:
			w.Header().Set("Content-Type", "text/html; charset=UTF-8")
			w.WriteHeader(f.Status)
			_, _ = io.WriteString(w, "<html><body>"+strconv.Itoa(f.Status)+" "+http.StatusText(f.Status)+"</body></html>")
		}
	}
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	fakekit.WriteJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

// writeObject writes a JSON:API object document.
func writeObject(w http.ResponseWriter, typ, collection, id string, attrs map[string]any) {
	fakekit.WriteJSON(w, http.StatusOK, map[string]any{"data": map[string]any{
		"id": id, "type": typ,
		"links":      map[string]string{"self": "https://www.virustotal.com/api/v3/" + collection + "/" + id},
		"attributes": attrs,
	}})
}
