package llm

import (
	"bufio"
	"context"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spotter-soc/spotter/internal/report"
)

func corpus(t *testing.T) []string {
	t.Helper()
	f, err := os.Open("testdata/injections.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	if len(out) < 30 {
		t.Fatalf("%d injection strings; keep at least 30", len(out))
	}
	return out
}

// TestReportSummaryFencesIncidentData puts every injection string in the
// incident's title and description and in a provider's finding: the
// summary call's instructions never change and the strings reach the
// model only inside data fences.
func TestReportSummaryFencesIncidentData(t *testing.T) {
	m, srv := summaryModel(t, 8192, 256)
	var system string
	for i, inj := range corpus(t) {
		r := benchReport(12)
		r.Incident.Title = inj
		r.Incident.Description = "Seen on host WS-17. " + inj
		r.Findings[0].Summary = inj
		if err := SummarizeReport(context.Background(), m, nil, r); err != nil {
			t.Fatal(err)
		}
		if r.Stats.LLM == nil || r.Stats.LLM.Calls != 1 || r.Verdict.ModelSummary == "" {
			t.Fatalf("#%d: stats %+v", i, r.Stats.LLM)
		}
		req := srv.Requests()[len(srv.Requests())-1]
		msgs := req.Body["messages"].([]any)
		sys := msgs[0].(map[string]any)["content"].(string)
		nonce := regexp.MustCompile(`<data-([0-9a-f]{16}) `).FindStringSubmatch(sys)
		if nonce == nil {
			t.Fatal("no fence in the instructions")
		}
		stable := strings.ReplaceAll(sys, nonce[1], "NONCE")
		if system == "" {
			system = stable
		}
		if stable != system || strings.Contains(sys, inj) {
			t.Errorf("#%d: the instructions changed", i)
		}
		user := msgs[1].(map[string]any)["content"].(string)
		outside := regexp.MustCompile(`(?s)<data-`+nonce[1]+` source="[^"]*">.*?</data-`+nonce[1]+`>`).ReplaceAllString(user, "")
		if strings.Contains(outside, inj) || strings.Contains(outside, "WS-17") {
			t.Errorf("#%d: incident data outside the fences: %q", i, outside)
		}
	}
}

// TestReportStatsCountOnlyTheirOwnCalls: two reports summarised at once
// under one run's meter each state their own call and tokens; the run
// counts both.
func TestReportStatsCountOnlyTheirOwnCalls(t *testing.T) {
	m := &Model{Name: "p", ModelID: "m", MaxTokens: 256, ContextTokens: 8192, Price: Price{Prompt: 1, Completion: 1},
		Provider: ProviderFunc(func(ctx context.Context, req Request) (*Response, error) {
			time.Sleep(30 * time.Millisecond)
			return &Response{Text: "summary", Usage: Usage{PromptTokens: 1000, CompletionTokens: 100}}, nil
		})}
	run := NewMeter("run", Limits{}, nil)
	reports := []*report.Report{benchReport(5), benchReport(5)}
	var wg sync.WaitGroup
	for _, r := range reports {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := SummarizeReport(context.Background(), m, run, r); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	for i, r := range reports {
		if st := r.Stats.LLM; st == nil || st.Calls != 1 || st.PromptTokens != 1000 || st.CompletionTokens != 100 {
			t.Errorf("report %d stats %+v, want its one call", i, st)
		}
	}
	if got := run.Spent(); got.Calls != 2 || got.Total() != 2200 {
		t.Errorf("run spent %+v", got)
	}
}
