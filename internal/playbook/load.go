package playbook

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// LoadFile reads and parses a playbook file. Syntax and structure problems
// come back as Diagnostics.
func LoadFile(path string) (*Playbook, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Parse parses a playbook. file names it in diagnostics. Every structural
// problem found is reported, not only the first.
func Parse(file string, data []byte) (*Playbook, error) {
	l := &loader{file: file, funcs: FuncNames()}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line := 1
		var te *yaml.TypeError
		msg := err.Error()
		if !errors.As(err, &te) {
			// yaml errors read "yaml: line N: message".
			if rest, ok := strings.CutPrefix(msg, "yaml: line "); ok {
				if n, after, ok := strings.Cut(rest, ": "); ok {
					if v, err := strconv.Atoi(n); err == nil {
						line, msg = v, after
					}
				}
			}
		}
		return nil, Diagnostics{{File: file, Pos: Pos{line, 1}, Msg: "yaml: " + strings.TrimPrefix(msg, "yaml: ")}}
	}
	pb := &Playbook{File: file}
	if len(doc.Content) == 0 {
		return nil, Diagnostics{{File: file, Pos: Pos{1, 1}, Msg: "empty playbook"}}
	}
	root := doc.Content[0]
	pb.Pos = pos(root)
	l.playbook(pb, root)
	if len(l.diags) > 0 {
		return pb, l.diags
	}
	return pb, nil
}

type loader struct {
	file  string
	funcs map[string]bool
	diags Diagnostics
}

func pos(n *yaml.Node) Pos { return Pos{n.Line, n.Column} }

func (l *loader) errf(n *yaml.Node, format string, args ...any) {
	l.diags = append(l.diags, Diagnostic{File: l.file, Pos: pos(n), Msg: fmt.Sprintf(format, args...)})
}

// fields walks a mapping, reporting fields not in allowed.
func (l *loader) fields(n *yaml.Node, what string, allowed []string, f func(key string, k, v *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		l.errf(n, "%s: expected a mapping, got %s", what, nodeKind(n))
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if allowed != nil && !contains1(allowed, k.Value) {
			l.errf(k, "unknown field %q in %s (expected one of: %s)", k.Value, what, strings.Join(allowed, ", "))
			continue
		}
		f(k.Value, k, v)
	}
}

func contains1(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	case yaml.AliasNode:
		return "an alias"
	}
	return "nothing"
}

func (l *loader) str(n *yaml.Node, what string) string {
	if n.Kind != yaml.ScalarNode {
		l.errf(n, "%s: expected a string, got %s", what, nodeKind(n))
		return ""
	}
	return n.Value
}

func (l *loader) integer(n *yaml.Node, what string) int {
	v, err := strconv.Atoi(l.str(n, what))
	if err != nil && n.Kind == yaml.ScalarNode {
		l.errf(n, "%s: expected a whole number, got %q", what, n.Value)
	}
	return v
}

func (l *loader) boolean(n *yaml.Node, what string) bool {
	var b bool
	if n.Kind != yaml.ScalarNode || n.Decode(&b) != nil {
		l.errf(n, "%s: expected true or false, got %s", what, nodeKind(n))
	}
	return b
}

func (l *loader) duration(n *yaml.Node, what string) time.Duration {
	s := l.str(n, what)
	if s == "" {
		return 0
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		l.errf(n, "%s: expected a duration such as 30s or 2m, got %q", what, s)
	}
	return d
}

// expr compiles a scalar as an expression. Compile errors point at the
// offending character when the scalar sits on one line.
func (l *loader) expr(n *yaml.Node, what string) *Expr {
	if n.Kind != yaml.ScalarNode {
		l.errf(n, "%s: expected an expression, got %s", what, nodeKind(n))
		return nil
	}
	src := n.Value
	if n.Tag == "!!str" && (n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle)) == 0 && src == "" {
		l.errf(n, "%s: empty expression", what)
		return nil
	}
	e, err := Compile(src, l.funcs)
	if err != nil {
		p := pos(n)
		var ee *ExprError
		if errors.As(err, &ee) && !strings.Contains(src, "\n") {
			switch n.Style {
			case 0:
				p.Col += ee.Offset
			case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
				p.Col += ee.Offset + 1
			}
		}
		l.diags = append(l.diags, Diagnostic{File: l.file, Pos: p, Msg: fmt.Sprintf("%s: bad expression %q: %v", what, src, err)})
		return nil
	}
	e.pos = pos(n)
	return e
}

