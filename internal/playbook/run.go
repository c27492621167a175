package playbook

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/spotter-soc/spotter/internal/incident"
	"github.com/spotter-soc/spotter/internal/report"
	"github.com/spotter-soc/spotter/internal/skill"
)

// Invoker runs a skill by id (the gateway in production, a fake in tests).
type Invoker interface {
	Invoke(ctx context.Context, name string, raw map[string]any) (*skill.Result, error)
}

// Runner runs a playbook. The in-process Interpreter is the only runner in
// this increment; a durable one can sit behind the same interface.
type Runner interface {
	Run(ctx context.Context, pb *Playbook, req Request) (*Result, error)
}

// Request is what a run starts from.
type Request struct {
	// Trigger is the trigger kind (incident, manual, schedule); manual when empty.
	Trigger string
	// Incident is the incident the run is about, if any.
	Incident *incident.Incident
	// Inputs are the caller's values, converted to the declared types.
	Inputs map[string]any
	// RunID identifies the run; expressions see it as run.id, so sinks can
	// derive idempotency keys (a comment id) from it. Empty in one-off runs,
	// which get a random one.
	RunID string
}

// Result is what a run produced.
type Result struct {
	Status  string // succeeded, failed or cancelled
	Message string // terminate's message or the failure
	Outputs map[string]any
	Vars    map[string]any
	// Steps holds each step's record: status, output, error, attempts.
	Steps map[string]any
	// Report is the last report composed, and Rendered its rendering.
	Report   *report.Report
	Rendered string
}

// Interpreter runs playbooks in process.
type Interpreter struct {
	Invoker Invoker
	// Skills are the configured skills, for the enrichment helpers.
	Skills []skill.Spec
	// Options are the incident categorisation rules.
	Options incident.Options
	HTTP    *http.Client
	// Copilot answers prompt and promptbook steps; nil refuses them.
	Copilot Copilot
	// CallDeadline bounds the run's skill calls, prompts and promptbooks
	// (zero: no bound). A call past it fails like a provider timeout, is
	// recorded in the step's record and coverage, and the playbook goes on
	// to compose its report with what it has; the run's context bounds the
	// whole run.
	CallDeadline time.Time
	// Summarize adds a language model's summary to a composed report
	// (Verdict.ModelSummary and Stats.LLM); nil leaves the template
	// summary. A failure is recorded in the report's stats, never fails
	// the step.
	Summarize func(ctx context.Context, r *report.Report) error
	// Effects performs the run's side effects (skill calls, files,
	// webhooks, the clock); nil performs them directly. A durable runner
	// records each one and replays it after a crash.
	Effects Effector
	// Sleep waits between retries; tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
	Now   func() time.Time
}

// Effect is one side effect of a run, described as data, so that a durable
// runner can record it and, after a crash, replay its recorded outcome or
// perform it again without the interpreter's state.
type Effect struct {
	Kind    string         `json:"kind"` // call, write_file, webhook, clock
	Skill   string         `json:"skill,omitempty"`
	Args    map[string]any `json:"args,omitempty"`
	Path    string         `json:"path,omitempty"`
	Content string         `json:"content,omitempty"`
	URL     string         `json:"url,omitempty"`
	Method  string         `json:"method,omitempty"`
	Body    string         `json:"body,omitempty"`
	// Prompt is a prompt's content; Promptbook a promptbook's name (its
	// inputs in Args); Session the copilot session, empty for a new one.
	Prompt     string `json:"prompt,omitempty"`
	Promptbook string `json:"promptbook,omitempty"`
	Session    string `json:"session,omitempty"`
	// Key identifies the effect for the receiving side (a webhook's
	// Idempotency-Key): the run id and the effect's key within the run.
	Key string `json:"key,omitempty"`
}

// Copilot submits prompts and runs promptbooks for playbook steps. Both
// return the evaluation(s) in the expression value model: JSON types.
type Copilot interface {
	Prompt(ctx context.Context, session, content string) (any, error)
	Promptbook(ctx context.Context, session, name string, inputs map[string]string) (any, error)
}

// Effect kinds.
const (
	EffectPrompt     = "prompt"
	EffectSummarize  = "summarize"
	EffectPromptbook = "promptbook"
	EffectCall       = "call"
	EffectWriteFile  = "write_file"
	EffectWebhook    = "webhook"
	EffectClock      = "clock"
)

