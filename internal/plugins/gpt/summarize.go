// Package gpt holds the skills answered by a language model: the built-in
// llm.SummarizeData (map-reduce over chunks sized to the model's context)
// and the prompt-template skills that plugin manifests declare with
// format: gpt. Both exist only when a model is configured.
package gpt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/spotter-soc/spotter/internal/llm"
	"github.com/spotter-soc/spotter/internal/skill"
)

// Name is the built-in plugin of model-backed skills.
const Name = "llm"

// SummarizeDataID is the summarising skill.
const SummarizeDataID = "llm.SummarizeData"

var summarizeSpec = skill.Spec{
	ID:   SummarizeDataID,
	Name: "Summarize data",
	Description: "Summarises data of any size with the configured language model: text, or JSON (a list of findings, alerts or " +
		"indicators, or an object). Large inputs are summarised in chunks sized to the model's context and then merged, " +
		"benign and unknown items collapsing into counts first, so nothing is cut off.",
	ModelDescription: "Summarise a block of security data (text or JSON) that is too long to read; returns a Markdown summary.",
	Aliases:          []string{"SummarizeData"},
	Examples:         []string{"Summarise these alerts", "Summarize this data"},
	Inputs: []skill.Input{
		{Name: "data", Type: skill.TypeString, Required: true, Description: "The data: text, or JSON (array or object)"},
		{Name: "focus", Type: skill.TypeString, Description: "What the summary should focus on, e.g. lateral movement"},
	},
	CacheTTL: -1,
}

// Plugin is the built-in plugin of model-backed skills.
type Plugin struct {
	model *llm.Ref
}

// New returns the plugin over the summarizer model; with a nil reference
// the plugin reports that no summarizer is configured.
func New(model *llm.Ref) *Plugin { return &Plugin{model: model} }

// Info implements skill.Plugin.
func (p *Plugin) Info() skill.PluginInfo {
	return skill.PluginInfo{Name: Name, Description: "Skills answered by the configured language model (llm.summarizer).",
		Skills: []skill.Spec{summarizeSpec}}
}

// New implements skill.Plugin.
func (p *Plugin) New(skill.Env) ([]skill.Skill, error) {
	if p.model == nil {
		return nil, errors.New("no language model is configured (set llm.summarizer)")
	}
	return []skill.Skill{skill.Func{S: summarizeSpec, F: p.summarize}}, nil
}

func (p *Plugin) summarize(ctx context.Context, in skill.Inputs) (*skill.Result, error) {
	model, err := p.model.Get()
	if err != nil {
		return nil, err
	}
	recs := Records(in.String("data"))
	req := llm.SummaryRequest{Purpose: "a summary of the data for a SOC analyst; when a focus is given in the data, emphasise it.", Records: recs}
	if f := strings.TrimSpace(in.String("focus")); f != "" {
		req.Context = map[string]string{"focus": f}
	}
	meter := llm.NewMeter("evaluation", model.Evaluation, llm.MeterFrom(ctx))
	s, err := model.Summarize(ctx, meter, req)
	if err != nil {
		return nil, err
	}
	spent := meter.Spent()
	return &skill.Result{Summary: s.Text, Data: map[string]any{"records": len(recs), "calls": s.Calls, "chunks": s.Chunks, "collapsed": s.Collapsed,
		"prompt_tokens": spent.PromptTokens, "completion_tokens": spent.CompletionTokens, "cost_usd": spent.CostUSD}}, nil
}

// Records splits data into records: each element of a JSON array, each
// member of a JSON object, else each paragraph of text. Levels and
// labels are taken from common field names (indicator, value, name,
// title; level, verdict, severity; score).
func Records(data string) []llm.Record {
	data = strings.TrimSpace(data)
	var v any
	if (strings.HasPrefix(data, "[") || strings.HasPrefix(data, "{")) && json.Unmarshal([]byte(data), &v) == nil {
		switch x := v.(type) {
		case []any:
			out := make([]llm.Record, 0, len(x))
			for i, e := range x {
				out = append(out, record(fmt.Sprintf("item %d", i+1), e))
			}
			return out
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			out := make([]llm.Record, 0, len(keys))
			for _, k := range keys {
				out = append(out, record(k, x[k]))
			}
			return out
		}
	}
	var out []llm.Record
	for i, para := range strings.Split(strings.ReplaceAll(data, "\r\n", "\n"), "\n\n") {
		if para = strings.TrimSpace(para); para != "" {
			out = append(out, llm.Record{Label: fmt.Sprintf("paragraph %d", i+1), Text: para})
		}
	}
	return out
}

func record(label string, v any) llm.Record {
	r := llm.Record{Label: label}
	if m, ok := v.(map[string]any); ok {
		for _, k := range []string{"indicator", "value", "name", "title", "id"} {
			if s, ok := m[k].(string); ok && s != "" {
				r.Label = s
				break
			}
		}
		for _, k := range []string{"level", "verdict", "severity"} {
			if s, ok := m[k].(string); ok {
				if l, err := skill.ParseLevel(s); err == nil {
					r.Level = l
					break
				}
			}
		}
		if s, ok := m["type"].(string); ok {
			r.Kind = s
		}
		if n, ok := m["score"].(float64); ok {
			r.Score = int(n)
		}
	}
	b, _ := json.Marshal(v)
	r.Text = string(b)
	if s, ok := v.(string); ok {
		r.Text = s
	}
	return r
}
