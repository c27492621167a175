package report

import (
	"strconv"
	"strings"
	"unicode"
)

// renderMarkdown writes a document as CommonMark with GitHub table syntax.
//
// Incident data is attacker-controlled, so every value is escaped: prose has
// its Markdown and HTML metacharacters backslash-escaped and cannot open a
// link, an image, raw HTML, an autolink or a block construct; values shown
// verbatim go in code spans or fenced blocks whose fence is longer than any
// backtick run inside. Only links that pass linkTarget are clickable.
func renderMarkdown(d *doc) string {
	var b strings.Builder
	b.WriteString("# " + mdEscape(d.Title) + "\n\n")
	if d.Notice != "" {
		b.WriteString("> " + mdEscape(d.Notice) + "\n\n")
	}
	for _, s := range d.Sections {
		b.WriteString("## " + mdEscape(s.Heading) + "\n\n")
		prev := ""
		for _, blk := range s.Blocks {
			prev = mdBlock(&b, blk, prev)
		}
	}
	b.WriteString("---\n\n" + mdEscape(d.Footer) + "\n")
	return b.String()
}

// mdBlock writes one block followed by a blank line. prev is the bullet
// marker of the block before when that was a bulleted list; two lists in a
// row get different markers, or Markdown would join them into one. It
// returns the marker it used, or "".
func mdBlock(b *strings.Builder, blk block, prev string) string {
	if blk.Title != "" {
		b.WriteString("### " + mdEscape(blk.Title) + "\n\n")
		prev = ""
	}
	bullet := "-"
	if prev == "-" {
		bullet = "*"
	}
	used := ""
	switch blk.Kind {
	case blockPara:
		b.WriteString(mdLine(blk.Line, false) + "\n")
	case blockText:
		for i, p := range blk.Paras {
			if i > 0 {
				b.WriteString("\n")
			}
			b.WriteString(mdLines(p, "") + "\n")
		}
	case blockFields:
		for _, f := range blk.Fields {
			b.WriteString(bullet + " " + mdField(f) + "\n")
		}
		used = bullet
	case blockItems:
		for _, it := range blk.Items {
			mdItem(b, it, bullet)
		}
		used = bullet
	case blockList:
		for _, l := range blk.Lines {
			b.WriteString(bullet + " " + mdLine(l, false) + "\n")
		}
		used = bullet
	case blockNumbered:
		for i, l := range blk.Lines {
			b.WriteString(strconv.Itoa(i+1) + ". " + mdLine(l, false) + "\n")
		}
	case blockTable:
		mdTable(b, blk.Table)
	}
	b.WriteString("\n")
	return used
}

// mdLines escapes lines of free text and joins them with hard line breaks;
// indent prefixes the continuation lines.
func mdLines(lines []string, indent string) string {
	parts := make([]string, len(lines))
	for i, l := range lines {
		parts[i] = mdEscape(l)
	}
	return strings.Join(parts, "\\\n"+indent)
}

func mdField(f field) string {
	return "**" + mdEscape(f.Label) + ":** " + mdLine(f.Value, false)
}

// mdItem writes a list item: its head, free text continuing the head, code
// blocks, then fields and notes as a nested list. Nothing in it is
// separated by blank lines, so lists stay tight.
func mdItem(b *strings.Builder, it item, bullet string) {
	const indent = "  "
	b.WriteString(bullet + " " + mdLine(it.Head, false))
	for _, p := range it.Body {
		b.WriteString("\\\n" + indent + mdLines(p, indent))
	}
	b.WriteString("\n")
	for _, c := range it.Code {
		mdFence(b, c, indent)
	}
	for _, f := range it.Fields {
		b.WriteString(indent + "- " + mdField(f) + "\n")
	}
	for _, n := range it.Notes {
		b.WriteString(indent + "- " + mdLine(n, false) + "\n")
	}
}

// mdFence writes s verbatim as a fenced code block indented by indent. The
// fence is a backtick run longer than any inside s, so s cannot close it.
func mdFence(b *strings.Builder, s, indent string) {
	fence := strings.Repeat("`", max(3, longestRun(s, '`')+1))
	b.WriteString(indent + fence + "\n")
	for _, l := range strings.Split(cleanControls(s, true), "\n") {
		if l == "" {
			b.WriteString("\n")
			continue
		}
		b.WriteString(indent + l + "\n")
	}
	b.WriteString(indent + fence + "\n")
}

