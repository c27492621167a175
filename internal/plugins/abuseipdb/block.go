package abuseipdb

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
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

// MaxBlockAddresses bounds how many reported addresses (highest score
// first) a CheckBlock result lists; a /16 on a premium plan can hold
// thousands.
const MaxBlockAddresses = 100

// BlockReport is the result of abuseipdb.CheckBlock.
type BlockReport struct {
	Network        string `json:"network"`
	NetworkAddress string `json:"network_address"`
	Netmask        string `json:"netmask,omitempty"`
	MinAddress     string `json:"min_address,omitempty"`
	MaxAddress     string `json:"max_address,omitempty"`
	// PossibleHosts is kept as decimal text: an IPv6 block can exceed 64 bits.
	PossibleHosts   string            `json:"possible_hosts,omitempty"`
	AddressSpace    string            `json:"address_space,omitempty"`
	MaxAgeDays      int               `json:"max_age_days"`
	ReportedCount   int               `json:"reported_count"`
	Reported        []ReportedAddress `json:"reported"` // highest score first
	ReportedOmitted int               `json:"reported_omitted,omitempty"`
	HighestScore    int               `json:"highest_score"`
	AddressesOver75 int               `json:"addresses_over_75"`
	AddressesOver25 int               `json:"addresses_over_25"`
	Link            string            `json:"link"`
}

// ReportedAddress is one address of a block that has reports.
type ReportedAddress struct {
	IP               string     `json:"ip"`
	Reports          int        `json:"reports"`
	MostRecentReport *time.Time `json:"most_recent_report,omitempty"`
	AbuseConfidence  int        `json:"abuse_confidence"`
	CountryCode      string     `json:"country_code,omitempty"`
}

type blockResponse struct {
	Data *struct {
		NetworkAddress   string     `json:"networkAddress"`
		Netmask          flexString `json:"netmask"`
		MinAddress       string     `json:"minAddress"`
		MaxAddress       string     `json:"maxAddress"`
		NumPossibleHosts flexString `json:"numPossibleHosts"`
		AddressSpaceDesc string     `json:"addressSpaceDesc"`
		ReportedAddress  []struct {
			IPAddress            string `json:"ipAddress"`
			NumReports           int    `json:"numReports"`
			MostRecentReport     string `json:"mostRecentReport"`
			AbuseConfidenceScore int    `json:"abuseConfidenceScore"`
			CountryCode          string `json:"countryCode"`
		} `json:"reportedAddress"`
	} `json:"data"`
}

type checkBlock struct{ c *client }

func (s *checkBlock) Spec() skill.Spec { return checkBlockSpec() }

// Run checks one public network.
func (s *checkBlock) Run(ctx context.Context, in skill.Inputs) (*skill.Result, error) {
	network, err := publicNetwork(in.String("network"))
	if err != nil {
		return nil, err
	}
	days, err := maxAge(CheckBlockID, in)
	if err != nil {
		return nil, err
	}
	r, err := s.c.get(ctx, "/check-block", url.Values{"network": {network}, "maxAgeInDays": {strconv.Itoa(days)}})
	if err != nil {
		return nil, err
	}
	if r.Status != 200 {
		return nil, apiError(r, s.c.Key())
	}
	return blockResult(network, days, r.Body, s.c.Key())
}

// publicNetwork validates the network input and returns it masked
// ("203.0.113.7/24" becomes "203.0.113.0/24").
func publicNetwork(raw string) (string, error) {
	p, err := netip.ParsePrefix(strings.TrimSpace(ioc.Refang(strings.TrimSpace(raw))))
	if err != nil {
		return "", &skill.InputError{Skill: CheckBlockID, Input: "network", Msg: fmt.Sprintf("%q: expected a network in CIDR notation such as 185.220.101.0/24", provider.Clip(raw, 80))}
	}
	p = p.Masked()
	if c := ioc.ClassifyIP(p.Addr()); !c.Public && c.Prefix.Bits() <= p.Bits() {
		return "", &skill.InputError{Skill: CheckBlockID, Input: "network", Msg: fmt.Sprintf(
			"%s lies in the %s range %s: AbuseIPDB only has reports on public addresses, so it was not sent", p, c.Range, c.Prefix)}
	}
	return p.String(), nil
}

