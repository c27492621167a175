// Package intune is the Microsoft Intune plugin: managed device compliance,
// last check-in, encryption, jailbreak and partner-reported threat state,
// read from Microsoft Graph.
package intune

import (
	"time"

	"github.com/spotter-soc/spotter/internal/azure"
	"github.com/spotter-soc/spotter/internal/skill"
)

// Name is the plugin name, the prefix of its skill ids and settings.
const Name = "intune"

// limits are shared by every call of the plugin. Intune's Graph endpoints
// have their own, lower, per-tenant limits than the rest of Graph, and the
// app registration is usually the one the entra plugin uses; 4 per second is
// well inside them while a lookup makes one or two requests. The gateway
// honours Retry-After when Graph throttles anyway.
var limits = skill.RateLimit{PerSecond: 4, Burst: 4, Concurrency: 4}

type plugin struct {
	now func() time.Time
}

// New returns the Intune plugin.
func New() skill.Plugin { return &plugin{now: time.Now} }

// Info implements skill.Plugin.
func (p *plugin) Info() skill.PluginInfo {
	return skill.PluginInfo{
		Name: Name,
		Description: "Microsoft Intune through Microsoft Graph: managed devices by name or user, with compliance, last " +
			"check-in, OS, encryption, ownership, jailbreak and partner-reported threat state. Needs an app " +
			"registration with DeviceManagementManagedDevices.Read.All (application permission).",
		Settings: azure.Settings(),
		Limits:   limits,
		Skills:   []skill.Spec{devicesSpec},
	}
}

// New implements skill.Plugin.
func (p *plugin) New(env skill.Env) ([]skill.Skill, error) {
	c, err := azure.FromEnv(Name, env)
	if err != nil {
		return nil, err
	}
	return []skill.Skill{&devices{graph: c, now: p.now}}, nil
}
