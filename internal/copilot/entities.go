package copilot

import (
	"regexp"
	"slices"
	"strings"

	"github.com/spotter-soc/spotter/internal/ioc"
)

// Kind is a kind of entity a prompt can name.
type Kind string

// Entity kinds the planner knows.
const (
	KindIP       Kind = "ip"
	KindDomain   Kind = "domain"
	KindURL      Kind = "url"
	KindHash     Kind = "hash"
	KindUser     Kind = "user"
	KindHost     Kind = "host"
	KindCmdline  Kind = "cmdline"
	KindCIDR     Kind = "cidr"
	KindIncident Kind = "incident"
	KindCVE      Kind = "cve"
	// KindPrivateIP holds private and special-purpose addresses, which
	// reputation services know nothing about.
	KindPrivateIP Kind = "private_ip"
)

// kindOrder is the order in which plans and answers list the kinds.
var kindOrder = []Kind{KindIP, KindCIDR, KindDomain, KindURL, KindHash, KindUser, KindHost, KindCmdline, KindIncident, KindCVE, KindPrivateIP}

// Entities are the things a prompt or an evaluation is about, by kind, in
// first-seen order without duplicates.
type Entities map[Kind][]string

// add appends values not yet present.
func (e Entities) add(k Kind, vals ...string) {
	for _, v := range vals {
		v = strings.TrimSpace(v)
		if v != "" && !slices.Contains(e[k], v) {
			e[k] = append(e[k], v)
		}
	}
}

// Len counts every entity.
func (e Entities) Len() int {
	n := 0
	for _, v := range e {
		n += len(v)
	}
	return n
}

// Kinds lists the kinds that have values, in a stable order.
func (e Entities) Kinds() []Kind {
	var out []Kind
	for _, k := range kindOrder {
		if len(e[k]) > 0 {
			out = append(out, k)
		}
	}
	return out
}

var (
	cidrRe     = regexp.MustCompile(`\b(\d{1,3}(?:\.\d{1,3}){3})/(\d{1,2})\b`)
	guidRe     = `[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`
	userGUIDRe = regexp.MustCompile(`(?i)\b(?:user|account|object id)\s+(` + guidRe + `)\b`)
	incidentRe = regexp.MustCompile(`(?i)\bincidents?\s+(?:id\s+|number\s+|#)?#?(\d{1,10}|` + guidRe + `)\b`)
	// NetBIOS-style host names: upper-case words joined by dashes with a digit or a second part (DESKTOP-ADELE01, WS-HIGH).
	hostNameRe = regexp.MustCompile(`\b([A-Z][A-Z0-9]{1,14}-[A-Z0-9][A-Z0-9-]{0,14})\b`)
	// A host named after a keyword: "host web01", "device LAPTOP7".
	hostWordRe = regexp.MustCompile(`(?i)\b(?:host|hostname|device|machine|computer|laptop|workstation|server|endpoint)\s+([A-Za-z][A-Za-z0-9-]{1,62})\b`)
	// cmdLabelRe takes whatever follows "command line:" (or "cmdline:",
	// "command:", "script:") as the command line, whatever its executable.
	cmdLabelRe = regexp.MustCompile(`(?i)\b(?:command[ -]?lines?|cmdlines?|commands?|scripts?)(?:\s+\w+){0,2}\s*:\s*(\S.*)$`)
	cmdStartRe = regexp.MustCompile(`(?i)(?:^|[\s:"'` + "`" + `])((?:powershell|pwsh|cmd|certutil|rundll32|regsvr32|mshta|wscript|cscript|bitsadmin|wmic|schtasks|msiexec|curl|wget|bash|sh|python3?|perl|nc|net)(?:\.exe)?\s+[-/\w"'].*)$`)
)

// hostStopWords are words a host-name pattern must not take.
var hostStopWords = map[string]bool{
	"is": true, "the": true, "a": true, "an": true, "name": true, "names": true, "of": true, "for": true, "that": true, "this": true,
	"these": true, "those": true, "compliance": true, "compliant": true, "reputation": true, "and": true, "in": true, "with": true,
	"owned": true, "used": true, "belonging": true, "has": true, "was": true, "details": true, "threat": true, "state": true,
}

