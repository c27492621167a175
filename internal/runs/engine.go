package runs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/dbos-inc/dbos-transact-golang/dbos"
	_ "github.com/dbos-inc/dbos-transact-golang/dbos/driver/sqlite" // SQLite system database
	"github.com/google/uuid"

	"github.com/spotter-soc/spotter/internal/incident"
	"github.com/spotter-soc/spotter/internal/playbook"
	"github.com/spotter-soc/spotter/internal/report"
	"github.com/spotter-soc/spotter/internal/skill"
	"github.com/spotter-soc/spotter/internal/store"
)

// The engine keeps runs as workflows of DBOS Transact, a durable-execution
// library that records workflow state in SQLite or PostgreSQL. A run is one
// workflow that executes the playbook interpreter; every side effect of the
// interpreter is a workflow of its own whose id is the run id and the
// effect's key ("<run>/enrich[3]/lookup@1"). Starting a workflow whose id
// exists returns the recorded one, so a run that is executed again after a
// crash gets the recorded outcome of every effect that completed, performs
// only the ones that did not, and reaches the same state. Effects are keyed
// by their position in the playbook rather than by the order they ran in,
// so parallel branches and concurrent loop iterations replay correctly.
const (
	appVersion   = "spotter-runs-1" // bump when effect keys or inputs change meaning
	queueName    = "spotter-runs"
	runWorkflow  = "spotter.run"
	effectWFName = "spotter.effect"
)

// Env is what runs execute with: the skills (the gateway), the configured
// enriching skills, the incident rules and an HTTP client for webhooks.
type Env struct {
	Invoker playbook.Invoker
	Skills  []skill.Spec
	Options incident.Options
	HTTP    *http.Client
	// Copilot answers prompt and promptbook steps; nil refuses them.
	Copilot playbook.Copilot
	// Summarize adds a language model's summary to composed reports; nil
	// leaves the template summary.
	Summarize func(ctx context.Context, r *report.Report) error
	// RunContext decorates the context of a run and of each of its effects
	// (a per-run model budget); nil leaves it as it is.
	RunContext func(ctx context.Context, runID string) context.Context
	// RunEnded is told when a run has finished here, to release what
	// RunContext keeps for it.
	RunEnded func(runID string)
}

// Options configure an Engine.
type Options struct {
	// Store keeps the run history and the worker table. With a PostgreSQL
	// store the engine's own tables go into the same database (schema
	// Schema); with SQLite into runs.db beside DataDir's database.
	Store   *store.Store
	DataDir string
	// DatabaseURL is the store's URL when it is PostgreSQL.
	DatabaseURL string
	// Schema holds the engine's tables on PostgreSQL ("spotter_runs").
	Schema string
	// WorkerID names this engine in run history; unique per process
	// (host-pid-random) when empty.
	WorkerID string
	// Concurrency is how many runs this engine executes at once (4).
	Concurrency int
	// WorkerTimeout is how long a silent engine is presumed alive (30 s);
	// its unfinished runs are then recovered by another engine. Engines on
	// the same host are checked by process id at once.
	WorkerTimeout time.Duration
	// PollInterval is how often the run queue is polled (500 ms).
	PollInterval time.Duration
	// PlaybooksDir holds playbooks (NAME.yaml) that runs may name besides
	// the built-in ones; their schedule triggers fire (see Schedule).
	PlaybooksDir string
	// Defaults gives input values from the configuration for a playbook
	// (the built-in enrichment's switches); the request's own win, and
	// only inputs the playbook declares are set.
	Defaults func(pb *playbook.Playbook) map[string]any
	// Lint checks playbooks at start (skills, promptbooks); the zero value
	// checks the language only.
	Lint playbook.LintOptions
	// NoWork makes an engine that queues runs and reads their outcome but
	// leaves executing them to other engines (workers).
	NoWork bool
	// Retention is how long finished runs stay in history (30 days; a
	// negative value keeps them forever).
	Retention time.Duration
	Env       Env
	// Secrets returns values that must never reach run history.
	Secrets func() []string
	Log     *slog.Logger
}

// Engine runs playbooks durably. It is a Starter.
type Engine struct {
	opts    Options
	dctx    dbos.Context
	queue   dbos.Queue
	history *History
	log     *slog.Logger
	run     dbos.Workflow[runInput, runOutput]
	effect  dbos.Workflow[effectInput, effectOutput]
	stop    context.CancelFunc
	wg      sync.WaitGroup
	closed  sync.Once
}

