package copilot

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spotter-soc/spotter/internal/config"
	"github.com/spotter-soc/spotter/internal/gateway"
	"github.com/spotter-soc/spotter/internal/llm"
	"github.com/spotter-soc/spotter/internal/llm/fakellm"
	"github.com/spotter-soc/spotter/internal/skill"
	"github.com/spotter-soc/spotter/internal/skill/skilltest"
)

const (
	llmKey   = "sk-llm-test-5f3c9a1b7e2d4c60"
	alphaKey = "alpha-secret-0b9e8d7c6a5f"
	betaKey  = "beta-secret-4a3b2c1d0e9f"
)

// testPlugin is a provider plugin with a secret setting whose one skill
// answers with text the test controls (a provider response).
type testPlugin struct {
	name  string
	skill skill.Spec
	reply func(in skill.Inputs) *skill.Result

	mu    sync.Mutex
	calls []string
}

func (p *testPlugin) Info() skill.PluginInfo {
	return skill.PluginInfo{Name: p.name, Description: "test provider " + p.name,
		Settings: []skill.Setting{{Name: "api_key", Required: true, Secret: true, Description: "key"}}, Skills: []skill.Spec{p.skill}}
}

func (p *testPlugin) New(env skill.Env) ([]skill.Skill, error) {
	return []skill.Skill{skill.Func{S: p.skill, F: func(ctx context.Context, in skill.Inputs) (*skill.Result, error) {
		p.mu.Lock()
		p.calls = append(p.calls, p.skill.ID)
		p.mu.Unlock()
		return p.reply(in), nil
	}}}, nil
}

func (p *testPlugin) Calls() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.calls)
}

// llmRig is an engine whose planner is a scripted model behind the real
// gateway, over two plugins: alpha (in scope) and beta (outside it).
type llmRig struct {
	engine      *Engine
	srv         *fakellm.Server
	alpha, beta *testPlugin
	logs        *bytes.Buffer
	reply       string // text put in alpha's results (a provider response)
}

