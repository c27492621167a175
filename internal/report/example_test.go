package report_test

import (
	"os"

	"github.com/spotter-soc/spotter/internal/incident"
	"github.com/spotter-soc/spotter/internal/report"
	"github.com/spotter-soc/spotter/internal/skill"
)

// A small report rendered as Markdown: one public IP address with one
// finding, and a skill that could not run.
func ExampleRender() {
	finding := skill.Finding{Indicator: "203.0.113.7", Type: "ip", Skill: "abuseipdb.CheckIP", Level: skill.Malicious,
		Score: 90, Source: "AbuseIPDB", Summary: "Reported 40 times for SSH brute force."}
	r := &report.Report{
		Incident: incident.Incident{Number: 42, Title: "Brute force against *admin*", Severity: "Medium"},
		Entities: incident.Entities{IPsPublic: []incident.IP{{Value: "203.0.113.7", Country: "NL"}}},
		Findings: []skill.Finding{finding},
		Verdict: report.Verdict{Level: skill.Malicious, Score: 90, Summary: "A reported attacker address.",
			Indicators: skill.Aggregate([]skill.Finding{finding}), Recommendations: []string{"Block 203.0.113.7."}},
		Stats:    report.Stats{Entities: 1, Indicators: 1, Findings: 1, SkillCalls: 1, DurationMS: 420},
		Coverage: []report.Coverage{{Section: report.SectionDevices, Skill: "mde.Machine", Status: report.StatusNotConfigured, Detail: "set plugins.mde.tenant_id"}},
	}
	if err := report.Render(os.Stdout, r, report.FormatMarkdown, report.Options{MaxChars: 30000}); err != nil {
		panic(err)
	}
	// Output:
	// # Brute force against \*admin\*
	//
	// ## Overview
	//
	// - **Incident:** \#42
	// - **Severity:** Medium
	//
	// ## IP addresses
	//
	// - `203.0.113.7` — **malicious**, score 90 (AbuseIPDB)
	//   - **Location:** NL
	//   - **malicious** 90, AbuseIPDB (abuseipdb.CheckIP): Reported 40 times for SSH brute force.
	//
	// ## Accounts
	//
	// No accounts.
	//
	// ## User risk
	//
	// No user risk findings.
	//
	// ## Devices
	//
	// - *Device lookup (mde.Machine): not configured — set plugins.mde.tenant\_id*
	//
	// No devices.
	//
	// ## Processes
	//
	// No command lines.
	//
	// ## Indicators
	//
	// No hashes, URLs, domains, e-mail addresses, mail messages, files, CVEs or other entities.
	//
	// ## Verdict and recommended next steps
	//
	// **Overall: malicious**, score 90
	//
	// A reported attacker address.
	//
	// ### Indicator verdicts
	//
	// | Indicator | Type | Level | Score | Sources |
	// | --- | --- | --- | --: | --- |
	// | `203.0.113.7` | ip | **malicious** | 90 | AbuseIPDB |
	//
	// ### Recommended next steps
	//
	// 1. Block 203.0.113.7.
	//
	// ---
	//
	// Spotter: 1 entity, 1 indicator, 1 finding, 1 skill call, 0 cache hits, 0 errors, 420 ms.
}
