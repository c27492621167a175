package report

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/spotter-soc/spotter/internal/incident"
	"github.com/spotter-soc/spotter/internal/skill"
)

// xssPayloads are attacker-controlled strings fed into every field.
var xssPayloads = []string{
	`<script>alert(1)</script>`,
	`"><img src=x onerror=alert(1)>`,
	`javascript:alert(1)`,
}

// hostileReport puts payload into every incident-provided string that
// reaches the output, and into the links.
func hostileReport(payload string) *Report {
	r := phishingReport()
	r.Incident.Title = payload
	r.Incident.Description = payload + "\n\n" + payload
	r.Incident.URL = payload
	r.Incident.Owner = payload
	r.Incident.Labels = []string{payload}
	r.Incident.Alerts[0].Name = payload
	r.Incident.Alerts[0].Description = payload
	r.Incident.Alerts[0].Link = payload
	r.Incident.Comments[0].Message = payload
	r.Entities.Accounts[0].Value = payload
	r.Entities.Accounts[0].DisplayName = payload
	r.Entities.URLs[0].Value = payload
	r.Entities.MailMessages[0].Subject = payload
	r.Entities.CmdlinesAnalyzed = []incident.Process{{Value: payload, Normalized: payload, Image: payload, ParentCmdline: payload, Host: payload}}
	r.Entities.CmdlinesSkipped = []incident.Process{{Value: payload, SkipReason: payload}}
	r.Entities.Other = []incident.OtherEntity{{Kind: payload, Value: payload}}
	r.Entities.Skipped = append(r.Entities.Skipped, incident.Skip{Type: payload, Value: payload, Reason: payload})
	r.Entities.IPsPublic[0].ThreatIntel = []incident.ThreatIntel{{Provider: payload, Name: payload, Description: payload, Link: payload}}
	r.Findings = append(r.Findings,
		skill.Finding{Indicator: payload, Type: "process", Skill: "cmdline.Analyze", Level: skill.Malicious, Score: 90, Source: payload, Summary: payload, Link: payload, Reasons: []string{payload}},
		skill.Finding{Indicator: payload, Type: "url", Skill: "vt.URL", Level: skill.Malicious, Score: 90, Source: "VirusTotal", Summary: payload, Link: payload},
		skill.Finding{Indicator: payload, Type: payload, Skill: payload, Level: skill.Suspicious, Score: 50, Source: payload, Summary: payload, Section: payload},
	)
	r.Verdict.Summary = payload
	r.Verdict.Recommendations = append(r.Verdict.Recommendations, payload)
	r.Coverage = append(r.Coverage, Coverage{Section: SectionIPs, Skill: payload, Status: payload, Detail: payload})
	r.Stats.GeneratedAt = payload
	return finish(r)
}

// allowedTags are the only elements the HTML renderer writes.
var allowedTags = map[string]bool{
	"html": true, "head": true, "meta": true, "title": true, "style": true, "body": true,
	"h1": true, "h2": true, "h3": true, "p": true, "ul": true, "ol": true, "li": true, "br": true, "hr": true,
	"strong": true, "em": true, "code": true, "pre": true, "small": true, "a": true,
	"table": true, "thead": true, "tbody": true, "tr": true, "th": true, "td": true,
}

// checkHTML parses out and fails on any element, attribute or link the
// renderer does not write itself.
func checkHTML(t *testing.T, out string) {
	t.Helper()
	lower := strings.ToLower(out)
	for _, bad := range []string{"<script", "<img", "href=\"javascript:", "href='javascript:", "href=javascript:"} {
		if strings.Contains(lower, bad) {
			t.Errorf("output contains %q", bad)
		}
	}
	z := html.NewTokenizer(strings.NewReader(out))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if z.Err() != io.EOF {
				t.Fatalf("tokenizer: %v", z.Err())
			}
			return
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		if !allowedTags[tok.Data] {
			t.Errorf("unexpected element <%s>", tok.Data)
		}
		for _, a := range tok.Attr {
			switch {
			case strings.HasPrefix(strings.ToLower(a.Key), "on"):
				t.Errorf("event handler attribute %s=%q on <%s>", a.Key, a.Val, tok.Data)
			case a.Key == "href" && !strings.HasPrefix(a.Val, "https://") && !strings.HasPrefix(a.Val, "http://"):
				t.Errorf("link to %q", a.Val)
			case a.Key == "href" && !strings.HasPrefix(a.Val, "https://portal.azure.com/") && !strings.HasPrefix(a.Val, "https://www.virustotal.com/"):
				t.Errorf("link to %q, which no test report contains", a.Val)
			case a.Key == "src":
				t.Errorf("src attribute on <%s>", tok.Data)
			}
		}
	}
}

