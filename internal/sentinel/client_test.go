package sentinel

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/spotter-soc/spotter/internal/config"
	"github.com/spotter-soc/spotter/internal/sentinel/fake"
	"github.com/spotter-soc/spotter/internal/skill"
	"github.com/spotter-soc/spotter/internal/skill/skilltest"
)

// testWorkspace is the fake's default workspace with client-secret credentials.
func testWorkspace(fk *fake.Server) config.SentinelWorkspace {
	return config.SentinelWorkspace{
		Name: "prod", SubscriptionID: fake.SubscriptionID, ResourceGroup: fake.ResourceGroup, WorkspaceName: fake.WorkspaceName,
		ARMURL: fk.URL(),
		Credential: config.AzureCredential{TenantID: fake.TenantID, ClientID: fake.ClientID, ClientSecret: fake.ClientSecret,
			AuthorityHost: fk.AuthorityHost()},
	}
}

func newTestClient(t *testing.T, fk *fake.Server, logs *bytes.Buffer) *Client {
	t.Helper()
	var log *slog.Logger
	if logs != nil {
		log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	c, err := NewClient(testWorkspace(fk), Options{HTTP: fk.Client(), Log: log})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestGetIncidentAndEntities(t *testing.T) {
	fk := fake.New(t)
	id := fk.AddIncident(fake.NewIncident{Title: "Brute force", Severity: "High",
		Entities: []map[string]any{{"kind": "Ip", "properties": map[string]any{"address": "203.0.113.7", "friendlyName": "203.0.113.7"}}},
		Alerts:   []map[string]any{{"alertDisplayName": "Many failed sign-ins", "severity": "High", "productName": "Azure Sentinel"}}})
	var logs bytes.Buffer
	c := newTestClient(t, fk, &logs)
	ctx := context.Background()
	inc, err := c.GetIncident(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if inc.Title() != "Brute force" || inc.Severity() != "High" || !strings.HasPrefix(inc.ETag, `"`) || inc.Number() != 1 {
		t.Errorf("incident: %+v", inc)
	}
	ents, err := c.ListEntities(ctx, id)
	if err != nil || len(ents.Entities) != 1 || ents.Entities[0].Kind != "Ip" || ents.MetaData[0].Count != 1 {
		t.Fatalf("entities: %+v %v", ents, err)
	}
	alerts, err := c.ListAlerts(ctx, id)
	if err != nil || len(alerts) != 1 || alerts[0].Kind != "SecurityAlert" {
		t.Fatalf("alerts: %+v %v", alerts, err)
	}
	_, err = c.GetIncident(ctx, "00000000-0000-4000-8000-000000000000")
	var pe *skill.ProviderError
	if !errors.As(err, &pe) || pe.Status != http.StatusNotFound || !strings.Contains(pe.Msg, "does not exist") {
		t.Errorf("missing incident: %v", err)
	}
	if _, err := c.GetIncident(ctx, "12 or 1=1"); err == nil || !strings.Contains(err.Error(), "expected the incident's name") {
		t.Errorf("bad id: %v", err)
	}
	skilltest.NoLeak(t, fk.Secrets(), err, logs.String())
}

func TestListIncidentsFollowsNextLink(t *testing.T) {
	fk := fake.New(t)
	base := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	for i := range 5 {
		fk.AddIncident(fake.NewIncident{Title: "incident " + string(rune('A'+i)), Created: base.Add(time.Duration(i) * time.Minute)})
	}
	c := newTestClient(t, fk, nil)
	var titles []string
	more, err := c.ListIncidents(context.Background(), ListOptions{
		Filter:  "properties/lastModifiedTimeUtc ge " + base.Add(time.Minute).Format(time.RFC3339),
		OrderBy: "properties/lastModifiedTimeUtc asc", Top: 50,
	}, func(inc *Incident) error { titles = append(titles, inc.Title()); return nil })
	if err != nil || more {
		t.Fatal(err, more)
	}
	if got := strings.Join(titles, ","); got != "incident B,incident C,incident D,incident E" {
		t.Errorf("titles: %s", got)
	}
	if n := fk.Count(http.MethodGet, "/incidents"); n != 2 {
		t.Errorf("pages fetched: %d, want 2 (page size 2)", n)
	}
}

func TestUpdateIncidentRetriesOnConflict(t *testing.T) {
	fk := fake.New(t)
	id := fk.AddIncident(fake.NewIncident{Title: "x", Labels: []string{"phishing"}})
	c := newTestClient(t, fk, nil)
	fk.ConflictNext(id, 2)
	out, err := c.UpdateIncident(context.Background(), id, func(inc *Incident) error {
		inc.SetLabels(append(inc.Labels(), "Spotter: triaged"))
		inc.Properties["status"] = StatusActive
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(out.Labels(), ","); got != "phishing,Spotter: triaged" || out.Status() != "Active" {
		t.Errorf("after update: %s %s", got, out.Status())
	}
	if n := fk.Count(http.MethodPut, "/incidents/"+id); n != 3 {
		t.Errorf("PUTs: %d, want 3 (two conflicts, then success)", n)
	}
	// A writer that never stops winning: the update gives up with the conflict.
	fk.ConflictNext(id, 10)
	_, err = c.UpdateIncident(context.Background(), id, func(inc *Incident) error { inc.Properties["severity"] = "High"; return nil })
	var pe *skill.ProviderError
	if !errors.As(err, &pe) || pe.Status != http.StatusConflict || !strings.Contains(pe.Msg, "stale etag") {
		t.Errorf("endless conflict: %v", err)
	}
	// Nothing to change: no write.
	before := fk.Count(http.MethodPut, "/incidents/"+id)
	if _, err := c.UpdateIncident(context.Background(), id, func(*Incident) error { return ErrNoChange }); err != nil {
		t.Fatal(err)
	}
	if fk.Count(http.MethodPut, "/incidents/"+id) != before {
		t.Error("ErrNoChange wrote the incident")
	}
}

// A 412 Precondition Failed (an If-Match style answer to a stale etag) is
// a conflict too: the incident is read again and the change reapplied.
func TestUpdateIncidentRetriesOnPreconditionFailed(t *testing.T) {
	fk := fake.New(t)
	id := fk.AddIncident(fake.NewIncident{Title: "x"})
	c := newTestClient(t, fk, nil)
	fk.Fail(http.MethodPut, "/incidents/"+id, fake.Fault{Status: http.StatusPreconditionFailed, Code: "PreconditionFailed",
		Message: "The specified precondition 'If-Match' failed.", Times: 1})
	out, err := c.UpdateIncident(context.Background(), id, func(inc *Incident) error { inc.Properties["severity"] = "High"; return nil })
	if err != nil || out.Severity() != "High" {
		t.Fatalf("%v %v", out, err)
	}
	if n := fk.Count(http.MethodGet, "/incidents/"+id); n != 2 {
		t.Errorf("GETs: %d, want 2 (read again after the 412)", n)
	}
}

// Adding a label sends the service's own labels back as they were read:
// an AutoAssigned label does not become a User label.
func TestSetLabelsKeepsAutoAssigned(t *testing.T) {
	fk := fake.New(t)
	id := fk.AddIncident(fake.NewIncident{Title: "x", Labels: []string{"phishing"}})
	fk.Modify(id, func(p map[string]any) {
		p["labels"] = append(p["labels"].([]any), map[string]any{"labelName": "Threat", "labelType": "AutoAssigned"})
	})
	c := newTestClient(t, fk, nil)
	if _, err := c.UpdateIncident(context.Background(), id, func(inc *Incident) error {
		inc.SetLabels(append(inc.Labels(), "Spotter: triaged"))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	got := map[string]any{}
	for _, l := range fk.Incident(id)["properties"].(map[string]any)["labels"].([]any) {
		m := l.(map[string]any)
		got[m["labelName"].(string)] = m["labelType"]
	}
	if got["Threat"] != "AutoAssigned" || got["phishing"] != "User" || got["Spotter: triaged"] != "User" || len(got) != 3 {
		t.Errorf("labels after the update: %v", got)
	}
}

func TestAPIVersionIsConfigurable(t *testing.T) {
	fk := fake.New(t)
	id := fk.AddIncident(fake.NewIncident{Title: "x"})
	ws := testWorkspace(fk)
	ws.APIVersion = "2021-04-01"
	c, err := NewClient(ws, Options{HTTP: fk.Client()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetIncident(context.Background(), id)
	if err == nil || !strings.Contains(err.Error(), "NoRegisteredProviderFound") {
		t.Errorf("unsupported api-version: %v", err)
	}
	ws.APIVersion = "2024-03-01"
	c, _ = NewClient(ws, Options{HTTP: fk.Client()})
	if _, err := c.GetIncident(context.Background(), id); err != nil {
		t.Error(err)
	}
	if q := fk.Requests()[len(fk.Requests())-1].Query; !strings.Contains(q, "api-version=2024-03-01") {
		t.Errorf("query: %s", q)
	}
}

func TestBadSecretIsExplainedWithoutLeaking(t *testing.T) {
	fk := fake.New(t)
	id := fk.AddIncident(fake.NewIncident{Title: "x"})
	ws := testWorkspace(fk)
	ws.Credential.ClientSecret = "wrong~Secret.Value-0123456789"
	var logs bytes.Buffer
	c, err := NewClient(ws, Options{HTTP: fk.Client(), Log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetIncident(context.Background(), id)
	if err == nil || !strings.Contains(err.Error(), "client secret was rejected") {
		t.Errorf("bad secret: %v", err)
	}
	skilltest.NoLeak(t, append(fk.Secrets(), ws.Credential.ClientSecret), err, logs.String())
}

func TestMissingCredentialNamesTheKey(t *testing.T) {
	fk := fake.New(t)
	ws := testWorkspace(fk)
	ws.Credential.ClientID = ""
	_, err := NewClient(ws, Options{})
	if err == nil || !strings.Contains(err.Error(), "sentinel.workspaces[prod].credential.client_id is required") || strings.Contains(err.Error(), "plugins.") {
		t.Errorf("%v", err)
	}
	ws.Credential.Auth = "password"
	if _, err := NewClient(ws, Options{}); err == nil || !strings.Contains(err.Error(), "credential.auth") {
		t.Errorf("%v", err)
	}
}
