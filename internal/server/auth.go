package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"
)

// publicPaths answer without a token: load balancers probe the health
// routes, and the connector's Swagger document holds no secrets.
var publicPaths = map[string]bool{"/healthz": true, "/readyz": true, ConnectorSwaggerPath: true}

type principalKey struct{}

// principalFrom returns the token of the request (zero when public).
func principalFrom(ctx context.Context) Token {
	t, _ := ctx.Value(principalKey{}).(Token)
	return t
}

// authenticate requires a valid bearer token on every path except the
// health probes, and puts the token in the request's context. Unknown and
// revoked tokens get 401 without saying which.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if publicPaths[r.URL.Path] {
			next.ServeHTTP(w, r)
			return
		}
		scheme, secret, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(secret) == "" {
			unauthorized(w, "Authorization header: expected \"Bearer <token>\"")
			return
		}
		tok, err := s.tokens.Authenticate(r.Context(), strings.TrimSpace(secret))
		if err != nil {
			unauthorized(w, "Authorization header: "+ErrUnauthorized.Error())
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, tok)))
	})
}

func unauthorized(w http.ResponseWriter, msg string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="spotter"`)
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(http.StatusUnauthorized)
	_, _ = w.Write([]byte(`{"title":"Unauthorized","status":401,"detail":` + jsonString(msg) + `}`))
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// metaRole is the operation metadata key holding the least role allowed.
const metaRole = "role"

// metaAudit marks operations whose calls go to the audit log.
const metaAudit = "audit"

// authorize checks the operation's role against the token's and records
// audited operations with their outcome.
func (s *Server) authorize(ctx huma.Context, next func(huma.Context)) {
	op := ctx.Operation()
	need, _ := op.Metadata[metaRole].(Role)
	if need == "" {
		next(ctx)
		return
	}
	tok := principalFrom(ctx.Context())
	if !tok.Role.Allows(need) {
		_ = huma.WriteErr(s.api, ctx, http.StatusForbidden, "this operation needs the "+string(need)+" role; the token has "+string(tok.Role))
		s.record(ctx, tok, http.StatusForbidden)
		return
	}
	next(ctx)
	if audited, _ := op.Metadata[metaAudit].(bool); audited {
		s.record(ctx, tok, ctx.Status())
	}
}

func (s *Server) record(ctx huma.Context, tok Token, status int) {
	u := ctx.URL()
	e := AuditEntry{TokenID: tok.ID, TokenName: tok.Name, Role: tok.Role, Action: ctx.Operation().OperationID, Target: u.Path, Status: status}
	if err := s.audit.Record(context.WithoutCancel(ctx.Context()), e); err != nil {
		s.cfg.Log.Error("audit log write failed", "action", e.Action, "err", err)
	}
}
