package intel

import (
	"fmt"
	"strings"
)

// tokenKind classifies a token of the STIX pattern language.
type tokenKind int

const (
	tEOF tokenKind = iota
	tError
	tLBracket
	tRBracket
	tLParen
	tRParen
	tComma
	tOp   // = != < <= > >=
	tWord // AND, OR, NOT, LIKE, ... (any bare identifier)
	tPath // object path: type:property.path
	tString
	tNumber
	tBool
	tTimestamp // t'...'
	tHex       // h'...'
	tBinary    // b'...'
)

var tokenNames = map[tokenKind]string{
	tEOF: "end of pattern", tError: "error", tLBracket: "[", tRBracket: "]", tLParen: "(", tRParen: ")",
	tComma: ",", tOp: "operator", tWord: "word", tPath: "object path", tString: "string", tNumber: "number",
	tBool: "boolean", tTimestamp: "timestamp", tHex: "hex constant", tBinary: "binary constant",
}

func (k tokenKind) String() string { return tokenNames[k] }

// literal reports whether the token is a constant.
func (k tokenKind) literal() bool {
	switch k {
	case tString, tNumber, tBool, tTimestamp, tHex, tBinary:
		return true
	}
	return false
}

type token struct {
	kind tokenKind
	text string // the word, path, operator or the decoded constant
	pos  int
}

func (t token) String() string {
	switch t.kind {
	case tEOF, tLBracket, tRBracket, tLParen, tRParen, tComma:
		return t.kind.String()
	case tString:
		return fmt.Sprintf("string %q", clip(t.text, 40))
	}
	return fmt.Sprintf("%s %q", t.kind, clip(t.text, 40))
}

// punctuation maps the one-byte tokens.
var punctuation = map[byte]tokenKind{'[': tLBracket, ']': tRBracket, '(': tLParen, ')': tRParen, ',': tComma}

// lexer splits a pattern into tokens.
type lexer struct {
	src string
	pos int
}

func isIdent(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

func (lx *lexer) next() token {
	for lx.pos < len(lx.src) && strings.IndexByte(" \t\r\n", lx.src[lx.pos]) >= 0 {
		lx.pos++
	}
	start := lx.pos
	if lx.pos >= len(lx.src) {
		return token{kind: tEOF, pos: start}
	}
	c := lx.src[lx.pos]
	if k, ok := punctuation[c]; ok {
		lx.pos++
		return token{kind: k, text: string(c), pos: start}
	}
	switch {
	case c == '=' || c == '!' || c == '<' || c == '>':
		lx.pos++
		if lx.pos < len(lx.src) && lx.src[lx.pos] == '=' {
			lx.pos++
		}
		op := lx.src[start:lx.pos]
		if op == "!" {
			return token{kind: tError, text: "expected != after !", pos: start}
		}
		if op == "==" {
			op = "="
		}
		return token{kind: tOp, text: op, pos: start}
	case c == '\'':
		s, ok := lx.quoted()
		if !ok {
			return token{kind: tError, text: "unterminated string", pos: start}
		}
		return token{kind: tString, text: s, pos: start}
	case c == '-' || c == '+' || c >= '0' && c <= '9':
		return lx.number(start)
	case isIdent(c):
		return lx.word(start)
	}
	lx.pos++
	return token{kind: tError, text: fmt.Sprintf("unexpected character %q", c), pos: start}
}

// quoted reads a single-quoted string at lx.pos, decoding \' and \\.
func (lx *lexer) quoted() (string, bool) {
	lx.pos++ // opening quote
	var b strings.Builder
	for lx.pos < len(lx.src) {
		c := lx.src[lx.pos]
		switch c {
		case '\\':
			if lx.pos+1 >= len(lx.src) {
				return "", false
			}
			b.WriteByte(lx.src[lx.pos+1])
			lx.pos += 2
			continue
		case '\'':
			lx.pos++
			return b.String(), true
		}
		b.WriteByte(c)
		lx.pos++
	}
	return "", false
}

// number reads an optionally signed integer or decimal.
func (lx *lexer) number(start int) token {
	if c := lx.src[lx.pos]; c == '-' || c == '+' {
		lx.pos++
	}
	digits := func() int {
		n := 0
		for lx.pos < len(lx.src) && lx.src[lx.pos] >= '0' && lx.src[lx.pos] <= '9' {
			lx.pos++
			n++
		}
		return n
	}
	if digits() == 0 {
		return token{kind: tError, text: "expected a number", pos: start}
	}
	if lx.pos < len(lx.src) && lx.src[lx.pos] == '.' {
		lx.pos++
		if digits() == 0 {
			return token{kind: tError, text: "expected digits after the decimal point", pos: start}
		}
	}
	return token{kind: tNumber, text: lx.src[start:lx.pos], pos: start}
}

// word reads an identifier: a keyword, a boolean, a typed constant prefix
// (t'...', h'...', b'...') or, when a colon follows, an object path.
func (lx *lexer) word(start int) token {
	for lx.pos < len(lx.src) && isIdent(lx.src[lx.pos]) {
		lx.pos++
	}
	w := lx.src[start:lx.pos]
	if lx.pos < len(lx.src) && lx.src[lx.pos] == '\'' && len(w) == 1 {
		kinds := map[string]tokenKind{"t": tTimestamp, "h": tHex, "b": tBinary}
		if k, ok := kinds[w]; ok {
			s, ok := lx.quoted()
			if !ok {
				return token{kind: tError, text: "unterminated constant", pos: start}
			}
			return token{kind: k, text: s, pos: start}
		}
	}
	if lx.pos < len(lx.src) && lx.src[lx.pos] == ':' {
		return lx.path(start)
	}
	switch w {
	case "true", "false":
		return token{kind: tBool, text: w, pos: start}
	}
	return token{kind: tWord, text: w, pos: start}
}

// path reads the property part of an object path after type ':':
// segments of identifiers or 'quoted names' joined by dots, each
// optionally indexed by [n] or [*]. Quoted segments keep their quotes.
func (lx *lexer) path(start int) token {
	lx.pos++ // ':'
	for seg := 0; ; seg++ {
		if lx.pos >= len(lx.src) {
			return token{kind: tError, text: "object path ends early", pos: start}
		}
		switch c := lx.src[lx.pos]; {
		case c == '\'':
			if _, ok := lx.quoted(); !ok {
				return token{kind: tError, text: "unterminated quoted property name", pos: start}
			}
		case isIdent(c):
			for lx.pos < len(lx.src) && isIdent(lx.src[lx.pos]) {
				lx.pos++
			}
		default:
			return token{kind: tError, text: "expected a property name in the object path", pos: lx.pos}
		}
		for lx.pos < len(lx.src) && lx.src[lx.pos] == '[' {
			end := strings.IndexByte(lx.src[lx.pos:], ']')
			if end < 0 {
				return token{kind: tError, text: "unterminated list index in the object path", pos: lx.pos}
			}
			idx := lx.src[lx.pos+1 : lx.pos+end]
			if idx != "*" {
				if _, ok := parseDigits(idx); !ok {
					return token{kind: tError, text: "expected a list index [n] or [*]", pos: lx.pos}
				}
			}
			lx.pos += end + 1
		}
		if lx.pos < len(lx.src) && lx.src[lx.pos] == '.' {
			lx.pos++
			continue
		}
		return token{kind: tPath, text: lx.src[start:lx.pos], pos: start}
	}
}
