package report

import (
	"strconv"
	"strings"
)

// indicators renders hashes, URLs, domains, e-mail addresses, mail
// messages, files, CVEs and entities of other kinds, each with its
// aggregated verdict and findings.
func (b *builder) indicators() []block {
	const sec = SectionIndicators
	ents := b.r.Entities
	var out []block

	var es []entry
	for _, h := range ents.Hashes {
		head := line{code(h.Value)}
		if h.Algorithm != "" {
			head = append(head, text(" ("+h.Algorithm+")"))
		}
		e := b.verdictEntry(sec, head, h.Value)
		if len(h.FileNames) > 0 {
			e.it.Fields = []field{{Label: "File names", Value: codes(h.FileNames)}}
		}
		es = append(es, e)
	}
	out = append(out, b.list(listSpec{title: "Hashes", noun: nounHash}, es)...)

	es = nil
	for _, u := range ents.URLs {
		e := b.verdictEntry(sec, line{code(u.Value)}, u.Value)
		es = append(es, e)
	}
	out = append(out, b.list(listSpec{title: "URLs", noun: nounURL}, es)...)

	es = nil
	for _, d := range ents.Domains {
		e := b.verdictEntry(sec, line{code(d.Value)}, d.Value)
		if len(d.ResolvedIPs) > 0 {
			e.it.Fields = []field{{Label: "Resolves to", Value: codes(d.ResolvedIPs)}}
		}
		es = append(es, e)
	}
	out = append(out, b.list(listSpec{title: "Domains", noun: nounDomain}, es)...)

	es = nil
	for _, m := range ents.Emails {
		e := b.verdictEntry(sec, line{code(m.Value)}, m.Value)
		e.it.Fields = fieldIf(nil, "Roles", text(strings.Join(m.Roles, ", ")))
		es = append(es, e)
	}
	out = append(out, b.list(listSpec{title: "E-mail addresses", noun: nounEmail}, es)...)

	es = nil
	for _, m := range ents.MailMessages {
		head := line{text(m.Subject)}
		if m.Subject == "" {
			head = line{em("(no subject)")}
		}
		e := b.verdictEntry(sec, head, m.NetworkMessageID, m.InternetMessageID)
		var fs []field
		if m.Sender != "" {
			from := line{code(m.Sender)}
			if m.SenderDisplayName != "" {
				from = append(from, text(" ("+m.SenderDisplayName+")"))
			}
			fs = append(fs, field{Label: "From", Value: from})
			if v := b.idx.verdict(sec, nil, m.Sender); v != nil && isBad(v.Level) {
				e.bad = true
			}
		}
		fs = fieldIf(fs, "Sender IP", code(m.SenderIP))
		fs = fieldIf(fs, "To", code(m.Recipient))
		fs = fieldIf(fs, "Delivery", text(joinNonEmpty(", ", m.DeliveryAction, m.DeliveryLocation)))
		fs = fieldIf(fs, "Direction", text(m.Direction))
		fs = fieldIf(fs, "Received", text(m.Received))
		if len(m.Threats) > 0 {
			fs = append(fs, field{Label: "Threats", Value: line{strong(strings.Join(m.Threats, ", "))}})
			e.bad = true
		}
		if len(m.URLs) > 0 {
			fs = append(fs, field{Label: "URLs", Value: line{text(strconv.Itoa(len(m.URLs)) + ", listed under URLs")}})
		}
		fs = fieldIf(fs, "Network message id", code(m.NetworkMessageID))
		e.it.Fields = fs
		es = append(es, e)
	}
	out = append(out, b.list(listSpec{title: "Mail messages", noun: nounMail}, es)...)

	es = nil
	for _, f := range ents.Files {
		e := b.verdictEntry(sec, line{code(f.Value)}, f.Value)
		var fs []field
		fs = fieldIf(fs, "Host", code(f.Host))
		if len(f.Hashes) > 0 {
			fs = append(fs, field{Label: "Hashes", Value: codes(f.Hashes)})
			for _, h := range f.Hashes {
				if v := b.idx.verdict(sec, nil, h); v != nil && isBad(v.Level) {
					e.bad = true
				}
			}
		}
		if len(f.Malware) > 0 {
			fs = append(fs, field{Label: "Malware", Value: line{strong(strings.Join(f.Malware, ", "))}})
			e.bad = true
		}
		e.it.Fields = fs
		es = append(es, e)
	}
	out = append(out, b.list(listSpec{title: "Files", noun: nounFile}, es)...)

	es = nil
	for _, c := range ents.CVEs {
		e := b.verdictEntry(sec, line{code(c.Value)}, c.Value)
		es = append(es, e)
	}
	out = append(out, b.list(listSpec{title: "CVEs", noun: nounCVE}, es)...)

	es = nil
	for _, o := range ents.Other {
		kind := o.Kind
		if kind == "" {
			kind = "Entity"
		}
		head := line{text(kind + ": "), code(o.Value)}
		e := b.verdictEntry(sec, head, o.Value, o.ID)
		n := otherNoun(o.Kind)
		e.noun = &n
		es = append(es, e)
	}
	out = append(out, b.list(listSpec{title: "Other entities", noun: noun{"other entity", "other entities"}}, es)...)
	return out
}
