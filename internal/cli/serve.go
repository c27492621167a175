package cli

import (
	"context"
	"fmt"
	"net/http"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/spotter-soc/spotter/internal/config"
	"github.com/spotter-soc/spotter/internal/copilot"
	"github.com/spotter-soc/spotter/internal/gateway"
	"github.com/spotter-soc/spotter/internal/intel"
	"github.com/spotter-soc/spotter/internal/plugins"
	"github.com/spotter-soc/spotter/internal/server"
	"github.com/spotter-soc/spotter/internal/store"
	"github.com/spotter-soc/spotter/promptbooks"
)

// copilotRuntime is the database, gateway and engine behind the API and
// the local prompt commands.
type copilotRuntime struct {
	cfg    config.Config
	st     *store.Store
	gw     *gateway.Gateway
	engine *copilot.Engine
	llm    *llmRuntime
}

func (r *copilotRuntime) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = r.engine.Close(ctx)
	_ = r.st.Close()
}

// openCopilot opens the database (database.url, --database-url, or the
// data directory), the gateway caching in it, and an evaluation engine.
func (e *env) openCopilot(ctx context.Context, databaseURL string, opts copilot.Options) (*copilotRuntime, error) {
	cfg, err := e.loadConfig()
	if err != nil {
		return nil, err
	}
	if databaseURL != "" {
		cfg.Database.URL = databaseURL
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	opener := func(context.Context) (*intel.Store, error) { return intel.NewStore(st), nil }
	lr := newLLMRuntime(cfg.LLM)
	gw := gateway.New(lr.register(plugins.Registry(plugins.Options{IntelStore: opener, Sentinel: cfg.Sentinel, SentinelWrites: storeWrites(st)})), cfg.Plugins, cfg.Gateway, st.Cache(), e.logger(), sharedLimits(st)...)
	if err := gw.ConfigErr(); err != nil {
		_ = st.Close()
		return nil, &config.Error{Source: "plugins", Msg: err.Error()}
	}
	if err := lr.build(gw); err != nil {
		_ = st.Close()
		return nil, err
	}
	if opts.Model == nil {
		opts.Model, opts.Rounds = lr.planner, cfg.LLM.Rounds
	}
	if opts.Timeout <= 0 {
		opts.Timeout = cfg.Enrich.Timeout
	}
	if opts.Log == nil {
		opts.Log = e.logger()
	}
	eng := copilot.NewEngine(copilot.NewRepo(st), copilot.GatewayInvoker{GW: gw}, opts)
	return &copilotRuntime{cfg: cfg, st: st, gw: gw, engine: eng, llm: lr}, nil
}

func (e *env) serveCmd() *cobra.Command {
	var addr, tlsCert, tlsKey, dbURL, promptbookDir string
	var workers, queue int
	var evalTimeout time.Duration
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the copilot HTTP API with its evaluation workers",
		Long: `Starts the HTTP API (sessions, prompts, evaluations, skills, plugins, tokens, audit log)
with the embedded database and in-process evaluation workers. Every route except
/healthz and /readyz needs "Authorization: Bearer <token>" ('spotter token create').
The OpenAPI 3.1 document is at /openapi.json.

The address is --addr, else server.addr ($SPOTTER_SERVER_ADDR), else 127.0.0.1:8080.
TLS is on when --tls-cert and --tls-key (or server.tls_cert and server.tls_key) name
PEM files. The database is --database-url, else database.url, else spotter.db in the
data directory. --promptbooks DIR adds the promptbook YAML files of DIR to the built-in
ones. The Security Copilot compatible routes /process-prompt and /run-promptbook serve
Logic Apps custom connectors (Swagger 2.0 at /connector/swagger.json, see docs/CONNECTOR.md).

At start, evaluations left created or running by a stopped process are marked failed: on
SQLite all of them; on PostgreSQL, which instances may share, those whose owner has not
renewed them for two minutes.
SIGINT or SIGTERM shuts down gracefully.`,
		Example: `  spotter token create --name alice --role analyst
  spotter serve --addr 0.0.0.0:8443 --tls-cert cert.pem --tls-key key.pem`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cfg, err := e.loadConfig()
			if err != nil {
				return err
			}
			if addr == "" {
				addr = cfg.Server.Addr
			}
			if tlsCert == "" && tlsKey == "" {
				tlsCert, tlsKey = cfg.Server.TLSCert, cfg.Server.TLSKey
			}
			if addr == "" {
				addr = server.DefaultAddr
			}
			if (tlsCert == "") != (tlsKey == "") {
				return usagef("--tls-cert and --tls-key: expected both or neither")
			}
			if workers < 1 || queue < 1 {
				return usagef("--workers and --queue: expected positive numbers (got %d and %d)", workers, queue)
			}
			ctx, stop := signal.NotifyContext(c.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			rt, err := e.openCopilot(ctx, dbURL, copilot.Options{Workers: workers, Queue: queue, Timeout: evalTimeout})
			if err != nil {
				return err
			}
			defer rt.close()
			// Evaluations left unfinished by a stopped process are failed. The
			// embedded SQLite database has no other workers, so all of them
			// are; on PostgreSQL only those no live instance renews.
			var n int64
			if rt.st.Dialect() == store.DialectSQLite {
				n, err = rt.engine.Repo().FailInterrupted(ctx)
			} else {
				n, err = rt.engine.FailOrphaned(ctx)
			}
			if err != nil {
				return err
			}
			if n > 0 {
				fmt.Fprintf(e.stderr, "spotter: marked %d interrupted evaluation(s) as failed\n", n)
			}
			// Configured threat-intelligence feeds are synced on their schedule while the server runs.
			sy, err := e.intelSyncer(rt.cfg, rt.st, rt.gw)
			if err != nil {
				return err
			}
			if sy != nil {
				go sy.Run(ctx)
			}
			if promptbookDir == "" {
				promptbookDir = cfg.Server.PromptbooksDir
			}
			lib := copilot.NewLibrary(promptbooks.FS, promptbookDir, rt.engine.Repo())
			if err := lib.Check(); err != nil {
				return usagef("--promptbooks: %v", err)
			}
			// Durable playbook runs: /api/v1/runs, schedule triggers, and the
			// runs Sentinel polling and webhooks start. This process is one of
			// the workers; it also recovers the runs of stopped ones.
			runEngine, err := e.engineOn(ctx, rt.cfg, rt.st, rt.gw, rt.llm, copilot.PlaybookCopilot{Engine: rt.engine, Library: lib}, false, nil)
			if err != nil {
				return err
			}
			defer runEngine.Close(30 * time.Second)
			go runEngine.Schedule(ctx)
			var hooks http.Handler
			if sentinelWanted(rt.cfg) {
				if hooks, err = e.startSentinel(ctx, rt.cfg, rt.st, rt.gw, runEngine); err != nil {
					return err
				}
			}
			srv, err := server.New(server.Config{Store: rt.st, Engine: rt.engine, Catalog: rt.gw, Promptbooks: lib, Log: e.logger(), Version: Version,
				Settings: rt.cfg.Redacted, Hooks: hooks, Runs: runEngine, Metrics: rt.gw.Metrics})
			if err != nil {
				return err
			}
			return srv.Serve(ctx, server.ListenOptions{Addr: addr, TLSCert: tlsCert, TLSKey: tlsKey, Ready: func(a string) {
				scheme := "http"
				if tlsCert != "" {
					scheme = "https"
				}
				fmt.Fprintf(e.stderr, "spotter: serving the API on %s://%s (OpenAPI at /openapi.json)\n", scheme, a)
			}})
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "", "listen address HOST:PORT (default server.addr, else "+server.DefaultAddr+")")
	cmd.Flags().StringVar(&tlsCert, "tls-cert", "", "TLS certificate file (PEM)")
	cmd.Flags().StringVar(&tlsKey, "tls-key", "", "TLS private key file (PEM)")
	cmd.Flags().StringVar(&dbURL, "database-url", "", "database URL (postgres://...) or SQLite path; overrides database.url")
	cmd.Flags().StringVar(&promptbookDir, "promptbooks", "", "directory of promptbook YAML files, served read-only beside the built-ins (default server.promptbooks_dir)")
	cmd.Flags().IntVar(&workers, "workers", 8, "evaluations running at once")
	cmd.Flags().IntVar(&queue, "queue", 64, "evaluations waiting for a worker before new prompts get capacityExceeded")
	cmd.Flags().DurationVar(&evalTimeout, "evaluation-timeout", 0, "bound on one evaluation (default enrich.timeout)")
	return cmd
}
