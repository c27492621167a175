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
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/spotter-soc/spotter/internal/plugins/provider/fakekit"
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

// Fault replaces the normal answer to one request.
type Fault = fakekit.Fault

// Malformed answers 200 with a truncated JSON body.
func Malformed() Fault { return fakekit.Malformed() }

// RateLimit answers 429 with a throttling detail and a Retry-After header
// (one second when retryAfter is zero).
func RateLimit(retryAfter time.Duration) Fault { return fakekit.RateLimit(retryAfter) }

// ServerError answers with a 5xx status (502 when zero) and an HTML page.
func ServerError(status int) Fault { return fakekit.ServerError(status) }

// Server is the fake API. Create it with New and serve it with httptest.
type Server struct {
	fakekit.Kit[Request] // SetLatency, Inject and Requests

	key  string
	data Dataset
}

// New returns a server that accepts key and knows the indicators in data.
func New(key string, data Dataset) *Server {
	return &Server{key: key, data: data}
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.EscapedPath(), "/api/v1")
	typ, indicator, section, parsed := splitPath(path)
	fault, ok := s.Begin(r, Request{Method: r.Method, Path: path, Type: typ, Indicator: indicator, Header: r.Header.Clone()})
	if !ok {
		return
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
		fakekit.WriteJSON(w, http.StatusOK, map[string]any{})
		return
	}
	s.general(w, typ, value)
}

func fail(w http.ResponseWriter, f Fault) {
	switch f.Kind {
	case fakekit.KindMalformed:
		fakekit.WriteMalformed(w, `{"indicator":"x","pulse_info":{"count":`)
	case fakekit.KindRateLimit:
		ra := max(f.RetryAfter, time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(int(ra.Seconds())))
		writeDetail(w, http.StatusTooManyRequests, "Request was throttled. Expected available in "+strconv.Itoa(int(ra.Seconds()))+" seconds.")
	default:
		status := f.Status
		if status == 0 {
			status = http.StatusBadGateway
		}
		fakekit.WriteErrorPage(w, status, "text/html; charset=utf-8")
	}
}

func writeDetail(w http.ResponseWriter, status int, detail string) {
	fakekit.WriteJSON(w, status, map[string]string{"detail": detail})
}
