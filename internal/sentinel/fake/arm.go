package fake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/google/uuid"
)

// Sentinel's documented limits, enforced by the fake.
const (
	MaxCommentChars = 30000
	MaxComments     = 100
)

// apiVersions are the GA api-versions the fake accepts.
var apiVersions = map[string]bool{"2023-02-01": true, "2023-11-01": true, "2024-03-01": true, "2024-09-01": true,
	"2025-03-01": true, "2025-06-01": true, "2025-09-01": true}

// Workspace is one Sentinel workspace of the fake.
type Workspace struct {
	prefix    string // ARM path up to .../Microsoft.SecurityInsights
	incidents map[string]*incident
	order     []string
	number    int
}

type incident struct {
	doc      map[string]any // id, name, type, etag, properties
	entities []map[string]any
	alerts   []map[string]any
	comments map[string]*comment
	corder   []string
	puts     int // comment PUTs
}

type comment struct {
	doc map[string]any
}

// NewIncident describes an incident to add.
type NewIncident struct {
	Name        string // GUID; random when empty
	Title       string
	Description string
	Severity    string // High, Medium, Low, Informational (Medium when empty)
	Status      string // New when empty
	Products    []string
	Labels      []string
	Created     time.Time // now when zero
	// Entities are {"kind": ..., "properties": {...}}; ids are filled in.
	Entities []map[string]any
	// Alerts are SecurityAlert properties.
	Alerts []map[string]any
}

// Comment is a comment as stored.
type Comment struct {
	ID      string
	Message string
}

func wsKey(sub, rg, ws string) string { return strings.ToLower(sub + "/" + rg + "/" + ws) }

// AddWorkspace adds an empty workspace.
func (s *Server) AddWorkspace(sub, rg, ws string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.workspaces[wsKey(sub, rg, ws)] = &Workspace{
		prefix: "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.OperationalInsights/workspaces/" + ws +
			"/providers/Microsoft.SecurityInsights",
		incidents: map[string]*incident{},
	}
}

func armTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.0000000Z") }

func newETag() string { return `"` + uuid.NewString() + `"` }

// AddIncident adds an incident to the default workspace and returns its name.
func (s *Server) AddIncident(in NewIncident) string {
	return s.AddIncidentTo(SubscriptionID, ResourceGroup, WorkspaceName, in)
}

// AddIncidentTo adds an incident to a workspace and returns its name.
func (s *Server) AddIncidentTo(sub, rg, wsName string, in NewIncident) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ws := s.workspaces[wsKey(sub, rg, wsName)]
	if in.Name == "" {
		in.Name = uuid.NewString()
	}
	if in.Severity == "" {
		in.Severity = "Medium"
	}
	if in.Status == "" {
		in.Status = "New"
	}
	created := in.Created
	if created.IsZero() {
		created = s.now()
	}
	ws.number++
	labels := []any{}
	for _, l := range in.Labels {
		labels = append(labels, map[string]any{"labelName": l, "labelType": "User"})
	}
	products := in.Products
	if len(products) == 0 {
		products = []string{"Azure Sentinel"}
	}
	id := ws.prefix + "/incidents/" + in.Name
	inc := &incident{comments: map[string]*comment{}}
	inc.doc = map[string]any{
		"id": id, "name": in.Name, "type": "Microsoft.SecurityInsights/incidents", "etag": newETag(),
		"properties": map[string]any{
			"title": in.Title, "description": in.Description, "severity": in.Severity, "status": in.Status,
			"classification": nil, "classificationReason": nil, "classificationComment": nil,
			"owner":  map[string]any{"objectId": nil, "email": nil, "assignedTo": nil, "userPrincipalName": nil, "ownerType": "Unknown"},
			"labels": labels, "firstActivityTimeUtc": armTime(created.Add(-10 * time.Minute)), "lastActivityTimeUtc": armTime(created.Add(-5 * time.Minute)),
			"createdTimeUtc": armTime(created), "lastModifiedTimeUtc": armTime(created),
			"incidentNumber": ws.number, "incidentUrl": "https://portal.azure.com/#asset/Microsoft_Azure_Security_Insights/Incident" + id,
			"providerName": "Azure Sentinel", "providerIncidentId": strconv.Itoa(ws.number),
			"relatedAnalyticRuleIds": []any{},
			"additionalData": map[string]any{"alertsCount": len(in.Alerts), "bookmarksCount": 0, "commentsCount": 0,
				"alertProductNames": products, "tactics": []any{}},
		},
	}
	for _, e := range in.Entities {
		inc.entities = append(inc.entities, entityDoc(ws.prefix, e["kind"], e["properties"]))
	}
	for _, a := range in.Alerts {
		inc.alerts = append(inc.alerts, entityDoc(ws.prefix, "SecurityAlert", a))
	}
	ws.incidents[strings.ToLower(in.Name)] = inc
	ws.order = append(ws.order, strings.ToLower(in.Name))
	return in.Name
}

