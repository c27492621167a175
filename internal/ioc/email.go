package ioc

import "strings"

// validLocal checks the local part of an e-mail address: 1–64 bytes of
// letters, digits and ._%+-, not starting or ending with a dot and without
// consecutive dots.
func validLocal(l string) bool {
	if len(l) == 0 || len(l) > 64 || l[0] == '.' || l[len(l)-1] == '.' || strings.Contains(l, "..") {
		return false
	}
	for i := 0; i < len(l); i++ {
		if byteClass[l[i]]&clLocal == 0 {
			return false
		}
	}
	return true
}

// parseEmail validates "local@domain" and returns it lower-cased. The domain
// follows the IsDomain rules except the file-name rule.
func parseEmail(s string) (string, bool) {
	at := strings.IndexByte(s, '@')
	if at < 0 || !validLocal(s[:at]) {
		return "", false
	}
	d := strings.ToLower(s[at+1:])
	if !isASCII(d) || !validHost(d) {
		return "", false
	}
	return strings.ToLower(s[:at]) + "@" + d, true
}

// scanEmails finds e-mail addresses around each '@'. An '@' inside the
// authority of a URL (user info, as in http://user@host/) is skipped.
func scanEmails(t string, urls []foundURL, emit func(pos int, kind hitKind, val string)) {
	skip := make([]span, len(urls))
	for i, u := range urls {
		skip[i] = span{u.start, u.authEnd}
	}
	cur := spanCursor{spans: skip}
	for p := 0; p < len(t); {
		k := strings.IndexByte(t[p:], '@')
		if k < 0 {
			return
		}
		at := p + k
		a := at
		for a > p && byteClass[t[a-1]]&clLocal != 0 {
			a--
		}
		for a < at && t[a] == '.' {
			a++
		}
		b := at + 1
		for b < len(t) && byteClass[t[b]]&clLabel != 0 && t[b] != '_' {
			b++
		}
		p = b
		for b > at+1 && (t[b-1] == '.' || t[b-1] == '-') {
			b--
		}
		if a == at || b == at+1 || cur.overlaps(at, at+1) {
			continue
		}
		if e, ok := parseEmail(t[a:b]); ok {
			emit(a, kindEmail, e)
		}
	}
}
