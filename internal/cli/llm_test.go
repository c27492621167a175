package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spotter-soc/spotter/internal/llm/fakellm"
	"github.com/spotter-soc/spotter/internal/skill/skilltest"
)

// TestInvestigateWithSummarizer configures a summarizer on a fake model:
// the report gets the model's summary and the run's tokens and cost, and
// the key shows nowhere.
func TestInvestigateWithSummarizer(t *testing.T) {
	const key = "sk-cli-test-9a8b7c6d5e4f"
	srv := fakellm.New(key)
	srv.Respond = func(int, fakellm.Request) fakellm.Step {
		return fakellm.Step{Text: "Likely a true positive: the sender domain is new.", PromptTokens: 1500, CompletionTokens: 40}
	}
	defer srv.Close()
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "spotter.yaml")
	cfg := `data_dir: ` + filepath.Join(dir, "data") + `
llm:
  summarizer: local
  providers:
    local:
      kind: openai-compatible
      base_url: ` + srv.URL + `/v1
      api_key: ` + key + `
      model: llama3.1:8b
      prompt_price: 0.001
      completion_price: 0.002
`
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := run(t, "", []string{"HOME=" + dir}, "--config", cfgFile, "investigate", "--format", "json", examples(t)[0])
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var r struct {
		Verdict struct {
			ModelSummary string `json:"model_summary"`
		} `json:"verdict"`
		Stats struct {
			LLM struct {
				Provider     string  `json:"provider"`
				Calls        int     `json:"calls"`
				PromptTokens int     `json:"prompt_tokens"`
				CostUSD      float64 `json:"cost_usd"`
			} `json:"llm"`
		} `json:"stats"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Verdict.ModelSummary, "true positive") || r.Stats.LLM.Provider != "local" || r.Stats.LLM.Calls != 1 || r.Stats.LLM.PromptTokens != 1500 {
		t.Errorf("verdict %+v stats %+v", r.Verdict, r.Stats.LLM)
	}
	if len(srv.Requests()) != 1 || !strings.Contains(srv.Requests()[0].Raw, "data-") {
		t.Errorf("%d model calls, want one summary call", len(srv.Requests()))
	}
	code, md, errs := run(t, "", []string{"HOME=" + dir}, "--config", cfgFile, "investigate", examples(t)[0])
	if code != ExitOK || !strings.Contains(md, "Model summary") {
		t.Errorf("exit %d, markdown without the model summary: %s", code, errs)
	}
	code, settings, _ := run(t, "", []string{"HOME=" + dir}, "--config", cfgFile, "config", "show")
	skilltest.NoLeak(t, []string{key}, out, md, errs, settings)
	_ = code
}

// TestPromptWithModelPlanner plans `spotter prompt` with a configured
// planner: the model's answer is printed and its usage reported.
func TestPromptWithModelPlanner(t *testing.T) {
	const key = "sk-cli-planner-5e4d3c2b1a09"
	srv := fakellm.New(key, fakellm.Step{Text: "No skill is needed: 10.0.0.5 is a private address.", PromptTokens: 700, CompletionTokens: 30})
	defer srv.Close()
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "spotter.yaml")
	cfg := `data_dir: ` + filepath.Join(dir, "data") + `
llm:
  planner: gpt
  providers:
    gpt:
      kind: openai
      base_url: ` + srv.URL + `/v1
      api_key: ` + key + `
      model: gpt-test
`
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := run(t, "", []string{"HOME=" + dir}, "--config", cfgFile, "prompt", "Is 10.0.0.5 bad?")
	if code != ExitOK || !strings.Contains(out, "private address") || !strings.Contains(errs, "llm:gpt: 1 model calls, 700 prompt + 30 completion tokens") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	names := srv.Requests()[0].ToolNames()
	if len(names) == 0 {
		t.Error("the configured local skills must be offered as tools")
	}
	skilltest.NoLeak(t, []string{key}, out, errs)
}

// TestDurableRunWithSummarizer: a durable run's report carries the model
// summary, the summary is a recorded effect, and history holds no key.
func TestDurableRunWithSummarizer(t *testing.T) {
	const key = "sk-durable-test-1f2e3d4c5b6a"
	srv := fakellm.New(key)
	srv.Respond = func(int, fakellm.Request) fakellm.Step {
		return fakellm.Step{Text: "Ransomware staging confirmed on one server.", PromptTokens: 900, CompletionTokens: 30}
	}
	defer srv.Close()
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "spotter.yaml")
	cfg := "data_dir: " + filepath.Join(dir, "data") + "\nllm:\n  summarizer: local\n  providers:\n    local:\n      kind: openai-compatible\n      base_url: " +
		srv.URL + "/v1\n      api_key: " + key + "\n      model: llama3.1:8b\n"
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"HOME=" + dir}
	code, out, errs := run(t, "", env, "--config", cfgFile, "runs", "start", "incident-enrichment", "--incident", examples(t)[0])
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "Ransomware staging confirmed") {
		t.Errorf("the durable run's report lacks the model summary:\n%.2000s", out)
	}
	code, out, _ = run(t, "", env, "--config", cfgFile, "runs", "list", "--json")
	var list []struct{ ID string }
	if code != ExitOK || json.Unmarshal([]byte(out), &list) != nil || len(list) != 1 {
		t.Fatalf("runs list: %d %s", code, out)
	}
	code, out, _ = run(t, "", env, "--config", cfgFile, "runs", "show", "--json", list[0].ID)
	if code != ExitOK || !strings.Contains(out, `"kind": "summarize"`) || strings.Contains(out, key) {
		t.Errorf("runs show --json: the summary is not a recorded effect, or the key leaked:\n%.1500s", out)
	}
}
