package report

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// commas formats n with thousands separators: 48213 -> "48,213".
func commas(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// noun is a countable thing with its singular and plural names.
type noun struct{ one, many string }

func (n noun) count(k int) string {
	if k == 1 {
		return "1 " + n.one
	}
	return commas(k) + " " + n.many
}

// more counts further items: "1 more account", "40 more accounts".
func (n noun) more(k int) string {
	if k == 1 {
		return "1 more " + n.one
	}
	return commas(k) + " more " + n.many
}

// Nouns for the kinds of items a report lists.
var (
	nounPublicIP  = noun{"public IP address", "public IP addresses"}
	nounPrivateIP = noun{"internal IP address", "internal IP addresses"}
	nounAccount   = noun{"account", "accounts"}
	nounHost      = noun{"device", "devices"}
	nounCmdline   = noun{"command line", "command lines"}
	nounHash      = noun{"hash", "hashes"}
	nounURL       = noun{"URL", "URLs"}
	nounDomain    = noun{"domain", "domains"}
	nounEmail     = noun{"e-mail address", "e-mail addresses"}
	nounMail      = noun{"mail message", "mail messages"}
	nounFile      = noun{"file", "files"}
	nounCVE       = noun{"CVE", "CVEs"}
	nounAlert     = noun{"alert", "alerts"}
	nounComment   = noun{"comment", "comments"}
	nounIndicator = noun{"indicator", "indicators"}
)

// skipNoun names the items of a Skip.Type.
func skipNoun(typ string) noun {
	switch typ {
	case "ip":
		return noun{"IP address", "IP addresses"}
	case "account":
		return nounAccount
	case "host":
		return nounHost
	case "process":
		return nounCmdline
	case "hash":
		return nounHash
	case "url":
		return nounURL
	case "domain":
		return nounDomain
	case "email":
		return nounEmail
	case "file":
		return nounFile
	case "entity", "":
		return noun{"entity", "entities"}
	}
	return noun{typ + " item", typ + " items"}
}

// otherNoun names entities of a kind that has no category of its own.
func otherNoun(kind string) noun {
	if kind == "" {
		kind = "unnamed kind"
	}
	return noun{kind + " entity", kind + " entities"}
}

// tally counts strings and lists them most frequent first: "a (3), b (1)".
type tally map[string]int

func (t tally) String() string {
	keys := make([]string, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if t[keys[i]] != t[keys[j]] {
			return t[keys[i]] > t[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s (%s)", k, commas(t[k]))
	}
	return strings.Join(parts, ", ")
}

func (t tally) total() int {
	n := 0
	for _, v := range t {
		n += v
	}
	return n
}

// longField is the length, in characters, above which an incident-provided
// free-text field is replaced by a note of its length at the last
// aggregation level.
const longField = 500

// isLong reports whether s is long enough to be replaced at level 4.
func isLong(s string) bool { return utf8.RuneCountInString(s) > longField }

// lengthNote is what replaces a long field: "description: 48,213
// characters, see the incident"; without what, only the length and the
// pointer, for a labelled field.
func lengthNote(what, s string) string {
	n := fmt.Sprintf("%s characters, see the incident", commas(utf8.RuneCountInString(s)))
	if what == "" {
		return n
	}
	return what + ": " + n
}

// paragraphs splits free text into paragraphs (separated by blank lines) of
// trimmed, non-empty lines. Nothing is dropped but blank space.
func paragraphs(s string) [][]string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	var out [][]string
	var cur []string
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			if cur != nil {
				out = append(out, cur)
				cur = nil
			}
			continue
		}
		cur = append(cur, l)
	}
	if cur != nil {
		out = append(out, cur)
	}
	return out
}

// verbatim normalises line endings of a value shown as a code block.
func verbatim(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

// portalHosts are the hosts whose links, though taken from the incident, may
// be clickable: Sentinel and Defender portal links point there.
var portalHosts = []string{"portal.azure.com", "portal.azure.us", "portal.azure.cn", "security.microsoft.com", "security.microsoft.us"}

// linkTarget returns the URL a link span may point to, or "" when it must be
// rendered as inert text. Only absolute http and https URLs qualify, and a
// link taken from incident data only when it points to a Microsoft portal:
// anything an attacker could have planted stays unclickable. Targets with
// characters that need quoting in Markdown are refused too, so the same rule
// holds in both formats.
func linkTarget(s span) string {
	if s.Kind != spanLink {
		return ""
	}
	u, err := url.Parse(s.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return ""
	}
	if strings.ContainsAny(s.URL, " \t\r\n<>\"'`()[]\\{}|^") {
		return ""
	}
	for _, r := range s.URL {
		if r < 0x20 || r == 0x7f || r > 0x7e {
			return ""
		}
	}
	if !s.Trusted {
		if u.Scheme != "https" {
			return ""
		}
		host := strings.ToLower(u.Hostname())
		ok := false
		for _, p := range portalHosts {
			if host == p || strings.HasSuffix(host, "."+p) {
				ok = true
				break
			}
		}
		if !ok {
			return ""
		}
	}
	return s.URL
}

// formatDuration renders milliseconds for the footer.
func formatDuration(ms int64) string {
	if ms < 1000 {
		return fmt.Sprintf("%d ms", ms)
	}
	return strconv.FormatFloat(float64(ms)/1000, 'f', 1, 64) + " s"
}

// andList joins phrases as prose: "a", "a and b", "a, b and c".
func andList(parts []string) string {
	if len(parts) < 2 {
		return strings.Join(parts, "")
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// upperFirst capitalises the first letter of s.
func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// joinNonEmpty joins the non-empty strings with sep.
func joinNonEmpty(sep string, parts ...string) string {
	var keep []string
	for _, p := range parts {
		if p != "" {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, sep)
}
