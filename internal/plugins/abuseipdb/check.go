package abuseipdb

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spotter-soc/spotter/internal/ioc"
	"github.com/spotter-soc/spotter/internal/plugins/provider"
	"github.com/spotter-soc/spotter/internal/skill"
)

// MaxReports is how many individual reports (newest first) a verbose
// CheckIP keeps in its result; the categories are counted over all of them.
const MaxReports = 20

// IPReport is the result of abuseipdb.CheckIP.
type IPReport struct {
	IP      string `json:"ip"`
	Version int    `json:"version"`
	Public  bool   `json:"public"`
	// Whitelisted is null when AbuseIPDB did not consult its whitelist.
	Whitelisted       *bool      `json:"whitelisted"`
	AbuseConfidence   int        `json:"abuse_confidence"` // 0-100
	CountryCode       string     `json:"country_code,omitempty"`
	CountryName       string     `json:"country_name,omitempty"` // verbose only
	UsageType         string     `json:"usage_type,omitempty"`
	ISP               string     `json:"isp,omitempty"`
	Domain            string     `json:"domain,omitempty"`
	Hostnames         []string   `json:"hostnames,omitempty"`
	Tor               bool       `json:"tor"`
	TotalReports      int        `json:"total_reports"` // within MaxAgeDays
	DistinctReporters int        `json:"distinct_reporters"`
	LastReported      *time.Time `json:"last_reported,omitempty"`
	MaxAgeDays        int        `json:"max_age_days"`
	// Categories and Reports are filled only by a verbose check.
	Categories     []CategoryCount `json:"categories,omitempty"`
	Reports        []Report        `json:"reports,omitempty"`
	ReportsOmitted int             `json:"reports_omitted,omitempty"`
	Link           string          `json:"link"`
}

// Report is one abuse report of a verbose check.
type Report struct {
	ReportedAt      *time.Time `json:"reported_at,omitempty"`
	Categories      []string   `json:"categories"`
	Comment         string     `json:"comment,omitempty"` // clipped to 200 characters
	ReporterCountry string     `json:"reporter_country,omitempty"`
}

// checkResponse is the /check document.
type checkResponse struct {
	Data *checkData `json:"data"`
}

type checkData struct {
	IPAddress            string       `json:"ipAddress"`
	IsPublic             *bool        `json:"isPublic"`
	IPVersion            int          `json:"ipVersion"`
	IsWhitelisted        *bool        `json:"isWhitelisted"`
	AbuseConfidenceScore int          `json:"abuseConfidenceScore"`
	CountryCode          string       `json:"countryCode"`
	CountryName          string       `json:"countryName"`
	UsageType            string       `json:"usageType"`
	ISP                  string       `json:"isp"`
	Domain               string       `json:"domain"`
	Hostnames            []string     `json:"hostnames"`
	IsTor                bool         `json:"isTor"`
	TotalReports         int          `json:"totalReports"`
	NumDistinctUsers     int          `json:"numDistinctUsers"`
	LastReportedAt       string       `json:"lastReportedAt"`
	Reports              []wireReport `json:"reports"`
}

type wireReport struct {
	ReportedAt          string `json:"reportedAt"`
	Comment             string `json:"comment"`
	Categories          []int  `json:"categories"`
	ReporterCountryCode string `json:"reporterCountryCode"`
}

type checkIP struct{ c *client }

func (s *checkIP) Spec() skill.Spec { return checkIPSpec() }

// Run checks one public address. Private and reserved addresses are refused
// before any call: AbuseIPDB has nothing to say about them, and asking would
// spend quota and disclose internal addressing.
func (s *checkIP) Run(ctx context.Context, in skill.Inputs) (*skill.Result, error) {
	ip, err := publicIP(in.String("ip"))
	if err != nil {
		return nil, err
	}
	days, err := maxAge(CheckIPID, in)
	if err != nil {
		return nil, err
	}
	q := url.Values{"ipAddress": {ip}, "maxAgeInDays": {strconv.Itoa(days)}}
	var flags []string
	if in.Bool("verbose") {
		flags = append(flags, "verbose")
	}
	r, err := s.c.get(ctx, "/check", q, flags...)
	if err != nil {
		return nil, err
	}
	if r.Status != 200 {
		return nil, apiError(r, s.c.Key())
	}
	return checkResult(ip, days, r.Body, s.c.Key())
}

