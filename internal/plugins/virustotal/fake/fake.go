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
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Request is one request the server received.
type Request struct {
	Method string
	Path   string // with the /api/v3 prefix removed, still escaped
	Header http.Header
}

// FaultKind says how an injected fault answers.
type FaultKind int

// The kinds of fault the server can inject.
const (
	KindMalformed   FaultKind = iota + 1 // 200 with a truncated JSON body
	KindRateLimit                        // 429 QuotaExceededError with Retry-After
	KindServerError                      // a 5xx status
)

// Fault replaces the normal answer to one request.
type Fault struct {
	Kind       FaultKind
	Status     int           // for KindServerError; 503 when zero
	RetryAfter time.Duration // for KindRateLimit; one minute when zero
}

// Malformed answers 200 with a truncated JSON body.
func Malformed() Fault { return Fault{Kind: KindMalformed} }

// RateLimit answers 429 QuotaExceededError with a Retry-After header.
func RateLimit(retryAfter time.Duration) Fault {
	return Fault{Kind: KindRateLimit, RetryAfter: retryAfter}
}

// ServerError answers with a 5xx status: 503 TransientError, 504
// DeadlineExceededError, or a bare HTML page for other statuses.
func ServerError(status int) Fault { return Fault{Kind: KindServerError, Status: status} }

// Server is the fake API. Create it with New and serve it with httptest.
type Server struct {
	key  string
	data Dataset

	mu      sync.Mutex
	quota   int // requests allowed before QuotaExceededError; 0 means no quota
	used    int
	faults  []Fault
	reqs    []Request
	latency time.Duration
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

// SetLatency delays every answer by d (or until the request is cancelled).
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// Inject makes the next n requests fail with f, after any faults already queued.
func (s *Server) Inject(f Fault, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, f)
	}
}

// Requests returns a copy of the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.EscapedPath(), "/api/v3")
	s.mu.Lock()
	s.reqs = append(s.reqs, Request{Method: r.Method, Path: path, Header: r.Header.Clone()})
	var fault *Fault
	if len(s.faults) > 0 {
		fault = &s.faults[0]
		s.faults = s.faults[1:]
	}
	latency := s.latency
	s.mu.Unlock()
	_, _ = io.Copy(io.Discard, r.Body)

	if latency > 0 {
		select {
		case <-time.After(latency):
		case <-r.Context().Done():
			return
		}
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
	case KindMalformed:
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"data":{"id":"x","type":"file","attributes":{"last_analysis_stats":{"malicious":`)
	case KindRateLimit:
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
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeObject writes a JSON:API object document.
func writeObject(w http.ResponseWriter, typ, collection, id string, attrs map[string]any) {
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{
		"id": id, "type": typ,
		"links":      map[string]string{"self": "https://www.virustotal.com/api/v3/" + collection + "/" + id},
		"attributes": attrs,
	}})
}
