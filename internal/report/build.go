package report

import (
	"cmp"
	"fmt"
	"sort"
	"strings"
)

// builder turns a Report into a doc at one plan.
type builder struct {
	r      *Report
	plan   plan
	idx    *findingIndex
	capped bool // some malicious or suspicious items were counted, not listed
}

// keepFirst is how many entries of a long context list (alerts, comments,
// accounts, devices) survive from level 3 on.
const keepFirst = 5

var sectionHeadings = map[string]string{
	SectionOverview:   "Overview",
	SectionIPs:        "IP addresses",
	SectionAccounts:   "Accounts",
	SectionUserRisk:   "User risk",
	SectionDevices:    "Devices",
	SectionProcesses:  "Processes",
	SectionIndicators: "Indicators",
	SectionVerdict:    "Verdict and recommended next steps",
}

// sectionEmpty is what a section says when it has nothing to show.
var sectionEmpty = map[string]string{
	SectionOverview:   "No incident details beyond the title.",
	SectionIPs:        "No public IP addresses.",
	SectionAccounts:   "No accounts.",
	SectionUserRisk:   "No user risk findings.",
	SectionDevices:    "No devices.",
	SectionProcesses:  "No command lines.",
	SectionIndicators: "No hashes, URLs, domains, e-mail addresses, mail messages, files, CVEs or other entities.",
}

// coverageLabels name the capability behind each section in coverage lines.
var coverageLabels = map[string]string{
	SectionOverview:   "Incident context",
	SectionIPs:        "IP reputation",
	SectionAccounts:   "Account lookup",
	SectionUserRisk:   "User risk",
	SectionDevices:    "Device lookup",
	SectionProcesses:  "Command-line analysis",
	SectionIndicators: "Indicator reputation",
	SectionVerdict:    "Verdict",
}

// build renders r into a document at plan p.
func build(r *Report, p plan) *doc {
	b := &builder{r: r, plan: p, idx: newFindingIndex(r)}
	d := &doc{Title: strings.TrimSpace(r.Incident.Title)}
	if d.Title == "" {
		d.Title = "Untitled incident"
	}
	for _, id := range Sections {
		s := section{ID: id, Heading: sectionHeadings[id]}
		s.Blocks = append(s.Blocks, b.coverage(id)...)
		var content []block
		switch id {
		case SectionOverview:
			content = b.overview()
		case SectionIPs:
			content = b.ips()
		case SectionAccounts:
			content = b.accounts()
		case SectionDevices:
			content = b.devices()
		case SectionProcesses:
			content = b.processes()
		case SectionIndicators:
			content = b.indicators()
		case SectionVerdict:
			content = b.verdict()
		}
		title := "Other findings"
		if len(content) == 0 {
			title = ""
		}
		content = append(content, b.list(listSpec{
			title: title,
			noun:  nounIndicator,
			quiet: "with only benign, unknown or informational findings",
		}, b.findingEntries(id))...)
		if len(content) == 0 && sectionEmpty[id] != "" {
			content = []block{para(text(sectionEmpty[id]))}
		}
		s.Blocks = append(s.Blocks, content...)
		s.Blocks = append(s.Blocks, b.skipped(id)...)
		if b.plan.level >= 6 && id != SectionOverview && id != SectionVerdict {
			s.Blocks = compact(s.Blocks)
		}
		d.Sections = append(d.Sections, s)
	}
	d.Notice = b.notice()
	d.Footer = b.footer()
	return d
}

// coverage lists, one line each, the skills that could not run for a
// section: not configured or failed. Sources that ran and had nothing to say
// are left to the JSON report.
// Entries naming an unknown section are shown with the indicators.
func (b *builder) coverage(sec string) []block {
	var lines []line
	for _, c := range b.r.Coverage {
		cs := c.Section
		if !knownSection(cs) {
			cs = SectionIndicators
		}
		if cs != sec || c.Status == StatusRan || c.Status == StatusNoInput {
			continue
		}
		label := coverageLabels[sec]
		if c.Skill != "" {
			label += " (" + c.Skill + ")"
		}
		status := c.Status
		if status == "" {
			status = "not run"
		}
		s := label + ": " + status
		if c.Detail != "" {
			s += " — " + c.Detail
		}
		lines = append(lines, line{em(s)})
	}
	if lines == nil {
		return nil
	}
	return []block{{Kind: blockList, Lines: lines}}
}

// skipped summarises the items of the section's types kept out of
// enrichment: counts by reason, and the values themselves at level 1.
func (b *builder) skipped(sec string) []block {
	byType := map[string][]int{}
	var types []string
	for i, s := range b.r.Entities.Skipped {
		if sectionForType(s.Type) != sec {
			continue
		}
		if byType[s.Type] == nil {
			types = append(types, s.Type)
		}
		byType[s.Type] = append(byType[s.Type], i)
	}
	sort.Strings(types)
	var out []block
	for _, t := range types {
		reasons := tally{}
		var lines []line
		for _, i := range byType[t] {
			s := b.r.Entities.Skipped[i]
			reason := cmp.Or(s.Reason, "no reason given")
			reasons[reason]++
			lines = append(lines, line{code(s.Value), text(" — " + reason)})
		}
		out = append(out, countBlock(count{What: skipNoun(t).count(reasons.total()), Why: "skipped: " + reasons.String()}))
		if b.plan.level < 2 {
			out = append(out, block{Kind: blockList, Lines: lines})
		}
	}
	return out
}

// verdictEntry builds the common entry for a listed value: its value as
// code, its verdict, its findings and whether it must be kept.
func (b *builder) verdictEntry(sec string, head line, keys ...string) entry {
	fs := b.idx.take(sec, keys...)
	v := b.idx.verdict(sec, fs, keys...)
	e := entry{it: item{Head: append(head, b.verdictSpans(v)...), Notes: b.findingNotes(fs)}}
	e.bad = anyBad(fs) || (v != nil && isBad(v.Level))
	if v != nil {
		e.score = v.Score
	}
	return e
}

// footer is the closing line with the run's figures.
func (b *builder) footer() string {
	st := b.r.Stats
	ind := nounIndicator.count(st.Indicators)
	if st.IndicatorsSkipped > 0 {
		ind += fmt.Sprintf(" (%s skipped)", commas(st.IndicatorsSkipped))
	}
	parts := []string{
		noun{"entity", "entities"}.count(st.Entities),
		ind,
		noun{"finding", "findings"}.count(st.Findings),
		noun{"skill call", "skill calls"}.count(st.SkillCalls),
		noun{"cache hit", "cache hits"}.count(st.CacheHits),
		noun{"error", "errors"}.count(st.Errors),
		formatDuration(st.DurationMS),
	}
	s := "Spotter: " + strings.Join(parts, ", ")
	if st.GeneratedAt != "" {
		s += "; generated " + st.GeneratedAt
	}
	return s + "."
}
