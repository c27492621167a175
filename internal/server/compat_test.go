package server

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/spotter-soc/spotter/internal/copilot"
)

func keysOf(m map[string]any) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ",")
}

const (
	evaluationKeys = "errors,evaluationResultContent,evaluationResultType,promptContent,sessionId,skillName,skillSources,status"
	sourceKeys     = "displayName,sourceContent,sourceType"
)

func TestProcessPromptFieldNames(t *testing.T) {
	eachDialect(t, func(t *testing.T, h *harness) {
		analyst := h.tokens[RoleAnalyst]
		var out map[string]any
		code := h.do("POST", "/process-prompt", analyst, map[string]any{"PromptContent": "Is 185.220.101.47 malicious?", "PluginsToLoad": []string{"fakeintel"}}, &out)
		if code != http.StatusOK {
			t.Fatalf("process-prompt: %d %v", code, out)
		}
		if got := keysOf(out); got != evaluationKeys {
			t.Fatalf("keys %s, expected %s", got, evaluationKeys)
		}
		if out["status"] != "Completed" || out["evaluationResultType"] != "Success" || out["skillName"] != "fakeintel.IPReputation" {
			t.Errorf("answer: %v", out)
		}
		srcs, _ := out["skillSources"].([]any)
		if len(srcs) != 1 {
			t.Fatalf("skillSources: %v", out["skillSources"])
		}
		if got := keysOf(srcs[0].(map[string]any)); got != sourceKeys {
			t.Errorf("source keys %s, expected %s", got, sourceKeys)
		}
		sessionID, _ := out["sessionId"].(string)

		// A direct skill in the same session, scoped with Skillsets.
		out = nil
		code = h.do("POST", "/process-prompt", analyst, map[string]any{"SessionId": sessionID, "SkillName": "fakeintel.IPReputation",
			"SkillInputs": map[string]any{"ip": "8.8.8.8"}, "Skillsets": []string{"fakeintel"}, "Extra": true}, &out)
		if code != http.StatusOK || out["sessionId"] != sessionID || out["skillName"] != "fakeintel.IPReputation" {
			t.Fatalf("direct skill: %d %v", code, out)
		}
		var d copilot.SessionDetail
		h.do("GET", "/api/v1/sessions/"+sessionID, analyst, nil, &d)
		if len(d.Prompts) != 2 {
			t.Errorf("session has %d prompts, expected 2", len(d.Prompts))
		}

		if code := h.do("POST", "/process-prompt", analyst, map[string]any{"SkillName": "fakeintel.IPReputation", "SkillInputs": map[string]any{"days": 0}}, nil); code != http.StatusUnprocessableEntity {
			t.Errorf("invalid skill inputs: %d, expected 422", code)
		}
		if code := h.do("POST", "/process-prompt", analyst, map[string]any{"PromptContent": "hi", "SessionId": "ses_nope"}, nil); code != http.StatusNotFound {
			t.Errorf("unknown session: %d, expected 404", code)
		}
	})
}

func TestRunPromptbookFieldNames(t *testing.T) {
	eachDialect(t, func(t *testing.T, h *harness) {
		analyst := h.tokens[RoleAnalyst]
		if code := h.do("POST", "/api/v1/promptbooks", analyst, ipBook("ip-check"), nil); code != http.StatusCreated {
			t.Fatalf("create: %d", code)
		}
		var out map[string]any
		code := h.do("POST", "/run-promptbook", analyst, map[string]any{"PromptbookId": "ip-check",
			"PromptbookInputs": map[string]string{"IP": "185.220.101.47", "User": "alice@contoso.com"}}, &out)
		if code != http.StatusOK {
			t.Fatalf("run-promptbook: %d %v", code, out)
		}
		if got := keysOf(out); got != "SessionId,error,evaluationResults" {
			t.Fatalf("keys %s", got)
		}
		results, _ := out["evaluationResults"].([]any)
		if len(results) != 2 || out["error"] != "" || out["SessionId"] == "" {
			t.Fatalf("answer: %v", out)
		}
		for i, r := range results {
			if got := keysOf(r.(map[string]any)); got != evaluationKeys {
				t.Errorf("result %d keys %s, expected %s", i, got, evaluationKeys)
			}
		}

		var prob struct {
			Errors []struct{ Location string }
		}
		code = h.do("POST", "/run-promptbook", analyst, map[string]any{"PromptbookName": "ip-check", "PromptbookInputs": map[string]string{}}, &prob)
		if code != http.StatusBadRequest || len(prob.Errors) != 2 {
			t.Errorf("missing inputs: %d %+v, expected 400 listing IP and User", code, prob)
		}
		if code := h.do("POST", "/run-promptbook", analyst, map[string]any{}, nil); code != http.StatusBadRequest {
			t.Errorf("no promptbook named: %d, expected 400", code)
		}
		if code := h.do("POST", "/run-promptbook", analyst, map[string]any{"PromptbookName": "nope"}, nil); code != http.StatusNotFound {
			t.Errorf("unknown promptbook: %d, expected 404", code)
		}
	})
}

func TestConnectorSwaggerDocument(t *testing.T) {
	h := newHarness(t, "", copilot.Options{})
	resp, err := http.Get(h.srv.URL + ConnectorSwaggerPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s without a token: %d", ConnectorSwaggerPath, resp.StatusCode)
	}
	var doc struct {
		Swagger string                    `json:"swagger"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("the connector document is not JSON: %v", err)
	}
	if doc.Swagger != "2.0" || doc.Paths["/process-prompt"]["post"] == nil || doc.Paths["/run-promptbook"]["post"] == nil {
		t.Errorf("swagger %q, paths %v", doc.Swagger, doc.Paths)
	}
	copyOnDisk, err := os.ReadFile("../../docs/connector/swagger.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(copyOnDisk, ConnectorSwagger) {
		t.Error("docs/connector/swagger.json differs from internal/server/connector_swagger.json; copy one over the other")
	}
}
