// Package intelplugin turns the local threat-intelligence store into the
// skill intel.Lookup: verdicts on IP addresses, domains, URLs, file hashes
// and e-mail addresses from the feeds imported with `spotter intel import`
// or synced by `spotter intel sync` and `spotter serve`, offline and
// without API keys. Because it declares the indicator types it enriches,
// investigations and the batch reputation skill consult it like any
// provider.
package intelplugin

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/spotter-soc/spotter/internal/intel"
	"github.com/spotter-soc/spotter/internal/skill"
)

// Name is the plugin name; its settings live under plugins.intel.
const Name = "intel"

// LookupID is the lookup skill's id.
const LookupID = Name + ".Lookup"

// MaxIndicators is how many indicators one call takes.
const MaxIndicators = 100

// Opener opens the intelligence store; the plugin calls it on its first
// lookup, so commands that never look anything up open no database.
type Opener func(ctx context.Context) (*intel.Store, error)

// Limits bound feed downloads made through the plugin's HTTP client:
// publishers of free feeds ask for restraint, and TAXII paging is the
// only burst.
var Limits = skill.RateLimit{PerSecond: 2, Burst: 10, Concurrency: 4}

// Plugin is the local threat-intelligence plugin.
type Plugin struct {
	open Opener
}

// New returns the plugin over the store open returns. A nil open makes
// every lookup fail with an explanation.
func New(open Opener) skill.Plugin { return &Plugin{open: open} }

// Info implements skill.Plugin.
func (p *Plugin) Info() skill.PluginInfo {
	return skill.PluginInfo{
		Name: Name,
		Description: "Local threat intelligence: indicators imported from STIX, MISP, CSV and plain-list feeds or synced " +
			"from abuse.ch, the Tor Project, Spamhaus, MISP and TAXII servers; offline, no API key",
		Settings: intel.Settings(),
		Limits:   Limits,
		Skills:   []skill.Spec{lookupSpec()},
	}
}

// New implements skill.Plugin: it checks the settings, so that a mistake
// in the feed configuration shows in `spotter plugins`, and builds the
// lookup skill.
func (p *Plugin) New(env skill.Env) ([]skill.Skill, error) {
	cfg, err := intel.ParseSettings(env.Settings)
	if err != nil {
		return nil, err
	}
	return []skill.Skill{&lookup{store: &lazyStore{open: p.open}, policy: cfg.Policy, now: time.Now}}, nil
}

func lookupSpec() skill.Spec {
	return skill.Spec{
		ID:   LookupID,
		Name: "Local threat-intelligence lookup",
		Description: "Looks up to 100 indicators (IP addresses, CIDR ranges, domains, URLs, MD5/SHA-1/SHA-256 hashes, " +
			"e-mail addresses) in the local threat-intelligence store: exact matches, ranges containing an address and " +
			"listed parent domains. Malicious for a current entry of confidence 70 or more, suspicious for lower " +
			"confidence or stale entries, unknown when no feed lists it.",
		ModelDescription: "Check indicators against the threat-intelligence feeds stored locally (abuse.ch Feodo Tracker, " +
			"URLhaus and ThreatFox, Tor exit nodes, Spamhaus DROP, MISP and TAXII feeds, imported files). Works offline. " +
			"Returns per indicator the matching feed entries with confidence, tags, malware family and reference link.",
		Examples: []string{
			"Is 185.220.101.47 in any of our local threat feeds?",
			"Check update-check.fabrikam-cdn.net and 8d3f68b16f0710f858d8c1d2c699260e6f43161a5510abb0e7ba567bd72c965b against local intel",
			"Which local feed lists 80.94.95.115?",
		},
		Inputs: []skill.Input{{
			Name: "indicators", Type: skill.TypeStringList, Required: true, Format: skill.FormatIndicator,
			Min: skill.Int(1), Max: skill.Int(MaxIndicators),
			Description: "indicators to look up: IP addresses or CIDR ranges, domains, URLs, file hashes, e-mail addresses (defanged forms are accepted)",
			Placeholder: "185.220.101.47, evil-cdn[.]com",
		}},
		Enriches:       []string{"ip", "domain", "url", "hash", "email"},
		IndicatorInput: "indicators",
		Section:        "indicators",
		CacheTTL:       -1, // local lookups are cheap and the data changes with every import
	}
}

// lazyStore opens the store on first use and keeps it; a failed open is
// retried on the next call.
type lazyStore struct {
	open Opener
	mu   sync.Mutex
	st   *intel.Store
}

func (l *lazyStore) get(ctx context.Context) (*intel.Store, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.st != nil {
		return l.st, nil
	}
	if l.open == nil {
		return nil, errors.New("intel: no threat-intelligence store is wired into this build")
	}
	st, err := l.open(ctx)
	if err != nil {
		return nil, err
	}
	l.st = st
	return st, nil
}
