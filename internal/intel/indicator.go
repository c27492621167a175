package intel

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spotter-soc/spotter/internal/ioc"
)

// Type is the kind of a stored indicator.
type Type string

// Indicator types. IPv4 and IPv6 addresses share TypeIP; ranges of either
// family are TypeCIDR. TypeDigest holds the MD5 of an attribute value as a
// MISP feed's hashes.csv lists it: a lookup matches it by hashing the value
// looked up, without knowing what kind of value it was.
const (
	TypeIP     Type = "ip"
	TypeCIDR   Type = "cidr"
	TypeDomain Type = "domain"
	TypeURL    Type = "url"
	TypeEmail  Type = "email"
	TypeMD5    Type = "md5"
	TypeSHA1   Type = "sha1"
	TypeSHA256 Type = "sha256"
	TypeDigest Type = "digest"
)

// Types lists every indicator type, in the order statistics show them.
var Types = []Type{TypeIP, TypeCIDR, TypeDomain, TypeURL, TypeEmail, TypeMD5, TypeSHA1, TypeSHA256, TypeDigest}

// MaxValueLen bounds a stored value in bytes. Longer values are rejected as
// invalid: PostgreSQL cannot index much longer keys, and no IP address,
// domain or hash comes close.
const MaxValueLen = 2048

// NoConfidence marks an Indicator whose feed gave no confidence: the
// import's default applies.
const NoConfidence = -1

// Indicator is one entry of a feed.
type Indicator struct {
	Type  Type   `json:"type"`
	Value string `json:"value"`
	// Source names the feed the entry came from.
	Source string `json:"source"`
	// Confidence is how sure the feed is, 0-100 (NoConfidence before an import applies its default).
	Confidence int      `json:"confidence"`
	Tags       []string `json:"tags,omitempty"`
	// Malware is the malware family the feed associates with the entry.
	Malware     string `json:"malware,omitempty"`
	Reference   string `json:"reference,omitempty"`
	Description string `json:"description,omitempty"`
	// ObjectID is the feed's identifier of the object that listed the entry:
	// a STIX indicator id or a MISP event UUID.
	ObjectID   string    `json:"object_id,omitempty"`
	FirstSeen  time.Time `json:"first_seen,omitzero"`
	LastSeen   time.Time `json:"last_seen,omitzero"`
	ValidUntil time.Time `json:"valid_until,omitzero"`
}

// Key is the identity of a stored entry within one source.
type Key struct {
	Type  Type
	Value string
}

// Key returns the entry's identity within its source.
func (in Indicator) Key() Key { return Key{in.Type, in.Value} }

// Normalize turns a raw feed value into a stored type and value. hint is
// the type the feed declares ("" to infer it): any spelling ParseTypeHint
// accepts. Values are refanged and trimmed; IP addresses take their
// canonical text, CIDR ranges their masked network (a full-length prefix is
// an address), domains and e-mail addresses lower case, hashes lower-case
// hex, URLs the form ioc.NormalizeURL gives. An address with a port
// ("198.51.100.7:443", "[2001:db8::1]:443") is the address.
func Normalize(hint Type, raw string) (Type, string, error) {
	s := strings.TrimSpace(ioc.Refang(strings.TrimSpace(raw)))
	if s == "" {
		return "", "", fmt.Errorf("empty value")
	}
	if len(s) > MaxValueLen {
		return "", "", fmt.Errorf("value is %d bytes long; expected at most %d", len(s), MaxValueLen)
	}
	if !utf8.ValidString(s) {
		return "", "", fmt.Errorf("value is not valid UTF-8")
	}
	if strings.ContainsAny(s, "\x00\r\n") {
		return "", "", fmt.Errorf("value contains a control character")
	}
	switch hint {
	case "":
		return infer(s)
	case TypeIP, TypeCIDR:
		if t, v, ok := ipOrCIDR(s); ok {
			return t, v, nil
		}
		return "", "", fmt.Errorf("%q: expected an IPv4 or IPv6 address or CIDR range", clip(s, 80))
	case TypeDomain:
		d := ioc.NormalizeDomain(s)
		if !ioc.IsDomain(d) {
			return "", "", fmt.Errorf("%q: expected a domain name with a public suffix", clip(s, 80))
		}
		return TypeDomain, d, nil
	case TypeURL:
		if !strings.Contains(s, "://") {
			s = "http://" + s
		}
		if t, v, ok := ioc.Classify(s); ok && t == ioc.TypeURL {
			return TypeURL, v, nil
		}
		return "", "", fmt.Errorf("%q: expected an absolute URL such as http://host/path", clip(s, 80))
	case TypeEmail:
		if t, v, ok := ioc.Classify(s); ok && t == ioc.TypeEmail {
			return TypeEmail, v, nil
		}
		return "", "", fmt.Errorf("%q: expected an e-mail address", clip(s, 80))
	case TypeMD5, TypeSHA1, TypeSHA256:
		if ioc.HashType(s) == string(hint) {
			return hint, strings.ToLower(s), nil
		}
		return "", "", fmt.Errorf("%q: expected %s (%d hex digits)", clip(s, 80), strings.ToUpper(string(hint)), hashLen(hint))
	case typeHash:
		if h := ioc.HashType(s); h != "" {
			return Type(h), strings.ToLower(s), nil
		}
		return "", "", fmt.Errorf("%q: expected an MD5, SHA-1 or SHA-256 hash (32, 40 or 64 hex digits)", clip(s, 80))
	case TypeDigest:
		if ioc.HashType(s) == "md5" {
			return TypeDigest, strings.ToLower(s), nil
		}
		return "", "", fmt.Errorf("%q: expected the MD5 digest of a value (32 hex digits)", clip(s, 80))
	}
	return "", "", fmt.Errorf("unknown indicator type %q", hint)
}

