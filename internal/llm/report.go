package llm

import (
	"context"
	"fmt"
	"strings"

	"github.com/spotter-soc/spotter/internal/report"
	"github.com/spotter-soc/spotter/internal/skill"
)

// reportPurpose is the summarizer's purpose for an incident report.
const reportPurpose = "the summary section of an incident report: whether the incident looks like a true positive, " +
	"which indicators drive that judgement and why, and what the analyst should do next."

// ReportRecords turns a report's aggregated verdicts into records: one per
// indicator, with its sources' summaries and links as the text.
func ReportRecords(r *report.Report) []Record {
	byIndicator := map[string][]skill.Finding{}
	for _, f := range r.Findings {
		byIndicator[strings.ToLower(f.Indicator)] = append(byIndicator[strings.ToLower(f.Indicator)], f)
	}
	recs := make([]Record, 0, len(r.Verdict.Indicators))
	for _, v := range r.Verdict.Indicators {
		var parts []string
		for _, f := range byIndicator[strings.ToLower(v.Indicator)] {
			p := fmt.Sprintf("%s %s %d", f.Source, f.Level, f.Score)
			if f.Summary != "" {
				p += ": " + f.Summary
			}
			if f.Link != "" {
				p += " <" + f.Link + ">"
			}
			parts = append(parts, p)
		}
		recs = append(recs, Record{Label: v.Indicator, Kind: v.Type, Level: v.Level, Score: v.Score, Text: strings.Join(parts, "; ")})
	}
	return recs
}

// SummarizeReport writes the report's model summary with one call when the
// verdicts fit the model's context, map-reduce otherwise, and records the
// tokens and cost in the report's stats. A failed summary leaves the
// report as it was, with the error in the stats: the template summary
// still stands.
func SummarizeReport(ctx context.Context, m *Model, meter *Meter, r *report.Report) error {
	if meter == nil {
		meter = NewMeter("run", m.Run, nil)
	}
	// A meter of its own under the run's: other calls on the run's meter
	// at the same time (a parallel branch's summary) are not this report's.
	own := NewMeter("report summary", Limits{}, meter)
	incidentCtx := map[string]any{"title": r.Incident.Title, "severity": r.Incident.Severity, "tactics": r.Incident.Tactics,
		"description": clean(r.Incident.Description, 2000), "verdict": r.Verdict.Summary}
	s, err := m.Summarize(ctx, own, SummaryRequest{Purpose: reportPurpose, Context: incidentCtx, Records: ReportRecords(r)})
	spent := own.Spent()
	st := &report.LLMStats{Provider: m.Name, Model: m.ModelID, Calls: spent.Calls, Chunks: s.Chunks, Collapsed: s.Collapsed,
		PromptTokens: spent.PromptTokens, CompletionTokens: spent.CompletionTokens, CostUSD: spent.CostUSD}
	r.Stats.LLM = st
	if err != nil {
		st.Error = err.Error()
		return err
	}
	r.Verdict.ModelSummary = s.Text
	return nil
}
