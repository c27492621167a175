package ioc

import "strings"

// refangTrigger marks the bytes at which Refang looks for a defanging
// pattern: the opening brackets, the backslash of "\." and the 'x' of
// "hxxp"/"fxp" (the pattern starts one byte earlier; see refangAt).
var refangTrigger = [256]bool{'[': true, '(': true, '{': true, '\\': true, 'x': true, 'X': true}

// Refang undoes the common ways of "defanging" indicators so that they can be
// matched as real URLs, domains, IPs and e-mail addresses:
//
//   - hxxp, hxxps (any case, e.g. hXXp) become http, https; fxp becomes ftp.
//     The scheme must stand at a word start and be followed by ':' or '['.
//   - [.] (.) {.} [dot] (dot) {dot} become "."; the word forms are case
//     insensitive, and one space inside the brackets is allowed ("[ dot ]").
//   - [:] becomes ":", [://] becomes "://", [/] becomes "/".
//   - [@] (@) {@} [at] (at) {at} become "@".
//   - A backslash-escaped dot between letters or digits ("evil\.com") becomes
//     ".", except in Windows paths (C:\Users\.ssh stays).
//
// When a bracketed dot or at (a word form, or any square/curly form) stands
// between single spaces, the spaces go too: "user [at] example [dot] com"
// becomes "user@example.com". Bare "(.)" and "(@)" keep their spaces, as
// they also occur in ordinary prose.
//
// Text without defanging is returned unchanged and without allocating.
// Refang is not always idempotent: nested forms such as "[[.]]" need two
// passes.
func Refang(s string) string {
	var out strings.Builder // grown at the first rewrite
	last := 0               // s[last:] has not been copied to out yet
	for i := 0; i < len(s); i++ {
		if !refangTrigger[s[i]] {
			continue
		}
		repl, start, end, ok := refangAt(s, i, last)
		if !ok {
			continue
		}
		if out.Cap() == 0 {
			out.Grow(len(s))
		}
		out.WriteString(s[last:start])
		out.WriteString(repl)
		last = end
		i = end - 1
	}
	if out.Cap() == 0 {
		return s
	}
	out.WriteString(s[last:])
	return out.String()
}

// refangAt tries every pattern that can be triggered by s[i]. It returns the
// replacement for s[start:end]; start is never below floor, the first byte
// that has not been emitted yet.
func refangAt(s string, i, floor int) (repl string, start, end int, ok bool) {
	switch s[i] {
	case '[', '(', '{':
		return refangBracket(s, i, floor)
	case '\\':
		if i > 0 && i+2 < len(s) && s[i+1] == '.' && isAlnum(s[i-1]) && isAlnum(s[i+2]) && !inWindowsPath(s, i) {
			return ".", i, i + 2, true
		}
	case 'x', 'X':
		return refangScheme(s, i, floor)
	}
	return "", 0, 0, false
}

// inWindowsPath reports whether the word ending at s[i-1] follows a
// backslash, as "Users" in C:\Users\.ssh, where "\." is a path separator
// and a dot file rather than an escaped dot.
func inWindowsPath(s string, i int) bool {
	for j := i - 1; j >= 0 && j >= i-64; j-- {
		switch c := s[j]; {
		case c == '\\':
			return true
		case isWordByte(c) || c == '-':
		default:
			return false
		}
	}
	return false
}

// refangScheme handles hxxp, hxxps, fxp and fxps; s[i] is the first 'x'.
func refangScheme(s string, i, floor int) (repl string, start, end int, ok bool) {
	h := i - 1
	if h < floor || (h > 0 && isAlnum(s[h-1])) {
		return "", 0, 0, false
	}
	var k int
	switch {
	case (s[h] == 'h' || s[h] == 'H') && i+2 < len(s) && lowerByte(s[i+1]) == 'x' && lowerByte(s[i+2]) == 'p':
		repl, k = "http", i+3
	case (s[h] == 'f' || s[h] == 'F') && i+1 < len(s) && lowerByte(s[i+1]) == 'p':
		repl, k = "ftp", i+2
	default:
		return "", 0, 0, false
	}
	if k < len(s) && lowerByte(s[k]) == 's' {
		repl += "s"
		k++
	}
	if k >= len(s) || (s[k] != ':' && s[k] != '[') {
		return "", 0, 0, false
	}
	return repl, h, k, true
}

// refangBracket handles the bracketed forms; s[i] is the opening bracket.
func refangBracket(s string, i, floor int) (repl string, start, end int, ok bool) {
	open := s[i]
	var closer byte
	switch open {
	case '[':
		closer = ']'
	case '(':
		closer = ')'
	default:
		closer = '}'
	}
	j := i + 1
	if j < len(s) && s[j] == ' ' {
		j++
	}
	rest := s[j:]
	var word, squareOnly bool
	var n int
	switch {
	case len(rest) >= 3 && rest[:3] == "://":
		repl, n, squareOnly = "://", 3, true
	case hasFoldPrefix(rest, "dot"):
		repl, n, word = ".", 3, true
	case hasFoldPrefix(rest, "at"):
		repl, n, word = "@", 2, true
	case len(rest) > 0 && rest[0] == '.':
		repl, n = ".", 1
	case len(rest) > 0 && rest[0] == '@':
		repl, n = "@", 1
	case len(rest) > 0 && rest[0] == ':':
		repl, n, squareOnly = ":", 1, true
	case len(rest) > 0 && rest[0] == '/':
		repl, n, squareOnly = "/", 1, true
	default:
		return "", 0, 0, false
	}
	if squareOnly && open != '[' {
		return "", 0, 0, false
	}
	j += n
	if j < len(s) && s[j] == ' ' {
		j++
	}
	if j >= len(s) || s[j] != closer {
		return "", 0, 0, false
	}
	start, end = i, j+1
	// Swallow single spaces around a bracketed dot or at: "a [dot] b".
	if (repl == "." || repl == "@") && (word || open != '(') &&
		i-1 >= floor && i >= 2 && s[i-1] == ' ' && !isSpace(s[i-2]) &&
		end+1 < len(s) && s[end] == ' ' && !isSpace(s[end+1]) {
		start, end = i-1, end+1
	}
	return repl, start, end, true
}

func lowerByte(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// hasFoldPrefix reports whether s starts with the lower-case ASCII word w,
// ignoring ASCII case.
func hasFoldPrefix(s, w string) bool {
	if len(s) < len(w) {
		return false
	}
	for k := 0; k < len(w); k++ {
		if lowerByte(s[k]) != w[k] {
			return false
		}
	}
	return true
}
