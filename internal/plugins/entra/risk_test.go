package entra

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spotter-soc/spotter/internal/azure/fakegraph"
	"github.com/spotter-soc/spotter/internal/skill"
)

// riskUsers are the default dataset's risky users plus one Identity
// Protection does not list.
var riskUsers = []any{"AdeleV@contoso.com", "megan@contoso.com", "lee@contoso.com", "bob@contoso.com", "ALEX@contoso.com",
	"pat@contoso.com", "ghost@contoso.com", "hidden@contoso.com", "nobody@contoso.com", "adelev@contoso.com"}

func TestRiskyUsers(t *testing.T) {
	for _, mode := range []string{"or filter", "one call per user"} {
		t.Run(mode, func(t *testing.T) {
			var h *harness
			if mode == "or filter" {
				h = setup(t)
			} else {
				h = setup(t, fakegraph.RejectOr())
			}
			res, err := h.run(t, "entra.GetRiskyUsers", map[string]any{"users": riskUsers})
			if err != nil {
				t.Fatal(err)
			}
			type verdict struct {
				Indicator string
				Level     skill.Level
				Score     int
			}
			var got []verdict
			for _, f := range res.Findings {
				if f.Type != "account" || f.Section != "user_risk" || f.Skill != "entra.GetRiskyUsers" || f.Source != "Microsoft Entra ID Protection" {
					t.Errorf("finding %+v", f)
				}
				got = append(got, verdict{f.Indicator, f.Level, f.Score})
			}
			want := []verdict{
				{"adelev@contoso.com", skill.Malicious, 85},
				{"megan@contoso.com", skill.Suspicious, 60},
				{"lee@contoso.com", skill.Suspicious, 30},
				{"bob@contoso.com", skill.Benign, 0},
				{"alex@contoso.com", skill.Malicious, 95},
				{"pat@contoso.com", skill.Benign, 0},
				{"ghost@contoso.com", skill.Unknown, 0},
				{"hidden@contoso.com", skill.Unknown, 0},
				{"nobody@contoso.com", skill.Benign, 0},
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("verdicts (-want +got):\n%s", diff)
			}
			ghost := res.Findings[6].Reasons
			if !cmp.Equal(ghost, []string{
				"risk level severe, state underInvestigation, detail someFutureDetail, updated 2026-03-10 11:00Z",
				`unrecognised risk level "severe"`, `unrecognised risk state "underInvestigation"`,
			}) {
				t.Errorf("unknown enums: %q", ghost)
			}
			report := res.Data.(RiskReport)
			if len(report.Users) != 9 || report.Users[8].Listed || !report.Users[0].Listed || report.Users[0].Risk.ID != fakegraph.AdeleID {
				t.Errorf("report %+v", report)
			}
			if !strings.Contains(res.Summary, "- ALEX@contoso.com: risk level high, state confirmedCompromised") {
				t.Errorf("summary:\n%s", res.Summary)
			}

			reqs := h.fake.RequestsTo("/identityProtection/riskyUsers")
			if mode == "or filter" {
				// 8 listed users at 2 per page: 4 pages of the same filter.
				if len(reqs) != 4 {
					t.Fatalf("%d requests", len(reqs))
				}
				f := reqs[0].Query.Get("$filter")
				if !strings.HasPrefix(f, "userPrincipalName eq 'AdeleV@contoso.com' or userPrincipalName eq 'megan@contoso.com' or ") ||
					strings.Count(f, " or ") != 8 {
					t.Errorf("$filter = %q", f)
				}
			} else if len(reqs) != 1+9 {
				t.Errorf("%d requests, want the refused or-filter and one per user", len(reqs))
			}
		})
	}
}

func TestRiskyUsersNeedsP2(t *testing.T) {
	h := setup(t)
	h.fake.Fail("/identityProtection/riskyUsers", fakegraph.Fault{Status: 403, Code: "Forbidden", Message: "Your tenant is not licensed for this feature."})
	_, err := h.run(t, "entra.GetRiskyUsers", map[string]any{"users": "a@contoso.com,b@contoso.com"})
	pe := providerError(t, err)
	if want := "entra: reading risky users requires an Entra ID P2 license (Forbidden) (403)"; pe.Error() != want {
		t.Errorf("got %s\nwant %s", pe.Error(), want)
	}
}

