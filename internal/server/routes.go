package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/spotter-soc/spotter/internal/copilot"
)

// operation declares a route with the least role allowed to call it.
func operation(method, path, id, summary string, role Role, audited bool, tags ...string) huma.Operation {
	op := huma.Operation{OperationID: id, Method: method, Path: path, Summary: summary, Tags: tags,
		Metadata: map[string]any{metaRole: role, metaAudit: audited}}
	if role != "" {
		op.Security = []map[string][]string{{"bearer": {}}}
		op.Description = "Needs the " + string(role) + " role."
		op.Errors = []int{http.StatusUnauthorized, http.StatusForbidden}
	}
	return op
}

func (s *Server) routes() {
	s.healthRoutes()
	s.sessionRoutes()
	s.catalogRoutes()
	s.adminRoutes()
	s.promptbookRoutes()
	s.compatRoutes()
	s.runRoutes()
}

// HealthBody answers the health probes.
type HealthBody struct {
	Status string `json:"status" example:"ok"`
	Detail string `json:"detail,omitempty"`
}

type healthOutput struct{ Body HealthBody }

func (s *Server) healthRoutes() {
	huma.Register(s.api, operation(http.MethodGet, "/healthz", "healthz", "Liveness: the process answers", "", false, "health"),
		func(ctx context.Context, _ *struct{}) (*healthOutput, error) {
			return &healthOutput{Body: HealthBody{Status: "ok"}}, nil
		})
	huma.Register(s.api, operation(http.MethodGet, "/readyz", "readyz", "Readiness: the database answers", "", false, "health"),
		func(ctx context.Context, _ *struct{}) (*healthOutput, error) {
			pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			if err := s.cfg.Store.DB().PingContext(pctx); err != nil {
				return nil, huma.Error503ServiceUnavailable("the database does not answer")
			}
			return &healthOutput{Body: HealthBody{Status: "ready"}}, nil
		})
}

// apiError turns package errors into HTTP problems.
func apiError(err error) error {
	if err == nil {
		return nil
	}
	if perr := promptbookError(err); perr != nil {
		return perr
	}
	if re, ok := copilot.IsRequestError(err); ok {
		details := make([]error, len(re.Problems))
		for i, p := range re.Problems {
			details[i] = &huma.ErrorDetail{Location: "body." + p.Field, Message: p.Message}
		}
		return huma.Error422UnprocessableEntity("the prompt is invalid; every problem is listed", details...)
	}
	switch {
	case errors.Is(err, copilot.ErrNotFound), errors.Is(err, ErrNoToken):
		return huma.Error404NotFound(err.Error())
	case errors.Is(err, copilot.ErrClosed):
		return huma.Error503ServiceUnavailable(err.Error())
	case errors.Is(err, context.Canceled):
		return huma.Error503ServiceUnavailable("the request was cancelled")
	}
	return huma.Error500InternalServerError("internal error: " + err.Error())
}

// parseWait reads a ?wait= duration ("30s"), bounded by the server's maximum.
func (s *Server) parseWait(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, huma.Error422UnprocessableEntity("invalid wait", &huma.ErrorDetail{Location: "query.wait", Value: v,
			Message: "expected a duration such as 30s or 2m"})
	}
	if d > s.cfg.MaxWait {
		return 0, huma.Error422UnprocessableEntity("invalid wait", &huma.ErrorDetail{Location: "query.wait", Value: v,
			Message: fmt.Sprintf("expected at most %s", s.cfg.MaxWait)})
	}
	return d, nil
}