// typeHash is the hint for "a hash of whatever length": MD5, SHA-1 or SHA-256.
const typeHash Type = "hash"

// infer classifies a value without a declared type.
func infer(s string) (Type, string, error) {
	if t, v, ok := ipOrCIDR(s); ok {
		return t, v, nil
	}
	t, v, ok := ioc.Classify(s)
	if !ok {
		return "", "", fmt.Errorf("%q: expected an IP address, CIDR range, domain, URL, e-mail address or MD5/SHA-1/SHA-256 hash", clip(s, 80))
	}
	switch t {
	case ioc.TypeDomain:
		return TypeDomain, v, nil
	case ioc.TypeURL:
		return TypeURL, v, nil
	case ioc.TypeEmail:
		return TypeEmail, v, nil
	case ioc.TypeMD5, ioc.TypeSHA1, ioc.TypeSHA256:
		return Type(t), v, nil
	}
	return "", "", fmt.Errorf("%q: %s identifiers are not indicators that can be matched", clip(s, 80), t)
}

// ipOrCIDR parses an address, an address with a port, or a CIDR range.
func ipOrCIDR(s string) (Type, string, bool) {
	if a, ok := ioc.ParseIP(s); ok {
		return TypeIP, a.String(), true
	}
	if strings.IndexByte(s, '/') >= 0 {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return "", "", false
		}
		a := p.Addr().WithZone("")
		bits := p.Bits()
		if a.Is4In6() && bits >= 96 {
			a, bits = a.Unmap(), bits-96
		}
		p = netip.PrefixFrom(a, bits).Masked()
		if bits == a.BitLen() {
			return TypeIP, a.String(), true
		}
		return TypeCIDR, p.String(), true
	}
	if host, port, err := net.SplitHostPort(s); err == nil && port != "" && isPort(port) {
		if a, ok := ioc.ParseIP(host); ok {
			return TypeIP, a.String(), true
		}
	}
	return "", "", false
}

func isPort(s string) bool {
	if len(s) > 5 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func hashLen(t Type) int {
	switch t {
	case TypeMD5:
		return 32
	case TypeSHA1:
		return 40
	}
	return 64
}

// typeHints maps the type names feeds use (CSV columns, MISP attribute
// types, STIX object types, abuse.ch exports) to stored types. Composite
// MISP types (ip-dst|port, domain|ip, filename|sha256) are handled by the
// MISP parser.
var typeHints = map[string]Type{
	"ip": TypeIP, "ipv4": TypeIP, "ipv6": TypeIP, "ip-src": TypeIP, "ip-dst": TypeIP, "ipv4-addr": TypeIP,
	"ipv6-addr": TypeIP, "ip:port": TypeIP, "ip_address": TypeIP, "address": TypeIP, "ipaddress": TypeIP,
	"cidr": TypeCIDR, "network": TypeCIDR, "net": TypeCIDR, "netblock": TypeCIDR, "subnet": TypeCIDR, "ip-range": TypeCIDR,
	"domain": TypeDomain, "hostname": TypeDomain, "host": TypeDomain, "fqdn": TypeDomain, "domain-name": TypeDomain,
	"url": TypeURL, "uri": TypeURL, "link": TypeURL,
	"email": TypeEmail, "email-src": TypeEmail, "email-dst": TypeEmail, "email-addr": TypeEmail, "e-mail": TypeEmail,
	"email-reply-to": TypeEmail, "mail": TypeEmail,
	"md5": TypeMD5, "md5_hash": TypeMD5, "filehash-md5": TypeMD5, "hash-md5": TypeMD5,
	"sha1": TypeSHA1, "sha-1": TypeSHA1, "sha1_hash": TypeSHA1, "filehash-sha1": TypeSHA1, "hash-sha1": TypeSHA1,
	"sha256": TypeSHA256, "sha-256": TypeSHA256, "sha256_hash": TypeSHA256, "filehash-sha256": TypeSHA256, "hash-sha256": TypeSHA256,
	"hash": typeHash, "filehash": typeHash,
	"digest": TypeDigest,
}

// ParseTypeHint maps a feed's name for an indicator type to a stored type,
// case-insensitively; ok is false for names that denote nothing Spotter
// can match (yara, regkey, mutex, ...).
func ParseTypeHint(s string) (Type, bool) {
	t, ok := typeHints[strings.ToLower(strings.TrimSpace(s))]
	return t, ok
}

// FindingType is the indicator type skills report in findings: ip, domain,
// url, email or hash.
func (t Type) FindingType() string {
	switch t {
	case TypeIP, TypeCIDR:
		return "ip"
	case TypeMD5, TypeSHA1, TypeSHA256:
		return "hash"
	case TypeDigest:
		return "indicator"
	}
	return string(t)
}

// digestOf is the MD5 a MISP feed's hashes.csv lists for a value.
func digestOf(value string) string {
	sum := md5.Sum([]byte(value))
	return hex.EncodeToString(sum[:])
}

// normalizeTags trims, de-duplicates and sorts tags, dropping empty ones and
// bounding each to 200 bytes, so that equal sets compare equal.
func normalizeTags(tags []string) []string {
	var out []string
	for _, t := range tags {
		t = strings.TrimSpace(t)
		if t == "" || strings.ContainsAny(t, "\x00\r\n") {
			continue
		}
		out = append(out, clip(t, 200))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// clip bounds s to n bytes without splitting a UTF-8 sequence.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
