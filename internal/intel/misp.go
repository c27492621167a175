package intel

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// opener opens a file of a feed by name (a MISP event file next to the
// manifest), from disk or over HTTP.
type opener func(ctx context.Context, name string) (io.ReadCloser, error)

// mispManifestEntry is one event of a MISP feed's manifest.json.
type mispManifestEntry struct {
	Info      string     `json:"info"`
	Timestamp flexString `json:"timestamp"`
}

// mispEvent is the part of a MISP event an import reads.
type mispEvent struct {
	UUID          string          `json:"uuid"`
	Info          string          `json:"info"`
	Date          string          `json:"date"`
	ThreatLevelID flexString      `json:"threat_level_id"`
	Tag           []mispTag       `json:"Tag"`
	Attribute     []mispAttribute `json:"Attribute"`
	Object        []struct {
		Name      string          `json:"name"`
		Attribute []mispAttribute `json:"Attribute"`
	} `json:"Object"`
}

type mispTag struct {
	Name string `json:"name"`
}

type mispAttribute struct {
	Type      string    `json:"type"`
	Value     string    `json:"value"`
	ToIDs     flexBool  `json:"to_ids"`
	Deleted   flexBool  `json:"deleted"`
	Comment   string    `json:"comment"`
	FirstSeen flexTime  `json:"first_seen"`
	LastSeen  flexTime  `json:"last_seen"`
	Tag       []mispTag `json:"Tag"`
}

// mispTypes maps MISP attribute types to stored types. Composite types
// ("filename|sha256", "ip-dst|port", "domain|ip") are split first; "link"
// (a report's address), "email-dst" (usually the victim) and context types
// such as "text" or "comment" are not indicators.
var mispTypes = map[string]Type{
	"ip-src": TypeIP, "ip-dst": TypeIP, "domain": TypeDomain, "hostname": TypeDomain, "url": TypeURL,
	"md5": TypeMD5, "sha1": TypeSHA1, "sha256": TypeSHA256, "email-src": TypeEmail, "email": TypeEmail,
	"email-reply-to": TypeEmail, "whois-registrant-email": TypeEmail,
}

// ParseMISP reads one MISP event file (or a restSearch response) or a
// hashes.csv without storing it; a manifest needs open to read its events.
func ParseMISP(r io.Reader, name string, def Defaults) (*Parsed, error) {
	k, p := collector(name, FormatMISP, def)
	if err := parseMISP(context.Background(), r, k, nil); err != nil {
		return nil, err
	}
	return p, nil
}

// parseMISP reads any file of a MISP feed: the manifest (then every event
// it lists, through open), an event file, a restSearch response
// ({"response": [{"Event": ...}]}) or hashes.csv (MD5 digests of attribute
// values, stored as TypeDigest).
func parseMISP(ctx context.Context, r io.Reader, k *sink, open opener) error {
	br := bufio.NewReader(io.LimitReader(r, maxJSONFeed+1))
	head, _ := br.Peek(512)
	if t := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return parseMISPHashes(br, k)
	}
	data, err := io.ReadAll(br)
	if err != nil {
		return &InputError{File: k.file, Msg: "reading: " + err.Error()}
	}
	if len(data) > maxJSONFeed {
		return &InputError{File: k.file, Msg: fmt.Sprintf("larger than %d MiB", maxJSONFeed>>20)}
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return &InputError{File: k.file, Line: jsonErrorLine(data, err), Msg: "not a MISP feed file: " + jsonMsg(err)}
	}
	if raw, ok := top["Event"]; ok {
		return mispEventJSON(raw, k)
	}
	if raw, ok := top["response"]; ok {
		var list []struct {
			Event json.RawMessage `json:"Event"`
		}
		if err := json.Unmarshal(raw, &list); err != nil {
			return &InputError{File: k.file, Msg: "response: expected a list of {\"Event\": ...}: " + jsonMsg(err)}
		}
		for _, e := range list {
			if err := mispEventJSON(e.Event, k); err != nil {
				return err
			}
		}
		return nil
	}
	manifest, err := decodeManifest(data)
	if err != nil {
		return &InputError{File: k.file, Line: jsonErrorLine(data, err), Msg: err.Error()}
	}
	if open == nil {
		return &InputError{File: k.file, Msg: "a MISP manifest lists event files that cannot be read from here; import the feed directory"}
	}
	file := k.file
	for _, id := range slices.Sorted(maps.Keys(manifest)) {
		if err := mispEventFile(ctx, open, id, k); err != nil {
			return err
		}
	}
	k.file = file
	return nil
}

