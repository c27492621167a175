package sentinel

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spotter-soc/spotter/internal/config"
	"github.com/spotter-soc/spotter/internal/incident"
	"github.com/spotter-soc/spotter/internal/runs"
	"github.com/spotter-soc/spotter/internal/sentinel/fake"
	"github.com/spotter-soc/spotter/internal/store"
	"github.com/spotter-soc/spotter/internal/store/storetest"
)

func openTestStore(t *testing.T, dsn string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestPollerSQLite(t *testing.T) {
	dsn := filepath.Join(t.TempDir(), "spotter.db")
	testPoller(t, func() *store.Store { return openTestStore(t, dsn) })
}

func TestPollerPostgres(t *testing.T) {
	dsn := storetest.PostgresURL(t)
	testPoller(t, func() *store.Store { return openTestStore(t, dsn) })
}

// testPoller polls a fake workspace through several pages, restarts the
// poller on a reopened database, and checks that only new revisions of
// incidents start runs, each once.
func testPoller(t *testing.T, open func() *store.Store) {
	ctx := context.Background()
	fk := fake.New(t)
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := now
	fk.SetClock(func() time.Time { return clock })
	// Older than the lookback: never picked up.
	fk.AddIncident(fake.NewIncident{Title: "Old", Severity: "High", Created: now.Add(-48 * time.Hour)})
	var ids []string
	for i, sev := range []string{"High", "Low", "High", "Medium", "High"} {
		ids = append(ids, fk.AddIncident(fake.NewIncident{Title: "Suspicious sign-in " + string(rune('A'+i)), Severity: sev,
			Created:  now.Add(-time.Duration(50-i) * time.Minute),
			Entities: []map[string]any{{"kind": "Ip", "properties": map[string]any{"address": "203.0.113.7"}}}}))
	}
	fk.AddIncident(fake.NewIncident{Title: "Mail bomb", Severity: "High", Products: []string{"Microsoft Defender for Office 365"}, Created: now.Add(-10 * time.Minute)})
	rules := []config.SentinelRule{
		{Name: "mail", Product: "office 365", Playbook: "phishing"},
		{Name: "high", Severities: []string{"High", "Medium"}, Title: "sign-in", Inputs: map[string]any{"post_to_incident": true}},
	}
	starter := &recordingStarter{}
	newPoller := func(st *store.Store) *Poller {
		p, err := NewPoller(PollerOptions{Sources: []Source{SentinelSource{C: newTestClient(t, fk, nil)}}, Rules: rules,
			Starter: starter, Cursors: NewDBCursors(st), Lookback: 24 * time.Hour, Now: func() time.Time { return clock }})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	st := open()
	p := newPoller(st)
	stats, err := p.PollOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Seen != 6 || stats.Started != 5 || stats.Unmatched != 1 {
		t.Fatalf("first poll: %+v", stats)
	}
	if n := fk.Count(http.MethodGet, "/incidents"); n != 3 {
		t.Errorf("list pages: %d, want 3 (6 incidents, pages of 2)", n)
	}
	reqs := starter.started()
	if reqs[4].Playbook != "phishing" || reqs[0].Playbook != DefaultPlaybook || reqs[0].Inputs["post_to_incident"] != true ||
		reqs[0].Event != "created" || reqs[0].Origin != "sentinel-poll:prod" {
		t.Errorf("requests: %+v", reqs)
	}
	inc, err := incident.Parse(reqs[0].Incident)
	if err != nil || len(inc.Entities) != 1 || inc.Title != "Suspicious sign-in A" {
		t.Errorf("run incident: %+v %v", inc, err)
	}
	// The poller stops; the process restarts with the same database.
	_ = st.Close()
	st = open()
	defer st.Close()
	p = newPoller(st)
	clock = now.Add(5 * time.Minute)
	fk.Modify(ids[0], func(p map[string]any) { p["status"] = "Active" }) // an update: not a rule event
	fresh := fk.AddIncident(fake.NewIncident{Title: "Suspicious sign-in F", Severity: "High", Created: clock})
	stats, err = p.PollOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Listed: the incident on the cursor (seen, now an update), the status
	// change of ids[0] (an update) and the new incident.
	if stats.Started != 1 || stats.Unmatched != 2 || stats.Seen != 3 {
		t.Errorf("after restart: %+v (only the changes since the cursor are listed)", stats)
	}
	if last := starter.started()[len(starter.started())-1]; !strings.Contains(last.Key, strings.ToLower(fresh)) {
		t.Errorf("last run: %s", last.Key)
	}
	// Rules that take updates start one run per revision, never two.
	rules[1].Events = []string{"created", "updated"}
	p = newPoller(st)
	clock = now.Add(10 * time.Minute)
	fk.Modify(ids[2], func(p map[string]any) { p["severity"] = "High" })
	for range 2 {
		if _, err := p.PollOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// Two revisions: the one of ids[2] and the status change of ids[0],
	// which sits on the cursor and was skipped while updates were not wanted.
	if n := len(starter.started()); n != 8 {
		t.Fatalf("runs after an update polled twice: %d, want 8", n)
	}
	for _, r := range starter.started()[6:] {
		if r.Event != "updated" {
			t.Errorf("event: %s", r.Event)
		}
	}
}

func TestPollerDoesNotSkipFailedStarts(t *testing.T) {
	ctx := context.Background()
	fk := fake.New(t)
	now := time.Now().UTC()
	for i := range 3 {
		fk.AddIncident(fake.NewIncident{Title: "x", Created: now.Add(time.Duration(i-10) * time.Minute)})
	}
	st := openTestStore(t, filepath.Join(t.TempDir(), "s.db"))
	defer st.Close()
	starter := &recordingStarter{fail: errors.New("queue full")}
	p, _ := NewPoller(PollerOptions{Sources: []Source{SentinelSource{C: newTestClient(t, fk, nil)}}, Starter: starter, Cursors: NewDBCursors(st)})
	if _, err := p.PollOnce(ctx); err == nil || !strings.Contains(err.Error(), "queue full") {
		t.Fatalf("poll: %v", err)
	}
	starter.fail = nil
	stats, err := p.PollOnce(ctx)
	if err != nil || stats.Started != 3 {
		t.Errorf("after recovery: %+v %v", stats, err)
	}
	// Throttling of the list is an error of this poll, not a lost cursor.
	fk.Throttle(http.MethodGet, "/incidents", 1, "2")
	if _, err := p.PollOnce(ctx); err == nil || !strings.Contains(err.Error(), "throttled") {
		t.Errorf("throttled poll: %v", err)
	}
	if stats, _ := p.PollOnce(ctx); stats.Seen != 1 || stats.Started != 0 {
		t.Errorf("poll after throttling: %+v", stats)
	}
}

// failingStarter fails the runs whose key contains one of fail, then
// starts like recordingStarter.
type failingStarter struct {
	recordingStarter
	fail []string
}

func (s *failingStarter) Start(ctx context.Context, req runs.StartRequest) (string, bool, error) {
	for _, f := range s.fail {
		if strings.Contains(req.Key, f) {
			return "", false, errors.New("queue full")
		}
	}
	return s.recordingStarter.Start(ctx, req)
}

// A new incident whose run could not be started, between two that
// started, is retried as a created incident: rules on created incidents
// (the default) still take it.
func TestPollerRetriesFailedCreatedIncident(t *testing.T) {
	ctx := context.Background()
	fk := fake.New(t)
	now := time.Now().UTC()
	var ids []string
	for i := range 3 {
		ids = append(ids, fk.AddIncident(fake.NewIncident{Title: "x", Created: now.Add(time.Duration(i-10) * time.Minute)}))
	}
	st := openTestStore(t, filepath.Join(t.TempDir(), "s.db"))
	defer st.Close()
	starter := &failingStarter{fail: []string{strings.ToLower(ids[1])}}
	p, _ := NewPoller(PollerOptions{Sources: []Source{SentinelSource{C: newTestClient(t, fk, nil)}}, Starter: starter, Cursors: NewDBCursors(st)})
	if stats, err := p.PollOnce(ctx); err == nil || stats.Started != 2 {
		t.Fatalf("first poll: %+v %v", stats, err)
	}
	starter.fail = nil
	stats, err := p.PollOnce(ctx)
	if err != nil || stats.Started != 1 {
		t.Fatalf("after recovery: %+v %v (the failed incident must start as created)", stats, err)
	}
	if last := starter.started()[2]; last.Event != "created" || !strings.Contains(last.Key, strings.ToLower(ids[1])) {
		t.Errorf("retried run: %s %s", last.Event, last.Key)
	}
	if stats, err := p.PollOnce(ctx); err != nil || stats.Started != 0 {
		t.Errorf("third poll: %+v %v", stats, err)
	}
}

func TestRunInputs(t *testing.T) {
	declares := func(pb, in string) bool { return pb == "enrich" && in != "comment_format" }
	got := RunInputs("enrich", declares, map[string]any{"post_to_incident": true, "ips": true}, map[string]any{"comment_format": "md", "ips": false})
	if len(got) != 2 || got["ips"] != false || got["post_to_incident"] != true {
		t.Errorf("%v", got)
	}
	if got := RunInputs("other", declares, map[string]any{"ips": true}); len(got) != 0 {
		t.Errorf("undeclared defaults passed: %v", got)
	}
	if got := RunInputs("any", nil, map[string]any{"x": 1}); got["x"] != 1 {
		t.Errorf("no filter: %v", got)
	}
}

func TestPollerSeveralWorkspaces(t *testing.T) {
	ctx := context.Background()
	fk := fake.New(t)
	fk.AddWorkspace(fake.SubscriptionID, "rg-emea", "law-emea")
	now := time.Now().UTC()
	fk.AddIncident(fake.NewIncident{Title: "prod incident", Created: now.Add(-time.Hour)})
	fk.AddIncidentTo(fake.SubscriptionID, "rg-emea", "law-emea", fake.NewIncident{Title: "emea incident", Created: now.Add(-2 * time.Hour)})
	prod := newTestClient(t, fk, nil)
	ws := testWorkspace(fk)
	ws.Name, ws.ResourceGroup, ws.WorkspaceName = "emea", "rg-emea", "law-emea"
	emea, err := NewClient(ws, Options{HTTP: fk.Client()})
	if err != nil {
		t.Fatal(err)
	}
	st := openTestStore(t, filepath.Join(t.TempDir(), "s.db"))
	defer st.Close()
	cur := NewDBCursors(st)
	starter := &recordingStarter{}
	p, _ := NewPoller(PollerOptions{Sources: []Source{SentinelSource{C: prod}, SentinelSource{C: emea}}, Starter: starter, Cursors: cur,
		Rules: []config.SentinelRule{{Name: "emea only", Workspaces: []string{"emea"}}}})
	stats, err := p.PollOnce(ctx)
	if err != nil || stats.Started != 1 || stats.Unmatched != 1 {
		t.Fatalf("%+v %v", stats, err)
	}
	if r := starter.started()[0]; r.Origin != "sentinel-poll:emea" || !strings.Contains(r.Key, "/rg-emea/law-emea/") {
		t.Errorf("%+v", r)
	}
	a, _, _ := cur.Get(ctx, "prod")
	b, _, _ := cur.Get(ctx, "emea")
	if !b.Before(a) || a.IsZero() {
		t.Errorf("cursors: prod %s emea %s", a, b)
	}
}

func TestDBWrites(t *testing.T) {
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
			w := NewDBWrites(st)
			for range 2 { // recording twice is fine
				if err := w.Record(ctx, "sentinel/s/r/w/i/2025-01-01T00:00:00Z"); err != nil {
					t.Fatal(err)
				}
			}
			if ok, err := w.Written(ctx, "sentinel/s/r/w/i/2025-01-01T00:00:00Z"); !ok || err != nil {
				t.Error(ok, err)
			}
			if ok, err := w.Written(ctx, "sentinel/s/r/w/i/2025-01-01T00:00:01Z"); ok || err != nil {
				t.Error(ok, err)
			}
		})
	}
}