func entityDoc(prefix string, kind, props any) map[string]any {
	name := uuid.NewString()
	return map[string]any{"id": prefix + "/Entities/" + name, "name": name, "type": "Microsoft.SecurityInsights/Entities",
		"kind": kind, "properties": props}
}

// Modify changes an incident of the default workspace as an analyst would:
// the properties are edited, lastModifiedTimeUtc and the etag change.
func (s *Server) Modify(name string, edit func(props map[string]any)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	inc := s.find(name)
	if inc == nil {
		return
	}
	edit(inc.doc["properties"].(map[string]any))
	s.touch(inc)
}

// touch gives an incident a new etag and modification time (strictly later).
func (s *Server) touch(inc *incident) {
	props := inc.doc["properties"].(map[string]any)
	now := s.now().UTC()
	if prev, err := time.Parse(time.RFC3339Nano, props["lastModifiedTimeUtc"].(string)); err == nil && !now.After(prev) {
		now = prev.Add(time.Millisecond)
	}
	props["lastModifiedTimeUtc"] = armTime(now)
	inc.doc["etag"] = newETag()
}

func (s *Server) find(name string) *incident {
	for _, ws := range s.workspaces {
		if inc := ws.incidents[strings.ToLower(name)]; inc != nil {
			return inc
		}
	}
	return nil
}

// Incident returns a copy of an incident resource (nil when unknown).
func (s *Server) Incident(name string) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	inc := s.find(name)
	if inc == nil {
		return nil
	}
	var out map[string]any
	data, _ := json.Marshal(inc.doc)
	_ = json.Unmarshal(data, &out)
	return out
}

// Comments returns an incident's comments in creation order.
func (s *Server) Comments(name string) []Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	inc := s.find(name)
	if inc == nil {
		return nil
	}
	var out []Comment
	for _, id := range inc.corder {
		c := inc.comments[id]
		out = append(out, Comment{ID: c.doc["name"].(string), Message: c.doc["properties"].(map[string]any)["message"].(string)})
	}
	return out
}

// CommentPuts counts every PUT of a comment on the incident, rewrites included.
func (s *Server) CommentPuts(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if inc := s.find(name); inc != nil {
		return inc.puts
	}
	return 0
}

// AddComment adds a comment by someone else (an analyst).
func (s *Server) AddComment(name, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if inc := s.find(name); inc != nil {
		s.putComment(inc, uuid.NewString(), message)
	}
}

var (
	armPath   = regexp.MustCompile(`(?i)^(/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.OperationalInsights/workspaces/[^/]+/providers/Microsoft\.SecurityInsights)/incidents(?:/([^/]+)(?:/(entities|alerts|comments)(?:/([^/]+))?)?)?$`)
	wsParts   = regexp.MustCompile(`(?i)^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\.OperationalInsights/workspaces/([^/]+)/`)
	timeRange = regexp.MustCompile(`^properties/(lastModifiedTimeUtc|createdTimeUtc) (ge|gt|le|lt) (\S+)$`)
	propEq    = regexp.MustCompile(`^properties/(severity|status) eq '([^']*)'$`)
	orderBy   = regexp.MustCompile(`^properties/(lastModifiedTimeUtc|createdTimeUtc)(?: (asc|desc))?$`)
)

