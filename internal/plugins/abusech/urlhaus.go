package abusech

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/spotter-soc/spotter/internal/ioc"
	"github.com/spotter-soc/spotter/internal/plugins/provider"
	"github.com/spotter-soc/spotter/internal/skill"
)

// URLhausURLReport is the result of abusech.URLhausURL.
type URLhausURLReport struct {
	URL    string `json:"url"`
	Listed bool   `json:"listed"`
	ID     string `json:"id,omitempty"`
	// Status is online, offline or unknown.
	Status          string            `json:"status,omitempty"`
	Host            string            `json:"host,omitempty"`
	Threat          string            `json:"threat,omitempty"` // e.g. malware_download
	DateAdded       *time.Time        `json:"date_added,omitempty"`
	LastOnline      *time.Time        `json:"last_online,omitempty"`
	Reporter        string            `json:"reporter,omitempty"`
	HostingNotified bool              `json:"hosting_notified"` // "larted": the hosting provider was told
	TakedownSeconds *int              `json:"takedown_seconds,omitempty"`
	Tags            []string          `json:"tags,omitempty"`
	Blacklists      map[string]string `json:"blacklists,omitempty"` // e.g. spamhaus_dbl → abused_legit_malware
	Payloads        []Payload         `json:"payloads,omitempty"`   // at most 10
	Link            string            `json:"link"`
}

// Payload is a file a URLhaus URL served.
type Payload struct {
	FirstSeen  *time.Time `json:"first_seen,omitempty"`
	FileName   string     `json:"file_name,omitempty"`
	FileType   string     `json:"file_type,omitempty"`
	Size       int        `json:"size,omitempty"`
	MD5        string     `json:"md5,omitempty"`
	SHA256     string     `json:"sha256,omitempty"`
	Signature  string     `json:"signature,omitempty"`
	VirusTotal string     `json:"virustotal,omitempty"` // detections, e.g. "16 / 58"
}

// URLhausHostReport is the result of abusech.URLhausHost.
type URLhausHostReport struct {
	Host       string            `json:"host"`
	Listed     bool              `json:"listed"`
	FirstSeen  *time.Time        `json:"first_seen,omitempty"`
	URLCount   int               `json:"url_count"`
	OnlineURLs int               `json:"online_urls"` // among the URLs returned
	Blacklists map[string]string `json:"blacklists,omitempty"`
	URLs       []HostURL         `json:"urls,omitempty"` // at most 20, online first
	Link       string            `json:"link"`
}

// HostURL is one URL a host served.
type HostURL struct {
	URL       string     `json:"url"`
	Status    string     `json:"status"`
	Threat    string     `json:"threat,omitempty"`
	DateAdded *time.Time `json:"date_added,omitempty"`
	Tags      []string   `json:"tags,omitempty"`
}

type urlhausURLDoc struct {
	ID                  flexString        `json:"id"`
	URLhausReference    string            `json:"urlhaus_reference"`
	URL                 string            `json:"url"`
	URLStatus           string            `json:"url_status"`
	Host                string            `json:"host"`
	DateAdded           string            `json:"date_added"`
	LastOnline          string            `json:"last_online"`
	Threat              string            `json:"threat"`
	Blacklists          map[string]string `json:"blacklists"`
	Reporter            string            `json:"reporter"`
	Larted              flexString        `json:"larted"`
	TakedownTimeSeconds flexString        `json:"takedown_time_seconds"`
	Tags                []string          `json:"tags"`
	Payloads            []struct {
		FirstSeen      string     `json:"firstseen"`
		Filename       string     `json:"filename"`
		FileType       string     `json:"file_type"`
		ResponseSize   flexString `json:"response_size"`
		ResponseMD5    string     `json:"response_md5"`
		ResponseSHA256 string     `json:"response_sha256"`
		Signature      string     `json:"signature"`
		VirusTotal     *struct {
			Result string `json:"result"`
		} `json:"virustotal"`
	} `json:"payloads"`
}

type urlhausHostDoc struct {
	URLhausReference string            `json:"urlhaus_reference"`
	Host             string            `json:"host"`
	FirstSeen        string            `json:"firstseen"`
	URLCount         flexString        `json:"url_count"`
	Blacklists       map[string]string `json:"blacklists"`
	URLs             []struct {
		URL       string     `json:"url"`
		URLStatus string     `json:"url_status"`
		DateAdded string     `json:"date_added"`
		Threat    string     `json:"threat"`
		Tags      []string   `json:"tags"`
		ID        flexString `json:"id"`
	} `json:"urls"`
}

