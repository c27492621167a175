package entra

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spotter-soc/spotter/internal/azure/fakegraph"
	"github.com/spotter-soc/spotter/internal/skill"
	"github.com/spotter-soc/spotter/internal/skill/skilltest"
)

var now = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

type harness struct {
	fake   *fakegraph.Server
	skills map[string]skill.Skill
	logs   *bytes.Buffer
	// keep collects every result and error for the final no-leak check.
	keep []any
}

func setup(t *testing.T, opts ...fakegraph.Option) *harness {
	t.Helper()
	fake := fakegraph.New(t, append([]fakegraph.Option{fakegraph.WithData(fakegraph.Default(now))}, opts...)...)
	h := &harness{fake: fake, skills: map[string]skill.Skill{}, logs: &bytes.Buffer{}}
	p := &plugin{now: func() time.Time { return now }}
	skills, err := p.New(skill.Env{Settings: fake.Settings(), HTTP: fake.Client(),
		Log: slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range skills {
		h.skills[s.Spec().ID] = s
	}
	t.Cleanup(func() {
		skilltest.NoLeak(t, fake.Secrets(), append(h.keep, h.logs.String())...)
	})
	return h
}

// run validates raw inputs against the spec, as the gateway does, and runs the skill.
func (h *harness) run(t *testing.T, id string, raw map[string]any) (*skill.Result, error) {
	t.Helper()
	s := h.skills[id]
	in, err := s.Spec().Validate(raw)
	if err != nil {
		t.Fatalf("inputs: %v", err)
	}
	res, err := s.Run(context.Background(), in)
	h.keep = append(h.keep, res, err)
	return res, err
}

func providerError(t *testing.T, err error) *skill.ProviderError {
	t.Helper()
	var pe *skill.ProviderError
	if !errors.As(err, &pe) {
		t.Fatalf("error %T %v, want *skill.ProviderError", err, err)
	}
	return pe
}

func TestUserDetails(t *testing.T) {
	h := setup(t)
	res, err := h.run(t, "entra.GetUserDetails", map[string]any{"user": "AdeleV@contoso.com"})
	if err != nil {
		t.Fatal(err)
	}
	d := res.Data.(UserDetails)
	if d.User.ID != fakegraph.AdeleID || d.User.Department != "Finance" || d.User.AccountEnabled == nil || !*d.User.AccountEnabled ||
		d.User.UserType != "Member" || d.User.CreatedDateTime.IsZero() || d.User.LastPasswordChangeDateTime.IsZero() {
		t.Errorf("profile: %+v", d.User)
	}
	var groups []string
	for _, g := range d.Groups {
		groups = append(groups, g.DisplayName)
	}
	if diff := cmp.Diff([]string{"All Users", "Finance Team", "VPN Users", "Project Falcon"}, groups); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]Role{{ID: "0f4b1c2d-0000-4000-8000-000000000003", DisplayName: "Global Administrator",
		RoleTemplateID: fakegraph.GlobalAdminTemplate, Privileged: true}}, d.Roles); diff != "" {
		t.Errorf("roles (-want +got):\n%s", diff)
	}
	if len(d.OtherMemberships) != 1 || d.OtherMemberships[0].Type != "administrativeUnit" {
		t.Errorf("other memberships: %+v", d.OtherMemberships)
	}
	if len(d.RegisteredDevices) != 2 || d.RegisteredDevices[0].TrustType != "AzureAd" || d.RegisteredDevices[1].IsCompliant != nil {
		t.Errorf("devices: %+v", d.RegisteredDevices)
	}

	s := d.SignIns
	if s == nil {
		t.Fatal("no sign-ins")
	}
	if s.Count != 9 || s.Failed != 5 || s.Succeeded != 4 || s.CAFailures != 1 || s.HighestRisk != "high" || s.Risky != 2 || s.Truncated {
		t.Errorf("sign-in report: %+v", *s)
	}
	if diff := cmp.Diff([]string{"US", "NG", "RU"}, s.Countries); diff != "" {
		t.Errorf("countries (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[int]int{50126: 3, 50053: 1, 53003: 1}, s.FailureCodes); diff != "" {
		t.Errorf("failure codes (-want +got):\n%s", diff)
	}
	first := s.Items[0]
	if first.ID != "s01" || first.Location.City != "Redmond" || first.IPAddress != "131.107.159.37" || first.AppDisplayName == "" ||
		first.DeviceDetail.Browser != "Edge 120.0.0" || len(first.AppliedConditionalAccessPolicies) != 0 {
		t.Errorf("first sign-in: %+v", first)
	}
	blocked := s.Items[6] // s07, blocked by Conditional Access
	if blocked.Status.ErrorCode != 53003 || blocked.Status.FailureReason == "" || len(blocked.AppliedConditionalAccessPolicies) != 1 {
		t.Errorf("blocked sign-in: %+v", blocked)
	}

	f := res.Findings[0]
	want := skill.Finding{Indicator: "adelev@contoso.com", Type: "account", Skill: "entra.GetUserDetails", Level: skill.Suspicious, Score: 85,
		Source: "Microsoft Entra ID", Section: "accounts", Summary: "Adele Vance (AdeleV@contoso.com): enabled, member, Finance / Retail Manager",
		Reasons: []string{
			"holds privileged directory role Global Administrator",
			"5 of 9 sign-ins failed in the last 72 h (error 50126 ×3, 50053 ×1, 53003 ×1)",
			"sign-ins from 3 countries in the last 72 h: US, NG, RU",
			"2 risky sign-in(s), highest risk high",
			"1 sign-in(s) blocked by Conditional Access",
		}}
	if diff := cmp.Diff(want, f); diff != "" {
		t.Errorf("finding (-want +got):\n%s", diff)
	}
	if !strings.Contains(res.Summary, "Sign-ins in the last 72 h: 9 (5 failed") || !strings.Contains(res.Summary, "Global Administrator") {
		t.Errorf("summary:\n%s", res.Summary)
	}

	// The wire: filter and $top as documented, pages followed.
	signIns := h.fake.RequestsTo("/auditLogs/signIns")
	if len(signIns) != 5 {
		t.Errorf("%d sign-in requests, want 5 pages of 2", len(signIns))
	}
	q := signIns[0].Query
	if got, want := q.Get("$filter"), "userId eq '"+fakegraph.AdeleID+"' and createdDateTime ge 2026-03-07T12:00:00Z"; got != want {
		t.Errorf("$filter = %q, want %q", got, want)
	}
	if q.Get("$top") != "50" {
		t.Errorf("$top = %q", q.Get("$top"))
	}
	if got := len(h.fake.RequestsTo("/memberOf")); got != 3 {
		t.Errorf("%d memberOf requests, want 3 pages", got)
	}
	if sel := h.fake.RequestsTo("/users/AdeleV@contoso.com")[0].Query.Get("$select"); !strings.Contains(sel, "accountEnabled") || !strings.Contains(sel, "lastPasswordChangeDateTime") {
		t.Errorf("$select = %q", sel)
	}
	if n := h.fake.TokenRequests(); n != 1 {
		t.Errorf("%d token requests", n)
	}
}

func TestUserDetailsWindowAndLimit(t *testing.T) {
	h := setup(t)
	res, err := h.run(t, "entra.GetUserDetails", map[string]any{"user": fakegraph.AdeleID, "signin_hours": "720", "max_signins": 3})
	if err != nil {
		t.Fatal(err)
	}
	d := res.Data.(UserDetails)
	if d.SignIns.Count != 3 || !d.SignIns.Truncated || !strings.Contains(strings.Join(d.Notes, ";"), "more sign-ins exist") {
		t.Errorf("report %+v notes %v", d.SignIns, d.Notes)
	}
	q := h.fake.RequestsTo("/auditLogs/signIns")[0].Query
	if !strings.HasSuffix(q.Get("$filter"), "createdDateTime ge 2026-02-08T12:00:00Z") || q.Get("$top") != "3" {
		t.Errorf("query %v", q)
	}
}

func TestDisabledUserWithoutSignIns(t *testing.T) {
	h := setup(t)
	res, err := h.run(t, "entra.GetUserDetails", map[string]any{"user": "bob@contoso.com"})
	if err != nil {
		t.Fatal(err)
	}
	f := res.Findings[0]
	if f.Level != skill.Benign || f.Score != 0 || !cmp.Equal(f.Reasons, []string{"account is disabled"}) {
		t.Errorf("finding %+v", f)
	}
	d := res.Data.(UserDetails)
	if d.SignIns == nil || d.SignIns.Count != 0 || d.SignIns.Items == nil || len(d.Roles) != 0 || d.Roles == nil {
		t.Errorf("data %+v", d)
	}
}

func TestUnusualUPNs(t *testing.T) {
	h := setup(t)
	for upn, id := range map[string]string{
		"$svc-backup@contoso.com":                           fakegraph.DollarID,
		"partner_fabrikam.com#EXT#@contoso.onmicrosoft.com": fakegraph.GuestID,
		"o'brien@contoso.com":                               fakegraph.QuoteID,
	} {
		res, err := h.run(t, "entra.GetUserDetails", map[string]any{"user": upn})
		if err != nil {
			t.Errorf("%s: %v", upn, err)
			continue
		}
		if got := res.Data.(UserDetails).User.ID; got != id {
			t.Errorf("%s: id %s", upn, got)
		}
	}
}

func TestSignInsForbiddenIsPartial(t *testing.T) {
	for name, fault := range map[string]fakegraph.Fault{"no license": fakegraph.NoPremiumLicense, "no permission": fakegraph.Denied} {
		t.Run(name, func(t *testing.T) {
			h := setup(t)
			h.fake.Fail("/auditLogs/signIns", fault)
			res, err := h.run(t, "entra.GetUserDetails", map[string]any{"user": "AdeleV@contoso.com"})
			if err != nil {
				t.Fatal(err)
			}
			d := res.Data.(UserDetails)
			if d.SignIns != nil || len(d.Groups) != 4 || len(d.RegisteredDevices) != 2 {
				t.Errorf("data %+v", d)
			}
			want := map[string]string{
				"no license":    "sign-ins not included: reading sign-in logs requires an Entra ID P1/P2 license (Authentication_RequestFromNonPremiumTenantOrB2CTenant)",
				"no permission": "sign-ins not included: permission denied reading sign-in logs: grant the application permission AuditLog.Read.All (with admin consent) (Authorization_RequestDenied)",
			}[name]
			if !cmp.Equal(d.Notes, []string{want}) || !strings.Contains(res.Summary, "Note: "+want) {
				t.Errorf("notes %q\nsummary %s", d.Notes, res.Summary)
			}
			if f := res.Findings[0]; f.Level != skill.Info || !strings.Contains(strings.Join(f.Reasons, ";"), "Global Administrator") {
				t.Errorf("finding %+v", f)
			}
		})
	}
}

func TestUserDetailsErrors(t *testing.T) {
	tests := []struct {
		name, pattern string
		fault         fakegraph.Fault
		user          string
		revoke        bool
		want          string
		status        int
	}{
		{name: "not found", user: "nobody@contoso.com", status: 404,
			want: "entra: the user nobody@contoso.com does not exist (Request_ResourceNotFound) (404)"},
		{name: "profile forbidden", pattern: "/users/", fault: fakegraph.Denied, user: "AdeleV@contoso.com", status: 403,
			want: "entra: permission denied reading the user AdeleV@contoso.com: grant the application permission User.Read.All (with admin consent) (Authorization_RequestDenied) (403)"},
		{name: "throttled on sign-ins fails the skill", pattern: "/auditLogs/signIns", fault: fakegraph.Throttled, user: "AdeleV@contoso.com", status: 429,
			want: "entra: Microsoft Graph throttled the request; retry after 7 s (TooManyRequests) (429)"},
		{name: "malformed memberOf", pattern: "/memberOf", fault: fakegraph.Malformed, user: "AdeleV@contoso.com", status: 200,
			want: "entra: Microsoft Graph returned a malformed response for group memberships: unexpected end of JSON input (200)"},
		{name: "revoked token", user: "AdeleV@contoso.com", revoke: true, status: 401,
			want: "entra: Microsoft Graph rejected the access token; check that the app registration belongs to tenant_id and that graph_url and authority_host are in the same cloud (InvalidAuthenticationToken) (401)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := setup(t)
			if tt.revoke {
				if _, err := h.run(t, "entra.GetUserDetails", map[string]any{"user": "bob@contoso.com"}); err != nil {
					t.Fatal(err)
				}
				h.fake.RevokeTokens()
			}
			if tt.pattern != "" {
				h.fake.Fail(tt.pattern, tt.fault)
			}
			_, err := h.run(t, "entra.GetUserDetails", map[string]any{"user": tt.user})
			pe := providerError(t, err)
			if pe.Error() != tt.want || pe.Status != tt.status {
				t.Errorf("error\n got %s\nwant %s", pe.Error(), tt.want)
			}
		})
	}
}

func TestWrongSecretThroughPlugin(t *testing.T) {
	fake := fakegraph.New(t)
	settings := fake.Settings()
	settings["client_secret"] = "not-the-right-secret-value"
	var logs bytes.Buffer
	skills, err := New().New(skill.Env{Settings: settings, HTTP: fake.Client(), Log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	in, _ := skills[0].Spec().Validate(map[string]any{"user": "AdeleV@contoso.com"})
	res, err := skills[0].Run(context.Background(), in)
	pe := providerError(t, err)
	if !strings.HasPrefix(pe.Error(), "entra: the client secret was rejected (AADSTS7000215)") || pe.Status != 401 {
		t.Errorf("error %s", pe)
	}
	skilltest.NoLeak(t, append(fake.Secrets(), settings["client_secret"]), res, err, logs.String())
}

func TestNewRejectsIncompleteSettings(t *testing.T) {
	_, err := New().New(skill.Env{Settings: map[string]string{"auth": "client_secret", "tenant_id": "t", "client_id": "c"}})
	if err == nil || err.Error() != "entra: setting client_secret is required when auth is client_secret (set plugins.entra.client_secret or SPOTTER_ENTRA_CLIENT_SECRET)" {
		t.Errorf("got %v", err)
	}
}
