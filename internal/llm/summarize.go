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
	// Token estimates are bytes over four; data such as hashes or base64
	// takes more tokens than that. When the provider says a prompt is over
	// its context, the records are chunked again for half the window.
	calls := 0
	for {
		out, err := m.summarize(ctx, meter, fence, system, req, window)
		out.Calls += calls
		if err == nil || !contextExceeded(err) || window/2 < 256 {
			return out, err
		}
		calls, window = out.Calls, window/2
	}
}

// contextExceeded reports whether err is a provider's refusal of a prompt
// longer than the model's context (OpenAI and Azure: code
// context_length_exceeded; Anthropic: "prompt is too long"; vLLM and
// llama.cpp servers: "maximum context length", "context size").
func contextExceeded(err error) bool {
	var e *Error
	if !errors.As(err, &e) || e.Status != 400 && e.Status != 413 {
		return false
	}
	if strings.Contains(e.Code, "context_length") {
		return true
	}
	msg := strings.ToLower(e.Msg)
	for _, s := range []string{"context length", "context_length", "context size", "context window", "prompt is too long", "too many tokens"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// summarize is Summarize within a window of tokens for the records.
func (m *Model) summarize(ctx context.Context, meter *Meter, fence Fence, system string, req SummaryRequest, window int) (Summary, error) {
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

// recordCost estimates the tokens of a record as sent: JSON, whose
// escaping makes some bytes six (<, > and & become \u003c and the like)
// and quotes, backslashes and newlines two.
func recordCost(r Record) int {
	return jsonTokens(r.Label) + jsonTokens(r.Text) + jsonTokens(r.Kind) + jsonTokens(string(r.Level)) + 12
}

func jsonTokens(s string) int { return (jsonLen(s) + 3) / 4 }

// jsonLen is the length of s encoded by encoding/json as a string, quotes
// excluded.
func jsonLen(s string) int {
	n := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		n += jsonRuneLen(r, size)
		i += size
	}
	return n
}

func jsonRuneLen(r rune, size int) int {
	switch {
	case r == utf8.RuneError && size == 1, r == '<', r == '>', r == '&', r == '\u2028', r == '\u2029':
		return 6 // \ufffd, \u003c, ...
	case r == '"', r == '\\', r == '\n', r == '\r', r == '\t':
		return 2
	case r < 0x20:
		return 6
	}
	return size
}

// Labels and kinds longer than these move into the text when a record is
// split, so that every part fits however long they are.
const (
	maxLabelBytes = 200
	maxKindBytes  = 64
)

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

// splitLong splits records longer than the window into parts, each at
// most half the window of text plus a short label.
func splitLong(recs []Record, window int) []Record {
	limit := max(64, window/2) * 4 // bytes of JSON
	var out []Record
	for _, r := range recs {
		if recordCost(r) <= window/2 {
			out = append(out, r)
			continue
		}
		// A long label or kind (a command line, a title) goes into the
		// text, whole, where it can be split; its start stays the label.
		if jsonLen(r.Kind) > maxKindBytes {
			r.Text = "kind: " + r.Kind + "\n" + r.Text
			r.Kind = prefixJSON(r.Kind, maxKindBytes) + "…"
		}
		if jsonLen(r.Label) > maxLabelBytes {
			r.Text = "label: " + r.Label + "\n" + r.Text
			r.Label = prefixJSON(r.Label, maxLabelBytes) + "…"
		}
		if jsonLen(r.Text) <= limit {
			out = append(out, r)
			continue
		}
		var pieces []string
		for rest := r.Text; rest != ""; {
			end := len(prefixJSON(rest, limit))
			if end < len(rest) {
				// Prefer to cut at a space in the last fifth of the part.
				if sp := strings.LastIndexAny(rest[:end], " \n\t"); sp > end*4/5 {
					end = sp + 1
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

// prefixJSON returns the longest prefix of s, cut between runes, whose
// JSON encoding takes at most n bytes; at least one rune when s is not
// empty, so that splitting always advances.
func prefixJSON(s string, n int) string {
	used, end := 0, 0
	for end < len(s) {
		r, size := utf8.DecodeRuneInString(s[end:])
		c := jsonRuneLen(r, size)
		if used+c > n && end > 0 {
			break
		}
		used += c
		end += size
	}
	return s[:end]
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