func (l *loader) assigns(n *yaml.Node, what string) []Assign {
	var out []Assign
	l.fields(n, what, nil, func(key string, k, v *yaml.Node) {
		out = append(out, Assign{Name: key, Expr: l.expr(v, what+"."+key), Pos: pos(k)})
	})
	return out
}

func (l *loader) playbook(pb *Playbook, n *yaml.Node) {
	seen := map[string]bool{}
	l.fields(n, "playbook", []string{"name", "description", "triggers", "inputs", "vars", "steps", "outputs"}, func(key string, k, v *yaml.Node) {
		seen[key] = true
		switch key {
		case "name":
			pb.Name = l.str(v, "name")
		case "description":
			pb.Description = l.str(v, "description")
		case "triggers":
			l.triggers(pb, v)
		case "inputs":
			l.inputs(pb, v)
		case "vars":
			pb.Vars = l.assigns(v, "vars")
		case "steps":
			pb.Steps = l.steps(v, "steps")
		case "outputs":
			pb.Outputs = l.assigns(v, "outputs")
		}
	})
	if n.Kind == yaml.MappingNode {
		for _, req := range []string{"name", "steps"} {
			if !seen[req] {
				l.errf(n, "playbook: missing required field %q", req)
			}
		}
	}
}

func (l *loader) triggers(pb *Playbook, n *yaml.Node) {
	if n.Kind != yaml.SequenceNode {
		l.errf(n, "triggers: expected a list, got %s", nodeKind(n))
		return
	}
	for _, t := range n.Content {
		tr := Trigger{Pos: pos(t)}
		l.fields(t, "trigger", []string{TriggerIncident, TriggerManual, TriggerSchedule}, func(key string, k, v *yaml.Node) {
			tr.Kind = key
			switch key {
			case TriggerIncident:
				l.fields(v, "incident trigger", []string{"events"}, func(_ string, _, ev *yaml.Node) {
					if ev.Kind != yaml.SequenceNode {
						l.errf(ev, "events: expected a list, got %s", nodeKind(ev))
						return
					}
					for _, e := range ev.Content {
						s := l.str(e, "event")
						if s != "created" && s != "updated" {
							l.errf(e, "incident trigger: unknown event %q (expected created or updated)", s)
						}
						tr.Events = append(tr.Events, s)
					}
				})
			case TriggerSchedule:
				l.fields(v, "schedule trigger", []string{"every"}, func(_ string, _, ev *yaml.Node) {
					tr.Every = l.duration(ev, "every")
				})
			case TriggerManual:
				if v.Kind == yaml.MappingNode {
					l.fields(v, "manual trigger", []string{}, func(string, *yaml.Node, *yaml.Node) {})
				}
			}
		})
		pb.Triggers = append(pb.Triggers, tr)
	}
}

func (l *loader) inputs(pb *Playbook, n *yaml.Node) {
	l.fields(n, "inputs", nil, func(name string, k, v *yaml.Node) {
		in := Input{Name: name, Type: TypeString, Pos: pos(k)}
		l.fields(v, "input "+name, []string{"type", "description", "required", "default"}, func(key string, _, f *yaml.Node) {
			switch key {
			case "type":
				in.Type = l.str(f, "type")
				if !contains1([]string{TypeString, TypeInt, TypeBool, TypeList, TypeMap}, in.Type) {
					l.errf(f, "input %s: unknown type %q (expected string, int, bool, list or map)", name, in.Type)
				}
			case "description":
				in.Description = l.str(f, "description")
			case "required":
				in.Required = l.boolean(f, "required")
			case "default":
				var d any
				if err := f.Decode(&d); err != nil {
					l.errf(f, "input %s: default: %v", name, err)
				}
				in.Default = normalize(d)
			}
		})
		if in.Default != nil {
			if _, err := Coerce(in.Type, in.Default); err != nil {
				l.errf(v, "input %s: default: %v", name, err)
			}
		}
		pb.Inputs = append(pb.Inputs, in)
	})
}

// kindKeys are the keys that decide a step's kind.
var kindKeys = []string{KindCall, KindForEach, KindBatch, KindIf, KindParallel, KindSet, KindAppend, KindReport, KindWriteFile, KindWebhook, KindTerminate, KindPrompt, KindPromptbook}

var commonKeys = []string{"id", "description", "when", "retry", "timeout", "continue_on_error"}

var kindFields = map[string][]string{
	KindCall:       {"call", "with", "args"},
	KindForEach:    {"for_each", "as", "concurrency", "steps"},
	KindBatch:      {"batch", "size", "as", "concurrency", "steps"},
	KindIf:         {"if", "then", "else"},
	KindParallel:   {"parallel"},
	KindGroup:      {"steps"},
	KindSet:        {"set"},
	KindAppend:     {"append"},
	KindReport:     {"report"},
	KindWriteFile:  {"write_file"},
	KindWebhook:    {"webhook"},
	KindTerminate:  {"terminate"},
	KindPrompt:     {"prompt", "session"},
	KindPromptbook: {"promptbook", "with", "session"},
}

