// Package reputation is the batch skill that asks every configured provider
// about up to ten mixed indicators at once and merges their verdicts.
package reputation

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/spotter-soc/spotter/internal/ioc"
	"github.com/spotter-soc/spotter/internal/skill"
)

// BatchSize is how many indicators one call takes.
const BatchSize = 10

// ID is the batch skill's id.
const ID = "reputation.GetReputationsForIndicators"

var spec = skill.Spec{
	ID:   ID,
	Name: "Reputation for indicators",
	Description: "Looks up to ten indicators of any type (IP addresses, domains, URLs, file hashes) in every " +
		"configured threat-intelligence provider that handles the type, and merges their verdicts per indicator.",
	ModelDescription: "Get the reputation of up to 10 indicators (IPs, domains, URLs, MD5/SHA1/SHA256 hashes) from all " +
		"configured threat-intelligence sources at once. Use it when a prompt lists several indicators.",
	Examples: []string{
		"What is the reputation of 185.220.101.47, evil-cdn.com and 44d88612fea8a8f36de82e1278abb02f?",
		"Check these indicators against threat intelligence",
	},
	Aliases: []string{"GetReputationsForIndicators"},
	Inputs: []skill.Input{{
		Name: "indicators", Type: skill.TypeStringList, Required: true, Format: skill.FormatIndicator, Min: skill.Int(1), Max: skill.Int(BatchSize),
		Description: "indicators to look up: IP addresses, domains, URLs or file hashes (defanged forms are accepted)",
		Placeholder: "185.220.101.47, evil-cdn[.]com",
	}},
	Section:  "indicators",
	CacheTTL: -1, // the provider skills it calls cache their own results
}

// Plugin is the local batch-reputation plugin: no settings, always available.
type Plugin struct{}

// New returns the plugin.
func New() skill.Plugin { return Plugin{} }

// Info implements skill.Plugin.
func (Plugin) Info() skill.PluginInfo {
	return skill.PluginInfo{
		Name:        "reputation",
		Description: "Batch reputation across every configured threat-intelligence provider",
		Skills:      []skill.Spec{spec},
	}
}

// New implements skill.Plugin.
func (Plugin) New(env skill.Env) ([]skill.Skill, error) {
	if env.Skills == nil {
		return nil, fmt.Errorf("reputation: needs the gateway to call provider skills")
	}
	return []skill.Skill{&batch{caller: env.Skills}}, nil
}

type batch struct {
	caller skill.Caller
}

func (b *batch) Spec() skill.Spec { return spec }

// Data is the structured result.
type Data struct {
	Indicators []Indicator `json:"indicators"`
}

// Indicator is one looked-up indicator with each provider's answer.
type Indicator struct {
	Value   string          `json:"value"`
	Type    string          `json:"type"`
	Verdict skill.Level     `json:"verdict"`
	Score   int             `json:"score"`
	Note    string          `json:"note,omitempty"`
	Results []ProviderCheck `json:"results"`
}

// ProviderCheck is one provider skill's answer about one indicator.
type ProviderCheck struct {
	Skill   string      `json:"skill"`
	Level   skill.Level `json:"level,omitempty"`
	Score   int         `json:"score"`
	Summary string      `json:"summary,omitempty"`
	Cached  bool        `json:"cached"`
	Error   string      `json:"error,omitempty"`
}

// classify maps an indicator to the type provider skills declare in Enriches.
func classify(v string) (typ, norm, note string) {
	t, n, ok := ioc.Classify(v)
	if !ok {
		return "", strings.TrimSpace(v), "not an IP address, domain, URL or file hash"
	}
	switch t {
	case ioc.TypeIPv4, ioc.TypeIPv6:
		a, _ := ioc.ParseIP(n)
		if c := ioc.ClassifyIP(a); !c.Public {
			return "ip", n, "internal address (" + c.Range + "): not sent to providers"
		}
		return "ip", n, ""
	case ioc.TypeMD5, ioc.TypeSHA1, ioc.TypeSHA256:
		return "hash", n, ""
	case ioc.TypeDomain:
		return "domain", n, ""
	case ioc.TypeURL:
		return "url", n, ""
	case ioc.TypeEmail:
		return "email", n, ""
	}
	return string(t), n, ""
}

