package llm

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/spotter-soc/spotter/internal/skill"
)

// Record is one piece of data to summarise: an indicator with its
// verdict and evidence, an alert, a paragraph.
type Record struct {
	Label string      `json:"label"`
	Kind  string      `json:"kind,omitempty"`
	Level skill.Level `json:"level,omitempty"`
	Score int         `json:"score,omitempty"`
	Text  string      `json:"text,omitempty"`
}

// SummaryRequest is what to summarise and for what.
type SummaryRequest struct {
	// Purpose is Spotter's own words on what the summary is for; it goes
	// in the instructions, so it must never hold untrusted data.
	Purpose string
	// Context is untrusted data shown with every chunk (the incident's
	// title and severity); keep it small.
	Context any
	Records []Record
}

// Summary is the result with what it cost.
type Summary struct {
	Text string `json:"text"`
	// Calls counts model calls: 1 when everything fit in one prompt.
	Calls int `json:"calls"`
	// Chunks is how many map calls the records needed (0 for one call).
	Chunks int `json:"chunks"`
	// Collapsed counts the benign, unknown and informational records
	// aggregated into counts to make the data fit.
	Collapsed int `json:"collapsed"`
}

// summaryOverhead is the tokens kept free for instructions and framing.
const summaryOverhead = 600

const summarySystem = `You are Spotter, summarising security data for a SOC analyst. Write concise Markdown: the most severe findings first, ` +
	`each with the indicator and the sources that judged it; then what was benign or unknown, in one line; then recommended next steps. ` +
	`Never claim that anything was blocked or changed. Only cite links present in the data. `

// Summarize summarises records with map-reduce over chunks sized to the
// model's context window, so nothing is cut off however many records there
// are: everything that fits goes in one call; otherwise benign, unknown and
// informational records are collapsed into counts first, and only if the
// rest still does not fit is it split into chunks summarised one by one
// (map) and then together (reduce).
func (m *Model) Summarize(ctx context.Context, meter *Meter, req SummaryRequest) (Summary, error) {
	fence := NewFence()
	system := summarySystem + fence.Rules() + "\nPurpose: " + req.Purpose
	window := m.Context() - m.completionBudget() - EstimateTokens(system) - EstimateTokens(fence.Wrap("context", req.Context)) - summaryOverhead
	if window < 256 {
		return Summary{}, fmt.Errorf("llm %s: context_tokens %d leaves no room for data after the instructions and %d completion tokens", m.Name, m.Context(), m.completionBudget())
	}
	recs := sortRecords(req.Records)
	var out Summary
	if cost(recs) > window {
		var collapsed Record
		recs, collapsed, out.Collapsed = collapseQuiet(recs)
		if out.Collapsed > 0 {
			recs = append(recs, collapsed)
		}
	}
	if cost(recs) <= window {
		text, err := m.summaryCall(ctx, meter, fence, system, req.Context, "records", recs, "Summarise the records.")
		if err != nil {
			return out, err
		}
		out.Text, out.Calls = text, 1
		return out, nil
	}
	// Map: chunks of whole records (a record longer than the window is
	// split into parts, each a record of its own).
	chunks := chunk(splitLong(recs, window), window)
	partials := make([]Record, 0, len(chunks))
	for i, c := range chunks {
		text, err := m.summaryCall(ctx, meter, fence, system, req.Context, fmt.Sprintf("records part %d of %d", i+1, len(chunks)), c,
			"Summarise this part of the records; another step merges the parts, so keep every malicious and suspicious indicator.")
		if err != nil {
			return out, err
		}
		out.Calls++
		partials = append(partials, Record{Label: fmt.Sprintf("summary of part %d", i+1), Text: text})
	}
	out.Chunks = len(chunks)
	// Reduce, in as many levels as the partial summaries need.
	for cost(partials) > window {
		groups := chunk(splitLong(partials, window), window)
		if len(groups) >= len(partials) {
			return out, errors.New("summaries do not shrink: raise context_tokens or lower max_tokens")
		}
		next := make([]Record, 0, len(groups))
		for i, g := range groups {
			text, err := m.summaryCall(ctx, meter, fence, system, req.Context, "partial summaries", g, "Merge these partial summaries into one, keeping every malicious and suspicious indicator.")
			if err != nil {
				return out, err
			}
			out.Calls++
			next = append(next, Record{Label: fmt.Sprintf("merged summary %d", i+1), Text: text})
		}
		partials = next
	}
	text, err := m.summaryCall(ctx, meter, fence, system, req.Context, "partial summaries", partials, "Merge these partial summaries into the final summary.")
	if err != nil {
		return out, err
	}
	out.Calls++
	out.Text = text
	return out, nil
}

