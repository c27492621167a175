package report

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/spotter-soc/spotter/internal/incident"
	"github.com/spotter-soc/spotter/internal/skill"
)

// render renders r and returns the output as plain text: HTML output is
// unescaped so values can be searched for as they are.
func render(t *testing.T, r *Report, f Format, o Options) (raw, plain string) {
	t.Helper()
	var buf bytes.Buffer
	if err := Render(&buf, r, f, o); err != nil {
		t.Fatalf("Render(%s, %+v): %v", f, o, err)
	}
	raw = buf.String()
	if f == FormatHTML {
		return raw, html.UnescapeString(raw)
	}
	return raw, raw
}

// wholeOrAbsent checks that a value made of distinct words is either in the
// output whole or not at all: finding some of its words but not the whole
// value would mean it was cut.
func wholeOrAbsent(t *testing.T, out, name, value string) {
	t.Helper()
	ws := strings.Fields(value)
	found := 0
	for _, w := range ws {
		if strings.Contains(out, w) {
			found++
		}
	}
	switch {
	case found == 0:
	case found == len(ws) && strings.Contains(out, value):
	default:
		t.Errorf("%s appears cut: %d of its %d words are in the output", name, found, len(ws))
	}
}

func TestBudget(t *testing.T) {
	cases := []struct {
		format Format
		opts   Options
	}{
		{FormatMarkdown, Options{MaxChars: 30000}},
		{FormatMarkdown, Options{MaxChars: 8000}},
		{FormatMarkdown, Options{MaxChars: 3000}},
		{FormatHTML, Options{MaxChars: 30000, Fragment: true}},
		{FormatHTML, Options{MaxChars: 30000}},
		{FormatHTML, Options{MaxChars: 8000, Fragment: true}},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s-%d-fragment=%v", c.format, c.opts.MaxChars, c.opts.Fragment), func(t *testing.T) {
			r := ransomwareReport()
			raw, out := render(t, r, c.format, c.opts)
			if n := utf8.RuneCountInString(raw); n > c.opts.MaxChars {
				t.Errorf("output is %d characters, budget %d", n, c.opts.MaxChars)
			}
			notice := "Condensed to fit " + commas(c.opts.MaxChars) + " characters"
			if !strings.Contains(out, notice) {
				t.Errorf("no %q notice", notice)
			}
			if strings.Index(out, notice) > strings.Index(out, "Overview") {
				t.Error("the notice is not at the top, before the first section")
			}
			for _, v := range ransomBad {
				if !strings.Contains(out, v) {
					t.Errorf("malicious or suspicious %q is missing", v)
				}
			}
			// The long suspicious command line survives as an item even
			// when its text is replaced by its length.
			if !strings.Contains(out, ransomLongCmd) && !strings.Contains(out, commas(utf8.RuneCountInString(ransomLongCmd))+" characters") {
				t.Error("the long suspicious command line is neither shown nor noted")
			}
			if !strings.Contains(out, "suspicious") || !strings.Contains(out, "malicious") {
				t.Error("verdict levels are missing")
			}
			wholeOrAbsent(t, out, "description", r.Incident.Description)
			for i, a := range r.Incident.Alerts {
				wholeOrAbsent(t, out, fmt.Sprintf("alert %d description", i), a.Description)
			}
			for i, cm := range r.Incident.Comments {
				if strings.Contains(out, cm.Message[:10]) && !strings.Contains(out, cm.Message) {
					t.Errorf("comment %d appears cut", i)
				}
			}
			if strings.Contains(out, ransomLongCmd[:80]) && !strings.Contains(out, ransomLongCmd) {
				t.Error("the long command line appears cut")
			}
		})
	}
}

// TestBudgetLevels checks that the least aggregation that fits is chosen:
// a budget the full report meets gives the full report, without a notice.
func TestBudgetLevels(t *testing.T) {
	r := phishingReport()
	full, _ := render(t, r, FormatMarkdown, Options{})
	fits, _ := render(t, r, FormatMarkdown, Options{MaxChars: utf8.RuneCountInString(full)})
	if fits != full {
		t.Error("a budget the full report meets changed the output")
	}
	if strings.Contains(full, "Condensed") {
		t.Error("an unbudgeted report says it was condensed")
	}
	condensed, _ := render(t, r, FormatMarkdown, Options{MaxChars: utf8.RuneCountInString(full) - 1})
	if !strings.Contains(condensed, "Condensed to fit") {
		t.Error("a condensed report does not say so")
	}
	// The benign domain collapses to a count; the malicious URL stays.
	if strings.Contains(condensed, "contoso.sharepoint.com") {
		t.Error("the benign domain is still listed at level 2")
	}
	if !strings.Contains(condensed, "1 domain with no findings or benign verdicts") {
		t.Error("the benign domain is not counted")
	}
	if !strings.Contains(condensed, "login-micros0ft.example/owa/") {
		t.Error("the malicious URL is gone")
	}
}

func TestBudgetError(t *testing.T) {
	for _, f := range []Format{FormatMarkdown, FormatHTML} {
		var buf bytes.Buffer
		err := Render(&buf, ransomwareReport(), f, Options{MaxChars: 200})
		var be *BudgetError
		if !errors.As(err, &be) {
			t.Fatalf("%s at 200 characters: got %v, want a *BudgetError", f, err)
		}
		if be.Smallest <= 200 || be.MaxChars != 200 || be.Format != f {
			t.Errorf("%s: BudgetError %+v", f, be)
		}
		if buf.Len() != 0 {
			t.Errorf("%s: %d bytes written despite the error", f, buf.Len())
		}
		if !strings.Contains(err.Error(), "200") {
			t.Errorf("error %q does not name the budget", err)
		}
	}
}

// TestBudgetJSONUnbudgeted checks that JSON ignores the budget.
func TestBudgetJSONUnbudgeted(t *testing.T) {
	raw, _ := render(t, ransomwareReport(), FormatJSON, Options{MaxChars: 100})
	if !strings.Contains(raw, "cdn299.assets-provider.example") {
		t.Error("JSON output was condensed")
	}
}

// manyBadReport has more malicious domains than the last level lists.
func manyBadReport(n int) *Report {
	r := emptyReport()
	for i := range n {
		d := fmt.Sprintf("bad%03d.example", i)
		r.Entities.Domains = append(r.Entities.Domains, incident.Domain{Value: d, Sources: []string{"entity:DNS"}})
		r.Findings = append(r.Findings, skill.Finding{Indicator: d, Type: "domain", Skill: "vt.Domain", Level: skill.Malicious,
			Score: 50 + i%50, Source: "VirusTotal", Summary: "Flagged by several engines for malware distribution and phishing."})
	}
	return finish(r)
}

func TestBudgetManyMalicious(t *testing.T) {
	const budget = 8000
	r := manyBadReport(400)
	raw, _ := render(t, r, FormatMarkdown, Options{MaxChars: budget})
	if n := utf8.RuneCountInString(raw); n > budget {
		t.Fatalf("output is %d characters, budget %d", n, budget)
	}
	if !strings.Contains(raw, "malicious or suspicious items per list") {
		t.Error("the notice does not say malicious items were capped")
	}
	if !strings.Contains(raw, "more malicious or suspicious domains not listed individually") {
		t.Error("the capped domains are not counted")
	}
	// The highest-scored are kept: every domain scored 99 is listed.
	for i := 49; i < 400; i += 50 {
		if d := fmt.Sprintf("bad%03d.example", i); !strings.Contains(raw, d) {
			t.Errorf("top-scored %s is missing", d)
		}
	}
}
