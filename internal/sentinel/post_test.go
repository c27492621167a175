package sentinel

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/spotter-soc/spotter/internal/sentinel/fake"
)

// longReport is a Markdown report of about n characters with sections,
// list items and a code fence in the middle.
func longReport(n int) string {
	var b strings.Builder
	b.WriteString("# Incident 42: Brute force\n\n## IP addresses\n\n")
	for i := 0; b.Len() < n/2; i++ {
		fmt.Fprintf(&b, "- `198.51.100.%d` suspicious: 12 reports in 30 days, brute force, SSH (AbuseIPDB)\n", i%250)
	}
	b.WriteString("\n## Processes\n\n```\n")
	for i := 0; b.Len() < n*3/4; i++ {
		fmt.Fprintf(&b, "powershell.exe -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA %d\n", i)
	}
	b.WriteString("```\n\n## Verdict\n\n")
	for b.Len() < n {
		b.WriteString("Malicious: the address is a known Tor exit node with brute-force reports.\n")
	}
	return b.String()
}

func TestPostReportIsIdempotent(t *testing.T) {
	fk := fake.New(t)
	id := fk.AddIncident(fake.NewIncident{Title: "x"})
	fk.AddComment(id, "Analyst: looking at it")
	c := newTestClient(t, fk, nil)
	ctx := context.Background()
	p := Post{Key: "run-7f3a", Details: "## Spotter report\n\nVerdict: malicious", Summary: "Verdict: malicious (score 90)"}
	first, err := c.PostReport(ctx, id, p)
	if err != nil {
		t.Fatal(err)
	}
	// A crash after posting and a retry of the same run: same ids, no new comments.
	second, err := c.PostReport(ctx, id, p)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(first.Comments, ",") != strings.Join(second.Comments, ",") || len(first.Comments) != 2 {
		t.Errorf("ids differ or wrong count: %v %v", first.Comments, second.Comments)
	}
	comments := fk.Comments(id)
	if len(comments) != 3 || fk.CommentPuts(id) != 5 {
		t.Errorf("comments %d (want 3: the analyst's, details, summary), PUTs %d (want 5 with the analyst's)", len(comments), fk.CommentPuts(id))
	}
	if comments[1].ID != CommentID("run-7f3a", "details/1") || comments[2].Message != p.Summary {
		t.Errorf("comments: %+v", comments)
	}
	// A different run posts its own comments.
	third, err := c.PostReport(ctx, id, Post{Key: "run-other", Details: "again"})
	if err != nil || third.Comments[0] == first.Comments[0] {
		t.Errorf("other key: %v %v", third, err)
	}
}

func TestPostReportSplitsLongReports(t *testing.T) {
	fk := fake.New(t)
	id := fk.AddIncident(fake.NewIncident{Title: "x"})
	c := newTestClient(t, fk, nil)
	report := longReport(75000)
	res, err := c.PostReport(context.Background(), id, Post{Key: "run-1", Details: report})
	if err != nil {
		t.Fatal(err)
	}
	if res.Parts != 3 || res.Omitted != 0 {
		t.Fatalf("parts %d omitted %d", res.Parts, res.Omitted)
	}
	comments := fk.Comments(id)
	var joined strings.Builder
	for i, cm := range comments {
		if n := utf8.RuneCountInString(cm.Message); n > MaxCommentChars {
			t.Errorf("part %d: %d characters", i+1, n)
		}
		head := fmt.Sprintf("**Spotter report, part %d of 3**\n\n", i+1)
		if !strings.HasPrefix(cm.Message, head) {
			t.Errorf("part %d starts %q", i+1, cm.Message[:40])
		}
		if strings.Count(cm.Message, "```")%2 != 0 {
			t.Errorf("part %d leaves a code fence open", i+1)
		}
		joined.WriteString(strings.TrimPrefix(cm.Message, head))
	}
	// Nothing is lost: every line of the report is in some part.
	all := joined.String()
	for _, line := range strings.Split(report, "\n") {
		if !strings.Contains(all, line) {
			t.Fatalf("line lost: %q", line)
		}
	}
	// The same run with a shorter report rewrites part 1 and removes the rest.
	res, err = c.PostReport(context.Background(), id, Post{Key: "run-1", Details: "short now"})
	if err != nil || res.Removed != 2 || len(fk.Comments(id)) != 1 {
		t.Errorf("shrink: %+v %v, comments %d", res, err, len(fk.Comments(id)))
	}
}