func TestRiskyUsersThrottled(t *testing.T) {
	h := setup(t)
	h.fake.Fail("/identityProtection/riskyUsers", fakegraph.Throttled)
	_, err := h.run(t, "entra.GetRiskyUsers", map[string]any{"users": []string{"a@contoso.com"}})
	if pe := providerError(t, err); pe.Status != 429 || pe.Code != "TooManyRequests" {
		t.Errorf("got %v", pe)
	}
}

func TestRiskFinding(t *testing.T) {
	tests := []struct {
		level, state string
		want         skill.Level
		score        int
	}{
		{"high", "atRisk", skill.Malicious, 85},
		{"HIGH", "AtRisk", skill.Malicious, 85},
		{"medium", "atRisk", skill.Suspicious, 60},
		{"low", "atRisk", skill.Suspicious, 30},
		{"none", "none", skill.Benign, 0},
		{"high", "remediated", skill.Benign, 0},
		{"medium", "dismissed", skill.Benign, 0},
		{"high", "confirmedSafe", skill.Benign, 0},
		{"none", "confirmedCompromised", skill.Malicious, 95},
		{"hidden", "atRisk", skill.Unknown, 0},
		{"unknownFutureValue", "unknownFutureValue", skill.Unknown, 0},
		{"", "", skill.Unknown, 0},
		{"medium", "brandNewState", skill.Suspicious, 60},
	}
	for _, tt := range tests {
		f := riskFinding("x@contoso.com", &RiskyUser{UserPrincipalName: "x@contoso.com", RiskLevel: tt.level, RiskState: tt.state})
		if f.Level != tt.want || f.Score != tt.score {
			t.Errorf("%s/%s: %s %d, want %s %d", tt.level, tt.state, f.Level, f.Score, tt.want, tt.score)
		}
	}
}

func TestAssessSignInSignals(t *testing.T) {
	yes, no := true, false
	si := func(code int, country, risk, state string) SignIn {
		return SignIn{Status: Status{ErrorCode: code}, Location: Location{CountryOrRegion: country}, RiskLevelDuringSignIn: risk, RiskState: state}
	}
	tests := []struct {
		name    string
		enabled *bool
		roles   []Role
		signIns []SignIn
		level   skill.Level
		score   int
	}{
		{"quiet", &yes, nil, []SignIn{si(0, "US", "none", "none")}, skill.Benign, 0},
		{"four failures are not many", &yes, nil, []SignIn{si(50126, "US", "", ""), si(50126, "US", "", ""), si(50126, "US", "", ""), si(50126, "US", "", "")}, skill.Benign, 0},
		{"two countries, failures only", &yes, nil, []SignIn{si(0, "US", "", ""), si(50126, "BR", "", "")}, skill.Suspicious, 45},
		{"two countries, both successful", &yes, nil, []SignIn{si(0, "US", "", ""), si(0, "BR", "", "")}, skill.Suspicious, 60},
		{"medium risk", &yes, nil, []SignIn{si(0, "US", "medium", "atRisk")}, skill.Suspicious, 55},
		{"low risk at risk", &yes, nil, []SignIn{si(0, "US", "low", "atRisk")}, skill.Suspicious, 40},
		{"compromised", &yes, nil, []SignIn{si(0, "US", "high", "confirmedCompromised")}, skill.Malicious, 90},
		{"privileged raises a suspicious score", &yes, []Role{{DisplayName: "Security Administrator", Privileged: true}},
			[]SignIn{si(0, "US", "medium", "atRisk")}, skill.Suspicious, 70},
		{"privileged alone stays benign", &yes, []Role{{DisplayName: "Global Administrator", Privileged: true}}, []SignIn{}, skill.Benign, 0},
		{"unknown risk value is a reason", &no, nil, []SignIn{si(0, "US", "extreme", "none")}, skill.Benign, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := summarizeSignIns(tt.signIns)
			r.Hours = 24
			f := assessAccount("x@contoso.com", UserDetails{User: User{AccountEnabled: tt.enabled}, Roles: tt.roles, SignIns: r})
			if f.Level != tt.level || f.Score != tt.score {
				t.Errorf("%s %d, want %s %d; reasons %q", f.Level, f.Score, tt.level, tt.score, f.Reasons)
			}
			if tt.name == "unknown risk value is a reason" && !cmp.Equal(f.Reasons, []string{"account is disabled", "unrecognised risk values: extreme"}) {
				t.Errorf("reasons %q", f.Reasons)
			}
		})
	}
}
