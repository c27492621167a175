package investigate

import (
	"fmt"
	"strings"

	"github.com/spotter-soc/spotter/internal/incident"
	"github.com/spotter-soc/spotter/internal/report"
	"github.com/spotter-soc/spotter/internal/skill"
)

// Verdict aggregates the findings per indicator, judges the incident as a
// whole and derives recommended next steps from what was found.
func Verdict(inc *incident.Incident, e *incident.Entities, findings []skill.Finding) report.Verdict {
	v := report.Verdict{Level: skill.Unknown, Indicators: skill.Aggregate(findings), Recommendations: []string{}}
	if v.Indicators == nil {
		v.Indicators = []skill.Verdict{}
	}
	counts := map[skill.Level]int{}
	for _, iv := range v.Indicators {
		counts[iv.Level]++
		if iv.Level.Rank() > v.Level.Rank() {
			v.Level, v.Score = iv.Level, iv.Score
		}
	}
	bad := byLevel(v.Indicators, skill.Malicious, skill.Suspicious)
	total := len(e.IPsPublic) + len(e.Accounts) + len(e.Hosts) + len(e.CmdlinesAnalyzed) + len(e.Hashes) + len(e.URLs) + len(e.Domains) + len(e.Emails) + len(e.CVEs)

	var sum []string
	switch {
	case counts[skill.Malicious] > 0:
		sum = append(sum, fmt.Sprintf("Likely true positive: %s judged malicious (%s)", plural(counts[skill.Malicious], "indicator"), describe(bad, skill.Malicious)))
		if n := counts[skill.Suspicious]; n > 0 {
			sum = append(sum, fmt.Sprintf("%d more suspicious", n))
		}
	case counts[skill.Suspicious] > 0:
		sum = append(sum, fmt.Sprintf("Needs review: %s judged suspicious (%s), none malicious", plural(counts[skill.Suspicious], "indicator"), describe(bad, skill.Suspicious)))
	case len(v.Indicators) > 0:
		sum = append(sum, fmt.Sprintf("No malicious or suspicious verdicts on the %d indicators judged", len(v.Indicators)))
	default:
		sum = append(sum, fmt.Sprintf("No source judged any of the %s; triage on the incident's own evidence", plural(total, "indicator")))
	}
	if inc.Severity != "" {
		sum = append(sum, "incident severity "+inc.Severity)
	}
	if len(inc.Tactics) > 0 {
		sum = append(sum, "tactics "+strings.Join(inc.Tactics, ", "))
	}
	v.Summary = strings.Join(sum, "; ") + "."
	v.Recommendations = recommend(inc, e, v)
	return v
}