// publicIP validates the ip input: an IPv4 or IPv6 address outside every
// special-purpose range, returned in canonical form.
func publicIP(raw string) (string, error) {
	t, norm, ok := ioc.Classify(raw)
	if !ok || (t != ioc.TypeIPv4 && t != ioc.TypeIPv6) {
		return "", &skill.InputError{Skill: CheckIPID, Input: "ip", Msg: fmt.Sprintf("%q: expected an IPv4 or IPv6 address", provider.Clip(raw, 80))}
	}
	a, _ := ioc.ParseIP(norm)
	if c := ioc.ClassifyIP(a); !c.Public {
		return "", &skill.InputError{Skill: CheckIPID, Input: "ip", Msg: fmt.Sprintf(
			"%s is a %s address (%s): AbuseIPDB only has reports on public addresses, so it was not sent", norm, c.Range, c.Prefix)}
	}
	return norm, nil
}

// maxAge reads max_age_days, defaulting when absent and refusing values
// outside the documented 1-365 before any call.
func maxAge(id string, in skill.Inputs) (int, error) {
	if _, ok := in["max_age_days"]; !ok {
		return defaultMaxAge, nil
	}
	d := in.Int("max_age_days")
	if d < minMaxAge || d > maxMaxAge {
		return 0, &skill.InputError{Skill: id, Input: "max_age_days", Msg: fmt.Sprintf("%d: expected between %d and %d", d, minMaxAge, maxMaxAge)}
	}
	return d, nil
}

// checkResult interprets a 200 /check body. Anything but the documented
// document is a ProviderError; it never panics on hostile input.
func checkResult(ip string, days int, body []byte, key string) (*skill.Result, error) {
	var doc checkResponse
	if err := json.Unmarshal(bytes.TrimSpace(body), &doc); err != nil {
		return nil, provider.Unexpected(Name, err, key)
	}
	if doc.Data == nil {
		return nil, provider.Unexpected(Name, errors.New(`no "data" object`), key)
	}
	d := doc.Data
	if d.AbuseConfidenceScore < 0 || d.AbuseConfidenceScore > 100 {
		return nil, provider.Unexpected(Name, fmt.Errorf("abuseConfidenceScore %d is outside 0-100", d.AbuseConfidenceScore), key)
	}
	rep := IPReport{
		IP: ip, Version: d.IPVersion, Public: d.IsPublic == nil || *d.IsPublic, Whitelisted: d.IsWhitelisted,
		AbuseConfidence: d.AbuseConfidenceScore, CountryCode: provider.Clip(d.CountryCode, 8), CountryName: provider.Clip(d.CountryName, 80),
		UsageType: provider.Clip(d.UsageType, 80), ISP: provider.Clip(d.ISP, 120), Domain: provider.Clip(d.Domain, 120), Tor: d.IsTor,
		TotalReports: max(0, d.TotalReports), DistinctReporters: max(0, d.NumDistinctUsers),
		LastReported: parseTime(d.LastReportedAt), MaxAgeDays: days, Link: Link(ip),
	}
	for _, h := range d.Hostnames {
		if len(rep.Hostnames) < 20 {
			rep.Hostnames = append(rep.Hostnames, provider.Clip(h, 120))
		}
	}
	if len(d.Reports) > 0 {
		rep.Categories = tally(d.Reports)
		rep.Reports, rep.ReportsOmitted = newest(d.Reports, MaxReports)
	}
	f := judgeIP(rep)
	return &skill.Result{Data: rep, Summary: ipSummary(rep, f), Findings: []skill.Finding{f}, Links: []string{rep.Link}}, nil
}

// Link is the AbuseIPDB page of an address.
func Link(ip string) string { return "https://www.abuseipdb.com/check/" + ip }

