package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/signal"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/spotter-soc/spotter/internal/config"
	"github.com/spotter-soc/spotter/internal/copilot"
	"github.com/spotter-soc/spotter/internal/gateway"
	"github.com/spotter-soc/spotter/internal/playbook"
	"github.com/spotter-soc/spotter/internal/runs"
	"github.com/spotter-soc/spotter/internal/skill"
	"github.com/spotter-soc/spotter/internal/store"
	"github.com/spotter-soc/spotter/promptbooks"
)

// engineRuntime is a durable run engine over the runtime's gateway and
// database.
type engineRuntime struct {
	rt      *runtime
	engine  *runs.Engine
	copilot *copilot.Engine
}

func (r *engineRuntime) close() {
	r.engine.Close(10 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = r.copilot.Close(ctx)
	r.rt.close()
}

// openEngine opens the runtime (gateway and database) and a run engine on
// it. A noWork engine queues runs and reads them; workers execute them.
func (e *env) openEngine(ctx context.Context, noWork bool, mod func(*runs.Options)) (*engineRuntime, error) {
	rt, err := e.openRuntime(ctx, true)
	if err != nil {
		return nil, err
	}
	st, err := rt.db.store()
	if err != nil {
		rt.close()
		return nil, err
	}
	cop := copilot.NewEngine(copilot.NewRepo(st), copilot.GatewayInvoker{GW: rt.gw}, copilot.Options{Timeout: rt.cfg.Enrich.Timeout, Log: e.logger()})
	lib := copilot.NewLibrary(promptbooks.FS, rt.cfg.Server.PromptbooksDir, cop.Repo())
	eng, err := e.engineOn(ctx, rt.cfg, st, rt.gw, rt.llm, copilot.PlaybookCopilot{Engine: cop, Library: lib}, noWork, mod)
	if err != nil {
		_ = cop.Close(ctx)
		rt.close()
		return nil, err
	}
	return &engineRuntime{rt: rt, engine: eng, copilot: cop}, nil
}

// engineOn opens a run engine over an open database and gateway (spotter
// serve shares its own with the engine).
func (e *env) engineOn(ctx context.Context, cfg config.Config, st *store.Store, gw *gateway.Gateway, lr *llmRuntime, cop playbook.Copilot, noWork bool, mod func(*runs.Options)) (*runs.Engine, error) {
	view := &runtime{cfg: cfg, gw: gw, db: &lazyCache{open: func() (*store.Store, error) { return st, nil }}}
	specs, err := e.enrichingSkills(ctx, view)
	if err != nil {
		return nil, err
	}
	retention := cfg.Runs.Retention
	if retention == 0 {
		retention = -1 // keep every run
	}
	opts := runs.Options{
		Store: st, DataDir: cfg.DataDir, DatabaseURL: cfg.Database.URL,
		Concurrency: cfg.Runs.Concurrency, WorkerTimeout: cfg.Runs.WorkerTimeout, PollInterval: cfg.Runs.PollInterval,
		Retention: retention, PlaybooksDir: cfg.Runs.PlaybooksDir, NoWork: noWork,
		Env: runs.Env{Invoker: invoker{gw: gw}, Skills: specs, Options: incidentOptions(cfg), Copilot: cop,
			Summarize: lr.summarizeHook()},
		Secrets: cfg.SecretValues, Log: e.logger(), Lint: lintOptions(gw, cop),
		Defaults: func(pb *playbook.Playbook) map[string]any {
			if pb.Name == playbook.EnrichmentName {
				return enrichmentInputs(cfg)
			}
			return nil
		},
	}
	opts.Env.RunContext, opts.Env.RunEnded = lr.runContexts()
	if mod != nil {
		mod(&opts)
	}
	return runs.New(ctx, opts)
}

// lintOptions check playbooks against the gateway's skills and the
// copilot's promptbooks.
func lintOptions(gw *gateway.Gateway, cop playbook.Copilot) playbook.LintOptions {
	opts := playbook.LintOptions{Skill: func(n string) (skill.Spec, bool) {
		s, err := gw.Skill(n)
		return s, err == nil
	}}
	if pc, ok := cop.(copilot.PlaybookCopilot); ok && pc.Library != nil {
		opts.Promptbook = func(name string) ([]string, bool) {
			p, err := pc.Library.Get(context.Background(), name)
			if err != nil {
				return nil, false
			}
			names := make([]string, len(p.Inputs))
			for i, in := range p.Inputs {
				names[i] = in.Name
			}
			return names, true
		}
	}
	return opts
}

// enrichmentInputs are the built-in enrichment playbook's inputs taken from
// the configuration: the entity switches and the report budget.
func enrichmentInputs(cfg config.Config) map[string]any {
	return map[string]any{
		"ips": cfg.Enrich.IPs, "accounts": cfg.Enrich.Accounts, "hosts": cfg.Enrich.Hosts, "processes": cfg.Enrich.Processes,
		"hashes": cfg.Enrich.Hashes, "urls": cfg.Enrich.URLs, "domains": cfg.Enrich.Domains, "mail": cfg.Enrich.Mail,
		"presummarise_threshold": cfg.Report.MaxChars,
	}
}

// addEnrichmentDefaults fills the enrichment inputs the caller left unset
// from the configuration.
func addEnrichmentDefaults(given map[string]any, cfg config.Config) {
	for k, v := range enrichmentInputs(cfg) {
		if _, set := given[k]; !set {
			given[k] = v
		}
	}
}

// sharedLimits keeps the gateway's provider limits in st when it is
// PostgreSQL, so that every process on it shares them.
func sharedLimits(st *store.Store) []gateway.Option {
	if sl := st.SharedLimits(); sl != nil {
		return []gateway.Option{gateway.WithSharedLimits(sl)}
	}
	return nil
}

func (e *env) runsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "runs",
		Short: "Start durable playbook runs and read run history",
		Long: `Durable runs survive crashes and restarts: every side effect of a run (a skill
call, a file, a webhook, a comment) is recorded once, and a run interrupted by a
crash resumes in the next spotter process (serve, worker, or 'runs resume') without
performing its completed effects again. With database.url set to PostgreSQL, several
'spotter worker' processes share the runs.

History keeps each run's status, timings, step records and effects with inputs and
outputs (secrets redacted) for runs.retention (30 days by default).`,
	}
	cmd.AddCommand(e.runsStartCmd(), e.runsListCmd(), e.runsShowCmd(), e.runsCancelCmd(), e.runsPruneCmd(), e.runsResumeCmd())
	return cmd
}

