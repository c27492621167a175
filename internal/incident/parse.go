package incident

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// InputError says what is wrong with an input document and where.
type InputError struct {
	Path string // JSON path such as $.object.properties.title, or line:col for syntax errors
	Msg  string // what was expected
}

func (e *InputError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

func inputErr(path, format string, args ...any) error {
	return &InputError{Path: path, Msg: fmt.Sprintf(format, args...)}
}

// MaxInputBytes bounds the size of one incident document.
const MaxInputBytes = 64 << 20

// Parse reads an incident in any recognised shape (see Shape) and returns it
// normalised. Errors are *InputError values naming the JSON path and what was
// expected there.
func Parse(data []byte) (*Incident, error) {
	if len(data) > MaxInputBytes {
		return nil, inputErr("$", "document is %d bytes; expected at most %d", len(data), MaxInputBytes)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // UTF-8 BOM, as saved by some Windows tools
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var root any
	if err := dec.Decode(&root); err != nil {
		return nil, syntaxError(data, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, inputErr(position(data, dec.InputOffset()), "unexpected data after the JSON document")
	}
	top, ok := root.(map[string]any)
	if !ok {
		return nil, inputErr("$", "expected a JSON object, found %s", typeName(root))
	}
	switch {
	case has(top, "object"):
		return parseTrigger(top)
	case has(top, "incident"):
		return parseARM(top)
	case has(top, "properties") && strings.Contains(strings.ToLower(asString(top["type"])), "securityinsights/incidents"):
		return parseBareIncident(top)
	}
	return nil, inputErr("$", "no known incident shape: expected $.object.properties (Sentinel automation trigger), "+
		"$.incident.properties with $.entities (ARM incident and its entities) or an ARM incident resource; found keys %s", keyList(top))
}

func parseTrigger(top map[string]any) (*Incident, error) {
	obj, err := object(top, "object", "$.object", true)
	if err != nil {
		return nil, err
	}
	inc, props, err := readIncident(obj, "$.object")
	if err != nil {
		return nil, err
	}
	inc.Shape = ShapeTrigger
	inc.EventType = asString(top["objectEventType"])
	if ws, _ := top["workspaceInfo"].(map[string]any); ws != nil {
		inc.Workspace.SubscriptionID = asString(ws["SubscriptionId"])
		inc.Workspace.ResourceGroup = asString(ws["ResourceGroupName"])
		inc.Workspace.Name = asString(ws["WorkspaceName"])
	}
	inc.Workspace.ID = asString(top["workspaceId"])
	if err := readEntityList(inc, props["relatedEntities"], "$.object.properties.relatedEntities"); err != nil {
		return nil, err
	}
	if err := readEntityList(inc, props["alerts"], "$.object.properties.alerts"); err != nil {
		return nil, err
	}
	if err := readComments(inc, props["comments"], "$.object.properties.comments"); err != nil {
		return nil, err
	}
	return inc, nil
}

func parseARM(top map[string]any) (*Incident, error) {
	obj, err := object(top, "incident", "$.incident", true)
	if err != nil {
		return nil, err
	}
	inc, props, err := readIncident(obj, "$.incident")
	if err != nil {
		return nil, err
	}
	inc.Shape = ShapeARM
	switch ents := top["entities"].(type) {
	case nil:
		// An incident without entities still has a title and description to investigate.
	case []any:
		if err := readEntityList(inc, ents, "$.entities"); err != nil {
			return nil, err
		}
	case map[string]any:
		inc.Shape = ShapeARMList
		if !has(ents, "entities") {
			return nil, inputErr("$.entities.entities", "missing: expected the list-entities response {\"entities\": [...], \"metaData\": [...]}")
		}
		if err := readEntityList(inc, ents["entities"], "$.entities.entities"); err != nil {
			return nil, err
		}
	default:
		return nil, inputErr("$.entities", "expected an array of entities or a list-entities response object, found %s", typeName(ents))
	}
	// Trigger-style embedded lists are honoured here too, for hand-assembled files.
	if err := readEntityList(inc, props["relatedEntities"], "$.incident.properties.relatedEntities"); err != nil {
		return nil, err
	}
	if err := readEntityList(inc, props["alerts"], "$.incident.properties.alerts"); err != nil {
		return nil, err
	}
	if err := readComments(inc, top["comments"], "$.comments"); err != nil {
		return nil, err
	}
	return inc, nil
}

func parseBareIncident(top map[string]any) (*Incident, error) {
	inc, props, err := readIncident(top, "$")
	if err != nil {
		return nil, err
	}
	inc.Shape = ShapeARM
	if err := readEntityList(inc, props["relatedEntities"], "$.properties.relatedEntities"); err != nil {
		return nil, err
	}
	return inc, readEntityList(inc, props["alerts"], "$.properties.alerts")
}

// readIncident reads the ARM incident envelope at path and its properties.
func readIncident(obj map[string]any, path string) (*Incident, map[string]any, error) {
	props, err := object(obj, "properties", path+".properties", true)
	if err != nil {
		return nil, nil, err
	}
	pp := path + ".properties"
	inc := &Incident{}
	r := reader{m: obj, path: path}
	inc.ID = r.str("id")
	inc.Name = r.str("name")
	inc.ETag = r.str("etag")
	p := reader{m: props, path: pp}
	inc.Title = p.str("title")
	if inc.Title == "" && r.err == nil && p.err == nil {
		return nil, nil, inputErr(pp+".title", "missing: expected the incident title (a non-empty string)")
	}
	inc.Description = p.str("description")
	inc.Severity = p.str("severity")
	inc.Status = p.str("status")
	inc.Classification = p.str("classification")
	inc.ClassificationReason = p.str("classificationReason")
	inc.Number = p.integer("incidentNumber")
	inc.Created = p.str("createdTimeUtc")
	inc.FirstActivity = p.str("firstActivityTimeUtc")
	inc.LastActivity = p.str("lastActivityTimeUtc")
	inc.LastModified = p.str("lastModifiedTimeUtc")
	inc.URL = p.str("incidentUrl")
	inc.ProviderName = p.str("providerName")
	inc.ProviderIncidentID = p.str("providerIncidentId")
	if owner := p.obj("owner"); owner != nil {
		o := reader{m: owner, path: pp + ".owner"}
		for _, k := range []string{"assignedTo", "userPrincipalName", "email"} {
			if s := o.str(k); s != "" {
				inc.Owner = s
				break
			}
		}
		p.fail(o.err)
	}
	for i, l := range p.list("labels") {
		switch v := l.(type) {
		case string:
			inc.Labels = appendNew(inc.Labels, v)
		case map[string]any:
			lr := reader{m: v, path: fmt.Sprintf("%s.labels[%d]", pp, i)}
			inc.Labels = appendNew(inc.Labels, lr.str("labelName"))
			p.fail(lr.err)
		default:
			p.fail(inputErr(fmt.Sprintf("%s.labels[%d]", pp, i), "expected an object with labelName, found %s", typeName(l)))
		}
	}
	if ad := p.obj("additionalData"); ad != nil {
		a := reader{m: ad, path: pp + ".additionalData"}
		inc.Tactics = appendNew(inc.Tactics, a.strs("tactics")...)
		inc.Techniques = appendNew(inc.Techniques, a.strs("techniques")...)
		inc.Products = appendNew(inc.Products, a.strs("alertProductNames")...)
		p.fail(a.err)
	}
	if err := firstErr(r.err, p.err); err != nil {
		return nil, nil, err
	}
	inc.Labels, inc.Tactics, inc.Techniques, inc.Products = nonNil(inc.Labels), nonNil(inc.Tactics), nonNil(inc.Techniques), nonNil(inc.Products)
	inc.Alerts, inc.Comments = []Alert{}, []Comment{}
	return inc, props, nil
}

// readEntityList appends the entities of a JSON array to inc. SecurityAlert
// entities become alerts; an entity id seen before is not added twice.
func readEntityList(inc *Incident, v any, path string) error {
	if v == nil {
		return nil
	}
	arr, ok := v.([]any)
	if !ok {
		return inputErr(path, "expected an array of entities, found %s", typeName(v))
	}
	for i, item := range arr {
		ep := fmt.Sprintf("%s[%d]", path, i)
		m, ok := item.(map[string]any)
		if !ok {
			return inputErr(ep, "expected an entity object, found %s", typeName(item))
		}
		r := reader{m: m, path: ep}
		e := Entity{ID: r.str("id"), Name: r.str("name"), Kind: r.str("kind"), Path: ep}
		if r.err != nil {
			return r.err
		}
		if e.Kind == "" {
			return inputErr(ep+".kind", "missing: expected the entity kind (Account, Host, Ip, ...)")
		}
		props, err := object(m, "properties", ep+".properties", false)
		if err != nil {
			return err
		}
		if props == nil {
			props = map[string]any{}
		}
		e.Properties = props
		if strings.EqualFold(e.Kind, "SecurityAlert") {
			if err := addAlert(inc, e); err != nil {
				return err
			}
			continue
		}
		if e.ID != "" {
			if _, dup := inc.seen[e.ID]; dup {
				continue
			}
			if inc.seen == nil {
				inc.seen = map[string]struct{}{}
			}
			inc.seen[e.ID] = struct{}{}
		}
		inc.Entities = append(inc.Entities, e)
	}
	return nil
}

func addAlert(inc *Incident, e Entity) error {
	for _, a := range inc.Alerts {
		if e.ID != "" && a.ID == e.ID {
			return nil
		}
	}
	r := reader{m: e.Properties, path: e.Path + ".properties"}
	a := Alert{
		ID:          e.ID,
		Name:        r.str("alertDisplayName"),
		Severity:    r.str("severity"),
		Status:      r.str("status"),
		Product:     r.str("productName"),
		Description: r.str("description"),
		Tactics:     nonNil(r.strs("tactics")),
		Techniques:  nonNil(r.strs("techniques")),
		Start:       r.str("startTimeUtc"),
		End:         r.str("endTimeUtc"),
		Link:        r.str("alertLink"),
	}
	if r.err != nil {
		return r.err
	}
	if a.Name == "" {
		a.Name = e.Display()
	}
	inc.Alerts = append(inc.Alerts, a)
	inc.Tactics = appendNew(inc.Tactics, a.Tactics...)
	inc.Techniques = appendNew(inc.Techniques, a.Techniques...)
	if a.Product != "" {
		inc.Products = appendNew(inc.Products, a.Product)
	}
	return nil
}

func readComments(inc *Incident, v any, path string) error {
	if v == nil {
		return nil
	}
	arr, ok := v.([]any)
	if !ok {
		return inputErr(path, "expected an array of comments, found %s", typeName(v))
	}
	for i, item := range arr {
		cp := fmt.Sprintf("%s[%d]", path, i)
		m, ok := item.(map[string]any)
		if !ok {
			return inputErr(cp, "expected a comment object, found %s", typeName(item))
		}
		// Comments come either as ARM resources (message under properties) or flattened.
		if p, ok := m["properties"].(map[string]any); ok {
			m, cp = p, cp+".properties"
		}
		r := reader{m: m, path: cp}
		c := Comment{Message: r.str("message"), Created: r.str("createdTimeUtc")}
		if author := r.obj("author"); author != nil {
			ar := reader{m: author, path: cp + ".author"}
			c.Author = cmp.Or(ar.str("name"), ar.str("userPrincipalName"), ar.str("email"))
			r.fail(ar.err)
		}
		if r.err != nil {
			return r.err
		}
		inc.Comments = append(inc.Comments, c)
	}
	return nil
}

// reader reads typed fields from a JSON object and remembers the first type error.
type reader struct {
	m    map[string]any
	path string
	err  error
}

func (r *reader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

func (r *reader) str(k string) string {
	switch v := r.m[k].(type) {
	case nil:
		return ""
	case string:
		return strings.TrimSpace(v)
	case json.Number:
		return v.String()
	case bool:
		return asString(v)
	default:
		r.fail(inputErr(r.path+"."+k, "expected a string, found %s", typeName(v)))
		return ""
	}
}

func (r *reader) integer(k string) int {
	switch v := r.m[k].(type) {
	case nil:
		return 0
	case json.Number:
		n, err := v.Int64()
		if err != nil || n < 0 || n > 1<<31 {
			r.fail(inputErr(r.path+"."+k, "expected a non-negative integer, found %s", v))
		}
		return int(n)
	case string: // some exports quote numbers
		var n int
		if _, err := fmt.Sscan(v, &n); err != nil || n < 0 {
			r.fail(inputErr(r.path+"."+k, "expected a non-negative integer, found %q", v))
		}
		return n
	default:
		r.fail(inputErr(r.path+"."+k, "expected an integer, found %s", typeName(v)))
		return 0
	}
}

func (r *reader) obj(k string) map[string]any {
	m, err := object(r.m, k, r.path+"."+k, false)
	r.fail(err)
	return m
}

func (r *reader) list(k string) []any {
	switch v := r.m[k].(type) {
	case nil:
		return nil
	case []any:
		return v
	default:
		r.fail(inputErr(r.path+"."+k, "expected an array, found %s", typeName(v)))
		return nil
	}
}

// strs reads an array of strings; a JSON string holding an array (as Sentinel
// writes some additionalData fields) is accepted too.
func (r *reader) strs(k string) []string {
	v := r.m[k]
	if s, ok := v.(string); ok {
		var arr []string
		if json.Unmarshal([]byte(s), &arr) == nil {
			return trimAll(arr)
		}
		if s = strings.TrimSpace(s); s != "" {
			return []string{s}
		}
		return nil
	}
	var out []string
	for i, x := range r.list(k) {
		switch s := x.(type) {
		case string:
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		case nil:
		default:
			r.fail(inputErr(fmt.Sprintf("%s.%s[%d]", r.path, k, i), "expected a string, found %s", typeName(x)))
		}
	}
	return out
}

func object(m map[string]any, k, path string, required bool) (map[string]any, error) {
	switch v := m[k].(type) {
	case map[string]any:
		return v, nil
	case nil:
		if required {
			return nil, inputErr(path, "missing: expected an object")
		}
		return nil, nil
	default:
		return nil, inputErr(path, "expected an object, found %s", typeName(v))
	}
}

func syntaxError(data []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return inputErr(position(data, se.Offset), "invalid JSON: %v", se)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return inputErr(position(data, te.Offset), "invalid JSON: %v", te)
	}
	if errors.Is(err, io.EOF) {
		return inputErr("$", "empty input: expected a JSON incident document")
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return inputErr(position(data, int64(len(data))), "invalid JSON: the document ends early")
	}
	return inputErr("$", "invalid JSON: %v", err)
}

// position turns the offset just past an offending byte into "line L, column C".
func position(data []byte, off int64) string {
	p := int(off) - 1
	if p > len(data) {
		p = len(data)
	}
	if p < 0 {
		p = 0
	}
	before := data[:p]
	line := bytes.Count(before, []byte("\n")) + 1
	col := p - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf("line %d, column %d", line, col)
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number, float64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func has(m map[string]any, k string) bool {
	_, ok := m[k]
	return ok
}

func keyList(m map[string]any) string {
	if len(m) == 0 {
		return "(none)"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) > 12 {
		keys = append(keys[:12], "...")
	}
	return strings.Join(keys, ", ")
}

// appendNew appends the non-empty values not already in list (compared case-insensitively).
func appendNew(list []string, vals ...string) []string {
outer:
	for _, v := range vals {
		if v == "" {
			continue
		}
		for _, x := range list {
			if strings.EqualFold(x, v) {
				continue outer
			}
		}
		list = append(list, v)
	}
	return list
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func trimAll(in []string) []string {
	var out []string
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
