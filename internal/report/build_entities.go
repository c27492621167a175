package report

import (
	"cmp"
	"fmt"
	"math"
	"strings"

	"github.com/spotter-soc/spotter/internal/incident"
)

// codes renders values as inert code spans separated by commas.
func codes(values []string) line {
	var l line
	for i, v := range values {
		if i > 0 {
			l = append(l, text(", "))
		}
		l = append(l, code(v))
	}
	return l
}

// fieldIf appends a field when its value is not empty.
func fieldIf(fs []field, label string, value ...span) []field {
	for _, s := range value {
		if s.Text != "" {
			return append(fs, field{Label: label, Value: line(value)})
		}
	}
	return fs
}

// ips renders public addresses with their enrichment and internal
// addresses, which are never sent for enrichment.
func (b *builder) ips() []block {
	ents := b.r.Entities
	var es []entry
	for _, ip := range ents.IPsPublic {
		e := b.verdictEntry(SectionIPs, line{code(ip.Value)}, ip.Value)
		var fs []field
		loc := joinNonEmpty(", ", ip.Country, ip.City)
		if ip.ASN != 0 {
			loc = joinNonEmpty(", ", loc, fmt.Sprintf("AS%d", ip.ASN))
		}
		fs = fieldIf(fs, "Location", text(loc))
		for _, ti := range ip.ThreatIntel {
			fs = append(fs, field{Label: "Sentinel threat intelligence", Value: b.threatIntel(ti)})
			e.bad = true
		}
		if len(ip.Sources) > 0 {
			fs = append(fs, field{Label: "Seen in", Value: line{text(strings.Join(ip.Sources, ", "))}})
		}
		e.it.Fields = fs
		es = append(es, e)
	}
	spec := listSpec{noun: nounPublicIP}
	if len(ents.IPsPrivate) > 0 {
		spec.title = "Public addresses"
	}
	out := b.list(spec, es)
	if len(ents.IPsPublic) == 0 && len(ents.IPsPrivate) > 0 {
		out = append(out, para(text(sectionEmpty[SectionIPs])))
	}
	if len(ents.IPsPrivate) == 0 {
		return out
	}

	// Internal addresses: listed at level 1, counted by range from level 2
	// unless a finding about one is malicious or suspicious.
	ranges := tally{}
	var priv []entry
	for _, ip := range ents.IPsPrivate {
		head := line{code(ip.Value)}
		if ip.Range != "" {
			head = append(head, text(" ("+ip.Range+")"))
		}
		e := b.verdictEntry(SectionIPs, head, ip.Value)
		if b.plan.level >= 2 && !e.bad {
			r := ip.Range
			if r == "" {
				r = "unnamed range"
			}
			ranges[r]++
			continue
		}
		priv = append(priv, e)
	}
	const title = "Internal addresses (not sent for enrichment)"
	var blocks []block
	if len(priv) > 0 {
		items := make([]item, len(priv))
		for i, e := range priv {
			items[i] = e.it
		}
		blocks = append(blocks, block{Kind: blockItems, Items: items})
	}
	if n := ranges.total(); n > 0 {
		c := count{What: nounPrivateIP.count(n), Why: "by range: " + ranges.String()}
		if len(priv) > 0 {
			c = count{What: nounPrivateIP.more(n), Why: c.Why, And: true}
		}
		blocks = append(blocks, countBlock(c))
	}
	blocks[0].Title = title
	return append(out, blocks...)
}

// threatIntel renders one piece of Sentinel threat intelligence.
func (b *builder) threatIntel(ti incident.ThreatIntel) line {
	s := joinNonEmpty(": ", ti.Provider, ti.Name)
	if ti.Type != "" {
		s = joinNonEmpty(" ", s, "("+ti.Type+")")
	}
	if ti.Confidence > 0 {
		s = joinNonEmpty(", ", s, fmt.Sprintf("confidence %d%%", int(math.Round(ti.Confidence*100))))
	}
	l := line{text(s)}
	if ti.Description != "" {
		if b.plan.level >= 4 && isLong(ti.Description) {
			l = append(l, text(". "), em(lengthNote("threat intelligence description", ti.Description)))
		} else {
			l = append(l, text(". "+strings.Join(strings.Fields(ti.Description), " ")))
		}
	}
	if ti.Link != "" {
		l = append(l, text(" "), link("reference", ti.Link))
	}
	return l
}