type runInput struct {
	ID  string       `json:"id"`
	Req StartRequest `json:"req"`
}

type runOutput struct {
	Status  string         `json:"status"`
	Message string         `json:"message,omitempty"`
	Outputs map[string]any `json:"outputs,omitempty"`
}

type effectInput struct {
	RunID    string          `json:"run_id"`
	Key      string          `json:"key"`
	Effect   playbook.Effect `json:"effect"`
	Deadline time.Time       `json:"deadline,omitzero"`
}

type effectOutput struct {
	Value any    `json:"value"`
	Err   string `json:"error,omitempty"`
}

// New opens the engine, applies its migrations, recovers runs of engines
// that died, and starts executing queued runs.
func New(ctx context.Context, opts Options) (*Engine, error) {
	if opts.Store == nil {
		return nil, errors.New("runs: no store")
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 4
	}
	if opts.WorkerTimeout <= 0 {
		opts.WorkerTimeout = 30 * time.Second
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = 500 * time.Millisecond
	}
	if opts.Retention == 0 {
		opts.Retention = 30 * 24 * time.Hour
	}
	if opts.Schema == "" {
		opts.Schema = "spotter_runs"
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.WorkerID == "" {
		host, _ := os.Hostname()
		opts.WorkerID = fmt.Sprintf("%s-%d-%s", cmp.Or(host, "host"), os.Getpid(), uuid.NewString()[:8])
	}
	cfg := dbos.Config{
		AppName:            "spotter",
		ApplicationVersion: appVersion,
		ExecutorID:         opts.WorkerID,
		Logger:             quietLogger(opts.Log),
		DatabaseSchema:     opts.Schema,
	}
	switch opts.Store.Dialect() {
	case store.DialectPostgres:
		if opts.DatabaseURL == "" {
			return nil, errors.New("runs: database.url: expected the PostgreSQL URL of the store")
		}
		cfg.DatabaseURL = opts.DatabaseURL
	default:
		if opts.DataDir == "" {
			return nil, errors.New("runs: data_dir: expected a directory for runs.db")
		}
		if err := os.MkdirAll(opts.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("runs: data_dir: %w", err)
		}
		cfg.DatabaseURL = "sqlite:" + filepath.Join(opts.DataDir, "runs.db")
	}
	dctx, err := dbos.NewContext(context.WithoutCancel(ctx), cfg)
	if err != nil {
		return nil, fmt.Errorf("runs: opening the run database: %w", scrubDSN(err, opts.DatabaseURL))
	}
	e := &Engine{opts: opts, dctx: dctx, history: NewHistory(opts.Store), log: opts.Log}
	e.run, e.effect = e.runWorkflow, e.effectWorkflow
	dbos.RegisterWorkflow(dctx, e.run, dbos.WithWorkflowName(runWorkflow))
	dbos.RegisterWorkflow(dctx, e.effect, dbos.WithWorkflowName(effectWFName))
	q, err := dbos.RegisterQueue(dctx, queueName, dbos.WithWorkerConcurrency(opts.Concurrency), dbos.WithQueueBasePollingInterval(opts.PollInterval))
	if err != nil {
		dbos.Shutdown(dctx, time.Second)
		return nil, fmt.Errorf("runs: %w", err)
	}
	e.queue = q
	if opts.NoWork {
		dbos.ListenQueues(dctx, queueName+"-none")
	}
	if err := e.heartbeat(ctx); err != nil {
		dbos.Shutdown(dctx, time.Second)
		return nil, err
	}
	if err := dbos.Launch(dctx); err != nil {
		dbos.Shutdown(dctx, time.Second)
		return nil, fmt.Errorf("runs: starting the engine: %w", scrubDSN(err, opts.DatabaseURL))
	}
	bg, stop := context.WithCancel(context.WithoutCancel(ctx))
	e.stop = stop
	e.recoverDead(bg)
	e.prune(bg)
	e.wg.Add(1)
	go e.maintain(bg)
	return e, nil
}

// WorkerID is this engine's name in run history.
func (e *Engine) WorkerID() string { return e.opts.WorkerID }

// History is the run history this engine writes.
func (e *Engine) History() *History { return e.history }

// Close stops the engine, waiting up to timeout for runs in flight; runs
// that do not finish in time stay unfinished and are recovered later.
func (e *Engine) Close(timeout time.Duration) {
	e.closed.Do(func() {
		e.stop()
		e.wg.Wait()
		dbos.Shutdown(e.dctx, timeout)
		// Mark this engine stopped rather than forgetting it: the next
		// engine to look recovers whatever it left unfinished at once.
		_, _ = e.history.exec(context.Background(), `UPDATE playbook_workers SET heartbeat_at = 0 WHERE id = ?`, e.opts.WorkerID)
	})
}

// Resolve returns a request's playbook source: the request's own, a
// playbook of that name in dir (when dir is set), or the built-in one. The
// source is parsed and linted, so a bad playbook is refused at start
// rather than failing in a worker.
func Resolve(req StartRequest, dir string, lint playbook.LintOptions) (string, *playbook.Playbook, error) {
	src := req.Source
	if src == "" {
		if req.Playbook == "" {
			return "", nil, errors.New("playbook: expected a built-in playbook name or a playbook source")
		}
		data, err := findPlaybook(dir, req.Playbook)
		if err != nil {
			return "", nil, fmt.Errorf("playbook: %w", err)
		}
		src = string(data)
	}
	name := cmp.Or(req.Playbook, "playbook") + ".yaml"
	pb, diags := playbook.Check(name, []byte(src), lint)
	if len(diags) > 0 {
		return "", nil, diags
	}
	return src, pb, nil
}

// Start queues a run; a worker (this engine or another sharing the
// database) executes it. Requests with the same Key get the same run.
func (e *Engine) Start(ctx context.Context, req StartRequest) (string, bool, error) {
	src, pb, err := Resolve(req, e.opts.PlaybooksDir, e.opts.Lint)
	if err != nil {
		return "", false, err
	}
	req.Source, req.Playbook = src, pb.Name
	req.Trigger = cmp.Or(req.Trigger, playbook.TriggerManual)
	label := ""
	if len(req.Incident) > 0 {
		inc, err := incident.Parse(req.Incident)
		if err != nil {
			return "", false, fmt.Errorf("incident: %w", err)
		}
		label = incidentLabel(inc)
	}
	if e.opts.Defaults != nil {
		inputs := map[string]any{}
		for k, v := range e.opts.Defaults(pb) {
			if _, declared := pb.Input(k); declared {
				inputs[k] = v
			}
		}
		for k, v := range req.Inputs {
			inputs[k] = v
		}
		req.Inputs = inputs
	}
	if _, err := playbook.ResolveInputs(pb, req.Inputs); err != nil {
		return "", false, err
	}
	id := uuid.NewString()
	if req.Key != "" {
		id = uuid.NewSHA1(keySpace, []byte(req.Key)).String()
	}
	created, err := e.history.create(ctx, id, req, label, time.Now())
	if err != nil {
		return "", false, err
	}
	// Enqueue even when the run is known: a crash between the history row
	// and the queue would otherwise lose the run. The engine returns the
	// existing workflow for an existing id.
	if _, err := dbos.RunWorkflow(e.dctx, e.run, runInput{ID: id, Req: req}, dbos.WithWorkflowID(id), dbos.WithQueue(e.queue)); err != nil {
		return "", false, fmt.Errorf("runs: queueing run %s: %w", id, err)
	}
	return id, !created, nil
}

// keySpace is the UUID namespace run ids are derived from run keys in.
var keySpace = uuid.MustParse("6f1c2b8e-4d4a-5e0b-9a57-3c1f2e9d7a10")

// Wait blocks until the run finishes (or ctx ends) and returns its history.
func (e *Engine) Wait(ctx context.Context, id string) (*Run, error) {
	h, err := dbos.RetrieveWorkflow[runOutput](e.dctx, id)
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", id, err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := h.GetResult(dbos.WithHandlePollingInterval(100 * time.Millisecond))
		done <- err
	}()
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case err := <-done:
		if err != nil && !errors.Is(err, dbos.ErrWorkflowCancelled) && !errors.Is(err, dbos.ErrAwaitedWorkflowCancelled) {
			e.log.Warn("run ended with an engine error", "run", id, "err", err)
		}
	}
	return e.history.Get(ctx, id)
}

