package intel

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spotter-soc/spotter/internal/skill"
)

// Kind is how a feed is fetched and read.
type Kind string

// Feed kinds: one file in a format, a MISP feed directory, a TAXII 2.1 server.
const (
	KindText  Kind = "text"
	KindCSV   Kind = "csv"
	KindSTIX  Kind = "stix"
	KindMISP  Kind = "misp"
	KindTAXII Kind = "taxii"
)

// Feed is a feed to sync.
type Feed struct {
	// Name is the source name of the feed's entries.
	Name        string
	Description string
	Kind        Kind
	// URL is the file (text, csv, stix), the feed directory holding
	// manifest.json (misp), or the TAXII discovery or API root URL.
	URL string
	// Interval is how often the scheduler syncs the feed.
	Interval time.Duration
	// Columns maps the columns of a CSV feed (see ParseColumns).
	Columns  string
	Defaults Defaults
	// Replace makes each sync a full copy: entries the feed no longer lists
	// are removed. Feeds that publish only recent additions leave it off and
	// set Defaults.Retention instead.
	Replace bool
	// Collection selects TAXII collections by id or title; empty means every
	// readable collection.
	Collection string
	// User and Password authenticate to a TAXII server (HTTP Basic).
	User, Password string
	// AuthKey is sent as the Authorization header to a MISP server.
	AuthKey string
}

// Builtin lists the well-known free feeds that can be switched on by name.
// Their URLs are the publishers' documented download addresses.
func Builtin() []Feed {
	return []Feed{
		{
			Name: "feodo", Kind: KindCSV, Interval: time.Hour, Replace: true,
			Description: "abuse.ch Feodo Tracker: botnet C2 servers (Dridex, Emotet, TrickBot, QakBot, ...)",
			URL:         "https://feodotracker.abuse.ch/downloads/ipblocklist.csv",
			Columns:     "first_seen=1,value=2,last_seen=5,malware=6",
			Defaults: Defaults{Confidence: 90, Tags: []string{"botnet-c2"},
				Reference: "https://feodotracker.abuse.ch/browse/host/{value}/"},
		},
		{
			Name: "urlhaus", Kind: KindCSV, Interval: time.Hour, Replace: true,
			Description: "abuse.ch URLhaus: URLs serving malware, online now",
			URL:         "https://urlhaus.abuse.ch/downloads/csv_online/",
			Columns:     "id=1,first_seen=2,value=3,last_seen=5,tags=7,reference=8",
			Defaults:    Defaults{Confidence: 80, Tags: []string{"malware-distribution"}},
		},
		{
			Name: "threatfox", Kind: KindCSV, Interval: time.Hour,
			Description: "abuse.ch ThreatFox: IOCs of the last 48 hours (kept 90 days)",
			URL:         "https://threatfox.abuse.ch/export/csv/recent/",
			Columns: "value=ioc_value,type=ioc_type,malware=malware_printable,confidence=confidence_level," +
				"first_seen=first_seen_utc,last_seen=last_seen_utc,tags=tags,id=ioc_id,reference=reference",
			Defaults: Defaults{Reference: "https://threatfox.abuse.ch/ioc/{id}/", Retention: 90 * 24 * time.Hour},
		},
		{
			Name: "tor-exits", Kind: KindText, Interval: time.Hour, Replace: true,
			Description: "Tor Project: current Tor exit node addresses",
			URL:         "https://check.torproject.org/torbulkexitlist",
			Defaults: Defaults{Confidence: 50, Tags: []string{"tor-exit"},
				Reference: "https://metrics.torproject.org/rs.html#search/{value}"},
		},
		{
			Name: "spamhaus-drop", Kind: KindText, Interval: 12 * time.Hour, Replace: true,
			Description: "Spamhaus DROP: networks hijacked or leased by criminals (do not route or peer)",
			URL:         "https://www.spamhaus.org/drop/drop.txt",
			Defaults: Defaults{Confidence: 90, Tags: []string{"spamhaus-drop"},
				Reference: "https://www.spamhaus.org/blocklists/do-not-route-or-peer/"},
		},
	}
}

// Setting names of the intel plugin, read by ParseSettings.
const (
	SettingFeeds         = "feeds"
	SettingInterval      = "sync_interval"
	SettingFreshDays     = "fresh_days"
	SettingMinConfidence = "min_confidence"
	SettingTAXIIURL      = "taxii_url"
	SettingTAXIICollect  = "taxii_collection"
	SettingTAXIIUser     = "taxii_user"
	SettingTAXIIPassword = "taxii_password"
	SettingMISPURL       = "misp_url"
	SettingMISPAuthKey   = "misp_auth_key"
)

// urlSetting names the setting that overrides a built-in feed's URL:
// tor-exits -> tor_exits_url.
func urlSetting(feed string) string { return strings.ReplaceAll(feed, "-", "_") + "_url" }

