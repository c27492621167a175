package fake

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// call sends one request with a token from the fake's token endpoint.
func call(t *testing.T, s *Server, method, path, body string, auth bool) (int, map[string]any, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(method, s.URL()+path, strings.NewReader(body))
	if auth {
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {ClientID}, "client_secret": {ClientSecret},
			"scope": {"https://" + strings.TrimPrefix(s.URL(), "https://") + "/.default"}}
		resp, err := s.Client().PostForm(s.URL()+"/"+TenantID+"/oauth2/v2.0/token", form)
		if err != nil {
			t.Fatal(err)
		}
		var tok map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&tok)
		resp.Body.Close()
		req.Header.Set("Authorization", "Bearer "+tok["access_token"].(string))
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(data, &out)
	return resp.StatusCode, out, resp.Header
}

func errorCode(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func TestWireFormats(t *testing.T) {
	s := New(t)
	id := s.AddIncident(NewIncident{Title: "x"})
	s.AddIncident(NewIncident{Title: "y"})
	s.AddIncident(NewIncident{Title: "z"})
	p := "/subscriptions/" + SubscriptionID + "/resourceGroups/" + ResourceGroup + "/providers/Microsoft.OperationalInsights/workspaces/" +
		WorkspaceName + "/providers/Microsoft.SecurityInsights/incidents"
	v := "?api-version=2024-09-01"

	if st, body, _ := call(t, s, "GET", p+v, "", false); st != 401 || errorCode(body) != "AuthenticationFailed" {
		t.Errorf("no token: %d %v", st, body)
	}
	if st, body, _ := call(t, s, "GET", p, "", true); st != 400 || errorCode(body) != "MissingApiVersionParameter" {
		t.Errorf("no api-version: %d %v", st, body)
	}
	st, body, _ := call(t, s, "GET", p+v, "", true)
	next, _ := body["nextLink"].(string)
	if st != 200 || len(body["value"].([]any)) != 2 || !strings.HasPrefix(next, s.URL()+p) || !strings.Contains(next, "api-version=2024-09-01") {
		t.Fatalf("first page: %d %v", st, body)
	}
	st, body, _ = call(t, s, "GET", strings.TrimPrefix(next, s.URL()), "", true)
	if _, more := body["nextLink"]; st != 200 || len(body["value"].([]any)) != 1 || more {
		t.Errorf("last page: %d %v", st, body)
	}
	if st, body, _ := call(t, s, "GET", p+v+"&$filter="+url.QueryEscape("contains(properties/title,'x')"), "", true); st != 400 || errorCode(body) != "BadRequest" {
		t.Errorf("unsupported filter: %d %v", st, body)
	}

	_, inc, _ := call(t, s, "GET", p+"/"+id+v, "", true)
	etag := inc["etag"].(string)
	if !strings.HasPrefix(etag, `"`) || !strings.HasSuffix(etag, `"`) {
		t.Errorf("etag not quoted: %s", etag)
	}
	props := inc["properties"].(map[string]any)
	props["severity"] = "High"
	put, _ := json.Marshal(map[string]any{"etag": etag, "properties": props})
	if st, _, _ := call(t, s, "PUT", p+"/"+id+v, string(put), true); st != 200 {
		t.Errorf("update: %d", st)
	}
	if st, body, _ := call(t, s, "PUT", p+"/"+id+v, string(put), true); st != 409 || errorCode(body) != "Conflict" ||
		!strings.Contains(body["error"].(map[string]any)["message"].(string), "Data was not saved") {
		t.Errorf("stale etag: %d %v", st, body)
	}

	cid := "4bb36b7b-26ff-4d1c-9cbe-0d8ab3da0014"
	long, _ := json.Marshal(map[string]any{"properties": map[string]any{"message": strings.Repeat("é", MaxCommentChars+1)}})
	if st, body, _ := call(t, s, "PUT", p+"/"+id+"/comments/"+cid+v, string(long), true); st != 400 ||
		!strings.Contains(body["error"].(map[string]any)["message"].(string), "should not exceed 30000") {
		t.Errorf("long comment: %d %v", st, body)
	}
	if st, _, _ := call(t, s, "PUT", p+"/"+id+"/comments/"+cid+v, `{"properties":{"message":"hi"}}`, true); st != 201 {
		t.Errorf("new comment: %d", st)
	}
	if st, _, _ := call(t, s, "PUT", p+"/"+id+"/comments/"+cid+v, `{"properties":{"message":"hi again"}}`, true); st != 200 || len(s.Comments(id)) != 1 || s.CommentPuts(id) != 2 {
		t.Errorf("rewrite: %d, %d comments", st, len(s.Comments(id)))
	}
	s.Throttle("", "/incidents", 1, "3")
	if st, body, h := call(t, s, "GET", p+v, "", true); st != 429 || h.Get("Retry-After") != "3" || errorCode(body) != "TooManyRequests" {
		t.Errorf("throttled: %d %v", st, h)
	}

	did := s.AddDefenderIncident(NewDefenderIncident{DisplayName: "d", Alerts: []map[string]any{{"title": "a"}}})
	s.AddDefenderIncident(NewDefenderIncident{DisplayName: "e"})
	s.AddDefenderIncident(NewDefenderIncident{DisplayName: "f"})
	st, body, _ = call(t, s, "GET", "/v1.0/security/incidents?$expand=alerts", "", true)
	if st != 200 || body["@odata.nextLink"] == nil || len(body["value"].([]any)) != 2 {
		t.Errorf("graph list: %d %v", st, body)
	}
	if first := body["value"].([]any)[0].(map[string]any); first["alerts"] == nil {
		t.Error("$expand=alerts ignored")
	}
	if _, body, _ := call(t, s, "GET", "/v1.0/security/incidents/"+did, "", true); body["alerts"] != nil {
		t.Error("alerts without $expand")
	}
	if st, _, _ := call(t, s, "POST", "/v1.0/security/incidents/"+did+"/comments", `{"comment":"no type"}`, true); st != 400 {
		t.Errorf("comment without @odata.type: %d", st)
	}
}
