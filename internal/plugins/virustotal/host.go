package virustotal

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/spotter-soc/spotter/internal/ioc"
	"github.com/spotter-soc/spotter/internal/plugins/provider"
	"github.com/spotter-soc/spotter/internal/skill"
)

// DomainReport is the result of virustotal.DomainReport.
type DomainReport struct {
	Domain string `json:"domain"`
	Common
	Categories  map[string]string `json:"categories,omitempty"` // vendor → category
	Registrar   string            `json:"registrar,omitempty"`
	Created     *time.Time        `json:"created,omitempty"`
	LastUpdated *time.Time        `json:"last_updated,omitempty"`
	TLD         string            `json:"tld,omitempty"`
	DNSRecords  []DNSRecord       `json:"dns_records,omitempty"` // at most 20
	// PopularityRanks maps a ranking (e.g. "Tranco") to the domain's rank.
	PopularityRanks map[string]int `json:"popularity_ranks,omitempty"`
}

// DNSRecord is one record of the last DNS resolution.
type DNSRecord struct {
	Type  string `json:"type"`
	Value string `json:"value"`
	TTL   int    `json:"ttl,omitempty"`
}

type domainAttrs struct {
	wireCommon
	Categories      map[string]string `json:"categories"`
	Registrar       string            `json:"registrar"`
	CreationDate    unixTime          `json:"creation_date"`
	LastUpdateDate  unixTime          `json:"last_update_date"`
	TLD             string            `json:"tld"`
	LastDNSRecords  []DNSRecord       `json:"last_dns_records"`
	PopularityRanks map[string]struct {
		Rank int `json:"rank"`
	} `json:"popularity_ranks"`
}

// IPReport is the result of virustotal.IPReport.
type IPReport struct {
	IP string `json:"ip"`
	Common
	ASN       int    `json:"asn,omitempty"`
	ASOwner   string `json:"as_owner,omitempty"`
	Network   string `json:"network,omitempty"`
	Country   string `json:"country,omitempty"`
	Continent string `json:"continent,omitempty"`
	Registry  string `json:"registry,omitempty"` // regional internet registry
}

type ipAttrs struct {
	wireCommon
	ASN       int    `json:"asn"`
	ASOwner   string `json:"as_owner"`
	Network   string `json:"network"`
	Country   string `json:"country"`
	Continent string `json:"continent"`
	RIR       string `json:"regional_internet_registry"`
}

// domainReport looks a domain or host name up.
func (c *client) domainReport(ctx context.Context, in skill.Inputs) (*skill.Result, error) {
	raw := in.String("domain")
	t, d, ok := ioc.Classify(raw)
	if !ok || t != ioc.TypeDomain {
		return nil, &skill.InputError{Skill: DomainReportID, Input: "domain", Msg: fmt.Sprintf("%q: expected a domain name such as example.com", provider.Clip(raw, 80))}
	}
	r, err := c.get(ctx, "/domains/"+d)
	if err != nil {
		return nil, err
	}
	return domainResult(d, r, c.Key())
}

func domainResult(d string, r *provider.Response, key string) (*skill.Result, error) {
	var a domainAttrs
	found, id, err := interpret(r, &a, key)
	if err != nil {
		return nil, err
	}
	rep := DomainReport{Domain: d, Common: Common{Link: GUI + "/domain/" + d}}
	if found {
		if rep.Common, err = common(id, a.wireCommon, rep.Link, key); err != nil {
			return nil, err
		}
		rep.Categories, rep.Registrar, rep.TLD = categories(a.Categories), provider.Clip(a.Registrar, 120), provider.Clip(a.TLD, 40)
		rep.Created, rep.LastUpdated = a.CreationDate.time(), a.LastUpdateDate.time()
		for _, rec := range a.LastDNSRecords {
			if len(rep.DNSRecords) < 20 {
				rep.DNSRecords = append(rep.DNSRecords, DNSRecord{Type: provider.Clip(rec.Type, 10), Value: provider.Clip(rec.Value, 200), TTL: rec.TTL})
			}
		}
		for name, p := range a.PopularityRanks {
			if rep.PopularityRanks == nil {
				rep.PopularityRanks = map[string]int{}
			}
			if len(rep.PopularityRanks) < 10 {
				rep.PopularityRanks[provider.Clip(name, 40)] = p.Rank
			}
		}
	}
	f := judge(d, "domain", DomainReportID, rep.Common)
	return &skill.Result{Data: rep, Summary: domainSummary(rep, f), Findings: []skill.Finding{f}, Links: []string{rep.Link}}, nil
}

