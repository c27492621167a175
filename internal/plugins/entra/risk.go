package entra

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spotter-soc/spotter/internal/azure"
	"github.com/spotter-soc/spotter/internal/skill"
)

// riskBatch is how many users one riskyUsers query asks about.
const riskBatch = 20

var riskyUsersSpec = skill.Spec{
	ID:   "entra.GetRiskyUsers",
	Name: "Entra ID user risk",
	Description: "Reads Microsoft Entra ID Protection's risk for up to 20 users: risk level, state, detail and when it last " +
		"changed. Confirmed compromised and high risk are malicious, medium and low suspicious; remediated, dismissed, " +
		"confirmed safe and unlisted users are benign. Needs Entra ID P2.",
	ModelDescription: "Get Microsoft Entra ID Protection user risk (riskLevel, riskState, riskDetail) for one or more user " +
		"principal names. Use to check whether accounts are flagged as risky or compromised.",
	Examples: []string{
		"What is the Entra ID risk level of AdeleV@contoso.com?",
		"Check user risk for megan@contoso.com and lee@contoso.com",
		"Are any of these accounts flagged as compromised by Identity Protection?",
	},
	Aliases: []string{"GetEntraRiskyUsers"},
	Inputs: []skill.Input{
		{Name: "users", Type: skill.TypeStringList, Required: true, Min: skill.Int(1), Max: skill.Int(riskBatch),
			Placeholder: "user@contoso.com", Description: "User principal names to check (up to 20)"},
	},
	Enriches:       []string{typeAccount},
	IndicatorInput: "users",
	Section:        sectionUserRisk,
	CacheTTL:       15 * time.Minute,
}

// RiskyUser is Identity Protection's record of a user, in Graph's names.
type RiskyUser struct {
	ID                      string    `json:"id"`
	UserPrincipalName       string    `json:"userPrincipalName"`
	UserDisplayName         string    `json:"userDisplayName,omitempty"`
	RiskLevel               string    `json:"riskLevel"`
	RiskState               string    `json:"riskState"`
	RiskDetail              string    `json:"riskDetail,omitempty"`
	RiskLastUpdatedDateTime time.Time `json:"riskLastUpdatedDateTime,omitzero"`
	IsDeleted               bool      `json:"isDeleted,omitempty"`
	IsProcessing            bool      `json:"isProcessing,omitempty"`
}

// UserRisk is the answer for one requested user.
type UserRisk struct {
	User string `json:"user"`
	// Listed is false when Identity Protection has no record: no risk was ever detected.
	Listed bool       `json:"listed"`
	Risk   *RiskyUser `json:"risk,omitempty"`
}

// RiskReport is the Data of entra.GetRiskyUsers.
type RiskReport struct {
	Users []UserRisk `json:"users"`
}

type riskyUsers struct {
	graph *azure.Client
}

// Spec implements skill.Skill.
func (s *riskyUsers) Spec() skill.Spec { return riskyUsersSpec }

// Run asks for all users in one filter joined with "or"; if Graph refuses
// that filter (400), it asks one user at a time.
func (s *riskyUsers) Run(ctx context.Context, in skill.Inputs) (*skill.Result, error) {
	users := dedupeFold(in.Strings("users"))
	if len(users) == 0 {
		return nil, &skill.InputError{Skill: riskyUsersSpec.ID, Input: "users", Msg: "required: at least one user principal name"}
	}
	if len(users) > riskBatch {
		return nil, &skill.InputError{Skill: riskyUsersSpec.ID, Input: "users", Msg: fmt.Sprintf("%d users: expected at most %d", len(users), riskBatch)}
	}
	found, err := s.query(ctx, users)
	var pe *skill.ProviderError
	if err != nil && len(users) > 1 && errors.As(err, &pe) && pe.Status == 400 {
		found = nil
		for _, u := range users {
			one, err := s.query(ctx, []string{u})
			if err != nil {
				return nil, err
			}
			found = append(found, one...)
		}
	} else if err != nil {
		return nil, err
	}
	byUPN := map[string]*RiskyUser{}
	for i := range found {
		byUPN[strings.ToLower(found[i].UserPrincipalName)] = &found[i]
	}
	res := &skill.Result{}
	report := RiskReport{Users: []UserRisk{}}
	var lines []string
	for _, u := range users {
		r := byUPN[strings.ToLower(u)]
		report.Users = append(report.Users, UserRisk{User: u, Listed: r != nil, Risk: r})
		f := riskFinding(strings.ToLower(u), r)
		res.Findings = append(res.Findings, f)
		lines = append(lines, "- "+u+": "+f.Summary)
	}
	res.Data = report
	res.Summary = fmt.Sprintf("Identity Protection risk for %d user(s):\n%s", len(users), strings.Join(lines, "\n"))
	return res, nil
}

