package copilot

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/spotter-soc/spotter/internal/gateway"
	"github.com/spotter-soc/spotter/internal/skill"
)

// Invoker runs skills; *gateway.Gateway fits through GatewayInvoker.
type Invoker interface {
	// Invoke runs a skill by id or alias with raw inputs.
	Invoke(ctx context.Context, name string, raw map[string]any) (*skill.Result, error)
	// Configured lists the skills that can run now.
	Configured() []skill.Spec
	// Skill returns a skill's spec by id or alias, configured or not.
	Skill(name string) (skill.Spec, error)
	// Plugins lists the registered plugins' names.
	Plugins() []string
}

// GatewayInvoker adapts a gateway to Invoker.
type GatewayInvoker struct{ GW *gateway.Gateway }

// Invoke implements Invoker.
func (g GatewayInvoker) Invoke(ctx context.Context, name string, raw map[string]any) (*skill.Result, error) {
	return g.GW.Invoke(ctx, name, raw, gateway.InvokeOptions{})
}

// Configured implements Invoker.
func (g GatewayInvoker) Configured() []skill.Spec { return g.GW.Configured() }

// Skill implements Invoker.
func (g GatewayInvoker) Skill(name string) (skill.Spec, error) { return g.GW.Skill(name) }

// Plugins implements Invoker.
func (g GatewayInvoker) Plugins() []string {
	var out []string
	for _, p := range g.GW.Status() {
		out = append(out, p.Name)
	}
	return out
}

// Problem is one thing wrong with a request.
type Problem struct {
	// Field names the request field, e.g. skillInputs.ip.
	Field   string `json:"field"`
	Message string `json:"message"`
}

// RequestError lists every problem of a prompt request at once.
type RequestError struct {
	Problems []Problem
}

func (e *RequestError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Field + ": " + p.Message
	}
	return "invalid prompt: " + strings.Join(parts, "; ")
}

// CheckRequest validates a prompt request: content or a skill name (not
// both), a known plugin scope, and, for a direct skill, every input against
// the skill's spec. All problems are reported together.
func CheckRequest(inv Invoker, req PromptRequest) error {
	var probs []Problem
	content := strings.TrimSpace(req.Content)
	name := strings.TrimSpace(req.SkillName)
	switch {
	case content == "" && name == "":
		probs = append(probs, Problem{"content", "expected the prompt text, or skillName with skillInputs"})
	case content != "" && name != "":
		probs = append(probs, Problem{"skillName", "expected either content or skillName, not both"})
	case content == "" && len(req.SkillInputs) > 0 && name == "":
		probs = append(probs, Problem{"skillInputs", "given without skillName"})
	}
	if len(content) > maxPromptBytes {
		probs = append(probs, Problem{"content", fmt.Sprintf("%d bytes; expected at most %d", len(content), maxPromptBytes)})
	}
	known := map[string]bool{}
	for _, p := range inv.Plugins() {
		known[p] = true
	}
	for i, p := range req.Plugins {
		if !known[strings.ToLower(strings.TrimSpace(p))] {
			probs = append(probs, Problem{fmt.Sprintf("plugins[%d]", i), fmt.Sprintf("%q: no such plugin; expected one of %s", p, strings.Join(inv.Plugins(), ", "))})
		}
	}
	if name != "" && content == "" {
		spec, err := inv.Skill(name)
		if err != nil {
			probs = append(probs, Problem{"skillName", err.Error()})
		} else {
			if len(req.Plugins) > 0 && !inScope(spec.Plugin(), req.Plugins) {
				probs = append(probs, Problem{"skillName", fmt.Sprintf("%s belongs to plugin %s, outside the plugins given (%s)", spec.ID, spec.Plugin(), strings.Join(req.Plugins, ", "))})
			}
			if !isConfigured(inv, spec.ID) {
				probs = append(probs, Problem{"skillName", fmt.Sprintf("%s cannot run: plugin %s is not configured ('spotter plugins' shows what it needs)", spec.ID, spec.Plugin())})
			}
			probs = append(probs, inputProblems(spec, req.SkillInputs)...)
		}
	}
	if len(probs) > 0 {
		return &RequestError{Problems: probs}
	}
	return nil
}

func isConfigured(inv Invoker, id string) bool {
	for _, s := range inv.Configured() {
		if s.ID == id {
			return true
		}
	}
	return false
}

// maxPromptBytes bounds the text of one prompt.
const maxPromptBytes = 64 << 10

// inputProblems validates each input on its own so that every mistake is
// reported, not only the first.
func inputProblems(spec skill.Spec, raw map[string]any) []Problem {
	var probs []Problem
	var unknown []string
	for k := range raw {
		if _, ok := spec.Input(k); !ok {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	names := make([]string, len(spec.Inputs))
	for i, in := range spec.Inputs {
		names[i] = in.Name
	}
	for _, k := range unknown {
		probs = append(probs, Problem{"skillInputs." + k, "unknown input of " + spec.ID + "; expected one of " + strings.Join(names, ", ")})
	}
	for _, in := range spec.Inputs {
		one := skill.Spec{ID: spec.ID, Inputs: []skill.Input{in}}
		sub := map[string]any{}
		if v, ok := raw[in.Name]; ok {
			sub[in.Name] = v
		}
		if _, err := one.Validate(sub); err != nil {
			msg := err.Error()
			if ie, ok := err.(*skill.InputError); ok {
				msg = ie.Msg
			}
			probs = append(probs, Problem{"skillInputs." + in.Name, msg})
		}
	}
	return probs
}

func inScope(plugin string, scope []string) bool {
	if len(scope) == 0 {
		return true
	}
	for _, p := range scope {
		if strings.EqualFold(strings.TrimSpace(p), plugin) {
			return true
		}
	}
	return false
}

// scopedSpecs returns the configured skills inside the plugin scope that
// a planner may choose: never one that writes (skill.Spec.Writes).
func scopedSpecs(inv Invoker, scope []string) []skill.Spec {
	var out []skill.Spec
	for _, s := range inv.Configured() {
		if inScope(s.Plugin(), scope) && !s.Writes {
			out = append(out, s)
		}
	}
	return out
}