func (e *env) runsStartCmd() *cobra.Command {
	var (
		incidentFile, key, out string
		inputs                 []string
		detach                 bool
		timeout                time.Duration
	)
	cmd := &cobra.Command{
		Use:   "start FILE|NAME",
		Short: "Start a durable run of a playbook and wait for it",
		Long: `Queues a durable run of a playbook file or built-in playbook and, unless --detach,
executes it in this process and prints its report (or outputs as JSON). --key makes
the start idempotent: a second start with the same key returns the first run.

Exit codes: 0 the run succeeded (or was queued, with --detach), 2 bad input or a
playbook that does not lint, 1 otherwise.`,
		Example: `  spotter runs start incident-enrichment --incident examples/ransomware-staging.json
  spotter runs start mine.yaml --input ips=a,b --key nightly-2026-11-23 --detach`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("runs start: expected one playbook file or built-in name (got %d)", len(args))
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			given, err := parseInputs(inputs)
			if err != nil {
				return err
			}
			_, data, err := e.playbookSource(args[0])
			if err != nil {
				return err
			}
			req := runs.StartRequest{Source: string(data), Trigger: playbook.TriggerManual, Key: key, Origin: "cli"}
			if incidentFile != "" {
				raw, err := e.readInput(incidentFile)
				if err != nil {
					return err
				}
				req.Incident, req.Trigger = raw, playbook.TriggerIncident
			}
			ctx, stop := signal.NotifyContext(c.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			er, err := e.openEngine(ctx, detach, nil)
			if err != nil {
				return err
			}
			defer er.close()
			req.Inputs = given
			id, existed, err := er.engine.Start(ctx, req)
			if err != nil {
				return &usageError{fmt.Errorf("%s: %w", args[0], err)}
			}
			if existed {
				fmt.Fprintf(e.stderr, "run %s already exists for key %q\n", id, key)
			}
			if detach {
				fmt.Fprintln(e.stdout, id)
				return nil
			}
			fmt.Fprintf(e.stderr, "run %s\n", id)
			wctx := ctx
			if timeout > 0 {
				var cancel context.CancelFunc
				wctx, cancel = context.WithTimeout(ctx, timeout)
				defer cancel()
			}
			run, err := er.engine.Wait(wctx, id)
			if err != nil {
				if ctx.Err() != nil {
					return fmt.Errorf("interrupted; run %s resumes in the next spotter process ('spotter runs resume')", id)
				}
				return err
			}
			werr := e.writeOutput(out, func(w io.Writer) error {
				if run.Report != "" {
					_, err := io.WriteString(w, run.Report)
					return err
				}
				_, err := fmt.Fprintf(w, "%s\n", indentJSON(run.Outputs))
				return err
			})
			if werr != nil {
				return werr
			}
			if run.Status != runs.StatusSucceeded {
				return fmt.Errorf("run %s %s: %s", run.ID, run.Status, run.Message)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&incidentFile, "incident", "", "the incident the run is about (FILE or - for standard input)")
	cmd.Flags().StringArrayVar(&inputs, "input", nil, "set an input, NAME=VALUE; repeatable")
	cmd.Flags().StringVar(&key, "key", "", "idempotency key: a start with the key of an earlier run returns that run")
	cmd.Flags().BoolVar(&detach, "detach", false, "queue the run for workers, print its id and return")
	cmd.Flags().StringVarP(&out, "out", "o", "", "write the report (or the outputs) to FILE instead of standard output")
	cmd.Flags().DurationVar(&timeout, "wait", 0, "stop waiting after this long (the run goes on); 0 waits until it ends")
	return cmd
}

func indentJSON(raw json.RawMessage) string {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return string(raw)
	}
	data, _ := json.MarshalIndent(v, "", "  ")
	return string(data)
}

// openHistory opens the database and its run history without an engine.
func (e *env) openHistory(ctx context.Context) (*runs.History, func(), error) {
	cfg, err := e.loadConfig()
	if err != nil {
		return nil, nil, err
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("database: %w", err)
	}
	return runs.NewHistory(st), func() { st.Close() }, nil
}

func (e *env) runsListCmd() *cobra.Command {
	var status, pb string
	var limit int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List runs, newest first",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			switch status {
			case "", runs.StatusQueued, runs.StatusRunning, runs.StatusSucceeded, runs.StatusFailed, runs.StatusCancelled:
			default:
				return usagef("--status %q: expected queued, running, succeeded, failed or cancelled", status)
			}
			h, closeDB, err := e.openHistory(c.Context())
			if err != nil {
				return err
			}
			defer closeDB()
			list, err := h.List(c.Context(), runs.ListOptions{Status: status, Playbook: pb, Limit: limit})
			if err != nil {
				return err
			}
			if asJSON {
				if list == nil {
					list = []runs.Run{}
				}
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(list)
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSTATUS\tPLAYBOOK\tTRIGGER\tINCIDENT\tCREATED\tDURATION\tWORKER")
			now := time.Now()
			for _, r := range list {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID[:min(8, len(r.ID))], r.Status, r.Playbook, r.Trigger,
					clip(r.Incident, 40), r.CreatedAt.Local().Format("2006-01-02 15:04:05"), r.Duration(now).Round(time.Millisecond), r.Worker)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&status, "status", "", "only runs with this status (queued, running, succeeded, failed, cancelled)")
	cmd.Flags().StringVar(&pb, "playbook", "", "only runs of this playbook")
	cmd.Flags().IntVar(&limit, "limit", 50, "at most this many runs")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func (e *env) runsShowCmd() *cobra.Command {
	var asJSON, report bool
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show a run: status, timings, steps and effects (a unique prefix of the id will do)",
		Args: func(c *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("runs show: expected one run id (got %d)", len(args))
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			h, closeDB, err := e.openHistory(c.Context())
			if err != nil {
				return err
			}
			defer closeDB()
			run, err := h.Get(c.Context(), args[0])
			if errors.Is(err, runs.ErrNotFound) || errors.Is(err, runs.ErrAmbiguous) {
				return &usageError{err}
			}
			if err != nil {
				return err
			}
			switch {
			case asJSON:
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(run)
			case report:
				_, err := io.WriteString(e.stdout, run.Report)
				return err
			}
			return printRun(e.stdout, run)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the whole record as JSON (step records, effects with inputs and outputs)")
	cmd.Flags().BoolVar(&report, "report", false, "print the report the run composed")
	return cmd
}

func printRun(w io.Writer, r *runs.Run) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s\t%s\n", k, v)
		}
	}
	ts := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.Local().Format(time.RFC3339)
	}
	row("Run", r.ID)
	row("Playbook", r.Playbook)
	row("Status", r.Status)
	row("Message", r.Message)
	row("Trigger", r.Trigger)
	row("Origin", r.Origin)
	row("Key", r.Key)
	row("Incident", r.Incident)
	row("Worker", r.Worker)
	row("Executions", fmt.Sprint(r.Executions))
	row("Created", r.CreatedAt.Local().Format(time.RFC3339))
	row("Started", ts(r.StartedAt))
	row("Finished", ts(r.FinishedAt))
	if r.StartedAt != nil {
		row("Duration", r.Duration(time.Now()).Round(time.Millisecond).String())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(r.Effects) > 0 {
		fmt.Fprintln(w, "\nEffects:")
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  KEY\tKIND\tTARGET\tSTATUS\tCACHED\tEXECUTIONS\tDURATION\tERROR")
		for _, ef := range r.Effects {
			d := ""
			if ef.FinishedAt != nil {
				d = ef.FinishedAt.Sub(ef.StartedAt).Round(time.Millisecond).String()
			}
			cached := ""
			if ef.Cached {
				cached = "yes"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", ef.Key, ef.Kind, ef.Target, ef.Status, cached, ef.Executions, d, clip(ef.Error, 60))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(r.Outputs) > 0 && string(r.Outputs) != "{}" && string(r.Outputs) != "null" {
		fmt.Fprintf(w, "\nOutputs:\n%s\n", indentJSON(r.Outputs))
	}
	return nil
}

func (e *env) runsCancelCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "cancel ID",
		Short: "Cancel a queued or running run",
		Args: func(c *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("runs cancel: expected one run id (got %d)", len(args))
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			h, closeDB, err := e.openHistory(c.Context())
			if err != nil {
				return err
			}
			run, err := h.Get(c.Context(), args[0])
			closeDB()
			if errors.Is(err, runs.ErrNotFound) || errors.Is(err, runs.ErrAmbiguous) {
				return &usageError{err}
			}
			if err != nil {
				return err
			}
			switch run.Status {
			case runs.StatusSucceeded, runs.StatusFailed, runs.StatusCancelled:
				return fmt.Errorf("run %s has already ended (%s)", run.ID, run.Status)
			}
			er, err := e.openEngine(c.Context(), true, nil)
			if err != nil {
				return err
			}
			defer er.close()
			if err := er.engine.Cancel(c.Context(), run.ID); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "cancelled %s\n", run.ID)
			return nil
		},
	}
}

