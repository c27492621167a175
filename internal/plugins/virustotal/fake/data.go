package fake

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// Dataset is what the fake knows. Objects it does not know are answered
// with NotFoundError, except IP addresses: VirusTotal has an object for
// every valid address, which comes back never analysed.
type Dataset struct {
	Files   []File
	URLs    []URL
	Domains map[string]Domain // by lower-case name
	IPs     map[string]IP     // by canonical address

	files map[string]*File // by md5, sha1 and sha256
	urls  map[string]*URL  // by URL and by hex SHA-256 of the URL
}

// Analysis is the verdict part every object carries.
type Analysis struct {
	// Date of the last analysis; zero means never analysed, and then no
	// last_analysis_* attribute is sent.
	Date                                        time.Time
	Malicious, Suspicious, Harmless, Undetected int
	Timeout                                     int
	TypeUnsupported, ConfirmedTimeout, Failure  int    // files only
	Label                                       string // detection name the malicious engines report
	Reputation                                  int
	VotesHarmless, VotesMalicious               int
	Tags                                        []string
}

// File is a file object.
type File struct {
	MD5, SHA1, SHA256 string
	Size              int
	TypeDescription   string
	MeaningfulName    string
	Names             []string
	FirstSubmission   time.Time
	TimesSubmitted    int
	ThreatLabel       string   // popular_threat_classification.suggested_threat_label
	ThreatCategories  []string // most popular first
	Analysis
}

// URL is a URL object.
type URL struct {
	URL        string // as VirusTotal stores it, e.g. "http://example.com/"
	FinalURL   string
	Title      string
	HTTPStatus int
	Categories map[string]string
	Analysis
}

// Domain is a domain object.
type Domain struct {
	Registrar  string
	Created    time.Time
	Categories map[string]string
	A          []string // last_dns_records of type A
	Analysis
}

// IP is an IP address object.
type IP struct {
	ASN                int
	ASOwner, Network   string
	Country, Continent string
	Registry           string // regional internet registry
	Analysis
}

// Hashes returns the MD5, SHA-1 and SHA-256 of content, for building
// datasets of synthetic files.
func Hashes(content string) (md5hex, sha1hex, sha256hex string) {
	m, s1, s2 := md5.Sum([]byte(content)), sha1.Sum([]byte(content)), sha256.Sum256([]byte(content))
	return hex.EncodeToString(m[:]), hex.EncodeToString(s1[:]), hex.EncodeToString(s2[:])
}

func (d Dataset) index() Dataset {
	d.files, d.urls = map[string]*File{}, map[string]*URL{}
	for i := range d.Files {
		f := &d.Files[i]
		for _, h := range []string{f.MD5, f.SHA1, f.SHA256} {
			if h != "" {
				d.files[strings.ToLower(h)] = f
			}
		}
	}
	for i := range d.URLs {
		u := &d.URLs[i]
		sum := sha256.Sum256([]byte(u.URL))
		d.urls[u.URL], d.urls[hex.EncodeToString(sum[:])] = u, u
	}
	return d
}

// attributes renders the shared attributes; files have the eight-key stats.
func (a Analysis) attributes(file bool) map[string]any {
	m := map[string]any{
		"reputation":  a.Reputation,
		"total_votes": map[string]int{"harmless": a.VotesHarmless, "malicious": a.VotesMalicious},
		"tags":        append([]string{}, a.Tags...),
	}
	if a.Date.IsZero() {
		return m
	}
	stats := map[string]int{"harmless": a.Harmless, "malicious": a.Malicious, "suspicious": a.Suspicious, "undetected": a.Undetected, "timeout": a.Timeout}
	if file {
		stats["type-unsupported"], stats["confirmed-timeout"], stats["failure"] = a.TypeUnsupported, a.ConfirmedTimeout, a.Failure
	}
	results := map[string]any{}
	n := 0
	add := func(k int, category string, result any) {
		for range k {
			n++
			name := fmt.Sprintf("Engine%02d", n)
			results[name] = map[string]any{"category": category, "engine_name": name, "engine_version": "1.0",
				"engine_update": a.Date.Format("20060102"), "method": "blacklist", "result": result}
		}
	}
	label := a.Label
	if label == "" {
		label = "malware"
	}
	add(a.Malicious, "malicious", label)
	add(a.Suspicious, "suspicious", "suspicious")
	add(a.Harmless, "harmless", "clean")
	add(a.Undetected, "undetected", nil)
	m["last_analysis_date"] = a.Date.Unix()
	m["last_analysis_stats"] = stats
	m["last_analysis_results"] = results
	return m
}

