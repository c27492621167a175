package abusech

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spotter-soc/spotter/internal/ioc"
	"github.com/spotter-soc/spotter/internal/plugins/provider"
	"github.com/spotter-soc/spotter/internal/skill"
)

// ThreatFoxReport is the result of abusech.ThreatFoxIOC.
type ThreatFoxReport struct {
	// Indicator is the looked-up indicator without a port; SearchTerm is
	// what was sent (with the port, if one was given).
	Indicator  string         `json:"indicator"`
	SearchTerm string         `json:"search_term"`
	Found      bool           `json:"found"`
	Total      int            `json:"total"`             // IOCs returned
	IOCs       []ThreatFoxIOC `json:"iocs,omitempty"`    // at most 20, highest confidence first
	Malware    []string       `json:"malware,omitempty"` // distinct families, highest confidence first
	Link       string         `json:"link"`
}

// ThreatFoxIOC is one ThreatFox record.
type ThreatFoxIOC struct {
	ID             string     `json:"id"`
	IOC            string     `json:"ioc"`
	IOCType        string     `json:"ioc_type"`    // ip:port, domain, url, md5_hash, ...
	ThreatType     string     `json:"threat_type"` // botnet_cc, payload_delivery, payload, ...
	ThreatTypeDesc string     `json:"threat_type_desc,omitempty"`
	Malware        string     `json:"malware,omitempty"` // Malpedia name, e.g. win.cobalt_strike
	MalwareName    string     `json:"malware_name,omitempty"`
	Aliases        []string   `json:"aliases,omitempty"`
	Confidence     int        `json:"confidence"` // 0-100
	FirstSeen      *time.Time `json:"first_seen,omitempty"`
	LastSeen       *time.Time `json:"last_seen,omitempty"`
	Reporter       string     `json:"reporter,omitempty"`
	Reference      string     `json:"reference,omitempty"`
	Tags           []string   `json:"tags,omitempty"`
	Link           string     `json:"link"`
}

type threatfoxDoc struct {
	QueryStatus string          `json:"query_status"`
	Data        json.RawMessage `json:"data"`
}

type threatfoxEntry struct {
	ID               flexString `json:"id"`
	IOC              string     `json:"ioc"`
	ThreatType       string     `json:"threat_type"`
	ThreatTypeDesc   string     `json:"threat_type_desc"`
	IOCType          string     `json:"ioc_type"`
	Malware          string     `json:"malware"`
	MalwarePrintable string     `json:"malware_printable"`
	MalwareAlias     string     `json:"malware_alias"`
	ConfidenceLevel  flexString `json:"confidence_level"`
	FirstSeen        string     `json:"first_seen"`
	LastSeen         string     `json:"last_seen"`
	Reference        string     `json:"reference"`
	Reporter         string     `json:"reporter"`
	Tags             []string   `json:"tags"`
}

// threatfoxIOC searches ThreatFox for one indicator.
func (c *client) threatfoxIOC(ctx context.Context, in skill.Inputs) (*skill.Result, error) {
	term, indicator, typ, err := threatfoxInput(in.String("ioc"))
	if err != nil {
		return nil, err
	}
	r, err := c.postJSON(ctx, svcThreatFox, c.threatfox+"/", map[string]string{"query": "search_ioc", "search_term": term})
	if err != nil {
		return nil, err
	}
	return threatfoxResult(term, indicator, typ, r, c.Key())
}

