package ioc

import "strings"

// scanDomains finds dotted ASCII names outside URLs. Around each '.', it
// takes the maximal run of letters, digits, '-', '_' and '.', trims dots and
// hyphens from both ends and checks the pieces between ".." with IsDomain.
// Runs with '_', runs next to '@' (e-mail parts) and runs glued to a letter
// of a space-separated script ("bücher.de") are skipped.
func scanDomains(t string, skip []span, emit func(pos int, kind hitKind, val string)) {
	cur := spanCursor{spans: skip}
	for p := 0; p < len(t); {
		k := strings.IndexByte(t[p:], '.')
		if k < 0 {
			return
		}
		d := p + k
		a := d
		for a > p && byteClass[t[a-1]]&clLabel != 0 {
			a--
		}
		b := d + 1
		for b < len(t) && byteClass[t[b]]&clLabel != 0 {
			b++
		}
		p = b
		if (a > 0 && t[a-1] == '@') || (b < len(t) && t[b] == '@') {
			continue
		}
		if letterBefore(t, a) || letterAfter(t, b) || cur.overlaps(a, b) {
			continue
		}
		run := t[a:b]
		if strings.IndexByte(run, '_') >= 0 {
			continue
		}
		for len(run) > 0 && (run[0] == '.' || run[0] == '-') {
			run = run[1:]
			a++
		}
		for len(run) > 0 && (run[len(run)-1] == '.' || run[len(run)-1] == '-') {
			run = run[:len(run)-1]
		}
		for run != "" {
			piece := run
			next := ""
			if i := strings.Index(run, ".."); i >= 0 {
				piece = strings.TrimRight(run[:i], ".-")
				next = strings.TrimLeft(run[i:], ".-")
			}
			if plausibleTLD(piece) {
				if dom := lowerASCII(piece); validHost(dom) && !isFileName(dom) {
					emit(a, kindDomain, dom)
				}
			}
			a += len(run) - len(next)
			run = next
		}
	}
}

// plausibleTLD is a cheap pre-check before the suffix-list look-up: the last
// label must be two or more letters, or a punycode label.
func plausibleTLD(s string) bool {
	dot := strings.LastIndexByte(s, '.')
	if dot < 0 {
		return false
	}
	tld := s[dot+1:]
	if len(tld) < 2 {
		return false
	}
	if len(tld) > 4 && hasFoldPrefix(tld, "xn--") {
		return true
	}
	for i := 0; i < len(tld); i++ {
		if !isAlpha(tld[i]) {
			return false
		}
	}
	return true
}