// accounts renders user identities with their findings.
func (b *builder) accounts() []block {
	var es []entry
	for _, a := range b.r.Entities.Accounts {
		e := b.verdictEntry(SectionAccounts, line{code(a.Value)}, a.Value, a.UPN, a.AADUserID, a.SID, a.ObjectGUID)
		var fs []field
		fs = fieldIf(fs, "Display name", text(a.DisplayName))
		if a.UPN != a.Value {
			fs = fieldIf(fs, "UPN", code(a.UPN))
		}
		fs = fieldIf(fs, "Entra object id", code(a.AADUserID))
		fs = fieldIf(fs, "SID", code(a.SID))
		fs = fieldIf(fs, "NT domain", text(a.NTDomain))
		e.it.Fields = fs
		es = append(es, e)
	}
	return b.list(listSpec{noun: nounAccount, context: true}, es)
}

// devices renders hosts with their findings.
func (b *builder) devices() []block {
	var es []entry
	for _, h := range b.r.Entities.Hosts {
		e := b.verdictEntry(SectionDevices, line{code(h.Value)}, h.Value, h.HostName, h.NetBIOSName, h.AzureID, h.OMSAgentID)
		var fs []field
		fs = fieldIf(fs, "OS", text(joinNonEmpty(" ", h.OSFamily, h.OSVersion)))
		fs = fieldIf(fs, "Azure id", code(h.AzureID))
		e.it.Fields = fs
		es = append(es, e)
	}
	return b.list(listSpec{noun: nounHost, context: true}, es)
}

// processes renders the analysed command lines verbatim with their
// findings, then the command lines that were not analysed and why.
func (b *builder) processes() []block {
	var es []entry
	for _, p := range b.r.Entities.CmdlinesAnalyzed {
		head := line{text("Command line")}
		if p.Image != "" {
			head = line{code(p.Image)}
		}
		e := b.verdictEntry(SectionProcesses, head, p.Value, p.Normalized)
		var fs []field
		if b.plan.level >= 4 && isLong(p.Value) {
			fs = append(fs, field{Label: "Command line", Value: line{em(lengthNote("", p.Value))}})
		} else {
			e.it.Code = []string{verbatim(p.Value)}
		}
		fs = fieldIf(fs, "Host", code(p.Host))
		fs = fieldIf(fs, "Account", code(p.Account))
		if p.ParentCmdline != "" {
			if b.plan.level >= 4 && isLong(p.ParentCmdline) {
				fs = append(fs, field{Label: "Parent", Value: line{em(lengthNote("", p.ParentCmdline))}})
			} else {
				fs = append(fs, field{Label: "Parent", Value: line{code(p.ParentCmdline)}})
			}
		}
		fs = fieldIf(fs, "Started", text(p.Created))
		e.it.Fields = fs
		es = append(es, e)
	}
	out := b.list(listSpec{title: "Analysed command lines", noun: nounCmdline}, es)

	skipped := b.r.Entities.CmdlinesSkipped
	if len(skipped) == 0 {
		return out
	}
	const title = "Command lines not analysed"
	if b.plan.level >= 2 {
		reasons := tally{}
		for _, p := range skipped {
			reasons[cmp.Or(p.SkipReason, "no reason given")]++
		}
		c := countBlock(count{What: nounCmdline.count(len(skipped)), Why: "not analysed: " + reasons.String()})
		c.Title = title
		return append(out, c)
	}
	items := make([]item, len(skipped))
	for i, p := range skipped {
		items[i] = item{Head: line{text("Reason: " + cmp.Or(p.SkipReason, "no reason given"))}, Code: []string{verbatim(p.Value)}}
	}
	return append(out, block{Kind: blockItems, Title: title, Items: items})
}