func TestPostReportNeverExceedsTheCommentCap(t *testing.T) {
	fk := fake.New(t)
	id := fk.AddIncident(fake.NewIncident{Title: "x"})
	for i := range 97 {
		fk.AddComment(id, fmt.Sprintf("note %d", i))
	}
	c := newTestClient(t, fk, nil)
	res, err := c.PostReport(context.Background(), id, Post{Key: "run-1", Details: longReport(150000), Summary: "short"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Parts != 2 || res.Omitted == 0 || len(fk.Comments(id)) != MaxComments {
		t.Fatalf("parts %d omitted %d comments %d", res.Parts, res.Omitted, len(fk.Comments(id)))
	}
	last := fk.Comments(id)[98].Message
	if !strings.Contains(last, "were not posted") {
		t.Errorf("the last part does not say parts were left out: %q", last[len(last)-200:])
	}
	// Full: nothing more can be posted, and the error says why.
	fk.AddComment(id, "one too many?")
	_, err = c.PostReport(context.Background(), id, Post{Key: "run-2", Details: "x"})
	if err == nil || !strings.Contains(err.Error(), "allows 100 per incident") {
		t.Errorf("full incident: %v", err)
	}
}

func TestPostReportSurvivesThrottling(t *testing.T) {
	fk := fake.New(t)
	id := fk.AddIncident(fake.NewIncident{Title: "x"})
	c := newTestClient(t, fk, nil)
	fk.Throttle(http.MethodPut, "/comments/", 1, "1")
	// Without the gateway the 429 comes back as an error naming the wait.
	_, err := c.PostReport(context.Background(), id, Post{Key: "k", Details: "d"})
	if err == nil || !strings.Contains(err.Error(), "retry after 1 s") {
		t.Fatalf("throttled: %v", err)
	}
	// The retry of the run posts exactly one comment.
	if _, err := c.PostReport(context.Background(), id, Post{Key: "k", Details: "d"}); err != nil {
		t.Fatal(err)
	}
	if len(fk.Comments(id)) != 1 {
		t.Errorf("comments: %d", len(fk.Comments(id)))
	}
}

func TestPostReportRejectsNothingToPost(t *testing.T) {
	fk := fake.New(t)
	id := fk.AddIncident(fake.NewIncident{Title: "x"})
	c := newTestClient(t, fk, nil)
	for _, p := range []Post{{Details: "x"}, {Key: "k"}} {
		if _, err := c.PostReport(context.Background(), id, p); err == nil {
			t.Errorf("%+v: no error", p)
		}
	}
}

// A comment's 30,000 characters are UTF-16 code units: a report of 20,000
// emoji (40,000 units, 20,000 runes) is split, and every part is accepted.
func TestPostReportCountsUTF16(t *testing.T) {
	fk := fake.New(t)
	id := fk.AddIncident(fake.NewIncident{Title: "x"})
	c := newTestClient(t, fk, nil)
	res, err := c.PostReport(context.Background(), id, Post{Key: "run-emoji", Details: strings.Repeat("🔴 ", 13000)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Parts != 2 {
		t.Errorf("parts: %d, want 2", res.Parts)
	}
	for _, cm := range fk.Comments(id) {
		if n := textLen(cm.Message); n > MaxCommentChars {
			t.Errorf("comment of %d characters", n)
		}
	}
}

// A re-post under the same key that drops the summary and needs more parts
// stays within the cap: the outdated summary goes before the new parts.
func TestPostReportRemovesOutdatedFirst(t *testing.T) {
	fk := fake.New(t)
	id := fk.AddIncident(fake.NewIncident{Title: "x"})
	for i := range 97 {
		fk.AddComment(id, fmt.Sprintf("analyst note %d", i))
	}
	c := newTestClient(t, fk, nil)
	ctx := context.Background()
	if _, err := c.PostReport(ctx, id, Post{Key: "run-1", Details: "short", Summary: "verdict: benign"}); err != nil {
		t.Fatal(err)
	}
	res, err := c.PostReport(ctx, id, Post{Key: "run-1", Details: longReport(70000)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Parts != 3 || res.Removed != 1 || len(fk.Comments(id)) != 100 {
		t.Errorf("%+v, %d comments", res, len(fk.Comments(id)))
	}
}
