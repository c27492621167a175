// Package fake is an in-memory AlienVault OTX DirectConnect API v1 server
// for tests and benchmarks. It answers GET /api/v1/indicators/{type}/
// {indicator}/general with the documented general document (pulse_info,
// validation, false_positive, and inline geo fields for addresses), checks
// the X-OTX-API-KEY header (403 without a valid key, as the SDK expects),
// rejects malformed indicators with 400 and unknown types or sections with
// 404, and answers unknown but valid indicators with 200 and
// pulse_info.count 0. It can be told to fail on purpose and records every
// request it receives.
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

// The response details are assumptions in the style of the API's
// framework; only the statuses are documented.
const (
	DetailNoKey      = "Authentication credentials were not provided."
	DetailInvalidKey = "Invalid API key."
	DetailNotFound   = "Not found."
)

// Request is one request the server received.
type Request struct {
	Method string
	// Path is the escaped path with the /api/v1 prefix removed, e.g.
	// "/indicators/url/http:%2F%2Fexample.com%2F/general".
	Path string
	// Type and Indicator are the parsed {type} and (unescaped) {indicator}.
	Type, Indicator string
	Header          http.Header
}

// FaultKind says how an injected fault answers.
type FaultKind int

// The kinds of fault the server can inject.
const (
	KindMalformed   FaultKind = iota + 1 // 200 with a truncated JSON body
	KindRateLimit                        // 429 with Retry-After
	KindServerError                      // a 5xx status
)

// Fault replaces the normal answer to one request.
type Fault struct {
	Kind       FaultKind
	Status     int           // for KindServerError; 502 when zero
	RetryAfter time.Duration // for KindRateLimit; one second when zero
}

// Malformed answers 200 with a truncated JSON body.
func Malformed() Fault { return Fault{Kind: KindMalformed} }

// RateLimit answers 429 with a Retry-After header.
func RateLimit(retryAfter time.Duration) Fault {
	return Fault{Kind: KindRateLimit, RetryAfter: retryAfter}
}

// ServerError answers with a 5xx status and an HTML page.
func ServerError(status int) Fault { return Fault{Kind: KindServerError, Status: status} }

// Server is the fake API. Create it with New and serve it with httptest.
type Server struct {
	key  string
	data Dataset

	mu      sync.Mutex
	faults  []Fault
	reqs    []Request
	latency time.Duration
}

// New returns a server that accepts key and knows the indicators in data.
func New(key string, data Dataset) *Server {
	return &Server{key: key, data: data}
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
	path := strings.TrimPrefix(r.URL.EscapedPath(), "/api/v1")
	typ, indicator, section, parsed := splitPath(path)
	s.mu.Lock()
	s.reqs = append(s.reqs, Request{Method: r.Method, Path: path, Type: typ, Indicator: indicator, Header: r.Header.Clone()})
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
	switch key := r.Header.Get("X-OTX-API-KEY"); {
	case key == "":
		writeDetail(w, http.StatusForbidden, DetailNoKey)
		return
	case key != s.key:
		writeDetail(w, http.StatusForbidden, DetailInvalidKey)
		return
	}
	if r.Method != http.MethodGet {
		writeDetail(w, http.StatusMethodNotAllowed, `Method "`+r.Method+`" not allowed.`)
		return
	}
	if !parsed || !validSection(typ, section) {
		writeDetail(w, http.StatusNotFound, DetailNotFound)
		return
	}
	value, ok := canonical(typ, indicator)
	if !ok {
		writeDetail(w, http.StatusBadRequest, "Invalid "+typ+" indicator: "+indicator)
		return
	}
	if section != "general" {
		writeJSON(w, http.StatusOK, map[string]any{})
		return
	}
	s.general(w, typ, value)
}

func fail(w http.ResponseWriter, f Fault) {
	switch f.Kind {
	case KindMalformed:
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"indicator":"x","pulse_info":{"count":`)
	case KindRateLimit:
		ra := max(f.RetryAfter, time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(int(ra.Seconds())))
		writeDetail(w, http.StatusTooManyRequests, "Request was throttled. Expected available in "+strconv.Itoa(int(ra.Seconds()))+" seconds.")
	default:
		status := f.Status
		if status == 0 {
			status = http.StatusBadGateway
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, "<html><body><h1>"+strconv.Itoa(status)+" "+http.StatusText(status)+"</h1></body></html>")
	}
}

func writeDetail(w http.ResponseWriter, status int, detail string) {
	writeJSON(w, status, map[string]string{"detail": detail})
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
