package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/spotter-soc/spotter/internal/runs"
)

// RunService starts durable playbook runs and reads their history (the
// run engine of the same process).
type RunService interface {
	runs.Starter
	History() *runs.History
	Cancel(ctx context.Context, id string) error
}

type listRunsInput struct {
	Status   string `query:"status" enum:"queued,running,succeeded,failed,cancelled," doc:"Only runs with this status"`
	Playbook string `query:"playbook" doc:"Only runs of this playbook"`
	Limit    int    `query:"limit" minimum:"1" maximum:"1000" default:"50" doc:"Most runs to return, newest first"`
}

type listRunsOutput struct {
	Body struct {
		Runs []runs.Run `json:"runs"`
	}
}

type runIDInput struct {
	ID string `path:"id" doc:"Run id, or a unique prefix of it"`
}

type playbookRunOutput struct{ Body *runs.Run }

type startRunInput struct {
	Body struct {
		Playbook string          `json:"playbook,omitempty" doc:"A built-in playbook's name (or one in runs.playbooks_dir); with source, the name to record"`
		Source   string          `json:"source,omitempty" doc:"A playbook's YAML text, for playbooks that are not installed"`
		Incident json.RawMessage `json:"incident,omitempty" doc:"The incident the run is about, in any shape 'spotter investigate' accepts"`
		Inputs   map[string]any  `json:"inputs,omitempty" doc:"Playbook inputs by name"`
		Key      string          `json:"key,omitempty" maxLength:"500" doc:"Idempotency key: a start with the key of an earlier run returns that run"`
	}
}

// StartedRun answers a run start.
type StartedRun struct {
	ID      string `json:"id"`
	Existed bool   `json:"existed" doc:"True when the key matched an earlier run and nothing new started"`
}

type startRunOutput struct{ Body StartedRun }

func (s *Server) runRoutes() {
	if s.cfg.Runs == nil {
		return
	}
	huma.Register(s.api, operation(http.MethodGet, "/api/v1/runs", "listRuns", "List durable playbook runs, newest first", RoleViewer, false, "runs"),
		func(ctx context.Context, in *listRunsInput) (*listRunsOutput, error) {
			list, err := s.cfg.Runs.History().List(ctx, runs.ListOptions{Status: in.Status, Playbook: in.Playbook, Limit: in.Limit})
			if err != nil {
				return nil, apiError(err)
			}
			out := &listRunsOutput{}
			out.Body.Runs = list
			if out.Body.Runs == nil {
				out.Body.Runs = []runs.Run{}
			}
			return out, nil
		})
	huma.Register(s.api, operation(http.MethodGet, "/api/v1/runs/{id}", "getRun",
		"Read a run: status, timings, step records, effects with inputs and outputs (secrets redacted), report", RoleViewer, false, "runs"),
		func(ctx context.Context, in *runIDInput) (*playbookRunOutput, error) {
			run, err := s.cfg.Runs.History().Get(ctx, in.ID)
			if err != nil {
				return nil, runError(err)
			}
			return &playbookRunOutput{Body: run}, nil
		})
	startOp := operation(http.MethodPost, "/api/v1/runs", "startRun", "Start a durable playbook run; it is executed by a worker", RoleAnalyst, true, "runs")
	startOp.DefaultStatus = http.StatusAccepted
	huma.Register(s.api, startOp, func(ctx context.Context, in *startRunInput) (*startRunOutput, error) {
		req := runs.StartRequest{Playbook: in.Body.Playbook, Source: in.Body.Source, Incident: in.Body.Incident, Inputs: in.Body.Inputs,
			Key: in.Body.Key, Trigger: "manual", Origin: "api"}
		if len(req.Incident) > 0 && string(req.Incident) != "null" {
			req.Trigger = "incident"
		} else {
			req.Incident = nil
		}
		id, existed, err := s.cfg.Runs.Start(ctx, req)
		if err != nil {
			return nil, huma.Error422UnprocessableEntity(err.Error())
		}
		return &startRunOutput{Body: StartedRun{ID: id, Existed: existed}}, nil
	})
	huma.Register(s.api, operation(http.MethodPost, "/api/v1/runs/{id}/cancel", "cancelRun", "Cancel a queued or running run", RoleAnalyst, true, "runs"),
		func(ctx context.Context, in *runIDInput) (*playbookRunOutput, error) {
			run, err := s.cfg.Runs.History().Get(ctx, in.ID)
			if err != nil {
				return nil, runError(err)
			}
			switch run.Status {
			case runs.StatusSucceeded, runs.StatusFailed, runs.StatusCancelled:
				return nil, huma.Error409Conflict("the run has already ended (" + run.Status + ")")
			}
			if err := s.cfg.Runs.Cancel(ctx, run.ID); err != nil {
				return nil, apiError(err)
			}
			run, err = s.cfg.Runs.History().Get(ctx, run.ID)
			if err != nil {
				return nil, runError(err)
			}
			return &playbookRunOutput{Body: run}, nil
		})
}

func runError(err error) error {
	switch {
	case errors.Is(err, runs.ErrNotFound):
		return huma.Error404NotFound(err.Error())
	case errors.Is(err, runs.ErrAmbiguous):
		return huma.Error400BadRequest(err.Error())
	}
	return apiError(err)
}
