// Package investigate runs an investigation: it categorises an incident's
// entities, asks every enabled source about them in parallel, and assembles
// the report with a verdict and recommended next steps.
package investigate

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/spotter-soc/spotter/internal/cmdline"
	"github.com/spotter-soc/spotter/internal/incident"
	"github.com/spotter-soc/spotter/internal/report"
	"github.com/spotter-soc/spotter/internal/skill"
)

// Source is one enrichment capability as the investigation sees it.
type Source interface {
	// ID is the namespaced skill id, e.g. sentinel.ThreatIntelligence.
	ID() string
	// Section is the report section the source serves.
	Section() string
	// Category is the entity switch that governs the source (see Switches).
	Category() string
	// Enrich returns findings about the categorised entities. On error the
	// findings gathered so far are still reported.
	Enrich(ctx context.Context, inc *incident.Incident, ents *incident.Entities) (Outcome, error)
}

// Outcome is what one source produced in one investigation.
type Outcome struct {
	Findings  []skill.Finding
	Calls     int // skill invocations made
	CacheHits int // of which answered from the cache
}

// Missing describes a capability that is not configured, so the report can
// say in one line what would fill the section.
type Missing struct {
	Section, Skill, Detail string
}

// Entity categories that can be switched off.
const (
	CategoryIPs       = "ips"
	CategoryAccounts  = "accounts"
	CategoryHosts     = "hosts"
	CategoryProcesses = "processes"
	CategoryHashes    = "hashes"
	CategoryURLs      = "urls"
	CategoryDomains   = "domains"
	CategoryMail      = "mail"
)

// Investigator holds what an investigation needs. Its zero value investigates
// with no sources and the default categorisation rules off; use New.
type Investigator struct {
	Options incident.Options
	// Enabled says, per category, whether its sources run; a category absent from the map is enabled.
	Enabled map[string]bool
	Sources []Source
	Missing []Missing
	Timeout time.Duration
	Now     func() time.Time
}

// New returns an investigator with the built-in offline sources plus the
// given ones (usually SkillSources of the configured skills). Sections that
// none of the given sources serves say in the report what would fill them.
func New(opts incident.Options, enabled map[string]bool, sources ...Source) *Investigator {
	served := map[string]bool{}
	for _, s := range sources {
		served[s.Section()] = true
	}
	var missing []Missing
	for _, m := range NotConfigured() {
		if !served[m.Section] {
			missing = append(missing, m)
		}
	}
	if opts.DecodeCommandLine == nil {
		opts.DecodeCommandLine = DecodedLayers
	}
	return &Investigator{
		Options: opts,
		Enabled: enabled,
		Sources: append(Builtin(), sources...),
		Missing: missing,
		Timeout: 2 * time.Minute,
		Now:     time.Now,
	}
}

// Run investigates one incident. Source failures are reported in the
// coverage and the stats, never fatal: a partial report beats none.
func (iv *Investigator) Run(ctx context.Context, inc *incident.Incident) *report.Report {
	now := time.Now
	if iv.Now != nil {
		now = iv.Now
	}
	start := now()
	if iv.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, iv.Timeout)
		defer cancel()
	}
	ents := incident.Categorize(inc, iv.Options)

	type result struct {
		out report.Coverage
		o   Outcome
	}
	results := make([]result, len(iv.Sources))
	var wg sync.WaitGroup
	for i, src := range iv.Sources {
		cov := report.Coverage{Section: src.Section(), Skill: src.ID(), Status: report.StatusRan}
		if on, set := iv.Enabled[src.Category()]; set && !on {
			cov.Status, cov.Detail = report.StatusNotConfigured, "switched off (enrich."+src.Category()+": false)"
			results[i] = result{out: cov}
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if p := recover(); p != nil {
					cov.Status, cov.Detail = report.StatusFailed, fmt.Sprintf("internal error: %v", p)
					results[i] = result{out: cov}
				}
			}()
			o, err := src.Enrich(ctx, inc, ents)
			if err != nil {
				cov.Status, cov.Detail = report.StatusFailed, err.Error()
			} else if len(o.Findings) == 0 {
				cov.Status, cov.Detail = report.StatusNoInput, "nothing to report"
			}
			results[i] = result{out: cov, o: o}
		}()
	}
	wg.Wait()

	r := &report.Report{Incident: *inc, Entities: *ents, Findings: []skill.Finding{}, Coverage: []report.Coverage{}}
	for _, res := range results {
		r.Findings = append(r.Findings, res.o.Findings...)
		r.Coverage = append(r.Coverage, res.out)
		if res.out.Status == report.StatusFailed {
			r.Stats.Errors++
		}
		r.Stats.SkillCalls += res.o.Calls
		r.Stats.CacheHits += res.o.CacheHits
	}
	for _, m := range iv.Missing {
		r.Coverage = append(r.Coverage, report.Coverage{Section: m.Section, Skill: m.Skill, Status: report.StatusNotConfigured, Detail: m.Detail})
	}
	sortFindings(r.Findings)
	r.Verdict = Verdict(inc, ents, r.Findings)
	r.Stats = stats(inc, ents, r.Stats)
	r.Stats.Findings = len(r.Findings)
	r.Stats.GeneratedAt = start.UTC().Format(time.RFC3339)
	r.Stats.DurationMS = now().Sub(start).Milliseconds()
	return r
}

// DecodedLayers returns the decoded forms of a command line (without the
// original), for indicator extraction.
func DecodedLayers(cmd string) []string {
	layers := cmdline.Deobfuscate(cmd, cmdline.DeobfuscateOptions{})
	out := make([]string, 0, len(layers))
	for _, l := range layers {
		if l.Depth > 0 {
			out = append(out, l.Text)
		}
	}
	return out
}

func sortFindings(f []skill.Finding) {
	sort.SliceStable(f, func(a, b int) bool {
		if f[a].Level.Rank() != f[b].Level.Rank() {
			return f[a].Level.Rank() > f[b].Level.Rank()
		}
		return f[a].Score > f[b].Score
	})
}

func stats(inc *incident.Incident, e *incident.Entities, s report.Stats) report.Stats {
	s.Entities = len(inc.Entities)
	s.EntitiesByKind = map[string]int{}
	for _, en := range inc.Entities {
		s.EntitiesByKind[en.Kind]++
	}
	s.Alerts = len(inc.Alerts)
	s.Indicators = len(e.IPsPublic) + len(e.Accounts) + len(e.Hosts) + len(e.CmdlinesAnalyzed) + len(e.Hashes) +
		len(e.URLs) + len(e.Domains) + len(e.Emails) + len(e.CVEs)
	s.IndicatorsSkipped = len(e.IPsPrivate) + len(e.CmdlinesSkipped) + len(e.Skipped)
	return s
}