// arm serves the Microsoft.SecurityInsights incident operations.
func (s *Server) arm(w http.ResponseWriter, r *http.Request) {
	m := armPath.FindStringSubmatch(r.URL.Path)
	if m == nil {
		cloudError(w, http.StatusNotFound, "InvalidResourceType", "The resource type could not be found in the namespace for api version.")
		return
	}
	v := r.URL.Query().Get("api-version")
	switch {
	case v == "":
		cloudError(w, http.StatusBadRequest, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.")
		return
	case !apiVersions[v]:
		cloudError(w, http.StatusBadRequest, "NoRegisteredProviderFound", fmt.Sprintf("No registered resource provider found for location and API version '%s'.", v))
		return
	}
	p := wsParts.FindStringSubmatch(r.URL.Path)
	s.mu.Lock()
	defer s.mu.Unlock()
	ws := s.workspaces[wsKey(p[1], p[2], p[3])]
	if ws == nil {
		cloudError(w, http.StatusNotFound, "ResourceNotFound", fmt.Sprintf("The Resource 'Microsoft.OperationalInsights/workspaces/%s' under resource group '%s' was not found.", p[3], p[2]))
		return
	}
	w.Header().Set("x-ms-ratelimit-remaining-subscription-reads", "11999")
	name, sub, child := m[2], m[3], m[4]
	if name == "" {
		if r.Method != http.MethodGet {
			methodNotAllowed(w, r, v)
			return
		}
		s.list(w, r, ws)
		return
	}
	inc := ws.incidents[strings.ToLower(name)]
	if inc == nil && !(sub == "" && r.Method == http.MethodPut) {
		cloudError(w, http.StatusNotFound, "NotFound", fmt.Sprintf("Incident '%s' was not found.", name))
		return
	}
	switch {
	case sub == "" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, inc.doc)
	case sub == "" && r.Method == http.MethodPut:
		s.putIncident(w, r, ws, name, inc)
	case strings.EqualFold(sub, "entities") && r.Method == http.MethodPost:
		kinds := map[string]int{}
		for _, e := range inc.entities {
			kinds[fmt.Sprint(e["kind"])]++
		}
		meta := []any{}
		for _, k := range sortedKeys(kinds) {
			meta = append(meta, map[string]any{"entityKind": k, "count": kinds[k]})
		}
		writeJSON(w, http.StatusOK, map[string]any{"entities": nonNil(inc.entities), "metaData": meta})
	case strings.EqualFold(sub, "alerts") && r.Method == http.MethodPost:
		writeJSON(w, http.StatusOK, map[string]any{"value": nonNil(inc.alerts)})
	case strings.EqualFold(sub, "comments") && child == "" && r.Method == http.MethodGet:
		var all []map[string]any
		for _, id := range inc.corder {
			all = append(all, inc.comments[id].doc)
		}
		s.page(w, r, all)
	case strings.EqualFold(sub, "comments") && child != "":
		s.commentOp(w, r, inc, child)
	default:
		methodNotAllowed(w, r, v)
	}
}

func methodNotAllowed(w http.ResponseWriter, r *http.Request, v string) {
	cloudError(w, http.StatusMethodNotAllowed, "UnsupportedApiVersion", fmt.Sprintf(
		"The HTTP resource that matches the request URI '%s' with API version '%s' does not support HTTP method '%s'.", r.URL.Path, v, r.Method))
}

