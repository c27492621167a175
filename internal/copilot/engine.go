package copilot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/spotter-soc/spotter/internal/llm"
)

// Options size the engine.
type Options struct {
	// Workers is how many evaluations run at once (default 8).
	Workers int
	// Queue is how many evaluations may wait for a worker (default 64);
	// beyond it a prompt's evaluation ends at once as capacityExceeded.
	Queue int
	// Timeout bounds one evaluation (default 2 minutes); past it the
	// evaluation fails as timedOut.
	Timeout time.Duration
	// Heartbeat is how often the engine renews the lease of its unfinished
	// evaluations (default 30s); see FailOrphaned.
	Heartbeat time.Duration
	Log       *slog.Logger
	// Model, when set, plans prompts by tool calling; the rule planner
	// takes over when the model fails or its budget is spent. Rounds
	// bounds the tool-calling rounds of one evaluation (default 4).
	Model  *llm.Model
	Rounds int
}

func (o Options) withDefaults() Options {
	if o.Workers <= 0 {
		o.Workers = 8
	}
	if o.Queue <= 0 {
		o.Queue = 64
	}
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Minute
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = 30 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return o
}

// ErrClosed is returned by Submit after Close.
var ErrClosed = errors.New("copilot: the engine is shutting down")

// job is one queued or running evaluation.
type job struct {
	prompt    Prompt
	eval      Evaluation
	ctx       context.Context
	cancel    context.CancelFunc
	done      chan struct{}
	run       *llm.Meter // the promptbook run's budget, if any
	cancelled bool       // by a caller, not by the timeout; guarded by Engine.mu
	started   bool       // taken by a worker; guarded by Engine.mu
}

// Engine stores prompts and runs their evaluations on a bounded pool of
// workers. It is safe for concurrent use.
type Engine struct {
	repo    *Repo
	inv     Invoker
	opts    Options
	planner Planner
	// id names this engine as the worker of its evaluations.
	id string

	queue chan *job
	wg    sync.WaitGroup
	base  context.Context
	stop  context.CancelFunc

	mu     sync.Mutex
	jobs   map[string]*job // by evaluation id, until done
	closed bool
}

// NewEngine starts the workers. Close stops them.
func NewEngine(repo *Repo, inv Invoker, opts Options) *Engine {
	opts = opts.withDefaults()
	base, stop := context.WithCancel(context.Background())
	e := &Engine{repo: repo, inv: inv, opts: opts, queue: make(chan *job, opts.Queue), base: base, stop: stop, jobs: map[string]*job{},
		id: newID("wrk_")}
	for range opts.Workers {
		e.wg.Add(1)
		go e.worker()
	}
	go e.heartbeat()
	return e
}

// Repo returns the engine's repository.
func (e *Engine) Repo() *Repo { return e.repo }

// Invoker returns the engine's skill invoker.
func (e *Engine) Invoker() Invoker { return e.inv }

// Submit validates a prompt (every problem at once, as *RequestError),
// stores it with a new evaluation and queues the evaluation. When the
// queue is full the evaluation is returned already failed with result
// capacityExceeded.
func (e *Engine) Submit(ctx context.Context, sessionID string, req PromptRequest, by string) (Prompt, Evaluation, error) {
	return e.submit(ctx, sessionID, req, by, nil)
}

// submit is Submit with the meter of the run the prompt belongs to.
func (e *Engine) submit(ctx context.Context, sessionID string, req PromptRequest, by string, run *llm.Meter) (Prompt, Evaluation, error) {
	if err := CheckRequest(e.inv, req); err != nil {
		return Prompt{}, Evaluation{}, err
	}
	e.mu.Lock()
	closed := e.closed
	e.mu.Unlock()
	if closed {
		return Prompt{}, Evaluation{}, ErrClosed
	}
	p, ev, err := e.repo.AddPrompt(ctx, sessionID, req, by)
	if err != nil {
		return Prompt{}, Evaluation{}, err
	}
	if err := e.repo.claim(ctx, ev.ID, e.id); err != nil {
		return Prompt{}, Evaluation{}, err
	}
	jctx, cancel := context.WithTimeout(e.base, e.opts.Timeout)
	j := &job{prompt: p, eval: ev, ctx: jctx, cancel: cancel, done: make(chan struct{}), run: run}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		cancel()
		return Prompt{}, Evaluation{}, ErrClosed
	}
	select {
	case e.queue <- j:
		e.jobs[ev.ID] = j
		e.mu.Unlock()
		return p, ev, nil
	default:
	}
	e.mu.Unlock()
	cancel()
	now := time.Now().UTC()
	ev.State, ev.ResultType, ev.CompletedAt = StateFailed, ResultCapacityExceeded, &now
	ev.Content = fmt.Sprintf("Spotter is busy: %d evaluations are running and %d are waiting. Submit the prompt again in a moment.", e.opts.Workers, e.opts.Queue)
	if err := e.repo.SaveEvaluation(context.WithoutCancel(ctx), ev); err != nil {
		return Prompt{}, Evaluation{}, err
	}
	return p, ev, nil
}

