package runs

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dbos-inc/dbos-transact-golang/dbos"

	"github.com/spotter-soc/spotter/internal/skill"
	"github.com/spotter-soc/spotter/internal/store"
	"github.com/spotter-soc/spotter/internal/store/storetest"
)

// testPlaybook looks up each IP (one at a time, or concurrently), then
// posts a summary to a webhook. The webhook stands for any sink: a comment
// on an incident, a message, a ticket.
func testPlaybook(concurrency int) string {
	return fmt.Sprintf(`name: crash-test
description: look up addresses, then tell a webhook
triggers:
  - manual: {}
inputs:
  ips: {type: list, required: true}
  hook: {type: string, required: true}
steps:
  - id: look
    for_each: inputs.ips
    concurrency: %d
    steps:
      - id: lookup
        call: test.Lookup
        with: {ip: item}
        retry: {attempts: 2, backoff: 10ms}
  - id: tell
    webhook:
      url: inputs.hook
      body: "join(map(steps.look.output, .data.ip), ',')"
outputs:
  checked: len(steps.look.output)
`, concurrency)
}

// provider is a fake lookup service and webhook receiver shared by the
// processes of a test. It counts lookups per address and webhook
// deliveries per idempotency key.
type provider struct {
	srv     *httptest.Server
	delay   time.Duration
	mu      sync.Mutex
	lookups map[string]int
	workers map[string]map[string]bool // ip → workers that looked it up
	sinks   map[string]int             // idempotency key → deliveries
	bodies  []string
	// onLookup and onSink run when a request arrives, before it is
	// answered; the n-th lookup counts from 1.
	onLookup func(n int, ip string)
	onSink   func(n int)
	nLookup  int
	nSink    int
}

func newProvider(t *testing.T, delay time.Duration) *provider {
	p := &provider{delay: delay, lookups: map[string]int{}, workers: map[string]map[string]bool{}, sinks: map[string]int{}}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/lookup":
			ip := r.URL.Query().Get("ip")
			p.mu.Lock()
			p.nLookup++
			n := p.nLookup
			p.lookups[ip]++
			if p.workers[ip] == nil {
				p.workers[ip] = map[string]bool{}
			}
			p.workers[ip][r.Header.Get("X-Worker")] = true
			hook := p.onLookup
			p.mu.Unlock()
			if hook != nil {
				hook(n, ip)
			}
			select {
			case <-time.After(p.delay):
			case <-r.Context().Done():
				return
			}
			fmt.Fprintf(w, `{"ip":%q,"score":%d}`, ip, len(ip))
		case "/sink":
			body, _ := io.ReadAll(r.Body)
			p.mu.Lock()
			p.nSink++
			n := p.nSink
			p.sinks[r.Header.Get("Idempotency-Key")]++
			p.bodies = append(p.bodies, string(body))
			hook := p.onSink
			p.mu.Unlock()
			if hook != nil {
				hook(n)
			}
			w.WriteHeader(http.StatusNoContent)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *provider) counts() (map[string]int, map[string]int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	l, s := map[string]int{}, map[string]int{}
	for k, v := range p.lookups {
		l[k] = v
	}
	for k, v := range p.sinks {
		s[k] = v
	}
	return l, s
}

// httpInvoker answers test.Lookup from the fake provider.
type httpInvoker struct {
	base   string
	worker string
}

func (h httpInvoker) Invoke(ctx context.Context, name string, raw map[string]any) (*skill.Result, error) {
	if name != "test.Lookup" {
		return nil, fmt.Errorf("unknown skill %q", name)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, h.base+"/lookup?ip="+fmt.Sprint(raw["ip"]), nil)
	req.Header.Set("X-Worker", h.worker)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var data map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&data); err != nil {
		return nil, err
	}
	return &skill.Result{Data: data, Summary: "looked up"}, nil
}

// testDB is where a test keeps its state: SQLite in a directory, or the
// test PostgreSQL database with a schema of the test's own for the
// engine's tables.
type testDB struct {
	dataDir string
	url     string // postgres URL, or empty
	schema  string
}

func sqliteDB(t *testing.T) testDB { return testDB{dataDir: t.TempDir()} }

