package sentinel

import (
	"bytes"
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spotter-soc/spotter/internal/config"
	"github.com/spotter-soc/spotter/internal/gateway"
	"github.com/spotter-soc/spotter/internal/incident"
	"github.com/spotter-soc/spotter/internal/playbook"
	"github.com/spotter-soc/spotter/internal/plugins/abuseipdb"
	abusefake "github.com/spotter-soc/spotter/internal/plugins/abuseipdb/fake"
	"github.com/spotter-soc/spotter/internal/runs"
	api "github.com/spotter-soc/spotter/internal/sentinel"
	"github.com/spotter-soc/spotter/internal/sentinel/fake"
	"github.com/spotter-soc/spotter/internal/skill"
	"github.com/spotter-soc/spotter/internal/skill/skilltest"
	"github.com/spotter-soc/spotter/internal/store"
)

const abuseKey = "abuseipdb-e2e-key-5b8d2f7a"

// gwInvoker adapts the gateway to the playbook interpreter.
type gwInvoker struct{ gw *gateway.Gateway }

func (i gwInvoker) Invoke(ctx context.Context, name string, raw map[string]any) (*skill.Result, error) {
	return i.gw.Invoke(ctx, name, raw, gateway.InvokeOptions{})
}

// inProcessStarter stands in for the durable starter: it keeps one run per
// key and runs the built-in playbook in process, synchronously.
type inProcessStarter struct {
	t      *testing.T
	in     *playbook.Interpreter
	mu     sync.Mutex
	byKey  map[string]string
	runs   []string
	result map[string]*playbook.Result
	reqs   map[string]runs.StartRequest
}

func (s *inProcessStarter) Start(ctx context.Context, req runs.StartRequest) (string, bool, error) {
	s.mu.Lock()
	if id, ok := s.byKey[req.Key]; ok {
		s.mu.Unlock()
		return id, true, nil
	}
	id := "run-" + string(rune('a'+len(s.runs)))
	s.byKey[req.Key] = id
	s.runs = append(s.runs, id)
	s.reqs[id] = req
	s.mu.Unlock()
	return id, false, s.execute(ctx, id)
}

// execute runs (or, after a crash, re-runs) the run id.
func (s *inProcessStarter) execute(ctx context.Context, id string) error {
	req := s.reqs[id]
	inc, err := incident.Parse(req.Incident)
	if err != nil {
		return err
	}
	pb, err := playbook.Builtin(req.Playbook)
	if err != nil {
		return err
	}
	res, err := s.in.Run(ctx, pb, playbook.Request{Trigger: req.Trigger, Incident: inc, Inputs: req.Inputs, RunID: id})
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.result[id] = res
	s.mu.Unlock()
	return nil
}

