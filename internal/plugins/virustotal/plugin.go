// Package virustotal turns the VirusTotal API v3 into skills that judge
// file hashes, URLs, domains and IP addresses by the verdicts of the
// antivirus engines and URL scanners VirusTotal aggregates.
//
// The plugin only describes the wire format: rate limits, retries, timeouts
// and caching belong to the gateway whose HTTP client it is given.
package virustotal

import (
	"time"

	"github.com/spotter-soc/spotter/internal/skill"
)

// Name is the plugin name; its settings live under plugins.virustotal.
const Name = "virustotal"

// DefaultBaseURL is the API root VirusTotal documents.
const DefaultBaseURL = "https://www.virustotal.com/api/v3"

// GUI is the root of the pages analysts open.
const GUI = "https://www.virustotal.com/gui"

// source names the provider in findings.
const source = "VirusTotal"

// Skill ids.
const (
	FileReportID   = Name + ".FileReport"
	URLReportID    = Name + ".URLReport"
	DomainReportID = Name + ".DomainReport"
	IPReportID     = Name + ".IPReport"
)

// limits follows the public API: 4 requests a minute and 500 a day (daily
// quotas reset at 00:00 UTC). The burst is 1 on purpose: a token bucket
// refilling at 4 a minute with a burst of 4 would let 4 requests go at once
// and 3 more before the minute is out — 7 in a minute, over the quota.
// With a burst of 1 the requests go out 15 seconds apart and no sliding
// minute ever holds more than 4. Premium keys have larger, contract-specific
// quotas; raise these limits in the gateway configuration for them.
var limits = skill.RateLimit{PerSecond: 4.0 / 60, Burst: 1, PerDay: 500, Concurrency: 1}

// Cache lifetimes: a file's verdict settles within hours of its first
// submission and then barely moves; URLs, domains and addresses change
// hands, so they are looked at again sooner.
const (
	fileTTL    = 24 * time.Hour
	networkTTL = 6 * time.Hour
)

// Plugin is the VirusTotal integration. Its zero value is ready to register.
type Plugin struct{}

// New returns the plugin, for registration in a skill.Registry.
func New() skill.Plugin { return Plugin{} }

// Info implements skill.Plugin.
func (Plugin) Info() skill.PluginInfo {
	return skill.PluginInfo{
		Name:        Name,
		Description: "File, URL, domain and IP address reputation from VirusTotal's multi-engine analyses",
		Settings: []skill.Setting{
			{Name: "api_key", Description: "VirusTotal API key (sent in the x-apikey header)", Required: true, Secret: true},
			{Name: "base_url", Description: "API root; change it only for a proxy or a test server", Default: DefaultBaseURL},
		},
		Limits: limits,
		Skills: []skill.Spec{fileSpec(), urlSpec(), domainSpec(), ipSpec()},
	}
}

// New implements skill.Plugin: it checks the settings and builds the skills.
func (Plugin) New(env skill.Env) ([]skill.Skill, error) {
	c, err := newClient(env)
	if err != nil {
		return nil, err
	}
	return []skill.Skill{
		skill.Func{S: fileSpec(), F: c.fileReport},
		skill.Func{S: urlSpec(), F: c.urlReport},
		skill.Func{S: domainSpec(), F: c.domainReport},
		skill.Func{S: ipSpec(), F: c.ipReport},
	}, nil
}

func fileSpec() skill.Spec {
	return skill.Spec{
		ID:   FileReportID,
		Name: "VirusTotal file report",
		Description: "Looks up a file by MD5, SHA-1 or SHA-256 in VirusTotal: how many antivirus engines detect it, " +
			"the popular threat label, file type, names and submission history.",
		ModelDescription: "Get VirusTotal's report on a file hash (MD5, SHA1 or SHA256): the number of antivirus engines " +
			"that flag it as malicious or suspicious, their detection names, the suggested threat label, file type and known " +
			"file names. Use it to decide whether a hash seen in an incident is known malware. It does not upload files.",
		Examples: []string{
			"What does VirusTotal say about 44d88612fea8a8f36de82e1278abb02f?",
			"How many engines detect the file with SHA256 275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f?",
			"Is this hash known malware on VirusTotal?",
		},
		Inputs: []skill.Input{{Name: "hash", Format: skill.FormatIndicator, Description: "MD5, SHA-1 or SHA-256 of the file (hex)", Type: skill.TypeString, Required: true,
			Placeholder: "44d88612fea8a8f36de82e1278abb02f"}},
		Enriches:       []string{"hash"},
		IndicatorInput: "hash",
		Section:        "indicators",
		CacheTTL:       fileTTL,
	}
}

