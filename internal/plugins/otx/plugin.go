// Package otx turns the AlienVault OTX (LevelBlue) DirectConnect API v1
// into a skill that judges IP addresses, domains, host names, URLs and file
// hashes by the community threat pulses that mention them.
//
// The plugin only describes the wire format: rate limits, retries, timeouts
// and caching belong to the gateway whose HTTP client it is given.
package otx

import (
	"time"

	"github.com/spotter-soc/spotter/internal/skill"
)

// Name is the plugin name; its settings live under plugins.otx.
const Name = "otx"

// DefaultBaseURL is the API root OTX documents.
const DefaultBaseURL = "https://otx.alienvault.com/api/v1"

// GUI is the root of the pages analysts open.
const GUI = "https://otx.alienvault.com"

// source names the provider in findings.
const source = "AlienVault OTX"

// IndicatorReputationID is the skill id.
const IndicatorReputationID = Name + ".IndicatorReputation"

// limits: OTX documents no rate limit; about 10,000 requests an hour per
// key is the figure commonly cited. 2.5 a second (9,000 an hour) stays
// under it even when sustained, a burst of ten lets an incident's batch go
// out at once, and four in flight keep a slow API from piling up requests.
var limits = skill.RateLimit{PerSecond: 2.5, Burst: 10, Concurrency: 4}

// cacheTTL: pulses are added through the day; six hours keeps answers fresh
// without asking again for every incident.
const cacheTTL = 6 * time.Hour

// Plugin is the OTX integration. Its zero value is ready to register.
type Plugin struct{}

// New returns the plugin, for registration in a skill.Registry.
func New() skill.Plugin { return Plugin{} }

// Info implements skill.Plugin.
func (Plugin) Info() skill.PluginInfo {
	return skill.PluginInfo{
		Name:        Name,
		Description: "Indicator reputation from the threat pulses of the AlienVault OTX community",
		Settings: []skill.Setting{
			{Name: "api_key", Description: "OTX API key (sent in the X-OTX-API-KEY header)", Required: true, Secret: true},
			{Name: "base_url", Description: "API root; change it only for a proxy or a test server", Default: DefaultBaseURL},
		},
		Limits: limits,
		Skills: []skill.Spec{reputationSpec()},
	}
}

// New implements skill.Plugin: it checks the settings and builds the skill.
func (Plugin) New(env skill.Env) ([]skill.Skill, error) {
	c, err := newClient(env)
	if err != nil {
		return nil, err
	}
	return []skill.Skill{skill.Func{S: reputationSpec(), F: c.reputation}}, nil
}

func reputationSpec() skill.Spec {
	return skill.Spec{
		ID:   IndicatorReputationID,
		Name: "OTX indicator reputation",
		Description: "Looks an IP address, domain, host name, URL or file hash up in AlienVault OTX: how many threat " +
			"pulses mention it, their names, tags, malware families and ATT&CK techniques, and whether OTX allowlists it.",
		ModelDescription: "Look one indicator up in AlienVault OTX (LevelBlue Open Threat Exchange): public IPv4/IPv6 " +
			"address, domain, host name, URL or MD5/SHA1/SHA256 hash; the type is detected automatically. Returns the number " +
			"of community threat pulses that mention it, their names and tags, associated malware families, adversaries " +
			"and ATT&CK technique ids, and OTX's allowlist (validation) status.",
		Examples: []string{
			"What does AlienVault OTX say about evil-cdn.com?",
			"How many OTX pulses mention 185.220.101.47?",
			"Which malware families does OTX associate with 44d88612fea8a8f36de82e1278abb02f?",
		},
		Inputs: []skill.Input{{
			Name: "indicator", Type: skill.TypeString, Required: true, Format: skill.FormatIndicator, Placeholder: "evil-cdn.com",
			Description: "public IP address, domain, host name, URL or MD5/SHA-1/SHA-256 hash (defanged forms are accepted)",
		}},
		Enriches:       []string{"ip", "domain", "url", "hash"},
		IndicatorInput: "indicator",
		Section:        "indicators",
		CacheTTL:       cacheTTL,
	}
}
