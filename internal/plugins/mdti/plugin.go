// Package mdti is the Microsoft Defender Threat Intelligence plugin: host
// (domain or IP) reputation through Microsoft Graph's security threat
// intelligence API.
//
// The plugin is optional, off unless enabled: the standalone Defender TI
// product is being retired into Defender XDR and Sentinel, and its API needs
// a Defender TI license with the API add-on that most tenants lack.
package mdti

import (
	"github.com/spotter-soc/spotter/internal/azure"
	"github.com/spotter-soc/spotter/internal/skill"
)

// Name is the plugin name, the prefix of its skill ids and settings.
const Name = "mdti"

// limits are shared by every call of the plugin. Graph does not publish a
// separate limit for the threat intelligence endpoints; 4 per second, one
// request per indicator, stays far below Graph's per-app limits, and the
// gateway honours Retry-After when Graph throttles.
var limits = skill.RateLimit{PerSecond: 4, Burst: 4, Concurrency: 4}

type plugin struct{}

// New returns the Defender Threat Intelligence plugin.
func New() skill.Plugin { return plugin{} }

// Info implements skill.Plugin.
func (plugin) Info() skill.PluginInfo {
	return skill.PluginInfo{
		Name: Name,
		Description: "Microsoft Defender Threat Intelligence through Microsoft Graph: reputation of domains and IP " +
			"addresses (classification, score and the rules behind it). Needs ThreatIntelligence.Read.All and a " +
			"Defender TI license with the API add-on. Optional (set enabled: true): the product is being retired.",
		Settings: azure.Settings(),
		Limits:   limits,
		Skills:   []skill.Spec{reputationSpec},
		Optional: true,
	}
}

// New implements skill.Plugin.
func (plugin) New(env skill.Env) ([]skill.Skill, error) {
	c, err := azure.FromEnv(Name, env)
	if err != nil {
		return nil, err
	}
	return []skill.Skill{&hostReputation{graph: c}}, nil
}
