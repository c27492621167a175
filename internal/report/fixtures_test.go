package report

import (
	"fmt"
	"strings"

	"github.com/spotter-soc/spotter/internal/incident"
	"github.com/spotter-soc/spotter/internal/skill"
)

// Report fixtures for the tests. They are built in code rather than read
// from files so each test can change a field without a second copy.

const portalURL = "https://portal.azure.com/#asset/Microsoft_Azure_Security_Insights/Incident/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/soc/providers/Microsoft.OperationalInsights/workspaces/soc-ws/providers/Microsoft.SecurityInsights/Incidents/6f1c2d3e-0000-4000-8000-000000000001"

// emptyEntities is an Entities value with every list non-nil, as the
// incident package produces it.
func emptyEntities() incident.Entities {
	return incident.Entities{
		IPsPublic: []incident.IP{}, IPsPrivate: []incident.IP{}, Accounts: []incident.Account{},
		Hosts: []incident.Host{}, CmdlinesAnalyzed: []incident.Process{}, CmdlinesSkipped: []incident.Process{},
		Hashes: []incident.Hash{}, URLs: []incident.URL{}, Domains: []incident.Domain{}, Emails: []incident.Email{},
		MailMessages: []incident.MailMessage{}, Files: []incident.File{}, CVEs: []incident.Indicator{},
		Other: []incident.OtherEntity{}, Skipped: []incident.Skip{},
	}
}

// finish fills the verdicts and figures that follow from the findings.
func finish(r *Report) *Report {
	r.Verdict.Indicators = skill.Aggregate(r.Findings)
	r.Stats.Findings = len(r.Findings)
	r.Stats.Indicators = len(r.Verdict.Indicators)
	r.Stats.IndicatorsSkipped = len(r.Entities.Skipped)
	r.Stats.Alerts = len(r.Incident.Alerts)
	return r
}

// emptyReport is an incident with nothing but a title.
func emptyReport() *Report {
	return &Report{
		Incident: incident.Incident{Title: "Suspicious sign-in"},
		Entities: emptyEntities(),
	}
}