func (l *loader) steps(n *yaml.Node, what string) []*Step {
	if n.Kind != yaml.SequenceNode {
		l.errf(n, "%s: expected a list of steps, got %s", what, nodeKind(n))
		return nil
	}
	var out []*Step
	for _, s := range n.Content {
		if st := l.step(s); st != nil {
			out = append(out, st)
		}
	}
	return out
}

func (l *loader) step(n *yaml.Node) *Step {
	st := &Step{Pos: pos(n), Retry: Retry{Attempts: 1}, Concurrency: 1}
	if n.Kind != yaml.MappingNode {
		l.errf(n, "step: expected a mapping, got %s", nodeKind(n))
		return nil
	}
	var kinds []string
	hasSteps := false
	for i := 0; i < len(n.Content); i += 2 {
		k := n.Content[i].Value
		if contains1(kindKeys, k) {
			kinds = append(kinds, k)
		}
		if k == "steps" {
			hasSteps = true
		}
	}
	switch {
	case len(kinds) > 1:
		l.errf(n, "step: more than one step kind (%s); a step does one thing", strings.Join(kinds, ", "))
		return nil
	case len(kinds) == 1:
		st.Kind = kinds[0]
	case hasSteps:
		st.Kind = KindGroup
	default:
		keys := []string{}
		for i := 0; i < len(n.Content); i += 2 {
			if !contains1(commonKeys, n.Content[i].Value) {
				keys = append(keys, n.Content[i].Value)
			}
		}
		if len(keys) > 0 {
			l.errf(n, "step: unknown step kind %q (expected one of: %s, steps)", keys[0], strings.Join(kindKeys, ", "))
		} else {
			l.errf(n, "step: no step kind (expected one of: %s, steps)", strings.Join(kindKeys, ", "))
		}
		return nil
	}
	allowed := append(append([]string{}, commonKeys...), kindFields[st.Kind]...)
	sawID := false
	l.fields(n, st.Kind+" step", allowed, func(key string, k, v *yaml.Node) {
		switch key {
		case "id":
			st.ID = l.str(v, "id")
			sawID = true
			if st.ID != "" && !validName(st.ID) {
				l.errf(v, "id %q: use letters, digits and underscores, starting with a letter", st.ID)
			}
		case "description":
			l.str(v, "description")
		case "when":
			st.When = l.expr(v, "when")
		case "retry":
			l.fields(v, "retry", []string{"attempts", "backoff"}, func(key string, _, f *yaml.Node) {
				if key == "attempts" {
					st.Retry.Attempts = l.integer(f, "retry.attempts")
					if st.Retry.Attempts < 1 {
						l.errf(f, "retry.attempts: expected at least 1")
					}
				} else {
					st.Retry.Backoff = l.duration(f, "retry.backoff")
				}
			})
		case "timeout":
			st.Timeout = l.duration(v, "timeout")
		case "continue_on_error":
			st.ContinueOnError = l.boolean(v, "continue_on_error")
		case "call":
			s := l.str(v, "call")
			if rest, ok := strings.CutPrefix(s, "="); ok {
				vv := *v
				vv.Value = strings.TrimSpace(rest)
				vv.Column += len(s) - len(vv.Value)
				st.SkillExpr = l.expr(&vv, "call")
			} else {
				st.Skill = s
			}
		case "with":
			st.With = l.assigns(v, "with")
		case "args":
			st.Args = map[string]*Expr{"args": l.expr(v, "args")}
		case "for_each", "batch":
			st.Items = l.expr(v, key)
		case "as":
			st.As = l.str(v, "as")
			if !validName(st.As) {
				l.errf(v, "as %q: use letters, digits and underscores, starting with a letter", st.As)
			}
		case "size":
			st.Size = l.expr(v, "size")
		case "concurrency":
			st.Concurrency = l.integer(v, "concurrency")
			if st.Concurrency < 1 {
				l.errf(v, "concurrency: expected at least 1")
			}
		case "steps":
			st.Steps = l.steps(v, "steps")
		case "if":
			st.Cond = l.expr(v, "if")
		case "then":
			st.Then = l.steps(v, "then")
		case "else":
			st.Else = l.steps(v, "else")
		case "parallel":
			st.Branches = l.steps(v, "parallel")
		case "set", "append":
			st.Assigns = l.assigns(v, key)
		case KindReport, KindWriteFile, KindWebhook, KindTerminate:
			l.args(st, key, v)
		case KindPrompt, "session":
			if st.Args == nil {
				st.Args = map[string]*Expr{}
			}
			st.Args[key] = l.expr(v, key)
		case KindPromptbook:
			st.Promptbook = l.str(v, "promptbook")
			if st.Promptbook == "" {
				l.errf(v, "promptbook: expected a promptbook name")
			}
		}
	})
	if !sawID {
		l.errf(n, "%s step: missing required field \"id\"", st.Kind)
	}
	if st.As == "" {
		st.As = map[string]string{KindForEach: "item", KindBatch: "batch"}[st.Kind]
	}
	switch st.Kind {
	case KindBatch:
		if st.Size == nil {
			l.errf(n, "batch step %s: missing required field \"size\"", st.ID)
		}
	case KindIf:
		if st.Then == nil && st.Else == nil {
			l.errf(n, "if step %s: missing \"then\" or \"else\"", st.ID)
		}
	}
	return st
}

