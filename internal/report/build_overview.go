package report

import (
	"cmp"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/spotter-soc/spotter/internal/skill"
)

// overview renders the incident itself: its properties, alerts,
// description and existing comments.
func (b *builder) overview() []block {
	inc := b.r.Incident
	var fs []field
	add := func(label string, value ...span) {
		if len(value) > 0 {
			fs = append(fs, field{Label: label, Value: line(value)})
		}
	}
	addText := func(label, s string) {
		if s != "" {
			add(label, text(s))
		}
	}
	switch {
	case inc.Number > 0:
		addText("Incident", "#"+strconv.Itoa(inc.Number))
	case inc.Name != "":
		add("Incident", code(inc.Name))
	}
	addText("Severity", inc.Severity)
	addText("Status", inc.Status)
	addText("Owner", inc.Owner)
	if inc.Classification != "" {
		addText("Classification", joinNonEmpty(", ", inc.Classification, inc.ClassificationReason))
	}
	if b.plan.level < 6 {
		addText("Created", inc.Created)
		addText("First activity", inc.FirstActivity)
		addText("Last activity", inc.LastActivity)
		addText("Tactics", strings.Join(inc.Tactics, ", "))
		addText("Techniques", strings.Join(inc.Techniques, ", "))
		addText("Products", strings.Join(inc.Products, ", "))
		addText("Labels", strings.Join(inc.Labels, ", "))
	}
	if inc.URL != "" {
		add("Link", link("open the incident", inc.URL))
	}
	// From level 5 alerts and comments are only counted, and a description
	// replaced by its length takes a line, all among the fields.
	if b.plan.level >= 5 && len(inc.Alerts) > 0 {
		bySeverity := tally{}
		for _, a := range inc.Alerts {
			bySeverity[cmp.Or(a.Severity, "no severity")]++
		}
		add("Alerts", em(fmt.Sprintf("%s by severity: %s", strconv.Itoa(len(inc.Alerts)), bySeverity)))
	}
	longDesc := b.plan.level >= 4 && isLong(inc.Description)
	if longDesc {
		add("Description", em(lengthNote("", inc.Description)))
	}
	if b.plan.level >= 5 && len(inc.Comments) > 0 {
		add("Comments", em(strconv.Itoa(len(inc.Comments))+" on the incident"))
	}
	var out []block
	if len(fs) > 0 {
		out = append(out, block{Kind: blockFields, Fields: fs})
	}
	out = append(out, b.alerts()...)
	if inc.Description != "" && !longDesc {
		out = append(out, block{Kind: blockText, Title: "Description", Paras: paragraphs(inc.Description)})
	}
	out = append(out, b.comments()...)
	return out
}

// alerts lists the incident's alerts with their descriptions; from level 3
// only the first five, the rest counted; from level 5 none.
func (b *builder) alerts() []block {
	alerts := b.r.Incident.Alerts
	if len(alerts) == 0 {
		return nil
	}
	if b.plan.level >= 5 {
		return nil // counted among the overview's fields
	}
	n := len(alerts)
	if b.plan.level >= 3 && n > keepFirst {
		n = keepFirst
	}
	items := make([]item, n)
	for i, a := range alerts[:n] {
		name := a.Name
		if name == "" {
			name = "Unnamed alert"
		}
		it := item{Head: line{strong(name)}}
		if meta := joinNonEmpty(", ", a.Severity, a.Product, a.Status); meta != "" {
			it.Head = append(it.Head, text(" — "+meta))
		}
		if t := joinNonEmpty(" to ", a.Start, a.End); t != "" {
			it.Fields = append(it.Fields, field{Label: "Time", Value: line{text(t)}})
		}
		if a.Link != "" {
			it.Fields = append(it.Fields, field{Label: "Link", Value: line{link("open the alert", a.Link)}})
		}
		if a.Description != "" {
			if b.plan.level >= 4 && isLong(a.Description) {
				it.Notes = append(it.Notes, line{em(lengthNote("alert description", a.Description))})
			} else {
				it.Body = paragraphs(a.Description)
			}
		}
		items[i] = it
	}
	out := []block{{Kind: blockItems, Title: "Alerts", Items: items}}
	if n < len(alerts) {
		out = append(out, para(em(fmt.Sprintf("And %s; see the incident.", nounAlert.more(len(alerts)-n)))))
	}
	return out
}

