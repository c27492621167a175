package cmdline

import (
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// maxClassLiterals is the largest character class expanded into literals.
const maxClassLiterals = 8

// regexLiterals returns lower-cased strings of which at least one occurs in
// every text the regular expression matches (ignoring case), so the
// expression need not run when none occurs. ok is false when no such set is
// known (the expression can match text without any fixed part).
func regexLiterals(pattern string) (lits []string, ok bool) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil, false
	}
	lits, ok = literalsOf(re.Simplify(), 0)
	if !ok || len(lits) == 0 {
		return nil, false
	}
	for _, l := range lits {
		if l == "" {
			return nil, false
		}
	}
	return lits, true
}

// literalsOf computes the required-literal set of a parsed expression.
func literalsOf(re *syntax.Regexp, depth int) ([]string, bool) {
	if depth > 32 {
		return nil, false
	}
	switch re.Op {
	case syntax.OpLiteral:
		return []string{strings.ToLower(string(re.Rune))}, true
	case syntax.OpCharClass:
		var out []string
		for i := 0; i+1 < len(re.Rune); i += 2 {
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				if len(out) == maxClassLiterals {
					return nil, false
				}
				out = appendUnique(out, strings.ToLower(string(r)))
			}
		}
		return out, len(out) > 0
	case syntax.OpCapture:
		return literalsOf(re.Sub[0], depth+1)
	case syntax.OpPlus:
		return literalsOf(re.Sub[0], depth+1)
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return literalsOf(re.Sub[0], depth+1)
		}
		return nil, false
	case syntax.OpAlternate:
		var out []string
		for _, sub := range re.Sub {
			l, ok := literalsOf(sub, depth+1)
			if !ok {
				return nil, false
			}
			for _, s := range l {
				out = appendUnique(out, s)
			}
		}
		return out, len(out) > 0
	case syntax.OpConcat:
		var best []string
		found := false
		for _, sub := range re.Sub {
			l, ok := literalsOf(sub, depth+1)
			if ok && (!found || literalScore(l) > literalScore(best)) {
				best, found = l, true
			}
		}
		return best, found
	}
	return nil, false
}

// literalScore prefers sets whose shortest literal is longest, then smaller sets.
func literalScore(l []string) int {
	shortest := -1
	for _, s := range l {
		if n := utf8.RuneCountInString(s); shortest < 0 || n < shortest {
			shortest = n
		}
	}
	return shortest*64 - len(l)
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}