// Effector performs a run's effects. key is unique within the run and the
// same when the run is replayed: the step's position (loop indices
// included) and the attempt number, e.g. "enrich[3]/lookup@1".
type Effector interface {
	Do(ctx context.Context, key string, eff Effect) (any, error)
}

// StepError is a step's failure.
type StepError struct {
	Step string
	Pos  Pos
	Err  error
}

func (e *StepError) Error() string { return fmt.Sprintf("step %s: %v", e.Step, e.Err) }
func (e *StepError) Unwrap() error { return e.Err }

type terminated struct{ status, msg string }

func (t *terminated) Error() string { return "terminated: " + t.status }

type run struct {
	in        *Interpreter
	pb        *Playbook
	req       Request
	funcs     map[string]Func
	mu        sync.Mutex
	vars      map[string]any
	trigger   any
	inputs    map[string]any
	calls     atomic.Int64
	cacheHits atomic.Int64
	ents      *incident.Entities
	builtins  map[string]map[string]any
	rep       *report.Report
	rendered  string
	start     time.Time
	runInfo   map[string]any
	summaries map[string]map[string]any // model summaries by findings digest
}

type frame struct {
	parent *frame
	path   string // position of the frame's steps: "" or "loop[2]/"
	steps  map[string]any
	locals map[string]any
}

// Run runs the playbook to completion. A failed or terminated run is a
// Result with that status, not an error; errors are for bad requests.
func (in *Interpreter) Run(ctx context.Context, pb *Playbook, req Request) (*Result, error) {
	r := &run{in: in, pb: pb, req: req, vars: map[string]any{}}
	inputs, err := ResolveInputs(pb, req.Inputs)
	if err != nil {
		return nil, err
	}
	r.inputs = inputs
	if req.RunID == "" {
		req.RunID = uuid.NewString()
		r.req.RunID = req.RunID
	}
	r.runInfo = map[string]any{"id": req.RunID, "playbook": pb.Name}
	if t, err := r.clock(ctx, "run/start"); err == nil {
		r.start = t
	} else {
		return nil, err
	}
	trig := map[string]any{"kind": cmp.Or(req.Trigger, TriggerManual)}
	if req.Incident != nil {
		trig["incident"] = plain(req.Incident)
		r.ents = incident.Categorize(req.Incident, in.Options)
	}
	r.trigger = trig
	r.funcs = Library()
	for k, f := range r.incidentFuncs() {
		r.funcs[k] = f
	}
	root := &frame{steps: map[string]any{}, locals: map[string]any{}}
	res := &Result{Status: StatusSucceeded}
	for _, v := range pb.Vars {
		val, err := r.eval(root, v.Expr)
		if err != nil {
			return nil, fmt.Errorf("vars.%s: %w", v.Name, err)
		}
		r.vars[v.Name] = val
	}
	err = r.seq(ctx, root, pb.Steps)
	var t *terminated
	switch {
	case errors.As(err, &t):
		res.Status, res.Message = t.status, t.msg
	case err != nil:
		res.Status, res.Message = StatusFailed, err.Error()
		if ctx.Err() != nil {
			res.Status = StatusCancelled
		}
	}
	res.Outputs = map[string]any{}
	for _, o := range pb.Outputs {
		v, err := r.eval(root, o.Expr)
		if err != nil && res.Status == StatusSucceeded {
			res.Status, res.Message = StatusFailed, fmt.Sprintf("outputs.%s: %v", o.Name, err)
		}
		res.Outputs[o.Name] = v
	}
	res.Vars, res.Steps, res.Report, res.Rendered = r.vars, root.steps, r.rep, r.rendered
	return res, nil
}

