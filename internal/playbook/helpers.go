package playbook

import (
	"context"
	"fmt"
	"sort"

	"github.com/spotter-soc/spotter/internal/incident"
	"github.com/spotter-soc/spotter/internal/investigate"
	"github.com/spotter-soc/spotter/internal/report"
	"github.com/spotter-soc/spotter/internal/skill"
)

// incidentFuncNames are the enrichment helpers an incident run exposes to
// expressions:
//
//	entity_values(type)          the categorised entity values of an indicator type
//	enrichers(type)              configured skills that enrich the type: {id, input, list, batch, section, category}
//	lookup_args(src, batch)      the skill arguments for one batch (or its single value)
//	source_findings(src, outs)   the findings of a source's call outputs, with skill and section filled in
//	source_coverage(src, record) the coverage line for a source from its loop's step record
//	switched_off(type, category) coverage lines for a type's sources when its switch is off
//	builtin(category, enabled)   the offline built-in sources of a category: {findings, coverage}
//	not_configured()             coverage lines for sections no configured skill serves
var incidentFuncNames = []string{"entity_values", "enrichers", "lookup_args", "source_findings", "source_coverage", "switched_off", "builtin", "not_configured"}

// categoryOf maps an indicator type to the entity switch that governs it.
var categoryOf = map[string]string{
	"ip": investigate.CategoryIPs, "account": investigate.CategoryAccounts, "host": investigate.CategoryHosts,
	"process": investigate.CategoryProcesses, "hash": investigate.CategoryHashes, "url": investigate.CategoryURLs,
	"domain": investigate.CategoryDomains, "email": investigate.CategoryMail,
}

func sectionOf(s skill.Spec, typ string) string {
	switch typ {
	case "ip":
		return report.SectionIPs
	case "account":
		if s.Section == report.SectionUserRisk {
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

func (r *run) enrichers(typ string) []any {
	type src struct {
		spec    skill.Spec
		section string
	}
	var list []src
	for _, s := range r.in.Skills {
		if s.IndicatorInput == "" || !contains1(s.Enriches, typ) {
			continue
		}
		list = append(list, src{s, sectionOf(s, typ)})
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].section < list[j].section })
	out := []any{}
	for _, s := range list {
		in, _ := s.spec.Input(s.spec.IndicatorInput)
		isList, batch := in.Type == skill.TypeStringList, 1
		if isList {
			batch = 10
			if in.Max != nil {
				batch = *in.Max
			}
		}
		out = append(out, map[string]any{
			"id": s.spec.ID, "input": s.spec.IndicatorInput, "list": isList, "batch": float64(batch),
			"section": s.section, "category": categoryOf[typ], "type": typ,
		})
	}
	return out
}

func mapArg(fn string, v any) (map[string]any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("expected a map, got %s", kindOf(v))
	}
	return m, nil
}

func strArg(v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("expected a string, got %s", kindOf(v))
	}
	return s, nil
}

