package server

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/spotter-soc/spotter/internal/copilot"
)

type listPromptbooksOutput struct {
	Body struct {
		Promptbooks []copilot.Promptbook `json:"promptbooks"`
	}
}

type promptbookNameInput struct {
	Name string `path:"name" doc:"Promptbook name"`
}

type promptbookOutput struct{ Body copilot.Promptbook }

type createPromptbookInput struct {
	Body copilot.Promptbook
}

type updatePromptbookInput struct {
	Name string `path:"name" doc:"Promptbook name"`
	Body copilot.Promptbook
}

// RunRequest starts a promptbook run.
type RunRequest struct {
	Inputs    map[string]string `json:"inputs,omitempty" doc:"Values of the promptbook's inputs by name"`
	SessionID string            `json:"sessionId,omitempty" doc:"Continue this session (default: a new one)"`
}

type runInput struct {
	Name string `path:"name" doc:"Promptbook name"`
	Body RunRequest
}

type runOutput struct{ Body copilot.PromptbookRun }

func (s *Server) promptbookRoutes() {
	lib := s.cfg.Promptbooks
	const base = "/api/v1/promptbooks"
	huma.Register(s.api, operation(http.MethodGet, base, "listPromptbooks", "List promptbooks: built-in, from the promptbooks directory, and created through the API", RoleViewer, false, "promptbooks"),
		func(ctx context.Context, _ *struct{}) (*listPromptbooksOutput, error) {
			list, err := lib.List(ctx)
			if err != nil {
				return nil, apiError(err)
			}
			out := &listPromptbooksOutput{}
			out.Body.Promptbooks = nonNilBooks(list)
			return out, nil
		})
	huma.Register(s.api, operation(http.MethodGet, base+"/{name}", "getPromptbook", "Get a promptbook", RoleViewer, false, "promptbooks"),
		func(ctx context.Context, in *promptbookNameInput) (*promptbookOutput, error) {
			pb, err := lib.Get(ctx, in.Name)
			if err != nil {
				return nil, apiError(err)
			}
			return &promptbookOutput{Body: pb}, nil
		})
	createOp := operation(http.MethodPost, base, "createPromptbook", "Create a promptbook; its name may not be taken", RoleAnalyst, true, "promptbooks")
	createOp.DefaultStatus = http.StatusCreated
	huma.Register(s.api, createOp, func(ctx context.Context, in *createPromptbookInput) (*promptbookOutput, error) {
		pb, err := lib.Create(ctx, in.Body, principalFrom(ctx).Name)
		if err != nil {
			return nil, apiError(err)
		}
		return &promptbookOutput{Body: pb}, nil
	})
	huma.Register(s.api, operation(http.MethodPut, base+"/{name}", "updatePromptbook", "Replace a promptbook created through the API (built-ins are read-only)", RoleAnalyst, true, "promptbooks"),
		func(ctx context.Context, in *updatePromptbookInput) (*promptbookOutput, error) {
			pb, err := lib.Update(ctx, in.Name, in.Body)
			if err != nil {
				return nil, apiError(err)
			}
			return &promptbookOutput{Body: pb}, nil
		})
	delOp := operation(http.MethodDelete, base+"/{name}", "deletePromptbook", "Delete a promptbook created through the API (built-ins are read-only)", RoleAnalyst, true, "promptbooks")
	delOp.DefaultStatus = http.StatusNoContent
	huma.Register(s.api, delOp, func(ctx context.Context, in *promptbookNameInput) (*struct{}, error) {
		return nil, apiError(lib.Delete(ctx, in.Name))
	})
	runOp := operation(http.MethodPost, base+"/{name}/runs", "runPromptbook",
		"Run a promptbook: evaluates its prompts in order in a new or given session and answers when all are done", RoleAnalyst, true, "promptbooks")
	runOp.Errors = append(runOp.Errors, http.StatusBadRequest)
	huma.Register(s.api, runOp, func(ctx context.Context, in *runInput) (*runOutput, error) {
		pb, err := lib.Get(ctx, in.Name)
		if err != nil {
			return nil, apiError(err)
		}
		rctx, cancel := s.runContext(ctx, len(pb.Prompts))
		defer cancel()
		run, err := s.cfg.Engine.RunPromptbook(rctx, pb, in.Body.Inputs, in.Body.SessionID, principalFrom(ctx).Name)
		if err != nil && len(run.Steps) == 0 {
			return nil, apiError(err)
		}
		return &runOutput{Body: run}, nil
	})
}

// runContext bounds a blocking run of n prompts by the evaluation timeout
// of each, plus a margin for queueing.
func (s *Server) runContext(ctx context.Context, n int) (context.Context, context.CancelFunc) {
	if n < 1 {
		n = 1
	}
	return context.WithTimeout(ctx, time.Duration(n)*s.cfg.Engine.Timeout()+10*time.Second)
}

func nonNilBooks(list []copilot.Promptbook) []copilot.Promptbook {
	if list == nil {
		return []copilot.Promptbook{}
	}
	return list
}

// promptbookError turns promptbook library and run errors into HTTP problems;
// it returns nil for other errors.
func promptbookError(err error) error {
	var ie *copilot.PromptbookInputError
	if errors.As(err, &ie) {
		details := make([]error, len(ie.Problems))
		for i, p := range ie.Problems {
			details[i] = &huma.ErrorDetail{Location: "body." + p.Field, Message: p.Message}
		}
		return huma.Error400BadRequest("the inputs of promptbook "+ie.Promptbook+" are invalid; every problem is listed", details...)
	}
	switch {
	case errors.Is(err, copilot.ErrReadOnly):
		return huma.Error409Conflict(err.Error() + "; only promptbooks created through the API can be changed")
	case errors.Is(err, copilot.ErrExists):
		return huma.Error409Conflict(err.Error())
	}
	return nil
}