// blockResult interprets a 200 /check-block body.
func blockResult(network string, days int, body []byte, key string) (*skill.Result, error) {
	var doc blockResponse
	if err := json.Unmarshal(bytes.TrimSpace(body), &doc); err != nil {
		return nil, provider.Unexpected(Name, err, key)
	}
	if doc.Data == nil {
		return nil, provider.Unexpected(Name, errors.New(`no "data" object`), key)
	}
	d := doc.Data
	rep := BlockReport{
		Network: network, NetworkAddress: provider.Clip(d.NetworkAddress, 64), Netmask: provider.Clip(string(d.Netmask), 64),
		MinAddress: provider.Clip(d.MinAddress, 64), MaxAddress: provider.Clip(d.MaxAddress, 64), AddressSpace: provider.Clip(d.AddressSpaceDesc, 80),
		PossibleHosts: provider.Clip(string(d.NumPossibleHosts), 64), MaxAgeDays: days, Reported: []ReportedAddress{},
		Link: "https://www.abuseipdb.com/check-block/" + network,
	}
	var all []ReportedAddress
	for _, a := range d.ReportedAddress {
		if a.AbuseConfidenceScore < 0 || a.AbuseConfidenceScore > 100 {
			return nil, provider.Unexpected(Name, fmt.Errorf("abuseConfidenceScore %d is outside 0-100", a.AbuseConfidenceScore), key)
		}
		all = append(all, ReportedAddress{IP: provider.Clip(a.IPAddress, 64), Reports: a.NumReports, MostRecentReport: parseTime(a.MostRecentReport),
			AbuseConfidence: a.AbuseConfidenceScore, CountryCode: provider.Clip(a.CountryCode, 8)})
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].AbuseConfidence > all[j].AbuseConfidence })
	rep.ReportedCount = len(all)
	for _, a := range all {
		rep.HighestScore = max(rep.HighestScore, a.AbuseConfidence)
		if a.AbuseConfidence >= 75 {
			rep.AddressesOver75++
		}
		if a.AbuseConfidence >= 25 {
			rep.AddressesOver25++
		}
	}
	if len(all) > MaxBlockAddresses {
		rep.ReportedOmitted = len(all) - MaxBlockAddresses
		all = all[:MaxBlockAddresses]
	}
	rep.Reported = append(rep.Reported, all...)
	res := &skill.Result{Data: rep, Summary: blockSummary(rep), Findings: []skill.Finding{}, Links: []string{rep.Link}}
	for _, a := range rep.Reported {
		res.Findings = append(res.Findings, judgeBlockAddress(a, days))
	}
	return res, nil
}

// judgeBlockAddress maps one reported address of a block with the CheckIP
// thresholds: ≥ 75 malicious, ≥ 25 suspicious, otherwise benign (it has
// reports, but AbuseIPDB's confidence is low). The block answer carries no
// whitelist or Tor flag.
func judgeBlockAddress(a ReportedAddress, days int) skill.Finding {
	f := skill.Finding{Indicator: a.IP, Type: "ip", Skill: CheckBlockID, Score: a.AbuseConfidence, Source: source, Link: Link(a.IP)}
	switch {
	case a.AbuseConfidence >= 75:
		f.Level = skill.Malicious
	case a.AbuseConfidence >= 25:
		f.Level = skill.Suspicious
	default:
		f.Level = skill.Benign
	}
	f.Summary = fmt.Sprintf("AbuseIPDB: abuse confidence %d%%, %s in the last %d days", a.AbuseConfidence, provider.Count(a.Reports, "report"), days)
	f.Reasons = []string{fmt.Sprintf("abuse confidence %d%%", a.AbuseConfidence), provider.Count(a.Reports, "report") + " in its network block"}
	return f
}

func blockSummary(r BlockReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**AbuseIPDB** — network `%s`", r.Network)
	if r.AddressSpace != "" {
		fmt.Fprintf(&b, " (%s)", provider.MD(r.AddressSpace))
	}
	b.WriteString("\n\n")
	if r.ReportedCount == 0 {
		fmt.Fprintf(&b, "- No address reported in the last %d days\n", r.MaxAgeDays)
	} else {
		fmt.Fprintf(&b, "- %s reported in the last %d days; highest abuse confidence %d%%; %d at 75%% or more, %d at 25%% or more\n",
			provider.Count(r.ReportedCount, "address"), r.MaxAgeDays, r.HighestScore, r.AddressesOver75, r.AddressesOver25)
		for i, a := range r.Reported {
			if i == 10 {
				fmt.Fprintf(&b, "- … and %d more\n", r.ReportedCount-10)
				break
			}
			fmt.Fprintf(&b, "- `%s`: %d%%, %s\n", a.IP, a.AbuseConfidence, provider.Count(a.Reports, "report"))
		}
	}
	fmt.Fprintf(&b, "- [AbuseIPDB page](%s)\n", r.Link)
	return b.String()
}

// flexString accepts a JSON string, number or null as text: the netmask is
// "255.255.255.0" in the documentation and a prefix length in some answers.
type flexString string

// UnmarshalJSON implements json.Unmarshaler.
func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*f = ""
		return nil
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("expected a string or a number")
	}
	*f = flexString(n.String())
	return nil
}
