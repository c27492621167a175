package investigate

import (
	"cmp"
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/spotter-soc/spotter/internal/incident"
	"github.com/spotter-soc/spotter/internal/report"
	"github.com/spotter-soc/spotter/internal/skill"
)

// Invoker runs a skill by id through the gateway.
type Invoker interface {
	Invoke(ctx context.Context, name string, raw map[string]any) (*skill.Result, error)
}

// perSourceConcurrency bounds the lookups one source has in flight; the
// gateway's per-provider limits apply on top.
const perSourceConcurrency = 8

// SkillSources turns configured skills that declare the indicator types they
// enrich into sources: one per (skill, type), so each entity switch governs
// its own lookups and each report section lists its own coverage.
func SkillSources(inv Invoker, specs []skill.Spec) []Source {
	var out []Source
	for _, s := range specs {
		if s.IndicatorInput == "" {
			continue
		}
		for _, typ := range s.Enriches {
			if _, ok := categoryOf[typ]; !ok {
				continue
			}
			out = append(out, &skillSource{inv: inv, spec: s, typ: typ})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Section() < out[j].Section() })
	return out
}

// categoryOf maps an indicator type to the entity switch that governs it.
var categoryOf = map[string]string{
	"ip": CategoryIPs, "account": CategoryAccounts, "host": CategoryHosts, "process": CategoryProcesses,
	"hash": CategoryHashes, "url": CategoryURLs, "domain": CategoryDomains, "email": CategoryMail,
}

type skillSource struct {
	inv  Invoker
	spec skill.Spec
	typ  string
}

func (s *skillSource) ID() string       { return s.spec.ID }
func (s *skillSource) Category() string { return categoryOf[s.typ] }

func (s *skillSource) Section() string {
	switch s.typ {
	case "ip":
		return report.SectionIPs
	case "account":
		if s.spec.Section == report.SectionUserRisk {
			return report.SectionUserRisk
		}
		return report.SectionAccounts
	case "host":
		return report.SectionDevices
	case "process":
		return report.SectionProcesses
	}
	return report.SectionIndicators
}

// Enrich looks up every entity of the source's type, one call per value or
// in batches when the skill takes a list. Lookups that fail are counted and
// the first error reported; the others' findings are kept.
func (s *skillSource) Enrich(ctx context.Context, _ *incident.Incident, e *incident.Entities) (Outcome, error) {
	values := Values(e, s.typ)
	if len(values) == 0 {
		return Outcome{}, nil
	}
	in, _ := s.spec.Input(s.spec.IndicatorInput)
	var args []any
	if in.Type == skill.TypeStringList {
		size := 10
		if in.Max != nil {
			size = *in.Max
		}
		for _, b := range skill.Batches(values, size) {
			args = append(args, b)
		}
	} else {
		for _, v := range values {
			args = append(args, v)
		}
	}
	results := make([]*skill.Result, len(args))
	errs := make([]error, len(args))
	sem := make(chan struct{}, perSourceConcurrency)
	var wg sync.WaitGroup
	for i, a := range args {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i], errs[i] = s.inv.Invoke(ctx, s.spec.ID, map[string]any{s.spec.IndicatorInput: a})
		}()
	}
	wg.Wait()

	var o Outcome
	var failed []error
	for i, r := range results {
		o.Calls++
		if errs[i] != nil {
			failed = append(failed, errs[i])
			continue
		}
		if r.Cached {
			o.CacheHits++
		}
		for _, f := range r.Findings {
			if f.Skill == "" {
				f.Skill = s.spec.ID
			}
			if f.Section == "" {
				f.Section = s.Section()
			}
			o.Findings = append(o.Findings, f)
		}
	}
	if len(failed) > 0 {
		return o, fmt.Errorf("%d of %d lookups failed; first: %w", len(failed), len(args), failed[0])
	}
	return o, nil
}

// Values lists the entity values of one indicator type, in the form skills take them.
func Values(e *incident.Entities, typ string) []string {
	var out []string
	switch typ {
	case "ip":
		for _, x := range e.IPsPublic {
			out = append(out, x.Value)
		}
	case "account":
		for _, x := range e.Accounts {
			// Directory skills take a UPN or an object id; local accounts (root, www-data) have neither.
			if v := cmp.Or(x.UPN, x.AADUserID); v != "" {
				out = append(out, v)
			}
		}
	case "host":
		for _, x := range e.Hosts {
			if x.HostName != "" {
				out = append(out, x.HostName)
			}
		}
	case "process":
		for _, x := range e.CmdlinesAnalyzed {
			out = append(out, x.Value)
		}
	case "hash":
		for _, x := range e.Hashes {
			if x.Algorithm != "sha256ac" {
				out = append(out, x.Value)
			}
		}
	case "url":
		for _, x := range e.URLs {
			out = append(out, x.Value)
		}
	case "domain":
		for _, x := range e.Domains {
			out = append(out, x.Value)
		}
	case "email":
		for _, x := range e.Emails {
			out = append(out, x.Value)
		}
	}
	return out
}
