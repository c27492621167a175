package copilot

import (
	"bytes"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Where a promptbook comes from. Built-in and directory promptbooks are
// read-only through the API; API promptbooks live in the database.
const (
	SourceBuiltin   = "builtin"
	SourceDirectory = "directory"
	SourceAPI       = "api"
)

// Promptbook is a named, ordered list of prompts run together in one
// session. Prompts may hold <Input> placeholders naming declared inputs.
type Promptbook struct {
	Name        string             `json:"name" yaml:"name" doc:"Unique name: lower-case letters, digits, '.', '_' and '-'"`
	Description string             `json:"description,omitempty" yaml:"description,omitempty"`
	Tags        []string           `json:"tags,omitempty" yaml:"tags,omitempty"`
	Inputs      []PromptbookInput  `json:"inputs,omitempty" yaml:"inputs,omitempty" doc:"Inputs the prompts refer to as <Name>"`
	Prompts     []PromptbookPrompt `json:"prompts" yaml:"prompts" doc:"Prompts evaluated in order"`
	Source      string             `json:"source,omitempty" yaml:"-" readOnly:"true" enum:"builtin,directory,api" doc:"Where the promptbook comes from; only api promptbooks can be changed"`
	ReadOnly    bool               `json:"readOnly,omitempty" yaml:"-" readOnly:"true"`
	CreatedBy   string             `json:"createdBy,omitempty" yaml:"-" readOnly:"true"`
}

// PromptbookInput is one declared input of a promptbook.
type PromptbookInput struct {
	Name        string `json:"name" yaml:"name"`
	Description string `json:"description,omitempty" yaml:"description,omitempty"`
	Required    bool   `json:"required,omitempty" yaml:"required,omitempty"`
}

// PromptbookPrompt is one step: natural-language content, or a skill with
// inputs, exactly as a PromptRequest.
type PromptbookPrompt struct {
	Content     string         `json:"content,omitempty" yaml:"content,omitempty"`
	SkillName   string         `json:"skillName,omitempty" yaml:"skillName,omitempty"`
	SkillInputs map[string]any `json:"skillInputs,omitempty" yaml:"skillInputs,omitempty"`
	Plugins     []string       `json:"plugins,omitempty" yaml:"plugins,omitempty"`
}

var (
	promptbookName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	inputName      = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,63}$`)
	placeholder    = regexp.MustCompile(`<([A-Za-z][A-Za-z0-9_]{0,63})>`)
)

// maxPromptbookPrompts bounds the prompts of one promptbook.
const maxPromptbookPrompts = 20

// ParsePromptbook reads a promptbook from YAML (JSON is YAML too); unknown
// keys are errors so that a typo does not silently drop a prompt.
func ParsePromptbook(data []byte) (Promptbook, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var pb Promptbook
	if err := dec.Decode(&pb); err != nil {
		return Promptbook{}, fmt.Errorf("expected a promptbook in YAML (name, description, tags, inputs, prompts): %w", err)
	}
	return pb, pb.Check()
}

// Check validates a promptbook and reports every problem at once, as
// *RequestError: the name, unique inputs, one to maxPromptbookPrompts
// prompts with content or a skill name each, and placeholders that name
// declared inputs.
func (pb Promptbook) Check() error {
	var probs []Problem
	if !promptbookName.MatchString(pb.Name) {
		probs = append(probs, Problem{"name", fmt.Sprintf("%q: expected 1-64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit", pb.Name)})
	}
	declared := map[string]bool{}
	for i, in := range pb.Inputs {
		f := fmt.Sprintf("inputs[%d].name", i)
		switch {
		case !inputName.MatchString(in.Name):
			probs = append(probs, Problem{f, fmt.Sprintf("%q: expected a letter then letters, digits or '_'", in.Name)})
		case declared[in.Name]:
			probs = append(probs, Problem{f, fmt.Sprintf("%q is declared twice", in.Name)})
		}
		declared[in.Name] = true
	}
	if len(pb.Prompts) == 0 || len(pb.Prompts) > maxPromptbookPrompts {
		probs = append(probs, Problem{"prompts", fmt.Sprintf("%d prompts; expected 1 to %d", len(pb.Prompts), maxPromptbookPrompts)})
	}
	for i, p := range pb.Prompts {
		f := fmt.Sprintf("prompts[%d]", i)
		hasContent, hasSkill := strings.TrimSpace(p.Content) != "", strings.TrimSpace(p.SkillName) != ""
		if hasContent == hasSkill {
			probs = append(probs, Problem{f, "expected either content or skillName (with skillInputs)"})
		}
		if hasContent && len(p.SkillInputs) > 0 {
			probs = append(probs, Problem{f + ".skillInputs", "given without skillName"})
		}
		for _, name := range placeholders(p) {
			if !declared[name] {
				probs = append(probs, Problem{f, fmt.Sprintf("placeholder <%s> names no declared input; declare it under inputs", name)})
			}
		}
	}
	if len(probs) > 0 {
		return &RequestError{Problems: probs}
	}
	return nil
}

// placeholders lists the <Name> placeholders of a prompt, sorted, once each.
func placeholders(p PromptbookPrompt) []string {
	seen := map[string]bool{}
	collect := func(s string) {
		for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
			seen[m[1]] = true
		}
	}
	collect(p.Content)
	collect(p.SkillName)
	for _, v := range p.SkillInputs {
		walkStrings(v, collect)
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func walkStrings(v any, f func(string)) {
	switch x := v.(type) {
	case string:
		f(x)
	case []any:
		for _, e := range x {
			walkStrings(e, f)
		}
	case []string:
		for _, e := range x {
			f(e)
		}
	case map[string]any:
		for _, e := range x {
			walkStrings(e, f)
		}
	}
}

// PromptbookInputError lists the problems of a run's inputs: every missing
// required input and every input the promptbook does not declare.
type PromptbookInputError struct {
	Promptbook string
	Problems   []Problem
}

func (e *PromptbookInputError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Field + ": " + p.Message
	}
	return "promptbook " + e.Promptbook + ": " + strings.Join(parts, "; ")
}

// CheckInputs validates run inputs against the declared ones.
func (pb Promptbook) CheckInputs(inputs map[string]string) error {
	var probs []Problem
	declared := map[string]bool{}
	for _, in := range pb.Inputs {
		declared[in.Name] = true
		if in.Required && strings.TrimSpace(inputs[in.Name]) == "" {
			msg := "required input is missing"
			if in.Description != "" {
				msg += " (" + in.Description + ")"
			}
			probs = append(probs, Problem{"inputs." + in.Name, msg})
		}
	}
	var unknown []string
	for k := range inputs {
		if !declared[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	names := make([]string, len(pb.Inputs))
	for i, in := range pb.Inputs {
		names[i] = in.Name
	}
	for _, k := range unknown {
		probs = append(probs, Problem{"inputs." + k, "not an input of " + pb.Name + "; expected one of: " + strings.Join(names, ", ")})
	}
	if len(probs) > 0 {
		return &PromptbookInputError{Promptbook: pb.Name, Problems: probs}
	}
	return nil
}

// Requests turns the prompts into prompt requests with the placeholders
// replaced by the inputs. An input left empty replaces its placeholder with
// nothing; a skill input that was only an empty placeholder is dropped, so
// the skill's default applies.
func (pb Promptbook) Requests(inputs map[string]string) []PromptRequest {
	fill := func(s string) string {
		return placeholder.ReplaceAllStringFunc(s, func(m string) string {
			name := m[1 : len(m)-1]
			for _, in := range pb.Inputs {
				if in.Name == name {
					return strings.TrimSpace(inputs[name])
				}
			}
			return m
		})
	}
	out := make([]PromptRequest, len(pb.Prompts))
	for i, p := range pb.Prompts {
		req := PromptRequest{Content: fill(p.Content), SkillName: fill(p.SkillName), Plugins: p.Plugins}
		if len(p.SkillInputs) > 0 {
			req.SkillInputs = map[string]any{}
			for k, v := range p.SkillInputs {
				if filled := fillValue(v, fill); filled != nil {
					req.SkillInputs[k] = filled
				}
			}
		}
		out[i] = req
	}
	return out
}

func fillValue(v any, fill func(string) string) any {
	switch x := v.(type) {
	case string:
		s := fill(x)
		if s == "" && x != "" {
			return nil
		}
		return s
	case []any:
		var list []any
		for _, e := range x {
			if f := fillValue(e, fill); f != nil {
				list = append(list, f)
			}
		}
		return list
	case []string:
		var list []string
		for _, e := range x {
			if s := fill(e); s != "" {
				list = append(list, s)
			}
		}
		return list
	}
	return v
}