func (s *Server) file(w http.ResponseWriter, id string) {
	f, ok := s.data.files[strings.ToLower(id)]
	if !ok {
		writeError(w, http.StatusNotFound, "NotFoundError", fmt.Sprintf("File %q not found", id))
		return
	}
	m := f.attributes(true)
	m["md5"], m["sha1"], m["sha256"], m["size"] = f.MD5, f.SHA1, f.SHA256, f.Size
	m["type_description"], m["meaningful_name"], m["names"] = f.TypeDescription, f.MeaningfulName, append([]string{}, f.Names...)
	m["times_submitted"] = f.TimesSubmitted
	if !f.FirstSubmission.IsZero() {
		last := f.Date
		if last.IsZero() {
			last = f.FirstSubmission
		}
		m["first_submission_date"], m["last_submission_date"] = f.FirstSubmission.Unix(), last.Unix()
	}
	if f.ThreatLabel != "" {
		var cats []map[string]any
		for i, c := range f.ThreatCategories {
			cats = append(cats, map[string]any{"count": 10 - i, "value": c})
		}
		m["popular_threat_classification"] = map[string]any{"suggested_threat_label": f.ThreatLabel, "popular_threat_category": cats}
	}
	writeObject(w, "file", "files", f.SHA256, m)
}

// url finds a URL by its identifier: unpadded URL-safe base64 of the URL,
// or the hex SHA-256 of the URL. Padded or standard base64 is not accepted.
func (s *Server) url(w http.ResponseWriter, id string) {
	u, ok := s.data.urls[strings.ToLower(id)]
	if !ok {
		if raw, err := base64.RawURLEncoding.DecodeString(id); err == nil {
			u, ok = s.data.urls[string(raw)]
		}
	}
	if !ok {
		writeError(w, http.StatusNotFound, "NotFoundError", fmt.Sprintf("URL %q not found", id))
		return
	}
	m := u.attributes(false)
	m["url"], m["last_final_url"], m["title"], m["last_http_response_code"] = u.URL, u.FinalURL, u.Title, u.HTTPStatus
	m["categories"] = u.Categories
	sum := sha256.Sum256([]byte(u.URL))
	writeObject(w, "url", "urls", hex.EncodeToString(sum[:]), m)
}

func (s *Server) domain(w http.ResponseWriter, id string) {
	name, err := url.PathUnescape(id)
	name = strings.ToLower(name)
	d, ok := s.data.Domains[name]
	if err != nil || !ok {
		writeError(w, http.StatusNotFound, "NotFoundError", fmt.Sprintf("Domain %q not found", id))
		return
	}
	m := d.attributes(false)
	m["registrar"], m["categories"] = d.Registrar, d.Categories
	if !d.Created.IsZero() {
		m["creation_date"] = d.Created.Unix()
	}
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		m["tld"] = name[i+1:]
	}
	var recs []map[string]any
	for _, a := range d.A {
		recs = append(recs, map[string]any{"type": "A", "value": a, "ttl": 300})
	}
	m["last_dns_records"] = recs
	writeObject(w, "domain", "domains", name, m)
}

func (s *Server) ip(w http.ResponseWriter, id string) {
	raw, _ := url.PathUnescape(id)
	a, err := netip.ParseAddr(raw)
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidArgumentError", fmt.Sprintf("%q is not a valid IP address", id))
		return
	}
	rec := s.data.IPs[a.String()]
	m := rec.attributes(false)
	m["asn"], m["as_owner"], m["network"], m["country"], m["continent"], m["regional_internet_registry"] =
		rec.ASN, rec.ASOwner, rec.Network, rec.Country, rec.Continent, rec.Registry
	writeObject(w, "ip_address", "ip_addresses", a.String(), m)
}
