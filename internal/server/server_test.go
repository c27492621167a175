package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/spotter-soc/spotter/internal/copilot"
)

// route is one API route with the least role allowed and the status a
// permitted call gets.
type route struct {
	method string
	path   func(h *harness) string
	body   any
	role   Role
	want   int
}

func fixed(p string) func(*harness) string { return func(*harness) string { return p } }

func routes() []route {
	directPrompt := copilot.PromptRequest{SkillName: "fakeintel.IPReputation", SkillInputs: map[string]any{"ip": "185.220.101.47"}}
	withEval := func(suffix string) func(h *harness) string {
		return func(h *harness) string {
			sid := h.newSession()
			res, code := h.submit(sid, directPrompt)
			if code != http.StatusCreated {
				h.t.Fatalf("submitting a prompt: status %d", code)
			}
			return "/api/v1/sessions/" + sid + "/evaluations/" + res.Evaluation.ID + suffix
		}
	}
	session := func(suffix string) func(h *harness) string {
		return func(h *harness) string { return "/api/v1/sessions/" + h.newSession() + suffix }
	}
	token := func(h *harness) string {
		tok, _, err := h.api.Tokens().Create(context.Background(), "spare", RoleViewer)
		if err != nil {
			h.t.Fatal(err)
		}
		return "/api/v1/tokens/" + tok.ID
	}
	return []route{
		{"POST", fixed("/api/v1/sessions"), map[string]any{"name": "x"}, RoleAnalyst, 201},
		{"GET", fixed("/api/v1/sessions"), nil, RoleViewer, 200},
		{"GET", session(""), nil, RoleViewer, 200},
		{"DELETE", session(""), nil, RoleAnalyst, 204},
		{"POST", session("/prompts"), directPrompt, RoleAnalyst, 201},
		{"GET", withEval(""), nil, RoleViewer, 200},
		{"POST", withEval("/cancel"), nil, RoleAnalyst, 200},
		{"GET", fixed("/api/v1/skills"), nil, RoleViewer, 200},
		{"GET", fixed("/api/v1/skills/fakeintel.IPReputation"), nil, RoleViewer, 200},
		{"GET", fixed("/api/v1/plugins"), nil, RoleViewer, 200},
		{"GET", fixed("/api/v1/plugins/fakeintel"), nil, RoleViewer, 200},
		{"POST", fixed("/api/v1/tokens"), map[string]any{"name": "bot", "role": "viewer"}, RoleAdmin, 201},
		{"GET", fixed("/api/v1/tokens"), nil, RoleAdmin, 200},
		{"DELETE", token, nil, RoleAdmin, 204},
		{"GET", fixed("/api/v1/audit"), nil, RoleAdmin, 200},
		{"GET", fixed("/api/v1/settings"), nil, RoleAdmin, 200},
		{"GET", fixed("/openapi.json"), nil, RoleViewer, 200},
	}
}

func TestRoutesRequireTokenAndRole(t *testing.T) {
	h := newHarness(t, "", copilot.Options{})
	roles := []Role{RoleViewer, RoleAnalyst, RoleAdmin}
	for _, r := range routes() {
		name := r.method + " " + r.path(h)
		if code := h.do(r.method, r.path(h), "", r.body, nil); code != http.StatusUnauthorized {
			t.Errorf("%s without a token: status %d, want 401", name, code)
		}
		if code := h.do(r.method, r.path(h), "spt_not-a-real-token", r.body, nil); code != http.StatusUnauthorized {
			t.Errorf("%s with an unknown token: status %d, want 401", name, code)
		}
		for _, role := range roles {
			want := r.want
			if !role.Allows(r.role) {
				want = http.StatusForbidden
			}
			if code := h.do(r.method, r.path(h), h.tokens[role], r.body, nil); code != want {
				t.Errorf("%s as %s: status %d, want %d", name, role, code, want)
			}
		}
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		if code := h.do("GET", p, "", nil, nil); code != http.StatusOK {
			t.Errorf("GET %s without a token: status %d, want 200", p, code)
		}
	}
}

