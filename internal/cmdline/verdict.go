package cmdline

import (
	"fmt"
	"strings"

	"github.com/spotter-soc/spotter/internal/skill"
)

// Verdict mapping. Each matched rule's level has a base score:
//
//	critical       95  malicious
//	high           80  malicious
//	medium         55  suspicious
//	low            30  suspicious
//	informational  10  unknown (noted, not judged)
//
// The verdict is the band of the highest-scoring rule; every further rule of
// level low or above adds 5, within the band (malicious up to 100,
// suspicious up to 74). Three or more distinct rules of level medium or
// above make the line malicious (at least 75): independent signs of
// tradecraft on one line are rarely benign. A benign-allow rule (tag
// spotter.allow) makes the verdict benign with score 0 when no rule of
// level low or above matched. No match at all gives unknown with score 0;
// a skipped standard execution is benign with score 0.
var levelScore = map[string]int{"critical": 95, "high": 80, "medium": 55, "low": 30, "informational": 10}

// Score turns matched rules into a verdict and a score from 0 to 100 (see
// the mapping above).
func Score(hits []RuleHit) (skill.Level, int) {
	top, counted, mediumUp, allow := 0, 0, 0, false
	for _, h := range hits {
		if h.Allow {
			allow = true
			continue
		}
		s := levelScore[h.Level]
		top = max(top, s)
		if s >= levelScore["low"] {
			counted++
		}
		if s >= levelScore["medium"] {
			mediumUp++
		}
	}
	switch {
	case top >= levelScore["high"] || mediumUp >= 3:
		return skill.Malicious, min(100, max(top, 75)+5*max(0, counted-1))
	case top >= levelScore["low"]:
		return skill.Suspicious, min(74, top+5*max(0, counted-1))
	case allow:
		return skill.Benign, 0
	case top > 0:
		return skill.Unknown, top
	}
	return skill.Unknown, 0
}

// levelRank orders rule levels, most severe first, for sorting hits.
func levelRank(l string) int {
	for i, x := range ruleLevels {
		if x == l {
			return i
		}
	}
	return len(ruleLevels)
}

// Explanation is one line saying why a rule matched: its title, level and
// ATT&CK techniques, the fields and values that matched, and the layer.
func (h RuleHit) Explanation() string {
	var b strings.Builder
	b.WriteString(h.Title)
	b.WriteString(" (")
	b.WriteString(h.Level)
	if len(h.Techniques) > 0 {
		b.WriteString("; ")
		b.WriteString(strings.Join(h.Techniques, ", "))
	}
	b.WriteString(")")
	if len(h.Matched) > 0 {
		parts := make([]string, 0, len(h.Matched))
		for _, m := range h.Matched {
			// A regular expression says little to an analyst; name the field only.
			if strings.Contains(m.Field, "|re") {
				parts = append(parts, m.Field+" matched")
				continue
			}
			v := m.Value
			if r := []rune(v); len(r) > 80 {
				v = string(r[:80]) + "…"
			}
			parts = append(parts, fmt.Sprintf("%s %q", m.Field, v))
		}
		b.WriteString(": ")
		b.WriteString(strings.Join(parts, ", "))
	}
	if h.Layer > 0 {
		fmt.Fprintf(&b, " [decoded layer %d: %s]", h.Layer, h.LayerTechnique)
	}
	return b.String()
}