// threatfoxInput reads the ioc input: an IP address, domain, URL or hash,
// or an IP address or domain with a port. It returns the search term, the
// indicator without a port, and the indicator type.
func threatfoxInput(raw string) (term, indicator, typ string, err error) {
	refuse := func(msg string) (string, string, string, error) {
		return "", "", "", &skill.InputError{Skill: ThreatFoxIOCID, Input: "ioc", Msg: msg}
	}
	public := func(a netip.Addr) error {
		if c := ioc.ClassifyIP(a); !c.Public {
			return fmt.Errorf("%s is a %s address (%s): abuse.ch only knows public addresses, so it was not sent", a, c.Range, c.Prefix)
		}
		return nil
	}
	s := strings.TrimSpace(ioc.Refang(strings.TrimSpace(raw)))
	if t, n, ok := ioc.Classify(s); ok {
		switch t {
		case ioc.TypeIPv4, ioc.TypeIPv6:
			a, _ := ioc.ParseIP(n)
			if err := public(a); err != nil {
				return refuse(err.Error())
			}
			return n, n, "ip", nil
		case ioc.TypeDomain:
			return n, n, "domain", nil
		case ioc.TypeURL:
			return n, n, "url", nil
		case ioc.TypeMD5, ioc.TypeSHA1, ioc.TypeSHA256:
			return n, n, "hash", nil
		}
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		a := ap.Addr().WithZone("").Unmap()
		if err := public(a); err != nil {
			return refuse(err.Error())
		}
		return netip.AddrPortFrom(a, ap.Port()).String(), a.String(), "ip", nil
	}
	if h, p, err := net.SplitHostPort(s); err == nil && ioc.IsDomain(h) {
		if n, err := strconv.Atoi(p); err == nil && n > 0 && n < 65536 {
			d := ioc.NormalizeDomain(h)
			return d + ":" + p, d, "domain", nil
		}
	}
	return refuse(fmt.Sprintf("%q: expected an IP address (optionally with :port), a domain, a URL or an MD5, SHA-1 or SHA-256 hash", provider.Clip(raw, 80)))
}

func threatfoxResult(term, indicator, typ string, r *provider.Response, key string) (*skill.Result, error) {
	qs, err := queryStatus(svcThreatFox, r, key)
	if err != nil {
		return nil, err
	}
	rep := ThreatFoxReport{Indicator: indicator, SearchTerm: term, Link: "https://threatfox.abuse.ch/browse.php?search=ioc%3A" + url.QueryEscape(term)}
	switch qs {
	case "ok":
	case "no_result", "no_results":
		// data is a sentence here, not a list
		f := skill.Finding{Indicator: indicator, Type: typ, Skill: ThreatFoxIOCID, Level: skill.Unknown, Source: srcThreatFox, Link: rep.Link,
			Summary: "ThreatFox: no IOC matches"}
		return &skill.Result{Data: rep, Summary: fmt.Sprintf("**ThreatFox** — `%s`: no matching IOC.\n", provider.Tick(term)),
			Findings: []skill.Finding{f}, Links: []string{rep.Link}}, nil
	case "illegal_search_term":
		return nil, rejected(svcThreatFox, qs, "search term")
	default:
		return nil, unexpected(svcThreatFox, fmt.Errorf("query_status %q", qs), key)
	}
	var doc threatfoxDoc
	if err := json.Unmarshal(bytes.TrimSpace(r.Body), &doc); err != nil {
		return nil, unexpected(svcThreatFox, err, key)
	}
	var entries []threatfoxEntry
	if d := bytes.TrimSpace(doc.Data); len(d) == 0 || d[0] != '[' {
		return nil, unexpected(svcThreatFox, errors.New(`"data" is not a list`), key)
	}
	if err := json.Unmarshal(doc.Data, &entries); err != nil {
		return nil, unexpected(svcThreatFox, err, key)
	}
	for _, e := range entries {
		conf, _ := e.ConfidenceLevel.int()
		id := string(e.ID)
		if _, err := strconv.ParseUint(id, 10, 64); err != nil {
			id = ""
		}
		x := ThreatFoxIOC{ID: id, IOC: provider.Clip(e.IOC, 500), IOCType: provider.Clip(e.IOCType, 30), ThreatType: provider.Clip(e.ThreatType, 40),
			ThreatTypeDesc: provider.Clip(e.ThreatTypeDesc, 200), Malware: provider.Clip(e.Malware, 60), MalwareName: provider.Clip(e.MalwarePrintable, 60),
			Confidence: min(100, conf), FirstSeen: parseTime(e.FirstSeen), LastSeen: parseTime(e.LastSeen), Reporter: provider.Clip(e.Reporter, 60),
			Reference: provider.Clip(e.Reference, 300), Tags: provider.ClipAll(e.Tags, 10), Link: rep.Link}
		if id != "" {
			x.Link = "https://threatfox.abuse.ch/ioc/" + id + "/"
		}
		if e.MalwareAlias != "" {
			x.Aliases = provider.ClipAll(strings.Split(e.MalwareAlias, ","), 10)
		}
		rep.IOCs = append(rep.IOCs, x)
	}
	sort.SliceStable(rep.IOCs, func(i, j int) bool { return rep.IOCs[i].Confidence > rep.IOCs[j].Confidence })
	rep.Total, rep.Found = len(rep.IOCs), len(rep.IOCs) > 0
	rep.IOCs = rep.IOCs[:min(20, len(rep.IOCs))]
	for _, x := range rep.IOCs {
		name := provider.OrDefault(x.MalwareName, x.Malware)
		if name != "" && !containsString(rep.Malware, name) {
			rep.Malware = append(rep.Malware, name)
		}
	}
	if rep.Found {
		rep.Link = rep.IOCs[0].Link
	}
	f := judgeThreatFox(rep, typ)
	return &skill.Result{Data: rep, Summary: threatfoxSummary(rep, f), Findings: []skill.Finding{f}, Links: []string{rep.Link}}, nil
}