func TestRevokedTokenIsRefused(t *testing.T) {
	h := newHarness(t, "", copilot.Options{})
	var created CreatedToken
	if code := h.do("POST", "/api/v1/tokens", h.tokens[RoleAdmin], map[string]any{"name": "temp", "role": "analyst"}, &created); code != 201 {
		t.Fatalf("create token: %d", code)
	}
	if !strings.HasPrefix(created.Secret, TokenPrefix) {
		t.Fatalf("secret %q does not start with %s", created.Secret, TokenPrefix)
	}
	if code := h.do("GET", "/api/v1/sessions", created.Secret, nil, nil); code != 200 {
		t.Fatalf("new token: %d", code)
	}
	var list struct{ Tokens []json.RawMessage }
	h.do("GET", "/api/v1/tokens", h.tokens[RoleAdmin], nil, &list)
	for _, raw := range list.Tokens {
		if strings.Contains(string(raw), created.Secret) || strings.Contains(string(raw), hashToken(created.Secret)) {
			t.Fatalf("token listing shows the secret or its hash: %s", raw)
		}
	}
	if code := h.do("DELETE", "/api/v1/tokens/"+created.ID, h.tokens[RoleAdmin], nil, nil); code != 204 {
		t.Fatalf("revoke: %d", code)
	}
	if code := h.do("GET", "/api/v1/sessions", created.Secret, nil, nil); code != 401 {
		t.Fatalf("revoked token: status %d, want 401", code)
	}
	var audit struct{ Entries []AuditEntry }
	h.do("GET", "/api/v1/audit", h.tokens[RoleAdmin], nil, &audit)
	var actions []string
	for _, e := range audit.Entries {
		actions = append(actions, e.Action+"/"+e.TokenName)
	}
	if got := strings.Join(actions, ","); !strings.Contains(got, "revokeToken/admin-user") || !strings.Contains(got, "createToken/admin-user") {
		t.Fatalf("audit log lacks the token operations: %s", got)
	}
}

func TestPromptFlow(t *testing.T) {
	eachDialect(t, func(t *testing.T, h *harness) {
		sid := h.newSession()
		res, code := h.submit(sid, copilot.PromptRequest{SkillName: "fakeintel.IPReputation", SkillInputs: map[string]any{"ip": "185.220.101[.]47", "days": 30}})
		if code != 201 || res.Evaluation.State != copilot.StateCompleted || res.Evaluation.ResultType != copilot.ResultSuccess {
			t.Fatalf("direct prompt: status %d, evaluation %+v", code, res.Evaluation)
		}
		src := res.Evaluation.Sources[0]
		if src.Skill != "fakeintel.IPReputation" || src.Plugin != "fakeintel" || src.CacheHit || len(src.Links) == 0 || src.Inputs["ip"] != "185.220.101[.]47" {
			t.Fatalf("skill source: %+v", src)
		}
		// The same call again is served from the cache.
		res2, _ := h.submit(sid, copilot.PromptRequest{SkillName: "fakeintel.IPReputation", SkillInputs: map[string]any{"ip": "185.220.101.47", "days": 30}})
		if !res2.Evaluation.Sources[0].CacheHit {
			t.Errorf("second identical call: cacheHit false")
		}
		// A natural-language prompt refers to the IP of the session.
		res3, _ := h.submit(sid, copilot.PromptRequest{Content: "Is this IP malicious?"})
		if res3.Evaluation.ResultType != copilot.ResultSuccess || !strings.Contains(res3.Evaluation.Content, "fakeintel.IPReputation") {
			t.Fatalf("planned prompt: %+v", res3.Evaluation)
		}
		res4, _ := h.submit(sid, copilot.PromptRequest{Content: "What's the weather like?"})
		if res4.Evaluation.ResultType != copilot.ResultRejected || len(res4.Evaluation.Suggestions) == 0 {
			t.Fatalf("unmappable prompt: %+v", res4.Evaluation)
		}
		var ev copilot.Evaluation
		if code := h.do("GET", fmt.Sprintf("/api/v1/sessions/%s/evaluations/%s?wait=1s", sid, res.Evaluation.ID), h.tokens[RoleViewer], nil, &ev); code != 200 || ev.ID != res.Evaluation.ID {
			t.Fatalf("get evaluation: %d %+v", code, ev)
		}
		var d copilot.SessionDetail
		h.do("GET", "/api/v1/sessions/"+sid, h.tokens[RoleViewer], nil, &d)
		if len(d.Prompts) != 4 || d.Prompts[3].Seq != 4 || d.Prompts[0].Evaluation == nil {
			t.Fatalf("session detail: %+v", d)
		}
		if code := h.do("DELETE", "/api/v1/sessions/"+sid, h.tokens[RoleAnalyst], nil, nil); code != 204 {
			t.Fatalf("delete: %d", code)
		}
		if code := h.do("GET", "/api/v1/sessions/"+sid, h.tokens[RoleViewer], nil, nil); code != 404 {
			t.Fatalf("deleted session: status %d, want 404", code)
		}
	})
}

