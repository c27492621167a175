package ioc

import (
	"net/url"
	"strings"
	"unicode/utf8"
)

// Type is the kind of a single indicator, as told by Classify.
type Type string

// Indicator types returned by Classify.
const (
	TypeIPv4   Type = "ipv4"
	TypeIPv6   Type = "ipv6"
	TypeDomain Type = "domain"
	TypeURL    Type = "url"
	TypeEmail  Type = "email"
	TypeMD5    Type = "md5"
	TypeSHA1   Type = "sha1"
	TypeSHA256 Type = "sha256"
	TypeCVE    Type = "cve"
)

// Classify tells what one indicator string is, after trimming white space
// and refanging, and returns its normalised form:
//
//   - TypeCVE: "CVE-YYYY-NNNN" (4–7 digit sequence), upper-cased;
//   - TypeMD5, TypeSHA1, TypeSHA256: 32, 40 or 64 hex digits, lower-cased;
//   - TypeIPv4, TypeIPv6: anything ParseIP accepts (IPv4-mapped IPv6 is
//     IPv4), in canonical text form; public and special-purpose alike;
//   - TypeURL: "scheme://host..." without white space, with a scheme that
//     mvdan.cc/xurls knows, that net/url parses, and whose host is an IP
//     address or a name of letters, digits, '-', '_' and '.'; normalised by
//     NormalizeURL;
//   - TypeEmail: local@domain with a domain as for IsDomain (minus the
//     file-name rule), lower-cased;
//   - TypeDomain: anything IsDomain accepts, normalised by NormalizeDomain.
//
// ok is false, and t and normalized empty, when s is none of these.
func Classify(s string) (t Type, normalized string, ok bool) {
	s = strings.TrimSpace(Refang(strings.TrimSpace(s)))
	if s == "" {
		return "", "", false
	}
	if isCVE(s) {
		return TypeCVE, strings.ToUpper(s), true
	}
	if h := HashType(s); h != "" {
		return Type(h), lowerASCII(s), true
	}
	if a, ok := ParseIP(s); ok {
		if a.Is4() {
			return TypeIPv4, a.String(), true
		}
		return TypeIPv6, a.String(), true
	}
	if strings.Contains(s, "://") {
		if isURL(s) {
			return TypeURL, NormalizeURL(s), true
		}
		return "", "", false
	}
	if strings.IndexByte(s, '@') >= 0 {
		if e, ok := parseEmail(s); ok {
			return TypeEmail, e, true
		}
		return "", "", false
	}
	if IsDomain(s) {
		return TypeDomain, NormalizeDomain(s), true
	}
	return "", "", false
}

// isURL reports whether s is a single absolute URL with an authority.
func isURL(s string) bool {
	for i := 0; i < len(s); i++ {
		if byteClass[s[i]]&clURLStop != 0 {
			return false
		}
	}
	colon := strings.IndexByte(s, ':')
	if colon <= 0 || !strings.HasPrefix(s[colon:], "://") {
		return false
	}
	if colon > maxSchemeLen || !urlSchemes[strings.ToLower(s[:colon])] {
		return false
	}
	p, err := url.Parse(s)
	if err != nil {
		return false
	}
	return plausibleURLHost(p.Hostname())
}

// plausibleURLHost reports whether host (as returned by url.URL.Hostname)
// is an IP address, optionally with an interface-name zone, or a name of
// letters, digits, '-', '_' and '.'.
func plausibleURLHost(host string) bool {
	if host == "" || !utf8.ValidString(host) {
		return false
	}
	if _, ok := ParseIP(host); ok {
		pct := strings.IndexByte(host, '%')
		if pct < 0 {
			return true
		}
		host = host[pct+1:]
	}
	for i := 0; i < len(host); i++ {
		if c := host[i]; c < utf8.RuneSelf && !isAlnum(c) && c != '-' && c != '.' && c != '_' {
			return false
		}
	}
	return host != ""
}
