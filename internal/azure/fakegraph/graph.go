package fakegraph

import (
	"net/http"
	"sort"
	"strings"
	"time"
)

// defaultUserProperties are what GET /users/{id} returns without $select.
var defaultUserProperties = []string{"businessPhones", "displayName", "givenName", "id", "jobTitle", "mail",
	"mobilePhone", "officeLocation", "preferredLanguage", "surname", "userPrincipalName"}

// graph checks the bearer token, applies injected faults, records the
// request and routes it.
func (s *Server) graph(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/v1.0")
	authorized := s.authorized(r)
	s.mu.Lock()
	s.requests = append(s.requests, Recorded{Method: r.Method, Path: path, Query: r.URL.Query(),
		ConsistencyLevel: r.Header.Get("ConsistencyLevel"), Authorized: authorized})
	s.mu.Unlock()
	if !authorized {
		graphError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.", "")
		return
	}
	if f := s.takeFault(path); f != nil {
		writeFault(w, f)
		return
	}
	if r.Method != http.MethodGet {
		graphError(w, http.StatusMethodNotAllowed, "Request_BadRequest", "Only GET is served by this fake.", "")
		return
	}
	switch {
	case path == "/auditLogs/signIns":
		s.signIns(w, r)
	case path == "/identityProtection/riskyUsers":
		s.riskyUsers(w, r)
	case path == "/deviceManagement/managedDevices":
		s.managedDevices(w, r)
	case strings.HasPrefix(path, "/security/threatIntelligence/hosts/") && strings.HasSuffix(path, "/reputation"):
		s.reputation(w, strings.TrimSuffix(strings.TrimPrefix(path, "/security/threatIntelligence/hosts/"), "/reputation"))
	case strings.HasPrefix(path, "/users"):
		s.users(w, r, strings.TrimPrefix(path, "/users"))
	default:
		graphError(w, http.StatusBadRequest, "BadRequest", "Resource not found for the segment '"+strings.TrimPrefix(path, "/")+"'.", "")
	}
}

// authorized checks Authorization: Bearer <token> against issued, unexpired
// tokens for this host's scope.
func (s *Server) authorized(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[tok]
	return ok && time.Now().Before(t.expires) && t.scope == s.Scope()
}

// users serves /users/{id|upn}, /users('{key}') and their memberOf and
// registeredDevices collections.
func (s *Server) users(w http.ResponseWriter, r *http.Request, rest string) {
	var key, sub string
	switch {
	case strings.HasPrefix(rest, "('"):
		end := strings.Index(rest, "')")
		if end < 0 {
			graphError(w, http.StatusBadRequest, "Request_BadRequest", "Bad key syntax.", "")
			return
		}
		key, sub = strings.ReplaceAll(rest[2:end], "''", "'"), rest[end+2:]
	case strings.HasPrefix(rest, "/") && len(rest) > 1:
		key, sub, _ = strings.Cut(rest[1:], "/")
		if sub != "" {
			sub = "/" + sub
		}
		if strings.HasPrefix(key, "$") {
			// Graph reads /users/$x as a system segment.
			graphError(w, http.StatusBadRequest, "BadRequest", "Resource not found for the segment '"+key+"'.", "")
			return
		}
	default:
		unsupported(w, "listing users is not served by this fake")
		return
	}
	s.mu.Lock()
	data := s.data
	s.mu.Unlock()
	var u Object
	for _, c := range data.Users {
		if strings.EqualFold(str(c["id"]), key) || strings.EqualFold(str(c["userPrincipalName"]), key) {
			u = c
			break
		}
	}
	if u == nil {
		graphError(w, http.StatusNotFound, "Request_ResourceNotFound",
			"Resource '"+key+"' does not exist or one of its queried reference-property objects are not present.", "")
		return
	}
	if r.URL.Query().Has("$filter") {
		unsupported(w, "$filter is not expected here")
		return
	}
	id := str(u["id"])
	switch sub {
	case "":
		sel := selectList(r.URL.Query())
		if sel == nil {
			sel = defaultUserProperties
		}
		out := project(u, sel)
		out["@odata.context"] = s.GraphURL() + "/$metadata#users/$entity"
		writeJSON(w, http.StatusOK, out)
	case "/memberOf":
		s.writePage(w, r, "directoryObjects", data.MemberOf[id])
	case "/registeredDevices":
		s.writePage(w, r, "directoryObjects", data.RegisteredDevices[id])
	default:
		graphError(w, http.StatusBadRequest, "BadRequest", "Resource not found for the segment '"+strings.TrimPrefix(sub, "/")+"'.", "")
	}
}

