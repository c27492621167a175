package ioc

import "strings"

// cveAt reports the length of a CVE identifier (CVE-YYYY-NNNN with 4 to 7
// digits in the sequence number, any case) at the start of s, or 0. The
// identifier must not continue with another digit.
func cveAt(s string) int {
	if len(s) < 13 || !hasFoldPrefix(s, "cve-") {
		return 0
	}
	for i := 4; i < 8; i++ {
		if !isDigit(s[i]) {
			return 0
		}
	}
	if s[8] != '-' {
		return 0
	}
	j := 9
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	if j-9 < 4 || j-9 > 7 {
		return 0
	}
	return j
}

// isCVE reports whether s is exactly one CVE identifier.
func isCVE(s string) bool { return cveAt(s) == len(s) && len(s) > 0 }

// scanCVEs finds CVE identifiers that stand at a word start, normalised to
// upper case. It only inspects the text around each '-'.
func scanCVEs(t string, emit func(pos int, kind hitKind, val string)) {
	for p := 0; p < len(t); {
		k := strings.IndexByte(t[p:], '-')
		if k < 0 {
			return
		}
		d := p + k
		p = d + 1
		a := d - 3
		if a < 0 || (a > 0 && isWordByte(t[a-1])) {
			continue
		}
		if l := cveAt(t[a:]); l > 0 {
			emit(a, kindCVE, strings.ToUpper(t[a:a+l]))
			p = a + l
		}
	}
}
