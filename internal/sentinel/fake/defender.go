package fake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Defender is the fake's Defender XDR tenant (Graph /security/incidents).
type Defender struct {
	mu        sync.Mutex
	incidents map[string]map[string]any
	order     []string
	next      int
}

func newDefender() *Defender { return &Defender{incidents: map[string]map[string]any{}, next: 100} }

// NewDefenderIncident describes a Defender incident to add.
type NewDefenderIncident struct {
	DisplayName string
	Severity    string // high, medium, low, informational
	Status      string // active when empty
	Created     time.Time
	// Alerts are Graph alert objects (title, severity, serviceSource,
	// evidence [...]); ids are filled in.
	Alerts []map[string]any
}

// DefenderComment is a stored comment.
type DefenderComment struct{ Comment string }

func graphTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.0000000Z") }

// AddDefenderIncident adds an incident and returns its id.
func (s *Server) AddDefenderIncident(in NewDefenderIncident) string {
	s.mu.Lock()
	now := s.now()
	s.mu.Unlock()
	d := s.defender
	d.mu.Lock()
	defer d.mu.Unlock()
	d.next++
	id := strconv.Itoa(d.next)
	if in.Status == "" {
		in.Status = "active"
	}
	if in.Severity == "" {
		in.Severity = "medium"
	}
	created := in.Created
	if created.IsZero() {
		created = now
	}
	alerts := []any{}
	for i, a := range in.Alerts {
		a["id"] = fmt.Sprintf("da%s_%d", id, i+1)
		a["incidentId"] = id
		if a["evidence"] == nil {
			a["evidence"] = []any{}
		}
		alerts = append(alerts, a)
	}
	d.incidents[id] = map[string]any{
		"id": id, "tenantId": TenantID, "displayName": in.DisplayName, "description": "", "severity": in.Severity, "status": in.Status,
		"classification": "unknown", "determination": "unknown", "assignedTo": nil, "redirectIncidentId": nil,
		"createdDateTime": graphTime(created), "lastUpdateDateTime": graphTime(created),
		"incidentWebUrl": "https://security.microsoft.com/incidents/" + id + "?tid=" + TenantID,
		"customTags":     []any{}, "systemTags": []any{}, "comments": []any{}, "alerts": alerts,
	}
	d.order = append(d.order, id)
	return id
}

// DefenderComments returns an incident's comments.
func (s *Server) DefenderComments(id string) []DefenderComment {
	d := s.defender
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []DefenderComment
	if inc := d.incidents[id]; inc != nil {
		for _, c := range inc["comments"].([]any) {
			out = append(out, DefenderComment{Comment: c.(map[string]any)["comment"].(string)})
		}
	}
	return out
}

// DefenderIncident returns a copy of an incident (nil when unknown).
func (s *Server) DefenderIncident(id string) map[string]any {
	d := s.defender
	d.mu.Lock()
	defer d.mu.Unlock()
	inc := d.incidents[id]
	if inc == nil {
		return nil
	}
	var out map[string]any
	data, _ := json.Marshal(inc)
	_ = json.Unmarshal(data, &out)
	return out
}

var (
	graphIncident = regexp.MustCompile(`^/v1\.0/security/incidents(?:/([^/]+)(/comments)?)?$`)
	updatedRange  = regexp.MustCompile(`^lastUpdateDateTime (ge|le) (\S+)$`)
)