func (r *run) incidentFuncs() map[string]Func {
	return map[string]Func{
		"entity_values": func(a []any) (any, error) {
			if err := arity("entity_values", a, 1); err != nil {
				return nil, err
			}
			typ, err := strArg(a[0])
			if err != nil {
				return nil, err
			}
			out := []any{}
			if r.ents == nil {
				return out, nil
			}
			for _, v := range investigate.Values(r.ents, typ) {
				out = append(out, v)
			}
			return out, nil
		},
		"enrichers": func(a []any) (any, error) {
			if err := arity("enrichers", a, 1); err != nil {
				return nil, err
			}
			typ, err := strArg(a[0])
			if err != nil {
				return nil, err
			}
			return r.enrichers(typ), nil
		},
		"lookup_args": func(a []any) (any, error) {
			if err := arity("lookup_args", a, 2); err != nil {
				return nil, err
			}
			src, err := mapArg("lookup_args", a[0])
			if err != nil {
				return nil, err
			}
			input, _ := src["input"].(string)
			if list, _ := src["list"].(bool); list {
				return map[string]any{input: a[1]}, nil
			}
			if l, ok := a[1].([]any); ok {
				if len(l) != 1 {
					return nil, fmt.Errorf("%s takes one value per call, got %d", src["id"], len(l))
				}
				return map[string]any{input: l[0]}, nil
			}
			return map[string]any{input: a[1]}, nil
		},
		"source_findings": func(a []any) (any, error) {
			if err := arity("source_findings", a, 2); err != nil {
				return nil, err
			}
			src, err := mapArg("source_findings", a[0])
			if err != nil {
				return nil, err
			}
			outs, err := asList("source_findings", a[1])
			if err != nil {
				return nil, err
			}
			return sourceFindings(src, outs), nil
		},
		"source_coverage": func(a []any) (any, error) {
			if err := arity("source_coverage", a, 2); err != nil {
				return nil, err
			}
			src, err := mapArg("source_coverage", a[0])
			if err != nil {
				return nil, err
			}
			rec, _ := a[1].(map[string]any)
			cov := map[string]any{"section": src["section"], "skill": src["id"], "status": report.StatusRan}
			outs, _ := rec["output"].([]any)
			switch {
			case rec == nil || rec["status"] == StatusSkipped:
				cov["status"], cov["detail"] = report.StatusNoInput, "nothing to report"
			case rec["error"] != nil:
				cov["status"], cov["detail"] = report.StatusFailed, rec["error"]
			case len(sourceFindings(src, outs)) == 0:
				cov["status"], cov["detail"] = report.StatusNoInput, "nothing to report"
			}
			return cov, nil
		},
		"switched_off": func(a []any) (any, error) {
			if err := arity("switched_off", a, 2); err != nil {
				return nil, err
			}
			typ, err := strArg(a[0])
			if err != nil {
				return nil, err
			}
			cat, err := strArg(a[1])
			if err != nil {
				return nil, err
			}
			out := []any{}
			for _, e := range r.enrichers(typ) {
				m := e.(map[string]any)
				out = append(out, map[string]any{"section": m["section"], "skill": m["id"], "status": report.StatusNotConfigured,
					"detail": "switched off (enrich." + cat + ": false)"})
			}
			return out, nil
		},
		"builtin": func(a []any) (any, error) {
			if err := arity("builtin", a, 2); err != nil {
				return nil, err
			}
			cat, err := strArg(a[0])
			if err != nil {
				return nil, err
			}
			return r.builtin(cat, truthy(a[1])), nil
		},
		"not_configured": func(a []any) (any, error) {
			served := map[string]bool{}
			for typ := range categoryOf {
				for _, e := range r.enrichers(typ) {
					served[e.(map[string]any)["section"].(string)] = true
				}
			}
			out := []any{}
			for _, m := range investigate.NotConfigured() {
				if !served[m.Section] {
					out = append(out, plain(report.Coverage{Section: m.Section, Skill: m.Skill, Status: report.StatusNotConfigured, Detail: m.Detail}))
				}
			}
			return out, nil
		},
	}
}

func sourceFindings(src map[string]any, outs []any) []any {
	found := []any{}
	for _, o := range outs {
		m, _ := o.(map[string]any)
		fs, _ := m["findings"].([]any)
		for _, f := range fs {
			fm, ok := f.(map[string]any)
			if !ok {
				continue
			}
			c := make(map[string]any, len(fm))
			for k, v := range fm {
				c[k] = v
			}
			if s, _ := c["skill"].(string); s == "" {
				c["skill"] = src["id"]
			}
			if s, _ := c["section"].(string); s == "" {
				c["section"] = src["section"]
			}
			found = append(found, c)
		}
	}
	return found
}

