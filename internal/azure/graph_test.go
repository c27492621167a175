package azure_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spotter-soc/spotter/internal/azure"
	"github.com/spotter-soc/spotter/internal/azure/fakegraph"
	"github.com/spotter-soc/spotter/internal/skill"
	"github.com/spotter-soc/spotter/internal/skill/skilltest"
)

type dirObject struct {
	Type        string `json:"@odata.type"`
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
}

type userObj struct {
	ID                string `json:"id"`
	UserPrincipalName string `json:"userPrincipalName"`
	AccountEnabled    *bool  `json:"accountEnabled"`
}

// newClient builds a client against the fake with a log buffer.
func newClient(t *testing.T, fake *fakegraph.Server, opts ...func(*azure.Options)) (*azure.Client, *bytes.Buffer) {
	t.Helper()
	cfg, err := azure.ParseConfig("entra", fake.Settings())
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	o := azure.Options{HTTP: fake.Client(), Log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	for _, f := range opts {
		f(&o)
	}
	c, err := azure.NewClient(cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	return c, &logs
}

func TestTokenFetchedOnceAndReused(t *testing.T) {
	fake := fakegraph.New(t)
	c, logs := newClient(t, fake)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			var u userObj
			errs <- c.Get(ctx, azure.Request{Path: azure.UserPath("AdeleV@contoso.com"), Select: []string{"id", "accountEnabled"}}, &u)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for range 5 {
		if _, _, err := azure.List[dirObject](ctx, c, azure.Request{Path: azure.UserPath(fakegraph.AdeleID) + "/memberOf"}, 0); err != nil {
			t.Fatal(err)
		}
	}
	if n := fake.TokenRequests(); n != 1 {
		t.Errorf("token requests = %d, want 1 (cached by the bearer policy)", n)
	}
	if n := len(fake.Requests()); n != 20+5*3 {
		t.Errorf("graph requests = %d, want %d", n, 20+5*3)
	}
	for _, r := range fake.Requests() {
		if !r.Authorized {
			t.Errorf("%s was not authorized", r.Path)
		}
	}
	skilltest.NoLeak(t, fake.Secrets(), logs.String())
}

// An expired token is replaced: the second call, after the one-second token
// has expired, fetches a new one instead of sending the old one.
func TestExpiredTokenReplaced(t *testing.T) {
	fake := fakegraph.New(t, fakegraph.WithTokenLifetime(time.Second))
	c, logs := newClient(t, fake)
	for i := range 2 {
		if i > 0 {
			time.Sleep(1100 * time.Millisecond)
		}
		var u userObj
		if err := c.Get(context.Background(), azure.Request{Path: azure.UserPath("bob@contoso.com")}, &u); err != nil {
			t.Fatal(err)
		}
	}
	if n := fake.TokenRequests(); n != 2 {
		t.Errorf("token requests = %d, want 2", n)
	}
	skilltest.NoLeak(t, fake.Secrets(), logs.String())
}

func TestWrongSecret(t *testing.T) {
	fake := fakegraph.New(t)
	settings := fake.Settings()
	settings["client_secret"] = "wrong~secret-value-0123456789"
	cfg, err := azure.ParseConfig("entra", settings)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	c, err := azure.NewClient(cfg, azure.Options{HTTP: fake.Client(), Log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	var u userObj
	err = c.Get(context.Background(), azure.Request{Path: azure.UserPath("AdeleV@contoso.com"), What: "the user"}, &u)
	var pe *skill.ProviderError
	if !errors.As(err, &pe) {
		t.Fatalf("error %T %v, want *skill.ProviderError", err, err)
	}
	want := "entra: the client secret was rejected (AADSTS7000215): set client_secret to the secret's value (not its id) and check that it still exists on the app registration (401)"
	if pe.Error() != want {
		t.Errorf("error\n got %s\nwant %s", pe.Error(), want)
	}
	if pe.Status != 401 || pe.Code != "invalid_client" {
		t.Errorf("status %d code %q", pe.Status, pe.Code)
	}
	if len(fake.Requests()) != 0 {
		t.Errorf("Graph was called without a token")
	}
	skilltest.NoLeak(t, append(fake.Secrets(), settings["client_secret"]), err, logs.String())
}

func TestPagingFollowsAbsoluteNextLink(t *testing.T) {
	fake := fakegraph.New(t) // page size 2
	c, _ := newClient(t, fake)
	items, more, err := azure.List[dirObject](context.Background(), c,
		azure.Request{Path: azure.UserPath(fakegraph.AdeleID) + "/memberOf", Top: 100}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, it := range items {
		names = append(names, it.DisplayName)
	}
	want := []string{"All Users", "Finance Team", "Global Administrator", "VPN Users", "EMEA", "Project Falcon"}
	if diff := cmp.Diff(want, names); diff != "" || more {
		t.Errorf("memberOf (-want +got):\n%s more=%v", diff, more)
	}
	reqs := fake.RequestsTo("/memberOf")
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3 pages", len(reqs))
	}
	for i, r := range reqs {
		if r.Query.Get("$top") != "100" {
			t.Errorf("page %d lost $top: %v", i, r.Query)
		}
		if (i > 0) != r.Query.Has("$skiptoken") {
			t.Errorf("page %d: skiptoken %v", i, r.Query)
		}
	}
}

func TestListLimitAndPageCap(t *testing.T) {
	fake := fakegraph.New(t)
	c, _ := newClient(t, fake, func(o *azure.Options) { o.MaxPages = 2 })
	r := azure.Request{Path: azure.UserPath(fakegraph.AdeleID) + "/memberOf"}
	items, more, err := azure.List[dirObject](context.Background(), c, r, 3)
	if err != nil || len(items) != 3 || !more {
		t.Errorf("limit 3: %d items, more=%v, err=%v", len(items), more, err)
	}
	items, more, err = azure.List[dirObject](context.Background(), c, r, 0)
	if err != nil || len(items) != 4 || !more {
		t.Errorf("page cap 2: %d items, more=%v, err=%v", len(items), more, err)
	}
	items, more, err = azure.List[dirObject](context.Background(), c, r, 4)
	if err != nil || len(items) != 4 || !more {
		t.Errorf("limit 4 at a page end: %d items, more=%v, err=%v", len(items), more, err)
	}
}

func TestFilterAndSelectSent(t *testing.T) {
	fake := fakegraph.New(t)
	c, _ := newClient(t, fake)
	since := time.Date(2026, 3, 1, 12, 30, 15, 999, time.UTC)
	r := azure.Request{Path: "/auditLogs/signIns", Top: 5,
		Filter: azure.Eq("userId", fakegraph.QuoteID) + " and createdDateTime ge " + azure.DateTime(since)}
	if _, _, err := azure.List[map[string]any](context.Background(), c, r, 0); err != nil {
		t.Fatal(err)
	}
	got := fake.RequestsTo("/auditLogs/signIns")[0].Query
	if f := got.Get("$filter"); f != "userId eq '"+fakegraph.QuoteID+"' and createdDateTime ge 2026-03-01T12:30:15Z" {
		t.Errorf("$filter = %q", f)
	}
	if u := r.URL("https://graph.test/v1.0"); !strings.Contains(u, "$filter=userId%20eq%20%27") || !strings.HasSuffix(u, "&$top=5") {
		t.Errorf("URL = %s", u)
	}

	var u map[string]any
	if err := c.Get(context.Background(), azure.Request{Path: azure.UserPath("o'brien@contoso.com"), Select: []string{"id", "accountEnabled"}}, &u); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]any{"id": fakegraph.QuoteID, "accountEnabled": true, "@odata.context": fake.GraphURL() + "/$metadata#users/$entity"}, u); diff != "" {
		t.Errorf("$select (-want +got):\n%s", diff)
	}
	if sel := fake.RequestsTo("/users/")[0].Query.Get("$select"); sel != "id,accountEnabled" {
		t.Errorf("$select = %q", sel)
	}
}

func TestEventualConsistencyHeader(t *testing.T) {
	fake := fakegraph.New(t)
	c, _ := newClient(t, fake)
	_, _, err := azure.List[dirObject](context.Background(), c, azure.Request{Path: azure.UserPath(fakegraph.BobID) + "/memberOf", Count: true, Eventual: true}, 0)
	if err != nil {
		t.Fatal(err)
	}
	r := fake.RequestsTo("/memberOf")[0]
	if r.ConsistencyLevel != "eventual" || r.Query.Get("$count") != "true" {
		t.Errorf("ConsistencyLevel %q, $count %q", r.ConsistencyLevel, r.Query.Get("$count"))
	}
}

func TestUserPathEscaping(t *testing.T) {
	fake := fakegraph.New(t)
	c, _ := newClient(t, fake)
	tests := []struct{ in, path, id string }{
		{"AdeleV@contoso.com", "/users/AdeleV@contoso.com", fakegraph.AdeleID},
		{fakegraph.BobID, "/users/" + fakegraph.BobID, fakegraph.BobID},
		{"$svc-backup@contoso.com", "/users('$svc-backup@contoso.com')", fakegraph.DollarID},
		{"partner_fabrikam.com#EXT#@contoso.onmicrosoft.com", "/users/partner_fabrikam.com%23EXT%23@contoso.onmicrosoft.com", fakegraph.GuestID},
		{"o'brien@contoso.com", "/users/o%27brien@contoso.com", fakegraph.QuoteID},
	}
	for _, tt := range tests {
		if got := azure.UserPath(tt.in); got != tt.path {
			t.Errorf("UserPath(%q) = %q, want %q", tt.in, got, tt.path)
		}
		var u userObj
		if err := c.Get(context.Background(), azure.Request{Path: azure.UserPath(tt.in), Select: []string{"id"}}, &u); err != nil || u.ID != tt.id {
			t.Errorf("%s: id %q, err %v", tt.in, u.ID, err)
		}
	}
}

func TestGraphErrors(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		fault   fakegraph.Fault
		req     azure.Request
		want    string
		status  int
	}{
		{"not found", "", fakegraph.Fault{}, azure.Request{Path: azure.UserPath("nobody@contoso.com"), What: "the user"},
			"entra: the user does not exist (Request_ResourceNotFound) (404)", 404},
		{"permission", "/users/", fakegraph.Denied, azure.Request{Path: azure.UserPath("AdeleV@contoso.com"), What: "the user", Permission: "User.Read.All"},
			"entra: permission denied reading the user: grant the application permission User.Read.All (with admin consent) (Authorization_RequestDenied) (403)", 403},
		{"license", "/auditLogs/signIns", fakegraph.NoPremiumLicense, azure.Request{Path: "/auditLogs/signIns", What: "sign-in logs", License: "an Entra ID P1/P2 license", Filter: "x eq 'y'"},
			"entra: reading sign-in logs requires an Entra ID P1/P2 license (Authentication_RequestFromNonPremiumTenantOrB2CTenant) (403)", 403},
		{"throttled", "/users/", fakegraph.Throttled, azure.Request{Path: azure.UserPath("AdeleV@contoso.com")},
			"entra: Microsoft Graph throttled the request; retry after 7 s (TooManyRequests) (429)", 429},
		{"unavailable", "/users/", fakegraph.Unavailable, azure.Request{Path: azure.UserPath("AdeleV@contoso.com")},
			"entra: Microsoft Graph is unavailable: The service is temporarily unavailable; retry after 3 s (serviceNotAvailable) (503)", 503},
		{"malformed", "/users/", fakegraph.Malformed, azure.Request{Path: azure.UserPath("AdeleV@contoso.com"), What: "the user"},
			"entra: Microsoft Graph returned a malformed response for the user: unexpected end of JSON input (200)", 200},
		{"unsupported filter", "", fakegraph.Fault{}, azure.Request{Path: "/auditLogs/signIns", Filter: "startswith(appDisplayName,'Graph')"},
			"entra: Microsoft Graph rejected the request: Unsupported query: expected a property at \"startswith(appDisplayName,'Graph')\" (Request_UnsupportedQuery) (400)", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := fakegraph.New(t)
			if tt.pattern != "" {
				fake.Fail(tt.pattern, tt.fault)
			}
			c, logs := newClient(t, fake)
			var out map[string]any
			err := c.Get(context.Background(), tt.req, &out)
			var pe *skill.ProviderError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T %v, want *skill.ProviderError", err, err)
			}
			if pe.Error() != tt.want || pe.Status != tt.status {
				t.Errorf("error\n got %s\nwant %s", pe.Error(), tt.want)
			}
			skilltest.NoLeak(t, fake.Secrets(), err, logs.String())
		})
	}
}

