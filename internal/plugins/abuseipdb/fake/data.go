package fake

import (
	"encoding/json"
	"math/big"
	"net/http"
	"net/netip"
	"net/url"
	"sort"
	"strconv"
	"time"

	"github.com/spotter-soc/spotter/internal/plugins/provider/fakekit"
)

// Dataset is what the fake knows: addresses (canonical text form) and their
// reports. Report counts, reporters and the last report date are derived
// from Reports and the maxAgeInDays of each request; /check-block answers
// from the addresses of the dataset that fall in the network.
type Dataset struct {
	Addresses map[string]Address
}

// Address is one known address.
type Address struct {
	Score       int   // abuseConfidenceScore, 0-100
	Whitelisted *bool // nil answers null
	CountryCode string
	CountryName string // sent only in verbose answers, as documented
	UsageType   string
	ISP         string
	Domain      string
	Hostnames   []string
	Tor         bool
	Reports     []Report
}

// Report is one abuse report.
type Report struct {
	At              time.Time
	Comment         string
	Categories      []int
	ReporterID      int // 0 for an anonymous report
	ReporterCountry string
}

// Sample returns a small dataset with one address per verdict, with report
// dates relative to now: a Tor exit node with brute-force reports
// (185.220.101.47, malicious), a port scanner (45.155.205.233, suspicious),
// a whitelisted resolver (8.8.8.8, benign), an IPv6 web attacker
// (2a0b:f4c2:2::1, malicious) and a lightly reported address
// (93.184.216.34, benign). Every other address is never reported.
func Sample(now time.Time) Dataset {
	yes := true
	ago := func(h int) time.Time { return now.Add(-time.Duration(h) * time.Hour) }
	return Dataset{Addresses: map[string]Address{
		"185.220.101.47": {Score: 100, Whitelisted: new(bool), CountryCode: "DE", CountryName: "Germany",
			UsageType: "Data Center/Web Hosting/Transit", ISP: "Example Anonymity Network e.V.", Domain: "example-tor.net",
			Hostnames: []string{"tor-exit-47.example-tor.net"}, Tor: true,
			Reports: []Report{
				{At: ago(2), Comment: "sshd: 312 failed logins", Categories: []int{18, 22}, ReporterID: 11, ReporterCountry: "NL"},
				{At: ago(30), Comment: "port scan tcp/22,23,3389", Categories: []int{14}, ReporterID: 12, ReporterCountry: "US"},
				{At: ago(200), Comment: "wp-login brute force", Categories: []int{18, 21}, ReporterID: 13, ReporterCountry: "FR"},
				{At: ago(24 * 60), Comment: "old report", Categories: []int{15}, ReporterID: 11, ReporterCountry: "NL"},
			}},
		"45.155.205.233": {Score: 55, Whitelisted: new(bool), CountryCode: "RU", CountryName: "Russian Federation",
			UsageType: "Data Center/Web Hosting/Transit", ISP: "Example Hosting LLC",
			Reports: []Report{
				{At: ago(5), Comment: "masscan", Categories: []int{14}, ReporterID: 21, ReporterCountry: "DE"},
				{At: ago(50), Comment: "", Categories: []int{14, 15}, ReporterID: 0, ReporterCountry: "US"},
			}},
		"8.8.8.8": {Score: 0, Whitelisted: &yes, CountryCode: "US", CountryName: "United States of America",
			UsageType: "Content Delivery Network", ISP: "Google LLC", Domain: "google.com", Hostnames: []string{"dns.google"},
			Reports: []Report{{At: ago(72), Comment: "dns traffic", Categories: []int{2}, ReporterID: 31, ReporterCountry: "BR"}}},
		"2a0b:f4c2:2::1": {Score: 82, Whitelisted: new(bool), CountryCode: "NL", CountryName: "Netherlands",
			UsageType: "Data Center/Web Hosting/Transit", ISP: "Example IPv6 Hosting B.V.",
			Reports: []Report{
				{At: ago(1), Comment: "SQLi attempts on /search", Categories: []int{16, 21}, ReporterID: 41, ReporterCountry: "SE"},
				{At: ago(3), Comment: "bad bot", Categories: []int{19}, ReporterID: 42, ReporterCountry: "SE"},
			}},
		"93.184.216.34": {Score: 3, Whitelisted: new(bool), CountryCode: "US", CountryName: "United States of America",
			UsageType: "Content Delivery Network", ISP: "Example CDN Inc.", Domain: "example-cdn.com",
			Reports: []Report{{At: ago(100), Comment: "probably a false positive", Categories: []int{19}, ReporterID: 51, ReporterCountry: "CA"}}},
	}}
}

