// Package entra is the Microsoft Entra ID plugin: user details (profile,
// group and role memberships, registered devices, recent sign-ins) and
// Identity Protection user risk, read from Microsoft Graph.
package entra

import (
	"time"

	"github.com/spotter-soc/spotter/internal/azure"
	"github.com/spotter-soc/spotter/internal/skill"
)

// Name is the plugin name, the prefix of its skill ids and settings.
const Name = "entra"

// Report sections and the finding type of this plugin's skills.
const (
	sectionAccounts = "accounts"
	sectionUserRisk = "user_risk"
	typeAccount     = "account"
)

// Evidence sources named in findings.
const (
	sourceEntra      = "Microsoft Entra ID"
	sourceProtection = "Microsoft Entra ID Protection"
)

// limits are shared by every call of the plugin. Graph's global limit is
// far higher, but the identity and access reports category, which covers
// /auditLogs/signIns, allows only 5 requests per 10 seconds per app per
// tenant. One GetUserDetails makes about four requests (user, memberOf,
// registeredDevices, signIns), so 2 per second keeps sign-in queries near
// one every two seconds, the reports limit, while the other calls go at the
// same pace; the gateway honours Retry-After if Graph still throttles.
var limits = skill.RateLimit{PerSecond: 2, Burst: 4, Concurrency: 4}

type plugin struct {
	now func() time.Time
}

// New returns the Entra ID plugin.
func New() skill.Plugin { return &plugin{now: time.Now} }

// Info implements skill.Plugin.
func (p *plugin) Info() skill.PluginInfo {
	return skill.PluginInfo{
		Name: Name,
		Description: "Microsoft Entra ID through Microsoft Graph: user profile, group and directory role memberships, " +
			"registered devices, recent sign-ins and Identity Protection user risk. Needs an app registration with " +
			"User.Read.All, GroupMember.Read.All, Device.Read.All, AuditLog.Read.All and IdentityRiskyUser.Read.All " +
			"(application permissions); sign-in logs need Entra ID P1/P2, user risk needs P2.",
		Settings: azure.Settings(),
		Limits:   limits,
		Skills:   []skill.Spec{userDetailsSpec, riskyUsersSpec},
	}
}

// New implements skill.Plugin: one Graph client (and so one credential and
// token cache) for both skills.
func (p *plugin) New(env skill.Env) ([]skill.Skill, error) {
	c, err := azure.FromEnv(Name, env)
	if err != nil {
		return nil, err
	}
	return []skill.Skill{
		&userDetails{graph: c, now: p.now},
		&riskyUsers{graph: c},
	}, nil
}