func TestExpiredTokenIs401(t *testing.T) {
	fake := fakegraph.New(t)
	c, logs := newClient(t, fake)
	var u userObj
	if err := c.Get(context.Background(), azure.Request{Path: azure.UserPath("AdeleV@contoso.com")}, &u); err != nil {
		t.Fatal(err)
	}
	fake.RevokeTokens()
	err := c.Get(context.Background(), azure.Request{Path: azure.UserPath("AdeleV@contoso.com")}, &u)
	var pe *skill.ProviderError
	if !errors.As(err, &pe) || pe.Status != 401 || pe.Code != "InvalidAuthenticationToken" {
		t.Fatalf("got %v", err)
	}
	skilltest.NoLeak(t, fake.Secrets(), err, logs.String())
}

func TestNextLinkToAnotherHostRefused(t *testing.T) {
	fake := fakegraph.New(t)
	fake.Fail("/memberOf", fakegraph.Fault{Status: 200, Body: `{"value":[{"id":"1"}],"@odata.nextLink":"https://evil.example/v1.0/users?$skiptoken=x"}`})
	c, _ := newClient(t, fake)
	items, _, err := azure.List[dirObject](context.Background(), c, azure.Request{Path: azure.UserPath(fakegraph.AdeleID) + "/memberOf"}, 0)
	var pe *skill.ProviderError
	if !errors.As(err, &pe) || pe.Code != "bad_next_link" || len(items) != 1 {
		t.Fatalf("items %v, err %v", items, err)
	}
}
