// Package fake is an in-memory server for three abuse.ch APIs — URLhaus,
// ThreatFox and MalwareBazaar — for tests and benchmarks. One server
// answers all three under path prefixes (see Settings). It speaks the
// documented wire formats: the Auth-Key header (401 without it, 403
// {"query_status":"unknown_auth_key"} for an unknown one), form-encoded
// POSTs for URLhaus and MalwareBazaar, JSON POSTs for ThreatFox, results in
// query_status on HTTP 200 (no_results, no_result with a string data,
// hash_not_found), and numbers written as strings where abuse.ch writes
// them so. It can be told to fail on purpose and records every request.
package fake

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spotter-soc/spotter/internal/plugins/provider/fakekit"
)

// Path prefixes of the three services on the fake.
const (
	URLhausPrefix       = "/urlhaus/v1"
	ThreatFoxPrefix     = "/threatfox/api/v1"
	MalwareBazaarPrefix = "/mb/api/v1"
)

// Settings returns the plugin's base URL settings for a fake served at root
// (an httptest server's URL).
func Settings(root string) map[string]string {
	return map[string]string{
		"urlhaus_url":       root + URLhausPrefix,
		"threatfox_url":     root + ThreatFoxPrefix,
		"malwarebazaar_url": root + MalwareBazaarPrefix,
	}
}

// Request is one request the server received.
type Request struct {
	Service string // urlhaus, threatfox or malwarebazaar ("" when the path matched none)
	Method  string
	Path    string // below the service prefix, e.g. "/url/"
	Header  http.Header
	Form    url.Values     // form-encoded bodies
	JSON    map[string]any // JSON bodies
}

// Fault replaces the normal answer to one request.
type Fault = fakekit.Fault

// Malformed answers 200 with a truncated JSON body.
func Malformed() Fault { return fakekit.Malformed() }

// RateLimit answers 429 with a Retry-After header (one second when
// retryAfter is zero). abuse.ch documents no rate limit; this stands for a
// fair-use throttle or a proxy in front of it.
func RateLimit(retryAfter time.Duration) Fault { return fakekit.RateLimit(retryAfter) }

// ServerError answers with a 5xx status (503 when zero) and an HTML page.
func ServerError(status int) Fault { return fakekit.ServerError(status) }

// Server is the fake API. Create it with New and serve it with httptest.
type Server struct {
	fakekit.Kit[Request] // SetLatency, Inject and Requests

	key  string
	data Dataset

	mu           sync.Mutex
	unknownKeyOK bool // answer an unknown key with 200 instead of 403
}

// New returns a server that accepts key and knows the records in data.
func New(key string, data Dataset) *Server {
	return &Server{key: key, data: data}
}

// AnswerUnknownKeyWith200 makes an unknown key get HTTP 200 with
// {"query_status":"unknown_auth_key","data":"..."} instead of 403, as one
// captured answer shows.
func (s *Server) AnswerUnknownKeyWith200(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unknownKeyOK = on
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	req := Request{Method: r.Method, Header: r.Header.Clone()}
	for svc, prefix := range map[string]string{"urlhaus": URLhausPrefix, "threatfox": ThreatFoxPrefix, "malwarebazaar": MalwareBazaarPrefix} {
		if rest, ok := strings.CutPrefix(r.URL.Path, prefix); ok {
			req.Service, req.Path = svc, rest
		}
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		_ = json.Unmarshal(body, &req.JSON)
	} else {
		req.Form, _ = url.ParseQuery(string(body))
	}
	fault, ok := s.Begin(r, req)
	if !ok {
		return
	}
	s.mu.Lock()
	status200 := s.unknownKeyOK
	s.mu.Unlock()
	if fault != nil {
		fail(w, *fault)
		return
	}
	switch key := r.Header.Get("Auth-Key"); {
	case key == "":
		fakekit.WriteJSON(w, http.StatusUnauthorized, map[string]string{"error": "Unauthorized"})
		return
	case key != s.key:
		if status200 {
			fakekit.WriteJSON(w, http.StatusOK, map[string]string{"query_status": "unknown_auth_key", "data": "The Auth-Key you provided is unknown."})
		} else {
			fakekit.WriteJSON(w, http.StatusForbidden, map[string]string{"query_status": "unknown_auth_key"})
		}
		return
	}
	if r.Method != http.MethodPost {
		fakekit.WriteJSON(w, http.StatusOK, map[string]string{"query_status": "http_post_expected"})
		return
	}
	switch {
	case req.Service == "urlhaus" && req.Path == "/url/":
		s.urlhausURL(w, req.Form)
	case req.Service == "urlhaus" && req.Path == "/host/":
		s.urlhausHost(w, req.Form)
	case req.Service == "threatfox" && (req.Path == "/" || req.Path == ""):
		s.threatfox(w, body)
	case req.Service == "malwarebazaar" && (req.Path == "/" || req.Path == ""):
		s.bazaar(w, req.Form)
	default:
		http.NotFound(w, r)
	}
}

func fail(w http.ResponseWriter, f Fault) {
	switch f.Kind {
	case fakekit.KindMalformed:
		fakekit.WriteMalformed(w, `{"query_status":"ok","data":[{"id":"1","ioc":`)
	case fakekit.KindRateLimit:
		ra := max(f.RetryAfter, time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(int(ra.Seconds())))
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, "Too Many Requests")
	default:
		status := f.Status
		if status == 0 {
			status = http.StatusServiceUnavailable
		}
		fakekit.WriteErrorPage(w, status, "text/html; charset=utf-8")
	}
}

// stamp writes a timestamp the way URLhaus and ThreatFox do.
func stamp(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format("2006-01-02 15:04:05") + " UTC"
}