func (s *riskyUsers) query(ctx context.Context, users []string) ([]RiskyUser, error) {
	clauses := make([]string, len(users))
	for i, u := range users {
		clauses[i] = azure.Eq("userPrincipalName", u)
	}
	items, _, err := azure.List[RiskyUser](ctx, s.graph, azure.Request{
		Path:       "/identityProtection/riskyUsers",
		Filter:     strings.Join(clauses, " or "),
		What:       "risky users",
		Permission: "IdentityRiskyUser.Read.All",
		License:    "an Entra ID P2 license",
	}, 0)
	return items, err
}

// riskFinding maps Identity Protection's verdict. The state decides first
// (an administrator's confirmation or a remediation outweighs the level);
// otherwise the level does. Values Graph adds later are accepted and give
// unknown with the value as the reason.
func riskFinding(indicator string, r *RiskyUser) skill.Finding {
	f := skill.Finding{Indicator: indicator, Type: typeAccount, Skill: riskyUsersSpec.ID, Source: sourceProtection, Section: sectionUserRisk}
	if r == nil {
		f.Level, f.Summary = skill.Benign, "not listed by Identity Protection (no risk detected)"
		f.Reasons = []string{f.Summary}
		return f
	}
	level, state := strings.ToLower(r.RiskLevel), strings.ToLower(r.RiskState)
	switch state {
	case "confirmedcompromised":
		f.Level, f.Score = skill.Malicious, 95
	case "remediated", "dismissed", "confirmedsafe":
		f.Level = skill.Benign
	default:
		switch level {
		case "high":
			f.Level, f.Score = skill.Malicious, 85
		case "medium":
			f.Level, f.Score = skill.Suspicious, 60
		case "low":
			f.Level, f.Score = skill.Suspicious, 30
		case "none":
			f.Level = skill.Benign
		case "hidden":
			f.Level = skill.Unknown
			f.Reasons = append(f.Reasons, "risk level hidden (details need Entra ID P2)")
		default:
			f.Level = skill.Unknown
			f.Reasons = append(f.Reasons, "unrecognised risk level "+quoteOrEmpty(r.RiskLevel))
		}
	}
	switch state {
	case "none", "atrisk", "confirmedcompromised", "remediated", "dismissed", "confirmedsafe":
	default:
		f.Reasons = append(f.Reasons, "unrecognised risk state "+quoteOrEmpty(r.RiskState))
	}
	f.Summary = fmt.Sprintf("risk level %s, state %s", orDash(r.RiskLevel), orDash(r.RiskState))
	if r.RiskDetail != "" && !strings.EqualFold(r.RiskDetail, "none") {
		f.Summary += ", detail " + r.RiskDetail
	}
	if !r.RiskLastUpdatedDateTime.IsZero() {
		f.Summary += ", updated " + r.RiskLastUpdatedDateTime.UTC().Format("2006-01-02 15:04Z")
	}
	f.Reasons = append([]string{f.Summary}, f.Reasons...)
	return f
}

func quoteOrEmpty(s string) string {
	if s == "" {
		return "(empty)"
	}
	return fmt.Sprintf("%q", s)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// dedupeFold drops repeated names, ignoring case, keeping the first spelling.
func dedupeFold(list []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range list {
		s = strings.TrimSpace(s)
		if k := strings.ToLower(s); s != "" && !seen[k] {
			seen[k] = true
			out = append(out, s)
		}
	}
	return out
}
