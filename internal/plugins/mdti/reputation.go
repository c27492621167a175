package mdti

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/spotter-soc/spotter/internal/azure"
	"github.com/spotter-soc/spotter/internal/skill"
)

const source = "Microsoft Defender Threat Intelligence"

var reputationSpec = skill.Spec{
	ID:   "mdti.HostReputation",
	Name: "Defender TI host reputation",
	Description: "Gets Microsoft Defender Threat Intelligence's reputation of a domain or IP address: classification " +
		"(malicious, suspicious, neutral, unknown), a 0-100 score and the rules that produced it, with links to the " +
		"related Defender TI articles.",
	ModelDescription: "Get the Microsoft Defender Threat Intelligence reputation (classification, score, rules) of one " +
		"domain name or IP address.",
	Examples: []string{
		"What is the Defender TI reputation of evil.example?",
		"Is 203.0.113.66 malicious according to Microsoft Defender Threat Intelligence?",
		"Check the host reputation of contoso.com",
	},
	Inputs: []skill.Input{
		{Name: "host", Type: skill.TypeString, Required: true, Format: skill.FormatIndicator, Placeholder: "contoso.com",
			Description: "Domain name or IP address (IPv4 or IPv6)"},
	},
	Enriches:       []string{"ip", "domain"},
	IndicatorInput: "host",
	Section:        "indicators",
	CacheTTL:       6 * time.Hour,
}

// Rule is one reason behind a reputation.
type Rule struct {
	Name              string `json:"name"`
	Description       string `json:"description,omitempty"`
	Severity          string `json:"severity,omitempty"`
	RelatedDetailsURL string `json:"relatedDetailsUrl,omitempty"`
}

// Reputation is the Data of mdti.HostReputation, in Graph's property names
// plus the host asked about and its kind.
type Reputation struct {
	Host           string `json:"host"`
	Kind           string `json:"kind"` // ip or domain
	Found          bool   `json:"found"`
	ID             string `json:"id,omitempty"`
	Classification string `json:"classification"`
	Score          int    `json:"score"`
	Rules          []Rule `json:"rules"`
}

type hostReputation struct {
	graph *azure.Client
}

// Spec implements skill.Skill.
func (s *hostReputation) Spec() skill.Spec { return reputationSpec }

// Run reads the reputation. A host Defender TI does not know (404) is an
// unknown finding, not an error.
func (s *hostReputation) Run(ctx context.Context, in skill.Inputs) (*skill.Result, error) {
	host, kind, err := normalizeHost(in.String("host"))
	if err != nil {
		return nil, &skill.InputError{Skill: reputationSpec.ID, Input: "host", Msg: err.Error()}
	}
	rep := Reputation{Host: host, Kind: kind, Rules: []Rule{}}
	err = s.graph.Get(ctx, azure.Request{
		Path:       "/security/threatIntelligence/hosts/" + azure.Segment(host) + "/reputation",
		What:       "the reputation of " + host,
		Permission: "ThreatIntelligence.Read.All",
		License:    "a Defender Threat Intelligence license with the API add-on",
	}, &rep)
	var pe *skill.ProviderError
	switch {
	case errors.As(err, &pe) && pe.Status == 404:
		rep.Found, rep.Classification = false, "unknown"
	case err != nil:
		return nil, err
	default:
		rep.Found = true
		rep.Host, rep.Kind = host, kind // the reply has no such fields; keep ours
	}
	if rep.Rules == nil {
		rep.Rules = []Rule{}
	}
	f := finding(rep)
	res := &skill.Result{Data: rep, Findings: []skill.Finding{f}, Summary: summary(rep, f)}
	for _, r := range rep.Rules {
		if r.RelatedDetailsURL != "" && !contains(res.Links, r.RelatedDetailsURL) {
			res.Links = append(res.Links, r.RelatedDetailsURL)
		}
	}
	if len(res.Links) > 0 {
		res.Findings[0].Link = res.Links[0]
	}
	return res, nil
}

// normalizeHost accepts a domain or an IP address (brackets around IPv6 and
// a trailing dot are dropped) and says which it is.
func normalizeHost(raw string) (host, kind string, err error) {
	h := strings.TrimSuffix(strings.Trim(strings.TrimSpace(raw), "[]"), ".")
	if h == "" {
		return "", "", errors.New("required: a domain name or IP address")
	}
	if addr, err := netip.ParseAddr(h); err == nil {
		return addr.Unmap().String(), "ip", nil
	}
	if strings.ContainsAny(h, "/?#@: \t\\") || !strings.Contains(h, ".") {
		return "", "", fmt.Errorf("%q: expected a domain name (contoso.com) or an IP address, not a URL or path", raw)
	}
	return strings.ToLower(h), "domain", nil
}

// finding maps the classification: malicious and suspicious keep Defender
// TI's score; neutral is benign; unknown and values Graph adds later are
// unknown. Rules become reasons.
func finding(rep Reputation) skill.Finding {
	f := skill.Finding{Indicator: rep.Host, Type: rep.Kind, Skill: reputationSpec.ID, Source: source,
		Score: max(0, min(100, rep.Score)), Section: "indicators"}
	if rep.Kind == "ip" {
		f.Section = "ips"
	}
	switch strings.ToLower(rep.Classification) {
	case "malicious":
		f.Level = skill.Malicious
	case "suspicious":
		f.Level = skill.Suspicious
	case "neutral":
		f.Level = skill.Benign
	case "unknown", "":
		f.Level = skill.Unknown
	default:
		f.Level = skill.Unknown
		f.Reasons = append(f.Reasons, fmt.Sprintf("unrecognised classification %q", rep.Classification))
	}
	if f.Level == skill.Benign || f.Level == skill.Unknown {
		f.Score = 0
	}
	for _, r := range rep.Rules {
		reason := r.Name
		if r.Severity != "" {
			reason += " (" + r.Severity + ")"
		}
		if r.Description != "" {
			reason += ": " + r.Description
		}
		f.Reasons = append(f.Reasons, reason)
	}
	if rep.Found {
		f.Summary = fmt.Sprintf("%s, score %d, %d rule(s)", orDefault(rep.Classification, "unknown"), rep.Score, len(rep.Rules))
	} else {
		f.Summary = "not known to Defender Threat Intelligence"
	}
	return f
}

func summary(rep Reputation, f skill.Finding) string {
	s := fmt.Sprintf("Defender TI reputation of `%s` (%s): %s", rep.Host, rep.Kind, f.Summary)
	for _, r := range f.Reasons {
		s += "\n- " + r
	}
	return s
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