// TestEndToEnd: the fake Sentinel has a new incident, the poller picks it
// up, the built-in playbook asks the fake AbuseIPDB about its address and
// exactly one report comment appears on the incident, with the expected
// sections. Polling again, and re-running the run as after a crash, adds
// nothing.
func TestEndToEnd(t *testing.T) {
	ctx := context.Background()
	fk := fake.New(t)
	now := time.Now().UTC()
	id := fk.AddIncident(fake.NewIncident{
		Title: "Sign-ins from a Tor exit node", Severity: "High", Created: now.Add(-5 * time.Minute),
		Description: "alice@contoso.com signed in from 185.220.101.47.",
		Entities: []map[string]any{
			{"kind": "Ip", "properties": map[string]any{"address": "185.220.101.47", "friendlyName": "185.220.101.47"}},
			{"kind": "Account", "properties": map[string]any{"accountName": "alice", "upnSuffix": "contoso.com", "friendlyName": "alice"}},
		},
		Alerts: []map[string]any{{"alertDisplayName": "Sign-in from Tor", "severity": "High", "status": "New", "productName": "Azure Sentinel",
			"tactics": []any{"InitialAccess"}, "friendlyName": "Sign-in from Tor"}},
	})
	abuse := httptest.NewServer(abusefake.New(abuseKey, abusefake.Sample(now)))
	defer abuse.Close()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "spotter.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	writes := api.NewDBWrites(st)
	var logs bytes.Buffer
	gw := newGateway(t, fk, &logs, []skill.Plugin{abuseipdb.New()},
		map[string]map[string]any{"abuseipdb": {"api_key": abuseKey, "base_url": abuse.URL}},
		func(context.Context) (api.Writes, error) { return writes, nil })

	starter := &inProcessStarter{t: t, byKey: map[string]string{}, result: map[string]*playbook.Result{}, reqs: map[string]runs.StartRequest{},
		in: &playbook.Interpreter{Invoker: gwInvoker{gw}, Skills: gw.Configured(), Options: incident.DefaultOptions()}}
	client, err := api.NewClient(sentinelConfig(fk).Workspaces[0], api.Options{HTTP: gw.Client(api.Provider, api.ARMLimits)})
	if err != nil {
		t.Fatal(err)
	}
	poller, err := api.NewPoller(api.PollerOptions{
		Sources: []api.Source{api.SentinelSource{C: client}}, Starter: starter, Cursors: api.NewDBCursors(st), Writes: writes,
		Inputs: map[string]any{"post_to_incident": true, "post_summary": true, "add_labels": true, "set_active": true},
		// Updates run too: Spotter's own label and status changes must not.
		Rules: []config.SentinelRule{{Name: "all", Events: []string{"created", "updated"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	stats, err := poller.PollOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Started != 1 {
		t.Fatalf("poll: %+v", stats)
	}
	res := starter.result["run-a"]
	if res == nil || res.Status != playbook.StatusSucceeded {
		t.Fatalf("run: %+v", res)
	}
	comments := fk.Comments(id)
	if len(comments) != 2 {
		t.Fatalf("comments: %d, want the report and the summary", len(comments))
	}
	report := comments[0].Message
	// The comment is the HTML fragment the portal renders; the run's own
	// report stays Markdown.
	if !strings.HasPrefix(report, "<h1>Sign-ins from a Tor exit node</h1>") || strings.Contains(report, "<style>") ||
		!strings.HasPrefix(res.Rendered, "# Sign-ins from a Tor exit node") {
		t.Errorf("comment:\n%.300s\nrun report:\n%.100s", report, res.Rendered)
	}
	for _, want := range []string{"185.220.101.47", "AbuseIPDB", "alice"} {
		if !strings.Contains(report, want) || !strings.Contains(res.Rendered, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	for _, heading := range []string{"Overview", "IP addresses", "Accounts", "Verdict and recommended next steps"} {
		if !strings.Contains(strings.ToLower(report), strings.ToLower("<h2>"+heading+"</h2>")) {
			t.Errorf("report lacks section %q:\n%.600s", heading, report)
		}
	}
	if !strings.Contains(comments[1].Message, "<b>Spotter summary</b>: verdict <b>malicious</b>") {
		t.Errorf("summary: %q", comments[1].Message)
	}
	labels := fk.Incident(id)["properties"].(map[string]any)["labels"].([]any)
	if len(labels) != 2 {
		t.Errorf("labels: %v", labels)
	}

	// Spotter's own status and label writes changed the incident: updates,
	// which the rule takes, but they are Spotter's, so nothing starts.
	if stats, err := poller.PollOnce(ctx); err != nil || stats.Started != 0 || stats.Own != 1 {
		t.Errorf("second poll: %+v %v", stats, err)
	}
	// An analyst's change is an update that runs.
	fk.Modify(id, func(p map[string]any) { p["description"] = "analyst notes" })
	if stats, err := poller.PollOnce(ctx); err != nil || stats.Started != 1 {
		t.Errorf("poll after an analyst's change: %+v %v", stats, err)
	}
	// The worker crashed after posting and the run is executed again.
	if err := starter.execute(ctx, "run-a"); err != nil {
		t.Fatal(err)
	}
	if n := len(fk.Comments(id)); n != 4 {
		t.Errorf("comments after the re-run: %d, want 4 (two per run, the first run's rewritten)", n)
	}
	if len(starter.runs) != 2 {
		t.Errorf("runs: %v", starter.runs)
	}
	skilltest.NoLeak(t, append(fk.Secrets(), abuseKey), logs.String(), report, comments[1].Message, res.Steps)
}
