// Package fakegraph is an in-process Microsoft identity platform token
// endpoint and Microsoft Graph server for tests. It speaks the documented
// wire formats (client-credentials tokens, OData collections with absolute
// @odata.nextLink, Graph error bodies, 429 with Retry-After) over TLS, because
// azcore's bearer-token policy refuses plain http.
//
// The Graph side serves an in-memory Dataset. It understands exactly the
// $filter forms the plugins send and answers anything else with
// 400 Request_UnsupportedQuery, so a wrong filter fails a test.
package fakegraph

import (
	"crypto/x509"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// Test credentials the fake accepts by default. The secret is long enough for
// skilltest.NoLeak.
const (
	TenantID     = "72f988bf-0000-4000-8000-00000000fa11"
	ClientID     = "5d1c0a9e-0000-4000-8000-0000000c11e7"
	ClientSecret = "fake~Cl1entSecret.Value-7c2f9a1e"
)

// Server is a running fake. Configure it (Data, PageSize, Fail, ...) before
// the calls under test; all methods are safe for concurrent use.
type Server struct {
	srv *httptest.Server

	TenantID, ClientID, ClientSecret string

	mu            sync.Mutex
	data          *Dataset
	pageSize      int
	tokenLifetime time.Duration
	cert          *x509.Certificate
	rejectOr      bool
	federated     string
	tokens        map[string]issued
	everIssued    []string
	tokenRequests int
	requests      []Recorded
	faults        []*fault
}

type issued struct {
	scope   string
	expires time.Time
}

// Recorded is one Graph request as the fake saw it (never its token).
type Recorded struct {
	Method string
	// Path is decoded and without the /v1.0 prefix, e.g. /users/a@b.com/memberOf.
	Path string
	// Query holds the decoded query options ($filter, $select, $top, ...).
	Query            url.Values
	ConsistencyLevel string
	Authorized       bool
}

// Fault is an injected failure: every request whose path contains the
// pattern gets Status with a Graph error body (Code, Message) or Body as
// given, Times times (0 = until cleared).
type Fault struct {
	Status     int
	Code       string
	Message    string
	RetryAfter string
	// Body replaces the error envelope, e.g. malformed JSON with Status 200.
	Body  string
	Times int
}

type fault struct {
	pattern string
	f       Fault
	used    int
}

// Ready-made faults.
var (
	// NoPremiumLicense is the 403 a tenant without Entra ID P1/P2 gets for sign-in logs.
	NoPremiumLicense = Fault{Status: http.StatusForbidden, Code: "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
		Message: "Neither tenant is B2C or tenant doesn't have premium license"}
	// Denied is the 403 of an application lacking a permission.
	Denied = Fault{Status: http.StatusForbidden, Code: "Authorization_RequestDenied",
		Message: "Insufficient privileges to complete the operation."}
	// Throttled is a 429 asking to wait 7 seconds.
	Throttled = Fault{Status: http.StatusTooManyRequests, Code: "TooManyRequests", RetryAfter: "7",
		Message: "Too many requests from Identifier:" + ClientID + " under category:throttle.aad.ags.msgraph.reports."}
	// Unavailable is a 503 with a Retry-After.
	Unavailable = Fault{Status: http.StatusServiceUnavailable, Code: "serviceNotAvailable", RetryAfter: "3",
		Message: "The service is temporarily unavailable."}
	// Malformed is a 200 whose body is cut off mid-object.
	Malformed = Fault{Status: http.StatusOK, Body: `{"value":[{"id":"87d349ed","displayName":`}
)

// Option configures New.
type Option func(*Server)

// WithData replaces the default dataset.
func WithData(d *Dataset) Option { return func(s *Server) { s.data = d } }

// WithPageSize sets the largest page of any collection (default 2, so paging is exercised).
func WithPageSize(n int) Option { return func(s *Server) { s.pageSize = n } }

// WithCertificate makes the token endpoint accept client assertions signed
// by the key of cert (client_certificate authentication).
func WithCertificate(cert *x509.Certificate) Option { return func(s *Server) { s.cert = cert } }

// WithFederatedToken makes the token endpoint accept this client assertion
// as is (workload identity: the federated token read from a file).
func WithFederatedToken(tok string) Option { return func(s *Server) { s.federated = tok } }

// WithTokenLifetime sets expires_in of issued tokens (default one hour).
func WithTokenLifetime(d time.Duration) Option { return func(s *Server) { s.tokenLifetime = d } }

// RejectOr makes riskyUsers refuse filters joined with "or", as a tenant
// might, to exercise a client's one-call-per-user fallback.
func RejectOr() Option { return func(s *Server) { s.rejectOr = true } }

// New starts a fake on a TLS listener and stops it when the test ends. The
// default dataset is Default(now) with now the current time.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := &Server{
		TenantID: TenantID, ClientID: ClientID, ClientSecret: ClientSecret,
		pageSize: 2, tokenLifetime: time.Hour, tokens: map[string]issued{},
	}
	for _, o := range opts {
		o(s)
	}
	if s.data == nil {
		s.data = Default(time.Now())
	}
	s.srv = httptest.NewUnstartedServer(s)
	// Clients that never finish a handshake at shutdown are not test failures.
	s.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.srv.StartTLS()
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the server's base URL (https://127.0.0.1:port).
func (s *Server) URL() string { return s.srv.URL }

