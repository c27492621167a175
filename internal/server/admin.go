package server

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
)

type createTokenInput struct {
	Body struct {
		Name string `json:"name" minLength:"1" maxLength:"200" doc:"Who or what uses the token"`
		Role Role   `json:"role" enum:"viewer,analyst,admin" doc:"viewer reads; analyst also submits prompts; admin also manages tokens"`
	}
}

// CreatedToken is a new token with its secret, shown this once.
type CreatedToken struct {
	Token
	Secret string `json:"secret" doc:"The bearer token; it is not stored and cannot be shown again"`
}

type createTokenOutput struct{ Body CreatedToken }

type tokensOutput struct {
	Body struct {
		Tokens []Token `json:"tokens"`
	}
}

type tokenIDInput struct {
	ID string `path:"id" doc:"Token id (tok_...)"`
}

type auditInput struct {
	Limit int `query:"limit" minimum:"1" maximum:"1000" default:"100" doc:"Most entries to return, newest first"`
}

type auditOutput struct {
	Body struct {
		Entries []AuditEntry `json:"entries"`
	}
}

func (s *Server) adminRoutes() {
	createOp := operation(http.MethodPost, "/api/v1/tokens", "createToken", "Create an API token", RoleAdmin, true, "admin")
	createOp.DefaultStatus = http.StatusCreated
	huma.Register(s.api, createOp, func(ctx context.Context, in *createTokenInput) (*createTokenOutput, error) {
		tok, secret, err := s.tokens.Create(ctx, in.Body.Name, in.Body.Role)
		if err != nil {
			return nil, huma.Error422UnprocessableEntity(err.Error())
		}
		return &createTokenOutput{Body: CreatedToken{Token: tok, Secret: secret}}, nil
	})
	huma.Register(s.api, operation(http.MethodGet, "/api/v1/tokens", "listTokens", "List API tokens (never their secrets)", RoleAdmin, false, "admin"),
		func(ctx context.Context, _ *struct{}) (*tokensOutput, error) {
			list, err := s.tokens.List(ctx)
			if err != nil {
				return nil, apiError(err)
			}
			out := &tokensOutput{}
			out.Body.Tokens = list
			return out, nil
		})
	revokeOp := operation(http.MethodDelete, "/api/v1/tokens/{id}", "revokeToken", "Revoke an API token", RoleAdmin, true, "admin")
	revokeOp.DefaultStatus = http.StatusNoContent
	huma.Register(s.api, revokeOp, func(ctx context.Context, in *tokenIDInput) (*struct{}, error) {
		return nil, apiError(s.tokens.Revoke(ctx, in.ID))
	})
	huma.Register(s.api, operation(http.MethodGet, "/api/v1/settings", "getSettings",
		"Read the effective configuration (secrets shown as <secret>); change it in spotter.yaml or the environment and restart", RoleAdmin, false, "admin"),
		func(ctx context.Context, _ *struct{}) (*settingsOutput, error) {
			out := &settingsOutput{}
			out.Body = map[string]any{}
			if s.cfg.Settings != nil {
				out.Body = s.cfg.Settings()
			}
			return out, nil
		})
	huma.Register(s.api, operation(http.MethodGet, "/api/v1/audit", "listAudit", "Read the audit log, newest first", RoleAdmin, false, "admin"),
		func(ctx context.Context, in *auditInput) (*auditOutput, error) {
			list, err := s.audit.List(ctx, in.Limit)
			if err != nil {
				return nil, apiError(err)
			}
			out := &auditOutput{}
			out.Body.Entries = list
			return out, nil
		})
}

// settingsOutput is the redacted configuration.
type settingsOutput struct {
	Body map[string]any
}