// mdTable writes a GitHub-style table. Cells are single lines with their
// pipes escaped, inside code spans too.
func mdTable(b *strings.Builder, t *table) {
	head := make([]string, len(t.Head))
	rule := make([]string, len(t.Head))
	for i, h := range t.Head {
		head[i] = mdEscape(h)
		rule[i] = "---"
		if i < len(t.Right) && t.Right[i] {
			rule[i] = "--:"
		}
	}
	b.WriteString("| " + strings.Join(head, " | ") + " |\n")
	b.WriteString("| " + strings.Join(rule, " | ") + " |\n")
	for _, row := range t.Rows {
		cells := make([]string, len(row))
		for i, c := range row {
			cells[i] = mdLine(c, true)
		}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
}

// mdLine renders spans on one line.
func mdLine(l line, inTable bool) string {
	var b strings.Builder
	for _, s := range l {
		switch s.Kind {
		case spanCode:
			b.WriteString(mdCode(s.Text, inTable))
		case spanStrong:
			if t := strings.TrimSpace(s.Text); t != "" {
				b.WriteString("**" + mdEscape(t) + "**")
			}
		case spanEm:
			if t := strings.TrimSpace(s.Text); t != "" {
				b.WriteString("*" + mdEscape(t) + "*")
			}
		case spanLink:
			if target := linkTarget(s); target != "" {
				b.WriteString("[" + mdEscape(s.Text) + "](" + target + ")")
				continue
			}
			b.WriteString(mdEscape(s.Text))
			if s.URL != "" && s.URL != s.Text {
				b.WriteString(" " + mdCode(s.URL, inTable))
			}
		default:
			b.WriteString(mdEscape(s.Text))
		}
	}
	return b.String()
}

// mdCode renders s as an inert code span on one line.
func mdCode(s string, inTable bool) string {
	s = cleanControls(s, false)
	if strings.TrimSpace(s) == "" {
		return "*(empty)*"
	}
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") || (strings.HasPrefix(s, " ") && strings.HasSuffix(s, " ")) {
		s = " " + s + " "
	}
	if inTable {
		s = strings.ReplaceAll(s, "|", `\|`)
	}
	return fence + s + fence
}

// mdEscape makes s inert Markdown prose on one line: line breaks become
// spaces; characters that could start emphasis, code, links, images, raw
// HTML, entities, tables, headings, strike-through, math or mentions are
// backslash-escaped; "://" and "www." are broken up so no autolink forms;
// and a leading list or heading marker is escaped.
func mdEscape(s string) string {
	s = cleanControls(s, false)
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\', '`', '*', '_', '[', ']', '<', '>', '|', '#', '~', '&', '$', '@':
			b.WriteByte('\\')
		case ':':
			if strings.HasPrefix(s[i:], "://") {
				b.WriteByte('\\')
			}
		case '.':
			if i >= 3 && strings.EqualFold(s[i-3:i], "www") && (i == 3 || !isWordByte(s[i-4])) {
				b.WriteByte('\\')
			}
		}
		b.WriteByte(c)
	}
	out := b.String()
	if out != "" && strings.ContainsRune("-+=", rune(out[0])) {
		return `\` + out
	}
	// "1. " or "1) " would start an ordered list.
	if n := len(out) - len(strings.TrimLeft(out, "0123456789")); n > 0 && n < len(out) && (out[n] == '.' || out[n] == ')') {
		return out[:n] + `\` + out[n:]
	}
	return out
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// cleanControls replaces control characters, which have no place in a
// report and could drive a terminal, with U+FFFD. Line breaks and tabs
// become spaces unless keepLines, which keeps newlines and tabs (for code
// blocks).
func cleanControls(s string, keepLines bool) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '\n', '\t':
			if keepLines {
				return r
			}
			return ' '
		case '\r', '\v', '\f', '\u0085', '\u2028', '\u2029':
			return ' '
		}
		if unicode.IsControl(r) {
			return '\uFFFD'
		}
		return r
	}, s)
}

// longestRun is the length of the longest run of c in s.
func longestRun(s string, c byte) int {
	best, cur := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			cur++
			best = max(best, cur)
		} else {
			cur = 0
		}
	}
	return best
}
