package sentinel

import (
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Sentinel's service limits for comments.
const (
	MaxCommentChars = 30000
	MaxComments     = 100
)

// commentNamespace scopes the comment ids Spotter derives.
var commentNamespace = uuid.MustParse("6f1d7a3e-58c2-4c8e-9b7a-2d0e5c4f1a93")

// CommentID derives the id of one comment from the run's key and the
// comment's role ("details/1", "summary"): the same key always gives the
// same ids, so posting again rewrites the same comments instead of adding
// new ones.
func CommentID(key, part string) string {
	return uuid.NewSHA1(commentNamespace, []byte(key+"\x00"+part)).String()
}

// partHeader is the line that opens part i of n.
func partHeader(html bool, i, n int) string {
	if html {
		return fmt.Sprintf("<p><b>Spotter report, part %d of %d</b></p>\n", i, n)
	}
	return fmt.Sprintf("**Spotter report, part %d of %d**\n\n", i, n)
}

// omittedNote closes the last part when the comment cap left parts out.
func omittedNote(html bool, k int) string {
	s := fmt.Sprintf("%d more part(s) of this report were not posted: the incident would exceed Sentinel's %d-comment limit. The full report is in Spotter's run history.", k, MaxComments)
	if html {
		return "\n<p><i>" + s + "</i></p>"
	}
	return "\n\n_" + s + "_"
}

// Split cuts text into comments of at most maxChars characters (textLen),
// at line boundaries where it can, each opened by a "part i of n" line. A
// Markdown code fence, or an HTML <pre> block, cut in two is closed at the
// end of one part and opened again at the start of the next. At most maxParts parts are
// returned; omitted counts the ones left out, and the last part returned
// then says so. Text that fits is returned as it is.
func Split(text string, html bool, maxChars, maxParts int) (parts []string, omitted int) {
	if maxChars <= 0 {
		maxChars = MaxCommentChars
	}
	if maxParts <= 0 {
		return nil, 0
	}
	if textLen(text) <= maxChars {
		return []string{text}, 0
	}
	// The header's room: "part 100 of N", N at most the text's length (a
	// report left out in part can have a thousand parts and more).
	budget := maxChars - textLen(partHeader(html, MaxComments, max(MaxComments, textLen(text))))
	bodies := splitBodies(text, max(budget, 1), html)
	note := ""
	if len(bodies) > maxParts {
		// Make room for the note in every part, then cut again.
		note = omittedNote(html, len(bodies))
		if nb := budget - textLen(note); nb >= 1 {
			bodies = splitBodies(text, nb, html)
			note = omittedNote(html, len(bodies)-maxParts)
		} else {
			note = ""
		}
		omitted = len(bodies) - maxParts
		bodies = bodies[:maxParts]
	}
	total := len(bodies) + omitted
	for i, b := range bodies {
		s := partHeader(html, i+1, total) + b
		if i == len(bodies)-1 && note != "" {
			s += note
		}
		parts = append(parts, s)
	}
	return parts, omitted
}

// splitBodies cuts text into pieces of at most budget runes. A line cut
// in the middle of HTML is cut before a tag or character reference, never
// inside one.
func splitBodies(text string, budget int, html bool) []string {
	var (
		bodies []string
		cur    strings.Builder
		n      int    // runes in cur
		fence  string // the open fence's opening line, "" when none
	)
	// room is what the closing fence of an open fence needs.
	room := func() int {
		if fence == "" {
			return 0
		}
		return textLen(fenceCloser(fence)) + 2
	}
	flush := func() {
		if cur.Len() == 0 {
			return
		}
		s := cur.String()
		if fence != "" {
			if !strings.HasSuffix(s, "\n") {
				s += "\n"
			}
			s += fenceCloser(fence) + "\n"
		}
		bodies = append(bodies, s)
		cur.Reset()
		n = 0
		if fence != "" {
			cur.WriteString(fence + "\n")
			n = textLen(fence) + 1
		}
	}
	for _, line := range strings.SplitAfter(text, "\n") {
		ln := textLen(line)
		if n+ln+room() > budget && cur.Len() > 0 {
			flush()
		}
		for ln > budget-n-room() { // longer than what is left of a part: cut it
			cut := budget - n - room()
			if r, _ := utf8.DecodeRuneInString(line); cut <= 0 || cut < utf16.RuneLen(r) {
				// Not even the reopened fence leaves room (or not for a
				// character counting twice): drop the fence.
				fence = ""
				flush()
				cut = budget - n
			}
			head, rest := splitRunes(line, cut)
			if html {
				head, rest = htmlCut(head, rest)
			}
			cur.WriteString(head)
			n += textLen(head)
			flush()
			line, ln = rest, textLen(rest)
		}
		if line == "" {
			continue
		}
		cur.WriteString(line)
		n += ln
		m := strings.TrimSpace(line)
		if html {
			// An HTML <pre> block open at the end of the line is carried
			// over like a fence; the renderer writes <pre><code>.
			open, closed := strings.LastIndex(line, "<pre"), strings.LastIndex(line, "</pre>")
			switch {
			case fence == "" && open > closed && 2*(len("<pre><code>")+len("</code></pre>")+2) < budget:
				fence = "<pre>"
				if strings.HasPrefix(line[open:], "<pre><code>") {
					fence = "<pre><code>"
				}
			case fence != "" && closed > open:
				fence = ""
			}
		} else if strings.HasPrefix(m, "```") || strings.HasPrefix(m, "~~~") {
			switch {
			case fence == "" && 2*(textLen(m)+1) < budget:
				fence = strings.TrimRight(line, "\r\n")
			case fence != "" && strings.HasPrefix(m, fenceMarker(fence)) && strings.Trim(m, "`~") == "":
				fence = ""
			}
		}
	}
	fence = "" // a fence the text itself leaves open stays as the text has it
	flush()
	return bodies
}

// htmlCut moves a cut between head and rest back to before a tag or a
// character reference that head leaves open ("<a hre" | "f=...>",
// "&am" | "p;"), unless that would leave head empty.
func htmlCut(head, rest string) (string, string) {
	if lt := strings.LastIndexByte(head, '<'); lt > 0 && lt > strings.LastIndexByte(head, '>') {
		return head[:lt], head[lt:] + rest
	}
	if amp := strings.LastIndexByte(head, '&'); amp > 0 && len(head)-amp <= 32 &&
		strings.IndexFunc(head[amp+1:], func(r rune) bool {
			return !(r == '#' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
		}) < 0 {
		return head[:amp], head[amp:] + rest
	}
	return head, rest
}

// fenceCloser closes what fence opened: the Markdown fence's marker, or
// the HTML <pre> block's end tags.
func fenceCloser(fence string) string {
	switch fence {
	case "<pre>":
		return "</pre>"
	case "<pre><code>":
		return "</code></pre>"
	}
	return fenceMarker(fence)
}

// fenceMarker is the run of backticks or tildes opening a fence line.
func fenceMarker(line string) string {
	s := strings.TrimSpace(line)
	i := 0
	for i < len(s) && (s[i] == '`' || s[i] == '~') {
		i++
	}
	return s[:i]
}

// textLen is the length of s in characters as the limit of a comment
// counts them: UTF-16 code units, the length of a string in .NET and
// JavaScript. A character outside the Basic Multilingual Plane (most
// emoji) counts twice; the count is never below the number of runes.
func textLen(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r) // 1 for utf8.RuneError: invalid bytes are replaced by one character
	}
	return n
}

// splitRunes cuts s after at most n characters (textLen), never inside a
// rune; at least one rune when n > 0 and s is not empty.
func splitRunes(s string, n int) (string, string) {
	i, k := 0, 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		w := max(utf16.RuneLen(r), 1)
		if k+w > n && (k > 0 || n <= 0) {
			break
		}
		k += w
		i += size
	}
	return s[:i], s[i:]
}