// argFields lists each argument-taking kind's fields; Required ones first.
var argFields = map[string]struct{ required, optional []string }{
	KindReport:    {nil, []string{"findings", "coverage", "format", "max_chars"}},
	KindWriteFile: {[]string{"path", "content"}, nil},
	KindWebhook:   {[]string{"url"}, []string{"body", "method"}},
	KindTerminate: {[]string{"status"}, []string{"message"}},
}

func (l *loader) args(st *Step, kind string, n *yaml.Node) {
	spec := argFields[kind]
	st.Args = map[string]*Expr{}
	seen := map[string]bool{}
	l.fields(n, kind, append(append([]string{}, spec.required...), spec.optional...), func(key string, _, v *yaml.Node) {
		seen[key] = true
		switch {
		case kind == KindReport && key == "format":
			st.Format = l.str(v, "format")
			if !contains1([]string{"md", "markdown", "html", "json"}, st.Format) {
				l.errf(v, "report.format: unknown format %q (expected md, html or json)", st.Format)
			}
		case kind == KindWebhook && key == "method":
			st.Method = strings.ToUpper(l.str(v, "method"))
			if !contains1([]string{"POST", "PUT", "PATCH"}, st.Method) {
				l.errf(v, "webhook.method: expected POST, PUT or PATCH, got %q", st.Method)
			}
		case kind == KindTerminate && key == "status":
			st.Status = l.str(v, "status")
			if !contains1([]string{StatusSucceeded, StatusFailed, StatusCancelled}, st.Status) {
				l.errf(v, "terminate.status: expected succeeded, failed or cancelled, got %q", st.Status)
			}
		default:
			st.Args[key] = l.expr(v, kind+"."+key)
		}
	})
	if n.Kind == yaml.MappingNode {
		for _, r := range spec.required {
			if !seen[r] {
				l.errf(n, "%s: missing required field %q", kind, r)
			}
		}
	}
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		ok := r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9'
		if !ok {
			return false
		}
	}
	return true
}

// FuncNames lists every function an expression may call.
func FuncNames() map[string]bool {
	out := map[string]bool{"filter": true, "map": true}
	for k := range Library() {
		out[k] = true
	}
	for _, k := range incidentFuncNames {
		out[k] = true
	}
	return out
}

// Coerce converts a value to an input type; strings from the command line
// are parsed.
func Coerce(typ string, v any) (any, error) {
	v = normalize(v)
	s, isStr := v.(string)
	switch typ {
	case TypeString:
		if isStr {
			return s, nil
		}
	case TypeInt:
		if isStr {
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil {
				return nil, fmt.Errorf("expected a whole number, got %q", s)
			}
			return float64(n), nil
		}
		if f, ok := v.(float64); ok && f == float64(int64(f)) {
			return f, nil
		}
	case TypeBool:
		if isStr {
			b, err := strconv.ParseBool(strings.TrimSpace(s))
			if err != nil {
				return nil, fmt.Errorf("expected true or false, got %q", s)
			}
			return b, nil
		}
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case TypeList:
		if isStr {
			out := []any{}
			for _, p := range strings.Split(s, ",") {
				if p = strings.TrimSpace(p); p != "" {
					out = append(out, p)
				}
			}
			return out, nil
		}
		if l, ok := v.([]any); ok {
			return l, nil
		}
	case TypeMap:
		if m, ok := v.(map[string]any); ok {
			return m, nil
		}
	}
	return nil, fmt.Errorf("expected %s, got %s", typ, kindOf(v))
}

func sortedKeys[M ~map[string]V, V any](m M) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
