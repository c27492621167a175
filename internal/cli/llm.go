package cli

import (
	"context"
	"errors"
	"sync"

	"github.com/spotter-soc/spotter/internal/config"
	"github.com/spotter-soc/spotter/internal/gateway"
	"github.com/spotter-soc/spotter/internal/llm"
	"github.com/spotter-soc/spotter/internal/plugins/gpt"
	"github.com/spotter-soc/spotter/internal/report"
	"github.com/spotter-soc/spotter/internal/skill"
)

// llmRuntime is the optional language-model side of a runtime: with no
// llm section configured it registers nothing and every model is nil, so
// Spotter behaves exactly as without it.
type llmRuntime struct {
	cfg config.LLM
	ref *llm.Ref // the model of SummarizeData and prompt-template skills
	err error

	models     map[string]*llm.Model
	planner    *llm.Model
	summarizer *llm.Model
	run        *llm.Meter // the budget of this process's one run (an investigation)
	runOnce    sync.Once
}

func newLLMRuntime(c config.LLM) *llmRuntime { return &llmRuntime{cfg: c} }

// skillModel names the provider the model-backed skills use: the
// summarizer, else the planner.
func (l *llmRuntime) skillModel() string {
	if l.cfg.Summarizer != "" {
		return l.cfg.Summarizer
	}
	return l.cfg.Planner
}

// register adds the model-backed plugins (llm.SummarizeData and the
// manifests of llm.skills_dir) to reg when a model is selected for them.
// Problems are kept for build to report.
func (l *llmRuntime) register(reg *skill.Registry) *skill.Registry {
	if !l.cfg.Enabled() || l.skillModel() == "" {
		return reg
	}
	manifests, err := gpt.LoadManifests(l.cfg.SkillsDir)
	l.ref = &llm.Ref{}
	l.err = errors.Join(err, gpt.Register(reg, l.ref, manifests))
	return reg
}

// build makes the configured models on the gateway, whose transports carry
// their traffic, and points the model-backed skills at theirs.
func (l *llmRuntime) build(gw *gateway.Gateway) error {
	if l.err != nil {
		return &config.Error{Source: "llm", Msg: l.err.Error()}
	}
	if !l.cfg.Enabled() {
		return nil
	}
	models, err := llm.Models(l.cfg, gw)
	if err != nil {
		return err
	}
	l.models = models
	l.planner = models[l.cfg.Planner]
	l.summarizer = models[l.skillModel()]
	if l.ref != nil {
		l.ref.Set(l.summarizer)
	}
	return nil
}

// runMeter is the meter of the run: model calls of skills the playbook
// invokes (SummarizeData, prompt-template skills) and of the report
// summary count on it, within the summarizer's run budget.
func (l *llmRuntime) runMeter() *llm.Meter {
	l.runOnce.Do(func() {
		var limits llm.Limits
		if l.summarizer != nil {
			limits = l.summarizer.Run
		}
		l.run = llm.NewMeter("run", limits, nil)
	})
	return l.run
}

// withRun puts the run's meter in ctx when a model is configured.
func (l *llmRuntime) withRun(ctx context.Context) context.Context {
	if l == nil || !l.cfg.Enabled() {
		return ctx
	}
	return llm.WithMeter(ctx, l.runMeter())
}

// summarizeHook is the interpreter's report summariser: the summarizer
// within the budget of the run (the meter in ctx, else this process's
// run); nil when no summarizer is configured.
func (l *llmRuntime) summarizeHook() func(context.Context, *report.Report) error {
	if l == nil || l.cfg.Summarizer == "" || l.summarizer == nil {
		return nil
	}
	return func(ctx context.Context, r *report.Report) error {
		meter := llm.MeterFrom(ctx)
		if meter == nil {
			meter = l.runMeter()
		}
		return llm.SummarizeReport(ctx, l.summarizer, meter, r)
	}
}

// runContexts gives each durable run a meter of its own, within the
// summarizer's run budget (kept in memory: a run recovered by another
// process starts a new one).
func (l *llmRuntime) runContexts() (with func(context.Context, string) context.Context, ended func(string)) {
	if l == nil || !l.cfg.Enabled() {
		return nil, nil
	}
	var meters sync.Map
	return func(ctx context.Context, runID string) context.Context {
		var limits llm.Limits
		if l.summarizer != nil {
			limits = l.summarizer.Run
		}
		m, _ := meters.LoadOrStore(runID, llm.NewMeter("run", limits, nil))
		return llm.WithMeter(ctx, m.(*llm.Meter))
	}, func(runID string) { meters.Delete(runID) }
}
