package sentinel

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/spotter-soc/spotter/internal/config"
	"github.com/spotter-soc/spotter/internal/gateway"
	api "github.com/spotter-soc/spotter/internal/sentinel"
	"github.com/spotter-soc/spotter/internal/sentinel/fake"
	"github.com/spotter-soc/spotter/internal/skill"
	"github.com/spotter-soc/spotter/internal/skill/skilltest"
)

// trustFake makes the gateway's transport (a clone of
// http.DefaultTransport taken by gateway.New) trust the fake's TLS
// certificate, for the duration of the test. Tests using it do not run in
// parallel.
func trustFake(t *testing.T, fk *fake.Server) {
	t.Helper()
	dt := http.DefaultTransport.(*http.Transport)
	old := dt.TLSClientConfig
	pool := x509.NewCertPool()
	pool.AddCert(fk.Certificate())
	dt.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	t.Cleanup(func() { dt.TLSClientConfig = old })
}

func sentinelConfig(fk *fake.Server, names ...string) config.Sentinel {
	var cfg config.Sentinel
	if len(names) == 0 {
		names = []string{"prod"}
	}
	for _, n := range names {
		cfg.Workspaces = append(cfg.Workspaces, config.SentinelWorkspace{
			Name: n, SubscriptionID: fake.SubscriptionID, ResourceGroup: fake.ResourceGroup, WorkspaceName: fake.WorkspaceName,
			ARMURL: fk.URL(), APIVersion: "2024-09-01",
			Credential: config.AzureCredential{TenantID: fake.TenantID, ClientID: fake.ClientID, ClientSecret: fake.ClientSecret,
				AuthorityHost: fk.AuthorityHost()},
		})
	}
	return cfg
}

// newGateway builds a gateway over the sentinel plugin (and extra plugins)
// with fast retries, its debug log in logs.
func newGateway(t *testing.T, fk *fake.Server, logs *bytes.Buffer, extra []skill.Plugin, settings map[string]map[string]any, writes ...api.WritesOpener) *gateway.Gateway {
	t.Helper()
	trustFake(t, fk)
	reg := skill.NewRegistry()
	var w api.WritesOpener
	if len(writes) > 0 {
		w = writes[0]
	}
	reg.MustRegister(New(sentinelConfig(fk), w))
	for _, p := range extra {
		reg.MustRegister(p)
	}
	cfg := gateway.DefaultConfig()
	cfg.BackoffBase, cfg.BackoffMax, cfg.QueueWait = 10*time.Millisecond, 50*time.Millisecond, 10*time.Second
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	gw := gateway.New(reg, settings, cfg, gateway.NewMemoryCache(), log)
	if err := gw.ConfigErr(); err != nil {
		t.Fatal(err)
	}
	return gw
}