// builtin runs the offline built-in sources of one category.
// Results are remembered per category, so reading findings and coverage
// in two expressions runs the sources once.
func (r *run) builtin(cat string, enabled bool) map[string]any {
	key := fmt.Sprintf("%s/%t", cat, enabled)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.builtins == nil {
		r.builtins = map[string]map[string]any{}
	}
	if m, ok := r.builtins[key]; ok {
		return m
	}
	findings, coverage := []any{}, []any{}
	for _, s := range investigate.Builtin() {
		if s.Category() != cat {
			continue
		}
		cov := report.Coverage{Section: s.Section(), Skill: s.ID(), Status: report.StatusRan}
		switch {
		case !enabled:
			cov.Status, cov.Detail = report.StatusNotConfigured, "switched off (enrich."+cat+": false)"
		case r.ents == nil:
			cov.Status, cov.Detail = report.StatusNoInput, "nothing to report"
		default:
			o, err := s.Enrich(context.Background(), r.req.Incident, r.ents)
			r.calls.Add(int64(o.Calls))
			r.cacheHits.Add(int64(o.CacheHits))
			if err != nil {
				cov.Status, cov.Detail = report.StatusFailed, err.Error()
			} else if len(o.Findings) == 0 {
				cov.Status, cov.Detail = report.StatusNoInput, "nothing to report"
			}
			for _, f := range o.Findings {
				findings = append(findings, plain(f))
			}
		}
		coverage = append(coverage, plain(cov))
	}
	m := map[string]any{"findings": findings, "coverage": coverage}
	r.builtins[key] = m
	return m
}

// BuildReport assembles a report the way the investigation does: findings
// worst first, the verdict, and the entity figures. Coverage is ordered by
// report section.
func BuildReport(inc *incident.Incident, ents *incident.Entities, findings []skill.Finding, coverage []report.Coverage) *report.Report {
	if findings == nil {
		findings = []skill.Finding{}
	}
	if coverage == nil {
		coverage = []report.Coverage{}
	}
	sort.SliceStable(findings, func(a, b int) bool {
		if findings[a].Level.Rank() != findings[b].Level.Rank() {
			return findings[a].Level.Rank() > findings[b].Level.Rank()
		}
		if findings[a].Score != findings[b].Score {
			return findings[a].Score > findings[b].Score
		}
		// Branches finish in any order; keep the report stable.
		if findings[a].Section != findings[b].Section {
			return findings[a].Section < findings[b].Section
		}
		if findings[a].Skill != findings[b].Skill {
			return findings[a].Skill < findings[b].Skill
		}
		return findings[a].Indicator < findings[b].Indicator
	})
	order := map[string]int{}
	for i, s := range report.Sections {
		order[s] = i
	}
	sort.SliceStable(coverage, func(a, b int) bool {
		na, nb := coverage[a].Skill == "", coverage[b].Skill == "" // what would fill a section goes last
		if na != nb {
			return !na
		}
		return order[coverage[a].Section] < order[coverage[b].Section]
	})
	r := &report.Report{Incident: *inc, Entities: *ents, Findings: findings, Coverage: coverage}
	for _, c := range coverage {
		if c.Status == report.StatusFailed {
			r.Stats.Errors++
		}
	}
	r.Verdict = investigate.Verdict(inc, ents, findings)
	s := &r.Stats
	s.Entities = len(inc.Entities)
	s.EntitiesByKind = map[string]int{}
	for _, en := range inc.Entities {
		s.EntitiesByKind[en.Kind]++
	}
	s.Alerts = len(inc.Alerts)
	s.Indicators = len(ents.IPsPublic) + len(ents.Accounts) + len(ents.Hosts) + len(ents.CmdlinesAnalyzed) + len(ents.Hashes) +
		len(ents.URLs) + len(ents.Domains) + len(ents.Emails) + len(ents.CVEs)
	s.IndicatorsSkipped = len(ents.IPsPrivate) + len(ents.CmdlinesSkipped) + len(ents.Skipped)
	s.Findings = len(findings)
	return r
}
