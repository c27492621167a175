package server

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/spotter-soc/spotter/internal/copilot"
)

type createSessionInput struct {
	Body struct {
		Name string `json:"name,omitempty" maxLength:"200" doc:"A name for the investigation"`
	}
}

type sessionOutput struct{ Body copilot.Session }

type listSessionsInput struct {
	Limit int `query:"limit" minimum:"1" maximum:"1000" default:"100" doc:"Most sessions to return, newest first"`
}

type listSessionsOutput struct {
	Body struct {
		Sessions []copilot.Session `json:"sessions"`
	}
}

type sessionIDInput struct {
	ID string `path:"id" doc:"Session id"`
}

type sessionDetailOutput struct{ Body copilot.SessionDetail }

type submitInput struct {
	ID   string `path:"id" doc:"Session id"`
	Wait string `query:"wait" doc:"Block up to this long (e.g. 30s) for the evaluation to finish"`
	Body copilot.PromptRequest
}

// SubmitResult is a stored prompt with its evaluation.
type SubmitResult struct {
	Prompt     copilot.Prompt     `json:"prompt"`
	Evaluation copilot.Evaluation `json:"evaluation"`
}

type submitOutput struct{ Body SubmitResult }

type evaluationInput struct {
	ID     string `path:"id" doc:"Session id"`
	EvalID string `path:"evalId" doc:"Evaluation id"`
	Wait   string `query:"wait" doc:"Block up to this long (e.g. 30s) until the evaluation is done"`
}

type cancelInput struct {
	ID     string `path:"id" doc:"Session id"`
	EvalID string `path:"evalId" doc:"Evaluation id"`
}

type evaluationOutput struct{ Body copilot.Evaluation }

func (s *Server) sessionRoutes() {
	repo := s.cfg.Engine.Repo()
	const base = "/api/v1/sessions"
	createOp := operation(http.MethodPost, base, "createSession", "Create a session", RoleAnalyst, true, "sessions")
	createOp.DefaultStatus = http.StatusCreated
	huma.Register(s.api, createOp, func(ctx context.Context, in *createSessionInput) (*sessionOutput, error) {
		sess, err := repo.CreateSession(ctx, in.Body.Name, principalFrom(ctx).Name)
		if err != nil {
			return nil, apiError(err)
		}
		return &sessionOutput{Body: sess}, nil
	})
	huma.Register(s.api, operation(http.MethodGet, base, "listSessions", "List sessions, most recently used first", RoleViewer, false, "sessions"),
		func(ctx context.Context, in *listSessionsInput) (*listSessionsOutput, error) {
			list, err := repo.ListSessions(ctx, in.Limit)
			if err != nil {
				return nil, apiError(err)
			}
			out := &listSessionsOutput{}
			out.Body.Sessions = list
			return out, nil
		})
	huma.Register(s.api, operation(http.MethodGet, base+"/{id}", "getSession", "Get a session with its prompts and evaluations in order", RoleViewer, false, "sessions"),
		func(ctx context.Context, in *sessionIDInput) (*sessionDetailOutput, error) {
			d, err := repo.SessionDetail(ctx, in.ID)
			if err != nil {
				return nil, apiError(err)
			}
			return &sessionDetailOutput{Body: d}, nil
		})
	delOp := operation(http.MethodDelete, base+"/{id}", "deleteSession", "Delete a session with its prompts and evaluations; its running evaluations are cancelled", RoleAnalyst, true, "sessions")
	delOp.DefaultStatus = http.StatusNoContent
	huma.Register(s.api, delOp, func(ctx context.Context, in *sessionIDInput) (*struct{}, error) {
		return nil, apiError(s.cfg.Engine.DeleteSession(ctx, in.ID))
	})

	subOp := operation(http.MethodPost, base+"/{id}/prompts", "submitPrompt",
		"Submit a prompt: content, or skillName with skillInputs; creates an evaluation", RoleAnalyst, true, "prompts")
	subOp.DefaultStatus = http.StatusCreated
	huma.Register(s.api, subOp, func(ctx context.Context, in *submitInput) (*submitOutput, error) {
		wait, err := s.parseWait(in.Wait)
		if err != nil {
			return nil, err
		}
		if _, err := repo.Session(ctx, in.ID); err != nil {
			return nil, apiError(err)
		}
		p, ev, err := s.cfg.Engine.Submit(ctx, in.ID, in.Body, principalFrom(ctx).Name)
		if err != nil {
			return nil, apiError(err)
		}
		if wait > 0 && !ev.State.Done() {
			if ev, err = s.wait(ctx, in.ID, ev.ID, wait); err != nil {
				return nil, apiError(err)
			}
		}
		return &submitOutput{Body: SubmitResult{Prompt: p, Evaluation: ev}}, nil
	})
	huma.Register(s.api, operation(http.MethodGet, base+"/{id}/evaluations/{evalId}", "getEvaluation",
		"Get an evaluation; ?wait=30s blocks until it is done", RoleViewer, false, "evaluations"),
		func(ctx context.Context, in *evaluationInput) (*evaluationOutput, error) {
			wait, err := s.parseWait(in.Wait)
			if err != nil {
				return nil, err
			}
			var ev copilot.Evaluation
			if wait > 0 {
				ev, err = s.wait(ctx, in.ID, in.EvalID, wait)
			} else {
				ev, err = repo.Evaluation(ctx, in.ID, in.EvalID)
			}
			if err != nil {
				return nil, apiError(err)
			}
			return &evaluationOutput{Body: ev}, nil
		})
	huma.Register(s.api, operation(http.MethodPost, base+"/{id}/evaluations/{evalId}/cancel", "cancelEvaluation",
		"Cancel a queued or running evaluation", RoleAnalyst, true, "evaluations"),
		func(ctx context.Context, in *cancelInput) (*evaluationOutput, error) {
			ev, err := s.cfg.Engine.Cancel(ctx, in.ID, in.EvalID)
			if err != nil {
				return nil, apiError(err)
			}
			return &evaluationOutput{Body: ev}, nil
		})
}

// wait blocks until the evaluation is done, d passes or the client leaves.
func (s *Server) wait(ctx context.Context, sessionID, evalID string, d time.Duration) (copilot.Evaluation, error) {
	wctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	return s.cfg.Engine.Wait(wctx, sessionID, evalID)
}
