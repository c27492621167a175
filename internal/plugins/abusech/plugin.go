// Package abusech turns three abuse.ch platforms into skills: URLhaus
// (malware distribution URLs and the hosts serving them), ThreatFox
// (indicators of compromise tied to malware families) and MalwareBazaar
// (malware samples by hash). One abuse.ch Auth-Key covers all three.
//
// The plugin only describes the wire format: rate limits, retries, timeouts
// and caching belong to the gateway whose HTTP client it is given.
package abusech

import (
	"time"

	"github.com/spotter-soc/spotter/internal/skill"
)

// Name is the plugin name; its settings live under plugins.abusech.
const Name = "abusech"

// The API roots abuse.ch documents.
const (
	DefaultURLhausURL       = "https://urlhaus-api.abuse.ch/v1"
	DefaultThreatFoxURL     = "https://threatfox-api.abuse.ch/api/v1"
	DefaultMalwareBazaarURL = "https://mb-api.abuse.ch/api/v1"
)

// Skill ids.
const (
	URLhausURLID        = Name + ".URLhausURL"
	URLhausHostID       = Name + ".URLhausHost"
	ThreatFoxIOCID      = Name + ".ThreatFoxIOC"
	MalwareBazaarHashID = Name + ".MalwareBazaarHash"
)

// limits: abuse.ch publishes no rate limit, only a fair-use policy, and
// sends no rate-limit headers. Five requests a second with a burst of ten
// and four in flight keeps an incident's batch fast while staying a modest
// client; the three platforms share the budget because they share the key.
var limits = skill.RateLimit{PerSecond: 5, Burst: 10, Concurrency: 4}

// Cache lifetimes: a URL goes on- and offline within hours; ThreatFox and
// host listings move daily; a sample's record barely changes.
const (
	urlhausTTL   = 2 * time.Hour
	threatfoxTTL = 6 * time.Hour
	bazaarTTL    = 24 * time.Hour
)

// Plugin is the abuse.ch integration. Its zero value is ready to register.
type Plugin struct{}

// New returns the plugin, for registration in a skill.Registry.
func New() skill.Plugin { return Plugin{} }

// Info implements skill.Plugin.
func (Plugin) Info() skill.PluginInfo {
	return skill.PluginInfo{
		Name:        Name,
		Description: "Malware URLs, IOCs and samples from abuse.ch URLhaus, ThreatFox and MalwareBazaar",
		Settings: []skill.Setting{
			{Name: "api_key", Description: "abuse.ch Auth-Key from https://auth.abuse.ch/ (one key for all three platforms)", Required: true, Secret: true},
			{Name: "urlhaus_url", Description: "URLhaus API root", Default: DefaultURLhausURL},
			{Name: "threatfox_url", Description: "ThreatFox API root", Default: DefaultThreatFoxURL},
			{Name: "malwarebazaar_url", Description: "MalwareBazaar API root", Default: DefaultMalwareBazaarURL},
		},
		Limits: limits,
		Skills: []skill.Spec{urlhausURLSpec(), urlhausHostSpec(), threatfoxSpec(), bazaarSpec()},
	}
}

// New implements skill.Plugin: it checks the settings and builds the skills.
func (Plugin) New(env skill.Env) ([]skill.Skill, error) {
	c, err := newClient(env)
	if err != nil {
		return nil, err
	}
	return []skill.Skill{
		skill.Func{S: urlhausURLSpec(), F: c.urlhausURL},
		skill.Func{S: urlhausHostSpec(), F: c.urlhausHost},
		skill.Func{S: threatfoxSpec(), F: c.threatfoxIOC},
		skill.Func{S: bazaarSpec(), F: c.bazaarHash},
	}, nil
}

func urlhausURLSpec() skill.Spec {
	return skill.Spec{
		ID:   URLhausURLID,
		Name: "URLhaus URL lookup",
		Description: "Looks a URL up in abuse.ch URLhaus, the database of URLs used to distribute malware: whether it " +
			"is listed, online or offline, the threat, tags and the payloads it served.",
		ModelDescription: "Check whether one URL is listed in abuse.ch URLhaus as a malware distribution URL, and whether it " +
			"is still online. Returns the threat type, tags (malware families), the payload files it served with their " +
			"hashes and signatures, and blocklist status. Defanged URLs are accepted.",
		Examples: []string{
			"Is hxxp://evil-cdn[.]com/x.ps1 listed on URLhaus?",
			"What payloads did http://evil-cdn.com/x.ps1 serve according to URLhaus?",
		},
		Inputs: []skill.Input{{Name: "url", Format: skill.FormatIndicator, Description: "absolute URL (defanged forms are accepted)", Type: skill.TypeString, Required: true,
			Placeholder: "http://evil-cdn.com/x.ps1"}},
		Enriches:       []string{"url"},
		IndicatorInput: "url",
		Section:        "indicators",
		CacheTTL:       urlhausTTL,
	}
}