// ResolveInputs checks the caller's inputs against the declared ones,
// converts them and fills defaults.
func ResolveInputs(pb *Playbook, given map[string]any) (map[string]any, error) {
	out := map[string]any{}
	var problems []string
	declared := map[string]bool{}
	for _, in := range pb.Inputs {
		declared[in.Name] = true
		v, ok := given[in.Name]
		if !ok {
			if in.Required {
				problems = append(problems, fmt.Sprintf("missing required input %q", in.Name))
				continue
			}
			v = in.Default
		}
		if v == nil {
			out[in.Name] = nil
			continue
		}
		c, err := Coerce(in.Type, v)
		if err != nil {
			problems = append(problems, fmt.Sprintf("input %s: %v", in.Name, err))
			continue
		}
		out[in.Name] = c
	}
	for _, k := range sortedKeys(given) {
		if !declared[k] {
			problems = append(problems, fmt.Sprintf("unknown input %q", k))
		}
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	return out, nil
}

func (in *Interpreter) now() time.Time {
	if in.Now != nil {
		return in.Now()
	}
	return time.Now()
}

func (r *run) scope(f *frame) Scope {
	r.mu.Lock()
	defer r.mu.Unlock()
	steps := map[string]any{}
	s := Scope{}
	var chain []*frame
	for x := f; x != nil; x = x.parent {
		chain = append(chain, x)
	}
	for i := len(chain) - 1; i >= 0; i-- {
		for k, v := range chain[i].steps {
			steps[k] = v
		}
		for k, v := range chain[i].locals {
			s[k] = v
		}
	}
	vars := make(map[string]any, len(r.vars))
	for k, v := range r.vars {
		vars[k] = v
	}
	s["steps"], s["vars"], s["inputs"], s["trigger"], s["run"] = steps, vars, r.inputs, r.trigger, r.runInfo
	return s
}

func (r *run) eval(f *frame, e *Expr) (any, error) {
	if e == nil {
		return nil, nil
	}
	return e.Eval(r.scope(f), r.funcs)
}

func (r *run) record(f *frame, id string, rec map[string]any) {
	r.mu.Lock()
	f.steps[id] = rec
	r.mu.Unlock()
}

func (r *run) seq(ctx context.Context, f *frame, steps []*Step) error {
	for _, st := range steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := r.step(ctx, f, st); err != nil {
			return err
		}
	}
	return nil
}

func (r *run) step(ctx context.Context, f *frame, st *Step) error {
	if st.When != nil {
		ok, err := r.eval(f, st.When)
		if err != nil {
			return &StepError{st.ID, st.Pos, fmt.Errorf("when: %w", err)}
		}
		if !truthy(ok) {
			r.record(f, st.ID, map[string]any{"status": StatusSkipped, "output": nil, "error": nil, "attempts": 0.0})
			return nil
		}
	}
	attempts := max(st.Retry.Attempts, 1)
	var (
		out  any
		errs []any
		err  error
		n    int
	)
	for n = 1; ; n++ {
		sctx, cancel := ctx, context.CancelFunc(func() {})
		if st.Timeout > 0 {
			sctx, cancel = context.WithTimeout(ctx, st.Timeout)
		}
		out, errs, err = r.exec(sctx, f, st, n)
		if err != nil && st.Timeout > 0 && errors.Is(sctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
			err = fmt.Errorf("timed out after %s", st.Timeout)
		}
		cancel()
		var t *terminated
		if err == nil || errors.As(err, &t) || n >= attempts || ctx.Err() != nil {
			break
		}
		if serr := r.sleep(ctx, st.Retry.Backoff<<(n-1)); serr != nil {
			break
		}
	}
	rec := map[string]any{"status": StatusSucceeded, "output": out, "error": nil, "attempts": float64(n)}
	if errs != nil {
		rec["errors"] = errs
	}
	var t *terminated
	if err != nil && !errors.As(err, &t) {
		rec["status"], rec["error"] = StatusFailed, err.Error()
	}
	r.record(f, st.ID, rec)
	switch {
	case err == nil:
		return nil
	case errors.As(err, &t):
		return err
	case st.ContinueOnError:
		return nil
	}
	var se *StepError
	if errors.As(err, &se) {
		return err
	}
	return &StepError{st.ID, st.Pos, err}
}