// signIns serves /auditLogs/signIns?$filter=userId eq '…' and createdDateTime ge …,
// newest first.
func (s *Server) signIns(w http.ResponseWriter, r *http.Request) {
	f, err := ParseFilter(r.URL.Query().Get("$filter"))
	if err != nil {
		unsupported(w, err.Error())
		return
	}
	if len(f.Clauses) != 2 || f.Join != "and" ||
		f.Clauses[0].Field != "userId" || f.Clauses[0].Op != "eq" || !f.Clauses[0].Quoted ||
		f.Clauses[1].Field != "createdDateTime" || f.Clauses[1].Op != "ge" || f.Clauses[1].Quoted {
		unsupported(w, "expected userId eq '<id>' and createdDateTime ge <datetime>")
		return
	}
	since, err := parseTime(f.Clauses[1].Value)
	if err != nil {
		unsupported(w, "bad datetime "+f.Clauses[1].Value)
		return
	}
	s.mu.Lock()
	all := s.data.SignIns
	s.mu.Unlock()
	var items []Object
	for _, si := range all {
		at, err := parseTime(str(si["createdDateTime"]))
		if err == nil && strings.EqualFold(str(si["userId"]), f.Clauses[0].Value) && !at.Before(since) {
			items = append(items, si)
		}
	}
	sort.SliceStable(items, func(i, j int) bool { return str(items[i]["createdDateTime"]) > str(items[j]["createdDateTime"]) })
	s.writePage(w, r, "auditLogs/signIns", items)
}

// riskyUsers serves /identityProtection/riskyUsers filtered by one
// userPrincipalName or several joined with "or".
func (s *Server) riskyUsers(w http.ResponseWriter, r *http.Request) {
	f, err := ParseFilter(r.URL.Query().Get("$filter"))
	if err != nil {
		unsupported(w, err.Error())
		return
	}
	s.mu.Lock()
	rejectOr, all := s.rejectOr, s.data.RiskyUsers
	s.mu.Unlock()
	if f.Join == "and" || (f.Join == "or" && rejectOr) {
		unsupported(w, "only userPrincipalName eq '<upn>' is supported here")
		return
	}
	want := map[string]bool{}
	for _, c := range f.Clauses {
		if c.Field != "userPrincipalName" || c.Op != "eq" || !c.Quoted {
			unsupported(w, "only userPrincipalName eq '<upn>' is supported here")
			return
		}
		want[strings.ToLower(c.Value)] = true
	}
	var items []Object
	for _, u := range all {
		if want[strings.ToLower(str(u["userPrincipalName"]))] {
			items = append(items, u)
		}
	}
	s.writePage(w, r, "identityProtection/riskyUsers", items)
}

// managedDevices serves /deviceManagement/managedDevices filtered by
// deviceName or userPrincipalName (compared without regard to case).
func (s *Server) managedDevices(w http.ResponseWriter, r *http.Request) {
	f, err := ParseFilter(r.URL.Query().Get("$filter"))
	if err != nil {
		unsupported(w, err.Error())
		return
	}
	if len(f.Clauses) != 1 || f.Clauses[0].Op != "eq" || !f.Clauses[0].Quoted ||
		(f.Clauses[0].Field != "deviceName" && f.Clauses[0].Field != "userPrincipalName") {
		unsupported(w, "expected deviceName eq '<name>' or userPrincipalName eq '<upn>'")
		return
	}
	s.mu.Lock()
	all := s.data.ManagedDevices
	s.mu.Unlock()
	var items []Object
	for _, d := range all {
		if strings.EqualFold(str(d[f.Clauses[0].Field]), f.Clauses[0].Value) {
			items = append(items, d)
		}
	}
	s.writePage(w, r, "deviceManagement/managedDevices", items)
}

// reputation serves /security/threatIntelligence/hosts/{host}/reputation.
func (s *Server) reputation(w http.ResponseWriter, host string) {
	s.mu.Lock()
	rep, ok := s.data.Reputations[strings.ToLower(host)]
	s.mu.Unlock()
	if !ok {
		graphError(w, http.StatusNotFound, "NotFound", "Host '"+host+"' was not found.", "")
		return
	}
	out := Object{"@odata.context": s.GraphURL() + "/$metadata#microsoft.graph.security.hostReputation"}
	for k, v := range rep {
		out[k] = v
	}
	writeJSON(w, http.StatusOK, out)
}

func str(v any) string { s, _ := v.(string); return s }