func recommend(inc *incident.Incident, e *incident.Entities, v report.Verdict) []string {
	var r []string
	add := func(format string, args ...any) { r = append(r, fmt.Sprintf(format, args...)) }
	badIPs := valuesOfType(v.Indicators, "ip")
	badHashes := valuesOfType(v.Indicators, "hash")
	badFiles := valuesOfType(v.Indicators, "file")
	badURLs := valuesOfType(v.Indicators, "url")
	badDomains := valuesOfType(v.Indicators, "domain")
	badSenders := valuesOfType(v.Indicators, "email")
	serious := v.Level == skill.Malicious || v.Level == skill.Suspicious

	if len(badIPs) > 0 {
		add("Block %s at the perimeter and search firewall, proxy and sign-in logs for other devices and accounts that contacted them.", list(badIPs, 5))
	}
	if len(badHashes) > 0 || len(badFiles) > 0 {
		add("Add %s to Defender indicators (block and remediate) and hunt for the file across all devices.", list(append(badHashes, badFiles...), 5))
	}
	if len(badURLs)+len(badDomains) > 0 {
		add("Block %s in the web proxy and Defender for Office 365, and find every user who received or clicked them.", list(append(badURLs, badDomains...), 5))
	}
	if len(badSenders) > 0 {
		add("Purge the flagged messages from %s from all mailboxes and block the sender%s.", list(badSenders, 5), pluralS(len(badSenders)))
	}
	if serious && len(e.Accounts) > 0 {
		add("Revoke the sessions of %s, reset their credentials and review their sign-ins and MFA registrations of the last 72 hours.", list(accountValues(e.Accounts), 5))
	}
	if serious && len(e.Hosts) > 0 {
		add("Isolate %s and collect an investigation package before remediation.", list(hostValues(e.Hosts), 5))
	}
	if badProcs := valuesOfType(v.Indicators, "process"); len(badProcs) > 0 {
		add("Trace the processes behind the %s judged malicious or suspicious under Processes: their parent chain, the files they wrote and the connections they made.", plural(len(badProcs), "command line"))
	} else if len(e.CmdlinesAnalyzed) > 0 {
		add("Review the %s under Processes for attacker tradecraft (encoded commands, download cradles, credential access).", plural(len(e.CmdlinesAnalyzed), "command line"))
	}
	if len(e.CVEs) > 0 {
		add("Check exposure to %s and patch affected systems.", list(indicatorValues(e.CVEs), 5))
	}
	if len(v.Indicators) == 0 && len(e.IPsPublic)+len(e.Hashes)+len(e.URLs)+len(e.Domains) > 0 {
		add("Configure reputation plugins (spotter.yaml, plugins section) so the %s can be judged automatically.", plural(len(e.IPsPublic)+len(e.Hashes)+len(e.URLs)+len(e.Domains), "public indicator"))
	}
	if !serious {
		add("If the activity is explained by a change or an authorised test, close the incident as benign positive with the reason; otherwise escalate with this report.")
	} else if inc.Status == "New" {
		add("Set the incident to Active, assign an owner and escalate following the incident response plan.")
	}
	return r
}

func byLevel(vs []skill.Verdict, levels ...skill.Level) []skill.Verdict {
	var out []skill.Verdict
	for _, v := range vs {
		for _, l := range levels {
			if v.Level == l {
				out = append(out, v)
			}
		}
	}
	return out
}

// describe names the indicators of one level, command lines only by count:
// they are long, and the table below lists them.
func describe(vs []skill.Verdict, level skill.Level) string {
	var names []string
	procs := 0
	for _, v := range vs {
		switch {
		case v.Level != level:
		case v.Type == "process":
			procs++
		default:
			names = append(names, v.Indicator)
		}
	}
	if procs > 0 {
		return list(append(trim(names, 3), plural(procs, "command line")), 4)
	}
	return list(names, 3)
}

func trim(s []string, n int) []string {
	if len(s) > n {
		return append(s[:n:n], fmt.Sprintf("%d more", len(s)-n))
	}
	return s
}

// valuesOfType lists the malicious and suspicious indicators of one type.
func valuesOfType(vs []skill.Verdict, typ string) []string {
	var out []string
	for _, v := range byLevel(vs, skill.Malicious, skill.Suspicious) {
		if v.Type == typ {
			out = append(out, v.Indicator)
		}
	}
	return out
}

func accountValues(a []incident.Account) []string {
	out := make([]string, len(a))
	for i := range a {
		out[i] = a[i].Value
	}
	return out
}

func hostValues(h []incident.Host) []string {
	out := make([]string, len(h))
	for i := range h {
		out[i] = h[i].Value
	}
	return out
}

func indicatorValues(in []incident.Indicator) []string {
	out := make([]string, len(in))
	for i := range in {
		out[i] = in[i].Value
	}
	return out
}

// list joins up to max values and counts the rest: "a, b and 3 more".
func list(vals []string, max int) string {
	if len(vals) <= max {
		if len(vals) <= 1 {
			return strings.Join(vals, "")
		}
		return strings.Join(vals[:len(vals)-1], ", ") + " and " + vals[len(vals)-1]
	}
	return strings.Join(vals[:max], ", ") + fmt.Sprintf(" and %d more", len(vals)-max)
}

func plural(n int, noun string) string {
	return fmt.Sprintf("%d %s%s", n, noun, pluralS(n))
}

func pluralS(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
