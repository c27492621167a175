package ioc

import (
	"net/netip"
	"strings"
)

// scanIPv4 finds dotted-quad IPv4 addresses. A candidate is a maximal run of
// digits and dots, so it is never preceded by a digit or dot nor followed by
// ".digit" or a digit; version strings such as 10.0.19041.1 or
// 6.1.7601.24000 therefore yield nothing. Candidates glued to a letter or
// underscore ("v1.2.3.4", "1.2.3.4abc") or continuing as a host name
// ("1.2.3.4.in-addr.arpa") are rejected too, and the rest must pass
// netip.ParseAddr (no octet above 255, no leading zeros). A port suffix
// (1.2.3.4:443) is fine. Runs inside an accepted IPv6 address (its embedded
// IPv4 tail) are skipped.
func scanIPv4(t string, v6 []span, emit func(pos int, a netip.Addr)) {
	cur := spanCursor{spans: v6}
	n := len(t)
	// A candidate is at least 7 bytes long ("1.2.3.4"), so it covers one of
	// the sampled positions q+6; only around those does the scan look
	// closer.
	for q := 0; q+6 < n; {
		j := q + 6
		if !isDigitOrDot(t[j]) {
			q = j + 1
			continue
		}
		a, b := j, j+1
		for a > q && isDigitOrDot(t[a-1]) {
			a--
		}
		for b < n && isDigitOrDot(t[b]) {
			b++
		}
		q = b
		if b-a < 7 || t[a] == '.' {
			continue
		}
		dots := strings.Count(t[a:b], ".")
		if dots < 3 {
			continue
		}
		e := b
		for t[e-1] == '.' {
			e--
			dots--
		}
		if dots != 3 || e-a < 7 || e-a > 15 {
			continue
		}
		if a > 0 && (isAlpha(t[a-1]) || t[a-1] == '_' || letterBefore(t, a)) {
			continue
		}
		if b < n {
			next := t[b]
			if e < b { // trailing dots: reject "1.2.3.4.example"
				if isWordByte(next) {
					continue
				}
			} else if isAlpha(next) || next == '_' || letterAfter(t, b) {
				continue
			}
		}
		if cur.overlaps(a, e) {
			continue
		}
		addr, err := netip.ParseAddr(t[a:e])
		if err != nil {
			continue
		}
		emit(a, addr)
	}
}

func isDigitOrDot(c byte) bool { return isDigit(c) || c == '.' }

// scanIPv6 finds IPv6 addresses: runs of hex digits, colons and dots (for an
// embedded IPv4 tail) around each ':' that hold at least two colons and a
// hex digit and pass netip.ParseAddr. It returns the spans of the accepted
// addresses. Times (12:30:45), MAC addresses (00:1a:2b:3c:4d:5e) and "::"
// alone never parse or are refused; so are eight two-digit groups without
// "::" (byte dumps and certificate serials), a "::" glued to a word (the
// scope operator of C++, Perl, Ruby and PowerShell) and runs followed by a
// letter.
func scanIPv6(t string, emit func(pos int, a netip.Addr)) []span {
	var spans []span
	n := len(t)
	for p := 0; p < n; {
		k := strings.IndexByte(t[p:], ':')
		if k < 0 {
			break
		}
		c := p + k
		a := c
		for a > p && byteClass[t[a-1]]&clV6 != 0 {
			a--
		}
		b := c + 1
		for b < n && byteClass[t[b]]&clV6 != 0 {
			b++
		}
		p = b
		if b < n && (isAlpha(t[b]) || t[b] == '_' || letterAfter(t, b)) {
			continue
		}
		if a > 0 && (isWordByte(t[a-1]) || letterBefore(t, a)) {
			// The hex digits before the first colon belong to the word.
			a += strings.IndexByte(t[a:b], ':')
			if a+1 < b && t[a+1] == ':' {
				continue
			}
		}
		if t[a] == ':' && (a+1 >= b || t[a+1] != ':') {
			a++ // a label colon, as in "addr:2001:db8::1"
		}
		e := b
		for e > a && t[e-1] == '.' {
			e--
		}
		if e-a >= 2 && t[e-1] == ':' && t[e-2] != ':' {
			e-- // a trailing single colon belongs to the prose
		}
		if e-a < 3 || e-a > 45 {
			continue
		}
		cand := t[a:e]
		if strings.Count(cand, ":") < 2 || !strings.ContainsAny(cand, "0123456789abcdefABCDEF") || byteDump(cand) {
			continue
		}
		addr, err := netip.ParseAddr(cand)
		if err != nil {
			continue
		}
		spans = append(spans, span{a, e})
		emit(a, addr.Unmap())
	}
	return spans
}

// byteDump reports whether s is eight colon-separated groups of exactly two
// hex digits, the usual rendering of eight bytes rather than an address.
func byteDump(s string) bool {
	if len(s) != 23 {
		return false
	}
	for i := 2; i < len(s); i += 3 {
		if s[i] != ':' {
			return false
		}
	}
	return true
}