func (e *env) runsPruneCmd() *cobra.Command {
	var olderThan time.Duration
	cmd := &cobra.Command{
		Use:   "prune",
		Short: "Delete finished runs older than runs.retention (or --older-than)",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cfg, err := e.loadConfig()
			if err != nil {
				return err
			}
			age := cfg.Runs.Retention
			if c.Flags().Changed("older-than") {
				age = olderThan
			}
			if age <= 0 {
				return usagef("--older-than: expected a positive duration (runs.retention is 0: keep every run)")
			}
			h, closeDB, err := e.openHistory(c.Context())
			if err != nil {
				return err
			}
			defer closeDB()
			n, err := h.Prune(c.Context(), time.Now().Add(-age))
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "deleted %d runs finished before %s\n", n, time.Now().Add(-age).Local().Format(time.RFC3339))
			return nil
		},
	}
	cmd.Flags().DurationVar(&olderThan, "older-than", 0, "delete runs that finished longer ago than this")
	return cmd
}

func (e *env) runsResumeCmd() *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "resume",
		Short: "Finish the runs that stopped processes left unfinished, then exit",
		Long: `Recovers the unfinished runs of spotter processes that are gone (killed, crashed,
or silent for longer than runs.worker_timeout), executes them and the queued runs to
completion in this process, and prints each one's outcome. 'spotter serve' and
'spotter worker' do this on their own.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(c.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			er, err := e.openEngine(ctx, false, nil)
			if err != nil {
				return err
			}
			defer er.close()
			deadline := time.Now().Add(timeout)
			h := er.engine.History()
			var pending []runs.Run
			for {
				pending = pending[:0]
				for _, s := range []string{runs.StatusQueued, runs.StatusRunning} {
					l, err := h.List(ctx, runs.ListOptions{Status: s, Limit: 1000})
					if err != nil {
						return err
					}
					pending = append(pending, l...)
				}
				if len(pending) == 0 || time.Now().After(deadline) || ctx.Err() != nil {
					break
				}
				time.Sleep(200 * time.Millisecond)
			}
			if len(pending) > 0 {
				return fmt.Errorf("%d runs still unfinished (another live process may own them): %s", len(pending), pending[0].ID)
			}
			fmt.Fprintln(e.stdout, "no unfinished runs")
			return nil
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Minute, "give up waiting after this long")
	return cmd
}

func (e *env) workerCmd() *cobra.Command {
	var id string
	var concurrency int
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Execute durable playbook runs until stopped",
		Long: `Executes queued playbook runs, recovers the runs of stopped processes, and fires
