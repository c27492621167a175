package ioc

import (
	"unicode"
	"unicode/utf8"
)

// Byte classes used by the scanners.
const (
	clDigit   uint8 = 1 << iota // 0-9
	clHex                       // 0-9 a-f A-F
	clAlpha                     // a-z A-Z
	clLabel                     // characters of a domain run: alnum, '-', '.', '_'
	clLocal                     // characters of an e-mail local part
	clV6                        // characters of an IPv6 run: hex, ':', '.'
	clScheme                    // characters of a URL scheme: alnum, '+', '-', '.'
	clURLStop                   // bytes that can never be part of a URL
)

var byteClass = func() (t [256]uint8) {
	for c := '0'; c <= '9'; c++ {
		t[c] |= clDigit | clHex | clLabel | clLocal | clV6 | clScheme
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] |= clAlpha | clLabel | clLocal | clScheme
		t[c-'a'+'A'] |= clAlpha | clLabel | clLocal | clScheme
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] |= clHex | clV6
		t[c-'a'+'A'] |= clHex | clV6
	}
	for _, c := range "-._" {
		t[c] |= clLabel
	}
	for _, c := range "._%+-" {
		t[c] |= clLocal
	}
	t[':'] |= clV6
	t['.'] |= clV6
	for _, c := range "+-." {
		t[c] |= clScheme
	}
	for c := 0; c <= ' '; c++ {
		t[c] |= clURLStop
	}
	for _, c := range "\x7f\"<>`" {
		t[c] |= clURLStop
	}
	return t
}()

func isDigit(c byte) bool { return byteClass[c]&clDigit != 0 }
func isHex(c byte) bool   { return byteClass[c]&clHex != 0 }
func isAlpha(c byte) bool { return byteClass[c]&clAlpha != 0 }
func isAlnum(c byte) bool { return byteClass[c]&(clAlpha|clDigit) != 0 }

// isWordByte reports whether c is an ASCII letter, digit or underscore.
func isWordByte(c byte) bool { return isAlnum(c) || c == '_' }

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// span is a half-open byte range [start, end) of the scanned text.
type span struct{ start, end int }

// spanCursor answers "does [a, b) overlap one of these spans?" for queries
// whose start positions never decrease, in amortised constant time.
type spanCursor struct {
	spans []span // sorted, non-overlapping
	i     int
}

func (c *spanCursor) overlaps(a, b int) bool {
	for c.i < len(c.spans) && c.spans[c.i].end <= a {
		c.i++
	}
	return c.i < len(c.spans) && c.spans[c.i].start < b
}

// letterBefore and letterAfter report whether the text right before index i
// (or at index i) is a letter of an alphabetic script that separates words
// with spaces (Latin, Cyrillic, Greek, ...). Such a letter means an ASCII
// candidate is really the tail or head of a longer non-ASCII word, e.g. the
// "cher.de" of "bücher.de". Letters of scripts written without spaces (Han,
// Kana, Hangul, Thai) do not count: domains are routinely glued to them.
func letterBefore(t string, i int) bool {
	if i <= 0 {
		return false
	}
	if t[i-1] < utf8.RuneSelf {
		return false
	}
	r, _ := utf8.DecodeLastRuneInString(t[:i])
	return spacedLetter(r)
}

func letterAfter(t string, i int) bool {
	if i >= len(t) || t[i] < utf8.RuneSelf {
		return false
	}
	r, _ := utf8.DecodeRuneInString(t[i:])
	return spacedLetter(r)
}

func spacedLetter(r rune) bool {
	if r == utf8.RuneError || !(unicode.IsLetter(r) || unicode.IsMark(r)) {
		return false
	}
	return !unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul, unicode.Thai)
}