// checkData is the documented /check data object.
type checkData struct {
	IPAddress            string       `json:"ipAddress"`
	IsPublic             bool         `json:"isPublic"`
	IPVersion            int          `json:"ipVersion"`
	IsWhitelisted        *bool        `json:"isWhitelisted"`
	AbuseConfidenceScore int          `json:"abuseConfidenceScore"`
	CountryCode          *string      `json:"countryCode"`
	CountryName          *string      `json:"countryName,omitempty"`
	UsageType            *string      `json:"usageType"`
	ISP                  string       `json:"isp"`
	Domain               *string      `json:"domain"`
	Hostnames            []string     `json:"hostnames"`
	IsTor                bool         `json:"isTor"`
	TotalReports         int          `json:"totalReports"`
	NumDistinctUsers     int          `json:"numDistinctUsers"`
	LastReportedAt       *string      `json:"lastReportedAt"`
	Reports              []reportData `json:"reports,omitempty"`
}

type reportData struct {
	ReportedAt          string `json:"reportedAt"`
	Comment             string `json:"comment"`
	Categories          []int  `json:"categories"`
	ReporterID          int    `json:"reporterId"`
	ReporterCountryCode string `json:"reporterCountryCode"`
	ReporterCountryName string `json:"reporterCountryName"`
}

// maxAge reads maxAgeInDays (default 30); ok is false after a 422.
func maxAge(w http.ResponseWriter, q url.Values) (int, bool) {
	if !q.Has("maxAgeInDays") {
		return 30, true
	}
	n, err := strconv.Atoi(q.Get("maxAgeInDays"))
	if err != nil || n < 1 || n > 365 {
		writeError(w, http.StatusUnprocessableEntity, DetailMaxAge, "maxAgeInDays")
		return 0, false
	}
	return n, true
}

func (s *Server) check(w http.ResponseWriter, q url.Values, now time.Time) {
	a, err := netip.ParseAddr(q.Get("ipAddress"))
	if err != nil || a.Zone() != "" {
		writeError(w, http.StatusUnprocessableEntity, DetailInvalidIP, "ipAddress")
		return
	}
	days, ok := maxAge(w, q)
	if !ok {
		return
	}
	a = a.Unmap()
	rec := s.data.Addresses[a.String()]
	verbose := q.Has("verbose")
	d := checkData{IPAddress: a.String(), IsPublic: public(a), IPVersion: 4, IsWhitelisted: rec.Whitelisted,
		AbuseConfidenceScore: rec.Score, CountryCode: str(rec.CountryCode), UsageType: str(rec.UsageType), ISP: rec.ISP,
		Domain: str(rec.Domain), Hostnames: append([]string{}, rec.Hostnames...), IsTor: rec.Tor}
	if a.Is6() {
		d.IPVersion = 6
	}
	if verbose {
		d.CountryName = str(rec.CountryName)
	}
	recent := within(rec.Reports, now, days)
	users := map[int]bool{}
	var last time.Time
	for i, r := range recent {
		// anonymous reporters are counted one by one
		if r.ReporterID == 0 {
			users[-1-i] = true
		} else {
			users[r.ReporterID] = true
		}
		if r.At.After(last) {
			last = r.At
		}
		if verbose {
			d.Reports = append(d.Reports, reportData{ReportedAt: r.At.UTC().Format(time.RFC3339), Comment: r.Comment,
				Categories: r.Categories, ReporterID: r.ReporterID, ReporterCountryCode: r.ReporterCountry, ReporterCountryName: r.ReporterCountry})
		}
	}
	d.TotalReports, d.NumDistinctUsers = len(recent), len(users)
	if !last.IsZero() {
		d.LastReportedAt = str(last.UTC().Format("2006-01-02T15:04:05+00:00"))
	}
	fakekit.WriteJSON(w, http.StatusOK, map[string]any{"data": d})
}

