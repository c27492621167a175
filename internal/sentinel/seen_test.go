package sentinel

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spotter-soc/spotter/internal/config"
	"github.com/spotter-soc/spotter/internal/runs"
	"github.com/spotter-soc/spotter/internal/sentinel/fake"
	"github.com/spotter-soc/spotter/internal/store"
	"github.com/spotter-soc/spotter/internal/store/storetest"
)

// countingStarter counts every Start call (new runs, repeats and
// failures) and fails the keys containing one of fail.
type countingStarter struct {
	recordingStarter
	mu    sync.Mutex
	calls int
	fail  []string
}

func (s *countingStarter) Start(ctx context.Context, req runs.StartRequest) (string, bool, error) {
	s.mu.Lock()
	s.calls++
	fail := s.fail
	s.mu.Unlock()
	for _, f := range fail {
		if strings.Contains(req.Key, f) {
			return "", false, errQueueFull
		}
	}
	return s.recordingStarter.Start(ctx, req)
}

func (s *countingStarter) count() int { s.mu.Lock(); defer s.mu.Unlock(); return s.calls }

func (s *countingStarter) setFail(keys ...string) { s.mu.Lock(); s.fail = keys; s.mu.Unlock() }

var errQueueFull = errors.New("queue full")

// seenHarness is a fake workspace (or Defender tenant), a database and a
// poller that keeps its seen record there.
type seenHarness struct {
	t       *testing.T
	ctx     context.Context
	fk      *fake.Server
	now     time.Time // the clock at the start
	clock   time.Time
	st      *store.Store
	starter *countingStarter
	rules   []config.SentinelRule
	overlap time.Duration
	src     Source
	p       *Poller
}

func (h *seenHarness) poller() *Poller {
	h.t.Helper()
	if h.p == nil {
		p, err := NewPoller(PollerOptions{Sources: []Source{h.src}, Rules: h.rules, Starter: h.starter,
			Cursors: NewDBCursors(h.st), Seen: NewDBSeen(h.st), Lookback: 24 * time.Hour, Overlap: h.overlap,
			Now: func() time.Time { return h.clock }})
		if err != nil {
			h.t.Fatal(err)
		}
		h.p = p
	}
	return h.p
}

// poll polls once and fails the test on an error unless failing is set.
func (h *seenHarness) poll(failing bool) PollStats {
	h.t.Helper()
	st, err := h.poller().PollOnce(h.ctx)
	if (err != nil) != failing {
		h.t.Fatalf("poll: %+v %v", st, err)
	}
	return st
}

// runs returns the event of each run started for the incident.
func (h *seenHarness) runs(id string) []string {
	var events []string
	for _, r := range h.starter.started() {
		if strings.Contains(r.Key, "/"+strings.ToLower(id)+"/") {
			events = append(events, r.Event)
		}
	}
	return events
}

func (h *seenHarness) cursor() time.Time {
	h.t.Helper()
	at, ok, err := NewDBCursors(h.st).Get(h.ctx, h.src.Name())
	if err != nil || !ok {
		h.t.Fatalf("cursor: %v %v", ok, err)
	}
	return at
}

func (h *seenHarness) seenRows() int {
	h.t.Helper()
	var n int
	if err := h.st.DB().QueryRowContext(h.ctx, h.st.Rebind(`SELECT COUNT(*) FROM sentinel_seen WHERE source = ?`), h.src.Name()).Scan(&n); err != nil {
		h.t.Fatal(err)
	}
	return n
}

func equalEvents(got []string, want ...string) bool {
	return strings.Join(got, ",") == strings.Join(want, ",")
}

func TestPollerSeenSQLite(t *testing.T) {
	testPollerSeen(t, func(t *testing.T) string { return filepath.Join(t.TempDir(), "s.db") })
}

func TestPollerSeenPostgres(t *testing.T) {
	testPollerSeen(t, func(t *testing.T) string { return storetest.PostgresURL(t) })
}

