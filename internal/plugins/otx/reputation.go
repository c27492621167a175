package otx

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/spotter-soc/spotter/internal/plugins/provider"
	"github.com/spotter-soc/spotter/internal/skill"
)

// MaxPulses bounds how many pulses (most recently modified first) a result lists.
const MaxPulses = 10

// Report is the result of otx.IndicatorReputation.
type Report struct {
	Indicator string `json:"indicator"`
	// Type is the OTX indicator type the lookup used: IPv4, IPv6, domain,
	// hostname, url or file.
	Type       string  `json:"type"`
	Found      bool    `json:"found"` // false when OTX answered 404
	PulseCount int     `json:"pulse_count"`
	Pulses     []Pulse `json:"pulses,omitempty"`
	// Tags, MalwareFamilies, Adversaries and AttackIDs are the distinct
	// values over all pulses, most frequent first.
	Tags            []string `json:"tags,omitempty"`
	MalwareFamilies []string `json:"malware_families,omitempty"`
	Adversaries     []string `json:"adversaries,omitempty"`
	AttackIDs       []string `json:"attack_ids,omitempty"`
	// Allowlisted is true when OTX validates the indicator as known-good
	// (Validation gives its reasons).
	Allowlisted    bool     `json:"allowlisted"`
	Validation     []string `json:"validation,omitempty"`
	FalsePositives int      `json:"false_positives,omitempty"`
	ASN            string   `json:"asn,omitempty"`
	Country        string   `json:"country,omitempty"`
	Link           string   `json:"link"`
}

// Pulse is one OTX threat pulse that mentions the indicator.
type Pulse struct {
	ID              string     `json:"id"`
	Name            string     `json:"name"`
	Author          string     `json:"author,omitempty"`
	Created         *time.Time `json:"created,omitempty"`
	Modified        *time.Time `json:"modified,omitempty"`
	TLP             string     `json:"tlp,omitempty"`
	Tags            []string   `json:"tags,omitempty"`
	MalwareFamilies []string   `json:"malware_families,omitempty"`
	Adversary       string     `json:"adversary,omitempty"`
	Link            string     `json:"link,omitempty"`
}

// reputation looks one indicator up.
func (c *client) reputation(ctx context.Context, in skill.Inputs) (*skill.Result, error) {
	t, err := detect(in.String("indicator"))
	if err != nil {
		return nil, err
	}
	r, err := c.general(ctx, t.otxType, t.value)
	if err != nil {
		return nil, err
	}
	return generalResult(t, r, c.Key())
}

func generalResult(t target, r *provider.Response, key string) (*skill.Result, error) {
	rep := Report{Indicator: t.value, Type: t.otxType, Link: t.link()}
	switch r.Status {
	case http.StatusOK:
	case http.StatusNotFound:
		f := judge(t, rep)
		return &skill.Result{Data: rep, Summary: summary(rep, f), Findings: []skill.Finding{f}, Links: []string{rep.Link}}, nil
	default:
		return nil, apiError(r, key)
	}
	d, err := decodeGeneral(r.Body, key)
	if err != nil {
		return nil, err
	}
	rep.Found = true
	rep.ASN, rep.Country = provider.Clip(d.ASN, 120), provider.Clip(provider.OrDefault(d.CountryName, d.CountryCode), 60)
	for _, v := range d.Validation {
		if len(rep.Validation) < 10 {
			rep.Validation = append(rep.Validation, provider.Clip(provider.OrDefault(v.Message, provider.OrDefault(v.Name, v.Source)), 120))
		}
	}
	rep.Allowlisted, rep.FalsePositives = len(d.Validation) > 0, len(d.FalsePositive)
	if pi := d.PulseInfo; pi != nil {
		rep.PulseCount = max(int(pi.Count), len(pi.Pulses))
		tags, families, adversaries, attacks := tally{}, tally{}, tally{}, tally{}
		for _, p := range pi.Pulses {
			tags.add(p.Tags...)
			families.add(p.MalwareFamilies...)
			adversaries.add(p.Adversary)
			attacks.add(p.AttackIDs...)
			rep.Pulses = append(rep.Pulses, convert(p))
		}
		if rel := pi.Related; rel != nil {
			families.add(append(rel.AlienVault.MalwareFamilies, rel.Other.MalwareFamilies...)...)
			adversaries.add(append(rel.AlienVault.Adversary, rel.Other.Adversary...)...)
		}
		rep.Tags, rep.MalwareFamilies, rep.Adversaries, rep.AttackIDs = tags.top(20), families.top(10), adversaries.top(10), attacks.top(20)
		sort.SliceStable(rep.Pulses, func(i, j int) bool { return newer(rep.Pulses[i].Modified, rep.Pulses[j].Modified) })
		rep.Pulses = rep.Pulses[:min(MaxPulses, len(rep.Pulses))]
	}
	f := judge(t, rep)
	return &skill.Result{Data: rep, Summary: summary(rep, f), Findings: []skill.Finding{f}, Links: []string{rep.Link}}, nil
}

func convert(p pulse) Pulse {
	out := Pulse{ID: provider.Clip(p.ID, 40), Name: provider.Clip(p.Name, 200), Created: parseTime(p.Created), Modified: parseTime(p.Modified),
		TLP: provider.Clip(p.TLP, 20), Tags: provider.ClipAll(p.Tags, 10), MalwareFamilies: provider.ClipAll(p.MalwareFamilies, 10), Adversary: provider.Clip(p.Adversary, 80)}
	if p.Author != nil {
		out.Author = provider.Clip(p.Author.Username, 60)
	}
	if isAlnum(out.ID) {
		out.Link = GUI + "/pulse/" + out.ID
	}
	return out
}

