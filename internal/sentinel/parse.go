package sentinel

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// ParseError says which field of a provider reply is not what was expected.
type ParseError struct {
	What string // "incident", "list of incidents", ...
	Path string // JSON path, e.g. $.value[2].properties
	Msg  string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("malformed %s: %s: %s", e.What, e.Path, e.Msg)
}

// decode unmarshals one JSON document, turning decoder errors into a
// *ParseError naming the field.
func decode(what string, data []byte, out any) error {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return &ParseError{What: what, Path: "$", Msg: "empty body: expected a JSON object"}
	}
	if data[0] != '{' {
		return &ParseError{What: what, Path: "$", Msg: "expected a JSON object"}
	}
	err := json.Unmarshal(data, out)
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		path := "$"
		if te.Field != "" {
			path += "." + te.Field
		}
		return &ParseError{What: what, Path: path, Msg: fmt.Sprintf("expected %s, found %s", jsonType(te.Type.Kind().String()), te.Value)}
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &ParseError{What: what, Path: fmt.Sprintf("byte %d", se.Offset), Msg: "not valid JSON: " + se.Error()}
	}
	return &ParseError{What: what, Path: "$", Msg: err.Error()}
}

func jsonType(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "map", "struct":
		return "an object"
	case "slice", "array":
		return "an array"
	case "bool":
		return "a boolean"
	case "float64", "int", "int64":
		return "a number"
	}
	return kind
}

// ParseIncident reads an incident resource (GET/PUT .../incidents/{id}).
func ParseIncident(data []byte) (*Incident, error) {
	var inc Incident
	if err := decode("incident", data, &inc); err != nil {
		return nil, err
	}
	if err := checkIncident(&inc, "$"); err != nil {
		return nil, err
	}
	return &inc, nil
}

func checkIncident(inc *Incident, path string) error {
	if strings.TrimSpace(inc.Name) == "" {
		return &ParseError{What: "incident", Path: path + ".name", Msg: "missing: expected the incident id (a GUID)"}
	}
	if inc.Properties == nil {
		return &ParseError{What: "incident", Path: path + ".properties", Msg: "missing: expected an object"}
	}
	for _, k := range []string{"title", "severity", "status", "lastModifiedTimeUtc", "createdTimeUtc"} {
		if v, ok := inc.Properties[k]; ok && v != nil {
			if _, isStr := v.(string); !isStr {
				return &ParseError{What: "incident", Path: path + ".properties." + k, Msg: "expected a string"}
			}
		}
	}
	return nil
}

// IncidentPage is one page of GET .../incidents.
type IncidentPage struct {
	Value    []Incident `json:"value"`
	NextLink string     `json:"nextLink,omitempty"`
}

// ParseIncidentPage reads one page of the incident list.
func ParseIncidentPage(data []byte) (*IncidentPage, error) {
	var p IncidentPage
	if err := decode("list of incidents", data, &p); err != nil {
		return nil, err
	}
	for i := range p.Value {
		if err := checkIncident(&p.Value[i], fmt.Sprintf("$.value[%d]", i)); err != nil {
			return nil, err
		}
	}
	return &p, nil
}

// ParseEntities reads the answer of POST .../incidents/{id}/entities.
func ParseEntities(data []byte) (*EntitiesResponse, error) {
	var r EntitiesResponse
	if err := decode("list of entities", data, &r); err != nil {
		return nil, err
	}
	for i, e := range r.Entities {
		if e.Kind == "" {
			return nil, &ParseError{What: "list of entities", Path: fmt.Sprintf("$.entities[%d].kind", i), Msg: "missing: expected the entity kind"}
		}
	}
	return &r, nil
}

// ParseAlerts reads the answer of POST .../incidents/{id}/alerts.
func ParseAlerts(data []byte) ([]Entity, error) {
	var r struct {
		Value []Entity `json:"value"`
	}
	if err := decode("list of alerts", data, &r); err != nil {
		return nil, err
	}
	return r.Value, nil
}

// CommentPage is one page of GET .../comments.
type CommentPage struct {
	Value    []Comment `json:"value"`
	NextLink string    `json:"nextLink,omitempty"`
}

// ParseCommentPage reads one page of an incident's comments.
func ParseCommentPage(data []byte) (*CommentPage, error) {
	var p CommentPage
	if err := decode("list of comments", data, &p); err != nil {
		return nil, err
	}
	for i, c := range p.Value {
		if c.Name == "" {
			return nil, &ParseError{What: "list of comments", Path: fmt.Sprintf("$.value[%d].name", i), Msg: "missing: expected the comment id"}
		}
	}
	return &p, nil
}

// ParseComment reads a comment resource (PUT .../comments/{id}).
func ParseComment(data []byte) (*Comment, error) {
	var c Comment
	if err := decode("comment", data, &c); err != nil {
		return nil, err
	}
	if c.Name == "" {
		return nil, &ParseError{What: "comment", Path: "$.name", Msg: "missing: expected the comment id"}
	}
	return &c, nil
}
