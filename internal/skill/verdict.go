// Package skill holds the contracts shared by every enrichment capability:
// verdict levels, findings and the way verdicts from several sources are merged.
package skill

import (
	"fmt"
	"sort"
	"strings"
)

// Level is how bad a source judges an indicator to be.
type Level string

// The verdict levels, from worst to least informative.
const (
	Malicious  Level = "malicious"
	Suspicious Level = "suspicious"
	Benign     Level = "benign"
	Unknown    Level = "unknown"
	Info       Level = "info"
)

// Levels lists every level, worst first.
var Levels = []Level{Malicious, Suspicious, Benign, Unknown, Info}

// Rank orders levels for aggregation: a higher rank wins when sources disagree.
// Malicious beats suspicious; any verdict beats unknown; info carries no judgement.
func (l Level) Rank() int {
	switch l {
	case Malicious:
		return 4
	case Suspicious:
		return 3
	case Benign:
		return 2
	case Unknown:
		return 1
	default:
		return 0
	}
}

// Valid reports whether l is one of the defined levels.
func (l Level) Valid() bool {
	switch l {
	case Malicious, Suspicious, Benign, Unknown, Info:
		return true
	}
	return false
}

// ParseLevel parses a level name case-insensitively.
func ParseLevel(s string) (Level, error) {
	l := Level(strings.ToLower(strings.TrimSpace(s)))
	if !l.Valid() {
		return "", fmt.Errorf("verdict level %q: expected one of malicious, suspicious, benign, unknown, info", s)
	}
	return l, nil
}

// Finding is one source's verdict on one indicator.
type Finding struct {
	Indicator string   `json:"indicator"`
	Type      string   `json:"type"`  // indicator type: ip, account, host, process, md5, sha1, sha256, url, domain, email, file, ...
	Skill     string   `json:"skill"` // namespaced skill id that produced it, e.g. sentinel.ThreatIntelligence
	Level     Level    `json:"level"`
	Score     int      `json:"score"` // 0-100, higher is worse
	Summary   string   `json:"summary"`
	Source    string   `json:"source"` // the evidence source: provider or feed name
	Link      string   `json:"link,omitempty"`
	Reasons   []string `json:"reasons,omitempty"`
	// Section is the report section the finding belongs to (see report.Section*);
	// empty means the section follows from Type.
	Section string `json:"section,omitempty"`
}

// Verdict is the aggregate judgement on one indicator across all its findings.
type Verdict struct {
	Indicator string   `json:"indicator"`
	Type      string   `json:"type"`
	Level     Level    `json:"level"`
	Score     int      `json:"score"`
	Sources   []string `json:"sources"`
	Reasons   []string `json:"reasons,omitempty"`
}

// Aggregate merges findings per (type, indicator): the worst level wins, the
// score is the highest among findings of that level, sources and reasons are
// the union in first-seen order. The result is sorted worst first, then by
// score, type and indicator, so output is stable.
func Aggregate(findings []Finding) []Verdict {
	type key struct{ typ, ind string }
	idx := map[key]int{}
	var out []Verdict
	for _, f := range findings {
		k := key{f.Type, f.Indicator}
		i, ok := idx[k]
		if !ok {
			idx[k] = len(out)
			out = append(out, Verdict{Indicator: f.Indicator, Type: f.Type, Level: f.Level, Score: f.Score})
			i = len(out) - 1
		}
		v := &out[i]
		switch {
		case f.Level.Rank() > v.Level.Rank():
			v.Level, v.Score = f.Level, f.Score
		case f.Level.Rank() == v.Level.Rank() && f.Score > v.Score:
			v.Score = f.Score
		}
		v.Sources = appendUnique(v.Sources, f.Source)
		for _, r := range f.Reasons {
			v.Reasons = appendUnique(v.Reasons, r)
		}
	}
	sort.SliceStable(out, func(a, b int) bool {
		x, y := out[a], out[b]
		if x.Level.Rank() != y.Level.Rank() {
			return x.Level.Rank() > y.Level.Rank()
		}
		if x.Score != y.Score {
			return x.Score > y.Score
		}
		if x.Type != y.Type {
			return x.Type < y.Type
		}
		return x.Indicator < y.Indicator
	})
	return out
}

func appendUnique(list []string, s string) []string {
	if s == "" {
		return list
	}
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}