// comments lists the comments already on the incident; from level 3 only
// the first five, the rest counted; from level 5 none.
func (b *builder) comments() []block {
	cs := b.r.Incident.Comments
	if len(cs) == 0 {
		return nil
	}
	if b.plan.level >= 5 {
		return nil // counted among the overview's fields
	}
	n := len(cs)
	if b.plan.level >= 3 && n > keepFirst {
		n = keepFirst
	}
	items := make([]item, n)
	for i, c := range cs[:n] {
		who := joinNonEmpty(", ", c.Author, c.Created)
		if who == "" {
			who = "Comment"
		}
		it := item{Head: line{strong(who)}}
		if b.plan.level >= 4 && isLong(c.Message) {
			it.Notes = []line{{em(lengthNote("comment", c.Message))}}
		} else {
			it.Body = paragraphs(c.Message)
		}
		items[i] = it
	}
	out := []block{{Kind: blockItems, Title: "Existing comments", Items: items}}
	if n < len(cs) {
		out = append(out, para(em(fmt.Sprintf("And %s; see the incident.", nounComment.more(len(cs)-n)))))
	}
	return out
}

// verdict renders the overall judgement, the indicator verdicts and the
// recommendations.
func (b *builder) verdict() []block {
	v := b.r.Verdict
	overall := line{strong("Overall: " + levelName(v.Level))}
	if v.Level == "" {
		overall = line{strong("Overall: not assessed")}
	} else {
		overall = append(overall, text(fmt.Sprintf(", score %d", v.Score)))
	}
	out := []block{para(overall...)}
	if v.Summary != "" {
		out = append(out, block{Kind: blockText, Paras: paragraphs(v.Summary)})
	}
	if v.ModelSummary != "" {
		out = append(out, block{Kind: blockText, Title: "Model summary", Paras: paragraphs(v.ModelSummary)})
	}
	out = append(out, b.verdictTable()...)
	if len(v.Recommendations) > 0 {
		lines := make([]line, len(v.Recommendations))
		for i, r := range v.Recommendations {
			lines[i] = line{text(r)}
		}
		out = append(out, block{Kind: blockNumbered, Title: "Recommended next steps", Lines: lines})
	} else {
		out = append(out, block{Kind: blockPara, Title: "Recommended next steps", Line: line{text("No recommendations.")}})
	}
	return out
}

// verdictTable renders the aggregated verdict of every indicator; from
// level 2 benign, unknown and informational rows are counted by type.
func (b *builder) verdictTable() []block {
	vs := b.r.Verdict.Indicators
	if len(vs) == 0 {
		return []block{{Kind: blockPara, Title: "Indicator verdicts", Line: line{text("No indicator verdicts.")}}}
	}
	var rows []skill.Verdict
	quiet := tally{}
	for _, v := range vs {
		if b.plan.level >= 2 && !isBad(v.Level) {
			t := v.Type
			if t == "" {
				t = "untyped"
			}
			quiet[t]++
			continue
		}
		rows = append(rows, v)
	}
	over := 0
	top := 0
	if b.plan.badCap > 0 && len(rows) > b.plan.badCap {
		sort.SliceStable(rows, func(i, j int) bool { return worse(rows[i].Level, rows[i].Score, rows[j].Level, rows[j].Score) })
		for _, v := range rows[b.plan.badCap:] {
			top = max(top, v.Score)
		}
		over = len(rows) - b.plan.badCap
		rows = rows[:b.plan.badCap]
		b.capped = true
	}
	var out []block
	if len(rows) > 0 {
		t := &table{
			Head:  []string{"Indicator", "Type", "Level", "Score", "Sources"},
			Right: []bool{false, false, false, true, false},
		}
		for _, v := range rows {
			ind := line{code(v.Indicator)}
			if b.plan.level >= 4 && strings.EqualFold(v.Type, "process") && isLong(v.Indicator) {
				ind = line{em(lengthNote("command line", v.Indicator))}
			}
			t.Rows = append(t.Rows, []line{
				ind,
				{text(v.Type)},
				{strong(levelName(v.Level))},
				{text(strconv.Itoa(v.Score))},
				{text(strings.Join(v.Sources, ", "))},
			})
		}
		out = append(out, block{Kind: blockTable, Table: t})
	}
	if n := quiet.total(); n > 0 {
		s := fmt.Sprintf("%s with benign, unknown or informational verdicts not listed: %s.", upperFirst(nounIndicator.count(n)), quiet)
		if b.plan.level >= 6 {
			s = fmt.Sprintf("%s with benign, unknown or informational verdicts not listed.", upperFirst(nounIndicator.count(n)))
		}
		out = append(out, para(em(s)))
	}
	if over > 0 {
		out = append(out, para(em(fmt.Sprintf("%s not listed individually (highest score %d; the JSON report has all).",
			upperFirst(moreBad(nounIndicator, over)), top))))
	}
	out[0].Title = "Indicator verdicts"
	return out
}
