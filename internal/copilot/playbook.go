package copilot

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
)

// PlaybookCopilot answers playbook prompt and promptbook steps with the
// engine: it satisfies playbook.Copilot. Results are the stored
// evaluations (or promptbook run) in JSON types, so later steps read
// steps.<id>.output.content, .sources, .state and so on.
type PlaybookCopilot struct {
	Engine  *Engine
	Library *Library
	// By is recorded as the author of sessions and prompts ("playbook").
	By string
}

func (p PlaybookCopilot) by() string {
	if p.By == "" {
		return "playbook"
	}
	return p.By
}

// Prompt submits content in session (a new one when empty) and waits for
// its evaluation. An evaluation that does not complete is an error.
func (p PlaybookCopilot) Prompt(ctx context.Context, session, content string) (any, error) {
	if session == "" {
		s, err := p.Engine.Repo().CreateSession(ctx, "Playbook prompt", p.by())
		if err != nil {
			return nil, err
		}
		session = s.ID
	}
	_, ev, err := p.Engine.Submit(ctx, session, PromptRequest{Content: content}, p.by())
	if err != nil {
		return nil, err
	}
	ev, err = p.Engine.Wait(ctx, session, ev.ID)
	if err != nil {
		return nil, err
	}
	out, err := jsonValue(ev)
	if err != nil {
		return nil, err
	}
	if ev.State != StateCompleted {
		return out, fmt.Errorf("prompt evaluation %s ended %s: %s", ev.ID, ev.State, cmp.Or(ev.Error, string(ev.ResultType)))
	}
	return out, nil
}

// Promptbook runs a promptbook from the library by name.
func (p PlaybookCopilot) Promptbook(ctx context.Context, session, name string, inputs map[string]string) (any, error) {
	if p.Library == nil {
		return nil, fmt.Errorf("promptbook %q: no promptbook library", name)
	}
	pb, err := p.Library.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	run, err := p.Engine.RunPromptbook(ctx, pb, inputs, session, p.by())
	if err != nil {
		return nil, err
	}
	return jsonValue(run)
}

func jsonValue(v any) (any, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	return out, json.Unmarshal(data, &out)
}
