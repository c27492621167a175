package ioc

import (
	"net/url"
	"regexp"
	"strings"

	"mvdan.cc/xurls/v2"
)

// urlRe matches the part of a URL from "://" on, with the path grammar of
// xurls.Strict: xurls.StrictMatchingScheme with "://" as the scheme,
// anchored at the start and compiled once at package initialisation.
// scanURLs checks the scheme itself against the same lists xurls uses, so
// the regexp engine never has to try the long alternation of scheme names
// at every byte.
var urlRe = func() *regexp.Regexp {
	re, err := xurls.StrictMatchingScheme(`://`)
	if err != nil {
		panic(err)
	}
	anchored := regexp.MustCompile(`^(?:` + re.String() + `)`)
	anchored.Longest()
	return anchored
}()

// urlSchemes holds the lower-case schemes that xurls.Strict accepts before
// "://": the IANA list and the unofficial one.
var urlSchemes = func() map[string]bool {
	m := make(map[string]bool, len(xurls.Schemes)+len(xurls.SchemesUnofficial))
	for _, l := range [][]string{xurls.Schemes, xurls.SchemesUnofficial} {
		for _, s := range l {
			m[strings.ToLower(s)] = true
		}
	}
	return m
}()

// maxSchemeLen bounds how far before "://" scanURLs looks for a scheme.
const maxSchemeLen = 40

// NormalizeURL returns the key under which Extract de-duplicates URLs:
// scheme and host lower-cased, the default port dropped (:80 for http, :443
// for https), the fragment dropped and an empty path written as "/". Path
// and query keep their case and escaping. Input that net/url cannot parse is
// returned with surrounding white space trimmed.
func NormalizeURL(u string) string {
	u = strings.TrimSpace(u)
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	scheme := strings.ToLower(p.Scheme)
	var b strings.Builder
	b.Grow(len(u))
	if scheme != "" {
		b.WriteString(scheme)
		b.WriteByte(':')
	}
	if p.Opaque != "" {
		b.WriteString(p.Opaque)
		writeQuery(&b, p)
		return b.String()
	}
	host, port := splitHostPort(p)
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	hasAuthority := p.Host != "" || p.User != nil || strings.HasPrefix(u[len(p.Scheme)+min(1, len(p.Scheme)):], "//")
	if hasAuthority {
		b.WriteString("//")
		if p.User != nil {
			b.WriteString(p.User.String())
			b.WriteByte('@')
		}
		hp := strings.ToLower(host)
		if port != "" {
			hp += ":" + port
		}
		// Let net/url escape the host again ("%" in a zone or reg-name).
		b.WriteString(strings.TrimPrefix((&url.URL{Host: hp}).String(), "//"))
	}
	path := p.EscapedPath()
	if path == "" && hasAuthority {
		path = "/"
	}
	b.WriteString(path)
	writeQuery(&b, p)
	return b.String()
}

// splitHostPort returns the host part of p.Host (with the brackets of an
// IPv6 literal) and the port.
func splitHostPort(p *url.URL) (host, port string) {
	host, port = p.Host, p.Port()
	if port != "" {
		host = host[:len(host)-len(port)-1]
	} else if strings.HasSuffix(host, ":") && !strings.HasSuffix(host, "]") {
		host = host[:len(host)-1]
	}
	return host, port
}

func writeQuery(b *strings.Builder, p *url.URL) {
	if p.RawQuery != "" || p.ForceQuery {
		b.WriteByte('?')
		b.WriteString(p.RawQuery)
	}
}

// trimURL removes trailing punctuation that belongs to the surrounding
// prose rather than to the URL: .,;:!?'" and closing brackets that have no
// opening partner inside the URL.
func trimURL(u string) string {
	var open, shut [4]int // () [] {} <>
	idx := func(c byte) (int, bool) {
		switch c {
		case '(':
			return 0, true
		case '[':
			return 1, true
		case '{':
			return 2, true
		case '<':
			return 3, true
		}
		return 0, false
	}
	closeIdx := func(c byte) (int, bool) {
		switch c {
		case ')':
			return 0, true
		case ']':
			return 1, true
		case '}':
			return 2, true
		case '>':
			return 3, true
		}
		return 0, false
	}
	for i := 0; i < len(u); i++ {
		if k, ok := idx(u[i]); ok {
			open[k]++
		} else if k, ok := closeIdx(u[i]); ok {
			shut[k]++
		}
	}
	for len(u) > 0 {
		c := u[len(u)-1]
		if strings.IndexByte(".,;:!?'\"", c) >= 0 {
			u = u[:len(u)-1]
			continue
		}
		if k, ok := closeIdx(c); ok && shut[k] > open[k] {
			shut[k]--
			u = u[:len(u)-1]
			continue
		}
		break
	}
	return u
}

