package intelplugin

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spotter-soc/spotter/internal/intel"
	"github.com/spotter-soc/spotter/internal/skill"
)

// Data is the structured result of intel.Lookup.
type Data struct {
	// Empty is set when the store holds no entry at all.
	Empty      bool        `json:"empty,omitempty"`
	Indicators []Indicator `json:"indicators"`
}

// Indicator is what the store holds about one looked-up value.
type Indicator struct {
	Value   string      `json:"value"`
	Type    string      `json:"type,omitempty"`
	Verdict skill.Level `json:"verdict"`
	Score   int         `json:"score"`
	// Note says why the value was not looked up.
	Note    string  `json:"note,omitempty"`
	Matches []Entry `json:"matches"`
}

// Entry is one matching feed entry with the verdict it supports.
type Entry struct {
	intel.Match
	Verdict skill.Level `json:"verdict"`
	Score   int         `json:"score"`
	Stale   bool        `json:"stale,omitempty"`
	Expired bool        `json:"expired,omitempty"`
}

type lookup struct {
	store  *lazyStore
	policy intel.Policy
	now    func() time.Time
}

// Spec implements skill.Skill.
func (l *lookup) Spec() skill.Spec { return lookupSpec() }

// Run looks the indicators up. Every match is one finding, so the report
// lists each feed as a source; indicators no feed lists get an unknown
// finding, unless the store is empty, which the summary says instead.
func (l *lookup) Run(ctx context.Context, in skill.Inputs) (*skill.Result, error) {
	st, err := l.store.get(ctx)
	if err != nil {
		return nil, &skill.ProviderError{Provider: Name, Msg: "the threat-intelligence store cannot be opened: " + err.Error()}
	}
	empty, err := st.Empty(ctx)
	if err != nil {
		return nil, &skill.ProviderError{Provider: Name, Msg: err.Error()}
	}
	values := in.Strings("indicators")
	data := Data{Empty: empty, Indicators: []Indicator{}}
	res := &skill.Result{Findings: []skill.Finding{}}
	if empty {
		for _, v := range values {
			data.Indicators = append(data.Indicators, Indicator{Value: v, Verdict: skill.Unknown, Matches: []Entry{}})
		}
		res.Data = data
		res.Summary = "The local threat-intelligence store is empty: import a feed with `spotter intel import` " +
			"or switch feeds on under plugins.intel.feeds and run `spotter intel sync`."
		return res, nil
	}
	results, err := st.Lookup(ctx, values...)
	if err != nil {
		return nil, &skill.ProviderError{Provider: Name, Msg: err.Error()}
	}
	now := l.now()
	for _, r := range results {
		ind := Indicator{Value: r.Query, Verdict: skill.Unknown, Matches: []Entry{}}
		if r.Error != "" {
			ind.Note = "not looked up: " + r.Error
			data.Indicators = append(data.Indicators, ind)
			continue
		}
		ind.Type = r.Type.FindingType()
		for _, m := range r.Matches {
			j := l.policy.Judge(m, now)
			ind.Matches = append(ind.Matches, Entry{Match: m, Verdict: j.Level, Score: j.Score, Stale: j.Stale, Expired: j.Expired})
			if j.Level.Rank() > ind.Verdict.Rank() || j.Level == ind.Verdict && j.Score > ind.Score {
				ind.Verdict, ind.Score = j.Level, j.Score
			}
			res.Findings = append(res.Findings, skill.Finding{
				Indicator: r.Query, Type: ind.Type, Skill: LookupID, Level: j.Level, Score: j.Score,
				Summary: j.Summary, Source: "intel/" + m.Source, Link: m.Reference, Reasons: j.Reasons,
			})
			if m.Reference != "" && !slices.Contains(res.Links, m.Reference) {
				res.Links = append(res.Links, m.Reference)
			}
		}
		if len(r.Matches) == 0 {
			res.Findings = append(res.Findings, skill.Finding{
				Indicator: r.Query, Type: ind.Type, Skill: LookupID, Level: skill.Unknown,
				Summary: "Not listed in the local threat-intelligence store", Source: "intel",
			})
		}
		data.Indicators = append(data.Indicators, ind)
	}
	res.Data = data
	res.Summary = summary(data)
	return res, nil
}

// summary lists the listed indicators worst first, then counts the rest.
func summary(d Data) string {
	var b strings.Builder
	listed := 0
	for _, ind := range d.Indicators {
		if len(ind.Matches) > 0 {
			listed++
		}
	}
	fmt.Fprintf(&b, "%d of %d indicator%s listed in local threat intelligence.", listed, len(d.Indicators), plural(len(d.Indicators)))
	rows := slices.Clone(d.Indicators)
	slices.SortStableFunc(rows, func(a, c Indicator) int { return c.Verdict.Rank() - a.Verdict.Rank() })
	for _, ind := range rows {
		if len(ind.Matches) == 0 {
			continue
		}
		var feeds []string
		for _, m := range ind.Matches {
			f := m.Source
			if m.Malware != "" {
				f += " (" + m.Malware + ")"
			}
			if !slices.Contains(feeds, f) {
				feeds = append(feeds, f)
			}
		}
		fmt.Fprintf(&b, "\n- `%s` (%s): **%s** %d — %s", ind.Value, ind.Type, ind.Verdict, ind.Score, strings.Join(feeds, ", "))
	}
	return b.String()
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