func testPollerSeen(t *testing.T, dsn func(t *testing.T) string) {
	both := []config.SentinelRule{{Name: "all", Events: []string{"created", "updated"}}}
	for _, tc := range []struct {
		name     string
		defender bool
		overlap  time.Duration
		rules    []config.SentinelRule
		run      func(h *seenHarness)
	}{
		{
			// (a) An incident the service shows only after the poll that
			// moved the cursor past its time starts once, as created.
			name: "late visible incident is created", overlap: 10 * time.Minute,
			run: func(h *seenHarness) {
				a := h.fk.AddIncident(fake.NewIncident{Title: "a", Created: h.now.Add(-5 * time.Minute)})
				if st := h.poll(false); st.Started != 1 {
					t.Fatalf("first poll: %+v", st)
				}
				late := h.fk.AddIncident(fake.NewIncident{Title: "late", Created: h.now.Add(-7 * time.Minute)})
				if !h.cursor().After(h.now.Add(-7 * time.Minute)) {
					t.Fatalf("cursor %s is not past the late incident", h.cursor())
				}
				h.clock = h.now.Add(time.Minute)
				if st := h.poll(false); st.Started != 1 || st.Known != 1 || st.Seen != 2 {
					t.Errorf("second poll: %+v", st)
				}
				for range 2 {
					if st := h.poll(false); st.Started != 0 || st.Known != 2 {
						t.Errorf("later poll: %+v", st)
					}
				}
				if ev := h.runs(late); !equalEvents(ev, "created") {
					t.Errorf("late incident runs: %v", ev)
				}
				if ev := h.runs(a); !equalEvents(ev, "created") {
					t.Errorf("first incident runs: %v", ev)
				}
				if n := h.starter.count(); n != 2 {
					t.Errorf("start calls: %d, want 2", n)
				}
			},
		},
		{
			// Without the overlap the late incident is never listed.
			name: "late visible incident without overlap", overlap: 0,
			run: func(h *seenHarness) {
				h.fk.AddIncident(fake.NewIncident{Title: "a", Created: h.now.Add(-5 * time.Minute)})
				h.poll(false)
				late := h.fk.AddIncident(fake.NewIncident{Title: "late", Created: h.now.Add(-7 * time.Minute)})
				h.clock = h.now.Add(time.Minute)
				h.poll(false)
				if ev := h.runs(late); len(ev) != 0 {
					t.Errorf("late incident runs without overlap: %v", ev)
				}
			},
		},
		{
			// (b) Incidents listed again in the overlap start nothing and
			// are not taken for updates.
			name: "overlap starts nothing twice", overlap: 10 * time.Minute,
			rules: []config.SentinelRule{{Name: "updates", Events: []string{"updated"}, Playbook: "on-update"}, {Name: "new"}},
			run: func(h *seenHarness) {
				var ids []string
				for i := range 3 {
					ids = append(ids, h.fk.AddIncident(fake.NewIncident{Title: "x", Created: h.now.Add(time.Duration(i-8) * time.Minute)}))
				}
				if st := h.poll(false); st.Started != 3 {
					t.Fatalf("first poll: %+v", st)
				}
				for i := range 3 {
					h.clock = h.now.Add(time.Duration(i+1) * time.Minute)
					if st := h.poll(false); st.Started != 0 || st.Duplicates != 0 || st.Known != 3 || st.Unmatched != 0 {
						t.Errorf("poll %d: %+v", i+2, st)
					}
				}
				if n := h.starter.count(); n != 3 {
					t.Errorf("start calls: %d, want 3", n)
				}
				for _, id := range ids {
					if ev := h.runs(id); !equalEvents(ev, "created") {
						t.Errorf("%s: %v", id, ev)
					}
				}
			},
		},
		{
			// (c) A new revision of a seen incident is an update, once; an
			// incident older than the record, changed now, is one too.
			name: "update of a seen incident", overlap: 10 * time.Minute, rules: both,
			run: func(h *seenHarness) {
				a := h.fk.AddIncident(fake.NewIncident{Title: "a", Created: h.now.Add(-3 * time.Minute)})
				old := h.fk.AddIncident(fake.NewIncident{Title: "old", Created: h.now.Add(-48 * time.Hour)})
				h.poll(false)
				h.clock = h.now.Add(2 * time.Minute)
				h.fk.Modify(a, func(p map[string]any) { p["severity"] = "High" })
				h.fk.Modify(old, func(p map[string]any) { p["status"] = "Active" })
				if st := h.poll(false); st.Started != 2 {
					t.Errorf("poll after the changes: %+v", st)
				}
				h.clock = h.now.Add(3 * time.Minute)
				if st := h.poll(false); st.Started != 0 || st.Known != 2 {
					t.Errorf("poll again: %+v", st)
				}
				if ev := h.runs(a); !equalEvents(ev, "created", "updated") {
					t.Errorf("changed incident: %v", ev)
				}
				if ev := h.runs(old); !equalEvents(ev, "updated") {
					t.Errorf("old incident: %v", ev)
				}
			},
		},
		{
			// (d) A new incident whose run could not be started — created
			// long before its last change, and another one late in the
			// overlap — starts as created on the retry.
			name: "failed start is retried as created", overlap: 10 * time.Minute,
			run: func(h *seenHarness) {
				h.clock = h.now.Add(-time.Hour)
				x := h.fk.AddIncident(fake.NewIncident{Title: "x", Created: h.now.Add(-20 * time.Hour)})
				h.fk.Modify(x, func(p map[string]any) { p["status"] = "Active" })
				y := h.fk.AddIncident(fake.NewIncident{Title: "y", Created: h.now.Add(-30 * time.Minute)})
				h.clock = h.now
				h.starter.setFail(strings.ToLower(x))
				if st := h.poll(true); st.Started != 1 {
					t.Fatalf("first poll: %+v", st)
				}
				if !h.cursor().Before(h.now.Add(-time.Hour)) {
					t.Errorf("cursor %s passed the failed incident", h.cursor())
				}
				late := h.fk.AddIncident(fake.NewIncident{Title: "late", Created: h.now.Add(-35 * time.Minute)})
				h.starter.setFail(strings.ToLower(late))
				if st := h.poll(true); st.Started != 1 || st.Known != 1 {
					t.Fatalf("second poll: %+v", st)
				}
				h.starter.setFail()
				h.clock = h.now.Add(time.Minute)
				if st := h.poll(false); st.Started != 1 || st.Known != 1 {
					t.Fatalf("third poll: %+v", st)
				}
				if st := h.poll(false); st.Started != 0 {
					t.Errorf("fourth poll: %+v", st)
				}
				for _, id := range []string{x, y, late} {
					if ev := h.runs(id); !equalEvents(ev, "created") {
						t.Errorf("%s: %v", id, ev)
					}
				}
			},
		},
		{
			// (e) Entries older than the horizon (the cursor less the
			// overlap) are pruned; the incident they were for, changed
			// later, is an update.
			name: "seen record is pruned", overlap: 10 * time.Minute, rules: both,
			run: func(h *seenHarness) {
				a := h.fk.AddIncident(fake.NewIncident{Title: "a", Created: h.now.Add(-3 * time.Hour)})
				h.fk.AddIncident(fake.NewIncident{Title: "b", Created: h.now.Add(-5 * time.Minute)})
				h.poll(false)
				if n := h.seenRows(); n != 1 {
					t.Errorf("seen entries after the first poll: %d, want 1 (a is older than the horizon)", n)
				}
				horizon, ok, err := NewDBSeen(h.st).Horizon(h.ctx, h.src.Name())
				if err != nil || !ok || !horizon.Equal(h.now.Add(-15*time.Minute)) {
					t.Errorf("horizon: %s %v %v", horizon, ok, err)
				}
				h.clock = h.now.Add(30 * time.Minute)
				c := h.fk.AddIncident(fake.NewIncident{Title: "c", Created: h.now.Add(29 * time.Minute)})
				h.poll(false)
				if n := h.seenRows(); n != 1 {
					t.Errorf("seen entries after the second poll: %d, want 1 (c)", n)
				}
				h.clock = h.now.Add(31 * time.Minute)
				h.fk.Modify(a, func(p map[string]any) { p["status"] = "Active" })
				h.poll(false)
				if ev := h.runs(a); !equalEvents(ev, "created", "updated") {
					t.Errorf("pruned incident: %v", ev)
				}
				if ev := h.runs(c); !equalEvents(ev, "created") {
					t.Errorf("c: %v", ev)
				}
			},
		},
		{
			// The Defender source: a late incident is created once, the
			// overlap starts nothing twice.
			name: "defender late visible incident", defender: true, overlap: 10 * time.Minute,
			run: func(h *seenHarness) {
				a := h.fk.AddDefenderIncident(fake.NewDefenderIncident{DisplayName: "a", Created: h.now.Add(-5 * time.Minute)})
				h.poll(false)
				late := h.fk.AddDefenderIncident(fake.NewDefenderIncident{DisplayName: "late", Created: h.now.Add(-7 * time.Minute)})
				h.clock = h.now.Add(time.Minute)
				if st := h.poll(false); st.Started != 1 || st.Known != 1 {
					t.Errorf("second poll: %+v", st)
				}
				if st := h.poll(false); st.Started != 0 || st.Known != 2 {
					t.Errorf("third poll: %+v", st)
				}
				if ev := h.runs(late); !equalEvents(ev, "created") {
					t.Errorf("late: %v", ev)
				}
				if ev := h.runs(a); !equalEvents(ev, "created") {
					t.Errorf("a: %v", ev)
				}
				if n := h.starter.count(); n != 2 {
					t.Errorf("start calls: %d", n)
				}
			},
		},
		{
			// More changes inside the overlap than a poll reads: the poll
			// lists again from the cursor, so the cursor still advances.
			name: "defender overlap over the page cap", defender: true, overlap: 10 * time.Minute,
			run: func(h *seenHarness) {
				for i := range 5 {
					h.fk.AddDefenderIncident(fake.NewDefenderIncident{DisplayName: "x", Created: h.now.Add(time.Duration(i-9) * time.Minute)})
				}
				for range 30 {
					h.poll(false)
				}
				h.clock = h.now.Add(3 * time.Minute)
				var ids []string
				for i := range 2 {
					ids = append(ids, h.fk.AddDefenderIncident(fake.NewDefenderIncident{DisplayName: "y", Created: h.now.Add(time.Duration(i+1) * time.Minute)}))
				}
				for range 30 {
					h.poll(false)
				}
				if len(h.starter.started()) != 7 || h.starter.count() != 7 {
					t.Errorf("runs %d, start calls %d, want 7", len(h.starter.started()), h.starter.count())
				}
				want, _ := time.Parse(time.RFC3339Nano, h.fk.DefenderIncident(ids[1])["lastUpdateDateTime"].(string))
				if !h.cursor().Equal(want) {
					t.Errorf("cursor %s, want %s", h.cursor(), want)
				}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fk := fake.New(t)
			now := time.Now().UTC().Truncate(time.Second)
			h := &seenHarness{t: t, ctx: context.Background(), fk: fk, now: now, clock: now, starter: &countingStarter{},
				rules: tc.rules, overlap: tc.overlap}
			fk.SetClock(func() time.Time { return h.clock })
			h.st = openTestStore(t, dsn(t))
			defer h.st.Close()
			if tc.defender {
				c, err := NewDefenderClient(defenderTenant(fk), Options{HTTP: fk.Client(), MaxPages: 1})
				if err != nil {
					t.Fatal(err)
				}
				h.src = DefenderSource{C: c}
			} else {
				h.src = SentinelSource{C: newTestClient(t, fk, nil)}
			}
			tc.run(h)
		})
	}
}

