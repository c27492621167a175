package server

import (
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/spotter-soc/spotter/internal/copilot"
)

// ipBook is a promptbook over the harness's fake skills: a direct skill
// with a placeholder, then a prompt that refers to the first result.
func ipBook(name string) map[string]any {
	return map[string]any{
		"name": name, "description": "IP check", "tags": []string{"ip"},
		"inputs": []map[string]any{{"name": "IP", "description": "the IP", "required": true}, {"name": "User", "required": true}},
		"prompts": []map[string]any{
			{"skillName": "fakeintel.IPReputation", "skillInputs": map[string]any{"ip": "<IP>"}},
			{"content": "Is this IP malicious?"},
		},
	}
}

func TestPromptbookRoutesNeedTokenAndRole(t *testing.T) {
	h := newHarness(t, "", copilot.Options{})
	cases := []struct {
		method, path string
		body         any
		need         Role
	}{
		{"GET", "/api/v1/promptbooks", nil, RoleViewer},
		{"GET", "/api/v1/promptbooks/suspicious-ip", nil, RoleViewer},
		{"POST", "/api/v1/promptbooks", ipBook("x"), RoleAnalyst},
		{"PUT", "/api/v1/promptbooks/x", ipBook("x"), RoleAnalyst},
		{"DELETE", "/api/v1/promptbooks/x", nil, RoleAnalyst},
		{"POST", "/api/v1/promptbooks/suspicious-ip/runs", map[string]any{}, RoleAnalyst},
		{"POST", "/process-prompt", map[string]any{"PromptContent": "hi"}, RoleAnalyst},
		{"POST", "/run-promptbook", map[string]any{"PromptbookName": "suspicious-ip"}, RoleAnalyst},
	}
	for _, c := range cases {
		if code := h.do(c.method, c.path, "", c.body, nil); code != http.StatusUnauthorized {
			t.Errorf("%s %s without a token: %d, expected 401", c.method, c.path, code)
		}
		if c.need == RoleAnalyst {
			if code := h.do(c.method, c.path, h.tokens[RoleViewer], c.body, nil); code != http.StatusForbidden {
				t.Errorf("%s %s as viewer: %d, expected 403", c.method, c.path, code)
			}
		}
	}
}

func TestPromptbookCRUDAndRun(t *testing.T) {
	eachDialect(t, func(t *testing.T, h *harness) {
		analyst := h.tokens[RoleAnalyst]
		var pb copilot.Promptbook
		if code := h.do("POST", "/api/v1/promptbooks", analyst, ipBook("ip-check"), &pb); code != http.StatusCreated || pb.Source != copilot.SourceAPI {
			t.Fatalf("create: %d %+v", code, pb)
		}
		if code := h.do("POST", "/api/v1/promptbooks", analyst, ipBook("ip-check"), nil); code != http.StatusConflict {
			t.Errorf("creating a taken name: %d, expected 409", code)
		}
		var prob struct {
			Errors []struct{ Location, Message string }
		}
		bad := map[string]any{"name": "Bad Name", "prompts": []map[string]any{{"content": "<Nope>"}}}
		if code := h.do("POST", "/api/v1/promptbooks", analyst, bad, &prob); code != http.StatusUnprocessableEntity || len(prob.Errors) != 2 {
			t.Errorf("invalid promptbook: %d %+v, expected 422 with 2 problems", code, prob)
		}
		var list struct{ Promptbooks []copilot.Promptbook }
		h.do("GET", "/api/v1/promptbooks", h.tokens[RoleViewer], nil, &list)
		names := map[string]string{}
		for _, p := range list.Promptbooks {
			names[p.Name] = p.Source
		}
		if names["ip-check"] != "api" || names["incident-triage"] != "builtin" {
			t.Errorf("list: %v", names)
		}
		if code := h.do("PUT", "/api/v1/promptbooks/incident-triage", analyst, ipBook("incident-triage"), nil); code != http.StatusConflict {
			t.Errorf("changing a built-in: %d, expected 409", code)
		}
		if code := h.do("DELETE", "/api/v1/promptbooks/suspicious-ip", analyst, nil, nil); code != http.StatusConflict {
			t.Errorf("deleting a built-in: %d, expected 409", code)
		}
		upd := ipBook("ip-check")
		upd["description"] = "changed"
		if code := h.do("PUT", "/api/v1/promptbooks/ip-check", analyst, upd, &pb); code != http.StatusOK || pb.Description != "changed" {
			t.Errorf("update: %d %+v", code, pb)
		}

		prob.Errors = nil
		if code := h.do("POST", "/api/v1/promptbooks/ip-check/runs", analyst, map[string]any{"inputs": map[string]string{}}, &prob); code != http.StatusBadRequest {
			t.Fatalf("run without inputs: %d, expected 400", code)
		}
		var missing []string
		for _, e := range prob.Errors {
			missing = append(missing, e.Location)
		}
		sort.Strings(missing)
		if strings.Join(missing, ",") != "body.inputs.IP,body.inputs.User" {
			t.Errorf("missing inputs listed as %v, expected both", missing)
		}
		var run copilot.PromptbookRun
		body := map[string]any{"inputs": map[string]string{"IP": "185.220.101.47", "User": "alice@contoso.com"}}
		if code := h.do("POST", "/api/v1/promptbooks/ip-check/runs", analyst, body, &run); code != http.StatusOK {
			t.Fatalf("run: %d", code)
		}
		if len(run.Steps) != 2 || !run.Completed || run.Steps[0].Evaluation.Sources[0].Inputs["ip"] != "185.220.101.47" {
			t.Fatalf("run: %+v", run)
		}
		if src := run.Steps[1].Evaluation.Sources; len(src) == 0 || src[0].Inputs["ip"] != "185.220.101.47" {
			t.Errorf("the second prompt did not refer to the first's IP: %+v", src)
		}
		if code := h.do("DELETE", "/api/v1/promptbooks/ip-check", analyst, nil, nil); code != http.StatusNoContent {
			t.Errorf("delete: %d", code)
		}
		if code := h.do("GET", "/api/v1/promptbooks/ip-check", analyst, nil, nil); code != http.StatusNotFound {
			t.Errorf("after delete: %d, expected 404", code)
		}
		if code := h.do("POST", "/api/v1/promptbooks/nope/runs", analyst, map[string]any{}, nil); code != http.StatusNotFound {
			t.Errorf("running an unknown promptbook: %d, expected 404", code)
		}
	})
}