func nonNil(v []map[string]any) []map[string]any {
	if v == nil {
		return []map[string]any{}
	}
	return v
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// list serves GET .../incidents with the $filter and $orderby forms the
// client sends; anything else is a 400, so a wrong query fails a test.
func (s *Server) list(w http.ResponseWriter, r *http.Request, ws *Workspace) {
	q := r.URL.Query()
	var keep []func(props map[string]any) bool
	if f := strings.TrimSpace(q.Get("$filter")); f != "" {
		for _, clause := range strings.Split(f, " and ") {
			clause = strings.TrimSpace(clause)
			if m := timeRange.FindStringSubmatch(clause); m != nil {
				at, err := time.Parse(time.RFC3339Nano, m[3])
				if err != nil {
					cloudError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Invalid $filter: '%s' is not a valid DateTimeOffset.", m[3]))
					return
				}
				field, op := m[1], m[2]
				keep = append(keep, func(p map[string]any) bool {
					t, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(p[field]))
					switch op {
					case "ge":
						return !t.Before(at)
					case "gt":
						return t.After(at)
					case "le":
						return !t.After(at)
					}
					return t.Before(at)
				})
				continue
			}
			if m := propEq.FindStringSubmatch(clause); m != nil {
				field, want := m[1], m[2]
				keep = append(keep, func(p map[string]any) bool { return strings.EqualFold(fmt.Sprint(p[field]), want) })
				continue
			}
			cloudError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Invalid $filter clause '%s'.", clause))
			return
		}
	}
	var all []map[string]any
	for _, name := range ws.order {
		doc := ws.incidents[name].doc
		props := doc["properties"].(map[string]any)
		ok := true
		for _, k := range keep {
			ok = ok && k(props)
		}
		if ok {
			all = append(all, doc)
		}
	}
	if ob := strings.TrimSpace(q.Get("$orderby")); ob != "" {
		m := orderBy.FindStringSubmatch(ob)
		if m == nil {
			cloudError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Invalid $orderby '%s'.", ob))
			return
		}
		field, desc := m[1], m[2] == "desc"
		sort.SliceStable(all, func(i, j int) bool {
			a := fmt.Sprint(all[i]["properties"].(map[string]any)[field])
			b := fmt.Sprint(all[j]["properties"].(map[string]any)[field])
			if desc {
				return a > b
			}
			return a < b
		})
	}
	s.page(w, r, all)
}

// page writes one page of items with an absolute nextLink carrying $skipToken.
func (s *Server) page(w http.ResponseWriter, r *http.Request, all []map[string]any) {
	q := r.URL.Query()
	size := s.pageSize
	if t := q.Get("$top"); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 1 || n > 1000 {
			cloudError(w, http.StatusBadRequest, "BadRequest", "Invalid $top: expected 1 to 1000.")
			return
		}
		size = min(size, n)
	}
	off := 0
	if tok := q.Get("$skipToken"); tok != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(tok, "off"))
		if err != nil || n < 0 {
			cloudError(w, http.StatusBadRequest, "BadRequest", "Invalid $skipToken.")
			return
		}
		off = n
	}
	end := min(off+size, len(all))
	body := map[string]any{"value": nonNil(all[min(off, len(all)):end])}
	if end < len(all) {
		q.Set("$skipToken", "off"+strconv.Itoa(end))
		body["nextLink"] = s.srv.URL + r.URL.Path + "?" + strings.ReplaceAll(q.Encode(), "+", "%20")
	}
	writeJSON(w, http.StatusOK, body)
}