// urlhausURL looks a URL up in URLhaus.
func (c *client) urlhausURL(ctx context.Context, in skill.Inputs) (*skill.Result, error) {
	raw := in.String("url")
	t, u, ok := ioc.Classify(raw)
	if !ok || t != ioc.TypeURL {
		return nil, &skill.InputError{Skill: URLhausURLID, Input: "url", Msg: fmt.Sprintf("%q: expected an absolute URL such as http://example.com/path", provider.Clip(raw, 80))}
	}
	r, err := c.postForm(ctx, svcURLhaus, c.urlhaus+"/url/", url.Values{"url": {u}})
	if err != nil {
		return nil, err
	}
	return urlhausURLResult(u, r, c.Key())
}

func urlhausURLResult(u string, r *provider.Response, key string) (*skill.Result, error) {
	qs, err := queryStatus(svcURLhaus, r, key)
	if err != nil {
		return nil, err
	}
	rep := URLhausURLReport{URL: u, Link: "https://urlhaus.abuse.ch/browse.php?search=" + url.QueryEscape(u)}
	switch qs {
	case "ok":
	case "no_results":
		f := skill.Finding{Indicator: u, Type: "url", Skill: URLhausURLID, Level: skill.Unknown, Source: srcURLhaus, Link: rep.Link,
			Summary: "URLhaus: not listed"}
		return &skill.Result{Data: rep, Summary: fmt.Sprintf("**URLhaus** — `%s`: not listed as a malware distribution URL.\n", provider.Tick(u)),
			Findings: []skill.Finding{f}, Links: []string{rep.Link}}, nil
	case "invalid_url":
		return nil, rejected(svcURLhaus, qs, "URL as invalid")
	default:
		return nil, unexpected(svcURLhaus, fmt.Errorf("query_status %q", qs), key)
	}
	var d urlhausURLDoc
	if err := json.Unmarshal(bytes.TrimSpace(r.Body), &d); err != nil {
		return nil, unexpected(svcURLhaus, err, key)
	}
	rep.Listed, rep.ID, rep.Status, rep.Host = true, provider.Clip(string(d.ID), 20), provider.Clip(d.URLStatus, 20), provider.Clip(d.Host, 255)
	rep.Threat, rep.Reporter, rep.HostingNotified = provider.Clip(d.Threat, 60), provider.Clip(d.Reporter, 60), string(d.Larted) == "true"
	rep.DateAdded, rep.LastOnline = parseTime(d.DateAdded), parseTime(d.LastOnline)
	if n, ok := d.TakedownTimeSeconds.int(); ok {
		rep.TakedownSeconds = &n
	}
	rep.Tags = provider.ClipAll(d.Tags, 20)
	rep.Blacklists = blacklists(d.Blacklists)
	if ref := d.URLhausReference; strings.HasPrefix(ref, "https://urlhaus.abuse.ch/") {
		rep.Link = provider.Clip(ref, 200)
	}
	for _, p := range d.Payloads {
		if len(rep.Payloads) == 10 {
			break
		}
		size, _ := p.ResponseSize.int()
		pl := Payload{FirstSeen: parseTime(p.FirstSeen), FileName: provider.Clip(p.Filename, 200), FileType: provider.Clip(p.FileType, 40), Size: size,
			MD5: provider.HexOnly(p.ResponseMD5), SHA256: provider.HexOnly(p.ResponseSHA256), Signature: provider.Clip(p.Signature, 60)}
		if p.VirusTotal != nil {
			pl.VirusTotal = provider.Clip(p.VirusTotal.Result, 20)
		}
		rep.Payloads = append(rep.Payloads, pl)
	}
	f := judgeURL(rep)
	return &skill.Result{Data: rep, Summary: urlSummary(rep, f), Findings: []skill.Finding{f}, Links: []string{rep.Link}}, nil
}

// judgeURL: every URL in URLhaus was reported and checked as a malware
// distribution URL, so a listed URL is malicious whatever its state; the
// score says how live the threat is: online 95, unknown 85, offline 75.
func judgeURL(r URLhausURLReport) skill.Finding {
	f := skill.Finding{Indicator: r.URL, Type: "url", Skill: URLhausURLID, Level: skill.Malicious, Source: srcURLhaus, Link: r.Link}
	switch r.Status {
	case "online":
		f.Score = 95
	case "offline":
		f.Score = 75
	default:
		f.Score = 85
	}
	f.Summary = fmt.Sprintf("URLhaus: listed as %s, %s", provider.OrDefault(r.Threat, "malware URL"), provider.OrDefault(r.Status, "status unknown"))
	f.Reasons = append(f.Reasons, "listed on URLhaus ("+provider.OrDefault(r.Threat, "malware URL")+")", "status "+provider.OrDefault(r.Status, "unknown"))
	if len(r.Tags) > 0 {
		f.Reasons = append(f.Reasons, "tags: "+strings.Join(r.Tags[:min(5, len(r.Tags))], ", "))
	}
	sigs := map[string]bool{}
	for _, p := range r.Payloads {
		if p.Signature != "" && !sigs[p.Signature] {
			sigs[p.Signature] = true
			f.Reasons = append(f.Reasons, "served "+p.Signature)
		}
	}
	return f
}

