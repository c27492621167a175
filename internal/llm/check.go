package llm

import (
	"regexp"
	"sort"
	"strings"
)

// linkRe finds http(s) links in Markdown or plain text.
var linkRe = regexp.MustCompile(`https?://[^\s<>()\[\]"'` + "`" + `]+`)

// actionRe finds claims that something was done to the environment:
// "I blocked", "has been isolated", "successfully disabled" and the like.
// Spotter's skills only read; none of them acts, so such a claim in a
// model's answer is never backed by what ran.
var actionRe = regexp.MustCompile(`(?i)\b(?:(?:i|we|spotter)\s+(?:have\s+|has\s+|just\s+)?|(?:has|have|was|were)\s+(?:been\s+)?|successfully\s+|automatically\s+)` +
	`(blocked|disabled|isolated|quarantined|contained|remediated|revoked|reset|deleted|removed|purged|banned|locked|suspended|killed|terminated)\b`)

// UnsupportedLinks returns the links of answer that appear nowhere in the
// evidence (skill results, links, the analyst's prompt), sorted.
func UnsupportedLinks(answer, evidence string) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range linkRe.FindAllString(answer, -1) {
		l = strings.TrimRight(l, ".,;:!?*_")
		if l == "" || seen[l] || strings.Contains(evidence, l) {
			continue
		}
		seen[l] = true
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}

// ActionClaims returns the phrases of answer that claim an action was
// taken, such as "has been blocked", unless the evidence itself says so
// (a provider reporting that Defender quarantined a file).
func ActionClaims(answer, evidence string) []string {
	var out []string
	seen := map[string]bool{}
	ev := strings.ToLower(strings.Join(strings.Fields(evidence), " "))
	for _, m := range actionRe.FindAllString(answer, -1) {
		m = strings.Join(strings.Fields(m), " ")
		if strings.Contains(ev, strings.ToLower(m)) {
			continue
		}
		if !seen[strings.ToLower(m)] {
			seen[strings.ToLower(m)] = true
			out = append(out, m)
		}
	}
	return out
}
