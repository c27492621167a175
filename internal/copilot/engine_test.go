package copilot

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spotter-soc/spotter/internal/plugins"
	"github.com/spotter-soc/spotter/internal/skill"
	"github.com/spotter-soc/spotter/internal/store"
	"github.com/spotter-soc/spotter/internal/store/storetest"
)

// eachDialect runs f against a fresh SQLite database and, when a server is
// configured, a PostgreSQL schema of its own.
func eachDialect(t *testing.T, f func(t *testing.T, st *store.Store)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		f(t, OpenTestStore(t, ""))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		f(t, OpenTestStore(t, storetest.PostgresURL(t)))
	})
}

// OpenTestStore opens a migrated store for a test: SQLite in a temporary
// directory when dsn is empty, else the database dsn names (for PostgreSQL,
// a schema of the test's own from storetest.PostgresURL).
func OpenTestStore(t testing.TB, dsn string) *store.Store {
	t.Helper()
	ctx := context.Background()
	if dsn == "" {
		dsn = filepath.Join(t.TempDir(), "spotter.db")
	}
	st, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// fakeInvoker runs the built-in plugins' specs with canned results.
type fakeInvoker struct {
	reg   *skill.Registry
	delay time.Duration
	calls atomic.Int64
}

func newFakeInvoker() *fakeInvoker { return &fakeInvoker{reg: plugins.Registry(plugins.Options{})} }

func (f *fakeInvoker) Invoke(ctx context.Context, name string, raw map[string]any) (*skill.Result, error) {
	spec, err := f.reg.Lookup(name)
	if err != nil {
		return nil, err
	}
	in, err := spec.Validate(raw)
	if err != nil {
		return nil, err
	}
	f.calls.Add(1)
	if f.delay > 0 {
		select {
		case <-time.After(f.delay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	ind := in.String(spec.IndicatorInput)
	return &skill.Result{Summary: "Looked up " + ind + " with " + spec.ID, Links: []string{"https://example.test/" + ind},
		Findings: []skill.Finding{{Indicator: ind, Level: skill.Malicious, Score: 90, Source: spec.Plugin(), Summary: "listed"}}}, nil
}

func (f *fakeInvoker) Configured() []skill.Spec              { return f.reg.Specs() }
func (f *fakeInvoker) Skill(name string) (skill.Spec, error) { return f.reg.Lookup(name) }
func (f *fakeInvoker) Plugins() []string {
	var out []string
	for _, p := range f.reg.Plugins() {
		out = append(out, p.Name)
	}
	return out
}

func newEngine(t *testing.T, st *store.Store, inv Invoker, opts Options) *Engine {
	t.Helper()
	e := NewEngine(NewRepo(st), inv, opts)
	t.Cleanup(func() { _ = e.Close(context.Background()) })
	return e
}

func TestEngineDirectAndPlanned(t *testing.T) {
	eachDialect(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEngine(t, st, newFakeInvoker(), Options{})
		s, err := e.Repo().CreateSession(ctx, "case 1", "alice")
		if err != nil {
			t.Fatal(err)
		}
		_, ev, err := e.Submit(ctx, s.ID, PromptRequest{SkillName: "abuseipdb.CheckIP", SkillInputs: map[string]any{"ip": "185.220.101[.]47"}}, "alice")
		if err != nil {
			t.Fatalf("Submit: %v", err)
		}
		ev, err = e.Wait(ctx, s.ID, ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		if ev.State != StateCompleted || ev.ResultType != ResultSuccess || len(ev.Sources) != 1 || ev.Sources[0].Plugin != "abuseipdb" {
			t.Fatalf("direct evaluation: got %+v", ev)
		}
		// The next prompt refers to the IP of the first one.
		_, ev2, err := e.Submit(ctx, s.ID, PromptRequest{Content: "Check this IP on VirusTotal"}, "alice")
		if err != nil {
			t.Fatal(err)
		}
		ev2, _ = e.Wait(ctx, s.ID, ev2.ID)
		if ev2.ResultType != ResultSuccess || len(ev2.Sources) != 1 || ev2.Sources[0].Skill != "virustotal.IPReport" ||
			ev2.Sources[0].Inputs["ip"] != "185.220.101.47" || !strings.Contains(ev2.Content, "virustotal.IPReport") {
			t.Fatalf("planned evaluation: got %+v", ev2)
		}
		_, ev3, _ := e.Submit(ctx, s.ID, PromptRequest{Content: "What is the weather?"}, "alice")
		ev3, _ = e.Wait(ctx, s.ID, ev3.ID)
		if ev3.State != StateCompleted || ev3.ResultType != ResultRejected || len(ev3.Suggestions) == 0 {
			t.Fatalf("unmappable prompt: got %+v", ev3)
		}
		d, err := e.Repo().SessionDetail(ctx, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Prompts) != 3 || d.Prompts[0].Seq != 1 || d.Prompts[2].Evaluation == nil || d.Prompts[2].Evaluation.ID != ev3.ID {
			t.Fatalf("session detail: got %+v", d)
		}
		if err := e.Repo().DeleteSession(ctx, s.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Repo().Session(ctx, s.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("after delete: got %v, want ErrNotFound", err)
		}
	})
}

func TestCheckRequestReportsEveryProblem(t *testing.T) {
	inv := newFakeInvoker()
	err := CheckRequest(inv, PromptRequest{SkillName: "abuseipdb.CheckIP", SkillInputs: map[string]any{"max_age_days": 9999, "bogus": 1, "verbose": "maybe"}, Plugins: []string{"nope"}})
	re, ok := IsRequestError(err)
	if !ok {
		t.Fatalf("got %v, want a RequestError", err)
	}
	fields := map[string]bool{}
	for _, p := range re.Problems {
		fields[p.Field] = true
	}
	for _, f := range []string{"plugins[0]", "skillName", "skillInputs.bogus", "skillInputs.ip", "skillInputs.max_age_days", "skillInputs.verbose"} {
		if !fields[f] {
			t.Errorf("no problem reported for %s; got %v", f, re.Problems)
		}
	}
	if err := CheckRequest(inv, PromptRequest{}); err == nil {
		t.Error("an empty request passed")
	}
}

func TestEngineTimeoutCancelAndCapacity(t *testing.T) {
	ctx := context.Background()
	st := OpenTestStore(t, "")
	slow := newFakeInvoker()
	slow.delay = 5 * time.Second
	e := newEngine(t, st, slow, Options{Workers: 1, Queue: 1, Timeout: 100 * time.Millisecond})
	s, _ := e.Repo().CreateSession(ctx, "", "")
	req := PromptRequest{SkillName: "virustotal.IPReport", SkillInputs: map[string]any{"ip": "185.220.101.47"}}
	_, ev, err := e.Submit(ctx, s.ID, req, "")
	if err != nil {
		t.Fatal(err)
	}
	ev, _ = e.Wait(ctx, s.ID, ev.ID)
	if ev.State != StateFailed || ev.ResultType != ResultTimedOut {
		t.Fatalf("slow evaluation: got state %s result %s, want failed/timedOut", ev.State, ev.ResultType)
	}

	e2 := newEngine(t, st, slow, Options{Workers: 1, Queue: 1, Timeout: time.Minute})
	_, running, _ := e2.Submit(ctx, s.ID, req, "")
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		cur, _ := e2.Repo().Evaluation(ctx, s.ID, running.ID)
		if cur.State == StateRunning {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	_, queued, _ := e2.Submit(ctx, s.ID, req, "")
	_, over, _ := e2.Submit(ctx, s.ID, req, "")
	if over.State != StateFailed || over.ResultType != ResultCapacityExceeded {
		t.Fatalf("third prompt with one worker and a queue of one: got %s/%s, want failed/capacityExceeded", over.State, over.ResultType)
	}
	for _, id := range []string{queued.ID, running.ID} {
		got, err := e2.Cancel(ctx, s.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != StateCancelled {
			t.Fatalf("cancelled evaluation %s: got state %s", id, got.State)
		}
	}
}

func TestConcurrentPromptsInOneSession(t *testing.T) {
	eachDialect(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEngine(t, st, newFakeInvoker(), Options{Workers: 4, Queue: 64})
		s, _ := e.Repo().CreateSession(ctx, "", "")
		const n = 20
		errs := make(chan error, n)
		for i := range n {
			go func() {
				_, _, err := e.Submit(ctx, s.ID, PromptRequest{SkillName: "virustotal.IPReport", SkillInputs: map[string]any{"ip": "185.220.101." + strconv.Itoa(i+1)}}, "")
				errs <- err
			}()
		}
		for range n {
			if err := <-errs; err != nil {
				t.Fatalf("Submit: %v", err)
			}
		}
		d, err := e.Repo().SessionDetail(ctx, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Prompts) != n {
			t.Fatalf("got %d prompts, want %d", len(d.Prompts), n)
		}
		for i, p := range d.Prompts {
			if p.Seq != i+1 || p.Evaluation == nil {
				t.Fatalf("prompt %d: seq %d, evaluation %v", i, p.Seq, p.Evaluation)
			}
		}
	})
}

func TestFailInterrupted(t *testing.T) {
	ctx := context.Background()
	st := OpenTestStore(t, "")
	repo := NewRepo(st)
	s, _ := repo.CreateSession(ctx, "", "")
	_, ev, err := repo.AddPrompt(ctx, s.ID, PromptRequest{Content: "Is 185.220.101.47 bad?"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if n, err := repo.FailInterrupted(ctx); err != nil || n != 1 {
		t.Fatalf("FailInterrupted: %d, %v; want 1", n, err)
	}
	got, _ := repo.Evaluation(ctx, s.ID, ev.ID)
	if got.State != StateFailed || got.CompletedAt == nil {
		t.Fatalf("interrupted evaluation: %+v", got)
	}
}
