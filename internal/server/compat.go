package server

import (
	"context"
	_ "embed"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/spotter-soc/spotter/internal/copilot"
)

// The compatibility endpoints let a Logic App or Power Automate custom
// connector built for Security Copilot call Spotter instead. Their field
// names are the connector's, not Spotter's usual camelCase.

// ConnectorSwaggerPath serves the Swagger 2.0 document of the two
// compatibility endpoints, for importing as a custom connector.
const ConnectorSwaggerPath = "/connector/swagger.json"

// ConnectorSwagger is the Swagger 2.0 document of the compatibility
// endpoints; docs/connector/swagger.json is a copy.
//
//go:embed connector_swagger.json
var ConnectorSwagger []byte

func serveConnectorSwagger(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(ConnectorSwagger)
}

// ProcessPromptRequest is the body of POST /process-prompt.
type ProcessPromptRequest struct {
	_             struct{}       `json:"-" additionalProperties:"true"`
	PromptContent string         `json:"PromptContent,omitempty" doc:"The prompt in plain words"`
	SessionID     string         `json:"SessionId,omitempty" doc:"Continue this session (default: a new one)"`
	SkillName     string         `json:"SkillName,omitempty" doc:"Run this skill directly instead of planning"`
	SkillInputs   map[string]any `json:"SkillInputs,omitempty" doc:"Inputs of the direct skill"`
	PluginsToLoad []string       `json:"PluginsToLoad,omitempty" doc:"Plugins the planner may use"`
	Skillsets     []string       `json:"Skillsets,omitempty" doc:"Same as PluginsToLoad"`
}

// CompatSource is one skill call in a compatibility answer.
type CompatSource struct {
	DisplayName   string `json:"displayName"`
	SourceType    string `json:"sourceType"`
	SourceContent string `json:"sourceContent"`
}

// CompatEvaluation is the answer of POST /process-prompt and one item of
// POST /run-promptbook's evaluationResults.
type CompatEvaluation struct {
	SessionID               string         `json:"sessionId"`
	SkillName               string         `json:"skillName"`
	PromptContent           string         `json:"promptContent"`
	EvaluationResultType    string         `json:"evaluationResultType" doc:"Success, Error, Rejected, TimedOut or CapacityExceeded; empty when cancelled or still running"`
	EvaluationResultContent string         `json:"evaluationResultContent" doc:"The answer in Markdown"`
	SkillSources            []CompatSource `json:"skillSources"`
	Status                  string         `json:"status" doc:"Completed, Failed, Cancelled, or Running when the wait ran out"`
	Errors                  []string       `json:"errors"`
}

// RunPromptbookRequest is the body of POST /run-promptbook.
type RunPromptbookRequest struct {
	_                struct{}          `json:"-" additionalProperties:"true"`
	PromptbookID     string            `json:"PromptbookId,omitempty" doc:"The promptbook's name (Spotter promptbooks are identified by name)"`
	PromptbookName   string            `json:"PromptbookName,omitempty" doc:"The promptbook's name"`
	PromptbookInputs map[string]string `json:"PromptbookInputs,omitempty" doc:"Values of the promptbook's inputs"`
	SessionID        string            `json:"SessionId,omitempty" doc:"Continue this session (default: a new one)"`
}

// RunPromptbookResponse answers POST /run-promptbook.
type RunPromptbookResponse struct {
	SessionID         string             `json:"SessionId"`
	EvaluationResults []CompatEvaluation `json:"evaluationResults"`
	Error             string             `json:"error"`
}

type processPromptInput struct{ Body ProcessPromptRequest }

type processPromptOutput struct{ Body CompatEvaluation }

type runPromptbookCompatInput struct{ Body RunPromptbookRequest }

type runPromptbookCompatOutput struct{ Body RunPromptbookResponse }

