package abuseipdb

import (
	"sort"
	"strconv"
)

// categoryNames maps AbuseIPDB report category ids to their published names.
var categoryNames = map[int]string{
	1:  "DNS Compromise",
	2:  "DNS Poisoning",
	3:  "Fraud Orders",
	4:  "DDoS Attack",
	5:  "FTP Brute-Force",
	6:  "Ping of Death",
	7:  "Phishing",
	8:  "Fraud VoIP",
	9:  "Open Proxy",
	10: "Web Spam",
	11: "Email Spam",
	12: "Blog Spam",
	13: "VPN IP",
	14: "Port Scan",
	15: "Hacking",
	16: "SQL Injection",
	17: "Spoofing",
	18: "Brute-Force",
	19: "Bad Web Bot",
	20: "Exploited Host",
	21: "Web App Attack",
	22: "SSH",
	23: "IoT Targeted",
}

// CategoryName returns the name of a report category, or "category N" for
// an id AbuseIPDB added after this table was written.
func CategoryName(id int) string {
	if n, ok := categoryNames[id]; ok {
		return n
	}
	return "category " + strconv.Itoa(id)
}

// CategoryCount is how many reports named one category.
type CategoryCount struct {
	ID      int    `json:"id"`
	Name    string `json:"name"`
	Reports int    `json:"reports"`
}

// tally counts the categories over all reports, most frequent first (ties
// by id, so the order is stable).
func tally(reports []wireReport) []CategoryCount {
	n := map[int]int{}
	for _, r := range reports {
		seen := map[int]bool{}
		for _, c := range r.Categories {
			if !seen[c] {
				seen[c] = true
				n[c]++
			}
		}
	}
	out := make([]CategoryCount, 0, len(n))
	for id, k := range n {
		out = append(out, CategoryCount{ID: id, Name: CategoryName(id), Reports: k})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Reports != out[j].Reports {
			return out[i].Reports > out[j].Reports
		}
		return out[i].ID < out[j].ID
	})
	return out
}