func urlSummary(r URLhausURLReport, f skill.Finding) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**URLhaus** — `%s`: **%s** (%s)\n\n", provider.Tick(r.URL), f.Level, provider.MD(provider.OrDefault(r.Status, "status unknown")))
	fmt.Fprintf(&b, "- Threat: %s", provider.MD(provider.OrDefault(r.Threat, "unknown")))
	if r.DateAdded != nil {
		fmt.Fprintf(&b, ", added %s", r.DateAdded.Format("2006-01-02"))
	}
	if r.Reporter != "" {
		fmt.Fprintf(&b, " by %s", provider.MD(r.Reporter))
	}
	b.WriteString("\n")
	if len(r.Tags) > 0 {
		fmt.Fprintf(&b, "- Tags: %s\n", provider.MDJoin(r.Tags))
	}
	if bl := blacklistText(r.Blacklists); bl != "" {
		fmt.Fprintf(&b, "- Blocklists: %s\n", bl)
	}
	for i, p := range r.Payloads {
		if i == 3 {
			fmt.Fprintf(&b, "- … %d more payloads\n", len(r.Payloads)-3)
			break
		}
		fmt.Fprintf(&b, "- Payload: %s (%s) sha256 `%s`", provider.MD(provider.OrDefault(p.FileName, "unnamed")), provider.MD(provider.OrDefault(p.FileType, "?")), p.SHA256)
		if p.Signature != "" {
			fmt.Fprintf(&b, ", %s", provider.MD(p.Signature))
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "- [URLhaus entry](%s)\n", r.Link)
	return b.String()
}

// urlhausHost looks a domain or public IP address up in URLhaus.
func (c *client) urlhausHost(ctx context.Context, in skill.Inputs) (*skill.Result, error) {
	host, typ, err := hostInput(URLhausHostID, "host", in.String("host"))
	if err != nil {
		return nil, err
	}
	r, err := c.postForm(ctx, svcURLhaus, c.urlhaus+"/host/", url.Values{"host": {host}})
	if err != nil {
		return nil, err
	}
	return urlhausHostResult(host, typ, r, c.Key())
}

// hostInput accepts a domain or a public IP address; it returns the
// normalised host and its indicator type.
func hostInput(id, input, raw string) (string, string, error) {
	t, h, ok := ioc.Classify(raw)
	switch {
	case ok && t == ioc.TypeDomain:
		return h, "domain", nil
	case ok && (t == ioc.TypeIPv4 || t == ioc.TypeIPv6):
		a, _ := ioc.ParseIP(h)
		if c := ioc.ClassifyIP(a); !c.Public {
			return "", "", &skill.InputError{Skill: id, Input: input, Msg: fmt.Sprintf(
				"%s is a %s address (%s): abuse.ch only knows public addresses, so it was not sent", h, c.Range, c.Prefix)}
		}
		return h, "ip", nil
	}
	return "", "", &skill.InputError{Skill: id, Input: input, Msg: fmt.Sprintf("%q: expected a domain name or an IP address", provider.Clip(raw, 80))}
}

