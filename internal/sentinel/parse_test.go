package sentinel

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseIncident(t *testing.T) {
	for _, tc := range []struct {
		name, in, err string
	}{
		{"documented shape", `{"id":"/subscriptions/s/x/incidents/73e0","name":"73e0","type":"Microsoft.SecurityInsights/incidents","etag":"\"0300bf09\"",
			"properties":{"title":"My incident","severity":"High","status":"Active","incidentNumber":3177,"labels":[{"labelName":"phishing","labelType":"User"}],
			"additionalData":{"commentsCount":3,"alertProductNames":["Azure Sentinel"]},"classification":null,"unknownFutureField":{"a":1}}}`, ""},
		{"empty", ``, "$: empty body"},
		{"array", `[]`, "$: expected a JSON object"},
		{"no name", `{"properties":{"title":"x"}}`, "$.name: missing"},
		{"no properties", `{"name":"a"}`, "$.properties: missing"},
		{"name a number", `{"name":7,"properties":{}}`, "$.name: expected a string"},
		{"title an object", `{"name":"a","properties":{"title":{}}}`, "$.properties.title: expected a string"},
		{"truncated", `{"name":"a","properties":{"title":`, "not valid JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inc, err := ParseIncident([]byte(tc.in))
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				if inc.Title() != "My incident" || inc.Number() != 3177 || inc.CommentsCount() != 3 ||
					strings.Join(inc.Labels(), ",") != "phishing" || inc.ETag != `"0300bf09"` || inc.Products()[0] != "Azure Sentinel" {
					t.Errorf("%+v", inc)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("error %v, want %q", err, tc.err)
			}
		})
	}
}

func TestParseLists(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    func([]byte) error
		in   string
		err  string
	}{
		{"incident page", func(b []byte) error { _, err := ParseIncidentPage(b); return err },
			`{"value":[{"name":"a","properties":{"title":"t"}}],"nextLink":"https://management.azure.com/x?$skipToken=1"}`, ""},
		{"incident page: bad item", func(b []byte) error { _, err := ParseIncidentPage(b); return err },
			`{"value":[{"name":"a","properties":{}},{"properties":{}}]}`, "$.value[1].name: missing"},
		{"incident page: value not a list", func(b []byte) error { _, err := ParseIncidentPage(b); return err },
			`{"value":{}}`, "$.value: expected an array"},
		{"entities", func(b []byte) error { _, err := ParseEntities(b); return err },
			`{"entities":[{"id":"x","name":"n","kind":"Ip","properties":{"address":"203.0.113.7"}}],"metaData":[{"entityKind":"Ip","count":1}]}`, ""},
		{"entities: no kind", func(b []byte) error { _, err := ParseEntities(b); return err },
			`{"entities":[{"properties":{}}]}`, "$.entities[0].kind: missing"},
		{"entities: count a string", func(b []byte) error { _, err := ParseEntities(b); return err },
			`{"entities":[],"metaData":[{"entityKind":"Ip","count":"1"}]}`, "metaData.count: expected a number"},
		{"alerts", func(b []byte) error { _, err := ParseAlerts(b); return err }, `{"value":[]}`, ""},
		{"comments", func(b []byte) error { _, err := ParseCommentPage(b); return err },
			`{"value":[{"name":"c1","properties":{"message":"m"}}]}`, ""},
		{"comments: no name", func(b []byte) error { _, err := ParseCommentPage(b); return err },
			`{"value":[{"properties":{"message":"m"}}]}`, "$.value[0].name: missing"},
		{"comment: message a number", func(b []byte) error { _, err := ParseComment(b); return err },
			`{"name":"c","properties":{"message":5}}`, "properties.message: expected a string"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.f([]byte(tc.in))
			if (tc.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.err)) {
				t.Errorf("error %v, want %q", err, tc.err)
			}
		})
	}
}