// phishingReport is a delivered phishing mail whose link was clicked: a
// malicious URL, a benign domain, a suspicious sender address.
func phishingReport() *Report {
	const (
		user    = "j.doe@contoso.com"
		badURL  = "https://login-micros0ft.example/owa/?user=j.doe&session=7781"
		goodDom = "contoso.sharepoint.com"
		sender  = "198.51.100.23"
	)
	ents := emptyEntities()
	ents.IPsPublic = []incident.IP{{Value: sender, Version: 4, Country: "NL", City: "Amsterdam", ASN: 64501, Sources: []string{"entity:Ip", "entity:MailMessage"}}}
	ents.IPsPrivate = []incident.IP{{Value: "10.20.30.40", Version: 4, Range: "private-use", Sources: []string{"entity:Ip"}}}
	ents.Accounts = []incident.Account{{Value: user, UPN: user, Name: "j.doe", UPNSuffix: "contoso.com", DisplayName: "Jane Doe",
		AADUserID: "4b1f0c7e-2d9a-4c1e-9f3b-7a6d5e4c3b2a", SID: "S-1-12-1-1260392574-1276922266-3039387551-717108026", NTDomain: "CONTOSO", Sources: []string{"entity:Account"}}}
	ents.Hosts = []incident.Host{{Value: "laptop-jd01.contoso.com", HostName: "LAPTOP-JD01", DNSDomain: "contoso.com", AzureID: "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/endpoints/providers/Microsoft.Compute/virtualMachines/LAPTOP-JD01", OSFamily: "Windows", OSVersion: "11 23H2", Sources: []string{"entity:Host"}}}
	ents.URLs = []incident.URL{{Value: badURL, Host: "login-micros0ft.example", Sources: []string{"entity:Url"}}}
	ents.Domains = []incident.Domain{{Value: goodDom, Sources: []string{"text:description"}}}
	ents.Emails = []incident.Email{
		{Value: "it-support@login-micros0ft.example", Roles: []string{"sender"}, Sources: []string{"entity:MailMessage"}},
		{Value: user, Roles: []string{"recipient", "mailbox"}, Sources: []string{"entity:MailMessage", "entity:Mailbox"}},
	}
	ents.MailMessages = []incident.MailMessage{{
		Subject: "Action required: your mailbox is almost full", Sender: "it-support@login-micros0ft.example", SenderDisplayName: "IT Support",
		SenderIP: sender, Recipient: user, URLs: []string{badURL}, Threats: []string{"Phish"}, DeliveryAction: "Delivered",
		DeliveryLocation: "Inbox", Direction: "Inbound", Received: "2025-03-04T08:02:11Z", NetworkMessageID: "0e6a1f9c-5b8d-4c2e-a7f3-9d1b2c3e4f50",
	}}
	ents.Skipped = []incident.Skip{
		{Type: "account", Value: "LAPTOP-JD01$", Reason: "machine account"},
		{Type: "domain", Value: "contoso.com", Reason: "skip list"},
	}
	r := &Report{
		Incident: incident.Incident{
			Name: "6f1c2d3e-0000-4000-8000-000000000001", Number: 4711,
			Title:       "Phishing link clicked by j.doe@contoso.com",
			Description: "A user clicked a link in a message that was later identified as phishing.\n\nZero-hour auto purge could not remove the message.",
			Severity:    "High", Status: "Active", Owner: "SOC Tier 1",
			Labels: []string{"phishing", "vip"}, Tactics: []string{"InitialAccess", "CredentialAccess"}, Techniques: []string{"T1566.002"},
			Products: []string{"Microsoft Defender for Office 365"},
			Created:  "2025-03-04T08:12:40Z", FirstActivity: "2025-03-04T08:02:11Z", LastActivity: "2025-03-04T08:09:57Z",
			URL: portalURL,
			Alerts: []incident.Alert{
				{Name: "A potentially malicious URL click was detected", Severity: "High", Product: "Microsoft Defender for Office 365",
					Description: "We have detected that one of your users has recently clicked on a link that was found to be malicious.", Tactics: []string{}, Techniques: []string{}},
				{Name: "Email messages containing malicious URL removed after delivery", Severity: "Informational", Product: "Microsoft Defender for Office 365", Tactics: []string{}, Techniques: []string{}},
			},
			Comments: []incident.Comment{{Message: "Looking into it.", Author: "alice@contoso.com", Created: "2025-03-04T08:20:00Z"}},
			Shape:    incident.ShapeTrigger,
		},
		Entities: ents,
		Findings: []skill.Finding{
			{Indicator: badURL, Type: "url", Skill: "virustotal.URLReport", Level: skill.Malicious, Score: 95, Source: "VirusTotal",
				Summary: "14 of 94 engines flag this URL as phishing.", Link: "https://www.virustotal.com/gui/url/5f1e2d3c4b5a69788796a5b4c3d2e1f0", Reasons: []string{"phishing", "credential harvesting"}},
			{Indicator: badURL, Type: "url", Skill: "urlscan.Search", Level: skill.Malicious, Score: 90, Source: "urlscan.io",
				Summary: "The page imitates the Microsoft 365 sign-in page."},
			{Indicator: goodDom, Type: "domain", Skill: "virustotal.DomainReport", Level: skill.Benign, Score: 0, Source: "VirusTotal", Summary: "No engine flags this domain."},
			{Indicator: sender, Type: "ip", Skill: "abuseipdb.CheckIP", Level: skill.Suspicious, Score: 45, Source: "AbuseIPDB", Summary: "Reported 12 times in the last 90 days (spam, phishing)."},
			{Indicator: user, Type: "account", Skill: "entra.UserRisk", Level: skill.Suspicious, Score: 60, Source: "Entra ID Protection",
				Summary: "User risk is medium: unfamiliar sign-in properties.", Section: SectionUserRisk},
			{Indicator: user, Type: "account", Skill: "entra.User", Level: skill.Info, Score: 0, Source: "Entra ID", Summary: "Enabled account in Finance; MFA registered."},
			{Indicator: "laptop-jd01.contoso.com", Type: "host", Skill: "mde.Machine", Level: skill.Info, Score: 0, Source: "Defender for Endpoint", Summary: "Onboarded; exposure level medium."},
		},
		Verdict: Verdict{
			Level: skill.Malicious, Score: 95,
			Summary: "The user clicked a credential-phishing link delivered from a reported sender address; the account shows medium user risk.",
			Recommendations: []string{
				"Reset the password of j.doe@contoso.com and revoke its sessions.",
				"Block login-micros0ft.example at the proxy and in Defender for Office 365.",
				"Purge the message from all mailboxes with the same network message id.",
			},
		},
		Stats: Stats{GeneratedAt: "2025-03-04T08:15:02Z", DurationMS: 3240, Entities: 9, EntitiesByKind: map[string]int{"Ip": 2, "Account": 1, "Host": 1, "Url": 1, "MailMessage": 1, "Mailbox": 1},
			SkillCalls: 9, CacheHits: 2, Errors: 1},
		Coverage: []Coverage{
			{Section: SectionIPs, Skill: "abuseipdb.CheckIP", Status: StatusRan},
			{Section: SectionIPs, Skill: "greynoise.Community", Status: StatusNotConfigured, Detail: "set plugins.greynoise.api_key"},
			{Section: SectionDevices, Skill: "mde.Machine", Status: StatusRan},
			{Section: SectionDevices, Skill: "mde.Alerts", Status: StatusFailed, Detail: "HTTP 403 from the Defender API"},
			{Section: SectionProcesses, Skill: "cmdline.Analyze", Status: StatusNoInput},
		},
	}
	return finish(r)
}

