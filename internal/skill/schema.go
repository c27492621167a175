package skill

import "strings"

// JSONSchema returns the JSON Schema (draft 2020-12) of the skill's inputs.
func (s Spec) JSONSchema() map[string]any {
	props := map[string]any{}
	required := []string{}
	for _, in := range s.Inputs {
		p := map[string]any{"description": in.Description}
		switch in.Type {
		case TypeStringList:
			p["type"] = "array"
			p["items"] = map[string]any{"type": "string"}
			if in.Min != nil {
				p["minItems"] = *in.Min
			}
			if in.Max != nil {
				p["maxItems"] = *in.Max
			}
		default:
			p["type"] = string(in.Type)
			if in.Min != nil {
				p["minimum"] = *in.Min
			}
			if in.Max != nil {
				p["maximum"] = *in.Max
			}
		}
		if len(in.Enum) > 0 {
			p["enum"] = in.Enum
		}
		if in.Default != nil {
			p["default"] = in.Default
		}
		props[in.Name] = p
		if in.Required {
			required = append(required, in.Name)
		}
	}
	return map[string]any{
		"$schema":              "https://json-schema.org/draft/2020-12/schema",
		"$id":                  "https://spotter.invalid/skills/" + s.ID + ".json",
		"title":                s.ID,
		"description":          s.Description,
		"type":                 "object",
		"properties":           props,
		"required":             required,
		"additionalProperties": false,
	}
}

// Tool is a function-calling tool definition for a model.
type Tool struct {
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Parameters  map[string]any `json:"parameters"`
}

// ToolName is the skill id in the form model APIs accept ([a-zA-Z0-9_-]).
func (s Spec) ToolName() string { return strings.ReplaceAll(s.ID, ".", "__") }

// Tool returns the skill as a tool definition for a model.
func (s Spec) Tool() Tool {
	desc := s.ModelDescription
	if desc == "" {
		desc = s.Description
	}
	params := s.JSONSchema()
	delete(params, "$schema")
	delete(params, "$id")
	delete(params, "title")
	return Tool{Name: s.ToolName(), Description: desc, Parameters: params}
}
