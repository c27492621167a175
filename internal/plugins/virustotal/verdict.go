package virustotal

import (
	"fmt"
	"strings"

	"github.com/spotter-soc/spotter/internal/plugins/provider"
	"github.com/spotter-soc/spotter/internal/skill"
)

// Verdict thresholds.
const (
	// MaliciousEngines is how many engines must say "malicious" for a
	// malicious verdict: single detections are often heuristics or false
	// positives, five independent ones rarely are.
	MaliciousEngines = 5
	// BadReputation is a community reputation low enough to count as a
	// strong signal.
	BadReputation = -30
)

// judge maps a report to a verdict; first match wins:
//
//   - not found, or never analysed (no engine gave a verdict) → unknown, score 0;
//   - ≥ MaliciousEngines engines say malicious, or at least one does while the
//     community reputation is ≤ BadReputation → malicious, score 75 plus one
//     per engine beyond the fifth, at most 100;
//   - at least one engine says malicious or suspicious, or the reputation is
//     ≤ BadReputation → suspicious, score 25 plus 10 per malicious and 5 per
//     suspicious engine, at most 74;
//   - engines looked and none flagged it → benign, score 0.
func judge(indicator, typ, skillID string, c Common) skill.Finding {
	f := skill.Finding{Indicator: indicator, Type: typ, Skill: skillID, Source: source, Link: c.Link}
	a := c.Analysis
	switch {
	case !c.Found:
		f.Level = skill.Unknown
		f.Summary = "VirusTotal: no report on this " + noun(typ)
		return f
	case a == nil || a.Engines == 0:
		f.Level = skill.Unknown
		f.Summary = "VirusTotal: known, but no engine has analysed this " + noun(typ)
		f.Reasons = reputationReasons(c)
		return f
	}
	mal, sus := a.Stats.Malicious, a.Stats.Suspicious
	badRep := c.Reputation <= BadReputation
	switch {
	case mal >= MaliciousEngines || (mal >= 1 && badRep):
		f.Level = skill.Malicious
		f.Score = min(100, 75+max(0, mal-MaliciousEngines))
	case mal+sus > 0 || badRep:
		f.Level = skill.Suspicious
		f.Score = min(74, 25+10*mal+5*sus)
	default:
		f.Level = skill.Benign
	}
	f.Summary = fmt.Sprintf("VirusTotal: %d of %d engines flag it as malicious", mal, a.Engines)
	if sus > 0 {
		f.Summary += fmt.Sprintf(", %d as suspicious", sus)
	}
	f.Reasons = append(f.Reasons, fmt.Sprintf("%d/%d engines malicious", mal, a.Engines))
	if sus > 0 {
		f.Reasons = append(f.Reasons, fmt.Sprintf("%d/%d engines suspicious", sus, a.Engines))
	}
	var names []string
	for _, d := range a.Detections {
		if d.Result != "" && !containsFold(names, d.Result) && len(names) < 3 {
			names = append(names, d.Result)
		}
	}
	if len(names) > 0 {
		f.Reasons = append(f.Reasons, "detected as "+strings.Join(names, ", "))
	}
	f.Reasons = append(f.Reasons, reputationReasons(c)...)
	return f
}

func reputationReasons(c Common) []string {
	var r []string
	if c.Reputation != 0 {
		r = append(r, fmt.Sprintf("community reputation %d", c.Reputation))
	}
	if c.Votes.Malicious > 0 {
		r = append(r, fmt.Sprintf("%d malicious community votes", c.Votes.Malicious))
	}
	return r
}

func noun(typ string) string {
	switch typ {
	case "hash":
		return "file"
	case "ip":
		return "address"
	}
	return typ
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// analysisLines renders the shared part of a report summary.
func analysisLines(b *strings.Builder, c Common) {
	a := c.Analysis
	if !c.Found {
		b.WriteString("- No report: VirusTotal has not seen it\n")
	} else if a == nil || a.Engines == 0 {
		b.WriteString("- Never analysed by the engines\n")
	} else {
		fmt.Fprintf(b, "- Engines: %d malicious, %d suspicious, %d harmless, %d undetected", a.Stats.Malicious, a.Stats.Suspicious, a.Stats.Harmless, a.Stats.Undetected)
		if a.Date != nil {
			fmt.Fprintf(b, " (analysed %s)", a.Date.Format("2006-01-02 15:04 UTC"))
		}
		b.WriteString("\n")
		if len(a.Detections) > 0 {
			var ds []string
			for i, d := range a.Detections {
				if i == 5 {
					break
				}
				s := provider.MD(d.Engine)
				if d.Result != "" {
					s += ": " + provider.MD(d.Result)
				}
				ds = append(ds, s)
			}
			fmt.Fprintf(b, "- Detections: %s\n", strings.Join(ds, "; "))
		}
	}
	if c.Found && (c.Reputation != 0 || c.Votes.Harmless+c.Votes.Malicious > 0) {
		fmt.Fprintf(b, "- Community: reputation %d, votes %d harmless / %d malicious\n", c.Reputation, c.Votes.Harmless, c.Votes.Malicious)
	}
	if len(c.Tags) > 0 {
		var ts []string
		for _, t := range c.Tags {
			ts = append(ts, provider.MD(t))
		}
		fmt.Fprintf(b, "- Tags: %s\n", strings.Join(ts, ", "))
	}
	fmt.Fprintf(b, "- [VirusTotal page](%s)\n", c.Link)
}
