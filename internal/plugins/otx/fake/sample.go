package fake

import (
	"fmt"
	"time"
)

// EICARMD5 is the MD5 of the EICAR test file, one of the sample indicators.
const EICARMD5 = "44d88612fea8a8f36de82e1278abb02f"

// Sample returns a small dataset with an indicator per verdict and type,
// with pulse dates relative to now:
//
//   - 185.220.101.47 (IPv4): 12 scanner pulses → malicious;
//   - 45.155.205.233 (IPv4): 1 pulse → suspicious;
//   - 2a0b:f4c2:2::1 (IPv6): 2 pulses without a malware family → suspicious;
//   - evil-cdn.com (domain): 3 AsyncRAT pulses → malicious;
//   - cdn.evil-cdn.com (hostname): 1 pulse → suspicious;
//   - google.com (domain): 40 pulses but allowlisted → benign;
//   - http://evil-cdn.com/x.ps1 (url): 2 AsyncRAT pulses → malicious;
//   - EICARMD5 (file): 4 pulses naming EICAR → malicious;
//   - 93.184.216.34 (IPv4): 12 pulses, but a false-positive report → suspicious.
//
// Any other valid indicator has no pulses (unknown).
func Sample(now time.Time) Dataset {
	n := 0
	pulses := func(k int, name string, tags, families, attacks []string) []Pulse {
		var out []Pulse
		for i := range k {
			n++
			out = append(out, Pulse{
				ID: fmt.Sprintf("6a6d3e0e57891f3d%08x", n), Name: fmt.Sprintf("%s #%d", name, i+1),
				Description: "Indicators observed by an example sensor network.",
				Created:     now.Add(-time.Duration(48+i) * time.Hour), Modified: now.Add(-time.Duration(i+1) * time.Hour),
				Author: "example-analyst", TLP: "white", Tags: tags, MalwareFamilies: families, AttackIDs: attacks,
			})
		}
		return out
	}
	return Dataset{Indicators: map[string]Indicator{
		"185.220.101.47": {Pulses: pulses(12, "SSH honeypot attackers", []string{"honeypot", "ssh", "tor"}, nil, []string{"T1110"}),
			ASN: "AS64500 Example Anonymity Network", CountryCode: "DE", CountryName: "Germany"},
		"45.155.205.233": {Pulses: pulses(1, "Mass scanners", []string{"scanner"}, nil, []string{"T1595"}),
			ASN: "AS64501 Example Hosting", CountryCode: "RU", CountryName: "Russia"},
		"2a0b:f4c2:2::1": {Pulses: pulses(2, "IPv6 web attackers", []string{"sqli"}, nil, nil),
			ASN: "AS64502 Example IPv6 Hosting", CountryCode: "NL", CountryName: "Netherlands"},
		"evil-cdn.com":     {Pulses: pulses(3, "AsyncRAT campaign", []string{"asyncrat", "rat"}, []string{"AsyncRAT"}, []string{"T1059.001", "T1105"})},
		"cdn.evil-cdn.com": {Pulses: pulses(1, "Suspicious CDN lookalikes", []string{"lookalike"}, nil, nil)},
		"google.com": {Pulses: pulses(40, "Domains contacted by samples", []string{"sandbox"}, nil, nil),
			Validation: []Validation{{Source: "alexa", Message: "Alexa rank: #1", Name: "Listed on Alexa"},
				{Source: "whitelist", Message: "Whitelisted domain google.com", Name: "Whitelisted domain"}}},
		"http://evil-cdn.com/x.ps1": {Pulses: pulses(2, "AsyncRAT stagers", []string{"powershell"}, []string{"AsyncRAT"}, []string{"T1059.001"})},
		EICARMD5:                    {Pulses: pulses(4, "Test files", []string{"eicar", "test"}, []string{"EICAR"}, nil)},
		"93.184.216.34": {Pulses: pulses(12, "Shared CDN addresses", []string{"cdn"}, nil, nil), FalsePositives: 1,
			ASN: "AS15133 Example CDN", CountryCode: "US", CountryName: "United States of America"},
	}}
}