func (r *run) sleep(ctx context.Context, d time.Duration) error {
	if r.in.Sleep != nil {
		return r.in.Sleep(ctx, d)
	}
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// exec runs one attempt of a step. errs lists the failures of loop
// iterations that were tolerated.
func (r *run) exec(ctx context.Context, f *frame, st *Step, attempt int) (any, []any, error) {
	key := fmt.Sprintf("%s%s@%d", f.path, st.ID, attempt)
	switch st.Kind {
	case KindCall:
		out, err := r.call(ctx, f, st, key)
		return out, nil, err
	case KindForEach, KindBatch:
		return r.loop(ctx, f, st)
	case KindIf:
		c, err := r.eval(f, st.Cond)
		if err != nil {
			return nil, nil, fmt.Errorf("if: %w", err)
		}
		if truthy(c) {
			return "then", nil, r.seq(ctx, f, st.Then)
		}
		return "else", nil, r.seq(ctx, f, st.Else)
	case KindGroup:
		return nil, nil, r.seq(ctx, f, st.Steps)
	case KindParallel:
		out, err := r.parallel(ctx, f, st)
		return out, nil, err
	case KindSet, KindAppend:
		return nil, nil, r.assign(f, st)
	case KindReport:
		now, err := r.clock(ctx, key+"/clock")
		if err != nil {
			return nil, nil, err
		}
		out, err := r.composeReport(ctx, f, st, now, key)
		return out, nil, err
	case KindWriteFile:
		out, err := r.writeFile(ctx, f, st, key)
		return out, nil, err
	case KindWebhook:
		out, err := r.webhook(ctx, f, st, key)
		return out, nil, err
	case KindPrompt, KindPromptbook:
		out, err := r.copilot(ctx, f, st, key)
		return out, nil, err
	case KindTerminate:
		msg, err := r.eval(f, st.Args["message"])
		if err != nil {
			return nil, nil, fmt.Errorf("message: %w", err)
		}
		s, _ := msg.(string)
		if msg != nil && s == "" {
			s = fmt.Sprint(msg)
		}
		return nil, nil, &terminated{status: st.Status, msg: s}
	}
	return nil, nil, fmt.Errorf("unknown step kind %q", st.Kind)
}

func (r *run) call(ctx context.Context, f *frame, st *Step, key string) (any, error) {
	name := st.Skill
	if st.SkillExpr != nil {
		v, err := r.eval(f, st.SkillExpr)
		if err != nil {
			return nil, fmt.Errorf("call: %w", err)
		}
		s, ok := v.(string)
		if !ok || s == "" {
			return nil, fmt.Errorf("call: expected a skill name, got %s", kindOf(v))
		}
		name = s
	}
	args := map[string]any{}
	if e := st.Args["args"]; e != nil {
		v, err := r.eval(f, e)
		if err != nil {
			return nil, fmt.Errorf("args: %w", err)
		}
		m, ok := v.(map[string]any)
		if !ok && v != nil {
			return nil, fmt.Errorf("args: expected a map, got %s", kindOf(v))
		}
		for k, x := range m {
			args[k] = x
		}
	}
	for _, a := range st.With {
		v, err := r.eval(f, a.Expr)
		if err != nil {
			return nil, fmt.Errorf("with.%s: %w", a.Name, err)
		}
		args[a.Name] = v
	}
	r.calls.Add(1)
	v, err := r.do(ctx, key, Effect{Kind: EffectCall, Skill: name, Args: args})
	if err != nil {
		return nil, err
	}
	out, _ := v.(map[string]any)
	if c, _ := out["cached"].(bool); c {
		r.cacheHits.Add(1)
	}
	return out, nil
}

// do performs an effect through the Effector, or directly.
func (r *run) do(ctx context.Context, key string, eff Effect) (any, error) {
	if eff.Kind == EffectWebhook {
		eff.Key = r.req.RunID + "/" + key
	}
	switch eff.Kind {
	case EffectCall, EffectPrompt, EffectPromptbook:
		if !r.in.CallDeadline.IsZero() {
			var cancel context.CancelFunc
			ctx, cancel = context.WithDeadline(ctx, r.in.CallDeadline)
			defer cancel()
			if ctx.Err() != nil {
				return nil, fmt.Errorf("not started: the run's time for calls is over")
			}
		}
	}
	if r.in.Effects != nil {
		return r.in.Effects.Do(ctx, key, eff)
	}
	return r.in.Perform(ctx, eff)
}

// clock reads the time as an effect, so a replayed run sees the time the
// first execution saw.
func (r *run) clock(ctx context.Context, key string) (time.Time, error) {
	v, err := r.do(ctx, key, Effect{Kind: EffectClock})
	if err != nil {
		return time.Time{}, err
	}
	s, _ := v.(string)
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("clock: %q: expected an RFC 3339 time", s)
	}
	return t, nil
}