// putIncident updates an incident with the etag it was read with.
func (s *Server) putIncident(w http.ResponseWriter, r *http.Request, ws *Workspace, name string, inc *incident) {
	var body struct {
		ETag       string         `json:"etag"`
		Properties map[string]any `json:"properties"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Properties == nil {
		cloudError(w, http.StatusBadRequest, "BadRequest", "The request body is not a valid incident: properties is required.")
		return
	}
	for _, k := range []string{"title", "severity", "status"} {
		if s, _ := body.Properties[k].(string); s == "" {
			cloudError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("The %s field is required.", k))
			return
		}
	}
	switch body.Properties["severity"] {
	case "High", "Medium", "Low", "Informational":
	default:
		cloudError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Invalid severity '%v'.", body.Properties["severity"]))
		return
	}
	switch body.Properties["status"] {
	case "New", "Active":
	case "Closed":
		if c, _ := body.Properties["classification"].(string); c == "" {
			cloudError(w, http.StatusBadRequest, "BadRequest", "Classification is required when closing an incident.")
			return
		}
	default:
		cloudError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Invalid status '%v'.", body.Properties["status"]))
		return
	}
	if inc == nil {
		cloudError(w, http.StatusNotFound, "NotFound", "Creating incidents is not supported by the fake.")
		return
	}
	if n := s.conflicts[strings.ToLower(name)]; n > 0 {
		s.conflicts[strings.ToLower(name)] = n - 1
		s.touch(inc)
	}
	if body.ETag != "" && body.ETag != inc.doc["etag"] {
		cloudError(w, http.StatusConflict, "Conflict", fmt.Sprintf("New version of resource '%s' exists. Data was not saved", inc.doc["id"]))
		return
	}
	props := inc.doc["properties"].(map[string]any)
	for _, k := range []string{"title", "description", "severity", "status", "classification", "classificationReason", "classificationComment", "owner", "firstActivityTimeUtc", "lastActivityTimeUtc"} {
		if v, ok := body.Properties[k]; ok {
			props[k] = v
		}
	}
	if ls, ok := body.Properties["labels"].([]any); ok {
		labels := []any{}
		for _, l := range ls {
			if m, ok := l.(map[string]any); ok && m["labelName"] != nil {
				t := m["labelType"]
				if t == nil {
					t = "User"
				}
				labels = append(labels, map[string]any{"labelName": m["labelName"], "labelType": t})
			}
		}
		props["labels"] = labels
	}
	s.touch(inc)
	writeJSON(w, http.StatusOK, inc.doc)
}

// commentOp serves GET, PUT and DELETE of one comment.
func (s *Server) commentOp(w http.ResponseWriter, r *http.Request, inc *incident, id string) {
	key := strings.ToLower(id)
	switch r.Method {
	case http.MethodGet:
		if c := inc.comments[key]; c != nil {
			writeJSON(w, http.StatusOK, c.doc)
			return
		}
		cloudError(w, http.StatusNotFound, "NotFound", fmt.Sprintf("Comment '%s' was not found.", id))
	case http.MethodDelete:
		if inc.comments[key] == nil {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		delete(inc.comments, key)
		for i, k := range inc.corder {
			if k == key {
				inc.corder = append(inc.corder[:i], inc.corder[i+1:]...)
				break
			}
		}
		s.countComments(inc)
		writeJSON(w, http.StatusOK, map[string]any{})
	case http.MethodPut:
		var body struct {
			Properties *struct {
				Message *string `json:"message"`
			} `json:"properties"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Properties == nil || body.Properties.Message == nil {
			cloudError(w, http.StatusBadRequest, "BadRequest", "The message field is required.")
			return
		}
		msg := *body.Properties.Message
		if n := len(utf16.Encode([]rune(msg))); n > MaxCommentChars { // characters as .NET counts them: UTF-16 code units
			cloudError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Comment length should not exceed %d characters", MaxCommentChars))
			return
		}
		if _, err := uuid.Parse(id); err != nil {
			cloudError(w, http.StatusBadRequest, "BadRequest", "The comment id must be a GUID.")
			return
		}
		_, existed := inc.comments[key]
		if !existed && len(inc.comments) >= MaxComments {
			cloudError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("An incident can have at most %d comments.", MaxComments))
			return
		}
		c := s.putComment(inc, id, msg)
		status := http.StatusCreated
		if existed {
			status = http.StatusOK
		}
		writeJSON(w, status, c.doc)
	default:
		methodNotAllowed(w, r, r.URL.Query().Get("api-version"))
	}
}

func (s *Server) putComment(inc *incident, id, msg string) *comment {
	key := strings.ToLower(id)
	inc.puts++
	now := armTime(s.now())
	c := inc.comments[key]
	if c == nil {
		c = &comment{doc: map[string]any{"id": inc.doc["id"].(string) + "/comments/" + id, "name": id,
			"type": "Microsoft.SecurityInsights/incidents/comments",
			"properties": map[string]any{"createdTimeUtc": now,
				"author": map[string]any{"objectId": ClientID, "name": "Spotter", "userPrincipalName": nil, "email": nil}}}}
		inc.comments[key] = c
		inc.corder = append(inc.corder, key)
	}
	c.doc["etag"] = newETag()
	props := c.doc["properties"].(map[string]any)
	props["message"] = msg
	props["lastModifiedTimeUtc"] = now
	s.countComments(inc)
	return c
}

func (s *Server) countComments(inc *incident) {
	inc.doc["properties"].(map[string]any)["additionalData"].(map[string]any)["commentsCount"] = len(inc.comments)
}