func newLLMRig(t *testing.T, budget config.LLMBudget) *llmRig {
	t.Helper()
	rig := &llmRig{logs: &bytes.Buffer{}}
	rig.alpha = &testPlugin{name: "alpha", skill: skill.Spec{ID: "alpha.CheckIP", Description: "IP reputation from Alpha", Inputs: []skill.Input{
		{Name: "ip", Type: skill.TypeString, Required: true, Format: skill.FormatIndicator, Description: "IPv4 or IPv6 address"},
		{Name: "days", Type: skill.TypeInteger, Min: skill.Int(1), Max: skill.Int(365), Description: "look-back in days"},
	}, Enriches: []string{"ip"}, IndicatorInput: "ip", CacheTTL: -1}}
	rig.alpha.reply = func(in skill.Inputs) *skill.Result {
		ip := in.String("ip")
		return &skill.Result{Summary: "Alpha on " + ip + ": " + rig.reply, Links: []string{"https://alpha.example/ip/" + ip},
			Findings: []skill.Finding{{Indicator: ip, Type: "ip", Level: skill.Malicious, Score: 88, Source: "Alpha", Summary: rig.reply, Link: "https://alpha.example/ip/" + ip}}}
	}
	rig.beta = &testPlugin{name: "beta", skill: skill.Spec{ID: "beta.Lookup", Description: "Look anything up in Beta", Inputs: []skill.Input{
		{Name: "target", Type: skill.TypeString, Required: true, Description: "what to look up"}}, CacheTTL: -1}}
	rig.beta.reply = func(in skill.Inputs) *skill.Result { return &skill.Result{Summary: "beta ran"} }
	reg := skill.NewRegistry()
	reg.MustRegister(rig.alpha)
	reg.MustRegister(rig.beta)
	log := slog.New(slog.NewTextHandler(rig.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	gw := gateway.New(reg, map[string]map[string]any{"alpha": {"api_key": alphaKey}, "beta": {"api_key": betaKey}},
		gateway.Config{MaxRetries: 1, BackoffBase: time.Millisecond, BackoffMax: 2 * time.Millisecond, BreakerFailures: 1000}, nil, log)
	rig.srv = fakellm.New(llmKey)
	t.Cleanup(rig.srv.Close)
	model, err := llm.NewModel("fake", config.LLMProvider{Kind: config.LLMKindOpenAI, BaseURL: rig.srv.URL + "/v1", APIKey: llmKey, Model: "gpt-fake",
		PromptPrice: 0.005, CompletionPrice: 0.015, Budget: budget}, gw)
	if err != nil {
		t.Fatal(err)
	}
	rig.engine = newEngine(t, OpenTestStore(t, ""), GatewayInvoker{GW: gw}, Options{Model: model, Log: log, Timeout: 20 * time.Second})
	return rig
}

func (rig *llmRig) ask(t *testing.T, session, content string, scope ...string) Evaluation {
	t.Helper()
	ctx := context.Background()
	_, ev, err := rig.engine.Submit(ctx, session, PromptRequest{Content: content, Plugins: scope}, "tester")
	if err != nil {
		t.Fatal(err)
	}
	ev, err = rig.engine.Wait(ctx, session, ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func (rig *llmRig) session(t *testing.T) string {
	s, err := rig.engine.Repo().CreateSession(context.Background(), "llm", "tester")
	if err != nil {
		t.Fatal(err)
	}
	return s.ID
}

func TestLLMPlannerCallsToolsAndCitesSources(t *testing.T) {
	rig := newLLMRig(t, config.LLMBudget{})
	rig.reply = "reported 42 times for SSH brute force"
	rig.srv.Script = []fakellm.Step{
		{Calls: []fakellm.Call{{Name: "alpha__CheckIP", Args: map[string]any{"ip": "45.155.205[.]233", "days": 30}}}, PromptTokens: 400, CompletionTokens: 20},
		{Text: "45.155.205.233 is **malicious**: reported 42 times for SSH brute force [alpha.CheckIP] (https://alpha.example/ip/45.155.205.233). Block it at the perimeter.",
			PromptTokens: 700, CompletionTokens: 60},
	}
	s := rig.session(t)
	ev := rig.ask(t, s, "Is 45.155.205.233 malicious?", "alpha")
	if ev.State != StateCompleted || ev.ResultType != ResultSuccess || ev.Planner != "llm:fake" || ev.Fallback != "" {
		t.Fatalf("evaluation %+v", ev)
	}
	if len(ev.Sources) != 1 || ev.Sources[0].Skill != "alpha.CheckIP" || ev.Sources[0].Inputs["ip"] != "45.155.205[.]233" || ev.Sources[0].Error != "" {
		t.Fatalf("sources %+v", ev.Sources)
	}
	if len(ev.Flags) != 0 {
		t.Errorf("flags %+v", ev.Flags)
	}
	if !strings.Contains(ev.Content, "(https://alpha.example/ip/45.155.205.233)") || !strings.Contains(ev.Content, "[alpha.CheckIP]") || !strings.Contains(ev.Content, "**Sources**") || !strings.Contains(ev.Content, "`alpha.CheckIP`") {
		t.Errorf("content:\n%s", ev.Content)
	}
	want := Usage{PromptTokens: 1100, CompletionTokens: 80, TotalTokens: 1180, ModelCalls: 2, CostUSD: (1100*0.005 + 80*0.015) / 1000}
	if ev.Usage.PromptTokens != want.PromptTokens || ev.Usage.TotalTokens != want.TotalTokens || ev.Usage.ModelCalls != 2 || !near(ev.Usage.CostUSD, want.CostUSD) {
		t.Errorf("usage %+v, want %+v", ev.Usage, want)
	}
	if got := ev.Entities[KindIP]; len(got) == 0 {
		t.Errorf("entities %v", ev.Entities)
	}
	reqs := rig.srv.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d model calls", len(reqs))
	}
	for _, r := range reqs {
		if names := r.ToolNames(); !slices.Equal(names, []string{"alpha__CheckIP"}) {
			t.Errorf("tools offered %v, want only the scope's", names)
		}
	}
	if !strings.Contains(reqs[1].Raw, "data-") || !strings.Contains(reqs[1].Raw, "skill:alpha.CheckIP") {
		t.Errorf("the tool result must be fenced data: %s", reqs[1].Raw)
	}
	// Stored and summed per session.
	d, err := rig.engine.Repo().SessionDetail(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if d.Usage.TotalTokens != 1180 || d.Prompts[0].Evaluation.Planner != "llm:fake" {
		t.Errorf("session usage %+v planner %q", d.Usage, d.Prompts[0].Evaluation.Planner)
	}
	skilltest.NoLeak(t, []string{llmKey, alphaKey, betaKey}, ev, d, rig.logs.String())
}

func near(a, b float64) bool { return a-b < 1e-12 && b-a < 1e-12 }

func TestLLMPlannerFallsBackToRules(t *testing.T) {
	t.Run("model error", func(t *testing.T) {
		rig := newLLMRig(t, config.LLMBudget{})
		rig.srv.Script = []fakellm.Step{{Status: 400, ErrorMessage: "context length exceeded"}}
		ev := rig.ask(t, rig.session(t), "Check the reputation of 45.155.205.233", "alpha")
		if ev.Planner != "rules" || !strings.Contains(ev.Fallback, "context length exceeded") || ev.State != StateCompleted {
			t.Fatalf("evaluation %+v", ev)
		}
		if len(ev.Sources) != 1 || ev.Sources[0].Skill != "alpha.CheckIP" {
			t.Errorf("rule sources %+v", ev.Sources)
		}
		skilltest.NoLeak(t, []string{llmKey, alphaKey, betaKey}, ev, rig.logs.String())
	})
	t.Run("evaluation budget", func(t *testing.T) {
		rig := newLLMRig(t, config.LLMBudget{EvaluationTokens: 1000})
		rig.srv.Script = []fakellm.Step{
			{Calls: []fakellm.Call{{Name: "alpha__CheckIP", Args: map[string]any{"ip": "45.155.205.233"}}}, PromptTokens: 990, CompletionTokens: 20},
			{Text: "never reached"},
		}
		ev := rig.ask(t, rig.session(t), "Check the reputation of 45.155.205.233", "alpha")
		if ev.Planner != "rules" || !strings.Contains(ev.Fallback, "evaluation token budget of 1000 is spent") {
			t.Fatalf("evaluation %+v", ev)
		}
		if ev.Usage.TotalTokens != 1010 || len(rig.srv.Requests()) != 1 {
			t.Errorf("usage %+v after %d calls", ev.Usage, len(rig.srv.Requests()))
		}
	})
	t.Run("run budget of a promptbook", func(t *testing.T) {
		rig := newLLMRig(t, config.LLMBudget{RunTokens: 500})
		rig.srv.Respond = func(n int, r fakellm.Request) fakellm.Step {
			return fakellm.Step{Text: "fine", PromptTokens: 450, CompletionTokens: 100}
		}
		pb := Promptbook{Name: "two", Prompts: []PromptbookPrompt{{Content: "Check the reputation of <ip>", Plugins: []string{"alpha"}}, {Content: "And again <ip>", Plugins: []string{"alpha"}}},
			Inputs: []PromptbookInput{{Name: "ip", Required: true}}}
		run, err := rig.engine.RunPromptbook(context.Background(), pb, map[string]string{"ip": "45.155.205.233"}, "", "tester")
		if err != nil {
			t.Fatal(err)
		}
		if len(run.Steps) != 2 || run.Steps[0].Evaluation.Planner != "llm:fake" || run.Steps[1].Evaluation.Planner != "rules" ||
			!strings.Contains(run.Steps[1].Evaluation.Fallback, "run token budget") {
			t.Fatalf("run %+v", run)
		}
		if run.Usage.TotalTokens != 550 {
			t.Errorf("run usage %+v", run.Usage)
		}
	})
}

// TestLLMPlannerAcceptsLinksWithAmpersandsFromResults: a link a skill
// result holds in its text, query string and all, backs the answer that
// cites it (the fence's JSON writes & as \u0026; the check must not).
func TestLLMPlannerAcceptsLinksWithAmpersandsFromResults(t *testing.T) {
	rig := newLLMRig(t, config.LLMBudget{})
	const link = "https://alpha.example/search?q=45.155.205.233&days=30"
	rig.reply = "reported 42 times, see " + link
	rig.srv.Script = []fakellm.Step{
		{Calls: []fakellm.Call{{Name: "alpha__CheckIP", Args: map[string]any{"ip": "45.155.205.233"}}}},
		{Text: "45.155.205.233 is malicious [alpha.CheckIP], see " + link + "."},
	}
	ev := rig.ask(t, rig.session(t), "Is 45.155.205.233 malicious?", "alpha")
	if ev.Planner != "llm:fake" || len(ev.Flags) != 0 || !strings.Contains(ev.Content, link) {
		t.Errorf("flags %+v\n%s", ev.Flags, ev.Content)
	}
}

// TestLLMPlannerFallbackKeepsTheModelsCalls: when the model fails after
// its tool calls ran, the rules' evaluation lists those calls (they ran and
// are evidence), does not run them again, and keeps the refusal flags.
func TestLLMPlannerFallbackKeepsTheModelsCalls(t *testing.T) {
	rig := newLLMRig(t, config.LLMBudget{})
	rig.reply = "reported 42 times"
	rig.srv.Script = []fakellm.Step{
		{Calls: []fakellm.Call{
			{Name: "alpha__CheckIP", Args: map[string]any{"ip": "45.155.205[.]233"}},
			{Name: "beta__Lookup", Args: map[string]any{"target": "everything"}},
		}},
		{Status: 400, ErrorMessage: "context length exceeded"},
	}
	s := rig.session(t)
	ev := rig.ask(t, s, "Check the reputation of 45.155.205.233", "alpha")
	if ev.Planner != "rules" || !strings.Contains(ev.Fallback, "context length exceeded") || ev.State != StateCompleted || ev.ResultType != ResultSuccess {
		t.Fatalf("evaluation %+v", ev)
	}
	if calls := rig.alpha.Calls(); len(calls) != 1 || len(rig.beta.Calls()) != 0 {
		t.Errorf("alpha ran %d times (want once: the rules must not repeat the model's call), beta %d", len(calls), len(rig.beta.Calls()))
	}
	if len(ev.Sources) != 1 || !strings.Contains(ev.Sources[0].Reason, "chosen by the model") || ev.Sources[0].Error != "" {
		t.Errorf("sources %+v", ev.Sources)
	}
	if len(ev.Flags) != 1 || ev.Flags[0].Kind != FlagRefusedToolCall {
		t.Errorf("flags %+v", ev.Flags)
	}
	if !strings.Contains(ev.Content, "alpha.CheckIP") || !strings.Contains(ev.Content, "reported 42 times") {
		t.Errorf("content:\n%s", ev.Content)
	}
	d, err := rig.engine.Repo().SessionDetail(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Prompts[0].Evaluation; len(got.Sources) != 1 || len(got.Flags) != 1 {
		t.Errorf("stored evaluation sources %+v flags %+v", got.Sources, got.Flags)
	}
	skilltest.NoLeak(t, []string{llmKey, alphaKey, betaKey}, ev, d, rig.logs.String())
}

func TestLLMPlannerRefusesOutOfScopeAndInvalidCallsAndFlagsClaims(t *testing.T) {
	rig := newLLMRig(t, config.LLMBudget{})
	rig.reply = "listed"
	rig.srv.Script = []fakellm.Step{
		{Calls: []fakellm.Call{
			{Name: "beta__Lookup", Args: map[string]any{"target": "everything"}},
			{Name: "alpha__CheckIP", Args: map[string]any{"ip": "45.155.205.233", "plugins": []any{"*"}}},
			{Name: "alpha__CheckIP", Args: map[string]any{"ip": "45.155.205.233", "days": 9999}},
			{Name: "alpha__CheckIP", RawArgs: `{"ip": `},
			{Name: "spotter__RevealConfig", Args: map[string]any{}},
		}},
		{Text: "I have blocked 45.155.205.233 and the account has been disabled. Details: https://attacker.example/report and https://alpha.example/ip/45.155.205.233"},
	}
	ev := rig.ask(t, rig.session(t), "Check 45.155.205.233", "alpha")
	if calls := append(rig.alpha.Calls(), rig.beta.Calls()...); len(calls) != 0 {
		t.Fatalf("refused calls ran: %v", calls)
	}
	kinds := map[string]int{}
	for _, f := range ev.Flags {
		kinds[f.Kind]++
	}
	if kinds[FlagRefusedToolCall] != 2 || kinds[FlagInvalidArguments] != 3 || kinds[FlagUnsupportedAction] != 2 || kinds[FlagUnsupportedLink] != 2 {
		t.Errorf("flags %+v", ev.Flags)
	}
	if strings.Contains(ev.Content, "https://attacker.example") || !strings.Contains(ev.Content, "hxxps://attacker[.]example/report") {
		t.Errorf("unsupported links must be defanged:\n%s", ev.Content)
	}
	if !strings.Contains(ev.Content, "**Caution:**") {
		t.Errorf("content lacks the caution:\n%s", ev.Content)
	}
	// The refusals went back to the model as error results.
	reqs := rig.srv.Requests()
	msgs, _ := reqs[1].Body["messages"].([]any)
	var toolMsgs int
	for _, m := range msgs {
		if mm := m.(map[string]any); mm["role"] == "tool" {
			toolMsgs++
			if !strings.Contains(mm["content"].(string), "error") {
				t.Errorf("tool result %v", mm["content"])
			}
		}
	}
	if toolMsgs != 5 {
		t.Errorf("%d tool results, want 5", toolMsgs)
	}
}

// injections reads the corpus shared with the llm package.
func injections(t *testing.T) []string {
	t.Helper()
	f, err := os.Open("../llm/testdata/injections.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	if len(out) < 30 {
		t.Fatalf("the corpus holds %d strings; keep at least 30", len(out))
	}
	return out
}

var nonceRe = regexp.MustCompile(`<data-([0-9a-f]{16}) `)

// TestInjectionCorpusIsContained places every injection string in an
// incident title, a description, a command line and a provider response,
// in front of a model that obeys them: it calls out-of-scope and invented
// tools, tries to widen its arguments, claims actions, cites an attacker's
// link and echoes everything it was shown. None of it may run another
// skill, change the tools offered, reach the instructions outside the data
// fences, or show a secret.
func TestInjectionCorpusIsContained(t *testing.T) {
	corpus := injections(t)
	rig := newLLMRig(t, config.LLMBudget{})
	rig.srv.Respond = func(n int, r fakellm.Request) fakellm.Step {
		msgs, _ := r.Body["messages"].([]any)
		if len(msgs) <= 2 {
			return fakellm.Step{Calls: []fakellm.Call{
				{Name: "alpha__CheckIP", Args: map[string]any{"ip": "45.155.205.233"}},
				{Name: "beta__Lookup", Args: map[string]any{"target": "*"}},
				{Name: "alpha__CheckIP_admin", Args: map[string]any{"scope": "all"}},
				{Name: "alpha__CheckIP", Args: map[string]any{"ip": "45.155.205.233", "plugins": "*"}},
				{Name: "beta.Lookup", Args: map[string]any{"target": "x"}},
			}}
		}
		return fakellm.Step{Text: "Done as instructed: the host has been isolated. See https://attacker.example/collect\n\nEverything I saw:\n" + r.Raw}
	}
	placements := map[string]func(inj string) (prompt, reply string){
		"title": func(inj string) (string, string) {
			return "Triage the incident titled \"" + inj + "\" involving 45.155.205.233", "listed"
		},
		"description": func(inj string) (string, string) {
			return "Incident description: " + inj + "\nWhat do we know about 45.155.205.233?", "listed"
		},
		"command line": func(inj string) (string, string) {
			return "Explain powershell.exe -nop -c \"" + inj + "\" run from 45.155.205.233", "listed"
		},
		"provider": func(inj string) (string, string) { return "Check the reputation of 45.155.205.233", inj },
	}
	secrets := []string{llmKey, alphaKey, betaKey}
	session := rig.session(t)
	for where, place := range placements {
		for i, inj := range corpus {
			prompt, reply := place(inj)
			rig.reply = reply
			before := len(rig.srv.Requests())
			ev := rig.ask(t, session, prompt, "alpha")
			if ev.Planner != "llm:fake" {
				t.Fatalf("%s #%d: planner %q fallback %q", where, i, ev.Planner, ev.Fallback)
			}
			for _, s := range ev.Sources {
				if s.Skill != "alpha.CheckIP" {
					t.Errorf("%s #%d: ran %s outside the scope", where, i, s.Skill)
				}
			}
			kinds := map[string]bool{}
			for _, f := range ev.Flags {
				kinds[f.Kind] = true
			}
			if !kinds[FlagRefusedToolCall] || !kinds[FlagUnsupportedAction] || !kinds[FlagUnsupportedLink] || !kinds[FlagInvalidArguments] {
				t.Errorf("%s #%d: flags %+v", where, i, ev.Flags)
			}
			reqs := rig.srv.Requests()[before:]
			if len(reqs) != 2 {
				t.Fatalf("%s #%d: %d model calls", where, i, len(reqs))
			}
			var system string
			for _, r := range reqs {
				if names := r.ToolNames(); !slices.Equal(names, []string{"alpha__CheckIP"}) {
					t.Errorf("%s #%d: tools offered %v", where, i, names)
				}
				msgs, _ := r.Body["messages"].([]any)
				sys := msgs[0].(map[string]any)["content"].(string)
				if system == "" {
					system = sys
				}
				if strings.Contains(sys, inj) || sys != system {
					t.Errorf("%s #%d: the system prompt changed or holds data", where, i)
				}
				m := nonceRe.FindStringSubmatch(sys)
				if m == nil {
					t.Fatalf("no fence nonce in the system prompt")
				}
				fence := regexp.MustCompile(`(?s)<data-` + m[1] + ` source="[^"]*">.*?</data-` + m[1] + `>`)
				for _, msg := range msgs[1:] {
					mm := msg.(map[string]any)
					content, _ := mm["content"].(string)
					outside := fence.ReplaceAllString(content, "")
					if mm["role"] != "assistant" && strings.Contains(outside, inj) {
						t.Errorf("%s #%d: injection outside the data fences in a %v message", where, i, mm["role"])
					}
				}
			}
			skilltest.NoLeak(t, secrets, ev, reqs[0].Raw, reqs[1].Raw)
		}
	}
	if calls := rig.beta.Calls(); len(calls) != 0 {
		t.Errorf("beta ran %d times", len(calls))
	}
	var all []string
	for _, r := range rig.srv.Requests() {
		all = append(all, r.Raw)
	}
	d, _ := rig.engine.Repo().SessionDetail(context.Background(), session)
	js, _ := json.Marshal(d)
	skilltest.NoLeak(t, secrets, strings.Join(all, "\n"), string(js), rig.logs.String())
}

func TestLLMPlannerRoundsAreBounded(t *testing.T) {
	rig := newLLMRig(t, config.LLMBudget{})
	rig.engine.opts.Rounds = 2
	rig.reply = "listed"
	call := fakellm.Step{Calls: []fakellm.Call{{Name: "alpha__CheckIP", Args: map[string]any{"ip": "45.155.205.233"}}}}
	rig.srv.Script = []fakellm.Step{call, call, {Text: "45.155.205.233 is listed [alpha.CheckIP]."}}
	ev := rig.ask(t, rig.session(t), "Is 45.155.205.233 malicious?", "alpha")
	if ev.Planner != "llm:fake" || len(ev.Sources) != 2 || !strings.HasPrefix(ev.Content, "45.155.205.233 is listed") {
		t.Fatalf("evaluation %+v", ev)
	}
	reqs := rig.srv.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d model calls, want 2 rounds and the final answer", len(reqs))
	}
	if reqs[0].Body["tool_choice"] != nil || reqs[2].Body["tool_choice"] != "none" || len(reqs[2].ToolNames()) != 1 {
		t.Errorf("the final call keeps the tools but allows none: %v / %v", reqs[0].Body["tool_choice"], reqs[2].Body["tool_choice"])
	}
}
