package gpt

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spotter-soc/spotter/internal/llm"
	"github.com/spotter-soc/spotter/internal/skill"
)

// TemplatePlugin is a manifest's plugin: its skills fill their template
// with the inputs, fenced as data, and ask the model.
type TemplatePlugin struct {
	m     Manifest
	model *llm.Ref
}

// NewTemplatePlugin returns the plugin of a checked manifest over model
// (nil: not configured).
func NewTemplatePlugin(m Manifest, model *llm.Ref) *TemplatePlugin {
	return &TemplatePlugin{m: m, model: model}
}

// Info implements skill.Plugin.
func (p *TemplatePlugin) Info() skill.PluginInfo {
	info := skill.PluginInfo{Name: p.m.Name, Description: strings.TrimSpace(p.m.Description)}
	if info.Description == "" {
		info.Description = "Prompt-template skills declared in " + p.m.File
	}
	for _, s := range p.m.Skills {
		info.Skills = append(info.Skills, p.m.Spec(s))
	}
	return info
}

// New implements skill.Plugin.
func (p *TemplatePlugin) New(skill.Env) ([]skill.Skill, error) {
	if p.model == nil {
		return nil, errors.New("no language model is configured (set llm.summarizer)")
	}
	var out []skill.Skill
	for _, s := range p.m.Skills {
		tmpl := s.Template
		spec := p.m.Spec(s)
		out = append(out, skill.Func{S: spec, F: func(ctx context.Context, in skill.Inputs) (*skill.Result, error) {
			return p.run(ctx, spec, tmpl, in)
		}})
	}
	return out, nil
}

// templateSystem frames every prompt-template skill.
const templateSystem = "You are Spotter, a security copilot for SOC analysts. Carry out the task below and answer in concise Markdown. " +
	"Never claim that anything was blocked or changed. "

func (p *TemplatePlugin) run(ctx context.Context, spec skill.Spec, tmpl string, in skill.Inputs) (*skill.Result, error) {
	model, err := p.model.Get()
	if err != nil {
		return nil, err
	}
	fence := llm.NewFence()
	prompt := Fill(fence, tmpl, in)
	meter := llm.NewMeter("evaluation", model.Evaluation, llm.MeterFrom(ctx))
	resp, err := model.Chat(ctx, meter, llm.Request{System: templateSystem + fence.Rules(), Messages: []llm.Message{{Role: llm.RoleUser, Content: prompt}}})
	if err != nil {
		return nil, err
	}
	text := strings.TrimSpace(resp.Text)
	if text == "" {
		return nil, fmt.Errorf("%s: the model returned an empty answer", spec.ID)
	}
	spent := meter.Spent()
	return &skill.Result{Summary: text, Data: map[string]any{"prompt_tokens": spent.PromptTokens, "completion_tokens": spent.CompletionTokens, "cost_usd": spent.CostUSD}}, nil
}

// Fill replaces each {{input}} of the template with the input's value
// fenced as data; the template itself is the manifest author's trusted text.
func Fill(f llm.Fence, tmpl string, in skill.Inputs) string {
	return templateRef.ReplaceAllStringFunc(tmpl, func(ref string) string {
		name := templateRef.FindStringSubmatch(ref)[1]
		return "\n" + f.Wrap("input:"+name, in.String(name)) + "\n"
	})
}

// Register adds the llm plugin (SummarizeData) and a plugin per manifest
// to r, all answered by the model model will point to. A manifest whose
// name or skills clash with a registered plugin is an error naming its file.
func Register(r *skill.Registry, model *llm.Ref, manifests []Manifest) error {
	var errs []error
	if err := r.Register(New(model)); err != nil {
		errs = append(errs, err)
	}
	for _, m := range manifests {
		if err := r.Register(NewTemplatePlugin(m, model)); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", m.File, err))
		}
	}
	return errors.Join(errs...)
}
