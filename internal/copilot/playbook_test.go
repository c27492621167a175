package copilot

import (
	"context"
	"strings"
	"testing"

	"github.com/spotter-soc/spotter/internal/playbook"
	"github.com/spotter-soc/spotter/internal/store"
	"github.com/spotter-soc/spotter/promptbooks"
)

func TestPlaybookPromptSteps(t *testing.T) {
	eachDialect(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		eng := newEngine(t, st, newFakeInvoker(), Options{})
		lib := NewLibrary(promptbooks.FS, "", eng.Repo())
		cop := PlaybookCopilot{Engine: eng, Library: lib}
		src := `name: ask
triggers:
  - manual: {}
inputs:
  ip: {type: string, required: true}
steps:
  - id: ask
    prompt: "'Is ' + inputs.ip + ' malicious? Check its reputation'"
  - id: more
    promptbook: suspicious-ip
    with: {IP: inputs.ip}
    session: steps.ask.output.sessionId
outputs:
  answer: steps.ask.output.content
  state: steps.ask.output.state
  steps: len(steps.more.output.steps)
  same_session: steps.more.output.sessionId == steps.ask.output.sessionId
`
		pb, diags := playbook.Check("ask.yaml", []byte(src), playbook.LintOptions{Promptbook: func(name string) ([]string, bool) {
			p, err := lib.Get(ctx, name)
			if err != nil {
				return nil, false
			}
			var names []string
			for _, in := range p.Inputs {
				names = append(names, in.Name)
			}
			return names, true
		}})
		if len(diags) > 0 {
			t.Fatal(diags)
		}
		in := &playbook.Interpreter{Copilot: cop}
		res, err := in.Run(ctx, pb, playbook.Request{Inputs: map[string]any{"ip": "185.220.101.47"}})
		if err != nil || res.Status != playbook.StatusSucceeded {
			t.Fatalf("%v %+v", err, res)
		}
		if res.Outputs["state"] != "completed" || !strings.Contains(res.Outputs["answer"].(string), "185.220.101.47") ||
			res.Outputs["steps"] != 3.0 || res.Outputs["same_session"] != true {
			t.Errorf("outputs %v", res.Outputs)
		}
		// Lint names unknown promptbooks and inputs.
		bad := strings.Replace(src, "suspicious-ip", "no-such-book", 1)
		_, diags = playbook.Check("ask.yaml", []byte(bad), playbook.LintOptions{Promptbook: func(string) ([]string, bool) { return nil, false }})
		if len(diags) != 1 || !strings.Contains(diags.Error(), `unknown promptbook "no-such-book"`) {
			t.Errorf("lint: %v", diags)
		}
		// Without a copilot the step fails and says why.
		res, _ = (&playbook.Interpreter{}).Run(ctx, pb, playbook.Request{Inputs: map[string]any{"ip": "185.220.101.47"}})
		if res.Status != playbook.StatusFailed || !strings.Contains(res.Message, "need the copilot") {
			t.Errorf("without a copilot: %s %s", res.Status, res.Message)
		}
	})
}