// judgeIP maps an answer to a verdict. The score is AbuseIPDB's abuse
// confidence score itself; the level follows these rules, first match wins:
//
//   - whitelisted by AbuseIPDB → benign;
//   - score ≥ 75 → malicious;
//   - score ≥ 25 → suspicious;
//   - a Tor exit node → suspicious (traffic from Tor hides its origin);
//   - no report within max_age_days → unknown (absence of reports is not
//     evidence of good behaviour);
//   - reported, but score below 25 → benign (AbuseIPDB itself has low confidence).
func judgeIP(r IPReport) skill.Finding {
	f := skill.Finding{Indicator: r.IP, Type: "ip", Skill: CheckIPID, Score: r.AbuseConfidence, Source: source, Link: r.Link}
	switch {
	case r.Whitelisted != nil && *r.Whitelisted:
		f.Level = skill.Benign
	case r.AbuseConfidence >= 75:
		f.Level = skill.Malicious
	case r.AbuseConfidence >= 25:
		f.Level = skill.Suspicious
	case r.Tor:
		f.Level = skill.Suspicious
	case r.TotalReports == 0:
		f.Level = skill.Unknown
	default:
		f.Level = skill.Benign
	}
	f.Reasons = append(f.Reasons, fmt.Sprintf("abuse confidence %d%%", r.AbuseConfidence))
	if r.TotalReports > 0 {
		f.Reasons = append(f.Reasons, fmt.Sprintf("%s from %s in %d days", provider.Count(r.TotalReports, "report"), provider.Count(r.DistinctReporters, "user"), r.MaxAgeDays))
	}
	if r.Whitelisted != nil && *r.Whitelisted {
		f.Reasons = append(f.Reasons, "whitelisted by AbuseIPDB")
	}
	if r.Tor {
		f.Reasons = append(f.Reasons, "Tor exit node")
	}
	for i, c := range r.Categories {
		if i == 5 {
			break
		}
		f.Reasons = append(f.Reasons, "reported for "+c.Name)
	}
	if r.UsageType != "" {
		f.Reasons = append(f.Reasons, "usage type: "+r.UsageType)
	}
	switch {
	case r.TotalReports == 0:
		f.Summary = fmt.Sprintf("AbuseIPDB: no reports in the last %d days", r.MaxAgeDays)
	default:
		f.Summary = fmt.Sprintf("AbuseIPDB: abuse confidence %d%%, %s from %s in the last %d days",
			r.AbuseConfidence, provider.Count(r.TotalReports, "report"), provider.Count(r.DistinctReporters, "user"), r.MaxAgeDays)
	}
	if r.Tor {
		f.Summary += "; Tor exit node"
	}
	if r.Whitelisted != nil && *r.Whitelisted {
		f.Summary += "; whitelisted"
	}
	return f
}

func ipSummary(r IPReport, f skill.Finding) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**AbuseIPDB** — `%s`: **%s** (abuse confidence %d%%)\n\n", r.IP, f.Level, r.AbuseConfidence)
	if r.TotalReports == 0 {
		fmt.Fprintf(&b, "- Reports: none in the last %d days\n", r.MaxAgeDays)
	} else {
		fmt.Fprintf(&b, "- Reports: %s from %s in the last %d days", provider.Count(r.TotalReports, "report"), provider.Count(r.DistinctReporters, "user"), r.MaxAgeDays)
		if r.LastReported != nil {
			fmt.Fprintf(&b, "; last %s", r.LastReported.UTC().Format("2006-01-02 15:04 UTC"))
		}
		b.WriteString("\n")
	}
	var net []string
	for _, s := range []string{r.ISP, r.Domain, r.UsageType, r.CountryCode} {
		if s != "" {
			net = append(net, provider.MD(s))
		}
	}
	if len(net) > 0 {
		fmt.Fprintf(&b, "- Network: %s\n", strings.Join(net, ", "))
	}
	if r.Tor {
		b.WriteString("- Tor exit node\n")
	}
	if r.Whitelisted != nil && *r.Whitelisted {
		b.WriteString("- Whitelisted by AbuseIPDB\n")
	}
	if len(r.Categories) > 0 {
		var cs []string
		for _, c := range r.Categories {
			cs = append(cs, fmt.Sprintf("%s (%d)", c.Name, c.Reports))
		}
		fmt.Fprintf(&b, "- Categories: %s\n", strings.Join(cs, ", "))
	}
	fmt.Fprintf(&b, "- [AbuseIPDB page](%s)\n", r.Link)
	return b.String()
}

// newest keeps the n most recent reports and says how many were left out.
func newest(in []wireReport, n int) ([]Report, int) {
	out := make([]Report, 0, min(n, len(in)))
	idx := make([]int, len(in))
	for i := range idx {
		idx[i] = i
	}
	times := make([]time.Time, len(in))
	for i, r := range in {
		if t := parseTime(r.ReportedAt); t != nil {
			times[i] = *t
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return times[idx[a]].After(times[idx[b]]) })
	for _, i := range idx[:min(n, len(idx))] {
		r := in[i]
		rep := Report{ReportedAt: parseTime(r.ReportedAt), Comment: provider.Clip(r.Comment, 200), ReporterCountry: provider.Clip(r.ReporterCountryCode, 8), Categories: []string{}}
		for _, c := range r.Categories {
			rep.Categories = append(rep.Categories, CategoryName(c))
		}
		out = append(out, rep)
	}
	return out, len(in) - len(out)
}

// parseTime reads AbuseIPDB's ISO 8601 timestamps; nil when absent or unreadable.
func parseTime(s string) *time.Time {
	if s == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return nil
	}
	t = t.UTC()
	return &t
}