func urlhausHostSpec() skill.Spec {
	return skill.Spec{
		ID:   URLhausHostID,
		Name: "URLhaus host lookup",
		Description: "Looks a domain or IP address up in abuse.ch URLhaus: how many malware distribution URLs it " +
			"hosted, how many are still online, and its Spamhaus DBL and SURBL status.",
		ModelDescription: "Check whether a domain, host name or public IP address has hosted malware distribution URLs " +
			"according to abuse.ch URLhaus: number of URLs, how many are online, threat types, tags and blocklist status " +
			"(Spamhaus DBL, SURBL). Use it for domains and IPs; use the URLhaus URL lookup for full URLs.",
		Examples: []string{
			"Has evil-cdn.com hosted malware according to URLhaus?",
			"How many malware URLs on 185.220.101.47 are still online?",
		},
		Inputs: []skill.Input{{Name: "host", Format: skill.FormatIndicator, Description: "domain, host name or public IP address", Type: skill.TypeString, Required: true,
			Placeholder: "evil-cdn.com"}},
		Enriches:       []string{"domain", "ip"},
		IndicatorInput: "host",
		Section:        "indicators",
		CacheTTL:       urlhausTTL,
	}
}

func threatfoxSpec() skill.Spec {
	return skill.Spec{
		ID:   ThreatFoxIOCID,
		Name: "ThreatFox IOC search",
		Description: "Searches abuse.ch ThreatFox for an indicator of compromise (IP address with or without port, " +
			"domain, URL or file hash): the malware family, threat type, confidence and first and last sighting.",
		ModelDescription: "Search abuse.ch ThreatFox for one indicator (IP, IP:port, domain, URL, MD5/SHA1/SHA256) to learn " +
			"whether it is a known botnet C2, payload delivery site or malware payload, which malware family it belongs to " +
			"(e.g. Cobalt Strike, AsyncRAT) and with what confidence.",
		Examples: []string{
			"Is 185.220.101.47:443 a known C2 server on ThreatFox?",
			"Which malware family does ThreatFox associate with evil-cdn.com?",
			"Search ThreatFox for this hash",
		},
		Inputs: []skill.Input{{Name: "ioc", Format: skill.FormatIndicator, Description: "IP address (optionally with :port), domain, URL or file hash", Type: skill.TypeString, Required: true,
			Placeholder: "185.220.101.47:443"}},
		Enriches:       []string{"ip", "domain", "url", "hash"},
		IndicatorInput: "ioc",
		Section:        "indicators",
		CacheTTL:       threatfoxTTL,
	}
}

func bazaarSpec() skill.Spec {
	return skill.Spec{
		ID:   MalwareBazaarHashID,
		Name: "MalwareBazaar sample lookup",
		Description: "Looks a file hash up in abuse.ch MalwareBazaar, the malware sample exchange: malware family " +
			"(signature), file name and type, tags, delivery method and first sighting.",
		ModelDescription: "Check whether a file hash (MD5, SHA1 or SHA256) is a known malware sample in abuse.ch " +
			"MalwareBazaar, and get its malware family signature, file name and type, tags, delivery method and ClamAV " +
			"detections.",
		Examples: []string{
			"Is 44d88612fea8a8f36de82e1278abb02f a known sample on MalwareBazaar?",
			"Which malware family does MalwareBazaar give for this SHA256?",
		},
		Inputs: []skill.Input{{Name: "hash", Format: skill.FormatIndicator, Description: "MD5, SHA-1 or SHA-256 of the file (hex)", Type: skill.TypeString, Required: true,
			Placeholder: "44d88612fea8a8f36de82e1278abb02f"}},
		Enriches:       []string{"hash"},
		IndicatorInput: "hash",
		Section:        "indicators",
		CacheTTL:       bazaarTTL,
	}
}