the schedule triggers of the built-in playbooks and of runs.playbooks_dir. Start several
workers against one PostgreSQL database (database.url) to share the runs: if a worker
dies mid-run, another one completes its work, and per-provider rate limits hold across
workers. SIGINT or SIGTERM stops the worker; runs it could not finish in 30 seconds
resume elsewhere.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(c.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			er, err := e.openEngine(ctx, false, func(o *runs.Options) {
				if id != "" {
					o.WorkerID = id
				}
				if concurrency > 0 {
					o.Concurrency = concurrency
				}
			})
			if err != nil {
				return err
			}
			defer er.close()
			fmt.Fprintf(e.stderr, "worker %s: executing runs (concurrency %d)\n", er.engine.WorkerID(), max(concurrency, er.rt.cfg.Runs.Concurrency))
			go er.engine.Schedule(ctx)
			<-ctx.Done()
			fmt.Fprintf(e.stderr, "worker %s: stopping\n", er.engine.WorkerID())
			return nil
		},
	}
	cmd.Flags().StringVar(&id, "id", "", "this worker's name in run history (default host-pid-random)")
	cmd.Flags().IntVar(&concurrency, "concurrency", 0, "runs each worker executes at once (default runs.concurrency; the queue keeps one value, set by the worker that started last)")
	return cmd
}