// MaxBlockBits is the largest block (shortest prefix) the fake serves, the
// free plan's /24. Its 422 text is an assumption: only the shape is documented.
const MaxBlockBits = 24

func (s *Server) checkBlock(w http.ResponseWriter, q url.Values, now time.Time) {
	p, err := netip.ParsePrefix(q.Get("network"))
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, "The network must be a valid IPv4 or IPv6 network in CIDR notation.", "network")
		return
	}
	if p.Addr().Is4() && p.Bits() < MaxBlockBits || p.Addr().Is6() && p.Bits() < 64 {
		writeError(w, http.StatusUnprocessableEntity, "The network is larger than your plan allows (/"+strconv.Itoa(MaxBlockBits)+").", "network")
		return
	}
	days, ok := maxAge(w, q)
	if !ok {
		return
	}
	p = p.Masked()
	type reported struct {
		IPAddress            string  `json:"ipAddress"`
		NumReports           int     `json:"numReports"`
		MostRecentReport     string  `json:"mostRecentReport"`
		AbuseConfidenceScore int     `json:"abuseConfidenceScore"`
		CountryCode          *string `json:"countryCode"`
	}
	list := []reported{}
	for ip, rec := range s.data.Addresses {
		a, err := netip.ParseAddr(ip)
		if err != nil || !p.Contains(a) {
			continue
		}
		recent := within(rec.Reports, now, days)
		if len(recent) == 0 {
			continue
		}
		var last time.Time
		for _, r := range recent {
			if r.At.After(last) {
				last = r.At
			}
		}
		list = append(list, reported{IPAddress: ip, NumReports: len(recent), MostRecentReport: last.UTC().Format("2006-01-02T15:04:05+00:00"),
			AbuseConfidenceScore: rec.Score, CountryCode: str(rec.CountryCode)})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].IPAddress < list[j].IPAddress })
	hostBits := p.Addr().BitLen() - p.Bits()
	space := "Internet"
	if !public(p.Addr()) {
		space = "Private"
	}
	d := map[string]any{
		"networkAddress":   p.Addr().String(),
		"netmask":          netmask(p),
		"minAddress":       p.Addr().String(),
		"maxAddress":       last(p).String(),
		"numPossibleHosts": possibleHosts(hostBits),
		"addressSpaceDesc": space,
		"reportedAddress":  list,
	}
	fakekit.WriteJSON(w, http.StatusOK, map[string]any{"data": d})
}

func within(rs []Report, now time.Time, days int) []Report {
	cut := now.Add(-time.Duration(days) * 24 * time.Hour)
	var out []Report
	for _, r := range rs {
		if r.At.After(cut) {
			out = append(out, r)
		}
	}
	return out
}

func public(a netip.Addr) bool {
	return a.IsGlobalUnicast() && !a.IsPrivate()
}

// str answers null for an empty string, as the API does for unknown fields.
func str(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func netmask(p netip.Prefix) string {
	if !p.Addr().Is4() {
		return strconv.Itoa(p.Bits())
	}
	var m [4]byte
	for i := range p.Bits() {
		m[i/8] |= 0x80 >> (i % 8)
	}
	return netip.AddrFrom4(m).String()
}

func last(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// possibleHosts follows the documented samples: usable hosts for IPv4
// blocks larger than /31, every address otherwise.
func possibleHosts(hostBits int) any {
	if hostBits >= 63 {
		return json.Number(new(big.Int).Lsh(big.NewInt(1), uint(hostBits)).String())
	}
	n := int64(1) << hostBits
	if hostBits >= 2 && hostBits <= 32 {
		n -= 2
	}
	return n
}
