package investigate

import (
	"cmp"
	"context"
	"fmt"
	"strings"

	"github.com/spotter-soc/spotter/internal/incident"
	"github.com/spotter-soc/spotter/internal/report"
	"github.com/spotter-soc/spotter/internal/skill"
)

// Builtin returns the sources that need no configuration and no network:
// they read the evidence Sentinel and Defender already attached to the
// incident's entities.
func Builtin() []Source {
	return []Source{sentinelTI{}, defenderMalware{}, mailThreats{}}
}

// NotConfigured lists the capabilities whose plugins are not set up, one per
// report section, so each section can say what would fill it.
func NotConfigured() []Missing {
	return []Missing{
		{report.SectionIPs, "", "add an AbuseIPDB, VirusTotal or Microsoft Defender TI plugin, or import threat feeds (spotter intel import)"},
		{report.SectionAccounts, "", "add the Microsoft Entra ID plugin for profile, devices, groups and sign-ins"},
		{report.SectionUserRisk, "", "add the Microsoft Entra ID plugin with Identity Protection access"},
		{report.SectionDevices, "", "add the Microsoft Intune plugin for compliance and last check-in"},
		{report.SectionProcesses, "", "no command-line analyser is configured; review the command lines below by hand"},
		{report.SectionIndicators, "", "add a VirusTotal, abuse.ch, AlienVault OTX or Microsoft Defender TI plugin, or import threat feeds (spotter intel import), for hash, URL and domain reputation"},
	}
}

// sentinelTI turns the threat intelligence Sentinel attached to Ip entities into findings.
type sentinelTI struct{}

func (sentinelTI) ID() string       { return "sentinel.ThreatIntelligence" }
func (sentinelTI) Section() string  { return report.SectionIPs }
func (sentinelTI) Category() string { return CategoryIPs }

func (s sentinelTI) Enrich(_ context.Context, _ *incident.Incident, e *incident.Entities) (Outcome, error) {
	var out []skill.Finding
	for _, ip := range append(append([]incident.IP{}, e.IPsPublic...), e.IPsPrivate...) {
		for _, ti := range ip.ThreatIntel {
			conf := ti.Confidence
			if conf > 1 { // some feeds write a percentage
				conf /= 100
			}
			score := int(conf*100 + 0.5)
			level := skill.Suspicious
			if conf >= 0.7 {
				level = skill.Malicious
			}
			what := strings.TrimSpace(strings.Join(nonEmpty(ti.Name, paren(ti.Type)), " "))
			if what == "" {
				what = "a threat-intelligence match"
			}
			f := skill.Finding{
				Indicator: ip.Value, Type: "ip", Skill: s.ID(), Level: level, Score: score,
				Summary: fmt.Sprintf("Sentinel threat intelligence lists %s as %s (confidence %d%%)", ip.Value, what, score),
				Source:  cmp.Or(ti.Provider, "Microsoft Sentinel threat intelligence"), Link: ti.Link,
			}
			if ti.Description != "" {
				f.Reasons = []string{ti.Description}
			}
			out = append(out, f)
		}
	}
	return Outcome{Findings: out, Calls: 1}, nil
}

// defenderMalware reports files that Defender tied to a Malware entity, and their hashes.
type defenderMalware struct{}

func (defenderMalware) ID() string       { return "defender.MalwareDetections" }
func (defenderMalware) Section() string  { return report.SectionIndicators }
func (defenderMalware) Category() string { return CategoryHashes }

func (d defenderMalware) Enrich(_ context.Context, _ *incident.Incident, e *incident.Entities) (Outcome, error) {
	var out []skill.Finding
	for _, f := range e.Files {
		if len(f.Malware) == 0 {
			continue
		}
		names := strings.Join(f.Malware, ", ")
		where := ""
		if f.Host != "" {
			where = " on " + f.Host
		}
		reason := fmt.Sprintf("detected as %s%s", names, where)
		out = append(out, skill.Finding{
			Indicator: f.Value, Type: "file", Skill: d.ID(), Level: skill.Malicious, Score: 90,
			Summary: fmt.Sprintf("Microsoft Defender detected %s in %s%s", names, f.Value, where),
			Source:  "Microsoft Defender", Reasons: []string{reason},
		})
		for _, h := range f.Hashes {
			out = append(out, skill.Finding{
				Indicator: h, Type: "hash", Skill: d.ID(), Level: skill.Malicious, Score: 90,
				Summary: fmt.Sprintf("Hash of %s, which Microsoft Defender detected as %s", f.Name, names),
				Source:  "Microsoft Defender", Reasons: []string{reason},
			})
		}
	}
	return Outcome{Findings: out, Calls: 1}, nil
}

// mailThreats reports messages Defender for Office 365 flagged, judging
// their senders and links.
type mailThreats struct{}

func (mailThreats) ID() string       { return "defender.MailThreats" }
func (mailThreats) Section() string  { return report.SectionIndicators }
func (mailThreats) Category() string { return CategoryMail }

func (m mailThreats) Enrich(_ context.Context, _ *incident.Incident, e *incident.Entities) (Outcome, error) {
	var out []skill.Finding
	for _, msg := range e.MailMessages {
		if len(msg.Threats) == 0 {
			continue
		}
		threats := strings.Join(msg.Threats, ", ")
		level, score := skill.Suspicious, 60
		for _, t := range msg.Threats {
			if lt := strings.ToLower(t); strings.Contains(lt, "phish") || strings.Contains(lt, "malware") {
				level, score = skill.Malicious, 85
			}
		}
		delivery := strings.TrimSpace(strings.Join(nonEmpty(msg.DeliveryAction, paren(msg.DeliveryLocation)), " "))
		reason := fmt.Sprintf("message %q flagged as %s", msg.Subject, threats)
		if delivery != "" {
			reason += "; delivery: " + delivery
		}
		if msg.Sender != "" {
			out = append(out, skill.Finding{
				Indicator: strings.ToLower(msg.Sender), Type: "email", Skill: m.ID(), Level: level, Score: score,
				Summary: fmt.Sprintf("Defender for Office 365 flagged mail from %s as %s", msg.Sender, threats),
				Source:  "Microsoft Defender for Office 365", Reasons: []string{reason},
			})
		}
		for _, u := range msg.URLs {
			out = append(out, skill.Finding{
				Indicator: u, Type: "url", Skill: m.ID(), Level: skill.Suspicious, Score: score - 10,
				Summary: fmt.Sprintf("Link in a message flagged as %s", threats),
				Source:  "Microsoft Defender for Office 365", Reasons: []string{reason},
			})
		}
	}
	return Outcome{Findings: out, Calls: 1}, nil
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return "(" + s + ")"
}

func nonEmpty(vals ...string) []string {
	var out []string
	for _, v := range vals {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}
