package playbook

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spotter-soc/spotter/internal/skill"
)

// LintOptions give lint what it checks references against.
type LintOptions struct {
	// Skill looks a skill up by name; nil skips the skill checks.
	Skill func(name string) (skill.Spec, bool)
	// Promptbook reports whether a promptbook exists, with its declared
	// input names; nil skips the promptbook checks.
	Promptbook func(name string) (inputs []string, ok bool)
}

// Lint checks a parsed playbook: duplicate step ids, unknown skills and
// skill inputs, missing required skill inputs, and expressions that read
// undeclared inputs or variables, undefined steps or unknown names. It
// also reports references to steps that have not run yet where the
// expression is evaluated (a step defined later in the sequence, the step
// itself or one enclosing it, a step in a parallel sibling branch or in
// the other branch of an if, and any step from vars): at run time their
// record would be missing. Diagnostics come sorted by position.
func Lint(pb *Playbook, opts LintOptions) Diagnostics {
	c := &checker{pb: pb, opts: opts, ids: map[string]Pos{}, owner: map[string]string{}, inputs: map[string]bool{}, vars: map[string]bool{}}
	for _, in := range pb.Inputs {
		c.inputs[in.Name] = true
	}
	for _, v := range pb.Vars {
		c.vars[v.Name] = true
	}
	c.collect(pb.Steps, "")
	for _, v := range pb.Vars {
		c.expr(v.Expr, "vars."+v.Name, nil, nil, &ran{done: map[string]bool{}, vars: true})
	}
	c.steps(pb.Steps, nil, nil, &ran{done: map[string]bool{}})
	for _, o := range pb.Outputs {
		c.expr(o.Expr, "outputs."+o.Name, nil, nil, nil)
	}
	if len(pb.Triggers) == 0 {
		c.errf(pb.Pos, "playbook: no triggers (add manual, incident or schedule)")
	}
	sort.SliceStable(c.diags, func(i, j int) bool {
		a, b := c.diags[i].Pos, c.diags[j].Pos
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	return c.diags
}

// Check parses and lints, returning every diagnostic; nil when clean.
func Check(file string, data []byte, opts LintOptions) (*Playbook, Diagnostics) {
	pb, err := Parse(file, data)
	var diags Diagnostics
	if err != nil {
		ds, ok := err.(Diagnostics)
		if !ok {
			return nil, Diagnostics{{File: file, Pos: Pos{1, 1}, Msg: err.Error()}}
		}
		diags = ds
	}
	if pb == nil {
		return nil, diags
	}
	all := append(diags, Lint(pb, opts)...)
	sort.SliceStable(all, func(i, j int) bool {
		a, b := all[i].Pos, all[j].Pos
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	return pb, all
}

type checker struct {
	pb     *Playbook
	opts   LintOptions
	ids    map[string]Pos
	owner  map[string]string // step id -> the loop whose iterations hold its record ("" for the top)
	inputs map[string]bool
	vars   map[string]bool
	diags  Diagnostics
}

func (c *checker) errf(p Pos, format string, args ...any) {
	c.diags = append(c.diags, Diagnostic{File: c.pb.File, Pos: p, Msg: fmt.Sprintf(format, args...)})
}

func children(st *Step) []*Step {
	var out []*Step
	out = append(out, st.Steps...)
	out = append(out, st.Then...)
	out = append(out, st.Else...)
	return append(out, st.Branches...)
}

// collect records step ids and the variables set or appended to.
func (c *checker) collect(steps []*Step, loop string) {
	for _, st := range steps {
		if st.ID != "" {
			if p, dup := c.ids[st.ID]; dup {
				c.errf(st.Pos, "step id %q is already used at line %d", st.ID, p.Line)
			} else {
				c.ids[st.ID] = st.Pos
				c.owner[st.ID] = loop
			}
		}
		for _, a := range st.Assigns {
			c.vars[a.Name] = true
		}
		inner := loop
		if st.Kind == KindForEach || st.Kind == KindBatch {
			inner = st.ID
		}
		c.collect(children(st), inner)
	}
}

// ran is what has run where an expression is evaluated: done holds the
// steps whose record exists by then (or may: a step inside an if), active
// the ids of the steps the expression belongs to, outermost first. vars
// marks the variables' expressions, evaluated before any step.
type ran struct {
	done   map[string]bool
	later  map[string]bool // steps that run after this point on the same path
	active []string
	vars   bool
}

// steps checks a sequence; locals are the loop variables in scope, loops
// the ids of the enclosing loops and before what has run when the
// sequence starts.
func (c *checker) steps(steps []*Step, locals, loops []string, before *ran) {
	done := make(map[string]bool, len(before.done))
	for k := range before.done {
		done[k] = true
	}
	for i, st := range steps {
		later := make(map[string]bool, len(before.later))
		for k := range before.later {
			later[k] = true
		}
		for _, next := range steps[i+1:] {
			markDone(next, later)
		}
		c.step(st, locals, loops, &ran{done: done, later: later, active: append(append([]string{}, before.active...), st.ID)})
		markDone(st, done)
	}
}

// markDone adds a step and everything inside it to set.
func markDone(st *Step, set map[string]bool) {
	if st.ID != "" {
		set[st.ID] = true
	}
	for _, ch := range children(st) {
		markDone(ch, set)
	}
}

func (c *checker) step(st *Step, locals, loops []string, rn *ran) {
	c.expr(st.When, "when", locals, loops, rn)
	c.expr(st.Items, st.Kind, locals, loops, rn)
	c.expr(st.Size, "size", locals, loops, rn)
	c.expr(st.Cond, "if", locals, loops, rn)
	c.expr(st.SkillExpr, "call", locals, loops, rn)
	for _, a := range st.With {
		c.expr(a.Expr, "with."+a.Name, locals, loops, rn)
	}
	for _, a := range st.Assigns {
		c.expr(a.Expr, st.Kind+"."+a.Name, locals, loops, rn)
	}
	for _, k := range sortedKeys(st.Args) {
		c.expr(st.Args[k], k, locals, loops, rn)
	}
	if st.Kind == KindCall && st.Skill != "" && c.opts.Skill != nil {
		c.skill(st)
	}
	if st.Kind == KindPromptbook && st.Promptbook != "" && c.opts.Promptbook != nil {
		c.promptbook(st)
	}
	inner, innerLoops := locals, loops
	if st.Kind == KindForEach || st.Kind == KindBatch {
		inner = append(append([]string{}, locals...), st.As, "index")
		innerLoops = append(append([]string{}, loops...), st.ID)
	}
	// Each nested sequence starts from what had run before this step;
	// parallel branches do not see each other, nor then and else.
	c.steps(st.Steps, inner, innerLoops, rn)
	c.steps(st.Then, inner, innerLoops, rn)
	c.steps(st.Else, inner, innerLoops, rn)
	for _, b := range st.Branches {
		c.steps([]*Step{b}, inner, innerLoops, rn)
	}
}

func (c *checker) promptbook(st *Step) {
	inputs, ok := c.opts.Promptbook(st.Promptbook)
	if !ok {
		c.errf(st.Pos, "promptbook: unknown promptbook %q", st.Promptbook)
		return
	}
	for _, a := range st.With {
		if !contains1(inputs, a.Name) {
			c.errf(a.Pos, "with: promptbook %s has no input %q (inputs: %s)", st.Promptbook, a.Name, strings.Join(inputs, ", "))
		}
	}
}

func (c *checker) skill(st *Step) {
	spec, ok := c.opts.Skill(st.Skill)
	if !ok {
		c.errf(st.Pos, "call: unknown skill %q", st.Skill)
		return
	}
	given := map[string]bool{}
	for _, a := range st.With {
		given[a.Name] = true
		if _, ok := spec.Input(a.Name); !ok {
			names := make([]string, 0, len(spec.Inputs))
			for _, in := range spec.Inputs {
				names = append(names, in.Name)
			}
			c.errf(a.Pos, "with: skill %s has no input %q (inputs: %s)", spec.ID, a.Name, strings.Join(names, ", "))
		}
	}
	if st.Args["args"] != nil {
		return // arguments computed at run time
	}
	for _, in := range spec.Inputs {
		if in.Required && in.Default == nil && !given[in.Name] {
			c.errf(st.Pos, "call %s: missing required input %q", spec.ID, in.Name)
		}
	}
}

func (c *checker) expr(e *Expr, what string, locals, loops []string, rn *ran) {
	if e == nil {
		return
	}
	for _, ref := range e.names() {
		switch ref.root {
		case "trigger", "it", "run":
		case "inputs":
			if len(ref.path) > 0 && !c.inputs[ref.path[0]] {
				c.errf(e.Pos(), "%s: undeclared input %q", what, ref.path[0])
			}
		case "vars":
			if len(ref.path) > 0 && !c.vars[ref.path[0]] {
				c.errf(e.Pos(), "%s: undeclared variable %q", what, ref.path[0])
			}
		case "steps":
			if len(ref.path) > 0 {
				if _, ok := c.ids[ref.path[0]]; !ok {
					c.errf(e.Pos(), "%s: reference to undefined step %q", what, ref.path[0])
				} else if o := c.owner[ref.path[0]]; o != "" && !contains1(loops, o) {
					c.errf(e.Pos(), "%s: step %q runs once per iteration of %s; read %s's output instead", what, ref.path[0], o, o)
				} else if msg := c.notRun(ref.path[0], rn); msg != "" {
					c.errf(e.Pos(), "%s: %s", what, msg)
				} else if len(ref.path) > 1 && !contains1([]string{"output", "status", "error", "errors", "attempts"}, ref.path[1]) {
					c.errf(e.Pos(), "%s: steps.%s has no field %q (expected output, status, error, errors or attempts)", what, ref.path[0], ref.path[1])
				}
			}
		default:
			if !contains1(locals, ref.root) {
				c.errf(e.Pos(), "%s: unknown name %q (expected trigger, inputs, vars, steps, run or a loop variable)", what, ref.root)
			}
		}
	}
}

// notRun says why step id has no record yet where rn holds, or "" when it
// may have one (rn nil: outputs, read after every step).
func (c *checker) notRun(id string, rn *ran) string {
	if rn == nil || rn.done[id] {
		return ""
	}
	line := c.ids[id].Line
	switch {
	case rn.vars:
		return fmt.Sprintf("step %q has not run yet: vars are set before the first step runs (read it in a set step instead)", id)
	case contains1(rn.active, id):
		if rn.active[len(rn.active)-1] == id {
			return fmt.Sprintf("step %q reads its own record, which is written when it finishes", id)
		}
		return fmt.Sprintf("step %q encloses this expression and has not finished yet", id)
	case rn.later[id]:
		return fmt.Sprintf("step %q is defined later (line %d) and has not run yet here", id, line)
	}
	return fmt.Sprintf("step %q (line %d) runs in another branch (parallel, or the other side of an if) and has no record here", id, line)
}