// Perform carries out one effect and returns its outcome in the expression
// value model (JSON types). Durable runners call it for effects that were
// not recorded yet.
func (in *Interpreter) Perform(ctx context.Context, eff Effect) (any, error) {
	switch eff.Kind {
	case EffectCall:
		if in.Invoker == nil {
			return nil, fmt.Errorf("no skills are available to this run")
		}
		res, err := in.Invoker.Invoke(ctx, eff.Skill, eff.Args)
		if err != nil {
			return nil, err
		}
		out, _ := plain(res).(map[string]any)
		if out == nil {
			out = map[string]any{}
		}
		out["skill"] = eff.Skill
		out["cached"] = res.Cached
		if out["findings"] == nil {
			out["findings"] = []any{}
		}
		return out, nil
	case EffectWriteFile:
		return writeFileAtomic(eff.Path, eff.Content)
	case EffectWebhook:
		return in.sendWebhook(ctx, eff)
	case EffectClock:
		return in.now().UTC().Format(time.RFC3339Nano), nil
	case EffectSummarize:
		if in.Summarize == nil {
			return nil, fmt.Errorf("summarize: this run has no language model")
		}
		var rep report.Report
		data, _ := json.Marshal(eff.Args["report"])
		if err := json.Unmarshal(data, &rep); err != nil {
			return nil, fmt.Errorf("summarize: report: %w", err)
		}
		_ = in.Summarize(ctx, &rep) // a failure is in rep.Stats.LLM
		return map[string]any{"model_summary": rep.Verdict.ModelSummary, "llm": plain(rep.Stats.LLM)}, nil
	case EffectPrompt, EffectPromptbook:
		if in.Copilot == nil {
			return nil, fmt.Errorf("%s steps need the copilot; this run has none", eff.Kind)
		}
		if eff.Kind == EffectPrompt {
			return in.Copilot.Prompt(ctx, eff.Session, eff.Prompt)
		}
		inputs := make(map[string]string, len(eff.Args))
		for k, v := range eff.Args {
			if s, ok := v.(string); ok {
				inputs[k] = s
			} else {
				inputs[k] = fmt.Sprint(v)
			}
		}
		return in.Copilot.Promptbook(ctx, eff.Session, eff.Promptbook, inputs)
	}
	return nil, fmt.Errorf("effect kind %q: expected call, write_file, webhook, clock, prompt or promptbook", eff.Kind)
}

func (r *run) loop(ctx context.Context, f *frame, st *Step) (any, []any, error) {
	v, err := r.eval(f, st.Items)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", st.Kind, err)
	}
	items, err := asList(st.Kind, v)
	if err != nil {
		return nil, nil, err
	}
	if st.Kind == KindBatch {
		sz, err := r.eval(f, st.Size)
		if err != nil {
			return nil, nil, fmt.Errorf("size: %w", err)
		}
		n, ok := sz.(float64)
		if !ok || n < 1 || n != float64(int(n)) {
			return nil, nil, fmt.Errorf("size: expected a whole number of at least 1, got %v", sz)
		}
		var chunks []any
		for _, b := range skill.Batches(items, int(n)) {
			chunks = append(chunks, b)
		}
		items = chunks
	}
	outs := make([]any, len(items))
	errs := make([]error, len(items))
	sem := make(chan struct{}, max(st.Concurrency, 1))
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	// Iterations start in list order, at most Concurrency at a time.
	for i, it := range items {
		select {
		case sem <- struct{}{}:
		case <-lctx.Done():
			errs[i] = lctx.Err()
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			child := &frame{parent: f, path: fmt.Sprintf("%s%s[%d]/", f.path, st.ID, i), steps: map[string]any{}, locals: map[string]any{st.As: it, "index": float64(i)}}
			if len(st.Steps) == 0 {
				outs[i] = it
				return
			}
			err := r.seq(lctx, child, st.Steps)
			r.mu.Lock()
			last := child.steps[st.Steps[len(st.Steps)-1].ID]
			r.mu.Unlock()
			if rec, ok := last.(map[string]any); ok {
				outs[i] = rec["output"]
			}
			errs[i] = err
			var t *terminated
			if errors.As(err, &t) {
				cancel()
			}
		}()
	}
	wg.Wait()
	var failed []any
	var first error
	for i, err := range errs {
		if err == nil {
			continue
		}
		var t *terminated
		if errors.As(err, &t) {
			return outs, nil, err
		}
		failed = append(failed, fmt.Sprintf("%s %d: %v", st.As, i, err))
		if first == nil {
			first = err
		}
	}
	if first != nil {
		return outs, failed, fmt.Errorf("%d of %d iterations failed; first: %w", len(failed), len(items), first)
	}
	return outs, nil, nil
}