// judge maps the general section to a verdict; first match wins:
//
//   - OTX allowlists it (validation entries such as a popularity ranking or
//     a known-good list) → benign, score 0;
//   - no pulse mentions it (or OTX does not know it) → unknown, score 0;
//   - ten or more pulses, or two or more that name a malware family →
//     malicious, score 75 plus one per pulse, at most 100;
//   - otherwise (one pulse, or a few without a family) → suspicious, score
//     30 plus 10 per pulse, at most 74.
//
// Pulses are written by the community and vary in quality, which is why a
// single pulse is not enough for a malicious verdict. When OTX records false
// positive reports on the indicator, a malicious verdict is lowered to suspicious.
func judge(t target, r Report) skill.Finding {
	f := skill.Finding{Indicator: t.value, Type: t.kind, Skill: IndicatorReputationID, Source: source, Link: r.Link}
	n := r.PulseCount
	switch {
	case r.Allowlisted:
		f.Level = skill.Benign
	case n == 0:
		f.Level = skill.Unknown
	case n >= 10 || (n >= 2 && len(r.MalwareFamilies) > 0):
		f.Level, f.Score = skill.Malicious, min(100, 75+n)
	default:
		f.Level, f.Score = skill.Suspicious, min(74, 30+10*n)
	}
	if f.Level == skill.Malicious && r.FalsePositives > 0 {
		f.Level, f.Score = skill.Suspicious, 74
	}
	switch {
	case !r.Found:
		f.Summary = "OTX: unknown indicator"
	case r.Allowlisted:
		f.Summary = fmt.Sprintf("OTX: allowlisted (%s); %s", strings.Join(r.Validation[:min(2, len(r.Validation))], "; "), provider.Count(n, "pulse"))
	default:
		f.Summary = "OTX: " + provider.Count(n, "pulse")
		if len(r.MalwareFamilies) > 0 {
			f.Summary += ", malware " + strings.Join(r.MalwareFamilies[:min(3, len(r.MalwareFamilies))], ", ")
		}
	}
	if n > 0 {
		f.Reasons = append(f.Reasons, "in "+provider.Count(n, "OTX pulse"))
	}
	for _, m := range r.MalwareFamilies[:min(3, len(r.MalwareFamilies))] {
		f.Reasons = append(f.Reasons, "malware family "+m)
	}
	for _, a := range r.Adversaries[:min(2, len(r.Adversaries))] {
		f.Reasons = append(f.Reasons, "adversary "+a)
	}
	if len(r.Tags) > 0 {
		f.Reasons = append(f.Reasons, "tags: "+strings.Join(r.Tags[:min(5, len(r.Tags))], ", "))
	}
	if r.Allowlisted {
		f.Reasons = append(f.Reasons, "allowlisted by OTX")
	}
	if r.FalsePositives > 0 {
		f.Reasons = append(f.Reasons, provider.Count(r.FalsePositives, "false positive report"))
	}
	return f
}

func summary(r Report, f skill.Finding) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**AlienVault OTX** — %s `%s`: **%s**\n\n", r.Type, strings.ReplaceAll(r.Indicator, "`", "%60"), f.Level)
	if !r.Found {
		b.WriteString("- OTX does not know this indicator\n")
	} else {
		fmt.Fprintf(&b, "- Pulses: %d\n", r.PulseCount)
	}
	if r.Allowlisted {
		fmt.Fprintf(&b, "- Allowlisted: %s\n", provider.MDJoin(r.Validation))
	}
	if len(r.MalwareFamilies) > 0 {
		fmt.Fprintf(&b, "- Malware families: %s\n", provider.MDJoin(r.MalwareFamilies))
	}
	if len(r.Adversaries) > 0 {
		fmt.Fprintf(&b, "- Adversaries: %s\n", provider.MDJoin(r.Adversaries))
	}
	if len(r.AttackIDs) > 0 {
		fmt.Fprintf(&b, "- ATT&CK: %s\n", provider.MDJoin(r.AttackIDs[:min(10, len(r.AttackIDs))]))
	}
	if len(r.Tags) > 0 {
		fmt.Fprintf(&b, "- Tags: %s\n", provider.MDJoin(r.Tags[:min(10, len(r.Tags))]))
	}
	for i, p := range r.Pulses {
		if i == 5 {
			break
		}
		if p.Link != "" {
			fmt.Fprintf(&b, "- [%s](%s)\n", provider.MD(p.Name), p.Link)
		} else {
			fmt.Fprintf(&b, "- %s\n", provider.MD(p.Name))
		}
	}
	fmt.Fprintf(&b, "- [OTX page](%s)\n", r.Link)
	return b.String()
}

// tally counts distinct non-empty values.
type tally map[string]int

func (t tally) add(vs ...string) {
	for _, v := range vs {
		if v = provider.Clip(v, 80); v != "" {
			t[v]++
		}
	}
}

// top lists at most n values, most frequent first, ties alphabetically.
func (t tally) top(n int) []string {
	out := make([]string, 0, len(t))
	for v := range t {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool {
		if t[out[i]] != t[out[j]] {
			return t[out[i]] > t[out[j]]
		}
		return out[i] < out[j]
	})
	if len(out) == 0 {
		return nil
	}
	return out[:min(n, len(out))]
}

func newer(a, b *time.Time) bool {
	switch {
	case a == nil:
		return false
	case b == nil:
		return true
	}
	return a.After(*b)
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return s != ""
}