func (m *Model) completionBudget() int {
	if m.MaxTokens > 0 {
		return m.MaxTokens
	}
	return DefaultMaxTokens
}

func (m *Model) summaryCall(ctx context.Context, meter *Meter, f Fence, system string, context any, label string, recs []Record, task string) (string, error) {
	var b strings.Builder
	b.WriteString(task + "\n\n")
	if context != nil {
		b.WriteString(f.Wrap("context", context) + "\n")
	}
	b.WriteString(f.Wrap(label, recs))
	resp, err := m.Chat(ctx, meter, Request{System: system, Messages: []Message{{Role: RoleUser, Content: b.String()}}})
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(resp.Text) == "" {
		return "", fmt.Errorf("llm %s: the summary is empty", m.Name)
	}
	return strings.TrimSpace(resp.Text), nil
}

// cost estimates the tokens of records as they are sent.
func cost(recs []Record) int {
	n := 2
	for _, r := range recs {
		n += recordCost(r)
	}
	return n
}

func recordCost(r Record) int {
	return EstimateTokens(r.Label) + EstimateTokens(r.Text) + EstimateTokens(r.Kind) + EstimateTokens(string(r.Level)) + 12
}

// sortRecords orders records worst first, keeping the given order among equals.
func sortRecords(in []Record) []Record {
	out := append([]Record(nil), in...)
	rank := func(r Record) int {
		if isBad(r.Level) {
			return r.Level.Rank()*1000 + r.Score
		}
		return 0
	}
	sort.SliceStable(out, func(i, j int) bool { return rank(out[i]) > rank(out[j]) })
	return out
}

func isBad(l skill.Level) bool { return l == skill.Malicious || l == skill.Suspicious }

// collapseQuiet replaces benign, unknown and informational records (and
// records with no level) that are not the only ones by one record of
// counts per level and kind, listing their labels while that stays short.
func collapseQuiet(recs []Record) ([]Record, Record, int) {
	var keep, quiet []Record
	for _, r := range recs {
		if isBad(r.Level) || r.Level == "" {
			keep = append(keep, r)
		} else {
			quiet = append(quiet, r)
		}
	}
	if len(quiet) == 0 {
		return recs, Record{}, 0
	}
	counts := map[string]int{}
	for _, r := range quiet {
		counts[string(r.Level)+" "+or(r.Kind, "item")]++
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d %s", counts[k], k)
	}
	text := "Counted, not listed: " + strings.Join(parts, ", ") + "."
	var labels []string
	size := 0
	for _, r := range quiet {
		if size+len(r.Label) > 2000 {
			labels = append(labels, fmt.Sprintf("and %d more", len(quiet)-len(labels)))
			break
		}
		labels = append(labels, r.Label)
		size += len(r.Label) + 2
	}
	text += " Values: " + strings.Join(labels, ", ") + "."
	return keep, Record{Label: "benign, unknown and informational records", Text: text}, len(quiet)
}

// splitLong splits records longer than the window into parts.
func splitLong(recs []Record, window int) []Record {
	limit := max(64, window/2) * 4 // bytes
	var out []Record
	for _, r := range recs {
		if recordCost(r) <= window/2 || len(r.Text) <= limit {
			out = append(out, r)
			continue
		}
		var pieces []string
		for rest := r.Text; rest != ""; {
			end := min(len(rest), limit)
			if end < len(rest) {
				// Prefer to cut at a space in the last fifth of the part.
				if sp := strings.LastIndexAny(rest[:end], " \n\t"); sp > end*4/5 {
					end = sp + 1
				}
				for end > 1 && !utf8.RuneStart(rest[end]) {
					end--
				}
			}
			pieces = append(pieces, rest[:end])
			rest = rest[end:]
		}
		for i, piece := range pieces {
			p := r
			p.Text = piece
			p.Label = fmt.Sprintf("%s (part %d of %d)", r.Label, i+1, len(pieces))
			out = append(out, p)
		}
	}
	return out
}

// chunk groups records in order into chunks that fit the window.
func chunk(recs []Record, window int) [][]Record {
	var out [][]Record
	var cur []Record
	size := 2
	for _, r := range recs {
		c := recordCost(r)
		if len(cur) > 0 && size+c > window {
			out = append(out, cur)
			cur, size = nil, 2
		}
		cur = append(cur, r)
		size += c
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
