package fake

import (
	"encoding/json"
	"net/http"
	"net/netip"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spotter-soc/spotter/internal/plugins/provider/fakekit"
)

func (s *Server) urlhausURL(w http.ResponseWriter, form url.Values) {
	u := form.Get("url")
	if p, err := url.Parse(u); u == "" || err != nil || p.Host == "" {
		fakekit.WriteJSON(w, http.StatusOK, map[string]string{"query_status": "invalid_url"})
		return
	}
	for _, e := range s.data.URLs {
		if e.URL != u {
			continue
		}
		m := map[string]any{
			"query_status": "ok", "id": strconv.Itoa(e.ID), "urlhaus_reference": "https://urlhaus.abuse.ch/url/" + strconv.Itoa(e.ID) + "/",
			"url": e.URL, "url_status": e.Status, "host": e.Host, "date_added": stamp(e.DateAdded), "threat": e.Threat,
			"blacklists": s.blacklists(e.Host), "reporter": e.Reporter, "larted": strconv.FormatBool(e.Larted),
			"takedown_time_seconds": nil, "tags": nilIfEmpty(e.Tags), "payloads": nil,
		}
		if !e.LastOnline.IsZero() {
			// last_online comes without the " UTC" suffix
			m["last_online"] = e.LastOnline.UTC().Format("2006-01-02 15:04:05")
		} else {
			m["last_online"] = nil
		}
		if e.Status == "offline" && !e.LastOnline.IsZero() {
			m["takedown_time_seconds"] = strconv.Itoa(int(e.LastOnline.Sub(e.DateAdded).Seconds()))
		}
		var payloads []map[string]any
		for _, p := range e.Payloads {
			md5hex, _, sha := Hashes(p.Content)
			var vt any
			if p.VTResult != "" {
				vt = map[string]string{"result": p.VTResult, "percent": "33.33", "link": "https://www.virustotal.com/gui/file/" + sha}
			}
			payloads = append(payloads, map[string]any{
				"firstseen": p.FirstSeen.UTC().Format("2006-01-02"), "filename": p.FileName, "file_type": p.FileType,
				"response_size": strconv.Itoa(p.Size), "response_md5": md5hex, "response_sha256": sha,
				"urlhaus_download": "https://urlhaus-api.abuse.ch/v1/download/" + sha + "/", "signature": nilIfBlank(p.Signature),
				"virustotal": vt, "imphash": nil, "ssdeep": nil, "tlsh": nil, "magika": p.FileType,
			})
		}
		if payloads != nil {
			m["payloads"] = payloads
		}
		fakekit.WriteJSON(w, http.StatusOK, m)
		return
	}
	fakekit.WriteJSON(w, http.StatusOK, map[string]string{"query_status": "no_results"})
}

func (s *Server) urlhausHost(w http.ResponseWriter, form url.Values) {
	host := strings.ToLower(strings.TrimSpace(form.Get("host")))
	if host == "" || strings.ContainsAny(host, "/ :@") && !isIP(host) {
		fakekit.WriteJSON(w, http.StatusOK, map[string]string{"query_status": "invalid_host"})
		return
	}
	var urls []map[string]any
	var first time.Time
	for _, e := range s.data.URLs {
		if e.Host != host {
			continue
		}
		if first.IsZero() || e.DateAdded.Before(first) {
			first = e.DateAdded
		}
		urls = append(urls, map[string]any{
			"id": strconv.Itoa(e.ID), "urlhaus_reference": "https://urlhaus.abuse.ch/url/" + strconv.Itoa(e.ID) + "/", "url": e.URL,
			"url_status": e.Status, "date_added": stamp(e.DateAdded), "threat": e.Threat, "reporter": e.Reporter,
			"larted": strconv.FormatBool(e.Larted), "takedown_time_seconds": nil, "tags": nilIfEmpty(e.Tags),
		})
	}
	if len(urls) == 0 {
		fakekit.WriteJSON(w, http.StatusOK, map[string]string{"query_status": "no_results"})
		return
	}
	m := map[string]any{
		"query_status": "ok", "urlhaus_reference": "https://urlhaus.abuse.ch/host/" + host + "/", "host": host,
		"firstseen": stamp(first), "url_count": strconv.Itoa(len(urls)), "urls": urls,
	}
	if !isIP(host) {
		m["blacklists"] = s.blacklists(host)
	}
	fakekit.WriteJSON(w, http.StatusOK, m)
}

func (s *Server) blacklists(host string) map[string]string {
	if isIP(host) {
		return nil
	}
	if bl, ok := s.data.HostBlacklists[host]; ok {
		return bl
	}
	return map[string]string{"spamhaus_dbl": "not listed", "surbl": "not listed"}
}

