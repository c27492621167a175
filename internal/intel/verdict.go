package intel

import (
	"fmt"
	"strings"
	"time"

	"github.com/spotter-soc/spotter/internal/skill"
)

// Policy turns matches into verdicts.
type Policy struct {
	// FreshFor is how long after its feed last vouched for it an entry
	// counts as current.
	FreshFor time.Duration
	// MinConfidence is the confidence from which a current entry is malicious.
	MinConfidence int
}

// Policy defaults.
const (
	DefaultFreshDays     = 30
	DefaultMinConfidence = 70
)

// DefaultPolicy: malicious for an entry seen within 30 days with
// confidence 70 or more.
func DefaultPolicy() Policy {
	return Policy{FreshFor: DefaultFreshDays * 24 * time.Hour, MinConfidence: DefaultMinConfidence}
}

// Judgement is the verdict one match supports.
type Judgement struct {
	Level skill.Level `json:"level"`
	// Score is 0-100, higher is worse: the confidence for a current entry,
	// half of it for a stale or expired one.
	Score   int      `json:"score"`
	Stale   bool     `json:"stale,omitempty"`
	Expired bool     `json:"expired,omitempty"`
	Summary string   `json:"summary"`
	Reasons []string `json:"reasons"`
}

// Judge weighs one match at time now:
//
//   - malicious when the entry is current (not past valid_until, seen
//     within FreshFor) and its confidence is at least MinConfidence;
//   - suspicious when its confidence is lower, or it is stale or expired,
//     or it matched only as a MISP value digest (which says the value was
//     listed, not how).
func (p Policy) Judge(m Match, now time.Time) Judgement {
	if p.FreshFor <= 0 {
		p.FreshFor = DefaultFreshDays * 24 * time.Hour
	}
	if p.MinConfidence <= 0 {
		p.MinConfidence = DefaultMinConfidence
	}
	j := Judgement{Level: skill.Suspicious, Score: m.Confidence}
	seen := m.Seen()
	switch {
	case !m.ValidUntil.IsZero() && !m.ValidUntil.After(now):
		j.Expired = true
	case seen.IsZero() || now.Sub(seen) > p.FreshFor:
		j.Stale = true
	}
	if j.Expired || j.Stale {
		j.Score = m.Confidence / 2
	} else if m.Confidence >= p.MinConfidence && m.How != MatchDigest {
		j.Level = skill.Malicious
	}

	j.Reasons = append(j.Reasons, "listed by "+m.Source)
	if m.Malware != "" {
		j.Reasons = append(j.Reasons, "malware: "+m.Malware)
	}
	if len(m.Tags) > 0 {
		j.Reasons = append(j.Reasons, "tags: "+strings.Join(m.Tags, ", "))
	}
	j.Reasons = append(j.Reasons, fmt.Sprintf("confidence %d", m.Confidence))
	switch m.How {
	case MatchRange:
		j.Reasons = append(j.Reasons, "in range "+m.Value)
	case MatchParent:
		j.Reasons = append(j.Reasons, "parent domain "+m.Value+" listed")
	case MatchDigest:
		j.Reasons = append(j.Reasons, "value digest listed in MISP event "+m.ObjectID)
	}
	switch {
	case j.Expired:
		j.Reasons = append(j.Reasons, "expired "+day(m.ValidUntil))
	case j.Stale && !seen.IsZero():
		j.Reasons = append(j.Reasons, "stale: last confirmed "+day(seen))
	case !seen.IsZero():
		j.Reasons = append(j.Reasons, "last confirmed "+day(seen))
	}

	var b strings.Builder
	fmt.Fprintf(&b, "Listed by local feed %s", m.Source)
	var detail []string
	if m.Malware != "" {
		detail = append(detail, m.Malware)
	}
	if m.How != MatchExact {
		detail = append(detail, m.How+" "+m.Value)
	}
	detail = append(detail, fmt.Sprintf("confidence %d", m.Confidence))
	switch {
	case j.Expired:
		detail = append(detail, "expired")
	case j.Stale:
		detail = append(detail, "stale")
	}
	fmt.Fprintf(&b, " (%s)", strings.Join(detail, ", "))
	if m.Description != "" {
		b.WriteString(": " + clip(m.Description, 160))
	}
	j.Summary = b.String()
	return j
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }
