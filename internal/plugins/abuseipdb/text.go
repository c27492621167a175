package abuseipdb

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// clip makes provider text safe to show on one line: control characters
// become spaces, runs of white space collapse, and text longer than n runes
// is cut with an ellipsis.
func clip(s string, n int) string {
	var b strings.Builder
	space := false
	count := 0
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if count >= n {
			b.WriteString("…")
			return b.String()
		}
		if space {
			b.WriteByte(' ')
			count++
			space = false
		}
		b.WriteRune(r)
		count++
	}
	return b.String()
}

// redact removes the API key from text that is about to leave the plugin.
func redact(s, key string) string {
	if key == "" {
		return s
	}
	return strings.ReplaceAll(s, key, "<secret>")
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// md escapes provider text for Markdown, so that an ISP called "*foo*"
// stays literal.
func md(s string) string {
	var b strings.Builder
	for _, r := range clip(s, 200) {
		if strings.ContainsRune("\\`*_[]<>|#", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// count writes "1 report" or "3 reports".
func count(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", noun)
	}
	if strings.HasSuffix(noun, "s") {
		return fmt.Sprintf("%d %ses", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