// decodeManifest reads manifest.json: event UUID -> summary.
func decodeManifest(data []byte) (map[string]mispManifestEntry, error) {
	var m map[string]mispManifestEntry
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("not a MISP manifest (event UUID -> {info, timestamp, ...}): %w", err)
	}
	for id := range m {
		if !validUUID(id) {
			return nil, fmt.Errorf("manifest key %q: expected an event UUID", clip(id, 60))
		}
	}
	return m, nil
}

// mispEventFile reads the event file <id>.json through open.
func mispEventFile(ctx context.Context, open opener, id string, k *sink) error {
	name := id + ".json"
	rc, err := open(ctx, name)
	if err != nil {
		return &InputError{File: name, Msg: "event listed in the manifest: " + err.Error()}
	}
	defer rc.Close()
	k.file = name
	data, err := io.ReadAll(io.LimitReader(rc, maxJSONFeed+1))
	if err != nil {
		return &InputError{File: name, Msg: "reading: " + err.Error()}
	}
	var top struct {
		Event json.RawMessage `json:"Event"`
	}
	if err := json.Unmarshal(data, &top); err != nil || top.Event == nil {
		msg := `expected {"Event": {...}}`
		if err != nil {
			msg = "not a MISP event: " + jsonMsg(err)
		}
		return &InputError{File: name, Line: jsonErrorLine(data, err), Msg: msg}
	}
	return mispEventJSON(top.Event, k)
}

// mispEventJSON reads one event's attributes, its objects' attributes included.
func mispEventJSON(raw json.RawMessage, k *sink) error {
	var e mispEvent
	if err := json.Unmarshal(raw, &e); err != nil {
		return &InputError{File: k.file, Msg: "not a MISP event: " + jsonMsg(err)}
	}
	conf := NoConfidence
	switch strings.TrimSpace(string(e.ThreatLevelID)) {
	case "1":
		conf = 90
	case "2":
		conf = 75
	case "3":
		conf = 50
	}
	var eventTags []string
	malware := ""
	for _, t := range e.Tag {
		eventTags = append(eventTags, t.Name)
		if m := galaxyMalware(t.Name); m != "" && malware == "" {
			malware = m
		}
	}
	first, _ := parseTime(e.Date)
	attrs := e.Attribute
	for _, o := range e.Object {
		attrs = append(attrs, o.Attribute...)
	}
	for i, a := range attrs {
		obj := fmt.Sprintf("event %s attribute %d", clip(e.UUID, 40), i+1)
		if bool(a.Deleted) {
			continue
		}
		parts := mispValues(a.Type, a.Value)
		if parts == nil {
			k.unsupported(0, obj, "MISP type "+clip(a.Type, 40), "")
			continue
		}
		in := Indicator{Confidence: conf, Malware: malware, Description: e.Info, ObjectID: e.UUID,
			FirstSeen: first, Tags: append([]string{}, eventTags...)}
		if a.Comment != "" {
			in.Description = clip(e.Info, 500) + " — " + a.Comment
		}
		for _, t := range a.Tag {
			in.Tags = append(in.Tags, t.Name)
			if m := galaxyMalware(t.Name); m != "" {
				in.Malware = m
			}
		}
		if !a.FirstSeen.t.IsZero() {
			in.FirstSeen = a.FirstSeen.t
		}
		in.LastSeen = a.LastSeen.t
		if !bool(a.ToIDs) {
			// Context the event's author did not mean for detection.
			if in.Confidence == NoConfidence || in.Confidence > 40 {
				in.Confidence = 40
			}
			in.Tags = append(in.Tags, "misp:to_ids=false")
		}
		for _, p := range parts {
			in.Type, in.Value = p.Type, p.Value
			if err := k.entry(0, obj, in); err != nil {
				return err
			}
		}
	}
	return nil
}