func domainSummary(r DomainReport, f skill.Finding) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**VirusTotal** — domain `%s`: **%s**\n\n", r.Domain, f.Level)
	if r.Registrar != "" || r.Created != nil {
		b.WriteString("- Registration:")
		if r.Registrar != "" {
			fmt.Fprintf(&b, " %s", provider.MD(r.Registrar))
		}
		if r.Created != nil {
			fmt.Fprintf(&b, " created %s", r.Created.Format("2006-01-02"))
		}
		b.WriteString("\n")
	}
	if len(r.Categories) > 0 {
		fmt.Fprintf(&b, "- Categories: %s\n", categoryList(r.Categories))
	}
	if len(r.DNSRecords) > 0 {
		var rs []string
		for i, rec := range r.DNSRecords {
			if i == 5 {
				break
			}
			rs = append(rs, provider.MD(rec.Type)+" "+provider.MD(rec.Value))
		}
		fmt.Fprintf(&b, "- DNS: %s\n", strings.Join(rs, ", "))
	}
	if len(r.PopularityRanks) > 0 {
		names := make([]string, 0, len(r.PopularityRanks))
		for n := range r.PopularityRanks {
			names = append(names, n)
		}
		sort.Strings(names)
		var ps []string
		for _, n := range names {
			ps = append(ps, fmt.Sprintf("%s #%d", provider.MD(n), r.PopularityRanks[n]))
		}
		fmt.Fprintf(&b, "- Popularity: %s\n", strings.Join(ps, ", "))
	}
	analysisLines(&b, r.Common)
	return b.String()
}

// ipReport looks a public address up; private and reserved addresses are
// refused before any call (VirusTotal knows nothing about them, and asking
// would spend quota and disclose internal addressing).
func (c *client) ipReport(ctx context.Context, in skill.Inputs) (*skill.Result, error) {
	raw := in.String("ip")
	t, ip, ok := ioc.Classify(raw)
	if !ok || (t != ioc.TypeIPv4 && t != ioc.TypeIPv6) {
		return nil, &skill.InputError{Skill: IPReportID, Input: "ip", Msg: fmt.Sprintf("%q: expected an IPv4 or IPv6 address", provider.Clip(raw, 80))}
	}
	a, _ := ioc.ParseIP(ip)
	if cl := ioc.ClassifyIP(a); !cl.Public {
		return nil, &skill.InputError{Skill: IPReportID, Input: "ip", Msg: fmt.Sprintf(
			"%s is a %s address (%s): VirusTotal only knows public addresses, so it was not sent", ip, cl.Range, cl.Prefix)}
	}
	r, err := c.get(ctx, "/ip_addresses/"+ip)
	if err != nil {
		return nil, err
	}
	return ipResult(ip, r, c.Key())
}

func ipResult(ip string, r *provider.Response, key string) (*skill.Result, error) {
	var a ipAttrs
	found, id, err := interpret(r, &a, key)
	if err != nil {
		return nil, err
	}
	rep := IPReport{IP: ip, Common: Common{Link: GUI + "/ip-address/" + ip}}
	if found {
		if rep.Common, err = common(id, a.wireCommon, rep.Link, key); err != nil {
			return nil, err
		}
		rep.ASN, rep.ASOwner, rep.Network = max(0, a.ASN), provider.Clip(a.ASOwner, 120), provider.Clip(a.Network, 60)
		rep.Country, rep.Continent, rep.Registry = provider.Clip(a.Country, 8), provider.Clip(a.Continent, 8), provider.Clip(a.RIR, 20)
	}
	f := judge(ip, "ip", IPReportID, rep.Common)
	if rep.ASN > 0 && rep.ASOwner != "" {
		f.Reasons = append(f.Reasons, fmt.Sprintf("AS%d %s", rep.ASN, rep.ASOwner))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "**VirusTotal** — address `%s`: **%s**\n\n", ip, f.Level)
	var net []string
	if rep.ASN > 0 {
		net = append(net, fmt.Sprintf("AS%d", rep.ASN))
	}
	for _, s := range []string{rep.ASOwner, rep.Network, rep.Country} {
		if s != "" {
			net = append(net, provider.MD(s))
		}
	}
	if len(net) > 0 {
		fmt.Fprintf(&b, "- Network: %s\n", strings.Join(net, ", "))
	}
	analysisLines(&b, rep.Common)
	return &skill.Result{Data: rep, Summary: b.String(), Findings: []skill.Finding{f}, Links: []string{rep.Link}}, nil
}