func TestSkillsThroughTheGateway(t *testing.T) {
	fk := fake.New(t)
	id := fk.AddIncident(fake.NewIncident{Title: "Suspicious sign-in", Severity: "Low", Labels: []string{"phishing"},
		Entities: []map[string]any{{"kind": "Ip", "properties": map[string]any{"address": "203.0.113.7"}}}})
	var logs bytes.Buffer
	gw := newGateway(t, fk, &logs, nil, nil)
	ctx := context.Background()
	rid := fk.Incident(id)["id"].(string)

	res, err := gw.Invoke(ctx, "sentinel.GetIncident", map[string]any{"incident": rid}, gateway.InvokeOptions{})
	if err != nil || !strings.Contains(res.Summary, "Suspicious sign-in") {
		t.Fatalf("GetIncident: %v %v", res, err)
	}
	res, err = gw.Invoke(ctx, "sentinel.ListIncidentEntities", map[string]any{"incident": id, "workspace": "prod"}, gateway.InvokeOptions{})
	if err != nil || !strings.Contains(res.Summary, "1 entities (1 Ip)") {
		t.Fatalf("ListIncidentEntities: %v %v", res, err)
	}
	res, err = gw.Invoke(ctx, "sentinel.ListIncidents", map[string]any{"severity": "Low"}, gateway.InvokeOptions{})
	if err != nil || !strings.Contains(res.Summary, "1 incident(s)") {
		t.Fatalf("ListIncidents: %v %v", res, err)
	}

	// ARM throttles the comment PUT twice; the gateway waits Retry-After and retries.
	fk.Throttle(http.MethodPut, "/comments/", 2, "1")
	start := time.Now()
	post := map[string]any{"incident": rid, "key": "run-42", "report": "## Report\n\nVerdict: malicious", "summary": true,
		"verdict": map[string]any{"level": "malicious", "score": 90.0, "summary": "Tor exit node", "recommendations": []any{"Reset the password"}}}
	if _, err := gw.Invoke(ctx, "sentinel.PostReport", post, gateway.InvokeOptions{}); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < 1500*time.Millisecond {
		t.Errorf("Retry-After not honoured: %s", waited)
	}
	// The same run again (a crash after posting): the same comments, rewritten.
	if _, err := gw.Invoke(ctx, "sentinel.PostReport", post, gateway.InvokeOptions{}); err != nil {
		t.Fatal(err)
	}
	comments := fk.Comments(id)
	if len(comments) != 2 || !strings.Contains(comments[1].Message, "verdict **malicious** (score 90/100)") ||
		!strings.Contains(comments[1].Message, "- Reset the password") {
		t.Fatalf("comments: %+v", comments)
	}
	if puts := fk.CommentPuts(id); puts != 4 {
		t.Errorf("comment PUTs that reached the store: %d, want 4 (2 comments, twice)", puts)
	}

	// Triage write-back, with a conflicting writer in between.
	fk.ConflictNext(id, 1)
	res, err = gw.Invoke(ctx, "sentinel.UpdateIncident", map[string]any{"incident": rid, "verdict": "malicious", "triaged": true,
		"severity_from_verdict": true, "status": "Active", "key": "run-42"}, gateway.InvokeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	props := fk.Incident(id)["properties"].(map[string]any)
	if props["severity"] != "High" || props["status"] != "Active" || len(props["labels"].([]any)) != 3 {
		t.Errorf("after triage: %v %v %v", props["severity"], props["status"], props["labels"])
	}
	if last := fk.Comments(id)[2].Message; !strings.Contains(last, "from Low to High") || !strings.Contains(last, "verdict is malicious") {
		t.Errorf("severity comment: %q", last)
	}
	// Nothing left to change: no write.
	puts := fk.Count(http.MethodPut, "/incidents/"+id)
	res, err = gw.Invoke(ctx, "sentinel.UpdateIncident", map[string]any{"incident": rid, "triaged": true, "verdict": "malicious"}, gateway.InvokeOptions{})
	if err != nil || !strings.Contains(res.Summary, "unchanged") || fk.Count(http.MethodPut, "/incidents/"+id) != puts {
		t.Errorf("idempotent triage: %v %v", res, err)
	}
	// Writes are never cached.
	for _, s := range gw.Configured() {
		if s.CacheTTL >= 0 {
			t.Errorf("%s: CacheTTL %s; expected never cached", s.ID, s.CacheTTL)
		}
	}
	skilltest.NoLeak(t, fk.Secrets(), res, logs.String())
}

func TestInputErrors(t *testing.T) {
	fk := fake.New(t)
	var logs bytes.Buffer
	trustFake(t, fk)
	reg := skill.NewRegistry()
	reg.MustRegister(New(sentinelConfig(fk, "prod", "test"), nil))
	gw := gateway.New(reg, nil, gateway.DefaultConfig(), nil, slog.New(slog.NewTextHandler(&logs, nil)))
	ctx := context.Background()
	for _, tc := range []struct {
		skill string
		in    map[string]any
		want  string
	}{
		{"sentinel.GetIncident", map[string]any{"incident": "63883bf7-0000-4000-8000-000000000009"}, "input workspace: required when several"},
		{"sentinel.GetIncident", map[string]any{"incident": "x", "workspace": "nope"}, `"nope": no such workspace; expected one of prod, test`},
		{"sentinel.GetIncident", map[string]any{"incident": "/subscriptions/s/resourceGroups/r/providers/Microsoft.OperationalInsights/workspaces/other/providers/Microsoft.SecurityInsights/incidents/abc"},
			"workspace other (resource group r) is not configured"},
		{"sentinel.GetIncident", map[string]any{"incident": "/subscriptions/s/incidents/abc"}, "expected /subscriptions/{id}/resourceGroups"},
		{"sentinel.PostReport", map[string]any{"incident": "x", "workspace": "prod"}, "key"},
	} {
		_, err := gw.Invoke(ctx, tc.skill, tc.in, gateway.InvokeOptions{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %v: %v, want %q", tc.skill, tc.in, err, tc.want)
		}
	}
}

func TestNotConfiguredWithoutWorkspaces(t *testing.T) {
	reg := skill.NewRegistry()
	reg.MustRegister(New(config.Sentinel{}, nil))
	gw := gateway.New(reg, nil, gateway.DefaultConfig(), nil, nil)
	_, err := gw.Invoke(context.Background(), "sentinel.GetIncident", map[string]any{"incident": "x"}, gateway.InvokeOptions{})
	var nc *skill.NotConfiguredError
	if !errors.As(err, &nc) || !strings.Contains(err.Error(), "sentinel.workspaces") {
		t.Errorf("%v", err)
	}
}

func TestSummaryText(t *testing.T) {
	v := map[string]any{"level": "suspicious", "score": 55.0, "summary": "<script>x</script>", "recommendations": []any{"Check the host"}}
	if s := SummaryText(v, true); strings.Contains(s, "<script>") || !strings.Contains(s, "<li>Check the host</li>") {
		t.Errorf("html: %s", s)
	}
	if s := SummaryText(nil, false); !strings.Contains(s, "verdict **unknown**") {
		t.Errorf("empty: %s", s)
	}
	if severityFor("MALICIOUS") != api.SeverityHigh || severityFor("info") != "" {
		t.Error("severityFor")
	}
}

func TestHTMLFragment(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"<!DOCTYPE html>\n<html><head><style>x</style></head>\n<body>\n<h1>T</h1>\n</body>\n</html>\n", "<h1>T</h1>"},
		{"<h1>already a fragment</h1>", "<h1>already a fragment</h1>"},
		{"# Markdown <body> mention", "# Markdown <body> mention"},
		{"<!DOCTYPE html><body>unclosed", "<!DOCTYPE html><body>unclosed"},
		// Letters whose lower case is longer or shorter in UTF-8 (İ, K)
		// before and inside the body: the cut stays on the tags.
		{"<!DOCTYPE html><title>İstanbul İİİİ</title><body><h1>İzmir</h1></body>", "<h1>İzmir</h1>"},
		{"<!DOCTYPE html><body>İİİİİİİİİİİİİİİİ</body>", "İİİİİİİİİİİİİİİİ"},
		{"<!DOCTYPE html><title>\u212a\u212a\u212a</title><BODY><p>\u212a</p></BODY>", "<p>\u212a</p>"},
		// Ⱥ grows from two bytes to three in lower case: no panic either.
		{"<!DOCTYPE html><body>" + strings.Repeat("Ⱥ", 20) + "</body>", strings.Repeat("Ⱥ", 20)},
	} {
		if got := htmlFragment(tc.in); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzHTMLFragment: any text, no panic, and the fragment is a piece of it.
func FuzzHTMLFragment(f *testing.F) {
	f.Add("<!DOCTYPE html><html><head><title>Ⱥİ\u212a</title></head><body><h1>x</h1></body></html>")
	f.Add("<!doctype HTML><BODY></body>")
	f.Fuzz(func(t *testing.T, s string) {
		if got := htmlFragment(s); !strings.Contains(s, got) {
			t.Fatalf("%q is not part of %q", got, s)
		}
	})
}
