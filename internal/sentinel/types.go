// Package sentinel connects Spotter to Microsoft Sentinel (Azure Resource
// Manager, Microsoft.SecurityInsights) and Defender XDR (Microsoft Graph
// security incidents): clients on azcore's pipeline whose requests go
// through the gateway, the report poster that splits a long report into
// numbered comments with ids derived from the run, the incident poller with
// its cursor in the database, and the webhook that starts a run per
// incident revision.
package sentinel

import (
	"encoding/json"
	"strings"
)

// Incident is an ARM incident resource. Properties keeps every field as
// received, so an update sends back what Spotter does not know about.
type Incident struct {
	ID         string         `json:"id"`
	Name       string         `json:"name"`
	Type       string         `json:"type,omitempty"`
	ETag       string         `json:"etag,omitempty"`
	Properties map[string]any `json:"properties"`
}

// Incident property values.
const (
	SeverityHigh          = "High"
	SeverityMedium        = "Medium"
	SeverityLow           = "Low"
	SeverityInformational = "Informational"
	StatusNew             = "New"
	StatusActive          = "Active"
	StatusClosed          = "Closed"
)

// Str returns a string property ("" when absent or not a string).
func (i *Incident) Str(name string) string {
	s, _ := i.Properties[name].(string)
	return s
}

// Title, Severity, Status, LastModified and Created read the common properties.
func (i *Incident) Title() string        { return i.Str("title") }
func (i *Incident) Severity() string     { return i.Str("severity") }
func (i *Incident) Status() string       { return i.Str("status") }
func (i *Incident) LastModified() string { return i.Str("lastModifiedTimeUtc") }
func (i *Incident) Created() string      { return i.Str("createdTimeUtc") }

// Number is the incident number, 0 when absent.
func (i *Incident) Number() int {
	switch n := i.Properties["incidentNumber"].(type) {
	case float64:
		return int(n)
	case json.Number:
		v, _ := n.Int64()
		return int(v)
	}
	return 0
}

// Products are additionalData.alertProductNames.
func (i *Incident) Products() []string {
	ad, _ := i.Properties["additionalData"].(map[string]any)
	return strList(ad["alertProductNames"])
}

// CommentsCount is additionalData.commentsCount (-1 when absent).
func (i *Incident) CommentsCount() int {
	ad, _ := i.Properties["additionalData"].(map[string]any)
	if n, ok := ad["commentsCount"].(float64); ok {
		return int(n)
	}
	return -1
}

// Labels are the label names.
func (i *Incident) Labels() []string {
	var out []string
	arr, _ := i.Properties["labels"].([]any)
	for _, l := range arr {
		if m, ok := l.(map[string]any); ok {
			if s, _ := m["labelName"].(string); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// SetLabels replaces the labels with user labels of these names; labels
// the service assigned are sent back unchanged (their type is read-only).
func (i *Incident) SetLabels(names []string) {
	had := map[string]any{}
	arr, _ := i.Properties["labels"].([]any)
	for _, l := range arr {
		if m, ok := l.(map[string]any); ok {
			if s, _ := m["labelName"].(string); s != "" && had[s] == nil {
				had[s] = m
			}
		}
	}
	labels := make([]any, 0, len(names))
	for _, n := range names {
		if l := had[n]; l != nil {
			labels = append(labels, l)
			continue
		}
		labels = append(labels, map[string]any{"labelName": n, "labelType": "User"})
	}
	i.Properties["labels"] = labels
}

// Entity is one incident entity (and, with kind SecurityAlert, an alert).
type Entity struct {
	ID         string         `json:"id"`
	Name       string         `json:"name"`
	Type       string         `json:"type,omitempty"`
	Kind       string         `json:"kind"`
	Properties map[string]any `json:"properties"`
}

// EntitiesResponse is the answer of POST .../incidents/{id}/entities.
type EntitiesResponse struct {
	Entities []Entity        `json:"entities"`
	MetaData []EntityKindSum `json:"metaData,omitempty"`
}

// EntityKindSum counts entities of one kind.
type EntityKindSum struct {
	EntityKind string `json:"entityKind"`
	Count      int    `json:"count"`
}

// Comment is an incident comment.
type Comment struct {
	ID         string            `json:"id,omitempty"`
	Name       string            `json:"name"`
	ETag       string            `json:"etag,omitempty"`
	Properties CommentProperties `json:"properties"`
}

// CommentProperties are a comment's fields; only message is writable.
type CommentProperties struct {
	Message      string         `json:"message"`
	Created      string         `json:"createdTimeUtc,omitempty"`
	LastModified string         `json:"lastModifiedTimeUtc,omitempty"`
	Author       map[string]any `json:"author,omitempty"`
}

func strList(v any) []string {
	arr, _ := v.([]any)
	var out []string
	for _, x := range arr {
		if s, ok := x.(string); ok && strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	return out
}
