package llm

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/spotter-soc/spotter/internal/config"
	"github.com/spotter-soc/spotter/internal/gateway"
	"github.com/spotter-soc/spotter/internal/incident"
	"github.com/spotter-soc/spotter/internal/llm/fakellm"
	"github.com/spotter-soc/spotter/internal/report"
	"github.com/spotter-soc/spotter/internal/skill"
)

// answerText is what the fake model answers to every call (about 150
// tokens), so both approaches pay the same per answer.
var answerText = strings.Repeat("The indicator was judged by two sources; see the evidence. ", 10)

// benchReport is an investigated incident with n entities of the usual
// mix: a tenth malicious, a tenth suspicious, the rest benign or unknown,
// each judged by two sources.
func benchReport(n int) *report.Report {
	r := &report.Report{Incident: incident.Incident{Title: "Multi-stage intrusion from a phishing mail", Severity: "High",
		Tactics:     []string{"InitialAccess", "Execution", "CommandAndControl"},
		Description: "A user opened an attachment; the host then contacted several external addresses and ran encoded PowerShell."}}
	kinds := []string{"ip", "domain", "url", "sha256", "account", "host", "process"}
	for i := range n {
		level := skill.Benign
		switch {
		case i%10 == 0:
			level = skill.Malicious
		case i%10 == 1:
			level = skill.Suspicious
		case i%3 == 0:
			level = skill.Unknown
		}
		ind := fmt.Sprintf("%s-indicator-%03d.example", kinds[i%len(kinds)], i)
		v := skill.Verdict{Indicator: ind, Type: kinds[i%len(kinds)], Level: level, Score: 10 + (i*7)%90, Sources: []string{"VirusTotal", "AbuseIPDB"}}
		r.Verdict.Indicators = append(r.Verdict.Indicators, v)
		for _, src := range v.Sources {
			r.Findings = append(r.Findings, skill.Finding{Indicator: ind, Type: v.Type, Level: level, Score: v.Score, Source: src,
				Summary: fmt.Sprintf("%s: %d of 90 engines, first seen 2026-10-0%d, reported by %d users", src, v.Score%40, i%9+1, i%17),
				Link:    "https://" + strings.ToLower(src) + ".example/" + ind})
		}
	}
	r.Verdict.Summary = "Likely true positive."
	return r
}

func benchModel(b *testing.B) (*Model, *fakellm.Server) {
	srv := fakellm.New("")
	srv.Respond = func(int, fakellm.Request) fakellm.Step { return fakellm.Step{Text: answerText} }
	var logs bytes.Buffer
	gw := benchGateway(&logs)
	m, err := NewModel("bench", config.LLMProvider{Kind: config.LLMKindOpenAICompatible, BaseURL: srv.URL + "/v1", Model: "m"}, gw)
	if err != nil {
		b.Fatal(err)
	}
	return m, srv
}

// perEntityBaseline prompts like the reference playbook: one prompt per
// entity (its data and findings), one summary per entity category over
// those answers, and a final summary over the category summaries. It uses
// the same system prompt and record text as the built-in summary, so the
// difference is the prompting pattern alone.
func perEntityBaseline(ctx context.Context, m *Model, meter *Meter, r *report.Report) error {
	fence := NewFence()
	system := summarySystem + fence.Rules() + "\nPurpose: " + reportPurpose
	byKind := map[string][]string{}
	var kinds []string
	for _, rec := range ReportRecords(r) {
		resp, err := m.Chat(ctx, meter, Request{System: system, Messages: []Message{{Role: RoleUser,
			Content: "Analyse this entity of the incident.\n" + fence.Wrap("entity", rec)}}})
		if err != nil {
			return err
		}
		if byKind[rec.Kind] == nil {
			kinds = append(kinds, rec.Kind)
		}
		byKind[rec.Kind] = append(byKind[rec.Kind], resp.Text)
	}
	var sums []string
	for _, k := range kinds {
		resp, err := m.Chat(ctx, meter, Request{System: system, Messages: []Message{{Role: RoleUser,
			Content: "Summarise the " + k + " analyses.\n" + fence.Wrap("analyses", byKind[k])}}})
		if err != nil {
			return err
		}
		sums = append(sums, resp.Text)
	}
	_, err := m.Chat(ctx, meter, Request{System: system, Messages: []Message{{Role: RoleUser,
		Content: "Write the incident summary.\n" + fence.Wrap("summaries", sums)}}})
	return err
}

// BenchmarkSummaryTokens measures model tokens per incident: the built-in
// summary (one call while the verdicts fit the context, map-reduce beyond)
// against per-entity prompting. Tokens are the fake's usage: four bytes a
// token of request and answer, the same rule for both.
//
//	go test ./internal/llm/ -run '^$' -bench SummaryTokens -benchtime 3x
func BenchmarkSummaryTokens(b *testing.B) {
	for _, n := range []int{50, 500} {
		b.Run(fmt.Sprintf("entities=%d", n), func(b *testing.B) {
			m, _ := benchModel(b)
			r := benchReport(n)
			ctx := context.Background()
			var builtin, baseline Spent
			for b.Loop() {
				mb := NewMeter("run", Limits{}, nil)
				rc := *r
				if err := SummarizeReport(ctx, m, mb, &rc); err != nil {
					b.Fatal(err)
				}
				mp := NewMeter("run", Limits{}, nil)
				if err := perEntityBaseline(ctx, m, mp, r); err != nil {
					b.Fatal(err)
				}
				builtin, baseline = mb.Spent(), mp.Spent()
			}
			b.ReportMetric(float64(builtin.Total()), "tokens/incident")
			b.ReportMetric(float64(builtin.Calls), "calls/incident")
			b.ReportMetric(float64(baseline.Total()), "baseline-tokens/incident")
			b.ReportMetric(float64(baseline.Calls), "baseline-calls/incident")
			b.ReportMetric(float64(baseline.Total())/float64(builtin.Total()), "baseline/builtin")
		})
	}
}

func benchGateway(logs *bytes.Buffer) *gateway.Gateway {
	return gateway.New(skill.NewRegistry(), nil, gateway.Config{MaxRetries: 1}, nil, slog.New(slog.NewTextHandler(logs, nil)))
}
