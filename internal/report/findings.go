package report

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spotter-soc/spotter/internal/skill"
)

// knownSection reports whether id is one of Sections.
func knownSection(id string) bool {
	for _, s := range Sections {
		if s == id {
			return true
		}
	}
	return false
}

// sectionForType is the section of an indicator type when nothing else says.
func sectionForType(typ string) string {
	switch strings.ToLower(typ) {
	case "ip":
		return SectionIPs
	case "account":
		return SectionAccounts
	case "host":
		return SectionDevices
	case "process":
		return SectionProcesses
	}
	return SectionIndicators
}

// findingSection is the section a finding is shown in: its Section when that
// names a known section, else the section of its Type. Findings naming an
// unknown section go to the indicators, so none is lost.
func findingSection(f skill.Finding) string {
	if f.Section != "" {
		if knownSection(f.Section) {
			return f.Section
		}
		return SectionIndicators
	}
	return sectionForType(f.Type)
}

// findingGroup is the findings of one section about one indicator.
type findingGroup struct {
	key       string // lower-cased indicator
	indicator string
	typ       string
	findings  []skill.Finding
	used      bool // attached to a listed item
}

// findingIndex places findings in sections and finds verdicts for items.
type findingIndex struct {
	groups   map[string][]*findingGroup          // section -> groups, first seen first
	byKey    map[string]map[string]*findingGroup // section -> key -> group
	verdicts map[string][]skill.Verdict          // lower-cased indicator -> verdicts
}

func newFindingIndex(r *Report) *findingIndex {
	x := &findingIndex{
		groups:   map[string][]*findingGroup{},
		byKey:    map[string]map[string]*findingGroup{},
		verdicts: map[string][]skill.Verdict{},
	}
	for _, f := range r.Findings {
		sec := findingSection(f)
		key := strings.ToLower(strings.TrimSpace(f.Indicator))
		if x.byKey[sec] == nil {
			x.byKey[sec] = map[string]*findingGroup{}
		}
		g := x.byKey[sec][key]
		if g == nil {
			g = &findingGroup{key: key, indicator: f.Indicator, typ: f.Type}
			x.byKey[sec][key] = g
			x.groups[sec] = append(x.groups[sec], g)
		}
		g.findings = append(g.findings, f)
	}
	for _, v := range r.Verdict.Indicators {
		key := strings.ToLower(strings.TrimSpace(v.Indicator))
		x.verdicts[key] = append(x.verdicts[key], v)
	}
	return x
}

// take returns the findings of section sec about any of keys, in report
// order, and marks their groups as attached to an item.
func (x *findingIndex) take(sec string, keys ...string) []skill.Finding {
	var out []skill.Finding
	seen := map[*findingGroup]bool{}
	for _, k := range keys {
		g := x.byKey[sec][strings.ToLower(strings.TrimSpace(k))]
		if k == "" || g == nil || seen[g] {
			continue
		}
		seen[g] = true
		g.used = true
		out = append(out, g.findings...)
	}
	return out
}

// unused returns the groups of sec not attached to any item.
func (x *findingIndex) unused(sec string) []*findingGroup {
	var out []*findingGroup
	for _, g := range x.groups[sec] {
		if !g.used {
			out = append(out, g)
		}
	}
	return out
}

// verdict is the worst aggregated verdict about any of keys whose type
// belongs to sec or is the type of one of the item's findings. Without one,
// the item's own findings are aggregated; nil means there is no verdict.
func (x *findingIndex) verdict(sec string, fs []skill.Finding, keys ...string) *skill.Verdict {
	types := map[string]bool{}
	for _, f := range fs {
		types[strings.ToLower(f.Type)] = true
	}
	var best *skill.Verdict
	for _, k := range keys {
		if k == "" {
			continue
		}
		for i, v := range x.verdicts[strings.ToLower(strings.TrimSpace(k))] {
			if sectionForType(v.Type) != sec && !types[strings.ToLower(v.Type)] {
				continue
			}
			if best == nil || worse(v.Level, v.Score, best.Level, best.Score) {
				best = &x.verdicts[strings.ToLower(strings.TrimSpace(k))][i]
			}
		}
	}
	if best == nil && len(fs) > 0 {
		agg := skill.Aggregate(fs)
		best = &agg[0]
	}
	return best
}