// A source polled before the seen record existed classifies by its cursor
// for one poll and lists from the cursor; later polls use the overlap.
func TestPollerSeenUpgrade(t *testing.T) {
	ctx := context.Background()
	fk := fake.New(t)
	now := time.Now().UTC().Truncate(time.Second)
	clock := now
	fk.SetClock(func() time.Time { return clock })
	st := openTestStore(t, filepath.Join(t.TempDir(), "s.db"))
	defer st.Close()
	before := fk.AddIncident(fake.NewIncident{Title: "handled before", Created: now.Add(-4 * time.Minute)})
	cur := fk.AddIncident(fake.NewIncident{Title: "on the cursor", Created: now.Add(-2 * time.Minute)})
	cursors := NewDBCursors(st)
	if err := cursors.Set(ctx, "prod", now.Add(-2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	fresh := fk.AddIncident(fake.NewIncident{Title: "new", Created: now.Add(-time.Minute)})
	starter := &countingStarter{}
	p, err := NewPoller(PollerOptions{Sources: []Source{SentinelSource{C: newTestClient(t, fk, nil)}}, Starter: starter,
		Cursors: cursors, Seen: NewDBSeen(st), Overlap: 10 * time.Minute, Now: func() time.Time { return clock },
		Rules: []config.SentinelRule{{Name: "all", Events: []string{"created", "updated"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if st, err := p.PollOnce(ctx); err != nil || st.Seen != 2 {
		t.Fatalf("first poll: %+v %v (lists from the cursor)", st, err)
	}
	clock = now.Add(time.Minute)
	if st, err := p.PollOnce(ctx); err != nil || st.Started != 0 {
		t.Fatalf("second poll: %+v %v", st, err)
	}
	events := map[string][]string{}
	for _, r := range starter.started() {
		for _, id := range []string{before, cur, fresh} {
			if strings.Contains(r.Key, strings.ToLower(id)) {
				events[id] = append(events[id], r.Event)
			}
		}
	}
	if len(events[before]) != 0 || !equalEvents(events[cur], "updated") || !equalEvents(events[fresh], "created") {
		t.Errorf("events: %v", events)
	}
}

func TestDBSeen(t *testing.T) {
	for _, tc := range []struct {
		name string
		dsn  func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "s.db") }},
		{"postgres", func(t *testing.T) string { return storetest.PostgresURL(t) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			st := openTestStore(t, tc.dsn(t))
			defer st.Close()
			s := NewDBSeen(st)
			t0 := time.Date(2025, 3, 1, 12, 0, 0, 100, time.UTC)
			if _, ok, err := s.Horizon(ctx, "prod"); ok || err != nil {
				t.Fatal(ok, err)
			}
			if err := s.Mark(ctx, "prod", "ABC", "rev-2", t0.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
			// An older revision does not replace a newer one.
			if err := s.Mark(ctx, "prod", "abc", "rev-1", t0); err != nil {
				t.Fatal(err)
			}
			if at, ok, err := s.Last(ctx, "prod", "abc"); !ok || err != nil || !at.Equal(t0.Add(time.Minute)) {
				t.Errorf("last: %s %v %v", at, ok, err)
			}
			if _, ok, _ := s.Last(ctx, "emea", "abc"); ok {
				t.Error("sources are separate")
			}
			_ = s.Mark(ctx, "prod", "old", "rev-0", t0)
			_ = s.Mark(ctx, "emea", "old", "rev-0", t0)
			if err := s.Advance(ctx, "prod", t0.Add(time.Second)); err != nil {
				t.Fatal(err)
			}
			if _, ok, _ := s.Last(ctx, "prod", "old"); ok {
				t.Error("entry older than the horizon kept")
			}
			if _, ok, _ := s.Last(ctx, "prod", "abc"); !ok {
				t.Error("entry newer than the horizon pruned")
			}
			if _, ok, _ := s.Last(ctx, "emea", "old"); !ok {
				t.Error("another source's entry pruned")
			}
			if at, ok, err := s.Horizon(ctx, "prod"); !ok || err != nil || !at.Equal(t0.Add(time.Second)) {
				t.Errorf("horizon: %s %v %v", at, ok, err)
			}
		})
	}
}
