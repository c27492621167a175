package copilot

import (
	"context"
	"strconv"
	"time"

	"github.com/spotter-soc/spotter/internal/llm"
)

// RunStep is one prompt of a promptbook run with its evaluation.
type RunStep struct {
	Prompt     Prompt     `json:"prompt"`
	Evaluation Evaluation `json:"evaluation"`
}

// PromptbookRun is the outcome of running a promptbook.
type PromptbookRun struct {
	Promptbook string    `json:"promptbook"`
	SessionID  string    `json:"sessionId"`
	Steps      []RunStep `json:"steps"`
	// Completed is true when every evaluation ended completed.
	Completed bool `json:"completed"`
	// Error says why the run stopped before its last prompt.
	Error string `json:"error,omitempty"`
	// Usage sums the model usage of the run's evaluations.
	Usage Usage `json:"usage"`
}

// RunPromptbook checks the inputs (every missing required input at once,
// as *PromptbookInputError) and every prompt after filling in the inputs
// (as *RequestError), then evaluates the prompts in order in the session,
// a new one when sessionID is empty. Each prompt waits for the one before,
// so that "this IP" and the like refer to its results. A failed prompt
// does not stop the run; ctx ending does, and the steps so far are returned.
func (e *Engine) RunPromptbook(ctx context.Context, pb Promptbook, inputs map[string]string, sessionID, by string) (PromptbookRun, error) {
	if err := pb.CheckInputs(inputs); err != nil {
		return PromptbookRun{}, err
	}
	reqs := pb.Requests(inputs)
	var probs []Problem
	for i, req := range reqs {
		if err := CheckRequest(e.inv, req); err != nil {
			if re, ok := IsRequestError(err); ok {
				for _, p := range re.Problems {
					probs = append(probs, Problem{Field: "prompts[" + strconv.Itoa(i) + "]." + p.Field, Message: p.Message})
				}
				continue
			}
			return PromptbookRun{}, err
		}
	}
	if len(probs) > 0 {
		return PromptbookRun{}, &RequestError{Problems: probs}
	}
	if sessionID == "" {
		s, err := e.repo.CreateSession(ctx, "Promptbook: "+pb.Name, by)
		if err != nil {
			return PromptbookRun{}, err
		}
		sessionID = s.ID
	} else if _, err := e.repo.Session(ctx, sessionID); err != nil {
		return PromptbookRun{}, err
	}
	run := PromptbookRun{Promptbook: pb.Name, SessionID: sessionID, Steps: []RunStep{}, Completed: true}
	var meter *llm.Meter
	if e.opts.Model != nil {
		meter = llm.NewMeter("run", e.opts.Model.Run, nil)
	}
	for _, req := range reqs {
		p, ev, err := e.submit(ctx, sessionID, req, by, meter)
		if err != nil {
			run.Completed, run.Error = false, err.Error()
			return run, err
		}
		if ev, err = e.Wait(ctx, sessionID, ev.ID); err != nil {
			run.Completed, run.Error = false, err.Error()
			return run, err
		}
		run.Steps = append(run.Steps, RunStep{Prompt: p, Evaluation: ev})
		run.Usage = run.Usage.Add(ev.Usage)
		if ev.State != StateCompleted {
			run.Completed = false
		}
		if ctx.Err() != nil {
			run.Completed, run.Error = false, "stopped: "+ctx.Err().Error()
			return run, ctx.Err()
		}
	}
	return run, nil
}

// Timeout is the bound on one evaluation.
func (e *Engine) Timeout() time.Duration { return e.opts.Timeout }

// DeleteSession cancels the session's queued and running evaluations,
// waits for the running ones to stop (until ctx ends), then deletes the
// session with its prompts and evaluations.
func (e *Engine) DeleteSession(ctx context.Context, sessionID string) error {
	if _, err := e.repo.Session(ctx, sessionID); err != nil {
		return err
	}
	e.mu.Lock()
	var running []*job
	for _, j := range e.jobs {
		if j.prompt.SessionID != sessionID {
			continue
		}
		j.cancelled = true
		j.cancel()
		if j.started {
			running = append(running, j)
		}
	}
	e.mu.Unlock()
	for _, j := range running {
		select {
		case <-j.done:
		case <-ctx.Done():
		}
	}
	return e.repo.DeleteSession(ctx, sessionID)
}