// words returns n distinct words with the given prefix, space-separated.
func words(prefix string, n int) string {
	w := make([]string, n)
	for i := range w {
		w[i] = fmt.Sprintf("%s%04d", prefix, i)
	}
	return strings.Join(w, " ")
}

// Values of the ransomware fixture the tests look for.
const (
	ransomMalIP     = "203.0.113.66"
	ransomMalDomain = "update-cdn-sync.example"
	ransomHash1     = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	ransomVSS       = "vssadmin.exe delete shadows /all /quiet"
)

// ransomLongCmd is a suspicious command line longer than the long-field limit.
var ransomLongCmd = "powershell.exe -NoProfile -ExecutionPolicy Bypass -EncodedCommand " + strings.Repeat("SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA", 8)

// ransomwareReport is a ransomware-like incident with hundreds of benign and
// unknown domains and hashes and a few malicious or suspicious items.
func ransomwareReport() *Report {
	ents := emptyEntities()
	var fs []skill.Finding
	add := func(f skill.Finding) { fs = append(fs, f) }

	for i := range 40 {
		ents.IPsPublic = append(ents.IPsPublic, incident.IP{Value: fmt.Sprintf("192.0.2.%d", i+10), Version: 4, Country: "US", ASN: 64496 + i%3, Sources: []string{"entity:Ip"}})
		add(skill.Finding{Indicator: fmt.Sprintf("192.0.2.%d", i+10), Type: "ip", Skill: "abuseipdb.CheckIP", Level: skill.Benign, Score: i % 5, Source: "AbuseIPDB", Summary: "No reports in the last 90 days."})
	}
	ents.IPsPublic = append(ents.IPsPublic, incident.IP{Value: ransomMalIP, Version: 4, Country: "RU", City: "Moscow", ASN: 64511, Sources: []string{"entity:Ip"},
		ThreatIntel: []incident.ThreatIntel{{Provider: "Microsoft", Type: "ipv4-addr", Name: "Known ransomware C2", Confidence: 0.9, Description: "Command-and-control server seen in ransomware intrusions."}}})
	add(skill.Finding{Indicator: ransomMalIP, Type: "ip", Skill: "abuseipdb.CheckIP", Level: skill.Malicious, Score: 100, Source: "AbuseIPDB", Summary: "Reported 812 times; confidence of abuse 100%."})
	add(skill.Finding{Indicator: ransomMalIP, Type: "ip", Skill: "virustotal.IPReport", Level: skill.Suspicious, Score: 55, Source: "VirusTotal", Summary: "5 of 94 engines flag this address."})
	for i := range 25 {
		ents.IPsPrivate = append(ents.IPsPrivate, incident.IP{Value: fmt.Sprintf("10.0.%d.%d", i/10, i), Version: 4, Range: []string{"private-use", "private-use", "loopback"}[i%3], Sources: []string{"entity:Ip"}})
	}
	for i := range 12 {
		ents.Accounts = append(ents.Accounts, incident.Account{Value: fmt.Sprintf("user%02d@contoso.com", i), UPN: fmt.Sprintf("user%02d@contoso.com", i), DisplayName: fmt.Sprintf("User %02d", i), Sources: []string{"entity:Account"}})
	}
	for i := range 9 {
		ents.Hosts = append(ents.Hosts, incident.Host{Value: fmt.Sprintf("srv-file%02d.contoso.com", i), OSFamily: "Windows", OSVersion: "Server 2019", Sources: []string{"entity:Host"}})
	}
	ents.CmdlinesAnalyzed = []incident.Process{
		{Value: ransomVSS, Normalized: ransomVSS, Image: "vssadmin.exe", Host: "srv-file00.contoso.com", Account: "CONTOSO\\svc-backup", ParentCmdline: "cmd.exe /c run.bat", Sources: []string{"entity:Process"}},
		{Value: ransomLongCmd, Normalized: strings.ToLower(ransomLongCmd), Image: "powershell.exe", Host: "srv-file01.contoso.com", Sources: []string{"entity:Process"}},
	}
	add(skill.Finding{Indicator: ransomVSS, Type: "process", Skill: "cmdline.Analyze", Level: skill.Malicious, Score: 85, Source: "Spotter rules", Summary: "Deletes all volume shadow copies, a common step before encryption."})
	add(skill.Finding{Indicator: ransomLongCmd, Type: "process", Skill: "cmdline.Analyze", Level: skill.Suspicious, Score: 70, Source: "Spotter rules", Summary: "Runs an encoded PowerShell command with the execution policy bypassed."})
	for i := range 8 {
		cmd := fmt.Sprintf("svchost.exe -k netsvcs -p -s Schedule%d", i)
		ents.CmdlinesAnalyzed = append(ents.CmdlinesAnalyzed, incident.Process{Value: cmd, Normalized: cmd, Image: "svchost.exe", Sources: []string{"entity:Process"}})
		add(skill.Finding{Indicator: cmd, Type: "process", Skill: "cmdline.Analyze", Level: skill.Benign, Score: 0, Source: "Spotter rules", Summary: "A Windows service host."})
	}
	for i := range 15 {
		ents.CmdlinesSkipped = append(ents.CmdlinesSkipped, incident.Process{Value: fmt.Sprintf("conhost.exe 0xffffffff -ForceV1 %d", i), SkipReason: []string{"allow list", "duplicate", "allow list"}[i%3]})
	}
	ents.Hashes = append(ents.Hashes,
		incident.Hash{Value: ransomHash1, Algorithm: "sha256", FileNames: []string{"locker.exe"}, Sources: []string{"entity:FileHash"}})
	add(skill.Finding{Indicator: ransomHash1, Type: "sha256", Skill: "virustotal.FileReport", Level: skill.Malicious, Score: 98, Source: "VirusTotal", Summary: "61 of 72 engines: Ransom:Win64/LockBit."})
	add(skill.Finding{Indicator: ransomHash1, Type: "sha256", Skill: "mde.FileInfo", Level: skill.Malicious, Score: 95, Source: "Defender for Endpoint", Summary: "Prevalence 3 devices; blocked."})
	for i := range 300 {
		h := fmt.Sprintf("%064x", 0x5eed0000+i)
		ents.Hashes = append(ents.Hashes, incident.Hash{Value: h, Algorithm: "sha256", Sources: []string{"entity:FileHash"}})
		lvl := []skill.Level{skill.Unknown, skill.Benign}[i%2]
		add(skill.Finding{Indicator: h, Type: "sha256", Skill: "virustotal.FileReport", Level: lvl, Score: 0, Source: "VirusTotal", Summary: "Not seen or clean in VirusTotal."})
	}
	ents.Domains = append(ents.Domains, incident.Domain{Value: ransomMalDomain, ResolvedIPs: []string{ransomMalIP}, Sources: []string{"entity:DNS"}})
	add(skill.Finding{Indicator: ransomMalDomain, Type: "domain", Skill: "virustotal.DomainReport", Level: skill.Malicious, Score: 92, Source: "VirusTotal", Summary: "Registered 3 days ago; 9 engines flag it."})
	for i := range 300 {
		d := fmt.Sprintf("cdn%03d.assets-provider.example", i)
		ents.Domains = append(ents.Domains, incident.Domain{Value: d, Sources: []string{"entity:DNS"}})
		lvl := []skill.Level{skill.Benign, skill.Unknown, skill.Info}[i%3]
		add(skill.Finding{Indicator: d, Type: "domain", Skill: "virustotal.DomainReport", Level: lvl, Score: 0, Source: "VirusTotal", Summary: "No engine flags this domain."})
	}
	for i := range 30 {
		ents.Skipped = append(ents.Skipped, incident.Skip{Type: "domain", Value: fmt.Sprintf("intranet%02d.contoso.com", i), Reason: []string{"skip list", "internal domain"}[i%2]})
	}
	ents.Other = []incident.OtherEntity{
		{Kind: "RegistryValue", Value: `HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Run\Updater`},
	}

	var alerts []incident.Alert
	for i := range 8 {
		alerts = append(alerts, incident.Alert{Name: fmt.Sprintf("Ransomware behaviour detected on srv-file%02d", i), Severity: "High", Product: "Microsoft Defender for Endpoint",
			Description: words(fmt.Sprintf("alert%ddesc", i), 8), Tactics: []string{"Impact"}, Techniques: []string{"T1486"}})
	}
	alerts[0].Description = words("alertlongdesc", 60)
	var comments []incident.Comment
	for i := range 7 {
		comments = append(comments, incident.Comment{Message: fmt.Sprintf("Update %d: isolating file servers.", i+1), Author: "soc-bot", Created: fmt.Sprintf("2025-05-01T10:%02d:00Z", i)})
	}
	r := &Report{
		Incident: incident.Incident{
			Number: 9120, Title: "Multi-stage incident involving ransomware on multiple endpoints",
			Description: words("descword", 160),
			Severity:    "High", Status: "Active", Owner: "IR team",
			Labels: []string{}, Tactics: []string{"Execution", "DefenseEvasion", "Impact"}, Techniques: []string{"T1059.001", "T1490", "T1486"},
			Products: []string{"Microsoft Defender for Endpoint", "Microsoft Defender XDR"},
			Created:  "2025-05-01T09:58:00Z", FirstActivity: "2025-05-01T09:31:12Z", LastActivity: "2025-05-01T09:57:40Z",
			URL: portalURL, Alerts: alerts, Comments: comments,
		},
		Entities: ents,
		Findings: fs,
		Verdict: Verdict{
			Level: skill.Malicious, Score: 100,
			Summary:         "Ransomware executed on file servers after shadow copies were deleted; a known C2 address was contacted.",
			Recommendations: []string{"Isolate srv-file00 and srv-file01.", "Disable CONTOSO\\svc-backup and rotate its credentials.", "Block " + ransomMalDomain + " and " + ransomMalIP + "."},
		},
		Stats: Stats{GeneratedAt: "2025-05-01T10:02:00Z", DurationMS: 48210, Entities: 700, EntitiesByKind: map[string]int{"Ip": 66, "FileHash": 302, "DNS": 302},
			SkillCalls: 650, CacheHits: 120},
		Coverage: []Coverage{{Section: SectionIPs, Skill: "greynoise.Community", Status: StatusNotConfigured, Detail: "set plugins.greynoise.api_key"}},
	}
	return finish(r)
}

// ransomBad are the malicious and suspicious values of ransomwareReport,
// each of which every rendering must contain.
var ransomBad = []string{ransomMalIP, ransomMalDomain, ransomHash1, ransomVSS}
