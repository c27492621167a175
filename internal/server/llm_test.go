package server

import (
	"net/http"
	"testing"

	"github.com/spotter-soc/spotter/internal/config"
	"github.com/spotter-soc/spotter/internal/copilot"
	"github.com/spotter-soc/spotter/internal/gateway"
	"github.com/spotter-soc/spotter/internal/llm"
	"github.com/spotter-soc/spotter/internal/llm/fakellm"
	"github.com/spotter-soc/spotter/internal/skill"
	"github.com/spotter-soc/spotter/internal/skill/skilltest"
)

// TestEvaluationAPIShowsModelUsageAndFlags plans a prompt with a scripted
// model: the evaluation carries the planner, the tokens and cost, and the
// flags on its answer; the session sums the usage.
func TestEvaluationAPIShowsModelUsageAndFlags(t *testing.T) {
	const key = "sk-server-test-1f2e3d4c5b6a"
	srv := fakellm.New(key,
		fakellm.Step{Calls: []fakellm.Call{{Name: "fakeintel__IPReputation", Args: map[string]any{"ip": "185.220.101.47"}}}, PromptTokens: 300, CompletionTokens: 20},
		fakellm.Step{Text: "185.220.101.47 is malicious [fakeintel.IPReputation]; it has been blocked. See https://elsewhere.example/x", PromptTokens: 500, CompletionTokens: 40})
	defer srv.Close()
	model, err := llm.NewModel("fake", config.LLMProvider{Kind: config.LLMKindOpenAI, BaseURL: srv.URL + "/v1", APIKey: key, Model: "m",
		PromptPrice: 0.01, CompletionPrice: 0.03}, gateway.New(skill.NewRegistry(), nil, gateway.Config{}, nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, "", copilot.Options{Model: model})
	sid := h.newSession()
	res, code := h.submit(sid, copilot.PromptRequest{Content: "Is 185.220.101.47 malicious?"})
	if code != http.StatusCreated && code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	ev := res.Evaluation
	if ev.State != copilot.StateCompleted || ev.Planner != "llm:fake" || ev.Usage.TotalTokens != 860 || ev.Usage.ModelCalls != 2 {
		t.Fatalf("evaluation %+v", ev)
	}
	if want := (800*0.01 + 60*0.03) / 1000; ev.Usage.CostUSD < want-1e-9 || ev.Usage.CostUSD > want+1e-9 {
		t.Errorf("cost %v, want %v", ev.Usage.CostUSD, want)
	}
	kinds := map[string]bool{}
	for _, f := range ev.Flags {
		kinds[f.Kind] = true
	}
	if !kinds[copilot.FlagUnsupportedAction] || !kinds[copilot.FlagUnsupportedLink] {
		t.Errorf("flags %+v", ev.Flags)
	}
	var raw map[string]any
	h.do("GET", "/api/v1/sessions/"+sid+"/evaluations/"+ev.ID, h.tokens[RoleViewer], nil, &raw)
	usage, _ := raw["usage"].(map[string]any)
	if usage["costUsd"] == nil || usage["promptTokens"] != float64(800) || raw["planner"] != "llm:fake" || raw["flags"] == nil {
		t.Errorf("evaluation JSON %v", raw)
	}
	var detail copilot.SessionDetail
	h.do("GET", "/api/v1/sessions/"+sid, h.tokens[RoleViewer], nil, &detail)
	if detail.Usage.TotalTokens != 860 {
		t.Errorf("session usage %+v", detail.Usage)
	}
	skilltest.NoLeak(t, []string{key}, raw, detail)
}
