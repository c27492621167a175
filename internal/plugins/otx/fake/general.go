package fake

import (
	"net/http"
	"net/netip"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/spotter-soc/spotter/internal/plugins/provider/fakekit"
)

// Dataset is what the fake knows, by canonical indicator (lower-case names
// and hashes, canonical addresses, URLs as given). Valid indicators it does
// not know get the general document with no pulses.
type Dataset struct {
	Indicators map[string]Indicator
}

// Indicator is what OTX knows about one indicator.
type Indicator struct {
	Pulses         []Pulse
	Validation     []Validation // non-empty means allowlisted
	FalsePositives int
	// Geo fields, sent for IPv4 and IPv6 indicators.
	ASN, CountryCode, CountryName string
}

// Pulse is one threat pulse.
type Pulse struct {
	ID                string // 24 hex digits
	Name, Description string
	Created, Modified time.Time
	Author            string
	TLP               string
	Tags              []string
	MalwareFamilies   []string // sent as {"id","display_name","target"} objects
	AttackIDs         []string // sent as {"id","name","display_name"} objects
	Adversary         string
}

// Validation is one allowlist entry.
type Validation struct {
	Source, Message, Name string
}

// sections lists the valid sections per type.
var sections = map[string][]string{
	"IPv4":     {"general", "reputation", "geo", "malware", "url_list", "passive_dns", "http_scans", "nids_list"},
	"IPv6":     {"general", "reputation", "geo", "malware", "url_list", "passive_dns"},
	"domain":   {"general", "geo", "malware", "url_list", "passive_dns", "whois", "http_scans"},
	"hostname": {"general", "geo", "malware", "url_list", "passive_dns", "http_scans"},
	"url":      {"general", "url_list"},
	"file":     {"general", "analysis"},
	"cve":      {"general"},
}

func validSection(typ, section string) bool {
	for _, s := range sections[typ] {
		if s == section {
			return true
		}
	}
	return false
}

// splitPath reads /indicators/{type}/{indicator}/{section}; the indicator
// may be percent-encoded or (for URLs) contain raw slashes.
func splitPath(p string) (typ, indicator, section string, ok bool) {
	rest, ok := strings.CutPrefix(p, "/indicators/")
	if !ok {
		return "", "", "", false
	}
	typ, rest, ok = strings.Cut(rest, "/")
	i := strings.LastIndexByte(rest, '/')
	if !ok || i <= 0 {
		return typ, "", "", false
	}
	raw, section := rest[:i], rest[i+1:]
	indicator, err := url.PathUnescape(raw)
	if err != nil {
		return typ, raw, section, false
	}
	return typ, indicator, section, true
}

// canonical checks an indicator against its type and returns its dataset key.
func canonical(typ, v string) (string, bool) {
	switch typ {
	case "IPv4", "IPv6":
		a, err := netip.ParseAddr(v)
		if err != nil || a.Is4() != (typ == "IPv4") {
			return "", false
		}
		return a.String(), true
	case "domain", "hostname":
		v = strings.ToLower(strings.TrimSuffix(v, "."))
		return v, strings.Contains(v, ".") && !strings.ContainsAny(v, "/:@ ")
	case "url":
		u, err := url.Parse(v)
		return v, err == nil && u.Scheme != "" && u.Host != ""
	case "file":
		v = strings.ToLower(v)
		if n := len(v); n != 32 && n != 40 && n != 64 {
			return "", false
		}
		return v, strings.Trim(v, "0123456789abcdef") == ""
	case "cve":
		return strings.ToUpper(v), strings.HasPrefix(strings.ToUpper(v), "CVE-")
	}
	return "", false
}

func (s *Server) general(w http.ResponseWriter, typ, value string) {
	rec, known := s.data.Indicators[value]
	var pulses []map[string]any
	families := map[string]bool{}
	for _, p := range rec.Pulses {
		var fams, attacks []map[string]any
		for _, f := range p.MalwareFamilies {
			fams = append(fams, map[string]any{"id": f, "display_name": f, "target": nil})
			families[f] = true
		}
		for _, a := range p.AttackIDs {
			attacks = append(attacks, map[string]any{"id": a, "name": a, "display_name": a})
		}
		pulses = append(pulses, map[string]any{
			"id": p.ID, "name": p.Name, "description": p.Description,
			"modified": p.Modified.UTC().Format("2006-01-02T15:04:05.000000"), "created": p.Created.UTC().Format("2006-01-02T15:04:05.000000"),
			"tags": orEmpty(p.Tags), "references": []string{}, "public": 1, "adversary": p.Adversary, "targeted_countries": []string{},
			"malware_families": orEmptyObjects(fams), "attack_ids": orEmptyObjects(attacks), "industries": []string{}, "TLP": orDefault(p.TLP, "white"),
			"cloned_from": nil, "export_count": 3, "upvotes_count": 0, "downvotes_count": 0, "votes_count": 0, "locked": false,
			"pulse_source": "api", "validator_count": 0, "comment_count": 0, "follower_count": 0, "is_subscribing": nil,
			"author":          map[string]any{"username": orDefault(p.Author, "otx-user"), "id": "1001", "avatar_url": "", "is_subscribed": false, "is_following": false},
			"indicator_count": 100,
		})
	}
	var related []string
	for f := range families {
		related = append(related, f)
	}
	sort.Strings(related)
	var validation []map[string]string
	for _, v := range rec.Validation {
		validation = append(validation, map[string]string{"source": v.Source, "message": v.Message, "name": v.Name})
	}
	var fps []map[string]any
	for range rec.FalsePositives {
		fps = append(fps, map[string]any{"assessment": "accepted", "report_date": "2025-01-01T00:00:00"})
	}
	base := map[string]any{}
	if known {
		base = map[string]any{"id": 3747387574, "indicator": value, "type": typ, "title": "", "description": "", "content": "", "access_type": "public", "access_reason": ""}
	}
	doc := map[string]any{
		"indicator": value, "type": typ, "type_title": typ, "reputation": 0, "base_indicator": base,
		"pulse_info": map[string]any{
			"count": len(pulses), "pulses": orEmptyObjects(pulses), "references": []string{},
			"related": map[string]any{
				"alienvault": map[string]any{"adversary": []string{}, "malware_families": orEmpty(related), "industries": []string{}},
				"other":      map[string]any{"adversary": []string{}, "malware_families": []string{}, "industries": []string{}},
			},
		},
		"false_positive": orEmptyObjects(fps), "validation": orEmptyStringMaps(validation), "sections": sections[typ],
	}
	switch typ {
	case "IPv4", "IPv6":
		doc["whois"] = "http://whois.domaintools.com/" + value
		doc["asn"], doc["country_code"], doc["country_name"] = rec.ASN, rec.CountryCode, rec.CountryName
		doc["city"], doc["latitude"], doc["longitude"], doc["continent_code"] = nil, nil, nil, nil
	case "domain", "hostname":
		doc["whois"] = "http://whois.domaintools.com/" + value
		doc["alexa"] = "http://www.alexa.com/siteinfo/" + value
	}
	fakekit.WriteJSON(w, http.StatusOK, doc)
}

func orEmpty(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

func orEmptyObjects(l []map[string]any) []map[string]any {
	if l == nil {
		return []map[string]any{}
	}
	return l
}

func orEmptyStringMaps(l []map[string]string) []map[string]string {
	if l == nil {
		return []map[string]string{}
	}
	return l
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