// Settings declares the intel plugin's settings: which built-in feeds to
// sync and their URLs, a TAXII collection, a MISP feed, and the verdict
// thresholds.
func Settings() []skill.Setting {
	var names []string
	for _, f := range Builtin() {
		names = append(names, f.Name)
	}
	out := []skill.Setting{
		{Name: SettingFeeds, Description: "built-in feeds to sync, comma-separated: " + strings.Join(names, ", ")},
		{Name: SettingInterval, Description: "how often every feed is synced by spotter serve (Go duration, at least 5m); empty keeps each feed's own interval"},
		{Name: SettingFreshDays, Description: "days after its feed last listed it that an entry counts as current", Default: strconv.Itoa(DefaultFreshDays)},
		{Name: SettingMinConfidence, Description: "confidence (0-100) from which a current entry is malicious; below it, suspicious", Default: strconv.Itoa(DefaultMinConfidence)},
	}
	for _, f := range Builtin() {
		out = append(out, skill.Setting{Name: urlSetting(f.Name), Description: "download URL of the " + f.Name + " feed", Default: f.URL})
	}
	return append(out,
		skill.Setting{Name: SettingTAXIIURL, Description: "TAXII 2.1 discovery or API root URL to sync STIX indicators from (source name taxii)"},
		skill.Setting{Name: SettingTAXIICollect, Description: "TAXII collection id or title; empty syncs every readable collection"},
		skill.Setting{Name: SettingTAXIIUser, Description: "TAXII user name (HTTP Basic authentication)"},
		skill.Setting{Name: SettingTAXIIPassword, Description: "TAXII password", Secret: true},
		skill.Setting{Name: SettingMISPURL, Description: "URL of a MISP feed directory (holding manifest.json) to sync (source name misp)"},
		skill.Setting{Name: SettingMISPAuthKey, Description: "MISP automation key, sent as the Authorization header", Secret: true},
	)
}

// Config is the intel plugin's settings, checked.
type Config struct {
	// Feeds are the feeds to sync, built-in ones first.
	Feeds  []Feed
	Policy Policy
}

// Feed returns the configured feed of that name.
func (c Config) Feed(name string) (Feed, bool) {
	for _, f := range c.Feeds {
		if f.Name == name {
			return f, true
		}
	}
	return Feed{}, false
}

// ParseSettings reads the intel plugin's settings (plugins.intel.* or
// SPOTTER_INTEL_*). Missing values take their defaults; mistakes are
// reported with the setting's name and what was expected.
func ParseSettings(settings map[string]string) (Config, error) {
	get := func(k string) string { return strings.TrimSpace(settings[k]) }
	cfg := Config{Policy: DefaultPolicy()}
	if v := get(SettingFreshDays); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 3650 {
			return cfg, fmt.Errorf("intel: %s %q: expected a number of days from 1 to 3650", SettingFreshDays, v)
		}
		cfg.Policy.FreshFor = time.Duration(n) * 24 * time.Hour
	}
	if v := get(SettingMinConfidence); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return cfg, fmt.Errorf("intel: %s %q: expected a number from 1 to 100", SettingMinConfidence, v)
		}
		cfg.Policy.MinConfidence = n
	}
	var interval time.Duration
	if v := get(SettingInterval); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 5*time.Minute {
			return cfg, fmt.Errorf("intel: %s %q: expected a duration of at least 5m, such as 1h", SettingInterval, v)
		}
		interval = d
	}
	builtin := Builtin()
	var known []string
	for _, f := range builtin {
		known = append(known, f.Name)
	}
	var enabled []string
	for _, name := range strings.FieldsFunc(get(SettingFeeds), func(r rune) bool { return r == ',' || r == ' ' }) {
		name = strings.ToLower(strings.ReplaceAll(name, "_", "-"))
		if !slices.Contains(known, name) {
			return cfg, fmt.Errorf("intel: %s: unknown feed %q; expected some of %s", SettingFeeds, name, strings.Join(known, ", "))
		}
		if !slices.Contains(enabled, name) {
			enabled = append(enabled, name)
		}
	}
	for _, f := range builtin {
		if !slices.Contains(enabled, f.Name) {
			continue
		}
		if v := get(urlSetting(f.Name)); v != "" {
			f.URL = v
		}
		if err := checkURL(urlSetting(f.Name), f.URL); err != nil {
			return cfg, err
		}
		cfg.Feeds = append(cfg.Feeds, f)
	}
	if v := get(SettingTAXIIURL); v != "" {
		if err := checkURL(SettingTAXIIURL, v); err != nil {
			return cfg, err
		}
		cfg.Feeds = append(cfg.Feeds, Feed{Name: "taxii", Kind: KindTAXII, URL: v, Interval: time.Hour,
			Description: "TAXII 2.1 collection", Collection: get(SettingTAXIICollect), User: get(SettingTAXIIUser), Password: settings[SettingTAXIIPassword]})
	} else if get(SettingTAXIICollect) != "" || get(SettingTAXIIUser) != "" {
		return cfg, fmt.Errorf("intel: %s and %s need %s", SettingTAXIICollect, SettingTAXIIUser, SettingTAXIIURL)
	}
	if v := get(SettingMISPURL); v != "" {
		if err := checkURL(SettingMISPURL, v); err != nil {
			return cfg, err
		}
		base := strings.TrimSuffix(strings.TrimSuffix(v, "/manifest.json"), "/")
		cfg.Feeds = append(cfg.Feeds, Feed{Name: "misp", Kind: KindMISP, URL: base, Interval: time.Hour, Description: "MISP feed",
			AuthKey: settings[SettingMISPAuthKey], Defaults: Defaults{Reference: base + "/{id}.json"}})
	}
	if interval > 0 {
		for i := range cfg.Feeds {
			cfg.Feeds[i].Interval = interval
		}
	}
	return cfg, nil
}

// checkURL accepts absolute http and https URLs.
func checkURL(setting, v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("intel: %s %q: expected an http or https URL", setting, clip(v, 100))
	}
	return nil
}
