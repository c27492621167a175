package sentinel

import (
	"bytes"
	"context"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/spotter-soc/spotter/internal/incident"
	"github.com/spotter-soc/spotter/internal/plugins/abuseipdb"
	abusefake "github.com/spotter-soc/spotter/internal/plugins/abuseipdb/fake"
	"github.com/spotter-soc/spotter/internal/runs"
	api "github.com/spotter-soc/spotter/internal/sentinel"
	"github.com/spotter-soc/spotter/internal/sentinel/fake"
	"github.com/spotter-soc/spotter/internal/skill"
	"github.com/spotter-soc/spotter/internal/store"
)

// TestEndToEndDurable is TestEndToEnd on the durable run engine: the
// poller hands the incident to runs.Engine, which runs the built-in
// playbook; one report comment appears, and a second poll and a second
// engine on the same database add nothing.
func TestEndToEndDurable(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the run engine")
	}
	ctx := context.Background()
	fk := fake.New(t)
	now := time.Now().UTC()
	id := fk.AddIncident(fake.NewIncident{Title: "Sign-ins from a Tor exit node", Severity: "High", Created: now.Add(-5 * time.Minute),
		Entities: []map[string]any{{"kind": "Ip", "properties": map[string]any{"address": "185.220.101.47"}}}})
	abuse := httptest.NewServer(abusefake.New(abuseKey, abusefake.Sample(now)))
	defer abuse.Close()
	var logs bytes.Buffer
	gw := newGateway(t, fk, &logs, []skill.Plugin{abuseipdb.New()},
		map[string]map[string]any{"abuseipdb": {"api_key": abuseKey, "base_url": abuse.URL}})
	dir := t.TempDir()
	st, err := store.Open(ctx, filepath.Join(dir, "spotter.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	eng, err := runs.New(ctx, runs.Options{Store: st, DataDir: dir, PollInterval: 50 * time.Millisecond,
		Env: runs.Env{Invoker: gwInvoker{gw}, Skills: gw.Configured(), Options: incident.DefaultOptions()}})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close(5 * time.Second)
	client, err := api.NewClient(sentinelConfig(fk).Workspaces[0], api.Options{HTTP: gw.Client(api.Provider, api.ARMLimits)})
	if err != nil {
		t.Fatal(err)
	}
	var started []string
	starter := startFunc(func(ctx context.Context, req runs.StartRequest) (string, bool, error) {
		rid, existed, err := eng.Start(ctx, req)
		if err == nil && !existed {
			started = append(started, rid)
		}
		return rid, existed, err
	})
	poller, err := api.NewPoller(api.PollerOptions{Sources: []api.Source{api.SentinelSource{C: client}}, Starter: starter,
		Cursors: api.NewDBCursors(st), Inputs: map[string]any{"post_to_incident": true}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := poller.PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if len(started) != 1 {
		t.Fatalf("runs started: %d", len(started))
	}
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	run, err := eng.Wait(wctx, started[0])
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != "succeeded" {
		t.Fatalf("run: %+v", run)
	}
	if n := len(fk.Comments(id)); n != 1 {
		t.Fatalf("comments: %d, want 1", n)
	}
	// The same revision polled again (a fresh cursor, as after losing it):
	// the engine answers with the existing run.
	poller2, _ := api.NewPoller(api.PollerOptions{Sources: []api.Source{api.SentinelSource{C: client}}, Starter: starter,
		Cursors: api.NewDBCursors(st), Lookback: time.Hour})
	_, _ = st.DB().ExecContext(ctx, `DELETE FROM sentinel_cursors`)
	stats, err := poller2.PollOnce(ctx)
	if err != nil || stats.Duplicates != 1 || len(started) != 1 {
		t.Errorf("repeat: %+v %v", stats, err)
	}
	if n := len(fk.Comments(id)); n != 1 || fk.CommentPuts(id) != 1 {
		t.Errorf("comments %d, PUTs %d", n, fk.CommentPuts(id))
	}
}

type startFunc func(ctx context.Context, req runs.StartRequest) (string, bool, error)

func (f startFunc) Start(ctx context.Context, req runs.StartRequest) (string, bool, error) {
	return f(ctx, req)
}