func urlSpec() skill.Spec {
	return skill.Spec{
		ID:   URLReportID,
		Name: "VirusTotal URL report",
		Description: "Looks up a URL in VirusTotal: how many URL scanners flag it, its categories, final URL after " +
			"redirects, page title and last HTTP status. Looks up existing reports only; it never submits the URL for scanning.",
		ModelDescription: "Get VirusTotal's existing report on one URL: how many URL scanners flag it as malicious, phishing " +
			"or suspicious, vendor categories, the final URL and page title. Defanged URLs (hxxp, [.]) are accepted. It does not " +
			"submit new URLs, so unknown URLs come back as unknown.",
		Examples: []string{
			"Check hxxp://evil-cdn[.]com/x.ps1 on VirusTotal",
			"Is https://login-micros0ft.com/auth flagged by VirusTotal?",
		},
		Inputs: []skill.Input{{Name: "url", Format: skill.FormatIndicator, Description: "absolute URL (defanged forms are accepted)", Type: skill.TypeString, Required: true,
			Placeholder: "http://evil-cdn.com/x.ps1"}},
		Enriches:       []string{"url"},
		IndicatorInput: "url",
		Section:        "indicators",
		CacheTTL:       networkTTL,
	}
}

func domainSpec() skill.Spec {
	return skill.Spec{
		ID:   DomainReportID,
		Name: "VirusTotal domain report",
		Description: "Looks up a domain or host name in VirusTotal: engine verdicts, community reputation, vendor " +
			"categories, registrar, creation date and DNS records.",
		ModelDescription: "Get VirusTotal's report on a domain or host name: how many engines flag it, community reputation, " +
			"categories assigned by security vendors, registrar, creation date (young domains are riskier) and last DNS records.",
		Examples: []string{
			"What is the VirusTotal reputation of evil-cdn.com?",
			"When was the domain login-micros0ft.com registered, according to VirusTotal?",
		},
		Inputs: []skill.Input{{Name: "domain", Format: skill.FormatIndicator, Description: "domain or host name (defanged forms are accepted)", Type: skill.TypeString, Required: true,
			Placeholder: "evil-cdn.com"}},
		Enriches:       []string{"domain"},
		IndicatorInput: "domain",
		Section:        "indicators",
		CacheTTL:       networkTTL,
	}
}

func ipSpec() skill.Spec {
	return skill.Spec{
		ID:   IPReportID,
		Name: "VirusTotal IP address report",
		Description: "Looks up a public IPv4 or IPv6 address in VirusTotal: engine verdicts, community reputation, " +
			"AS owner, network and country.",
		ModelDescription: "Get VirusTotal's report on one public IP address: how many engines flag it as malicious or " +
			"suspicious, community reputation, autonomous system and owner, network and country. Private and reserved " +
			"addresses are refused.",
		Examples: []string{
			"What does VirusTotal know about 185.220.101.47?",
			"Which autonomous system owns 45.155.205.233 and is it flagged on VirusTotal?",
		},
		Inputs: []skill.Input{{Name: "ip", Format: skill.FormatIndicator, Description: "public IPv4 or IPv6 address", Type: skill.TypeString, Required: true,
			Placeholder: "185.220.101.47"}},
		Enriches:       []string{"ip"},
		IndicatorInput: "ip",
		Section:        "ips",
		CacheTTL:       networkTTL,
	}
}