// Cancel stops a run. Effects in flight finish; nothing after them runs.
func (e *Engine) Cancel(ctx context.Context, id string) error {
	if err := dbos.CancelWorkflow(e.dctx, id); err != nil {
		return fmt.Errorf("run %s: %w", id, err)
	}
	return e.history.cancelled(ctx, id, time.Now())
}

func incidentLabel(inc *incident.Incident) string {
	if inc == nil {
		return ""
	}
	if inc.Number > 0 {
		return fmt.Sprintf("#%d %s", inc.Number, inc.Title)
	}
	return inc.Title
}

// interpreter returns an interpreter over the engine's environment.
func (e *Engine) interpreter() *playbook.Interpreter {
	return &playbook.Interpreter{Invoker: e.opts.Env.Invoker, Skills: e.opts.Env.Skills, Options: e.opts.Env.Options, HTTP: e.opts.Env.HTTP,
		Copilot: e.opts.Env.Copilot, Summarize: e.opts.Env.Summarize}
}

// runContext applies Env.RunContext.
func (e *Engine) runContext(ctx context.Context, runID string) context.Context {
	if e.opts.Env.RunContext == nil {
		return ctx
	}
	return e.opts.Env.RunContext(ctx, runID)
}

// runWorkflow executes one run. It is executed again, from the start,
// after a crash; recorded effects make that replay cheap and exact.
func (e *Engine) runWorkflow(ctx dbos.Context, in runInput) (runOutput, error) {
	var wctx context.Context = ctx
	req := in.Req
	var inc *incident.Incident
	pb, err := playbook.Parse(cmp.Or(req.Playbook, "playbook")+".yaml", []byte(req.Source))
	if err == nil && len(req.Incident) > 0 {
		inc, err = incident.Parse(req.Incident)
	}
	if herr := e.history.started(wctx, in.ID, req, incidentLabel(inc), e.opts.WorkerID, time.Now()); herr != nil {
		e.log.Warn("recording the run start failed", "run", in.ID, "err", herr)
	}
	if err != nil {
		out := runOutput{Status: StatusFailed, Message: e.redact(err.Error())}
		e.finish(wctx, in.ID, out, nil, nil, "")
		return out, nil
	}
	interp := e.interpreter()
	interp.Effects = &effector{e: e, runID: in.ID}
	res, err := interp.Run(e.runContext(wctx, in.ID), pb, playbook.Request{Trigger: req.Trigger, Incident: inc, Inputs: req.Inputs, RunID: in.ID})
	if wctx.Err() != nil {
		// Shut down or cancelled: leave the outcome to recovery or Cancel.
		return runOutput{}, wctx.Err()
	}
	if err != nil {
		out := runOutput{Status: StatusFailed, Message: e.redact(err.Error())}
		e.finish(wctx, in.ID, out, nil, nil, "")
		return out, nil
	}
	out := runOutput{Status: res.Status, Message: e.redact(res.Message), Outputs: res.Outputs}
	e.finish(wctx, in.ID, out, res.Steps, res.Outputs, res.Rendered)
	return out, nil
}

