package provider

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Clip makes provider text safe to show on one line: control characters
// become spaces, runs of white space collapse, and text longer than n runes
// is cut with an ellipsis.
func Clip(s string, n int) string {
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

// ClipAll clips every string of a list to 60 runes and keeps at most n of
// the non-empty results.
func ClipAll(list []string, n int) []string {
	var out []string
	for _, s := range list {
		if s = Clip(s, 60); s != "" && len(out) < n {
			out = append(out, s)
		}
	}
	return out
}

// Redact replaces the API key with "<secret>" in text that is about to
// leave the plugin: error messages, log lines and results.
func Redact(s, key string) string {
	if key == "" {
		return s
	}
	return strings.ReplaceAll(s, key, "<secret>")
}

// OrDefault returns s, or def when s is empty.
func OrDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// MD clips provider text to 200 runes and escapes it for Markdown, so that
// a name such as "*foo*" stays literal.
func MD(s string) string {
	var b strings.Builder
	for _, r := range Clip(s, 200) {
		if strings.ContainsRune("\\`*_[]<>|#", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// MDJoin escapes every string of a list with MD and joins them with ", ".
func MDJoin(list []string) string {
	parts := make([]string, len(list))
	for i, s := range list {
		parts[i] = MD(s)
	}
	return strings.Join(parts, ", ")
}

// Tick clips text to 300 runes and makes it safe inside a Markdown code
// span by percent-encoding its backquotes.
func Tick(s string) string { return strings.ReplaceAll(Clip(s, 300), "`", "%60") }

// Count writes a number with its noun: "1 report", "3 reports",
// "2 addresses".
func Count(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", noun)
	}
	if strings.HasSuffix(noun, "s") {
		return fmt.Sprintf("%d %ses", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// HexOnly returns s trimmed and lower-cased when it is a hex digest of at
// most 128 digits, and "" otherwise.
func HexOnly(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if len(s) == 0 || len(s) > 128 {
		return ""
	}
	for i := 0; i < len(s); i++ {
		if !('0' <= s[i] && s[i] <= '9' || 'a' <= s[i] && s[i] <= 'f') {
			return ""
		}
	}
	return s
}