func (r *run) parallel(ctx context.Context, f *frame, st *Step) (any, error) {
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, len(st.Branches))
	var wg sync.WaitGroup
	for i, b := range st.Branches {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = r.step(pctx, f, b)
			if errs[i] != nil {
				cancel() // a branch that fails the run stops its siblings
			}
		}()
	}
	wg.Wait()
	out := map[string]any{}
	r.mu.Lock()
	for _, b := range st.Branches {
		if rec, ok := f.steps[b.ID].(map[string]any); ok {
			out[b.ID] = rec["output"]
		}
	}
	r.mu.Unlock()
	var t *terminated
	for _, err := range errs {
		if errors.As(err, &t) {
			return out, err
		}
	}
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return out, err
		}
	}
	for _, err := range errs {
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

func (r *run) assign(f *frame, st *Step) error {
	for _, a := range st.Assigns {
		v, err := r.eval(f, a.Expr)
		if err != nil {
			return fmt.Errorf("%s.%s: %w", st.Kind, a.Name, err)
		}
		r.mu.Lock()
		if st.Kind == KindSet {
			r.vars[a.Name] = v
		} else {
			cur, _ := r.vars[a.Name].([]any)
			next := append([]any{}, cur...)
			if l, ok := v.([]any); ok {
				next = append(next, l...)
			} else {
				next = append(next, v)
			}
			r.vars[a.Name] = next
		}
		r.mu.Unlock()
	}
	return nil
}

func (r *run) composeReport(ctx context.Context, f *frame, st *Step, now time.Time, key string) (any, error) {
	if r.req.Incident == nil {
		return nil, fmt.Errorf("report: the run has no incident")
	}
	var findings []skill.Finding
	var coverage []report.Coverage
	if err := r.decodeArg(f, st, "findings", &findings); err != nil {
		return nil, err
	}
	if err := r.decodeArg(f, st, "coverage", &coverage); err != nil {
		return nil, err
	}
	maxChars := 0
	if e := st.Args["max_chars"]; e != nil {
		v, err := r.eval(f, e)
		if err != nil {
			return nil, fmt.Errorf("max_chars: %w", err)
		}
		n, _ := v.(float64)
		maxChars = int(n)
	}
	rep := BuildReport(r.req.Incident, r.ents, findings, coverage)
	rep.Stats.SkillCalls = int(r.calls.Load())
	rep.Stats.CacheHits = int(r.cacheHits.Load())
	rep.Stats.GeneratedAt = r.start.UTC().Format(time.RFC3339)
	rep.Stats.DurationMS = now.Sub(r.start).Milliseconds()
	if err := r.summarize(ctx, rep, key+"/summary"); err != nil {
		return nil, err
	}
	format, err := report.ParseFormat(cmp.Or(st.Format, "md"))
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	if err := report.Render(&b, rep, format, report.Options{MaxChars: maxChars}); err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.rep, r.rendered = rep, b.String()
	r.mu.Unlock()
	return map[string]any{"text": b.String(), "format": string(format), "verdict": plain(rep.Verdict)}, nil
}

// summarize has the language model summarise a composed report, once per
// set of findings in a run: a playbook that composes the same report in
// two formats pays for one summary.
func (r *run) summarize(ctx context.Context, rep *report.Report, key string) error {
	if r.in.Summarize == nil {
		return nil
	}
	data, err := json.Marshal(map[string]any{"findings": rep.Findings, "verdict": rep.Verdict})
	if err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	memo := hex.EncodeToString(sum[:])
	r.mu.Lock()
	out, ok := r.summaries[memo]
	r.mu.Unlock()
	if !ok {
		v, err := r.do(ctx, key, Effect{Kind: EffectSummarize, Args: map[string]any{"report": plain(rep)}})
		if err != nil {
			return err
		}
		out, _ = v.(map[string]any)
		r.mu.Lock()
		if r.summaries == nil {
			r.summaries = map[string]map[string]any{}
		}
		r.summaries[memo] = out
		r.mu.Unlock()
	}
	if s, _ := out["model_summary"].(string); s != "" {
		rep.Verdict.ModelSummary = s
	}
	if st, ok := out["llm"].(map[string]any); ok {
		var stats report.LLMStats
		data, _ := json.Marshal(st)
		if json.Unmarshal(data, &stats) == nil {
			rep.Stats.LLM = &stats
		}
	}
	return nil
}

func (r *run) decodeArg(f *frame, st *Step, name string, dst any) error {
	e := st.Args[name]
	var v any
	if e == nil {
		r.mu.Lock()
		v = r.vars[name]
		r.mu.Unlock()
	} else {
		var err error
		if v, err = r.eval(f, e); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	if v == nil {
		return nil
	}
	data, err := json.Marshal(v)
	if err == nil {
		err = json.Unmarshal(data, dst)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

func (r *run) text(f *frame, st *Step, name string) (string, error) {
	v, err := r.eval(f, st.Args[name])
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	switch v := v.(type) {
	case string:
		return v, nil
	case nil:
		return "", nil
	}
	data, err := json.MarshalIndent(v, "", "  ")
	return string(data), err
}

func (r *run) writeFile(ctx context.Context, f *frame, st *Step, key string) (any, error) {
	path, err := r.text(f, st, "path")
	if err != nil {
		return nil, err
	}
	if path == "" {
		return nil, fmt.Errorf("path: empty")
	}
	content, err := r.text(f, st, "content")
	if err != nil {
		return nil, err
	}
	return r.do(ctx, key, Effect{Kind: EffectWriteFile, Path: path, Content: content})
}

// copilot submits a prompt step's content or runs a promptbook step's
// promptbook.
func (r *run) copilot(ctx context.Context, f *frame, st *Step, key string) (any, error) {
	eff := Effect{Kind: st.Kind}
	if e := st.Args["session"]; e != nil {
		s, err := r.text(f, st, "session")
		if err != nil {
			return nil, err
		}
		eff.Session = s
	}
	if st.Kind == KindPrompt {
		content, err := r.text(f, st, KindPrompt)
		if err != nil {
			return nil, err
		}
		if strings.TrimSpace(content) == "" {
			return nil, fmt.Errorf("prompt: empty")
		}
		eff.Prompt = content
	} else {
		eff.Promptbook, eff.Args = st.Promptbook, map[string]any{}
		for _, a := range st.With {
			v, err := r.eval(f, a.Expr)
			if err != nil {
				return nil, fmt.Errorf("with.%s: %w", a.Name, err)
			}
			eff.Args[a.Name] = v
		}
	}
	return r.do(ctx, key, eff)
}

// writeFileAtomic writes through a temporary file and a rename, so a run
// interrupted mid-write and performed again leaves one whole file.
func writeFileAtomic(path, content string) (any, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(content); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return nil, err
	}
	return map[string]any{"path": path, "bytes": float64(len(content))}, nil
}

func (r *run) webhook(ctx context.Context, f *frame, st *Step, key string) (any, error) {
	url, err := r.text(f, st, "url")
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
		return nil, fmt.Errorf("url: expected an http or https URL")
	}
	body, err := r.text(f, st, "body")
	if err != nil {
		return nil, err
	}
	return r.do(ctx, key, Effect{Kind: EffectWebhook, URL: url, Method: cmp.Or(st.Method, http.MethodPost), Body: body})
}

// sendWebhook sends the request with an Idempotency-Key header, so a
// receiver can recognise the same delivery performed again after a crash.
func (in *Interpreter) sendWebhook(ctx context.Context, eff Effect) (any, error) {
	req, err := http.NewRequestWithContext(ctx, cmp.Or(eff.Method, http.MethodPost), eff.URL, bytes.NewBufferString(eff.Body))
	if err != nil {
		return nil, fmt.Errorf("url: %w", scrubURLError(err))
	}
	req.Header.Set("Content-Type", "application/json")
	if eff.Key != "" {
		req.Header.Set("Idempotency-Key", eff.Key)
	}
	client := in.HTTP
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, scrubURLError(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("webhook answered %s", resp.Status)
	}
	return map[string]any{"status": float64(resp.StatusCode)}, nil
}

// scrubURLError keeps a webhook URL's query string (often a signature or
// token) out of error messages.
func scrubURLError(err error) error {
	var ue *neturl.Error
	if errors.As(err, &ue) {
		u, perr := neturl.Parse(ue.URL)
		if perr == nil {
			u.RawQuery, u.Fragment, u.User = "", "", nil
			return fmt.Errorf("%s %s: %w", ue.Op, u.String(), ue.Err)
		}
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// plain converts a Go value to the expression value model through JSON.
func plain(v any) any {
	data, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var out any
	if err := json.Unmarshal(data, &out); err != nil {
		return nil
	}
	return out
}