func urlhausHostResult(host, typ string, r *provider.Response, key string) (*skill.Result, error) {
	qs, err := queryStatus(svcURLhaus, r, key)
	if err != nil {
		return nil, err
	}
	rep := URLhausHostReport{Host: host, Link: "https://urlhaus.abuse.ch/host/" + url.PathEscape(host) + "/"}
	switch qs {
	case "ok":
	case "no_results":
		f := skill.Finding{Indicator: host, Type: typ, Skill: URLhausHostID, Level: skill.Unknown, Source: srcURLhaus, Link: rep.Link,
			Summary: "URLhaus: no malware URLs on this host"}
		return &skill.Result{Data: rep, Summary: fmt.Sprintf("**URLhaus** — host `%s`: no malware distribution URLs listed.\n", host),
			Findings: []skill.Finding{f}, Links: []string{rep.Link}}, nil
	case "invalid_host":
		return nil, rejected(svcURLhaus, qs, "host as invalid")
	default:
		return nil, unexpected(svcURLhaus, fmt.Errorf("query_status %q", qs), key)
	}
	var d urlhausHostDoc
	if err := json.Unmarshal(bytes.TrimSpace(r.Body), &d); err != nil {
		return nil, unexpected(svcURLhaus, err, key)
	}
	rep.Listed, rep.FirstSeen, rep.Blacklists = true, parseTime(d.FirstSeen), blacklists(d.Blacklists)
	rep.URLCount, _ = d.URLCount.int()
	var urls []HostURL
	for _, u := range d.URLs {
		if u.URLStatus == "online" {
			rep.OnlineURLs++
		}
		urls = append(urls, HostURL{URL: provider.Clip(u.URL, 500), Status: provider.Clip(u.URLStatus, 20), Threat: provider.Clip(u.Threat, 60), DateAdded: parseTime(u.DateAdded), Tags: provider.ClipAll(u.Tags, 10)})
	}
	rep.URLCount = max(rep.URLCount, len(urls))
	sort.SliceStable(urls, func(i, j int) bool { return urls[i].Status == "online" && urls[j].Status != "online" })
	rep.URLs = urls[:min(20, len(urls))]
	f := judgeHost(rep, typ)
	return &skill.Result{Data: rep, Summary: hostSummary(rep, f), Findings: []skill.Finding{f}, Links: []string{rep.Link}}, nil
}

// judgeHost maps a host listing, first match wins. URLhaus lists abused
// legitimate platforms (file sharing, code hosting) next to attacker-owned
// hosts, so hosting malware URLs alone makes a host suspicious, not malicious:
//
//   - Spamhaus DBL lists it as a dedicated bad domain (a *_domain category
//     such as malware_domain or botnet_cc_domain) → malicious, 90;
//   - at least one of its URLs is online → suspicious, 65;
//   - it hosted malware URLs, now offline, or a blocklist lists it as abused → suspicious, 40;
//   - otherwise → unknown.
func judgeHost(r URLhausHostReport, typ string) skill.Finding {
	f := skill.Finding{Indicator: r.Host, Type: typ, Skill: URLhausHostID, Source: srcURLhaus, Link: r.Link}
	dbl := r.Blacklists["spamhaus_dbl"]
	listedAbused := strings.HasPrefix(dbl, "abused") || r.Blacklists["surbl"] == "listed"
	switch {
	case strings.HasSuffix(dbl, "_domain"):
		f.Level, f.Score = skill.Malicious, 90
	case r.OnlineURLs > 0:
		f.Level, f.Score = skill.Suspicious, 65
	case r.URLCount > 0 || listedAbused:
		f.Level, f.Score = skill.Suspicious, 40
	default:
		f.Level = skill.Unknown
	}
	f.Summary = fmt.Sprintf("URLhaus: %s hosted here, %d online", provider.Count(r.URLCount, "malware URL"), r.OnlineURLs)
	f.Reasons = append(f.Reasons, fmt.Sprintf("%s on URLhaus, %d online", provider.Count(r.URLCount, "malware URL"), r.OnlineURLs))
	for _, k := range []string{"spamhaus_dbl", "surbl"} {
		if v := r.Blacklists[k]; v != "" && v != "not listed" {
			f.Reasons = append(f.Reasons, k+": "+v)
		}
	}
	return f
}

func hostSummary(r URLhausHostReport, f skill.Finding) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**URLhaus** — host `%s`: **%s**\n\n", r.Host, f.Level)
	fmt.Fprintf(&b, "- %s listed, %d online", provider.Count(r.URLCount, "malware URL"), r.OnlineURLs)
	if r.FirstSeen != nil {
		fmt.Fprintf(&b, "; first seen %s", r.FirstSeen.Format("2006-01-02"))
	}
	b.WriteString("\n")
	if bl := blacklistText(r.Blacklists); bl != "" {
		fmt.Fprintf(&b, "- Blocklists: %s\n", bl)
	}
	for i, u := range r.URLs {
		if i == 5 {
			break
		}
		fmt.Fprintf(&b, "- `%s` (%s)\n", provider.Tick(u.URL), provider.MD(u.Status))
	}
	fmt.Fprintf(&b, "- [URLhaus host page](%s)\n", r.Link)
	return b.String()
}

// blacklists keeps the known blocklist verdicts, clipped.
func blacklists(in map[string]string) map[string]string {
	if len(in) == 0 {
		return nil
	}
	out := map[string]string{}
	for k, v := range in {
		if len(out) < 10 {
			out[provider.Clip(k, 40)] = provider.Clip(v, 60)
		}
	}
	return out
}

func blacklistText(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, provider.MD(k)+" "+provider.MD(m[k]))
	}
	return strings.Join(parts, ", ")
}
