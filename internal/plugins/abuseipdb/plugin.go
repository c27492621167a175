// Package abuseipdb turns the AbuseIPDB API v2 into skills that judge public
// IP addresses and networks by the abuse reports the community has filed
// against them.
//
// The plugin only describes the wire format: rate limits, retries, timeouts
// and caching belong to the gateway whose HTTP client it is given.
package abuseipdb

import (
	"time"

	"github.com/spotter-soc/spotter/internal/skill"
)

// Name is the plugin name; its settings live under plugins.abuseipdb.
const Name = "abuseipdb"

// DefaultBaseURL is the API root AbuseIPDB documents.
const DefaultBaseURL = "https://api.abuseipdb.com/api/v2"

// source names the provider in findings.
const source = "AbuseIPDB"

// Skill ids.
const (
	CheckIPID    = Name + ".CheckIP"
	CheckBlockID = Name + ".CheckBlock"
)

// cacheTTL is how long a reputation answer stays fresh: reports trickle in
// over hours, and the free plan's 1,000 calls a day are worth saving.
const cacheTTL = 6 * time.Hour

// limits follows the free (Standard) plan: 1,000 /check calls a day, reset
// at 00:00 UTC. AbuseIPDB counts quotas per endpoint (/check-block has only
// 100 a day) while the gateway keeps one budget per plugin, so the budget of
// the main endpoint is declared and a /check-block overrun comes back as a
// 429 that the gateway backs off from. No per-second limit is documented;
// one request a second with a burst of ten (the "60 a minute" an older
// README cites) lets an incident's batch of ten addresses go out at once.
var limits = skill.RateLimit{PerSecond: 1, Burst: 10, PerDay: 1000, Concurrency: 4}

// Plugin is the AbuseIPDB integration. Its zero value is ready to register.
type Plugin struct{}

// New returns the plugin, for registration in a skill.Registry.
func New() skill.Plugin { return Plugin{} }

// Info implements skill.Plugin.
func (Plugin) Info() skill.PluginInfo {
	return skill.PluginInfo{
		Name:        Name,
		Description: "IP address and network reputation from AbuseIPDB's community abuse reports",
		Settings: []skill.Setting{
			{Name: "api_key", Description: "AbuseIPDB API v2 key (sent in the Key header)", Required: true, Secret: true},
			{Name: "base_url", Description: "API root; change it only for a proxy or a test server", Default: DefaultBaseURL},
		},
		Limits: limits,
		Skills: []skill.Spec{checkIPSpec(), checkBlockSpec()},
	}
}

// New implements skill.Plugin: it checks the settings and builds the skills.
func (Plugin) New(env skill.Env) ([]skill.Skill, error) {
	c, err := newClient(env)
	if err != nil {
		return nil, err
	}
	return []skill.Skill{&checkIP{c: c}, &checkBlock{c: c}}, nil
}

// maxAgeInput is the max_age_days input both skills share.
func maxAgeInput() skill.Input {
	return skill.Input{
		Name:        "max_age_days",
		Description: "only reports filed within this many days count",
		Type:        skill.TypeInteger,
		Default:     defaultMaxAge,
		Min:         skill.Int(minMaxAge),
		Max:         skill.Int(maxMaxAge),
	}
}

// The documented range and default of maxAgeInDays.
const (
	defaultMaxAge = 30
	minMaxAge     = 1
	maxMaxAge     = 365
)

func checkIPSpec() skill.Spec {
	return skill.Spec{
		ID:   CheckIPID,
		Name: "AbuseIPDB IP reputation",
		Description: "Checks a public IPv4 or IPv6 address against AbuseIPDB: abuse confidence score, number of " +
			"reports and reporters, attack categories, Tor exit node, usage type, ISP and country.",
		ModelDescription: "Look up one public IP address in AbuseIPDB to see whether it has been reported for abuse " +
			"(brute force, port scans, spam, web attacks, ...). Returns an abuse confidence score 0-100, report counts, " +
			"categories (with verbose=true), Tor status, ISP, usage type and country. Private and reserved addresses are refused.",
		Examples: []string{
			"Is 185.220.101.47 reported on AbuseIPDB?",
			"Check the abuse confidence score of 2001:4860:4860::8888 over the last 90 days",
			"Show the AbuseIPDB report categories for 45.155.205.233",
		},
		Inputs: []skill.Input{
			{Name: "ip", Description: "public IPv4 or IPv6 address (defanged forms such as 1.2.3[.]4 are accepted)", Type: skill.TypeString, Required: true, Format: skill.FormatIndicator, Placeholder: "185.220.101.47"},
			maxAgeInput(),
			{Name: "verbose", Description: "also fetch the individual reports, to name the attack categories", Type: skill.TypeBoolean, Default: false},
		},
		Enriches:       []string{"ip"},
		IndicatorInput: "ip",
		Section:        "ips",
		CacheTTL:       cacheTTL,
	}
}

func checkBlockSpec() skill.Spec {
	return skill.Spec{
		ID:   CheckBlockID,
		Name: "AbuseIPDB network reputation",
		Description: "Lists the addresses of a public network (CIDR) that were reported to AbuseIPDB, with their " +
			"abuse confidence scores. The largest prefix depends on the plan: /24 on the free plan.",
		ModelDescription: "Look up a whole public network in CIDR notation (for example 185.220.101.0/24) in AbuseIPDB and " +
			"list which of its addresses were reported for abuse, with scores and report counts. Use it when a prompt " +
			"names a subnet or asks whether neighbouring addresses are also abusive.",
		Examples: []string{
			"Which addresses in 185.220.101.0/24 are reported on AbuseIPDB?",
			"Check the network 45.155.205.0/24 for abuse reports in the last 7 days",
		},
		Inputs: []skill.Input{
			{Name: "network", Description: "public network in CIDR notation", Type: skill.TypeString, Required: true, Format: skill.FormatIndicator, Placeholder: "185.220.101.0/24"},
			maxAgeInput(),
		},
		Section:  "ips",
		CacheTTL: cacheTTL,
	}
}
