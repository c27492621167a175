// Package fake is an in-process Microsoft Sentinel (Azure Resource Manager,
// Microsoft.SecurityInsights) and Defender XDR (Microsoft Graph security
// incidents) server for tests, with the identity platform's token endpoint.
// It speaks the documented wire formats over TLS (azcore's bearer policy
// refuses plain http): CloudError bodies, api-version checks, quoted etags
// and 409 Conflict on a stale one, nextLink paging, comments PUT by a
// client-chosen id (an upsert), the 30,000-character and 100-comment
// limits, and 429 with Retry-After on demand.
package fake

import (
	"crypto/rand"
	"crypto/subtle"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Test identities the fake accepts.
const (
	TenantID       = "0b3f5a1c-0000-4000-8000-00000000a11e"
	ClientID       = "9e2d7c41-0000-4000-8000-0000000c1e47"
	ClientSecret   = "fake~Sentinel.Secret-2b7e4f9a1c"
	SubscriptionID = "d0cfe6b2-0000-4000-8000-000000005ub1"
	ResourceGroup  = "rg-siem"
	WorkspaceName  = "law-sentinel"
)

// Fault is an injected failure for requests whose method and path match.
type Fault struct {
	Status     int
	Code       string
	Message    string
	RetryAfter string
	Times      int // 0: until cleared
}

type fault struct {
	method, pattern string
	f               Fault
	used            int
}

// Server is a running fake; all methods are safe for concurrent use.
type Server struct {
	srv *httptest.Server

	mu         sync.Mutex
	now        func() time.Time
	pageSize   int
	workspaces map[string]*Workspace // by lower-cased sub/rg/ws
	defender   *Defender
	tokens     map[string]bool
	issued     []string
	faults     []*fault
	requests   []Request
	conflicts  map[string]int // incident name -> PUTs to answer with a changed etag
}

// Request is one recorded ARM or Graph request (never its token).
type Request struct {
	Method string
	Path   string
	Query  string
}

// New starts a fake with one empty workspace (SubscriptionID,
// ResourceGroup, WorkspaceName) and closes it when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{now: time.Now, pageSize: 2, workspaces: map[string]*Workspace{}, tokens: map[string]bool{},
		conflicts: map[string]int{}, defender: newDefender()}
	s.AddWorkspace(SubscriptionID, ResourceGroup, WorkspaceName)
	s.srv = httptest.NewUnstartedServer(s)
	s.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.srv.StartTLS()
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the base URL for arm_url and authority_host.
func (s *Server) URL() string { return s.srv.URL }

// GraphURL is the value for graph_url.
func (s *Server) GraphURL() string { return s.srv.URL + "/v1.0" }

// AuthorityHost is the value for authority_host.
func (s *Server) AuthorityHost() string { return s.srv.URL + "/" }

// Client trusts the fake's certificate.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Certificate is the fake's TLS certificate, for clients built elsewhere.
func (s *Server) Certificate() *x509.Certificate { return s.srv.Certificate() }

// SetPageSize sets the largest page of every list (2 by default).
func (s *Server) SetPageSize(n int) { s.mu.Lock(); s.pageSize = n; s.mu.Unlock() }

// SetClock replaces the wall clock used for timestamps.
func (s *Server) SetClock(now func() time.Time) { s.mu.Lock(); s.now = now; s.mu.Unlock() }

// Fail injects a fault for requests with this method ("" for any) whose
// path contains pattern.
func (s *Server) Fail(method, pattern string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &fault{method: method, pattern: pattern, f: f})
}

// Throttle answers the next n requests matching method and pattern with
// 429 and Retry-After in seconds, as ARM does.
func (s *Server) Throttle(method, pattern string, n int, retryAfter string) {
	s.Fail(method, pattern, Fault{Status: http.StatusTooManyRequests, Code: "TooManyRequests", RetryAfter: retryAfter, Times: n,
		Message: "The request is being throttled as the limit has been reached for operation type - Read_ObservationWindow_00:05:00."})
}

// ClearFaults removes every injected fault.
func (s *Server) ClearFaults() { s.mu.Lock(); s.faults = nil; s.mu.Unlock() }

// ConflictNext makes the next n updates of the incident meet a newer
// version: the fake changes the incident just before comparing etags, as
// another writer would, so the PUT gets 409 Conflict.
func (s *Server) ConflictNext(incident string, n int) {
	s.mu.Lock()
	s.conflicts[strings.ToLower(incident)] = n
	s.mu.Unlock()
}

// Secrets are the client secret and every token issued, for leak checks.
func (s *Server) Secrets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string{ClientSecret}, s.issued...)
}

