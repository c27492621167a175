package entra

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/spotter-soc/spotter/internal/skill"
)

// privilegedRoles are built-in directory roles that can take over the
// tenant or its security configuration, by display name (lower case).
var privilegedRoles = map[string]bool{
	"global administrator":                    true,
	"privileged role administrator":           true,
	"privileged authentication administrator": true,
	"security administrator":                  true,
	"conditional access administrator":        true,
	"application administrator":               true,
	"cloud application administrator":         true,
	"authentication administrator":            true,
	"user administrator":                      true,
	"exchange administrator":                  true,
	"sharepoint administrator":                true,
	"intune administrator":                    true,
	"hybrid identity administrator":           true,
	"helpdesk administrator":                  true,
	"password administrator":                  true,
	"groups administrator":                    true,
}

// globalAdminTemplate is the role template id of Global Administrator, the
// same in every tenant.
const globalAdminTemplate = "62e90394-69f5-4237-9190-012177145e10"

func isPrivilegedRole(name, template string) bool {
	return privilegedRoles[strings.ToLower(strings.TrimSpace(name))] || strings.EqualFold(template, globalAdminTemplate)
}

// Thresholds of the sign-in signals.
const (
	manyFailures     = 5  // failed sign-ins in the window that make the account suspicious
	veryManyFailures = 20 // … and raise the score
)

// assessAccount judges the account from its details. Risky sign-in signals
// set the level; a disabled account and privileged roles are reasons that do
// not by themselves make an account suspicious (a privileged role raises the
// score of a suspicious one: more is at stake). With no sign-in data the
// finding is info, since nothing was observed to judge by.
func assessAccount(indicator string, d UserDetails) skill.Finding {
	f := skill.Finding{Indicator: indicator, Type: typeAccount, Skill: userDetailsSpec.ID, Source: sourceEntra,
		Section: sectionAccounts, Level: skill.Info}
	raise := func(l skill.Level, score int, reason string) {
		switch {
		case l.Rank() > f.Level.Rank():
			f.Level, f.Score = l, score
		case l == f.Level:
			f.Score = max(f.Score, score)
		}
		f.Reasons = append(f.Reasons, reason)
	}
	if d.User.AccountEnabled != nil && !*d.User.AccountEnabled {
		f.Reasons = append(f.Reasons, "account is disabled")
	}
	var privileged []string
	for _, r := range d.Roles {
		if r.Privileged {
			privileged = append(privileged, r.DisplayName)
		}
	}
	if len(privileged) > 0 {
		f.Reasons = append(f.Reasons, "holds privileged directory role "+strings.Join(privileged, ", "))
	}
	if s := d.SignIns; s != nil {
		if f.Level == skill.Info {
			f.Level = skill.Benign
		}
		window := strconv.Itoa(s.Hours) + " h"
		if s.Failed >= manyFailures {
			score := 50
			if s.Failed >= veryManyFailures {
				score = 65
			}
			raise(skill.Suspicious, score, fmt.Sprintf("%d of %d sign-ins failed in the last %s (%s)", s.Failed, s.Count, window, failureCodes(s.FailureCodes)))
		}
		switch {
		case len(s.SuccessCountries) >= 2:
			raise(skill.Suspicious, 60, fmt.Sprintf("successful sign-ins from %d countries in the last %s: %s", len(s.SuccessCountries), window, strings.Join(s.SuccessCountries, ", ")))
		case len(s.Countries) >= 2:
			raise(skill.Suspicious, 45, fmt.Sprintf("sign-ins from %d countries in the last %s: %s", len(s.Countries), window, strings.Join(s.Countries, ", ")))
		}
		switch {
		case s.Compromised > 0:
			raise(skill.Malicious, 90, fmt.Sprintf("%d sign-in(s) confirmed compromised", s.Compromised))
		case s.HighestRisk == "high":
			raise(skill.Suspicious, 70, fmt.Sprintf("%d risky sign-in(s), highest risk high", s.Risky))
		case s.HighestRisk == "medium":
			raise(skill.Suspicious, 55, fmt.Sprintf("%d risky sign-in(s), highest risk medium", s.Risky))
		case s.Risky > 0:
			raise(skill.Suspicious, 40, fmt.Sprintf("%d sign-in(s) at risk, highest risk %s", s.Risky, s.HighestRisk))
		}
		if s.CAFailures > 0 {
			f.Reasons = append(f.Reasons, fmt.Sprintf("%d sign-in(s) blocked by Conditional Access", s.CAFailures))
		}
		if len(s.UnknownRisk) > 0 {
			f.Reasons = append(f.Reasons, "unrecognised risk values: "+strings.Join(s.UnknownRisk, ", "))
		}
	}
	if f.Level == skill.Suspicious && len(privileged) > 0 {
		f.Score = min(100, f.Score+15)
	}
	f.Summary = accountLine(d)
	return f
}

// failureCodes renders {50126: 3, 53003: 1} as "error 50126 ×3, 53003 ×1".
func failureCodes(codes map[int]int) string {
	keys := make([]int, 0, len(codes))
	for k := range codes {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if codes[keys[i]] != codes[keys[j]] {
			return codes[keys[i]] > codes[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d ×%d", k, codes[k])
	}
	return "error " + strings.Join(parts, ", ")
}

// accountLine is a one-line description of the account.
func accountLine(d UserDetails) string {
	u := d.User
	var b strings.Builder
	name := u.DisplayName
	if name == "" {
		name = u.UserPrincipalName
	}
	b.WriteString(name)
	if u.UserPrincipalName != "" && u.UserPrincipalName != name {
		b.WriteString(" (" + u.UserPrincipalName + ")")
	}
	var facts []string
	if u.AccountEnabled != nil {
		facts = append(facts, map[bool]string{true: "enabled", false: "disabled"}[*u.AccountEnabled])
	}
	if u.UserType != "" {
		facts = append(facts, strings.ToLower(u.UserType))
	}
	if job := strings.Trim(u.Department+" / "+u.JobTitle, " /"); job != "" {
		facts = append(facts, job)
	}
	if u.OnPremisesSyncEnabled != nil && *u.OnPremisesSyncEnabled {
		facts = append(facts, "synced from on-premises AD")
	}
	if len(facts) > 0 {
		b.WriteString(": " + strings.Join(facts, ", "))
	}
	return b.String()
}

// summarizeUser is the Markdown summary of the user details.
func summarizeUser(d UserDetails) string {
	var b strings.Builder
	b.WriteString("**" + accountLine(d) + "**\n\n")
	var parts []string
	if d.Groups != nil {
		var roles []string
		for _, r := range d.Roles {
			roles = append(roles, r.DisplayName)
		}
		parts = append(parts, fmt.Sprintf("groups: %d", len(d.Groups)), "directory roles: "+orNone(roles))
	}
	if d.RegisteredDevices != nil {
		parts = append(parts, fmt.Sprintf("registered devices: %d", len(d.RegisteredDevices)))
	}
	if len(parts) > 0 {
		b.WriteString("- " + strings.Join(parts, "; ") + "\n")
	}
	if s := d.SignIns; s != nil {
		fmt.Fprintf(&b, "- Sign-ins in the last %d h: %d (%d failed, %d blocked by Conditional Access), countries: %s, IPs: %d, highest risk: %s\n",
			s.Hours, s.Count, s.Failed, s.CAFailures, orNone(s.Countries), len(s.IPs), s.HighestRisk)
	}
	for _, n := range d.Notes {
		b.WriteString("- Note: " + n + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

func orNone(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	return strings.Join(list, ", ")
}
