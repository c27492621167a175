package sentinel

import (
	"bytes"
	"context"
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

func TestDefenderSkills(t *testing.T) {
	fk := fake.New(t)
	id := fk.AddDefenderIncident(fake.NewDefenderIncident{DisplayName: "Ransomware staging on ws-0042", Severity: "medium",
		Alerts: []map[string]any{{"title": "Shadow copy deletion", "severity": "high", "serviceSource": "microsoftDefenderForEndpoint",
			"evidence": []any{map[string]any{"@odata.type": "#microsoft.graph.security.ipEvidence", "ipAddress": "185.220.101.47"}}}}})
	trustFake(t, fk)
	cfg := config.Sentinel{Defender: []config.DefenderTenant{{Name: "contoso", GraphURL: fk.GraphURL(),
		Credential: config.AzureCredential{TenantID: fake.TenantID, ClientID: fake.ClientID, ClientSecret: fake.ClientSecret, AuthorityHost: fk.AuthorityHost()}}}}
	reg := skill.NewRegistry()
	reg.MustRegister(New(cfg, nil))
	var logs bytes.Buffer
	gcfg := gateway.DefaultConfig()
	gcfg.BackoffBase, gcfg.BackoffMax = 10*time.Millisecond, 50*time.Millisecond
	gw := gateway.New(reg, nil, gcfg, nil, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	ctx := context.Background()
	ref := api.DefenderIncidentID("contoso", id)

	res, err := gw.Invoke(ctx, "sentinel.GetIncident", map[string]any{"incident": ref}, gateway.InvokeOptions{})
	if err != nil || !strings.Contains(res.Summary, "Ransomware staging") {
		t.Fatalf("get: %v %v", res, err)
	}
	fk.Throttle(http.MethodPost, "/comments", 1, "1")
	post := map[string]any{"incident": ref, "key": "run-d1", "report": "## Report\n\nVerdict: malicious", "summary": true,
		"verdict": map[string]any{"level": "malicious", "score": 95.0}}
	for range 2 {
		if _, err := gw.Invoke(ctx, "sentinel.PostReport", post, gateway.InvokeOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(fk.DefenderComments(id)); n != 2 {
		t.Errorf("comments: %d, want the report and the summary once", n)
	}
	res, err = gw.Invoke(ctx, "sentinel.UpdateIncident", map[string]any{"incident": ref, "status": "Active", "triaged": true,
		"verdict": "malicious", "severity_from_verdict": true, "key": "run-d1"}, gateway.InvokeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	inc := fk.DefenderIncident(id)
	if inc["severity"] != "high" || inc["status"] != "inProgress" || len(inc["customTags"].([]any)) != 2 {
		t.Errorf("after triage: %v %v %v", inc["severity"], inc["status"], inc["customTags"])
	}
	if last := fk.DefenderComments(id)[2].Comment; !strings.Contains(last, "from medium to high") {
		t.Errorf("severity comment: %q", last)
	}
	if _, err := gw.Invoke(ctx, "sentinel.GetIncident", map[string]any{"incident": "defender:other/1"}, gateway.InvokeOptions{}); err == nil ||
		!strings.Contains(err.Error(), `"other" is not configured`) {
		t.Errorf("unknown tenant: %v", err)
	}
	skilltest.NoLeak(t, fk.Secrets(), res, logs.String())
}
