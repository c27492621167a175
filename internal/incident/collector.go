package incident

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/spotter-soc/spotter/internal/ioc"
)

// collector accumulates Entities, deduplicating each category on its
// normalised key.
type collector struct {
	out      *Entities
	byID     map[string]Entity
	standard *StandardCommands

	skipAccounts map[string]struct{}
	skipHashes   map[string]struct{}
	skipDomains  []string
	skipIPs      []netip.Prefix
	skipOwn      bool

	ips, accounts, hosts, procs, hashes, urls, domains, emails, cves map[string]int
	skipped                                                          map[Skip]struct{}
	ownDomains                                                       map[string]struct{}
	fileMalware, hashFiles                                           map[string][]string
	fileIDs                                                          []string
}

func newCollector(inc *Incident, opts Options) *collector {
	c := &collector{
		out: &Entities{
			IPsPublic: []IP{}, IPsPrivate: []IP{}, Accounts: []Account{}, Hosts: []Host{},
			CmdlinesAnalyzed: []Process{}, CmdlinesSkipped: []Process{}, Hashes: []Hash{}, URLs: []URL{},
			Domains: []Domain{}, Emails: []Email{}, MailMessages: []MailMessage{}, Files: []File{},
			CVEs: []Indicator{}, Other: []OtherEntity{}, Skipped: []Skip{},
		},
		byID:         make(map[string]Entity, len(inc.Entities)),
		standard:     NewStandardCommands(opts.SkipCommands, opts.ReplaceDefaultCommands),
		skipAccounts: lowerSet(opts.SkipAccounts),
		skipHashes:   lowerSet(opts.SkipHashes),
		skipOwn:      opts.SkipOwnDomains,
		ips:          map[string]int{}, accounts: map[string]int{}, hosts: map[string]int{}, procs: map[string]int{},
		hashes: map[string]int{}, urls: map[string]int{}, domains: map[string]int{}, emails: map[string]int{}, cves: map[string]int{},
		skipped: map[Skip]struct{}{}, ownDomains: map[string]struct{}{},
		fileMalware: map[string][]string{}, hashFiles: map[string][]string{},
	}
	for _, e := range inc.Entities {
		if e.ID != "" {
			c.byID[e.ID] = e
		}
	}
	for _, d := range opts.SkipDomains {
		if d = ioc.NormalizeDomain(d); d != "" {
			c.skipDomains = append(c.skipDomains, d)
		}
	}
	for _, s := range opts.SkipIPs {
		if p, err := netip.ParsePrefix(strings.TrimSpace(s)); err == nil {
			c.skipIPs = append(c.skipIPs, p.Masked())
		} else if a, ok := ioc.ParseIP(s); ok {
			c.skipIPs = append(c.skipIPs, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	return c
}

// ValidateOptions reports configuration values Categorize would ignore.
func ValidateOptions(opts Options) error {
	for i, s := range opts.SkipIPs {
		if _, err := netip.ParsePrefix(strings.TrimSpace(s)); err == nil {
			continue
		}
		if _, ok := ioc.ParseIP(s); !ok {
			return inputErr("incident.skip_ips["+strconv.Itoa(i)+"]", "%q: expected an IP address or CIDR prefix such as 192.0.2.0/24", s)
		}
	}
	for i, d := range opts.SkipDomains {
		if ioc.NormalizeDomain(d) == "" {
			return inputErr("incident.skip_domains["+strconv.Itoa(i)+"]", "%q: expected a domain name", d)
		}
	}
	return nil
}

func (c *collector) skip(typ, value, reason string) {
	c.out.Skipped = append(c.out.Skipped, Skip{Type: typ, Value: value, Reason: reason})
}

// skipOnce records a skip unless the same one is already recorded.
func (c *collector) skipOnce(typ, value, reason string) {
	s := Skip{Type: typ, Value: value, Reason: reason}
	if _, ok := c.skipped[s]; ok {
		return
	}
	c.skipped[s] = struct{}{}
	c.out.Skipped = append(c.out.Skipped, s)
}

// finish links what could only be linked once every entity was read, and
// applies the domain skip rules.
func (c *collector) finish() {
	for i, id := range c.fileIDs {
		c.out.Files[i].Malware = appendNew(c.out.Files[i].Malware, c.fileMalware[id]...)
	}
	for i := range c.out.Hashes {
		c.out.Hashes[i].FileNames = c.hashFiles[c.out.Hashes[i].Value]
	}
	if c.skipOwn {
		for _, a := range c.out.Accounts {
			if a.UPNSuffix != "" {
				c.ownDomains[a.UPNSuffix] = struct{}{}
			} else if i := strings.LastIndexByte(a.UPN, '@'); i >= 0 {
				c.ownDomains[a.UPN[i+1:]] = struct{}{}
			}
		}
	}
	kept := c.out.Domains[:0]
	for _, d := range c.out.Domains {
		switch {
		case matchDomain(d.Value, c.skipDomains):
			c.skipOnce("domain", d.Value, "skip list")
		case c.skipOwn && c.isOwnDomain(d.Value):
			c.skipOnce("domain", d.Value, "the organisation's own domain (seen as an account UPN suffix or host DNS domain)")
		default:
			kept = append(kept, d)
		}
	}
	c.out.Domains = kept
}

// isOwnDomain reports whether d is an own domain or a subdomain of one.
func (c *collector) isOwnDomain(d string) bool {
	for {
		if _, ok := c.ownDomains[d]; ok {
			return true
		}
		i := strings.IndexByte(d, '.')
		if i < 0 {
			return false
		}
		d = d[i+1:]
	}
}

// matchDomain reports whether d is one of list or a subdomain of one.
func matchDomain(d string, list []string) bool {
	for _, s := range list {
		if d == s || strings.HasSuffix(d, "."+s) {
			return true
		}
	}
	return false
}

func lowerSet(list []string) map[string]struct{} {
	m := make(map[string]struct{}, len(list))
	for _, s := range list {
		if s = strings.ToLower(strings.TrimSpace(s)); s != "" {
			m[s] = struct{}{}
		}
	}
	return m
}
