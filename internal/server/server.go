// Package server is Spotter's HTTP API: sessions, prompts and evaluations,
// promptbooks, skills and plugins, API tokens and the audit log, with an
// OpenAPI 3.1 document generated from the handlers' types (huma on
// net/http), plus the Security Copilot compatible routes for Logic Apps
// custom connectors.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/spotter-soc/spotter/internal/copilot"
	"github.com/spotter-soc/spotter/internal/gateway"
	"github.com/spotter-soc/spotter/internal/skill"
	"github.com/spotter-soc/spotter/internal/store"
	"github.com/spotter-soc/spotter/promptbooks"
)

// DefaultAddr is where `spotter serve` listens unless told otherwise.
const DefaultAddr = "127.0.0.1:8080"

// Catalog describes skills and plugins; *gateway.Gateway is one.
type Catalog interface {
	Status() []gateway.PluginStatus
	Configured() []skill.Spec
	Skill(name string) (skill.Spec, error)
}

// Config is what the server runs with.
type Config struct {
	Store   *store.Store
	Engine  *copilot.Engine
	Catalog Catalog
	Log     *slog.Logger
	// Version appears in the OpenAPI document.
	Version string
	// Promptbooks is the promptbook library (default: the built-ins and
	// those created through the API).
	Promptbooks *copilot.Library
	// MaxWait bounds ?wait= on evaluation reads and prompt submission (default 60s).
	MaxWait time.Duration
	// Settings returns the effective configuration with secrets redacted,
	// for admins; nil serves an empty object.
	Settings func() map[string]any
	// Hooks serves the incoming webhooks under /api/v1/hooks/ (the Sentinel
	// hook, see sentinel.NewWebhook); they authenticate with their own
	// secrets. Nil serves none.
	Hooks http.Handler
	// Runs serves /api/v1/runs (durable playbook runs); nil serves none.
	Runs RunService
	// Metrics returns the gateway's per-provider figures for /metrics and
	// /api/v1/metrics; nil serves neither.
	Metrics func() []gateway.ProviderMetrics
}

// Server is the HTTP API.
type Server struct {
	cfg     Config
	tokens  *Tokens
	audit   *Audit
	api     huma.API
	handler http.Handler
}

// New builds the API and its routes.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Engine == nil || cfg.Catalog == nil {
		return nil, errors.New("server: Store, Engine and Catalog are required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = 60 * time.Second
	}
	if cfg.Promptbooks == nil {
		cfg.Promptbooks = copilot.NewLibrary(promptbooks.FS, "", cfg.Engine.Repo())
	}
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	s := &Server{cfg: cfg, tokens: NewTokens(cfg.Store), audit: NewAudit(cfg.Store)}
	hc := huma.DefaultConfig("Spotter API", cfg.Version)
	hc.Info.Description = "Spotter's copilot API: sessions, prompts, evaluations, skills and plugins. " +
		"Every route except /healthz, /readyz and /connector/swagger.json takes `Authorization: Bearer <token>` (see `spotter token create`). " +
		"/process-prompt and /run-promptbook answer in the shape of Security Copilot's Logic Apps connector; /connector/swagger.json describes them in Swagger 2.0."
	hc.OpenAPIPath = "/openapi"
	hc.DocsPath = ""
	hc.SchemasPath = ""
	hc.CreateHooks = nil // no $schema links in response bodies
	hc.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"bearer": {Type: "http", Scheme: "bearer", Description: "An API token created with `spotter token create`."},
	}
	mux := http.NewServeMux()
	s.api = humago.New(mux, hc)
	s.api.UseMiddleware(s.authorize)
	s.routes()
	mux.HandleFunc("GET "+ConnectorSwaggerPath, serveConnectorSwagger)
	s.metricsRoutes(mux)
	s.handler = withHooks(cfg.Hooks, s.authenticate(mux))
	return s, nil
}

// Handler returns the HTTP handler of the API.
func (s *Server) Handler() http.Handler { return s.handler }

// OpenAPI returns the generated OpenAPI document.
func (s *Server) OpenAPI() *huma.OpenAPI { return s.api.OpenAPI() }

// Tokens returns the token store.
func (s *Server) Tokens() *Tokens { return s.tokens }

// ListenOptions say where and how to listen.
type ListenOptions struct {
	Addr string
	// TLSCert and TLSKey are PEM files; both or neither.
	TLSCert, TLSKey string
	// ShutdownTimeout bounds the graceful shutdown (default 20s).
	ShutdownTimeout time.Duration
	// Ready, when set, receives the bound address once listening.
	Ready func(addr string)
}

// Serve listens until ctx ends, then shuts down gracefully: it stops
// accepting connections, finishes in-flight requests, then lets running
// evaluations finish within the same timeout and cancels the rest.
func (s *Server) Serve(ctx context.Context, opts ListenOptions) error {
	if opts.Addr == "" {
		opts.Addr = DefaultAddr
	}
	if (opts.TLSCert == "") != (opts.TLSKey == "") {
		return errors.New("TLS: expected both a certificate file and a key file, or neither")
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = 20 * time.Second
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", opts.Addr, err)
	}
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.cfg.Log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	if opts.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(opts.TLSCert, opts.TLSKey)
		if err != nil {
			_ = ln.Close()
			return fmt.Errorf("TLS: loading the certificate and key: %w", err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		ln = tls.NewListener(ln, srv.TLSConfig)
	}
	if opts.Ready != nil {
		opts.Ready(ln.Addr().String())
	}
	s.cfg.Log.Info("listening", "addr", ln.Addr().String(), "tls", opts.TLSCert != "")
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		_ = s.cfg.Engine.Close(context.Background())
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), opts.ShutdownTimeout)
	defer cancel()
	err = srv.Shutdown(sctx)
	if cerr := s.cfg.Engine.Close(sctx); err == nil && cerr != nil {
		err = fmt.Errorf("stopping evaluations: %w", cerr)
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
