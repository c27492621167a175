package skill

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spotter-soc/spotter/internal/ioc"
)

// FormatIndicator marks string inputs that hold indicators.
const FormatIndicator = "indicator"

// Type is the type of a skill input.
type Type string

// Input types. List types take a JSON array, or a comma-separated string on the command line.
const (
	TypeString     Type = "string"
	TypeInteger    Type = "integer"
	TypeBoolean    Type = "boolean"
	TypeStringList Type = "string[]"
	TypeObject     Type = "object" // any JSON object
)

// Input declares one input of a skill. Validation, `spotter skills`, the JSON
// schema and LLM tool definitions are all derived from it.
type Input struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Type        Type     `json:"type"`
	Required    bool     `json:"required"`
	Default     any      `json:"default,omitempty"`
	Placeholder string   `json:"placeholder,omitempty"`
	Enum        []string `json:"enum,omitempty"`
	// Format "indicator" refangs and normalises string values (or each list
	// item) before validation and caching, so 1.2.3[.]4 and 1.2.3.4 are one
	// lookup; values that are not recognisable indicators are kept refanged.
	Format string `json:"format,omitempty"`
	Min    *int   `json:"min,omitempty"` // integers: smallest value; lists: fewest items
	Max    *int   `json:"max,omitempty"` // integers: largest value; lists: most items
}

// Spec declares a skill once.
type Spec struct {
	// ID is stable and namespaced: "<plugin>.<Skill>", e.g. abuseipdb.CheckIP.
	ID string `json:"id"`
	// Name is the display name.
	Name string `json:"name"`
	// Description is for people; ModelDescription is for a model choosing tools (Description when empty).
	Description      string `json:"description"`
	ModelDescription string `json:"model_description,omitempty"`
	// Examples are prompts that should lead to this skill.
	Examples []string `json:"examples,omitempty"`
	// Aliases are other names the skill answers to (Security Copilot's skill names where the meaning matches).
	Aliases []string `json:"aliases,omitempty"`
	Inputs  []Input  `json:"inputs"`
	// Enriches lists the indicator types the skill judges (ip, account, host, hash, url, domain, email, process),
	// so an investigation knows which skills to ask about which entities.
	Enriches []string `json:"enriches,omitempty"`
	// IndicatorInput names the input that takes the indicator (a string) or
	// indicators (a string list; its Max is the batch size) when the skill is
	// used for enrichment.
	IndicatorInput string `json:"indicator_input,omitempty"`
	// Section is the report section its findings belong in.
	Section string `json:"section,omitempty"`
	// CacheTTL is how long a result stays fresh: 0 means the gateway default, negative means never cache.
	CacheTTL time.Duration `json:"cache_ttl,omitempty"`
	// Writes marks a skill that changes something outside Spotter (posts a
	// comment, updates an incident). Planners never choose one, whatever a
	// prompt, an incident or a model says; it runs only when a playbook
	// step or a direct skill request names it.
	Writes bool `json:"writes,omitempty"`
}

// Plugin returns the plugin part of the id.
func (s Spec) Plugin() string {
	p, _, _ := strings.Cut(s.ID, ".")
	return p
}

// Input returns the declared input with that name.
func (s Spec) Input(name string) (Input, bool) {
	for _, in := range s.Inputs {
		if in.Name == name {
			return in, true
		}
	}
	return Input{}, false
}

// Check reports mistakes in the declaration itself.
func (s Spec) Check() error {
	plugin, name, ok := strings.Cut(s.ID, ".")
	if !ok || plugin == "" || name == "" || strings.ContainsAny(s.ID, " /") {
		return fmt.Errorf("skill id %q: expected <plugin>.<Skill>", s.ID)
	}
	if s.Description == "" {
		return fmt.Errorf("skill %s: description is empty", s.ID)
	}
	if len(s.Enriches) > 0 {
		in, ok := s.Input(s.IndicatorInput)
		if !ok || (in.Type != TypeString && in.Type != TypeStringList) {
			return fmt.Errorf("skill %s: enriches %v but indicator_input %q is not a declared string or string[] input", s.ID, s.Enriches, s.IndicatorInput)
		}
	}
	seen := map[string]bool{}
	for _, in := range s.Inputs {
		if in.Name == "" || seen[in.Name] {
			return fmt.Errorf("skill %s: input name %q is empty or declared twice", s.ID, in.Name)
		}
		seen[in.Name] = true
		switch in.Type {
		case TypeString, TypeInteger, TypeBoolean, TypeStringList, TypeObject:
		default:
			return fmt.Errorf("skill %s: input %s has unknown type %q", s.ID, in.Name, in.Type)
		}
		if in.Format != "" && in.Format != FormatIndicator {
			return fmt.Errorf("skill %s: input %s has unknown format %q", s.ID, in.Name, in.Format)
		}
		if in.Default != nil {
			if _, err := coerce(in, in.Default); err != nil {
				return fmt.Errorf("skill %s: input %s: default: %v", s.ID, in.Name, err)
			}
		}
	}
	return nil
}

// Inputs are validated input values keyed by name: string, int, bool,
// []string or map[string]any according to the declared type.
type Inputs map[string]any

// String returns a string input ("" when absent).
func (in Inputs) String(name string) string { s, _ := in[name].(string); return s }

// Int returns an integer input (0 when absent).
func (in Inputs) Int(name string) int { n, _ := in[name].(int); return n }

// Bool returns a boolean input (false when absent).
func (in Inputs) Bool(name string) bool { b, _ := in[name].(bool); return b }

// Strings returns a list input (nil when absent).
func (in Inputs) Strings(name string) []string { l, _ := in[name].([]string); return l }