func (e *Engine) finish(ctx context.Context, id string, out runOutput, steps, outputs map[string]any, report string) {
	if e.opts.Env.RunEnded != nil {
		defer e.opts.Env.RunEnded(id)
	}
	err := e.history.finished(context.WithoutCancel(ctx), id, out.Status, out.Message, e.redactJSON(steps), e.redactJSON(outputs), e.redact(report), time.Now())
	if err != nil {
		e.log.Warn("recording the run outcome failed", "run", id, "err", err)
	}
}

// effector performs a run's effects as workflows keyed by run and effect.
type effector struct {
	e     *Engine
	runID string
}

func (x *effector) Do(ctx context.Context, key string, eff playbook.Effect) (any, error) {
	in := effectInput{RunID: x.runID, Key: key, Effect: eff}
	if dl, ok := ctx.Deadline(); ok {
		in.Deadline = dl
	}
	h, err := dbos.RunWorkflow(x.e.dctx, x.e.effect, in, dbos.WithWorkflowID(x.runID+"/"+key))
	if err != nil {
		return nil, fmt.Errorf("recording effect %s: %w", key, err)
	}
	type result struct {
		out effectOutput
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := h.GetResult(dbos.WithHandlePollingInterval(50 * time.Millisecond))
		done <- result{out, err}
	}()
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case r := <-done:
		if r.err != nil {
			return nil, fmt.Errorf("effect %s: %w", key, r.err)
		}
		if r.out.Err != "" {
			return r.out.Value, errors.New(r.out.Err)
		}
		return r.out.Value, nil
	}
}

