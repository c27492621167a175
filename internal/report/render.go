package report

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Format is an output format of the report.
type Format string

// The supported formats.
const (
	FormatMarkdown Format = "md"
	FormatHTML     Format = "html"
	FormatJSON     Format = "json"
)

// ParseFormat parses a format name as given on the command line: "md" or
// "markdown", "html", or "json", case-insensitively.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "md", "markdown":
		return FormatMarkdown, nil
	case "html":
		return FormatHTML, nil
	case "json":
		return FormatJSON, nil
	}
	return "", fmt.Errorf("report format %q: expected one of md (or markdown), html, json", s)
}

// Options control rendering.
type Options struct {
	// MaxChars is the size budget of Markdown and HTML output, in characters
	// (runes); 0 means unlimited. JSON is never budgeted: it is the complete
	// record.
	MaxChars int
	// Fragment makes HTML output a fragment for an incident comment, with no
	// <html>, <head> or <style>, instead of a standalone page.
	Fragment bool
}

// BudgetError is returned by Render when even the most condensed rendering
// is longer than Options.MaxChars.
type BudgetError struct {
	Format   Format
	MaxChars int
	// Smallest is the size, in characters, of the shortest rendering reached.
	Smallest int
}

// Error says how far the most condensed rendering is over the budget.
func (e *BudgetError) Error() string {
	return fmt.Sprintf("report: the most condensed %s rendering is %s characters, over the budget of %s",
		e.Format, commas(e.Smallest), commas(e.MaxChars))
}

// plans are the attempts Render makes, in order, until one fits: the
// aggregation levels (see plan), then the last level listing fewer and
// fewer of the malicious and suspicious items individually when there are
// very many of them.
var plans = []plan{{level: 1}, {level: 2}, {level: 3}, {level: 4}, {level: 5}, {level: 6},
	{level: 6, badCap: 100}, {level: 6, badCap: 50}, {level: 6, badCap: 25}}

// Render writes r to w in format f.
//
// Markdown and HTML are rendered in full detail first; when the result is
// longer than o.MaxChars it is rendered again at the next aggregation
// level, which collapses lower-value detail into counts, until it fits.
// Text is never cut mid-way. A condensed report says so in its first
// lines. When nothing fits, Render writes nothing and returns a
// *BudgetError. JSON is always the whole report.
func Render(w io.Writer, r *Report, f Format, o Options) error {
	if r == nil {
		return errors.New("report: nothing to render (nil report)")
	}
	if o.MaxChars < 0 {
		return fmt.Errorf("report: size budget %d: expected 0 (unlimited) or a positive number of characters", o.MaxChars)
	}
	switch f {
	case FormatJSON:
		return writeJSON(w, r)
	case FormatMarkdown, FormatHTML:
	default:
		return fmt.Errorf("report: unknown format %q: expected one of md, html, json", f)
	}
	out, err := renderBudgeted(r, f, o)
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, out)
	return err
}

// renderBudgeted tries each plan in turn and returns the first rendering
// within the budget.
func renderBudgeted(r *Report, f Format, o Options) (string, error) {
	smallest := -1
	for _, p := range plans {
		p.max = o.MaxChars
		out, err := renderDoc(build(r, p), f, o)
		if err != nil {
			return "", err
		}
		n := utf8.RuneCountInString(out)
		if o.MaxChars == 0 || n <= o.MaxChars {
			return out, nil
		}
		if smallest < 0 || n < smallest {
			smallest = n
		}
	}
	return "", &BudgetError{Format: f, MaxChars: o.MaxChars, Smallest: smallest}
}

func renderDoc(d *doc, f Format, o Options) (string, error) {
	if f == FormatHTML {
		return renderHTML(d, o.Fragment)
	}
	return renderMarkdown(d), nil
}
