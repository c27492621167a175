package intel

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// maxJSONFeed bounds one JSON feed file (a STIX bundle or a MISP event).
const maxJSONFeed = 512 << 20

// stixObject holds the fields of the STIX 2.1 objects an import reads:
// indicators, the malware and threat-actor objects they indicate, and the
// relationships between them.
type stixObject struct {
	Type           string   `json:"type"`
	ID             string   `json:"id"`
	Modified       string   `json:"modified"`
	Name           string   `json:"name"`
	Description    string   `json:"description"`
	Pattern        string   `json:"pattern"`
	PatternType    string   `json:"pattern_type"`
	ValidFrom      string   `json:"valid_from"`
	ValidUntil     string   `json:"valid_until"`
	Confidence     *int     `json:"confidence"`
	Labels         []string `json:"labels"`
	IndicatorTypes []string `json:"indicator_types"`
	Revoked        bool     `json:"revoked"`
	External       []struct {
		URL string `json:"url"`
	} `json:"external_references"`
	RelationshipType string `json:"relationship_type"`
	SourceRef        string `json:"source_ref"`
	TargetRef        string `json:"target_ref"`
}

// ParseSTIX reads a STIX 2.1 bundle without storing it.
func ParseSTIX(r io.Reader, name string, def Defaults) (*Parsed, error) {
	k, p := collector(name, FormatSTIX, def)
	if err := parseSTIX(r, k); err != nil {
		return nil, err
	}
	return p, nil
}

// parseSTIX reads a bundle ({"type": "bundle", "objects": [...]}), a TAXII
// envelope ({"objects": [...]}), a JSON array of objects or one object.
// Indicators whose pattern_type is stix and whose pattern is a disjunction
// of supported comparisons (see ParsePattern) become entries: confidence,
// labels and indicator_types as tags, the malware family from an
// "indicates" relationship (threat actors, intrusion sets and campaigns
// become tags), the first external reference URL, valid_from as first
// seen and valid_until as expiry. Revoked and expired indicators withdraw
// their values. Other indicators are counted as unsupported by reason.
func parseSTIX(r io.Reader, k *sink) error {
	data, err := io.ReadAll(io.LimitReader(r, maxJSONFeed+1))
	if err != nil {
		return &InputError{File: k.file, Msg: "reading: " + err.Error()}
	}
	if len(data) > maxJSONFeed {
		return &InputError{File: k.file, Msg: fmt.Sprintf("larger than %d MiB; expected a smaller bundle", maxJSONFeed>>20)}
	}
	raws, err := stixObjects(data)
	if err != nil {
		return &InputError{File: k.file, Line: jsonErrorLine(data, err), Msg: err.Error()}
	}
	return stixImport(raws, k)
}

// stixImport turns decoded objects into entries.
func stixImport(raws []json.RawMessage, k *sink) error {
	objs := make([]stixObject, 0, len(raws))
	for i, raw := range raws {
		var o stixObject
		if err := json.Unmarshal(raw, &o); err != nil {
			k.invalid(0, fmt.Sprintf("object %d", i+1), "not a STIX object: "+jsonMsg(err))
			continue
		}
		objs = append(objs, o)
	}
	named := map[string]stixObject{}
	latest := map[string]int{} // indicator id -> index of its newest version
	for i, o := range objs {
		switch o.Type {
		case "malware", "threat-actor", "intrusion-set", "campaign":
			named[o.ID] = o
		case "indicator":
			if j, ok := latest[o.ID]; !ok || newer(o.Modified, objs[j].Modified) {
				latest[o.ID] = i
			}
		}
	}
	family, tags := map[string]string{}, map[string][]string{}
	for _, o := range objs {
		if o.Type != "relationship" || o.RelationshipType != "indicates" {
			continue
		}
		t, ok := named[o.TargetRef]
		if !ok || strings.TrimSpace(t.Name) == "" {
			continue
		}
		if t.Type == "malware" {
			if family[o.SourceRef] == "" {
				family[o.SourceRef] = t.Name
			}
			continue
		}
		tags[o.SourceRef] = append(tags[o.SourceRef], t.Type+":"+t.Name)
	}
	for i, o := range objs {
		if o.Type != "indicator" || latest[o.ID] != i {
			continue
		}
		if err := stixIndicator(o, family[o.ID], tags[o.ID], k); err != nil {
			return err
		}
	}
	return nil
}