// AuthorityHost is the value for the authority_host setting.
func (s *Server) AuthorityHost() string { return s.srv.URL + "/" }

// GraphURL is the value for the graph_url setting.
func (s *Server) GraphURL() string { return s.srv.URL + "/v1.0" }

// Scope is the only scope the token endpoint grants: the fake's Graph host.
func (s *Server) Scope() string { return "https://" + s.srv.Listener.Addr().String() + "/.default" }

// Client is an HTTP client that trusts the fake's certificate.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Settings are complete plugin settings (defaults applied) for client-secret
// authentication against the fake.
func (s *Server) Settings() map[string]string {
	return map[string]string{
		"auth": "client_secret", "tenant_id": s.TenantID, "client_id": s.ClientID, "client_secret": s.ClientSecret,
		"authority_host": s.AuthorityHost(), "graph_url": s.GraphURL(), "certificate_path": "", "certificate_password": "",
	}
}

// Data returns the dataset, for tests that change it before calling.
func (s *Server) Data() *Dataset { s.mu.Lock(); defer s.mu.Unlock(); return s.data }

// Fail injects a fault for paths containing pattern ("/auditLogs/signIns",
// "/oauth2/v2.0/token", "/reputation", ...).
func (s *Server) Fail(pattern string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &fault{pattern: pattern, f: f})
}

// ClearFaults removes every injected fault.
func (s *Server) ClearFaults() { s.mu.Lock(); s.faults = nil; s.mu.Unlock() }

// RevokeTokens invalidates every issued token; Graph answers 401 until a new one is fetched.
func (s *Server) RevokeTokens() { s.mu.Lock(); s.tokens = map[string]issued{}; s.mu.Unlock() }

// TokenRequests counts POSTs to the token endpoint, successful or not.
func (s *Server) TokenRequests() int { s.mu.Lock(); defer s.mu.Unlock(); return s.tokenRequests }

// Secrets are the client secret and every access token issued so far, for skilltest.NoLeak.
func (s *Server) Secrets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string{s.ClientSecret}, s.everIssued...)
}

// Requests returns the Graph requests received so far.
func (s *Server) Requests() []Recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Recorded(nil), s.requests...)
}

// RequestsTo returns the recorded requests whose path contains pattern.
func (s *Server) RequestsTo(pattern string) []Recorded {
	var out []Recorded
	for _, r := range s.Requests() {
		if strings.Contains(r.Path, pattern) {
			out = append(out, r)
		}
	}
	return out
}

// ServeHTTP routes token, metadata and Graph requests.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case strings.HasSuffix(p, "/oauth2/v2.0/token"):
		s.token(w, r)
	case strings.HasSuffix(p, "/v2.0/.well-known/openid-configuration"):
		s.openIDConfiguration(w, r)
	case p == "/common/discovery/instance":
		s.instanceDiscovery(w, r)
	case strings.HasPrefix(p, "/v1.0/"):
		s.graph(w, r)
	default:
		graphError(w, http.StatusNotFound, "NotFound", "Unknown endpoint "+p, "")
	}
}

// takeFault returns the first active fault matching path.
func (s *Server) takeFault(path string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.faults {
		if strings.Contains(path, f.pattern) && (f.f.Times == 0 || f.used < f.f.Times) {
			f.used++
			out := f.f
			return &out
		}
	}
	return nil
}

// writeFault answers with an injected fault.
func writeFault(w http.ResponseWriter, f *Fault) {
	if f.Body != "" {
		w.Header().Set("Content-Type", "application/json")
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		w.WriteHeader(f.Status)
		_, _ = w.Write([]byte(f.Body))
		return
	}
	graphError(w, f.Status, f.Code, f.Message, f.RetryAfter)
}

// graphError writes Graph's error envelope.
func graphError(w http.ResponseWriter, status int, code, message, retryAfter string) {
	if retryAfter != "" {
		w.Header().Set("Retry-After", retryAfter)
	}
	now := time.Now().UTC().Format("2006-01-02T15:04:05")
	writeJSON(w, status, map[string]any{"error": map[string]any{
		"code": code, "message": message,
		"innerError": map[string]any{"date": now, "request-id": "0f5e1c4a-fa4e-4b6d-9a1e-5b0c7d1e2f3a", "client-request-id": "0f5e1c4a-fa4e-4b6d-9a1e-5b0c7d1e2f3a"},
	}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; odata.metadata=minimal; odata.streaming=true")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