// Requests returns the ARM and Graph requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Count returns how many recorded requests have this method and a path containing pattern.
func (s *Server) Count(method, pattern string) int {
	n := 0
	for _, r := range s.Requests() {
		if (method == "" || r.Method == method) && strings.Contains(r.Path, pattern) {
			n++
		}
	}
	return n
}

// ServeHTTP routes token, ARM and Graph requests.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case strings.HasSuffix(p, "/oauth2/v2.0/token"):
		s.token(w, r)
		return
	case strings.HasSuffix(p, "/v2.0/.well-known/openid-configuration"):
		s.openID(w, r)
		return
	}
	s.mu.Lock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: p, Query: r.URL.RawQuery})
	s.mu.Unlock()
	graph := strings.HasPrefix(p, "/v1.0/")
	if !s.authorized(r) {
		if graph {
			graphError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token validation failure.")
		} else {
			cloudError(w, http.StatusUnauthorized, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing or invalid.")
		}
		return
	}
	if f := s.takeFault(r.Method, p); f != nil {
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		if graph {
			graphError(w, f.Status, f.Code, f.Message)
		} else {
			cloudError(w, f.Status, f.Code, f.Message)
		}
		return
	}
	if graph {
		s.graph(w, r)
		return
	}
	s.arm(w, r)
}

func (s *Server) takeFault(method, path string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.faults {
		if (f.method == "" || f.method == method) && strings.Contains(path, f.pattern) && (f.f.Times == 0 || f.used < f.f.Times) {
			f.used++
			out := f.f
			return &out
		}
	}
	return nil
}

func (s *Server) authorized(r *http.Request) bool {
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokens[tok]
}

// token serves client-credentials grants for ClientID with ClientSecret,
// for the scope of this host (ARM or Graph: one host serves both here).
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.Method != http.MethodPost {
		tokenError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.")
		return
	}
	tenant := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/"), "/oauth2/v2.0/token")
	if !strings.EqualFold(tenant, TenantID) {
		tokenError(w, http.StatusBadRequest, "invalid_request", 90002, fmt.Sprintf("Tenant '%s' not found.", tenant))
		return
	}
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != ClientID {
		tokenError(w, http.StatusBadRequest, "unauthorized_client", 700016, fmt.Sprintf("Application with identifier '%s' was not found in the directory '%s'.", id, tenant))
		return
	}
	if subtle.ConstantTimeCompare([]byte(secret), []byte(ClientSecret)) != 1 {
		tokenError(w, http.StatusUnauthorized, "invalid_client", 7000215, "Invalid client secret provided.")
		return
	}
	want := "https://" + s.srv.Listener.Addr().String() + "/.default"
	if scope := strings.Fields(r.PostForm.Get("scope")); !contains(scope, want) {
		tokenError(w, http.StatusBadRequest, "invalid_scope", 70011, "The provided value for the input parameter 'scope' is not valid.")
		return
	}
	var raw [24]byte
	_, _ = rand.Read(raw[:])
	tok := "fakeARM." + hex.EncodeToString(raw[:])
	s.mu.Lock()
	s.tokens[tok] = true
	s.issued = append(s.issued, tok)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": tok})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (s *Server) openID(w http.ResponseWriter, r *http.Request) {
	tenant := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/"), "/v2.0/.well-known/openid-configuration")
	base := s.srv.URL + "/" + tenant
	writeJSON(w, http.StatusOK, map[string]any{
		"token_endpoint": base + "/oauth2/v2.0/token", "authorization_endpoint": base + "/oauth2/v2.0/authorize",
		"issuer": base + "/v2.0", "jwks_uri": base + "/discovery/v2.0/keys",
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"response_types_supported":              []string{"code", "id_token"}, "tenant_region_scope": "WW",
	})
}

func tokenError(w http.ResponseWriter, status int, code string, sts int, desc string) {
	writeJSON(w, status, map[string]any{"error": code, "error_description": fmt.Sprintf("AADSTS%d: %s", sts, desc),
		"error_codes": []int{sts}, "timestamp": time.Now().UTC().Format("2006-01-02 15:04:05Z"),
		"trace_id": "5c0c3a0e-0000-4000-8000-000000000001", "correlation_id": "5c0c3a0e-0000-4000-8000-000000000002"})
}

// cloudError writes ARM's error envelope.
func cloudError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{"code": code, "message": msg, "innerError": nil}})
}

func graphError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{"code": code, "message": msg,
		"innerError": map[string]any{"date": time.Now().UTC().Format("2006-01-02T15:04:05"), "request-id": "7d1e9c2a-0000-4000-8000-000000000003"}}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("x-ms-request-id", "3a7f0c9e-0000-4000-8000-000000000004")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