// mispValues splits an attribute into stored values, nil when its type is
// not an indicator Spotter matches.
func mispValues(typ, value string) []PatternValue {
	typ = strings.ToLower(strings.TrimSpace(typ))
	if t, ok := mispTypes[typ]; ok {
		return []PatternValue{{t, value}}
	}
	left, right, ok := strings.Cut(value, "|")
	switch typ {
	case "ip-src|port", "ip-dst|port", "hostname|port":
		t := TypeIP
		if typ == "hostname|port" {
			t = TypeDomain
		}
		return []PatternValue{{t, left}}
	case "domain|ip":
		if !ok {
			return []PatternValue{{TypeDomain, value}}
		}
		return []PatternValue{{TypeDomain, left}, {TypeIP, right}}
	case "filename|md5", "malware-sample":
		return []PatternValue{{TypeMD5, right}}
	case "filename|sha1":
		return []PatternValue{{TypeSHA1, right}}
	case "filename|sha256":
		return []PatternValue{{TypeSHA256, right}}
	}
	return nil
}

// galaxyMalware extracts a family from a galaxy tag such as
// misp-galaxy:malpedia="Emotet" or misp-galaxy:mitre-malware="Emotet - S0367".
func galaxyMalware(tag string) string {
	for _, p := range []string{"misp-galaxy:malpedia=", "misp-galaxy:mitre-malware=", "misp-galaxy:malware="} {
		if v, ok := strings.CutPrefix(tag, p); ok {
			v = strings.Trim(v, `"`)
			if name, _, ok := strings.Cut(v, " - S"); ok {
				v = name
			}
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// parseMISPHashes reads hashes.csv: "md5-of-value,event-uuid" per line.
func parseMISPHashes(r io.Reader, k *sink) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for line := 1; ; line++ {
		raw, err := readLine(br)
		if err != nil && !errors.Is(err, io.EOF) {
			if errors.Is(err, errLineTooLong) {
				k.invalid(line, "", "line too long; expected md5,event-uuid")
				continue
			}
			return &InputError{File: k.file, Line: line, Msg: "reading: " + err.Error()}
		}
		if s := strings.TrimSpace(string(raw)); s != "" && s[0] != '#' {
			digest, event, _ := strings.Cut(s, ",")
			event = strings.TrimSpace(event)
			if event != "" && !validUUID(event) {
				k.invalid(line, "", fmt.Sprintf("event %q: expected an event UUID after the digest", clip(event, 60)))
			} else if e := k.entry(line, "", Indicator{Type: TypeDigest, Value: digest, Confidence: NoConfidence, ObjectID: event,
				Description: "value listed in MISP event " + event}); e != nil {
				return e
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
	}
}

// validUUID checks the 8-4-4-4-12 hex form.
func validUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// flexString accepts a JSON string or number.
type flexString string

// UnmarshalJSON implements json.Unmarshaler.
func (f *flexString) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return nil // null, objects: treated as absent
	}
	*f = flexString(n.String())
	return nil
}

// flexBool accepts true/false, 0/1 and "0"/"1"; anything else is false.
type flexBool bool

// UnmarshalJSON implements json.Unmarshaler.
func (f *flexBool) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	v, err := strconv.ParseBool(s)
	*f = flexBool(err == nil && v)
	return nil
}

// flexTime accepts Unix seconds (number or string) or an ISO 8601 time;
// anything else is unknown.
type flexTime struct{ t time.Time }

// UnmarshalJSON implements json.Unmarshaler.
func (f *flexTime) UnmarshalJSON(b []byte) error {
	var s flexString
	_ = s.UnmarshalJSON(b)
	t, ok := parseTime(string(s))
	if ok {
		f.t = t
	}
	return nil
}
