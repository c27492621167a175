package copilot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/spotter-soc/spotter/internal/llm"
)

// maxParallelSteps bounds the skill calls one evaluation makes at once.
const maxParallelSteps = 4

// evaluate runs a prompt: a direct skill call, or the rule planner's plan.
// It fills the evaluation's content, sources, entities and result type.
// Model calls made by skills (SummarizeData, prompt-template skills) count
// on the evaluation's meter, which the context carries.
func (e *Engine) evaluate(ctx context.Context, p Prompt, ev Evaluation, run *llm.Meter) Evaluation {
	var limits llm.Limits
	if m := e.opts.Model; m != nil {
		limits = m.Evaluation
	}
	meter := llm.NewMeter("evaluation", limits, run)
	ctx = llm.WithMeter(ctx, meter)
	if p.SkillName != "" {
		ev = e.evaluateDirect(ctx, p, ev)
	} else {
		ev = e.evaluatePrompt(ctx, p, ev, meter)
	}
	ev.Usage = usageOf(meter)
	return ev
}

// evaluatePrompt plans a prompt in words: by the model when one is
// configured, else (or when it fails) by the rules.
func (e *Engine) evaluatePrompt(ctx context.Context, p Prompt, ev Evaluation, meter *llm.Meter) Evaluation {
	var history []Entities
	if h, err := e.repo.SessionEntities(ctx, p.SessionID); err == nil {
		history = h
	} else {
		e.opts.Log.Warn("reading the session context failed; planning without it", "session", p.SessionID, "err", err)
	}
	specs := scopedSpecs(e.inv, p.Plugins)
	// prior are the skill calls a failed model planner made: they ran, so
	// the evaluation lists them, and the rules do not run them again.
	var prior []SkillSource
	if m := e.opts.Model; m != nil {
		out, err := e.evaluateLLM(ctx, m, meter, p, ev, specs, history)
		if err == nil {
			return out
		}
		if ctx.Err() != nil {
			return out
		}
		ev.Fallback = "the model planner failed, the rules planned instead: " + err.Error()
		e.opts.Log.Warn("model planner failed; using the rule planner", "evaluation", ev.ID, "err", err)
		prior, ev.Flags = out.Sources, out.Flags
	}
	ev.Planner = "rules"
	plan := e.planner.Plan(p.Content, specs, history)
	ev.Entities = plan.Entities
	for _, s := range prior {
		for k, vals := range entitiesOfInputs(s.Inputs) {
			ev.Entities.add(k, vals...)
		}
	}
	if plan.Rejected && len(prior) == 0 {
		ev.ResultType = ResultRejected
		ev.Suggestions = plan.Suggestions
		ev.Content = renderRejected(plan, e.inv)
		return ev
	}
	var steps []Step
	if !plan.Rejected {
		steps = e.notYetRun(plan.Steps, prior)
	}
	ev.Sources = append(prior, e.runSteps(ctx, steps)...)
	ev.ResultType = resultOf(ev.Sources)
	ev.Content = renderPlanned(plan, ev.Sources)
	return ev
}

// notYetRun drops the steps that a successful earlier call already
// answered: the same skill with the same inputs once validated (so that
// "45.155.205[.]233" and "45.155.205.233" are one call).
func (e *Engine) notYetRun(steps []Step, done []SkillSource) []Step {
	if len(done) == 0 {
		return steps
	}
	key := func(id string, in map[string]any) string {
		spec, err := e.inv.Skill(id)
		if err != nil {
			return ""
		}
		v, err := spec.Validate(in)
		if err != nil {
			return ""
		}
		b, err := json.Marshal(v)
		if err != nil {
			return ""
		}
		return spec.ID + " " + string(b)
	}
	ran := map[string]bool{}
	for _, s := range done {
		if k := key(s.Skill, s.Inputs); k != "" && s.Error == "" {
			ran[k] = true
		}
	}
	var out []Step
	for _, st := range steps {
		if k := key(st.Skill, st.Inputs); k == "" || !ran[k] {
			out = append(out, st)
		}
	}
	return out
}

func (e *Engine) evaluateDirect(ctx context.Context, p Prompt, ev Evaluation) Evaluation {
	spec, err := e.inv.Skill(p.SkillName)
	if err != nil {
		ev.ResultType, ev.Error, ev.Content = ResultError, err.Error(), "The skill could not be found: "+err.Error()
		return ev
	}
	step := Step{Skill: spec.ID, Inputs: orEmpty(p.SkillInputs), Reason: "requested directly"}
	ev.Sources = e.runSteps(ctx, []Step{step})
	ev.Entities = entitiesOfInputs(p.SkillInputs)
	ev.ResultType = resultOf(ev.Sources)
	ev.Content = renderDirect(ev.Sources[0])
	if ev.Sources[0].Error != "" {
		ev.Error = ev.Sources[0].Error
	}
	return ev
}

// runSteps calls the skills, at most maxParallelSteps at once, and returns
// their sources in plan order.
func (e *Engine) runSteps(ctx context.Context, steps []Step) []SkillSource {
	out := make([]SkillSource, len(steps))
	sem := make(chan struct{}, maxParallelSteps)
	var wg sync.WaitGroup
	for i, st := range steps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				out[i] = SkillSource{Skill: st.Skill, Plugin: pluginOf(st.Skill), Inputs: st.Inputs, Reason: st.Reason, Error: ctx.Err().Error()}
				return
			}
			defer func() { <-sem }()
			out[i] = e.call(ctx, st)
		}()
	}
	wg.Wait()
	return out
}

// call runs one step and records it.
func (e *Engine) call(ctx context.Context, st Step) SkillSource {
	src := SkillSource{Skill: st.Skill, Plugin: pluginOf(st.Skill), Inputs: st.Inputs, Reason: st.Reason}
	if spec, err := e.inv.Skill(st.Skill); err == nil {
		src.Skill, src.Plugin = spec.ID, spec.Plugin()
	}
	start := time.Now()
	res, err := e.inv.Invoke(ctx, st.Skill, st.Inputs)
	src.DurationMs = time.Since(start).Milliseconds()
	if err != nil {
		src.Error = err.Error()
		return src
	}
	src.CacheHit = res.Cached
	src.Links = append([]string{}, res.Links...)
	for _, f := range res.Findings {
		if f.Link != "" && !containsString(src.Links, f.Link) {
			src.Links = append(src.Links, f.Link)
		}
	}
	src.summary, src.findings = res.Summary, res.Findings
	return src
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func pluginOf(id string) string {
	p, _, _ := strings.Cut(id, ".")
	return p
}

// resultOf is success when at least one call succeeded, else error.
func resultOf(sources []SkillSource) ResultType {
	for _, s := range sources {
		if s.Error == "" {
			return ResultSuccess
		}
	}
	return ResultError
}

// entitiesOfInputs records the entities a direct skill call was about, so
// that later prompts can refer to them.
func entitiesOfInputs(raw map[string]any) Entities {
	var parts []string
	for _, v := range raw {
		switch x := v.(type) {
		case string:
			parts = append(parts, x)
		case []any:
			for _, i := range x {
				parts = append(parts, fmt.Sprint(i))
			}
		case []string:
			parts = append(parts, x...)
		}
	}
	return ExtractEntities(strings.Join(parts, " \n "))
}

// IsRequestError reports whether err lists problems of the request.
func IsRequestError(err error) (*RequestError, bool) {
	var re *RequestError
	ok := errors.As(err, &re)
	return re, ok
}
