package cmdline

import (
	"fmt"
	"regexp"
	"strings"
)

// globToken is one piece of a Sigma value: a literal run, "*" or "?".
type globToken struct {
	lit  string
	star bool
	one  bool
}

// parseSigmaValue splits a value into literals and wildcards following the
// Sigma specification: "*" matches any run, "?" one character, and a
// backslash escapes "*", "?" and itself; a backslash before anything else is
// a literal backslash (so Windows paths need no escaping).
func parseSigmaValue(s string) []globToken {
	var out []globToken
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			out = append(out, globToken{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 < len(s) && (s[i+1] == '*' || s[i+1] == '?' || s[i+1] == '\\') {
				i++
				lit.WriteByte(s[i])
			} else {
				lit.WriteByte(c)
			}
		case '*':
			flush()
			if len(out) == 0 || !out[len(out)-1].star {
				out = append(out, globToken{star: true})
			}
		case '?':
			flush()
			out = append(out, globToken{one: true})
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return out
}

// placeholder matches %name% placeholders for the expand modifier.
var placeholder = regexp.MustCompile(`%[A-Za-z_][A-Za-z0-9_]*%`)

// wildcardLeaf compiles a string value with its operation. Leading and
// trailing "*" fold into the operation (`*x*` with equality is contains);
// wildcards left inside the value make a glob, compiled once to a regular
// expression. With expand, %placeholders% match any run (the analyser has
// no placeholder values); without it they are literal text, as command
// lines often hold them verbatim (`copy x %TEMP%\y`).
func wildcardLeaf(field string, op leafKind, value string, cased, expand bool, raw string) (*leaf, error) {
	if expand {
		value = placeholder.ReplaceAllString(value, "*")
	}
	toks := parseSigmaValue(value)
	lead := op == opContains || op == opSuffix
	trail := op == opContains || op == opPrefix
	for len(toks) > 0 && toks[0].star {
		lead, toks = true, toks[1:]
	}
	for len(toks) > 0 && toks[len(toks)-1].star {
		trail, toks = true, toks[:len(toks)-1]
	}
	if len(toks) == 0 {
		if lead || trail {
			// "*" alone: any value of a present field
			return &leaf{field: field, kind: opContains, raw: raw, cased: cased}, nil
		}
		return literalLeaf(field, opEquals, "", cased, raw), nil
	}
	if len(toks) == 1 && toks[0].lit != "" {
		kind := opEquals
		switch {
		case lead && trail:
			kind = opContains
		case lead:
			kind = opSuffix
		case trail:
			kind = opPrefix
		}
		return literalLeaf(field, kind, toks[0].lit, cased, raw), nil
	}
	var b strings.Builder
	b.WriteString("(?s)")
	if !lead {
		b.WriteByte('^')
	}
	for _, t := range toks {
		switch {
		case t.star:
			b.WriteString(".*")
		case t.one:
			b.WriteByte('.')
		case cased:
			b.WriteString(regexp.QuoteMeta(t.lit))
		default:
			b.WriteString(regexp.QuoteMeta(strings.ToLower(t.lit)))
		}
	}
	if !trail {
		b.WriteByte('$')
	}
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, fmt.Errorf("value %q: %v", raw, err)
	}
	return &leaf{field: field, kind: opGlob, re: re, raw: raw, cased: cased}, nil
}

// globMatch reports whether name matches pattern, where "*" matches any run
// of characters; it is how condition patterns such as selection_* select
// search identifiers.
func globMatch(pattern, name string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == name
	}
	if !strings.HasPrefix(name, parts[0]) {
		return false
	}
	name = name[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(name, p)
		if i < 0 {
			return false
		}
		name = name[i+len(p):]
	}
	return strings.HasSuffix(name, last) && len(name) >= len(last)
}