// foundURL is a URL found by scanURLs.
type foundURL struct {
	start, end int    // the URL is text[start:end]
	host       string // lower-case host without brackets, port or trailing dot
	authEnd    int    // end of the authority (user info, host, port)
}

// scanURLs finds URLs that have an authority ("scheme://"). The regular
// expression only runs from "://" to the scheme of the next "://" (or to the
// next byte that can never belong to a URL), so every byte is looked at a
// bounded number of times. Only a URL that runs into the next scheme, as in
// https://web.archive.org/web/2024/http://evil.com/, gets a second, longer
// look, at most maxURLTail bytes further and within an overall budget
// proportional to the text, so crafted input cannot make the scan
// quadratic.
func scanURLs(t string) []foundURL {
	var found []foundURL
	// checkURL parses with net/url; repeated URLs reuse the first result.
	type parsed struct {
		host    string
		authLen int
		ok      bool
	}
	cache := make(map[string]parsed)
	budget := 4*len(t) + 1<<16
	tokEnd := -1 // first URL-stop byte at or after the last token start
	for p := 0; p < len(t); {
		k := strings.Index(t[p:], "://")
		if k < 0 {
			break
		}
		k += p
		s := schemeStart(t, p, k)
		if s < 0 {
			p = k + 3
			continue
		}
		if k+3 > tokEnd {
			tokEnd = k + 3
			for tokEnd < len(t) && byteClass[t[tokEnd]]&clURLStop == 0 {
				tokEnd++
			}
		}
		e := tokEnd
		// A URL in single quotes ends at the closing quote, although "'" may
		// occur inside URLs: in 'http://a/x','C:\out.exe' only the first
		// part is the URL.
		if s > 0 && t[s-1] == '\'' {
			if q := strings.IndexByte(t[k:e], '\''); q >= 0 {
				e = k + q
			}
		}
		short := e
		if n := strings.Index(t[k+3:e], "://"); n >= 0 {
			short = k + 3 + n
			for short > k+3 && byteClass[t[short-1]]&clScheme != 0 {
				short--
			}
		}
		loc := urlRe.FindStringIndex(t[k:short])
		if loc != nil && k+loc[1] == short && short < e && budget > 0 {
			ext := min(e, short+maxURLTail, short+budget)
			budget -= ext - k
			loc = urlRe.FindStringIndex(t[k:ext])
		}
		if loc == nil {
			p = k + 3
			continue
		}
		a, b := s, k+loc[1]
		p = b
		c, hit := cache[t[a:b]]
		if !hit {
			f, ok := checkURL(t, a, b)
			c = parsed{f.host, f.authEnd - a, ok}
			cache[t[a:b]] = c
			if ok {
				found = append(found, f)
			}
			continue
		}
		if c.ok {
			u := trimURL(t[a:b])
			found = append(found, foundURL{start: a, end: a + len(u), host: c.host, authEnd: a + c.authLen})
		}
	}
	return found
}

// maxURLTail bounds how far a URL may reach past an embedded "scheme://".
const maxURLTail = 8 << 10

// schemeStart returns the start of the longest known scheme that ends at
// t[k] (where "://" begins) and starts at or after p, or -1.
func schemeStart(t string, p, k int) int {
	s := k
	for s > p && s > k-maxSchemeLen && byteClass[t[s-1]]&clScheme != 0 {
		s--
	}
	var buf [maxSchemeLen]byte
	for ; s < k; s++ {
		if !isAlpha(t[s]) {
			continue
		}
		name := buf[:k-s]
		for i := range name {
			name[i] = lowerByte(t[s+i])
		}
		if urlSchemes[string(name)] {
			return s
		}
	}
	return -1
}

// checkURL trims the match t[a:b] and keeps it when it has the form
// scheme://host with a non-empty host.
func checkURL(t string, a, b int) (foundURL, bool) {
	u := trimURL(t[a:b])
	colon := strings.IndexByte(u, ':')
	if colon <= 0 || !strings.HasPrefix(u[colon:], "://") {
		return foundURL{}, false
	}
	p, err := url.Parse(u)
	if err != nil || !plausibleURLHost(p.Hostname()) {
		return foundURL{}, false
	}
	host := strings.TrimSuffix(strings.ToLower(p.Hostname()), ".")
	if host == "" {
		return foundURL{}, false
	}
	auth := colon + 3
	if i := strings.IndexAny(u[auth:], "/?#"); i >= 0 {
		auth += i
	} else {
		auth = len(u)
	}
	return foundURL{start: a, end: a + len(u), host: host, authEnd: a + auth}, true
}