// ExtractEntities finds the entities in a prompt: indicators (ioc.Extract),
// CIDR networks, user principal names and user object ids, host names,
// incident ids and a command line. Indicators that appear inside the
// command line are left to the command-line analysis.
func ExtractEntities(text string) Entities {
	e := Entities{}
	cmd := ""
	m := cmdLabelRe.FindStringSubmatch(text)
	if m == nil {
		m = cmdStartRe.FindStringSubmatch(text)
	}
	if m != nil {
		cmd = strings.Trim(strings.TrimSpace(m[1]), "\"'`")
		e.add(KindCmdline, cmd)
	}
	rest := text
	if cmd != "" {
		rest = strings.Replace(text, cmd, " ", 1)
	}
	nets := map[string]bool{}
	for _, m := range cidrRe.FindAllStringSubmatch(rest, -1) {
		if _, ok := ioc.ParseIP(m[1]); ok {
			e.add(KindCIDR, m[0])
			nets[m[1]] = true
		}
	}
	set := ioc.Extract(rest)
	for _, ip := range append(append([]string{}, set.IPv4...), set.IPv6...) {
		if !nets[ip] {
			e.add(KindIP, ip)
		}
	}
	e.add(KindPrivateIP, set.PrivateIPs...)
	e.add(KindURL, set.URLs...)
	urlHosts := map[string]bool{}
	for _, u := range set.URLs {
		if _, h, ok := strings.Cut(u, "://"); ok {
			h, _, _ = strings.Cut(h, "/")
			urlHosts[strings.ToLower(h)] = true
		}
	}
	for _, d := range set.Domains {
		if !urlHosts[d] {
			e.add(KindDomain, d)
		}
	}
	e.add(KindHash, set.SHA256...)
	e.add(KindHash, set.SHA1...)
	e.add(KindHash, set.MD5...)
	e.add(KindUser, set.Emails...)
	for _, m := range userGUIDRe.FindAllStringSubmatch(rest, -1) {
		e.add(KindUser, strings.ToLower(m[1]))
	}
	e.add(KindCVE, set.CVEs...)
	for _, m := range incidentRe.FindAllStringSubmatch(rest, -1) {
		e.add(KindIncident, m[1])
	}
	for _, m := range hostNameRe.FindAllStringSubmatch(rest, -1) {
		if !strings.HasPrefix(m[1], "CVE-") && !strings.HasPrefix(m[1], "SHA-") {
			e.add(KindHost, m[1])
		}
	}
	for _, m := range hostWordRe.FindAllStringSubmatchIndex(rest, -1) {
		name := rest[m[2]:m[3]]
		// A dotted name after "host" is a domain, found above.
		if m[3] < len(rest) && rest[m[3]] == '.' && m[3]+1 < len(rest) && isAlnum(rest[m[3]+1]) {
			continue
		}
		if hostStopWords[strings.ToLower(name)] || !strings.ContainsAny(name, "0123456789-") && strings.ToUpper(name) != name {
			continue
		}
		if !slices.ContainsFunc(e[KindHost], func(h string) bool { return strings.EqualFold(h, name) }) {
			e.add(KindHost, name)
		}
	}
	return e
}

func isAlnum(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}

// referenceRe finds references to earlier entities: "this IP", "these users".
var referenceRe = regexp.MustCompile(`(?i)\b(this|that|these|those|the same|same)\s+(ip addresses|ip address|ips|ip|addresses|address|users|user|accounts|account|upns|upn|hosts|host|devices|device|machines|machine|hashes|hash|files|file|samples|sample|urls|url|domains|domain|indicators|indicator|iocs|ioc|command lines|command line|commands|command|networks|network|ranges|range)\b`)

// referenceKinds maps a referring noun to the kinds it may mean.
func referenceKinds(noun string) []Kind {
	switch n := strings.ToLower(noun); {
	case strings.HasPrefix(n, "ip"), strings.HasPrefix(n, "address"):
		return []Kind{KindIP}
	case strings.HasPrefix(n, "user"), strings.HasPrefix(n, "account"), strings.HasPrefix(n, "upn"):
		return []Kind{KindUser}
	case strings.HasPrefix(n, "host"), strings.HasPrefix(n, "device"), strings.HasPrefix(n, "machine"):
		return []Kind{KindHost}
	case strings.HasPrefix(n, "hash"), strings.HasPrefix(n, "file"), strings.HasPrefix(n, "sample"):
		return []Kind{KindHash}
	case strings.HasPrefix(n, "url"):
		return []Kind{KindURL}
	case strings.HasPrefix(n, "domain"):
		return []Kind{KindDomain}
	case strings.HasPrefix(n, "command"):
		return []Kind{KindCmdline}
	case strings.HasPrefix(n, "network"), strings.HasPrefix(n, "range"):
		return []Kind{KindCIDR}
	default: // indicators, iocs
		return []Kind{KindIP, KindDomain, KindURL, KindHash}
	}
}

// resolveReferences fills the kinds a prompt refers to ("this IP") but does
// not name from the newest session context that has them. It returns the
// kinds it filled.
func resolveReferences(text string, e Entities, context []Entities) []Kind {
	var filled []Kind
	for _, m := range referenceRe.FindAllStringSubmatch(text, -1) {
		kinds := referenceKinds(m[2])
		det, noun := strings.ToLower(m[1]), strings.ToLower(m[2])
		// "this IP" means one; "these IPs" and "this network" may mean all.
		single := (det == "this" || det == "that") && !strings.HasSuffix(noun, "s")
		missing := true
		for _, k := range kinds {
			if len(e[k]) > 0 {
				missing = false
			}
		}
		if !missing {
			continue
		}
		for _, c := range context {
			found := false
			for _, k := range kinds {
				if len(c[k]) > 0 {
					vals := c[k]
					if single {
						vals = vals[:1]
					}
					e.add(k, vals...)
					filled = append(filled, k)
					found = true
				}
			}
			if found {
				break
			}
		}
	}
	return filled
}