func postgresDB(t *testing.T) testDB {
	url := storetest.PostgresURL(t)
	schema := fmt.Sprintf("spotter_runs_t%d", time.Now().UnixNano())
	t.Cleanup(func() {
		st, err := store.Open(context.Background(), url)
		if err == nil {
			_, _ = st.DB().Exec(`DROP SCHEMA IF EXISTS ` + schema + ` CASCADE`)
			st.Close()
		}
	})
	return testDB{dataDir: t.TempDir(), url: url, schema: schema}
}

func (d testDB) env() []string {
	return []string{"SPOTTER_RUNS_TEST_DATA=" + d.dataDir, "SPOTTER_RUNS_TEST_URL=" + d.url, "SPOTTER_RUNS_TEST_SCHEMA=" + d.schema}
}

func dbFromEnv() testDB {
	return testDB{dataDir: os.Getenv("SPOTTER_RUNS_TEST_DATA"), url: os.Getenv("SPOTTER_RUNS_TEST_URL"), schema: os.Getenv("SPOTTER_RUNS_TEST_SCHEMA")}
}

func (d testDB) open(ctx context.Context) (*store.Store, error) {
	if d.url != "" {
		return store.Open(ctx, d.url)
	}
	return store.OpenDataDir(ctx, d.dataDir)
}

func openEngine(t testing.TB, ctx context.Context, d testDB, base, worker string, mod func(*Options)) (*Engine, func()) {
	st, err := d.open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{
		Store: st, DataDir: d.dataDir, DatabaseURL: d.url, Schema: d.schema, WorkerID: worker,
		WorkerTimeout: 2 * time.Second, PollInterval: 100 * time.Millisecond,
		Env: Env{Invoker: httpInvoker{base: base, worker: worker}},
	}
	if mod != nil {
		mod(&opts)
	}
	e, err := New(ctx, opts)
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	return e, func() { e.Close(5 * time.Second); st.Close() }
}

func startRequest(p *provider, key string, ips ...string) StartRequest {
	list := make([]any, len(ips))
	for i, ip := range ips {
		list[i] = ip
	}
	return StartRequest{
		Playbook: "crash-test", Source: testPlaybook(1), Key: key, Origin: "test",
		Inputs: map[string]any{"ips": list, "hook": p.srv.URL + "/sink?sig=s3cr3t-signature"},
	}
}