// effectWorkflow performs one effect as the workflow's only step, and
// records it in run history.
func (e *Engine) effectWorkflow(ctx dbos.Context, in effectInput) (effectOutput, error) {
	return dbos.RunAsStep(ctx, func(sctx context.Context) (effectOutput, error) {
		rec := EffectRecord{
			Key: in.Key, Step: stepOf(in.Key), Kind: in.Effect.Kind, Target: e.redact(effectTarget(in.Effect)),
			Input: e.redactJSON(effectInputs(in.Effect)), Worker: e.opts.WorkerID, StartedAt: time.Now(),
		}
		if err := e.history.effectStarted(sctx, in.RunID, rec); err != nil {
			e.log.Warn("recording an effect failed", "run", in.RunID, "effect", in.Key, "err", err)
		}
		pctx := e.runContext(sctx, in.RunID)
		if !in.Deadline.IsZero() {
			var cancel context.CancelFunc
			pctx, cancel = context.WithDeadline(sctx, in.Deadline)
			defer cancel()
		}
		v, err := e.interpreter().Perform(pctx, in.Effect)
		if sctx.Err() != nil {
			return effectOutput{}, sctx.Err()
		}
		out := effectOutput{Value: v}
		now := time.Now()
		rec.FinishedAt, rec.Status = &now, StatusSucceeded
		if err != nil {
			out.Err = e.redact(err.Error())
			rec.Status, rec.Error = StatusFailed, out.Err
		}
		if m, ok := v.(map[string]any); ok {
			rec.Cached, _ = m["cached"].(bool)
		}
		rec.Output = e.redactJSON(v)
		if err := e.history.effectFinished(context.WithoutCancel(sctx), in.RunID, rec); err != nil {
			e.log.Warn("recording an effect failed", "run", in.RunID, "effect", in.Key, "err", err)
		}
		return out, nil
	}, dbos.WithStepName("perform"))
}

// stepOf is the step id in an effect key: "a[2]/b@1" → "b".
func stepOf(key string) string {
	if i := strings.LastIndex(key, "/"); i >= 0 && !strings.HasPrefix(key, "run/") {
		key = key[i+1:]
	}
	if i := strings.LastIndex(key, "@"); i >= 0 {
		key = key[:i]
	}
	return key
}

func effectTarget(eff playbook.Effect) string {
	switch eff.Kind {
	case playbook.EffectCall:
		return eff.Skill
	case playbook.EffectWriteFile:
		return eff.Path
	case playbook.EffectWebhook:
		return stripQuery(eff.URL)
	case playbook.EffectPromptbook:
		return eff.Promptbook
	}
	return ""
}

func effectInputs(eff playbook.Effect) any {
	switch eff.Kind {
	case playbook.EffectCall:
		return eff.Args
	case playbook.EffectWriteFile:
		return map[string]any{"path": eff.Path, "bytes": len(eff.Content)}
	case playbook.EffectWebhook:
		return map[string]any{"url": stripQuery(eff.URL), "method": eff.Method, "bytes": len(eff.Body), "idempotency_key": eff.Key}
	case playbook.EffectPrompt:
		return map[string]any{"prompt": eff.Prompt, "session": eff.Session}
	case playbook.EffectPromptbook:
		return map[string]any{"promptbook": eff.Promptbook, "inputs": eff.Args, "session": eff.Session}
	}
	return nil
}

// quietLogger passes the engine library's warnings and errors on, and
// drops its informational chatter.
func quietLogger(l *slog.Logger) *slog.Logger {
	return slog.New(levelFilter{l.Handler(), slog.LevelWarn})
}

type levelFilter struct {
	slog.Handler
	min slog.Level
}

func (f levelFilter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= f.min && f.Handler.Enabled(ctx, l)
}

func (f levelFilter) WithAttrs(a []slog.Attr) slog.Handler {
	return levelFilter{f.Handler.WithAttrs(a), f.min}
}

func (f levelFilter) WithGroup(n string) slog.Handler {
	return levelFilter{f.Handler.WithGroup(n), f.min}
}