func TestHTMLEscapesIncidentData(t *testing.T) {
	for _, p := range xssPayloads {
		for _, o := range []Options{{}, {Fragment: true}, {Fragment: true, MaxChars: 8000}, {MaxChars: 7000}} {
			t.Run(fmt.Sprintf("%.12s/%+v", p, o), func(t *testing.T) {
				var buf bytes.Buffer
				if err := Render(&buf, hostileReport(p), FormatHTML, o); err != nil {
					t.Fatalf("Render: %v", err)
				}
				checkHTML(t, buf.String())
			})
		}
	}
}

// TestHTMLLinks checks which links become clickable.
func TestHTMLLinks(t *testing.T) {
	r := phishingReport()
	var buf bytes.Buffer
	if err := Render(&buf, r, FormatHTML, Options{Fragment: true}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, `<a href="`+portalURL+`"`) {
		t.Error("the portal link to the incident is not clickable")
	}
	if !strings.Contains(out, `<a href="https://www.virustotal.com/gui/url/`) {
		t.Error("the skill's report link is not clickable")
	}
	if strings.Contains(out, `href="https://login-micros0ft.example`) {
		t.Error("the phishing URL is clickable")
	}
}

// mdUnescaped finds s in Markdown prose, outside code, without a
// backslash before it.
func mdUnescaped(out, s string) bool {
	return regexp.MustCompile(`(^|[^\\])` + regexp.QuoteMeta(s)).MatchString(mdProse(out))
}

// mdProse removes fenced code blocks and code spans from Markdown the way
// the renderer writes them, leaving the prose.
func mdProse(md string) string {
	var lines []string
	fence := ""
	for _, l := range strings.Split(md, "\n") {
		t := strings.TrimSpace(l)
		switch {
		case fence != "":
			if t == fence {
				fence = ""
			}
			continue
		case strings.HasPrefix(t, "```") && strings.Trim(t, "`") == "":
			fence = t
			continue
		}
		lines = append(lines, l)
	}
	s := strings.Join(lines, "\n")
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] == '\\' && i+1 < len(s) {
			b.WriteString(s[i : i+2])
			i += 2
			continue
		}
		if s[i] != '`' {
			b.WriteByte(s[i])
			i++
			continue
		}
		n := 0
		for i+n < len(s) && s[i+n] == '`' {
			n++
		}
		closing := -1
		for j := i + n; j < len(s); {
			if s[j] != '`' {
				j++
				continue
			}
			m := 0
			for j+m < len(s) && s[j+m] == '`' {
				m++
			}
			if m == n {
				closing = j
				break
			}
			j += m
		}
		if closing < 0 {
			b.WriteString(s[i : i+n])
			i += n
			continue
		}
		b.WriteString("CODE")
		i = closing + n
	}
	return b.String()
}

func TestMarkdownInjection(t *testing.T) {
	const (
		title = "Click [click](http://evil.example/a) now <img src=x onerror=alert(1)> ![x](http://evil.example/i.png)"
		desc  = "# Heading\n- list\n1. one\n<script>alert(1)</script>\n| a | b |\n[ref]: http://evil.example\nwww.evil.example and https://evil.example/x **bold** `code` &amp; $x$ @team"
	)
	r := phishingReport()
	r.Incident.Title = title
	r.Incident.Description = desc
	r.Incident.URL = "https://evil.example/incident"
	r.Entities.Accounts[0].Value = "[admin](https://evil.example/)|`x`"
	cmd := "cmd.exe /c \"echo ```\n# not a heading\n````\" | more"
	r.Entities.CmdlinesAnalyzed = []incident.Process{{Value: cmd, Normalized: cmd}}
	r.Findings = append(r.Findings, skill.Finding{Indicator: "a|b`c", Type: "domain", Level: skill.Malicious, Score: 80, Source: "x|y"})
	r = finish(r)
	raw, _ := render(t, r, FormatMarkdown, Options{})

	for _, s := range []string{"[click]", "](http://evil", "](https://evil", "<img", "<script", "![", "# Heading", "[ref]", "**bold**", "$x$", "@team", "&amp;"} {
		if mdUnescaped(raw, s) {
			t.Errorf("%q reaches the Markdown unescaped", s)
		}
	}
	if !strings.Contains(raw, `http\://evil.example/a`) || !strings.Contains(raw, `www\.evil.example`) {
		t.Error("bare URLs in prose are not broken up against autolinking")
	}
	// The incident URL is not a portal link: shown as code, not clickable.
	if strings.Contains(raw, "](https://evil.example/incident)") || !strings.Contains(raw, "`https://evil.example/incident`") {
		t.Error("a non-portal incident URL is clickable or missing")
	}
	// The phishing URL is code, never a link.
	if strings.Contains(raw, "](https://login-micros0ft") || !strings.Contains(raw, "`https://login-micros0ft.example/owa/?user=j.doe&session=7781`") {
		t.Error("the phishing URL is not rendered as inert code")
	}
	// A description line starting with "- " or "1. " must not start a list.
	for _, l := range strings.Split(raw, "\n") {
		if l == "- list" || l == "1. one" || strings.HasPrefix(l, "# Heading") {
			t.Errorf("description line %q became Markdown structure", l)
		}
	}
	// The command line keeps its text verbatim inside a longer fence.
	if !strings.Contains(raw, "  `````\n  cmd.exe /c \"echo ```\n  # not a heading\n  ````\" | more\n  `````\n") {
		t.Errorf("command line not fenced verbatim:\n%s", raw)
	}
	// Table cells keep their pipes escaped, inside code spans too.
	if !strings.Contains(raw, "| ``a\\|b`c`` | domain | **malicious** | 80 | x\\|y |") {
		t.Error("verdict table row with pipes is not escaped")
	}
	// The account's value is a code span: inert, whatever it contains.
	if !strings.Contains(raw, "`` [admin](https://evil.example/)|`x` ``") {
		t.Error("account value is not an inert code span")
	}
}

