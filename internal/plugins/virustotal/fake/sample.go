package fake

import "time"

// The EICAR test file's hashes.
const (
	EICARMD5    = "44d88612fea8a8f36de82e1278abb02f"
	EICARSHA1   = "3395856ce81f2b7382dee72602f798b642f14140"
	EICARSHA256 = "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"
)

// Sample returns a small dataset with objects for every verdict, analysed
// relative to now:
//
//   - files: the EICAR test file (60 engines, malicious); "suspicious-dropper"
//     (2 engines, suspicious); "clean-tool" (70 engines, none flag it:
//     benign); "fresh-upload" (known, never analysed: unknown) — the last
//     three by the hashes of those strings (see Hashes);
//   - URLs: http://evil-cdn.com/x.ps1 (malicious), https://example.com/ (benign);
//   - domains: evil-cdn.com (malicious), login-micros0ft.com (suspicious),
//     example.com (benign);
//   - IPs: 185.220.101.47 (malicious), 45.155.205.233 (suspicious),
//     8.8.8.8 (benign); any other valid address is never analysed.
func Sample(now time.Time) Dataset {
	day := func(n int) time.Time { return now.Add(-time.Duration(n) * 24 * time.Hour).Truncate(time.Second) }
	file := func(content string, f File) File {
		f.MD5, f.SHA1, f.SHA256 = Hashes(content)
		return f
	}
	return Dataset{
		Files: []File{
			{MD5: EICARMD5, SHA1: EICARSHA1, SHA256: EICARSHA256, Size: 68, TypeDescription: "Text", MeaningfulName: "eicar.com",
				Names: []string{"eicar.com", "eicar.txt"}, FirstSubmission: day(4000), TimesSubmitted: 90000,
				ThreatLabel: "virus.eicar/test", ThreatCategories: []string{"virus", "trojan"},
				Analysis: Analysis{Date: day(1), Malicious: 60, Undetected: 8, TypeUnsupported: 3, Label: "EICAR-Test-File",
					Reputation: -4, VotesMalicious: 3, Tags: []string{"text", "attachment"}}},
			file("suspicious-dropper", File{Size: 24576, TypeDescription: "Win32 EXE", MeaningfulName: "setup.exe", Names: []string{"setup.exe"},
				FirstSubmission: day(3), TimesSubmitted: 2,
				Analysis: Analysis{Date: day(2), Malicious: 2, Suspicious: 1, Undetected: 66, Label: "Trojan.Heur.Gen", Tags: []string{"peexe"}}}),
			file("clean-tool", File{Size: 1048576, TypeDescription: "Win32 EXE", MeaningfulName: "tool.exe", Names: []string{"tool.exe"},
				FirstSubmission: day(800), TimesSubmitted: 40,
				Analysis: Analysis{Date: day(10), Undetected: 70, TypeUnsupported: 4, Tags: []string{"peexe", "signed"}}}),
			file("fresh-upload", File{Size: 10, TypeDescription: "unknown", FirstSubmission: day(0)}),
		},
		URLs: []URL{
			{URL: "http://evil-cdn.com/x.ps1", FinalURL: "http://evil-cdn.com/x.ps1", Title: "", HTTPStatus: 200,
				Categories: map[string]string{"Forcepoint ThreatSeeker": "malicious web sites", "Sophos": "malware callhome"},
				Analysis:   Analysis{Date: day(1), Malicious: 12, Suspicious: 2, Harmless: 60, Undetected: 20, Label: "malware", Reputation: -12}},
			{URL: "https://example.com/", FinalURL: "https://example.com/", Title: "Example Domain", HTTPStatus: 200,
				Categories: map[string]string{"Forcepoint ThreatSeeker": "information technology"},
				Analysis:   Analysis{Date: day(5), Harmless: 70, Undetected: 24, Reputation: 5}},
		},
		Domains: map[string]Domain{
			"evil-cdn.com": {Registrar: "Example Registrar LLC", Created: day(12), A: []string{"185.220.101.47"},
				Categories: map[string]string{"Sophos": "malware callhome"},
				Analysis:   Analysis{Date: day(1), Malicious: 9, Suspicious: 1, Harmless: 55, Undetected: 29, Label: "malware", Reputation: -45, VotesMalicious: 4}},
			"login-micros0ft.com": {Registrar: "Example Registrar LLC", Created: day(3), A: []string{"45.155.205.233"},
				Analysis: Analysis{Date: day(1), Malicious: 1, Suspicious: 1, Harmless: 60, Undetected: 32, Label: "phishing"}},
			"example.com": {Registrar: "RESERVED-Internet Assigned Numbers Authority", Created: day(11000), A: []string{"93.184.215.14"},
				Categories: map[string]string{"Forcepoint ThreatSeeker": "information technology"},
				Analysis:   Analysis{Date: day(3), Harmless: 66, Undetected: 28, Reputation: 10}},
		},
		IPs: map[string]IP{
			"185.220.101.47": {ASN: 64500, ASOwner: "Example Anonymity Network", Network: "185.220.101.0/24", Country: "DE", Continent: "EU", Registry: "RIPE NCC",
				Analysis: Analysis{Date: day(1), Malicious: 15, Suspicious: 2, Harmless: 55, Undetected: 22, Label: "malicious", Reputation: -20, Tags: []string{"tor"}}},
			"45.155.205.233": {ASN: 64501, ASOwner: "Example Hosting LLC", Network: "45.155.205.0/24", Country: "RU", Continent: "EU", Registry: "RIPE NCC",
				Analysis: Analysis{Date: day(2), Malicious: 2, Harmless: 60, Undetected: 32, Label: "scanner"}},
			"8.8.8.8": {ASN: 15169, ASOwner: "GOOGLE", Network: "8.8.8.0/24", Country: "US", Continent: "NA", Registry: "ARIN",
				Analysis: Analysis{Date: day(1), Harmless: 65, Undetected: 29, Reputation: 540}},
		},
	}
}