// Run looks every indicator up in every configured provider for its type, concurrently.
func (b *batch) Run(ctx context.Context, in skill.Inputs) (*skill.Result, error) {
	providers := map[string][]skill.Spec{}
	for _, s := range b.caller.Configured() {
		if s.ID == ID || s.IndicatorInput == "" {
			continue
		}
		for _, t := range s.Enriches {
			providers[t] = append(providers[t], s)
		}
	}
	data := Data{Indicators: []Indicator{}}
	seen := map[string]bool{}
	for _, raw := range in.Strings("indicators") {
		typ, norm, note := classify(raw)
		if seen[typ+"|"+norm] {
			continue
		}
		seen[typ+"|"+norm] = true
		ind := Indicator{Value: norm, Type: typ, Verdict: skill.Unknown, Note: note, Results: []ProviderCheck{}}
		if note == "" && len(providers[typ]) == 0 {
			ind.Note = "no configured provider handles " + typ + " indicators"
		}
		data.Indicators = append(data.Indicators, ind)
	}

	type job struct{ ind, prov int }
	var jobs []job
	for i, ind := range data.Indicators {
		if ind.Note != "" {
			continue
		}
		for p := range providers[ind.Type] {
			jobs = append(jobs, job{i, p})
		}
	}
	checks := make([]ProviderCheck, len(jobs))
	found := make([][]skill.Finding, len(jobs))
	var wg sync.WaitGroup
	for j, jb := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ind := data.Indicators[jb.ind]
			s := providers[ind.Type][jb.prov]
			checks[j], found[j] = lookup(ctx, b.caller, s, ind.Value)
		}()
	}
	wg.Wait()

	res := &skill.Result{Findings: []skill.Finding{}}
	for j, jb := range jobs {
		ind := &data.Indicators[jb.ind]
		ind.Results = append(ind.Results, checks[j])
		res.Findings = append(res.Findings, found[j]...)
	}
	verdicts := skill.Aggregate(res.Findings)
	for i := range data.Indicators {
		ind := &data.Indicators[i]
		for _, v := range verdicts {
			if v.Indicator == ind.Value || strings.EqualFold(v.Indicator, ind.Value) {
				ind.Verdict, ind.Score = v.Level, v.Score
				break
			}
		}
		sort.Slice(ind.Results, func(a, b int) bool { return ind.Results[a].Skill < ind.Results[b].Skill })
	}
	res.Data = data
	res.Summary = summary(data)
	return res, nil
}

// lookup asks one provider skill about one indicator. A provider error is
// recorded in the check, never fatal for the batch.
func lookup(ctx context.Context, c skill.Caller, s skill.Spec, value string) (ProviderCheck, []skill.Finding) {
	in, _ := s.Input(s.IndicatorInput)
	var arg any = value
	if in.Type == skill.TypeStringList {
		arg = []string{value}
	}
	check := ProviderCheck{Skill: s.ID}
	r, err := c.Invoke(ctx, s.ID, map[string]any{s.IndicatorInput: arg})
	if err != nil {
		check.Error = err.Error()
		return check, nil
	}
	check.Cached = r.Cached
	var mine []skill.Finding
	for _, f := range r.Findings {
		if strings.EqualFold(f.Indicator, value) || len(r.Findings) == 1 {
			if f.Indicator == "" {
				f.Indicator = value
			}
			mine = append(mine, f)
			if f.Level.Rank() > check.Level.Rank() || check.Level == "" {
				check.Level, check.Score, check.Summary = f.Level, f.Score, f.Summary
			}
		}
	}
	if check.Level == "" {
		check.Level = skill.Unknown
		check.Summary = firstLine(r.Summary)
	}
	return check, mine
}

func summary(d Data) string {
	var b strings.Builder
	counts := map[skill.Level]int{}
	for _, ind := range d.Indicators {
		counts[ind.Verdict]++
	}
	fmt.Fprintf(&b, "%d indicator%s checked", len(d.Indicators), plural(len(d.Indicators)))
	for _, l := range skill.Levels {
		if counts[l] > 0 {
			fmt.Fprintf(&b, ", %d %s", counts[l], l)
		}
	}
	b.WriteString(".\n")
	rows := slices.Clone(d.Indicators)
	sort.SliceStable(rows, func(a, c int) bool { return rows[a].Verdict.Rank() > rows[c].Verdict.Rank() })
	for _, ind := range rows {
		fmt.Fprintf(&b, "\n- `%s` (%s): **%s**", ind.Value, ind.Type, ind.Verdict)
		if ind.Verdict != skill.Unknown || ind.Score > 0 {
			fmt.Fprintf(&b, " %d", ind.Score)
		}
		if ind.Note != "" {
			b.WriteString(" — " + ind.Note)
		}
		var srcs []string
		for _, r := range ind.Results {
			s := r.Skill
			if r.Error != "" {
				s += " (error)"
			}
			srcs = append(srcs, s)
		}
		if len(srcs) > 0 {
			b.WriteString(" — " + strings.Join(srcs, ", "))
		}
	}
	return b.String()
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