// Object returns an object input (nil when absent).
func (in Inputs) Object(name string) map[string]any { m, _ := in[name].(map[string]any); return m }

// InputError says which input is wrong and what was expected.
type InputError struct {
	Skill, Input, Msg string
}

func (e *InputError) Error() string {
	if e.Input == "" {
		return e.Skill + ": " + e.Msg
	}
	return e.Skill + ": input " + e.Input + ": " + e.Msg
}

// Validate checks raw inputs against the spec: unknown names, missing
// required inputs, types (strings from a command line are converted),
// enumerations and ranges; defaults fill what is absent.
func (s Spec) Validate(raw map[string]any) (Inputs, error) {
	out := Inputs{}
	var unknown []string
	for k := range raw {
		if _, ok := s.Input(k); !ok {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, &InputError{Skill: s.ID, Input: unknown[0], Msg: "unknown input; expected one of " + s.inputNames()}
	}
	for _, in := range s.Inputs {
		v, present := raw[in.Name]
		if !present || v == nil || v == "" {
			if in.Default != nil {
				v, _ = coerce(in, in.Default)
				out[in.Name] = v
				continue
			}
			if in.Required {
				return nil, &InputError{Skill: s.ID, Input: in.Name, Msg: "required: " + describe(in)}
			}
			continue
		}
		c, err := coerce(in, v)
		if err != nil {
			return nil, &InputError{Skill: s.ID, Input: in.Name, Msg: err.Error()}
		}
		out[in.Name] = c
	}
	return out, nil
}

func (s Spec) inputNames() string {
	names := make([]string, len(s.Inputs))
	for i, in := range s.Inputs {
		names[i] = in.Name
	}
	if len(names) == 0 {
		return "none (this skill takes no inputs)"
	}
	return strings.Join(names, ", ")
}

func describe(in Input) string {
	d := "expected " + string(in.Type)
	if in.Description != "" {
		d += " (" + in.Description + ")"
	}
	return d
}

// coerce converts v to the input's Go type and checks enum and range.
func coerce(in Input, v any) (any, error) {
	switch in.Type {
	case TypeString:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("expected a string, got %T", v)
		}
		s = strings.TrimSpace(s)
		if in.Format == FormatIndicator {
			s = normalizeIndicator(s)
		}
		if len(in.Enum) > 0 && !containsFold(in.Enum, s) {
			return nil, fmt.Errorf("%q: expected one of %s", s, strings.Join(in.Enum, ", "))
		}
		return s, nil
	case TypeInteger:
		var n int
		switch x := v.(type) {
		case int:
			n = x
		case int64:
			n = int(x)
		case float64:
			if x != float64(int(x)) {
				return nil, fmt.Errorf("%v: expected a whole number", x)
			}
			n = int(x)
		case string:
			p, err := strconv.Atoi(strings.TrimSpace(x))
			if err != nil {
				return nil, fmt.Errorf("%q: expected a whole number", x)
			}
			n = p
		case interface{ Int64() (int64, error) }: // json.Number
			p, err := x.Int64()
			if err != nil {
				return nil, fmt.Errorf("%v: expected a whole number", x)
			}
			n = int(p)
		default:
			return nil, fmt.Errorf("expected an integer, got %T", v)
		}
		if in.Min != nil && n < *in.Min || in.Max != nil && n > *in.Max {
			return nil, fmt.Errorf("%d: expected %s", n, rangeText(in))
		}
		return n, nil
	case TypeBoolean:
		switch x := v.(type) {
		case bool:
			return x, nil
		case string:
			b, err := strconv.ParseBool(strings.TrimSpace(x))
			if err != nil {
				return nil, fmt.Errorf("%q: expected true or false", x)
			}
			return b, nil
		}
		return nil, fmt.Errorf("expected true or false, got %T", v)
	case TypeStringList:
		var list []string
		switch x := v.(type) {
		case []string:
			list = x
		case string:
			list = strings.Split(x, ",")
		case []any:
			for i, e := range x {
				s, ok := e.(string)
				if !ok {
					return nil, fmt.Errorf("item %d: expected a string, got %T", i, e)
				}
				list = append(list, s)
			}
		default:
			return nil, fmt.Errorf("expected a list of strings, got %T", v)
		}
		clean := make([]string, 0, len(list))
		for _, s := range list {
			if s = strings.TrimSpace(s); s != "" {
				if in.Format == FormatIndicator {
					s = normalizeIndicator(s)
				}
				clean = append(clean, s)
			}
		}
		if in.Min != nil && len(clean) < *in.Min || in.Max != nil && len(clean) > *in.Max {
			return nil, fmt.Errorf("%d items: expected %s items", len(clean), rangeText(in))
		}
		return clean, nil
	case TypeObject:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("expected a JSON object, got %T", v)
		}
		return m, nil
	}
	return nil, fmt.Errorf("unknown type %q", in.Type)
}

func rangeText(in Input) string {
	switch {
	case in.Min != nil && in.Max != nil:
		return fmt.Sprintf("between %d and %d", *in.Min, *in.Max)
	case in.Min != nil:
		return fmt.Sprintf("at least %d", *in.Min)
	default:
		return fmt.Sprintf("at most %d", *in.Max)
	}
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// normalizeIndicator refangs s and returns the normalised form of the
// indicator it holds, or the refanged text when it is none.
func normalizeIndicator(s string) string {
	s = strings.TrimSpace(ioc.Refang(s))
	if _, n, ok := ioc.Classify(s); ok {
		return n
	}
	return s
}

// Int is a helper for declaring Min and Max.
func Int(n int) *int { return &n }
