package ioc

import "net/netip"

// Set holds the indicators that Extract found. Every slice is non-nil (an
// empty list marshals as []), free of duplicates and in first-seen order.
type Set struct {
	IPv4       []string `json:"ipv4"`        // public IPv4 only
	IPv6       []string `json:"ipv6"`        // public IPv6 only (compressed canonical form)
	PrivateIPs []string `json:"private_ips"` // v4 and v6 addresses in any special-purpose/non-global range
	Domains    []string `json:"domains"`     // lower-case, trailing dot removed, PSL-validated; includes the hosts of extracted URLs
	URLs       []string `json:"urls"`        // full URL text as found (after refang); dedup on NormalizeURL
	Emails     []string `json:"emails"`      // lower-cased
	MD5        []string `json:"md5"`         // lower-case hex
	SHA1       []string `json:"sha1"`
	SHA256     []string `json:"sha256"`
	CVEs       []string `json:"cves"` // upper-case CVE-YYYY-NNNN...
}

// Len returns the total number of indicators in all lists.
func (s Set) Len() int {
	return len(s.IPv4) + len(s.IPv6) + len(s.PrivateIPs) + len(s.Domains) + len(s.URLs) +
		len(s.Emails) + len(s.MD5) + len(s.SHA1) + len(s.SHA256) + len(s.CVEs)
}

// hitKind tells which list of a Set a hit goes to.
type hitKind uint8

const (
	kindIP hitKind = iota // sorted into IPv4, IPv6 or PrivateIPs by ClassifyIP
	kindDomain
	kindURL
	kindEmail
	kindMD5
	kindSHA1
	kindSHA256
	kindCVE
	numKinds
)

// hit is one indicator occurrence at byte offset pos of the refanged text.
type hit struct {
	pos  int
	kind hitKind
	val  string     // normalised value; the URL text for kindURL
	addr netip.Addr // for kindIP
}

// Extract refangs text (see Refang) and returns every indicator in it:
//
//   - URLs with a scheme and "://", found with mvdan.cc/xurls/v2 and trimmed
//     of trailing prose punctuation; their hosts go to Domains or to the IP
//     lists. Domains are not looked for inside URLs otherwise.
//   - IPv4 and IPv6 addresses, sorted by ClassifyIP into IPv4/IPv6 (public)
//     and PrivateIPs; IPv4-mapped IPv6 addresses are reported as IPv4.
//   - Domains: ASCII dotted names that pass IsDomain, not part of an e-mail
//     address (see IsDomain for the file-name rule).
//   - E-mail addresses, lower-cased.
//   - MD5, SHA-1 and SHA-256 hashes: stand-alone runs of exactly 32, 40 or
//     64 hex digits (a dash-less GUID is reported as MD5).
//   - CVE identifiers, upper-cased.
//
// Timestamps, version strings and GUIDs are not indicators.
func Extract(text string) Set {
	t := Refang(text)
	// Each scanner reports in text order into its own stream; the streams
	// are merged by position afterwards, which gives first-seen order in
	// lists fed by several scanners (Domains, the IP lists).
	var streams [7][]hit
	emitter := func(i int) func(pos int, kind hitKind, val string) {
		return func(pos int, kind hitKind, val string) {
			streams[i] = append(streams[i], hit{pos: pos, kind: kind, val: val})
		}
	}
	ipEmitter := func(i int) func(pos int, a netip.Addr) {
		return func(pos int, a netip.Addr) {
			streams[i] = append(streams[i], hit{pos: pos, kind: kindIP, addr: a})
		}
	}

	urls := scanURLs(t)
	urlSpans := make([]span, len(urls))
	for i, u := range urls {
		urlSpans[i] = span{u.start, u.end}
		streams[0] = append(streams[0], hit{pos: u.start, kind: kindURL, val: t[u.start:u.end]})
		if a, ok := ParseIP(u.host); ok {
			streams[0] = append(streams[0], hit{pos: u.start, kind: kindIP, addr: a})
		} else if validHost(u.host) {
			streams[0] = append(streams[0], hit{pos: u.start, kind: kindDomain, val: u.host})
		}
	}
	scanEmails(t, urls, emitter(1))
	v6 := scanIPv6(t, ipEmitter(2))
	scanIPv4(t, v6, ipEmitter(3))
	scanDomains(t, urlSpans, emitter(4))
	scanHashes(t, emitter(5))
	scanCVEs(t, emitter(6))
	return buildSet(mergeByPos(streams[:]))
}

// mergeByPos merges streams that are each sorted by position; on equal
// positions the earlier stream goes first.
func mergeByPos(streams [][]hit) []hit {
	total := 0
	for _, s := range streams {
		total += len(s)
	}
	out := make([]hit, 0, total)
	for len(out) < total {
		best := -1
		for i, s := range streams {
			if len(s) > 0 && (best < 0 || s[0].pos < streams[best][0].pos) {
				best = i
			}
		}
		out = append(out, streams[best][0])
		streams[best] = streams[best][1:]
	}
	return out
}

// buildSet sorts hits into the lists of a Set, dropping duplicates.
func buildSet(hits []hit) Set {
	var lists [numKinds + 3][]string // + IPv4, IPv6, private
	const (
		listV4 = numKinds + iota
		listV6
		listPrivate
	)
	var seen [numKinds]map[string]struct{}
	rawURLs := make(map[string]struct{})
	for _, h := range hits {
		key, val, list := h.val, h.val, h.kind
		switch h.kind {
		case kindIP:
			val = h.addr.String()
			key = val
			switch c := ClassifyIP(h.addr); {
			case !c.Public:
				list = listPrivate
			case h.addr.Is4():
				list = listV4
			default:
				list = listV6
			}
		case kindURL:
			// Repeats of the exact text are common; skip normalising them.
			if _, dup := rawURLs[h.val]; dup {
				continue
			}
			rawURLs[h.val] = struct{}{}
			key = NormalizeURL(h.val)
		}
		m := seen[h.kind]
		if m == nil {
			m = make(map[string]struct{})
			seen[h.kind] = m
		}
		if _, dup := m[key]; dup {
			continue
		}
		m[key] = struct{}{}
		lists[list] = append(lists[list], val)
	}
	nonNil := func(l []string) []string {
		if l == nil {
			return []string{}
		}
		return l
	}
	return Set{
		IPv4:       nonNil(lists[listV4]),
		IPv6:       nonNil(lists[listV6]),
		PrivateIPs: nonNil(lists[listPrivate]),
		Domains:    nonNil(lists[kindDomain]),
		URLs:       nonNil(lists[kindURL]),
		Emails:     nonNil(lists[kindEmail]),
		MD5:        nonNil(lists[kindMD5]),
		SHA1:       nonNil(lists[kindSHA1]),
		SHA256:     nonNil(lists[kindSHA256]),
		CVEs:       nonNil(lists[kindCVE]),
	}
}
