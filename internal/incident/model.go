// Package incident reads Microsoft Sentinel incidents in the shapes Spotter
// receives them, and sorts their entities into the categories an
// investigation works on.
package incident

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Incident is the normalised form of a Sentinel incident, whatever shape it
// arrived in.
type Incident struct {
	ID                   string    `json:"id,omitempty"`   // ARM resource id
	Name                 string    `json:"name,omitempty"` // incident GUID
	Number               int       `json:"number,omitempty"`
	Title                string    `json:"title"`
	Description          string    `json:"description,omitempty"`
	Severity             string    `json:"severity,omitempty"`
	Status               string    `json:"status,omitempty"`
	Classification       string    `json:"classification,omitempty"`
	ClassificationReason string    `json:"classification_reason,omitempty"`
	Owner                string    `json:"owner,omitempty"`
	Labels               []string  `json:"labels"`
	Tactics              []string  `json:"tactics"`
	Techniques           []string  `json:"techniques"`
	Products             []string  `json:"products"`
	Created              string    `json:"created,omitempty"`
	FirstActivity        string    `json:"first_activity,omitempty"`
	LastActivity         string    `json:"last_activity,omitempty"`
	LastModified         string    `json:"last_modified,omitempty"`
	URL                  string    `json:"url,omitempty"`
	ProviderName         string    `json:"provider_name,omitempty"`
	ProviderIncidentID   string    `json:"provider_incident_id,omitempty"`
	ETag                 string    `json:"etag,omitempty"`
	Workspace            Workspace `json:"workspace"`
	Alerts               []Alert   `json:"alerts"`
	Comments             []Comment `json:"comments"`
	// Entities are every entity of the incident, alert entities excluded, in input order.
	Entities []Entity `json:"-"`
	// Shape names the input shape that was recognised.
	Shape Shape `json:"shape"`
	// EventType is Create or Update for automation-trigger payloads.
	EventType string `json:"event_type,omitempty"`

	seen map[string]struct{} // entity ids already read
}

// Workspace locates the Log Analytics workspace that owns the incident.
type Workspace struct {
	SubscriptionID string `json:"subscription_id,omitempty"`
	ResourceGroup  string `json:"resource_group,omitempty"`
	Name           string `json:"name,omitempty"`
	ID             string `json:"id,omitempty"`
}

// Alert is the part of a SecurityAlert entity an investigation reports.
type Alert struct {
	ID          string   `json:"id,omitempty"`
	Name        string   `json:"name"`
	Severity    string   `json:"severity,omitempty"`
	Status      string   `json:"status,omitempty"`
	Product     string   `json:"product,omitempty"`
	Description string   `json:"description,omitempty"`
	Tactics     []string `json:"tactics"`
	Techniques  []string `json:"techniques"`
	Start       string   `json:"start,omitempty"`
	End         string   `json:"end,omitempty"`
	Link        string   `json:"link,omitempty"`
}

// Comment is an existing comment on the incident.
type Comment struct {
	Message string `json:"message"`
	Author  string `json:"author,omitempty"`
	Created string `json:"created,omitempty"`
}

// Shape is an input layout Spotter recognises.
type Shape string

// The recognised input shapes.
const (
	// ShapeTrigger is the body a Sentinel automation rule hands a playbook's incident trigger.
	ShapeTrigger Shape = "sentinel-trigger"
	// ShapeARM is {"incident": <ARM incident>, "entities": [<ARM entity>, ...]}.
	ShapeARM Shape = "arm-incident"
	// ShapeARMList is {"incident": ..., "entities": {"entities": [...], "metaData": [...]}}.
	ShapeARMList Shape = "arm-incident-entities-response"
)

// Entity is one Sentinel entity: its envelope and its kind-specific properties.
type Entity struct {
	ID         string         `json:"id,omitempty"`
	Name       string         `json:"name,omitempty"`
	Kind       string         `json:"kind"`
	Properties map[string]any `json:"properties"`
	// Path is the JSON path the entity was read from, for messages.
	Path string `json:"-"`
}

// Str returns a string property, or "" when absent or not a string.
// Numbers are formatted, since Sentinel is inconsistent about which ids are numeric.
func (e Entity) Str(name string) string {
	return asString(e.Properties[name])
}

// Strs returns a property that is a list of strings; a single string is a one-element list.
func (e Entity) Strs(name string) []string {
	switch v := e.Properties[name].(type) {
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			if s := asString(x); s != "" {
				out = append(out, s)
			}
		}
		return out
	case string:
		if v != "" {
			return []string{v}
		}
	}
	return nil
}

// Obj returns a nested object property, or nil.
func (e Entity) Obj(name string) map[string]any {
	m, _ := e.Properties[name].(map[string]any)
	return m
}

// Objs returns a property that is a list of objects.
func (e Entity) Objs(name string) []map[string]any {
	arr, _ := e.Properties[name].([]any)
	var out []map[string]any
	for _, x := range arr {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// AdditionalString reads additionalData.<name> as a string.
func (e Entity) AdditionalString(name string) string {
	return asString(e.Obj("additionalData")[name])
}

// Display is a short human label for the entity.
func (e Entity) Display() string {
	if s := e.Str("friendlyName"); s != "" {
		return s
	}
	for _, k := range []string{"address", "hostName", "accountName", "url", "domainName", "hashValue", "commandLine", "fileName", "malwareName", "appName", "resourceId", "key", "valueName", "subject", "mailboxPrimaryAddress", "alertDisplayName"} {
		if s := e.Str(k); s != "" {
			return s
		}
	}
	if e.Name != "" {
		return e.Name
	}
	return "(no properties)"
}

func asString(v any) string {
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x)
	case json.Number:
		return x.String()
	case float64:
		return fmt.Sprint(x)
	case bool:
		if x {
			return "true"
		}
		return "false"
	}
	return ""
}