func TestMdEscape(t *testing.T) {
	cases := map[string]string{
		"plain text":             "plain text",
		"a*b_c":                  `a\*b\_c`,
		"- item":                 `\- item`,
		"+ item":                 `\+ item`,
		"12. item":               `12\. item`,
		"3) item":                `3\) item`,
		"2024.1 release":         `2024\.1 release`,
		"line\nbreak\r\nagain":   "line break  again",
		"see http://x.example":   `see http\://x.example`,
		"WWW.example.com":        `WWW\.example.com`,
		"awww.example":           "awww.example",
		"<b>&amp;</b>":           `\<b\>\&amp;\</b\>`,
		"a|b":                    `a\|b`,
		"tab\there":              "tab here",
		"nul\x00bell\x07":        "nul\uFFFDbell\uFFFD",
		"[x](y) ![i](j) `c` ~s~": "\\[x\\](y) !\\[i\\](j) \\`c\\` \\~s\\~",
	}
	for in, want := range cases {
		if got := mdEscape(in); got != want {
			t.Errorf("mdEscape(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMdCode(t *testing.T) {
	cases := []struct {
		in      string
		inTable bool
		want    string
	}{
		{"abc", false, "`abc`"},
		{"a`b", false, "``a`b``"},
		{"a``b```c", false, "````a``b```c````"},
		{"`start", false, "`` `start ``"},
		{" both ", false, "`  both  `"},
		{"a|b", true, "`a\\|b`"},
		{"a|b", false, "`a|b`"},
		{"two\nlines", false, "`two lines`"},
		{"", false, "*(empty)*"},
	}
	for _, c := range cases {
		if got := mdCode(c.in, c.inTable); got != c.want {
			t.Errorf("mdCode(%q, %v) = %q, want %q", c.in, c.inTable, got, c.want)
		}
	}
}

func TestLinkTarget(t *testing.T) {
	cases := []struct {
		s    span
		want bool
	}{
		{link("x", portalURL), true},
		{link("x", "https://security.microsoft.com/incidents/1"), true},
		{link("x", "https://sub.portal.azure.com/x"), true},
		{link("x", "http://portal.azure.com/x"), false}, // incident links must be https
		{link("x", "https://portal.azure.com.evil.example/x"), false},
		{link("x", "https://evil.example/"), false},
		{link("x", "javascript:alert(1)"), false},
		{link("x", "JAVASCRIPT:alert(1)"), false},
		{link("x", "data:text/html,<script>"), false},
		{link("x", "//portal.azure.com/x"), false},
		{link("x", "https://user@portal.azure.com/x"), false},
		{skillLink("x", "https://www.virustotal.com/gui/url/1"), true},
		{skillLink("x", "http://example.com/a"), true},
		{skillLink("x", "https://example.com/a b"), false},
		{skillLink("x", "https://example.com/a)b"), false},
		{skillLink("x", "javascript:alert(1)"), false},
		{skillLink("x", "vbscript:x"), false},
		{code("https://portal.azure.com/"), false},
	}
	for _, c := range cases {
		if got := linkTarget(c.s) != ""; got != c.want {
			t.Errorf("linkTarget(%+v) allowed = %v, want %v", c.s, got, c.want)
		}
	}
}