// worse reports whether level a with score sa ranks above level b with score sb.
func worse(a skill.Level, sa int, b skill.Level, sb int) bool {
	if a.Rank() != b.Rank() {
		return a.Rank() > b.Rank()
	}
	return sa > sb
}

// isBad reports whether a level is one the report must always show: malicious or suspicious.
func isBad(l skill.Level) bool { return l.Rank() >= skill.Suspicious.Rank() }

// levelName is a level for display; an empty level reads "no level".
func levelName(l skill.Level) string {
	if l == "" {
		return "no level"
	}
	return string(l)
}

// verdictSpans renders an aggregated verdict after an item's value:
// " — malicious, score 90 (VirusTotal, AbuseIPDB)"; the sources are left
// out at level 6.
func (b *builder) verdictSpans(v *skill.Verdict) []span {
	if v == nil {
		return nil
	}
	out := []span{text(" — "), strong(levelName(v.Level)), text(fmt.Sprintf(", score %d", v.Score))}
	if len(v.Sources) > 0 && b.plan.level < 6 {
		out = append(out, text(" ("+strings.Join(v.Sources, ", ")+")"))
	}
	return out
}

// findingSource names where a finding came from.
func findingSource(f skill.Finding) string {
	if f.Source != "" {
		return f.Source
	}
	return f.Skill
}

// findingLine renders one finding: "malicious 85, VirusTotal (virustotal.URLReport): summary".
func findingLine(f skill.Finding, withReasons bool) line {
	l := line{strong(levelName(f.Level)), text(fmt.Sprintf(" %d", f.Score))}
	if src := findingSource(f); src != "" {
		l = append(l, text(", "+src))
	}
	if f.Skill != "" && f.Skill != f.Source && f.Source != "" {
		l = append(l, text(" ("+f.Skill+")"))
	}
	if f.Summary != "" {
		l = append(l, text(": "+f.Summary))
	}
	if f.Link != "" {
		l = append(l, text(" "), skillLink("details", f.Link))
	}
	if withReasons && len(f.Reasons) > 0 {
		l = append(l, text(". Reasons: "+strings.Join(f.Reasons, "; ")))
	}
	return l
}

// findingNotes renders an item's findings for the level. Up to level 2 every
// finding is shown in full; from level 3 only the worst keeps its summary and
// the others are listed as "also: source (level score)".
func (b *builder) findingNotes(fs []skill.Finding) []line {
	if len(fs) == 0 {
		return nil
	}
	if b.plan.level < 3 {
		out := make([]line, len(fs))
		for i, f := range fs {
			out[i] = findingLine(f, true)
		}
		return out
	}
	sorted := append([]skill.Finding(nil), fs...)
	sort.SliceStable(sorted, func(i, j int) bool {
		return worse(sorted[i].Level, sorted[i].Score, sorted[j].Level, sorted[j].Score)
	})
	out := []line{findingLine(sorted[0], false)}
	if len(sorted) > 1 {
		parts := make([]string, len(sorted)-1)
		for i, f := range sorted[1:] {
			parts[i] = fmt.Sprintf("%s (%s %d)", findingSource(f), levelName(f.Level), f.Score)
		}
		out = append(out, line{em("also: " + strings.Join(parts, ", "))})
	}
	return out
}

// anyBad reports whether any finding is malicious or suspicious.
func anyBad(fs []skill.Finding) bool {
	for _, f := range fs {
		if isBad(f.Level) {
			return true
		}
	}
	return false
}

// findingEntries turns the findings of sec that no item claimed into
// entries, one per indicator.
func (b *builder) findingEntries(sec string) []entry {
	var out []entry
	for _, g := range b.idx.unused(sec) {
		v := b.idx.verdict(sec, g.findings, g.indicator)
		head := line{code(g.indicator)}
		if g.typ != "" {
			head = append(head, text(" ("+g.typ+")"))
		}
		head = append(head, b.verdictSpans(v)...)
		e := entry{it: item{Head: head, Notes: b.findingNotes(g.findings)}}
		e.bad = anyBad(g.findings) || (v != nil && isBad(v.Level))
		if v != nil {
			e.score = v.Score
		}
		out = append(out, e)
	}
	return out
}