// Wait blocks until the evaluation is done or ctx ends, then returns its
// stored state.
func (e *Engine) Wait(ctx context.Context, sessionID, evalID string) (Evaluation, error) {
	ev, err := e.repo.Evaluation(ctx, sessionID, evalID)
	if err != nil || ev.State.Done() {
		return ev, err
	}
	e.mu.Lock()
	j := e.jobs[evalID]
	e.mu.Unlock()
	if j != nil {
		select {
		case <-j.done:
		case <-ctx.Done():
		}
	}
	return e.repo.Evaluation(context.WithoutCancel(ctx), sessionID, evalID)
}

// Cancel stops a queued or running evaluation; it ends as cancelled. An
// evaluation already done is returned unchanged.
func (e *Engine) Cancel(ctx context.Context, sessionID, evalID string) (Evaluation, error) {
	ev, err := e.repo.Evaluation(ctx, sessionID, evalID)
	if err != nil {
		return Evaluation{}, err
	}
	e.mu.Lock()
	j := e.jobs[evalID]
	started := false
	if j != nil {
		j.cancelled = true
		started = j.started
		j.cancel()
	}
	e.mu.Unlock()
	if j == nil {
		return ev, nil
	}
	if !started {
		// Still queued: the worker that takes it will skip it.
		now := time.Now().UTC()
		ev.State, ev.Error, ev.Content, ev.CompletedAt = StateCancelled, "cancelled on request", "The evaluation was cancelled.", &now
		return ev, e.repo.SaveEvaluation(context.WithoutCancel(ctx), ev)
	}
	<-j.done
	return e.repo.Evaluation(context.WithoutCancel(ctx), sessionID, evalID)
}

// Close stops taking prompts, lets queued and running evaluations finish
// until ctx ends, then cancels the rest and waits for the workers.
func (e *Engine) Close(ctx context.Context) error {
	e.mu.Lock()
	if !e.closed {
		e.closed = true
		close(e.queue)
	}
	e.mu.Unlock()
	finished := make(chan struct{})
	go func() { e.wg.Wait(); close(finished) }()
	select {
	case <-finished:
		e.stop()
		return nil
	case <-ctx.Done():
		e.stop()
		<-finished
		return ctx.Err()
	}
}

func (e *Engine) worker() {
	defer e.wg.Done()
	for j := range e.queue {
		e.runJob(j)
	}
}

// runJob moves an evaluation through running to its final state.
func (e *Engine) runJob(j *job) {
	defer func() {
		j.cancel()
		e.mu.Lock()
		delete(e.jobs, j.eval.ID)
		e.mu.Unlock()
		close(j.done)
	}()
	e.mu.Lock()
	j.started = true
	skip := j.cancelled
	e.mu.Unlock()
	if skip {
		return
	}
	save := context.Background()
	ev := j.eval
	now := time.Now().UTC()
	ev.StartedAt = &now
	if j.ctx.Err() == nil {
		ev.State = StateRunning
		if err := e.repo.SaveEvaluation(save, ev); err != nil {
			e.opts.Log.Error("saving an evaluation failed", "evaluation", ev.ID, "err", err)
		}
		ev = e.evaluate(j.ctx, j.prompt, ev, j.run)
	}
	end := time.Now().UTC()
	ev.CompletedAt = &end
	e.mu.Lock()
	cancelled := j.cancelled
	e.mu.Unlock()
	switch {
	case cancelled:
		ev.State, ev.ResultType, ev.Error = StateCancelled, "", "cancelled on request"
		if ev.Content == "" {
			ev.Content = "The evaluation was cancelled."
		}
	case errors.Is(j.ctx.Err(), context.DeadlineExceeded):
		ev.State, ev.ResultType = StateFailed, ResultTimedOut
		ev.Error = fmt.Sprintf("the evaluation took longer than %s", e.opts.Timeout)
		ev.Content = "The evaluation timed out after " + e.opts.Timeout.String() + ".\n\n" + ev.Content
	case j.ctx.Err() != nil:
		ev.State, ev.ResultType, ev.Error = StateCancelled, "", "the server shut down before the evaluation finished"
	case ev.ResultType == ResultError:
		ev.State = StateFailed
	default:
		ev.State = StateCompleted
	}
	if err := e.repo.SaveEvaluation(save, ev); err != nil {
		e.opts.Log.Error("saving an evaluation failed", "evaluation", ev.ID, "err", err)
	}
}
