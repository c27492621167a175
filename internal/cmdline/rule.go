package cmdline

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	sigma "github.com/bradleyjkemp/sigma-go"
)

// Rule is one Sigma process_creation rule compiled into matchers.
type Rule struct {
	ID          string   `json:"id,omitempty"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Status      string   `json:"status,omitempty"`
	Level       string   `json:"level"`
	Tags        []string `json:"tags,omitempty"`
	// Techniques are the ATT&CK technique ids from attack.tNNNN tags, e.g. T1059.001.
	Techniques []string `json:"techniques,omitempty"`
	// Product is the logsource product: windows, linux, macos, or empty for any.
	Product string `json:"product,omitempty"`
	// Source is where the rule came from: "builtin:<file>" or a file path.
	Source string `json:"source"`
	// Allow marks a benign-allow rule (tag spotter.allow): a match says the
	// line is a known benign use when no rule of level low or above matched.
	Allow bool `json:"allow,omitempty"`
	// Problems lists the parts of the rule that cannot be evaluated (an
	// unsupported modifier, a regular expression RE2 rejects, an
	// aggregation). Evaluating such a part counts an error and does not match.
	Problems []string `json:"problems,omitempty"`
	// Tests are the rule's own examples (the custom `tests` field).
	Tests RuleTests `json:"-"`

	searches  map[string]*search
	cond      condNode
	leaves    []*leaf
	rewritten bool // identifiers were encoded for sigma-go's condition grammar
}

// RuleTests are examples a rule must and must not match.
type RuleTests struct {
	Match   []Input
	NoMatch []Input
}

// Levels in the order of severity, most severe first.
var ruleLevels = []string{"critical", "high", "medium", "low", "informational"}

// search is one named detection: any of its alternatives, each an AND of
// field matchers.
type search struct {
	name string
	alts [][]*fieldMatcher
}

// fieldMatcher tests one field with one or more value groups: any group
// matches, or with the all modifier every group; a group matches when any
// of its leaves does.
type fieldMatcher struct {
	key    string // the key as written, e.g. CommandLine|contains|all
	field  string
	all    bool
	groups [][]*leaf
	err    string
}

var attackTechnique = regexp.MustCompile(`^attack\.(t\d{4}(?:\.\d{3})?)$`)

// newRule builds a Rule from what sigma-go parsed; rewritten says the
// identifiers were encoded for sigma-go's condition grammar (see
// encodeIdent); lines gives the line of each "search\x00key" for problem
// messages (it may be nil).
func newRule(r sigma.Rule, source string, rewritten bool, lines map[string]int) *Rule {
	out := &Rule{
		ID: r.ID, Title: strings.TrimSpace(r.Title), Description: strings.TrimSpace(r.Description),
		Status: r.Status, Level: normalizeLevel(r.Level), Tags: r.Tags,
		Product: strings.ToLower(strings.TrimSpace(r.Logsource.Product)), Source: source,
		searches: map[string]*search{}, rewritten: rewritten,
	}
	if out.Product == "macosx" || out.Product == "darwin" {
		out.Product = OSMacOS
	}
	for _, t := range r.Tags {
		lt := strings.ToLower(strings.TrimSpace(t))
		if m := attackTechnique.FindStringSubmatch(lt); m != nil {
			out.Techniques = append(out.Techniques, strings.ToUpper(m[1]))
		}
		if lt == "spotter.allow" {
			out.Allow = true
		}
	}
	if v, ok := r.AdditionalFields["tests"]; ok {
		out.Tests = parseRuleTests(v)
	}
	decode := func(n string) string {
		if rewritten {
			return decodeIdent(n)
		}
		return n
	}
	searchNames := make([]string, 0, len(r.Detection.Searches))
	for encName := range r.Detection.Searches {
		searchNames = append(searchNames, encName)
	}
	sort.Strings(searchNames)
	for _, encName := range searchNames {
		name := decode(encName)
		out.searches[name] = out.compileSearch(name, r.Detection.Searches[encName], lines)
	}
	switch {
	case len(r.Detection.Conditions) == 0:
		out.problem("detection: expected a condition")
	default:
		var alts []condNode
		for _, c := range r.Detection.Conditions {
			if c.Aggregation != nil {
				out.problem("condition: aggregations are not supported for single events")
				alts = nil
				break
			}
			n, err := out.compileCondition(c.Search, decode)
			if err != nil {
				out.problem("condition: " + err.Error())
				alts = nil
				break
			}
			alts = append(alts, n)
		}
		if len(alts) == 1 {
			out.cond = alts[0]
		} else if len(alts) > 1 {
			out.cond = condOr(alts)
		}
	}
	for i, l := range out.leaves {
		l.ord = i
		l.fid = knownFieldIndex(l.field)
	}
	return out
}

func (r *Rule) problem(msg string) {
	r.Problems = append(r.Problems, msg)
}

// compileSearch compiles one detection: a map of fields (AND), a list of
// such maps (OR), or a list of keywords (searched for in CommandLine).
func (r *Rule) compileSearch(name string, s sigma.Search, lines map[string]int) *search {
	out := &search{name: name}
	if len(s.Keywords) > 0 {
		fm := &fieldMatcher{key: "keywords", field: FieldCommandLine}
		m := modifierSet{op: opContains}
		for _, k := range s.Keywords {
			ls, err := compileValue(FieldCommandLine, m, k)
			if err != nil {
				fm.err = err.Error()
				break
			}
			fm.groups = append(fm.groups, r.addLeaves(ls))
		}
		r.noteError(name, fm, lines)
		out.alts = append(out.alts, []*fieldMatcher{fm})
		return out
	}
	for _, em := range s.EventMatchers {
		var alt []*fieldMatcher
		for _, f := range em {
			fm := r.compileField(f)
			r.noteError(name, fm, lines)
			alt = append(alt, fm)
		}
		out.alts = append(out.alts, alt)
	}
	if len(out.alts) == 0 {
		r.problem(fmt.Sprintf("search %s: expected field conditions or keywords", name))
	}
	return out
}

func (r *Rule) noteError(searchName string, fm *fieldMatcher, lines map[string]int) {
	if fm.err == "" {
		return
	}
	where := "search " + searchName
	if l, ok := lines[searchName+"\x00"+fm.key]; ok {
		where = fmt.Sprintf("line %d: %s", l, where)
	}
	r.problem(fmt.Sprintf("%s: %s: %s", where, fm.key, fm.err))
}

func (r *Rule) addLeaves(ls []*leaf) []*leaf {
	r.leaves = append(r.leaves, ls...)
	return ls
}

// compileField compiles one `Field|modifiers: values` entry.
func (r *Rule) compileField(f sigma.FieldMatcher) *fieldMatcher {
	key := f.Field
	if len(f.Modifiers) > 0 {
		key += "|" + strings.Join(f.Modifiers, "|")
	}
	fm := &fieldMatcher{key: key, field: f.Field}
	m, err := parseModifiers(f.Modifiers)
	if err != nil {
		fm.err = err.Error()
		return fm
	}
	fm.all = m.all
	values := f.Values
	if len(values) == 0 {
		values = []any{nil}
	}
	for _, v := range values {
		if nested, ok := v.([]any); ok && len(nested) == 0 {
			continue
		}
		ls, err := compileValue(f.Field, m, v)
		if err != nil {
			fm.err = err.Error()
			fm.groups = nil
			return fm
		}
		fm.groups = append(fm.groups, r.addLeaves(ls))
	}
	if len(fm.groups) == 0 {
		fm.err = "expected at least one value"
	}
	return fm
}

func normalizeLevel(l string) string {
	l = strings.ToLower(strings.TrimSpace(l))
	switch l {
	case "critical", "high", "medium", "low", "informational":
		return l
	case "info":
		return "informational"
	}
	return "medium"
}

// parseRuleTests reads the custom `tests` field: `match` and `nomatch`
// lists whose items are command lines or maps with cmdline, os, image,
// parent (an image or a command line), parent_image, parent_cmdline, user.
func parseRuleTests(v any) RuleTests {
	var t RuleTests
	m, ok := v.(map[string]any)
	if !ok {
		return t
	}
	read := func(x any) []Input {
		list, _ := x.([]any)
		var out []Input
		for _, item := range list {
			switch it := item.(type) {
			case string:
				out = append(out, Input{CommandLine: it})
			case map[string]any:
				str := func(k string) string { s, _ := it[k].(string); return s }
				in := Input{CommandLine: str("cmdline"), OS: str("os"), Image: str("image"), User: str("user"),
					ParentImage: str("parent_image"), ParentCommandLine: str("parent_cmdline")}
				if p := str("parent"); p != "" {
					in.ParentImage, in.ParentCommandLine = SplitParent(p)
				}
				out = append(out, in)
			}
		}
		return out
	}
	t.Match, t.NoMatch = read(m["match"]), read(m["nomatch"])
	return t
}