// stixIndicator stores, withdraws or rejects one indicator.
func stixIndicator(o stixObject, malware string, extraTags []string, k *sink) error {
	id := o.ID
	if id == "" {
		id = "indicator without id"
	}
	if pt := strings.ToLower(strings.TrimSpace(o.PatternType)); pt != "stix" && pt != "" {
		k.unsupported(0, id, "pattern_type "+clip(pt, 40), "")
		return nil
	}
	values, err := ParsePattern(o.Pattern)
	var ue *UnsupportedError
	switch {
	case errors.As(err, &ue):
		k.unsupported(0, id, ue.Reason, o.Pattern)
		return nil
	case err != nil:
		k.invalid(0, id, err.Error()+": "+clip(o.Pattern, 200))
		return nil
	}
	validUntil, ok := parseTime(o.ValidUntil)
	if !ok {
		k.invalid(0, id, fmt.Sprintf("valid_until %q: expected an RFC 3339 timestamp", clip(o.ValidUntil, 40)))
		return nil
	}
	if o.Revoked || !validUntil.IsZero() && !validUntil.After(k.now) {
		for _, v := range values {
			if t, val, err := Normalize(v.Type, v.Value); err == nil {
				if err := k.remove(Key{t, val}); err != nil {
					return err
				}
			}
		}
		return nil
	}
	validFrom, _ := parseTime(o.ValidFrom)
	conf := NoConfidence
	if o.Confidence != nil {
		if *o.Confidence < 0 || *o.Confidence > 100 {
			k.invalid(0, id, fmt.Sprintf("confidence %d: expected 0 to 100", *o.Confidence))
			return nil
		}
		conf = *o.Confidence
	}
	desc := o.Name
	if desc == "" {
		desc = o.Description
	}
	ref := ""
	for _, e := range o.External {
		if strings.HasPrefix(e.URL, "https://") || strings.HasPrefix(e.URL, "http://") {
			ref = e.URL
			break
		}
	}
	tags := append(append(append([]string{}, o.Labels...), o.IndicatorTypes...), extraTags...)
	for _, v := range values {
		in := Indicator{Type: v.Type, Value: v.Value, Confidence: conf, Tags: tags, Malware: malware, Reference: ref,
			Description: desc, ObjectID: o.ID, FirstSeen: validFrom, ValidUntil: validUntil}
		if err := k.entry(0, id, in); err != nil {
			return err
		}
	}
	return nil
}

// newer reports whether STIX timestamp a is later than b.
func newer(a, b string) bool {
	ta, okA := parseTime(a)
	tb, okB := parseTime(b)
	if !okA || !okB {
		return a > b
	}
	return ta.After(tb)
}

// stixObjects finds the object list of a bundle, envelope, array or object.
func stixObjects(data []byte) ([]json.RawMessage, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, errors.New("empty file; expected a STIX bundle")
	}
	if trimmed[0] == '[' {
		var list []json.RawMessage
		if err := json.Unmarshal(trimmed, &list); err != nil {
			return nil, fmt.Errorf("not a JSON array of STIX objects: %w", err)
		}
		return list, nil
	}
	var top struct {
		Type    string            `json:"type"`
		Objects []json.RawMessage `json:"objects"`
	}
	if err := json.Unmarshal(trimmed, &top); err != nil {
		return nil, fmt.Errorf("not a STIX bundle: %w", err)
	}
	switch {
	case top.Objects != nil:
		return top.Objects, nil
	case top.Type == "bundle":
		return nil, nil
	case top.Type != "":
		return []json.RawMessage{trimmed}, nil
	}
	return nil, errors.New(`no "objects" list; expected a STIX bundle {"type": "bundle", "objects": [...]}`)
}

// jsonMsg shortens an encoding/json error.
func jsonMsg(err error) string {
	return clip(strings.TrimPrefix(err.Error(), "json: "), 200)
}

// jsonErrorLine finds the line of a JSON syntax error, 0 when unknown.
func jsonErrorLine(data []byte, err error) int {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	off := int64(-1)
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 || off > int64(len(data)) {
		return 0
	}
	return bytes.Count(data[:off], []byte("\n")) + 1
}

// stixTime formats a time the way STIX writes timestamps.
func stixTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
