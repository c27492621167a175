package fake

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Dataset is what the fake knows. URLhaus host answers are derived from the
// URLs on that host plus HostBlacklists; everything unknown gets the
// platform's not-found answer.
type Dataset struct {
	URLs           []URLEntry                   // URLhaus
	HostBlacklists map[string]map[string]string // URLhaus, by host: spamhaus_dbl, surbl (IP hosts have none)
	IOCs           []IOC                        // ThreatFox
	Samples        []BazaarSample               // MalwareBazaar
}

// URLEntry is a URLhaus URL.
type URLEntry struct {
	ID         int
	URL        string
	Host       string
	Status     string // online, offline or unknown
	Threat     string // e.g. malware_download
	DateAdded  time.Time
	LastOnline time.Time
	Reporter   string
	Larted     bool
	Tags       []string
	Payloads   []Payload
}

// Payload is a file a URLhaus URL served.
type Payload struct {
	FirstSeen time.Time
	FileName  string
	FileType  string
	Size      int
	Content   string // hashed for response_md5 and response_sha256
	Signature string
	VTResult  string // e.g. "16 / 58"
}

// IOC is a ThreatFox record.
type IOC struct {
	ID               int
	IOC              string
	IOCType          string // ip:port, domain, url, md5_hash, sha256_hash, ...
	ThreatType       string // botnet_cc, payload_delivery, payload
	Malware          string // Malpedia name
	MalwarePrintable string
	MalwareAlias     string // comma-separated; "" is sent as null
	Confidence       int
	FirstSeen        time.Time
	LastSeen         time.Time
	Reporter         string
	Tags             []string
}

// BazaarSample is a MalwareBazaar sample; its hashes are those of Content.
type BazaarSample struct {
	Content        string
	FileName       string
	FileType       string
	MIME           string
	Signature      string
	Tags           []string
	FirstSeen      time.Time
	Reporter       string
	OriginCountry  string
	DeliveryMethod string
	ClamAV         []string
	Downloads      int
}

// Hashes returns the MD5, SHA-1 and SHA-256 of content.
func Hashes(content string) (md5hex, sha1hex, sha256hex string) {
	m, s1, s2 := md5.Sum([]byte(content)), sha1.Sum([]byte(content)), sha256.Sum256([]byte(content))
	return hex.EncodeToString(m[:]), hex.EncodeToString(s1[:]), hex.EncodeToString(s2[:])
}

// SampleContent is the content of the sample AsyncRAT payload in Sample;
// Hashes(SampleContent) gives its hashes.
const SampleContent = "asyncrat-sample"

// Sample returns a small dataset relative to now:
//
//   - URLhaus: http://evil-cdn.com/x.ps1 (online) and
//     http://evil-cdn.com/old.exe (offline) on evil-cdn.com, which Spamhaus
//     DBL lists as malware_domain; an offline URL on the abused file-sharing
//     host files.example-share.com; an online URL on 185.220.101.47;
//   - ThreatFox: 185.220.101.47:443 (Cobalt Strike C2, confidence 100),
//     evil-cdn.com (AsyncRAT payload delivery, 75), the AsyncRAT sample's
//     SHA-256 (payload, 100) and 45.155.205.233:8080 (a low-confidence
//     guess, 25);
//   - MalwareBazaar: the AsyncRAT sample (SampleContent).
func Sample(now time.Time) Dataset {
	day := func(n int) time.Time { return now.Add(-time.Duration(n) * 24 * time.Hour).Truncate(time.Second) }
	_, _, asyncSHA := Hashes(SampleContent)
	return Dataset{
		URLs: []URLEntry{
			{ID: 3001, URL: "http://evil-cdn.com/x.ps1", Host: "evil-cdn.com", Status: "online", Threat: "malware_download",
				DateAdded: day(2), LastOnline: day(0), Reporter: "example_reporter", Larted: true, Tags: []string{"AsyncRAT", "ps1"},
				Payloads: []Payload{{FirstSeen: day(2), FileName: "x.ps1", FileType: "ps1", Size: 4096, Content: "stager", Signature: "AsyncRAT", VTResult: "20 / 60"}}},
			{ID: 3002, URL: "http://evil-cdn.com/old.exe", Host: "evil-cdn.com", Status: "offline", Threat: "malware_download",
				DateAdded: day(40), LastOnline: day(30), Reporter: "example_reporter", Tags: []string{"exe"}},
			{ID: 3003, URL: "https://files.example-share.com/u/abc/invoice.zip", Host: "files.example-share.com", Status: "offline",
				Threat: "malware_download", DateAdded: day(10), LastOnline: day(9), Reporter: "another_reporter", Larted: true, Tags: []string{"zip", "Emotet"}},
			{ID: 3004, URL: "http://185.220.101.47:8080/bins/mips", Host: "185.220.101.47", Status: "online", Threat: "malware_download",
				DateAdded: day(1), LastOnline: day(0), Reporter: "example_reporter", Tags: []string{"elf", "Mirai"}},
		},
		HostBlacklists: map[string]map[string]string{
			"evil-cdn.com":            {"spamhaus_dbl": "malware_domain", "surbl": "listed"},
			"files.example-share.com": {"spamhaus_dbl": "abused_legit_malware", "surbl": "not listed"},
		},
		IOCs: []IOC{
			{ID: 41001, IOC: "185.220.101.47:443", IOCType: "ip:port", ThreatType: "botnet_cc", Malware: "win.cobalt_strike",
				MalwarePrintable: "Cobalt Strike", MalwareAlias: "Agentemis,BEACON,CobaltStrike", Confidence: 100, FirstSeen: day(5),
				Reporter: "example_hunter", Tags: []string{"CobaltStrike", "c2"}},
			{ID: 41002, IOC: "evil-cdn.com", IOCType: "domain", ThreatType: "payload_delivery", Malware: "win.asyncrat",
				MalwarePrintable: "AsyncRAT", Confidence: 75, FirstSeen: day(2), LastSeen: day(0), Reporter: "example_hunter", Tags: []string{"AsyncRAT"}},
			{ID: 41003, IOC: asyncSHA, IOCType: "sha256_hash", ThreatType: "payload", Malware: "win.asyncrat",
				MalwarePrintable: "AsyncRAT", Confidence: 100, FirstSeen: day(2), Reporter: "example_hunter", Tags: []string{"AsyncRAT", "exe"}},
			{ID: 41004, IOC: "45.155.205.233:8080", IOCType: "ip:port", ThreatType: "botnet_cc", Malware: "unknown",
				MalwarePrintable: "Unknown malware", Confidence: 25, FirstSeen: day(20), Reporter: "example_guesser"},
		},
		Samples: []BazaarSample{
			{Content: SampleContent, FileName: "invoice.exe", FileType: "exe", MIME: "application/x-dosexec", Signature: "AsyncRAT",
				Tags: []string{"AsyncRAT", "exe", "rat"}, FirstSeen: day(2), Reporter: "example_hunter", OriginCountry: "NL",
				DeliveryMethod: "email_attachment", ClamAV: []string{"Win.Trojan.AsyncRAT-9999999-0"}, Downloads: 42},
		},
	}
}