// graph serves the Microsoft Graph security incident routes.
func (s *Server) graph(w http.ResponseWriter, r *http.Request) {
	m := graphIncident.FindStringSubmatch(r.URL.Path)
	if m == nil {
		graphError(w, http.StatusBadRequest, "BadRequest", "Resource not found for the segment '"+strings.TrimPrefix(r.URL.Path, "/v1.0/")+"'.")
		return
	}
	s.mu.Lock()
	now, size := s.now(), s.pageSize
	s.mu.Unlock()
	d := s.defender
	d.mu.Lock()
	defer d.mu.Unlock()
	q := r.URL.Query()
	expand := q.Get("$expand") == "alerts"
	view := func(inc map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range inc {
			if k != "alerts" || expand {
				out[k] = v
			}
		}
		return out
	}
	id, comments := m[1], m[2] != ""
	if id == "" {
		if r.Method != http.MethodGet {
			graphError(w, http.StatusMethodNotAllowed, "Request_BadRequest", "Method not allowed.")
			return
		}
		var since, until time.Time
		if f := q.Get("$filter"); f != "" {
			for _, clause := range strings.Split(f, " and ") {
				fm := updatedRange.FindStringSubmatch(strings.TrimSpace(clause))
				if fm == nil {
					graphError(w, http.StatusBadRequest, "BadRequest", "Invalid filter clause: "+f)
					return
				}
				t, err := time.Parse(time.RFC3339Nano, fm[2])
				if err != nil {
					graphError(w, http.StatusBadRequest, "BadRequest", "The DateTimeOffset text '"+fm[2]+"' is invalid.")
					return
				}
				if fm[1] == "ge" {
					since = t
				} else {
					until = t
				}
			}
		}
		// The most recent incidents come first, as Graph lists them.
		var all []map[string]any
		for i := len(d.order) - 1; i >= 0; i-- {
			inc := d.incidents[d.order[i]]
			t, _ := time.Parse(time.RFC3339Nano, inc["lastUpdateDateTime"].(string))
			if !t.Before(since) && (until.IsZero() || !t.After(until)) {
				all = append(all, view(inc))
			}
		}
		sort.SliceStable(all, func(i, j int) bool {
			return all[i]["lastUpdateDateTime"].(string) > all[j]["lastUpdateDateTime"].(string)
		})
		if t := q.Get("$top"); t != "" {
			if n, err := strconv.Atoi(t); err == nil && n > 0 {
				size = min(size, n)
			}
		}
		off, _ := strconv.Atoi(q.Get("$skiptoken"))
		end := min(off+size, len(all))
		body := map[string]any{"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#security/incidents", "value": nonNil(all[min(off, len(all)):end])}
		if end < len(all) {
			q.Set("$skiptoken", strconv.Itoa(end))
			body["@odata.nextLink"] = s.srv.URL + r.URL.Path + "?" + strings.ReplaceAll(q.Encode(), "+", "%20")
		}
		writeJSON(w, http.StatusOK, body)
		return
	}
	inc := d.incidents[id]
	if inc == nil {
		graphError(w, http.StatusNotFound, "NotFound", "Incident "+id+" was not found.")
		return
	}
	switch {
	case !comments && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, view(inc))
	case comments && r.Method == http.MethodPost:
		var body struct {
			Type    string  `json:"@odata.type"`
			Comment *string `json:"comment"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Comment == nil || !strings.HasSuffix(body.Type, "alertComment") {
			graphError(w, http.StatusBadRequest, "BadRequest", "Expected {\"@odata.type\": \"microsoft.graph.security.alertComment\", \"comment\": \"...\"}.")
			return
		}
		list := append(inc["comments"].([]any), map[string]any{"comment": *body.Comment, "createdByDisplayName": "Spotter", "createdDateTime": graphTime(now)})
		inc["comments"] = list
		writeJSON(w, http.StatusOK, map[string]any{"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Collection(microsoft.graph.security.alertComment)", "value": list})
	case !comments && r.Method == http.MethodPatch:
		var patch map[string]any
		if err := json.NewDecoder(r.Body).Decode(&patch); err != nil {
			graphError(w, http.StatusBadRequest, "BadRequest", "The request body is not valid JSON.")
			return
		}
		for k, v := range patch {
			switch k {
			case "status", "severity", "customTags", "classification", "determination", "assignedTo", "description", "displayName", "summary", "resolvingComment":
				inc[k] = v
			default:
				graphError(w, http.StatusBadRequest, "BadRequest", "Property '"+k+"' cannot be updated.")
				return
			}
		}
		inc["lastUpdateDateTime"] = graphTime(now)
		writeJSON(w, http.StatusOK, view(inc))
	default:
		graphError(w, http.StatusMethodNotAllowed, "Request_BadRequest", "Method not allowed.")
	}
}