func (s *Server) compatRoutes() {
	repo := s.cfg.Engine.Repo()
	pp := operation(http.MethodPost, "/process-prompt", "processPrompt",
		"Security Copilot compatible: evaluate a prompt or skill and answer when done", RoleAnalyst, true, "compatibility")
	huma.Register(s.api, pp, func(ctx context.Context, in *processPromptInput) (*processPromptOutput, error) {
		b := in.Body
		req := copilot.PromptRequest{Content: b.PromptContent, SkillName: b.SkillName, SkillInputs: b.SkillInputs,
			Plugins: append(append([]string{}, b.PluginsToLoad...), b.Skillsets...)}
		if len(req.Plugins) == 0 {
			req.Plugins = nil
		}
		if err := copilot.CheckRequest(s.cfg.Engine.Invoker(), req); err != nil {
			return nil, apiError(err)
		}
		sessionID := b.SessionID
		if sessionID == "" {
			name := req.Content
			if name == "" {
				name = req.SkillName
			}
			sess, err := repo.CreateSession(ctx, shorten(name, 80), principalFrom(ctx).Name)
			if err != nil {
				return nil, apiError(err)
			}
			sessionID = sess.ID
		} else if _, err := repo.Session(ctx, sessionID); err != nil {
			return nil, apiError(err)
		}
		p, ev, err := s.cfg.Engine.Submit(ctx, sessionID, req, principalFrom(ctx).Name)
		if err != nil {
			return nil, apiError(err)
		}
		wctx, cancel := s.runContext(ctx, 1)
		defer cancel()
		if ev, err = s.cfg.Engine.Wait(wctx, sessionID, ev.ID); err != nil {
			return nil, apiError(err)
		}
		return &processPromptOutput{Body: compatEvaluation(p, ev)}, nil
	})
	rp := operation(http.MethodPost, "/run-promptbook", "runPromptbookCompat",
		"Security Copilot compatible: run a promptbook and answer when every prompt is done", RoleAnalyst, true, "compatibility")
	rp.Errors = append(rp.Errors, http.StatusBadRequest)
	huma.Register(s.api, rp, func(ctx context.Context, in *runPromptbookCompatInput) (*runPromptbookCompatOutput, error) {
		b := in.Body
		name := strings.TrimSpace(b.PromptbookName)
		if name == "" {
			name = strings.TrimSpace(b.PromptbookID)
		}
		if name == "" {
			return nil, huma.Error400BadRequest("the promptbook is missing", &huma.ErrorDetail{Location: "body.PromptbookName",
				Message: "expected PromptbookName or PromptbookId (GET /api/v1/promptbooks lists them)"})
		}
		pb, err := s.cfg.Promptbooks.Get(ctx, name)
		if err != nil {
			return nil, apiError(err)
		}
		rctx, cancel := s.runContext(ctx, len(pb.Prompts))
		defer cancel()
		run, err := s.cfg.Engine.RunPromptbook(rctx, pb, b.PromptbookInputs, b.SessionID, principalFrom(ctx).Name)
		if err != nil && len(run.Steps) == 0 {
			return nil, apiError(err)
		}
		out := RunPromptbookResponse{SessionID: run.SessionID, EvaluationResults: []CompatEvaluation{}}
		for _, st := range run.Steps {
			out.EvaluationResults = append(out.EvaluationResults, compatEvaluation(st.Prompt, st.Evaluation))
		}
		if err != nil {
			out.Error = err.Error()
		} else if !run.Completed {
			out.Error = "not every prompt completed; see the status and errors of each evaluation result"
		}
		return &runPromptbookCompatOutput{Body: out}, nil
	})
}

// compatEvaluation renders a prompt and its evaluation in the connector's shape.
func compatEvaluation(p copilot.Prompt, ev copilot.Evaluation) CompatEvaluation {
	out := CompatEvaluation{SessionID: ev.SessionID, SkillName: p.SkillName, PromptContent: p.Content,
		EvaluationResultType: title(string(ev.ResultType)), EvaluationResultContent: ev.Content,
		SkillSources: []CompatSource{}, Status: title(string(ev.State)), Errors: []string{}}
	if !ev.State.Done() {
		out.Status = "Running"
	}
	var skills []string
	for _, src := range ev.Sources {
		skills = append(skills, src.Skill)
		content := strings.Join(src.Links, "\n")
		if src.Error != "" {
			content = "error: " + src.Error
			out.Errors = append(out.Errors, src.Skill+": "+src.Error)
		}
		out.SkillSources = append(out.SkillSources, CompatSource{DisplayName: src.Skill, SourceType: "skill:" + src.Plugin, SourceContent: content})
	}
	if out.SkillName == "" {
		out.SkillName = strings.Join(skills, ", ")
	}
	if ev.Error != "" && len(out.Errors) == 0 {
		out.Errors = append(out.Errors, ev.Error)
	}
	return out
}

// title upper-cases the first letter: "timedOut" becomes "TimedOut".
func title(s string) string {
	if s == "" {
		return ""
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func shorten(s string, n int) string {
	r := []rune(strings.Join(strings.Fields(s), " "))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n-1]) + "…"
}