func TestPromptValidationListsEveryProblem(t *testing.T) {
	h := newHarness(t, "", copilot.Options{})
	sid := h.newSession()
	var problem struct {
		Status int
		Errors []struct{ Location, Message string }
	}
	code := h.do("POST", "/api/v1/sessions/"+sid+"/prompts", h.tokens[RoleAnalyst],
		copilot.PromptRequest{SkillName: "fakeintel.IPReputation", SkillInputs: map[string]any{"days": 9999, "colour": "red"}, Plugins: []string{"nope"}}, &problem)
	if code != 422 {
		t.Fatalf("status %d, want 422", code)
	}
	var locs []string
	for _, e := range problem.Errors {
		locs = append(locs, e.Location)
	}
	for _, want := range []string{"body.plugins[0]", "body.skillName", "body.skillInputs.colour", "body.skillInputs.ip", "body.skillInputs.days"} {
		if !strings.Contains(strings.Join(locs, " "), want) {
			t.Errorf("no problem at %s; got %v", want, locs)
		}
	}
	for _, tc := range []struct {
		name, path string
		body       any
		want       int
	}{
		{"empty prompt", "/api/v1/sessions/" + sid + "/prompts", copilot.PromptRequest{}, 422},
		{"unknown skill", "/api/v1/sessions/" + sid + "/prompts", copilot.PromptRequest{SkillName: "nope.Nothing"}, 422},
		{"unknown session", "/api/v1/sessions/ses_missing/prompts", copilot.PromptRequest{Content: "Is 185.220.101.47 bad?"}, 404},
		{"bad wait", "/api/v1/sessions/" + sid + "/prompts?wait=forever", copilot.PromptRequest{Content: "Is 185.220.101.47 bad?"}, 422},
		{"bad token role", "/api/v1/tokens", map[string]any{"name": "x", "role": "root"}, 422},
	} {
		token := h.tokens[RoleAdmin]
		if code := h.do("POST", tc.path, token, tc.body, nil); code != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, code, tc.want)
		}
	}
	if code := h.do("GET", "/api/v1/sessions/"+sid+"/evaluations/evl_missing", h.tokens[RoleViewer], nil, nil); code != 404 {
		t.Errorf("unknown evaluation: status %d, want 404", code)
	}
	if code := h.do("GET", "/api/v1/skills/nope.Nothing", h.tokens[RoleViewer], nil, nil); code != 404 {
		t.Errorf("unknown skill: status %d, want 404", code)
	}
}

func TestOpenAPIDocument(t *testing.T) {
	h := newHarness(t, "", copilot.Options{})
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if code := h.do("GET", "/openapi.json", h.tokens[RoleViewer], nil, &doc); code != 200 {
		t.Fatalf("status %d", code)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Errorf("openapi version %q, want 3.1.x", doc.OpenAPI)
	}
	for _, p := range []string{"/api/v1/sessions", "/api/v1/sessions/{id}/prompts", "/api/v1/sessions/{id}/evaluations/{evalId}", "/api/v1/skills", "/api/v1/tokens", "/healthz"} {
		if _, ok := doc.Paths[p]; !ok {
			t.Errorf("the document lacks %s", p)
		}
	}
}