// judgeThreatFox maps the most confident matching IOC: every ThreatFox
// record ties the indicator to a malware family, so confidence ≥ 50 is
// malicious (score = confidence, at least 75) and a lower confidence is
// suspicious (score = confidence, at least 25). No record → unknown.
func judgeThreatFox(r ThreatFoxReport, typ string) skill.Finding {
	f := skill.Finding{Indicator: r.Indicator, Type: typ, Skill: ThreatFoxIOCID, Source: srcThreatFox, Link: r.Link}
	if !r.Found {
		f.Level, f.Summary = skill.Unknown, "ThreatFox: no IOC matches"
		return f
	}
	top := r.IOCs[0]
	if top.Confidence >= 50 {
		f.Level, f.Score = skill.Malicious, max(75, top.Confidence)
	} else {
		f.Level, f.Score = skill.Suspicious, max(25, top.Confidence)
	}
	what := provider.OrDefault(top.MalwareName, provider.OrDefault(top.Malware, "unknown malware"))
	f.Summary = fmt.Sprintf("ThreatFox: %s IOC for %s (confidence %d%%)", provider.OrDefault(top.ThreatType, "malware"), what, top.Confidence)
	f.Reasons = append(f.Reasons, fmt.Sprintf("ThreatFox %s: %s", provider.OrDefault(top.ThreatType, "IOC"), what), fmt.Sprintf("confidence %d%%", top.Confidence))
	for i, m := range r.Malware {
		if i > 0 && i < 4 {
			f.Reasons = append(f.Reasons, "also linked to "+m)
		}
	}
	return f
}

func threatfoxSummary(r ThreatFoxReport, f skill.Finding) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**ThreatFox** — `%s`: **%s** (%s)\n\n", provider.Tick(r.SearchTerm), f.Level, provider.Count(r.Total, "IOC"))
	for i, x := range r.IOCs {
		if i == 5 {
			fmt.Fprintf(&b, "- … %d more\n", r.Total-5)
			break
		}
		fmt.Fprintf(&b, "- `%s` (%s): %s, %s, confidence %d%%", provider.Tick(x.IOC), provider.MD(x.IOCType), provider.MD(provider.OrDefault(x.MalwareName, x.Malware)), provider.MD(x.ThreatType), x.Confidence)
		if x.FirstSeen != nil {
			fmt.Fprintf(&b, ", first seen %s", x.FirstSeen.Format("2006-01-02"))
		}
		fmt.Fprintf(&b, " — [entry](%s)\n", x.Link)
	}
	return b.String()
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
