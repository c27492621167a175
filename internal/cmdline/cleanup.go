package cmdline

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// maxCleanupRounds bounds the fixpoint loop of cleanup.
const maxCleanupRounds = 16

// cleanup undoes the textual obfuscation tricks of cmd, PowerShell and Unix
// shells, repeatedly until nothing changes, and names the tricks it undid in
// the order first applied.
func cleanup(text, osName string) (string, []string) {
	var techs []string
	note := func(t string) {
		for _, x := range techs {
			if x == t {
				return
			}
		}
		techs = append(techs, t)
	}
	passes := []struct {
		tech string
		f    func(string) string
	}{
		{TechCaret, func(s string) string { return removeCarets(s, osName == OSWindows) }},
		{TechBacktick, removeBackticks},
		{TechQuoteSplit, joinSplitQuotes},
		{TechCharCodes, replaceCharCodes},
		{TechConcat, joinConcatenations},
		{TechFormat, applyFormatOperator},
	}
	for round := 0; round < maxCleanupRounds; round++ {
		changed := false
		for _, p := range passes {
			if next := p.f(text); next != text {
				text, changed = next, true
				note(p.tech)
			}
		}
		if !changed {
			break
		}
	}
	return text, techs
}

// removeCarets removes cmd's escape character: on Windows every caret
// escapes the next character (so "^^" is a literal caret); elsewhere only a
// caret between two word characters is removed, leaving regular expressions
// such as `grep ^root` alone.
func removeCarets(s string, windows bool) string {
	if !strings.Contains(s, "^") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '^' {
			b.WriteByte(c)
			continue
		}
		if windows {
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
			continue
		}
		if i > 0 && i+1 < len(s) && isWordByte(s[i-1]) && isWordByte(s[i+1]) {
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// removeBackticks removes PowerShell's escape character in front of a letter
// or digit when it sits inside a word or right after "-", ".", a quote or a
// parenthesis (`I`E`X`, `N`ew-Object`), where it changes nothing.
func removeBackticks(s string) string {
	if !strings.Contains(s, "`") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '`' && i > 0 && i+1 < len(s) && isWordByte(s[i+1]) && (isWordByte(s[i-1]) || strings.IndexByte(`-.'"(`, s[i-1]) >= 0) {
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// joinSplitQuotes removes quotes that split a word (`c"e"r"t"u"t"i"l`,
// `p""owershell`, `c'u'rl`): an empty pair next to a word character, and a
// single quote with word characters on both sides.
func joinSplitQuotes(s string) string {
	if !strings.ContainsAny(s, `"'`) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '"' && c != '\'' {
			b.WriteByte(c)
			continue
		}
		prevWord := i > 0 && isWordByte(s[i-1])
		if i+1 < len(s) && s[i+1] == c {
			nextWord := i+2 < len(s) && isWordByte(s[i+2])
			if prevWord || nextWord {
				i++
				continue
			}
		}
		if prevWord && i+1 < len(s) && isWordByte(s[i+1]) {
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

var (
	charCode      = regexp.MustCompile(`(?i)\[char\]\s*(?:\(\s*(0x[0-9a-f]{1,6}|\d{1,7})\s*\)|(0x[0-9a-f]{1,6}|\d{1,7}))`)
	charCodeArray = regexp.MustCompile(`(?i)\[char\[\]\]\s*\(\s*((?:(?:0x[0-9a-f]{1,6}|\d{1,7})\s*,\s*)*(?:0x[0-9a-f]{1,6}|\d{1,7}))\s*\)`)
)

// replaceCharCodes turns PowerShell character codes into quoted literals:
// `[char]73` becomes 'I', `[char[]](73,69,88)` becomes 'IEX'. The literals are
// then joined by joinConcatenations.
func replaceCharCodes(s string) string {
	if !strings.Contains(strings.ToLower(s), "[char") {
		return s
	}
	s = charCodeArray.ReplaceAllStringFunc(s, func(m string) string {
		sub := charCodeArray.FindStringSubmatch(m)
		var b strings.Builder
		for _, n := range strings.Split(sub[1], ",") {
			r, ok := parseCharCode(strings.TrimSpace(n))
			if !ok {
				return m
			}
			b.WriteRune(r)
		}
		return quoteLiteral(b.String(), m)
	})
	return charCode.ReplaceAllStringFunc(s, func(m string) string {
		sub := charCode.FindStringSubmatch(m)
		r, ok := parseCharCode(sub[1] + sub[2])
		if !ok {
			return m
		}
		return quoteLiteral(string(r), m)
	})
}

// parseCharCode parses a decimal or 0x-hexadecimal code of a printable character.
func parseCharCode(n string) (rune, bool) {
	v, err := strconv.ParseInt(n, 0, 32)
	if err != nil || v <= 0 || v > unicode.MaxRune {
		return 0, false
	}
	r := rune(v)
	if !unicode.IsPrint(r) && r != '\t' && r != '\n' && r != '\r' {
		return 0, false
	}
	return r, true
}

// quoteLiteral quotes s with single quotes, or double quotes when s holds a
// single quote; it returns fallback when s holds both.
func quoteLiteral(s, fallback string) string {
	switch {
	case !strings.Contains(s, "'"):
		return "'" + s + "'"
	case !strings.ContainsAny(s, "\"$`"):
		return `"` + s + `"`
	}
	return fallback
}

var concatPair = regexp.MustCompile(`(?:'([^']*)'|"([^"$` + "`" + `]*)")\s*\+\s*(?:'([^']*)'|"([^"$` + "`" + `]*)")`)

// joinConcatenations joins adjacent string literals concatenated with "+":
// 'Down'+'load'+"String" becomes 'DownloadString'. Double-quoted strings
// that interpolate ($ or backtick) are left alone.
func joinConcatenations(s string) string {
	if !strings.Contains(s, "+") || !strings.ContainsAny(s, `'"`) {
		return s
	}
	for range 32 {
		next := concatPair.ReplaceAllStringFunc(s, func(m string) string {
			sub := concatPair.FindStringSubmatch(m)
			return quoteLiteral(sub[1]+sub[2]+sub[3]+sub[4], m)
		})
		if next == s {
			break
		}
		s = next
	}
	return s
}

var (
	formatCall = regexp.MustCompile(`\(\s*(?:'((?:\{\d{1,2}\}|[^'{}])+)'|"((?:\{\d{1,2}\}|[^"{}$` + "`" + `])+)")\s*-[fF]\s*((?:(?:'[^']*'|"[^"$` + "`" + `]*")\s*,\s*)*(?:'[^']*'|"[^"$` + "`" + `]*"))\s*\)`)
	formatArg  = regexp.MustCompile(`'([^']*)'|"([^"]*)"`)
	formatRef  = regexp.MustCompile(`\{(\d{1,2})\}`)
)

// applyFormatOperator evaluates PowerShell's -f operator when the format and
// every argument are literals: ("{1}{0}" -f 'ject','New-Ob') becomes
// 'New-Object'.
func applyFormatOperator(s string) string {
	if !strings.Contains(s, "{") || !strings.Contains(strings.ToLower(s), "-f") {
		return s
	}
	return formatCall.ReplaceAllStringFunc(s, func(m string) string {
		sub := formatCall.FindStringSubmatch(m)
		format := sub[1] + sub[2]
		var args []string
		for _, a := range formatArg.FindAllStringSubmatch(sub[3], -1) {
			args = append(args, a[1]+a[2])
		}
		bad := false
		out := formatRef.ReplaceAllStringFunc(format, func(ref string) string {
			n, _ := strconv.Atoi(ref[1 : len(ref)-1])
			if n >= len(args) {
				bad = true
				return ref
			}
			return args[n]
		})
		if bad {
			return m
		}
		return quoteLiteral(out, m)
	})
}

var (
	percentEscape = regexp.MustCompile(`%[0-9A-Fa-f]{2}`)
	hexEscape     = regexp.MustCompile(`\\x[0-9A-Fa-f]{2}`)
)

// urlDecode replaces every %XX escape by its byte. It reports false when
// there is none or the result is not text.
func urlDecode(s string) (string, bool) {
	return unescapeBytes(s, percentEscape, 1, 1)
}

// hexUnescape replaces \xHH escapes (printf, echo -e, $'...') when there are
// at least three.
func hexUnescape(s string) (string, bool) {
	return unescapeBytes(s, hexEscape, 2, 3)
}

func unescapeBytes(s string, re *regexp.Regexp, prefix, minCount int) (string, bool) {
	locs := re.FindAllStringIndex(s, -1)
	if len(locs) < minCount {
		return "", false
	}
	var b strings.Builder
	last := 0
	for _, l := range locs {
		b.WriteString(s[last:l[0]])
		v, _ := strconv.ParseUint(s[l[0]+prefix:l[1]], 16, 8)
		b.WriteByte(byte(v))
		last = l[1]
	}
	b.WriteString(s[last:])
	out := b.String()
	if out == s || !printableText(out) {
		return "", false
	}
	return out, true
}