// threatfox answers {"query":"search_ioc","search_term":...}: records whose
// ioc equals the term, or equals it plus a port.
func (s *Server) threatfox(w http.ResponseWriter, body []byte) {
	var q struct {
		Query      string `json:"query"`
		SearchTerm string `json:"search_term"`
	}
	if err := json.Unmarshal(body, &q); err != nil {
		fakekit.WriteJSON(w, http.StatusOK, map[string]string{"query_status": "illegal_json"})
		return
	}
	if q.Query != "search_ioc" {
		fakekit.WriteJSON(w, http.StatusOK, map[string]string{"query_status": "unknown_query"})
		return
	}
	term := strings.TrimSpace(q.SearchTerm)
	if len(term) < 3 {
		fakekit.WriteJSON(w, http.StatusOK, map[string]string{"query_status": "illegal_search_term", "data": "Your search term is too short"})
		return
	}
	var data []map[string]any
	for _, e := range s.data.IOCs {
		if !strings.EqualFold(e.IOC, term) && !strings.HasPrefix(strings.ToLower(e.IOC), strings.ToLower(term)+":") {
			continue
		}
		data = append(data, map[string]any{
			"id": strconv.Itoa(e.ID), "ioc": e.IOC, "threat_type": e.ThreatType, "threat_type_desc": threatDesc[e.ThreatType],
			"ioc_type": e.IOCType, "ioc_type_desc": "", "malware": e.Malware, "malware_printable": e.MalwarePrintable,
			"malware_alias": nilIfBlank(e.MalwareAlias), "malware_malpedia": "https://malpedia.caad.fkie.fraunhofer.de/details/" + e.Malware,
			"confidence_level": e.Confidence, "first_seen": stamp(e.FirstSeen), "last_seen": stamp(e.LastSeen), "reference": nil,
			"reporter": e.Reporter, "tags": nilIfEmpty(e.Tags), "malware_samples": []any{},
		})
	}
	if len(data) == 0 {
		fakekit.WriteJSON(w, http.StatusOK, map[string]string{"query_status": "no_result", "data": "Your search did not yield any results"})
		return
	}
	fakekit.WriteJSON(w, http.StatusOK, map[string]any{"query_status": "ok", "data": data})
}

var threatDesc = map[string]string{
	"botnet_cc":        "Indicator that identifies a botnet command&control server (C&C)",
	"payload_delivery": "Indicator that identifies a malware distribution server (payload delivery)",
	"payload":          "Indicator that identifies a malware sample (payload)",
}

// bazaar answers query=get_info&hash=<md5|sha1|sha256>.
func (s *Server) bazaar(w http.ResponseWriter, form url.Values) {
	if form.Get("query") != "get_info" {
		fakekit.WriteJSON(w, http.StatusOK, map[string]string{"query_status": "unknown_selector"})
		return
	}
	h := strings.ToLower(strings.TrimSpace(form.Get("hash")))
	switch {
	case h == "":
		fakekit.WriteJSON(w, http.StatusOK, map[string]string{"query_status": "no_hash_provided"})
		return
	case !isHex(h) || (len(h) != 32 && len(h) != 40 && len(h) != 64):
		fakekit.WriteJSON(w, http.StatusOK, map[string]string{"query_status": "illegal_hash"})
		return
	}
	for _, smp := range s.data.Samples {
		m5, s1, s256 := Hashes(smp.Content)
		if h != m5 && h != s1 && h != s256 {
			continue
		}
		tags := append([]string(nil), smp.Tags...)
		sort.Strings(tags)
		fakekit.WriteJSON(w, http.StatusOK, map[string]any{"query_status": "ok", "data": []map[string]any{{
			"sha256_hash": s256, "sha3_384_hash": nil, "sha1_hash": s1, "md5_hash": m5,
			// MalwareBazaar's first_seen has no " UTC" suffix
			"first_seen": smp.FirstSeen.UTC().Format("2006-01-02 15:04:05"), "last_seen": nil,
			"file_name": smp.FileName, "file_size": len(smp.Content), "file_type_mime": smp.MIME, "file_type": smp.FileType,
			"reporter": smp.Reporter, "origin_country": smp.OriginCountry, "anonymous": 0, "signature": nilIfBlank(smp.Signature),
			"imphash": nil, "tlsh": nil, "telfhash": nil, "gimphash": nil, "ssdeep": nil, "magika": smp.FileType, "dhash_icon": nil,
			"tags": tags, "delivery_method": smp.DeliveryMethod,
			"intelligence": map[string]any{"clamav": nilIfEmpty(smp.ClamAV), "downloads": strconv.Itoa(smp.Downloads), "uploads": "1", "mail": nil},
			"vendor_intel": map[string]any{}, "comments": nil,
		}}})
		return
	}
	fakekit.WriteJSON(w, http.StatusOK, map[string]string{"query_status": "hash_not_found"})
}

func isIP(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !('0' <= s[i] && s[i] <= '9' || 'a' <= s[i] && s[i] <= 'f') {
			return false
		}
	}
	return true
}

func nilIfEmpty(l []string) any {
	if len(l) == 0 {
		return nil
	}
	return l
}

func nilIfBlank(s string) any {
	if s == "" {
		return nil
	}
	return s
}
