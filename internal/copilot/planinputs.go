package copilot

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spotter-soc/spotter/internal/skill"
)

// This file maps a skill's inputs to the kinds of entity they take, and an
// entity list to the calls that fill them.

// acceptedKinds maps the kinds of entity a skill takes to the input taking
// them: the indicator input and required inputs by their names, or every
// input when none is required; unknown names fall back to Enriches.
func acceptedKinds(s skill.Spec) map[Kind]string {
	out := map[Kind]string{}
	anyRequired := slices.ContainsFunc(s.Inputs, func(in skill.Input) bool { return in.Required })
	for _, in := range s.Inputs {
		if in.Type != skill.TypeString && in.Type != skill.TypeStringList {
			continue
		}
		if anyRequired && !in.Required && in.Name != s.IndicatorInput {
			continue
		}
		kinds := kindsByInputName(in.Name)
		if len(kinds) == 0 && in.Name == s.IndicatorInput {
			kinds = kindsByEnriches(s.Enriches)
		}
		for _, k := range kinds {
			if _, taken := out[k]; !taken {
				out[k] = in.Name
			}
		}
	}
	return out
}

func kindsByInputName(name string) []Kind {
	switch strings.ToLower(name) {
	case "ip", "ips", "address":
		return []Kind{KindIP}
	case "host", "hosts":
		return []Kind{KindIP, KindDomain}
	case "url", "urls":
		return []Kind{KindURL}
	case "domain", "domains":
		return []Kind{KindDomain}
	case "hash", "hashes", "sha256", "md5":
		return []Kind{KindHash}
	case "ioc", "iocs", "indicator", "indicators", "observable":
		return []Kind{KindIP, KindDomain, KindURL, KindHash}
	case "user", "users", "upn", "account", "accounts":
		return []Kind{KindUser}
	case "device", "devices", "hostname", "computer":
		return []Kind{KindHost}
	case "cmdline", "cmdlines", "command_line", "command_lines":
		return []Kind{KindCmdline}
	case "network", "cidr":
		return []Kind{KindCIDR}
	case "incident", "incident_id":
		return []Kind{KindIncident}
	}
	return nil
}

func kindsByEnriches(enriches []string) []Kind {
	var out []Kind
	for _, e := range enriches {
		switch e {
		case "ip", "domain", "url", "hash":
			out = append(out, Kind(e))
		case "account":
			out = append(out, KindUser)
		case "host":
			out = append(out, KindHost)
		case "process":
			out = append(out, KindCmdline)
		}
	}
	return out
}

// fillable reports whether the prompt's entities can fill the skill's
// required inputs and at least one input.
func fillable(c *candidate, ents Entities) bool {
	filled := map[string]bool{}
	for k, in := range c.accepts {
		if len(ents[k]) > 0 {
			filled[in] = true
		}
	}
	if len(filled) == 0 {
		return false
	}
	for _, in := range c.spec.Inputs {
		if in.Required && !filled[in.Name] && in.Default == nil {
			return false
		}
	}
	return true
}

// maxCallsPerSkill bounds how many calls one skill gets for one prompt.
const maxCallsPerSkill = 10

// steps turns a chosen skill and the kinds it was chosen for into calls:
// list inputs in batches of their Max (ten when unset), string inputs one
// call per entity.
func steps(c *candidate, kinds []Kind, ents Entities) []Step {
	byInput := map[string][]string{}
	var order []string
	for _, k := range kinds {
		in := c.accepts[k]
		if _, seen := byInput[in]; !seen {
			order = append(order, in)
		}
		byInput[in] = append(byInput[in], ents[k]...)
	}
	reason := strings.Join(c.why, "; ")
	var out []Step
	for _, name := range order {
		in, _ := c.spec.Input(name)
		vals := byInput[name]
		why := fmt.Sprintf("takes %s %s", kindWords(kinds), quoteList(vals))
		if reason != "" {
			why = reason + "; " + why
		}
		if in.Type == skill.TypeStringList {
			size := 10
			if in.Max != nil && *in.Max > 0 {
				size = *in.Max
			}
			for _, b := range skill.Batches(vals, size) {
				out = append(out, Step{Skill: c.spec.ID, Inputs: map[string]any{name: b}, Reason: why})
			}
			continue
		}
		for _, v := range vals {
			out = append(out, Step{Skill: c.spec.ID, Inputs: map[string]any{name: v}, Reason: why})
		}
	}
	if len(out) > maxCallsPerSkill {
		out = out[:maxCallsPerSkill]
	}
	return out
}