func TestRunCompletes(t *testing.T) {
	for name, db := range map[string]func(*testing.T) testDB{"sqlite": sqliteDB, "postgres": postgresDB} {
		t.Run(name, func(t *testing.T) {
			d := db(t)
			p := newProvider(t, 10*time.Millisecond)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			e, closeEngine := openEngine(t, ctx, d, p.srv.URL, "w1", nil)
			defer closeEngine()
			id, existed, err := e.Start(ctx, startRequest(p, "", "10.0.0.1", "10.0.0.2", "10.0.0.3"))
			if err != nil || existed {
				t.Fatalf("Start: %v existed=%v", err, existed)
			}
			run, err := e.Wait(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if run.Status != StatusSucceeded {
				t.Fatalf("status %s: %s", run.Status, run.Message)
			}
			lookups, sinks := p.counts()
			if len(lookups) != 3 || len(sinks) != 1 {
				t.Fatalf("lookups %v sinks %v", lookups, sinks)
			}
			for ip, n := range lookups {
				if n != 1 {
					t.Errorf("%s looked up %d times", ip, n)
				}
			}
			if got := string(run.Outputs); got != `{"checked":3}` {
				t.Errorf("outputs %s", got)
			}
			// 3 lookups, the webhook and the clock read at the start.
			kinds := map[string]int{}
			for _, ef := range run.Effects {
				kinds[ef.Kind]++
				if ef.Executions != 1 || ef.Status != StatusSucceeded {
					t.Errorf("effect %+v", ef)
				}
			}
			if kinds["call"] != 3 || kinds["webhook"] != 1 || kinds["clock"] != 1 {
				t.Errorf("effects by kind %v", kinds)
			}
			blob, _ := json.Marshal(run)
			if strings.Contains(string(blob), "s3cr3t") {
				t.Errorf("run history holds the webhook signature: %s", blob)
			}
			// A second start with no key is a second run; a start with the
			// key of an earlier run is that run.
			id2, existed, err := e.Start(ctx, startRequest(p, "incident-7@2026-11-23T10:00:00Z", "10.0.0.1"))
			if err != nil || existed {
				t.Fatalf("keyed start: %v %v", err, existed)
			}
			id3, existed, err := e.Start(ctx, startRequest(p, "incident-7@2026-11-23T10:00:00Z", "10.0.0.1"))
			if err != nil || !existed || id3 != id2 {
				t.Fatalf("repeated start: %v existed=%v %s vs %s", err, existed, id3, id2)
			}
			if _, err := e.Wait(ctx, id2); err != nil {
				t.Fatal(err)
			}
			list, err := e.History().List(ctx, ListOptions{})
			if err != nil || len(list) != 2 {
				t.Fatalf("list: %v %d", err, len(list))
			}
			if got, err := e.History().Get(ctx, id[:8]); err != nil || got.ID != id {
				t.Fatalf("get by prefix: %v", err)
			}
		})
	}
}

func TestStartRejectsBadRequests(t *testing.T) {
	d := sqliteDB(t)
	p := newProvider(t, 0)
	ctx := context.Background()
	e, closeEngine := openEngine(t, ctx, d, p.srv.URL, "w1", nil)
	defer closeEngine()
	for name, req := range map[string]StartRequest{
		"unknown built-in": {Playbook: "no-such-playbook"},
		"nothing":          {},
		"bad source":       {Playbook: "x", Source: "name: x\nsteps: [{id: a, frobnicate: 1}]\n"},
		"missing input":    {Playbook: "crash-test", Source: testPlaybook(1)},
		"bad incident":     {Playbook: "crash-test", Source: testPlaybook(1), Incident: json.RawMessage(`{"nope":1}`), Inputs: map[string]any{"ips": []any{}, "hook": "http://x"}},
	} {
		if _, _, err := e.Start(ctx, req); err == nil {
			t.Errorf("%s: started", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
	if list, _ := e.History().List(ctx, ListOptions{}); len(list) != 0 {
		t.Errorf("refused runs reached history: %v", list)
	}
}

func TestPrune(t *testing.T) {
	d := sqliteDB(t)
	ctx := context.Background()
	st, err := d.open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h := NewHistory(st)
	old := time.Now().Add(-48 * time.Hour)
	for i, status := range []string{StatusSucceeded, StatusRunning} {
		id := fmt.Sprintf("run-%d", i)
		if _, err := h.create(ctx, id, StartRequest{Playbook: "p"}, "", old); err != nil {
			t.Fatal(err)
		}
		if status == StatusSucceeded {
			if err := h.finished(ctx, id, status, "", nil, nil, "", old); err != nil {
				t.Fatal(err)
			}
		}
	}
	n, err := h.Prune(ctx, time.Now().Add(-24*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("pruned %d: %v", n, err)
	}
	if _, err := h.Get(ctx, "run-1"); err != nil {
		t.Errorf("an unfinished run was pruned: %v", err)
	}
}

// TestGracefulStopResumes stops an engine mid-run (SIGTERM in a worker)
// and checks that the next engine finishes the run without repeating the
// lookups that had completed.
func TestGracefulStopResumes(t *testing.T) {
	d := sqliteDB(t)
	p := newProvider(t, 200*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	second := make(chan struct{})
	p.mu.Lock()
	p.onLookup = func(n int, _ string) {
		if n == 2 {
			close(second)
		}
	}
	p.mu.Unlock()
	e1, close1 := openEngine(t, ctx, d, p.srv.URL, "first", nil)
	id, _, err := e1.Start(ctx, startRequest(p, "graceful", "10.1.0.1", "10.1.0.2", "10.1.0.3"))
	if err != nil {
		t.Fatal(err)
	}
	<-second
	close1() // the second lookup is in flight
	p.mu.Lock()
	p.onLookup = nil
	p.mu.Unlock()
	e2, close2 := openEngine(t, ctx, d, p.srv.URL, "second", nil)
	defer close2()
	run, err := e2.Wait(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != StatusSucceeded || run.Worker != "second" {
		t.Fatalf("run %s by %s: %s", run.Status, run.Worker, run.Message)
	}
	lookups, sinks := p.counts()
	if lookups["10.1.0.1"] != 1 || lookups["10.1.0.3"] != 1 || lookups["10.1.0.2"] > 2 || len(sinks) != 1 {
		t.Errorf("lookups %v deliveries %v", lookups, sinks)
	}
}

// TestScheduleFiresOncePerInterval runs two engines over one database with
// a playbook that has a one-second schedule: each interval starts one run,
// not one per engine.
func TestScheduleFiresOncePerInterval(t *testing.T) {
	d := sqliteDB(t)
	dir := t.TempDir()
	src := "name: tick\ntriggers:\n  - schedule: {every: 1s}\nsteps:\n  - id: noop\n    set: {x: \"1\"}\n"
	if err := os.WriteFile(filepath.Join(dir, "tick.yaml"), []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	list, err := ScheduledPlaybooks(dir)
	if err != nil || len(list) != 1 || list[0].Every != time.Second {
		t.Fatalf("scheduled playbooks: %v %+v", err, list)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	mod := func(o *Options) { o.PlaybooksDir = dir }
	e1, close1 := openEngine(t, ctx, d, "", "s1", mod)
	defer close1()
	e2, close2 := openEngine(t, ctx, d, "", "s2", mod)
	defer close2()
	go e1.Schedule(ctx)
	go e2.Schedule(ctx)
	time.Sleep(3500 * time.Millisecond)
	cancel()
	runs, err := e1.History().List(context.Background(), ListOptions{Playbook: "tick"})
	if err != nil {
		t.Fatal(err)
	}
	slots := map[string]int{}
	for _, r := range runs {
		if r.Trigger != "schedule" || !strings.HasPrefix(r.Key, "schedule:tick:1s:") {
			t.Errorf("run %+v", r)
		}
		slots[r.Key]++
	}
	if len(runs) < 3 || len(runs) > 5 || len(slots) != len(runs) {
		t.Errorf("%d runs over %d slots in 3.5 s: %v", len(runs), len(slots), slots)
	}
}

func TestPruneEngineRecords(t *testing.T) {
	d := sqliteDB(t)
	p := newProvider(t, 0)
	ctx := context.Background()
	e, closeEngine := openEngine(t, ctx, d, p.srv.URL, "w1", nil)
	defer closeEngine()
	id, _, err := e.Start(ctx, startRequest(p, "", "10.2.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Wait(ctx, id); err != nil {
		t.Fatal(err)
	}
	before, err := dbos.ListWorkflows(e.dctx)
	if err != nil || len(before) != 4 { // the run, the clock, the lookup, the webhook
		t.Fatalf("workflows before: %d %v", len(before), err)
	}
	e.pruneEngine(time.Now().Add(-time.Hour)) // nothing that old
	if after, _ := dbos.ListWorkflows(e.dctx); len(after) != 4 {
		t.Errorf("recent workflows were pruned: %d left", len(after))
	}
	e.pruneEngine(time.Now().Add(time.Hour))
	if after, _ := dbos.ListWorkflows(e.dctx); len(after) != 0 {
		t.Errorf("%d workflows left after pruning", len(after))
	}
}

func TestCancel(t *testing.T) {
	d := sqliteDB(t)
	p := newProvider(t, 300*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e, closeEngine := openEngine(t, ctx, d, p.srv.URL, "w1", nil)
	defer closeEngine()
	id, _, err := e.Start(ctx, startRequest(p, "", "10.3.0.1", "10.3.0.2", "10.3.0.3", "10.3.0.4"))
	if err != nil {
		t.Fatal(err)
	}
	for {
		if l, _ := p.counts(); len(l) > 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := e.Cancel(ctx, id); err != nil {
		t.Fatal(err)
	}
	run, err := e.Wait(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	lookups, sinks := p.counts()
	if run.Status != StatusCancelled || len(lookups) >= 4 || len(sinks) != 0 {
		t.Errorf("after cancel: status %s, lookups %v, deliveries %v", run.Status, lookups, sinks)
	}
	// Cancelling a finished run changes nothing.
	id2, _, _ := e.Start(ctx, startRequest(p, "", "10.3.0.9"))
	if r, err := e.Wait(ctx, id2); err != nil || r.Status != StatusSucceeded {
		t.Fatalf("second run: %v %+v", err, r)
	}
	_ = e.Cancel(ctx, id2)
	if r, _ := e.History().Get(ctx, id2); r.Status != StatusSucceeded {
		t.Errorf("a finished run became %s", r.Status)
	}
}