func TestARMErrors(t *testing.T) {
	for _, tc := range []struct {
		status int
		body   string
		want   string
	}{
		{409, `{"error":{"code":"Conflict","message":"New version of resource 'x' exists. Data was not saved"},"innerError":null}`, "stale etag"},
		{403, `{"error":{"code":"AuthorizationFailed","message":"no"}}`, "Microsoft Sentinel Responder"},
		{404, `<html>not found</html>`, "does not exist"},
		{500, ``, "unavailable"},
		{400, `{"error":{"code":"BadRequest","message":"Comment length should not exceed 30000 characters\r\nmore"}}`, "should not exceed 30000 characters (BadRequest)"},
	} {
		err := armError("prod", "incident x", tc.status, nil, []byte(tc.body))
		if !strings.Contains(err.Error(), tc.want) || strings.ContainsAny(err.Msg, "\r\n") {
			t.Errorf("%d: %v, want %q", tc.status, err, tc.want)
		}
	}
}

// FuzzParse feeds every reply parser arbitrary bytes: none may panic, and
// an accepted incident always has a name and properties.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{"name":"a","properties":{"title":"t","labels":[{"labelName":"x"}],"additionalData":{"alertProductNames":["p"],"commentsCount":1}}}`,
		`{"value":[{"name":"a","properties":{}}],"nextLink":"https://x"}`,
		`{"entities":[{"kind":"Ip","properties":{"address":"1.2.3.4"}}],"metaData":[]}`,
		`{"value":[{"name":"c","properties":{"message":"m"}}]}`,
		`{"name":"a","properties":{"labels":"x","additionalData":[]}}`, `[]`, `{`, ``, `null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if inc, err := ParseIncident(data); err == nil {
			if inc.Name == "" || inc.Properties == nil {
				t.Fatal("accepted an incident without name or properties")
			}
			_, _, _, _, _ = inc.Title(), inc.Labels(), inc.Products(), inc.Number(), inc.CommentsCount()
		}
		_, _ = ParseIncidentPage(data)
		_, _ = ParseEntities(data)
		_, _ = ParseAlerts(data)
		_, _ = ParseCommentPage(data)
		_, _ = ParseComment(data)
		if !utf8.Valid(data) {
			return
		}
		_ = armError("w", "x", 400, nil, data)
	})
}

func TestParseIncidentID(t *testing.T) {
	const good = "/subscriptions/d0cfe6b2/resourceGroups/rg-siem/providers/Microsoft.OperationalInsights/workspaces/law/providers/Microsoft.SecurityInsights/Incidents/63883bf7-0000-4000-8000-000000000009"
	for _, tc := range []struct{ in, err string }{
		{good, ""},
		{strings.ToLower(good), ""},
		{"63883bf7-0000-4000-8000-000000000009", "expected /subscriptions/"},
		{strings.Replace(good, "/resourceGroups/rg-siem", "/resourceGroups/", 1), "segment 4 is empty"},
		{strings.Replace(good, "Microsoft.SecurityInsights", "Microsoft.Insights", 1), `expected "microsoft.securityinsights"`},
		{strings.Replace(good, "63883bf7-0000-4000-8000-000000000009", "63 88", 1), "not a GUID"},
		{good + "/comments/x", "expected /subscriptions/"},
	} {
		ref, err := ParseIncidentID(tc.in)
		if tc.err == "" {
			if err != nil || ref.Incident != "63883bf7-0000-4000-8000-000000000009" || !strings.EqualFold(ref.ResourceGroup, "rg-siem") || !strings.EqualFold(ref.Workspace, "law") {
				t.Errorf("%s: %+v %v", tc.in, ref, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: %v, want %q", tc.in, err, tc.err)
		}
	}
}

func FuzzParseIncidentID(f *testing.F) {
	f.Add("/subscriptions/s/resourceGroups/r/providers/Microsoft.OperationalInsights/workspaces/w/providers/Microsoft.SecurityInsights/incidents/i")
	f.Add("defender:contoso/42")
	f.Add("//////////////")
	f.Fuzz(func(t *testing.T, s string) {
		if ref, err := ParseIncidentID(s); err == nil && (ref.Incident == "" || ref.SubscriptionID == "" || ref.Workspace == "") {
			t.Fatalf("accepted %q with empty parts", s)
		}
		_, _, _ = ParseDefenderIncidentID(s)
	})
}
