package incident

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseShapes(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		shape      Shape
		title      string
		entities   int
		alerts     int
		wantNumber int
	}{
		{
			name:  "trigger payload",
			in:    `{"objectEventType":"Create","workspaceInfo":{"SubscriptionId":"s","ResourceGroupName":"rg","WorkspaceName":"ws"},"object":{"id":"/x/Incidents/1","name":"1","properties":{"title":"T","incidentNumber":9,"relatedEntities":[{"id":"e1","kind":"Ip","properties":{"address":"203.0.113.7"}}],"alerts":[{"id":"a1","kind":"SecurityAlert","properties":{"alertDisplayName":"A","tactics":["Execution"]}}]}}}`,
			shape: ShapeTrigger, title: "T", entities: 1, alerts: 1, wantNumber: 9,
		},
		{
			name:  "arm incident with entity array",
			in:    `{"incident":{"name":"g","properties":{"title":"T2","incidentNumber":3177}},"entities":[{"id":"e1","kind":"Account","properties":{"accountName":"a"}},{"id":"e2","kind":"Host","properties":{"hostName":"h"}}]}`,
			shape: ShapeARM, title: "T2", entities: 2, wantNumber: 3177,
		},
		{
			name:  "arm incident with list-entities response",
			in:    `{"incident":{"properties":{"title":"T3"}},"entities":{"entities":[{"id":"e1","kind":"Url","properties":{"url":"http://x.test"}}],"metaData":[{"entityKind":"Url","count":1}]}}`,
			shape: ShapeARMList, title: "T3", entities: 1,
		},
		{
			name:  "bare arm incident",
			in:    `{"id":"/x","type":"Microsoft.SecurityInsights/incidents","properties":{"title":"T4"}}`,
			shape: ShapeARM, title: "T4",
		},
		{
			name:  "incident number as a string",
			in:    `{"incident":{"properties":{"title":"T","incidentNumber":"42"}}}`,
			shape: ShapeARM, title: "T", wantNumber: 42,
		},
		{
			name:  "duplicate entity ids are read once",
			in:    `{"incident":{"properties":{"title":"T","relatedEntities":[{"id":"e1","kind":"Ip","properties":{"address":"1.1.1.1"}}]}},"entities":[{"id":"e1","kind":"Ip","properties":{"address":"1.1.1.1"}}]}`,
			shape: ShapeARM, title: "T", entities: 1,
		},
		{
			name:  "security alert entities become alerts",
			in:    `{"incident":{"properties":{"title":"T"}},"entities":[{"id":"a","kind":"SecurityAlert","properties":{"alertDisplayName":"X","productName":"P"}},{"id":"b","kind":"Ip","properties":{"address":"1.1.1.1"}}]}`,
			shape: ShapeARM, title: "T", entities: 1, alerts: 1,
		},
		{
			name:  "byte order mark",
			in:    "\xef\xbb\xbf" + `{"incident":{"properties":{"title":"T"}}}`,
			shape: ShapeARM, title: "T",
		},
		{
			name:  "unknown kinds are kept",
			in:    `{"incident":{"properties":{"title":"T"}},"entities":[{"id":"n","kind":"Nic","properties":{"macAddress":"00:11:22:33:44:55"}}]}`,
			shape: ShapeARM, title: "T", entities: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inc, err := Parse([]byte(tt.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if inc.Shape != tt.shape || inc.Title != tt.title || len(inc.Entities) != tt.entities || len(inc.Alerts) != tt.alerts || inc.Number != tt.wantNumber {
				t.Errorf("got shape=%s title=%q entities=%d alerts=%d number=%d", inc.Shape, inc.Title, len(inc.Entities), len(inc.Alerts), inc.Number)
			}
		})
	}
}

func TestParseTriggerDetails(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "examples", "phishing-credential-theft.json"))
	if err != nil {
		t.Fatal(err)
	}
	inc, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if inc.Workspace.Name != "law-sentinel" || inc.Workspace.ResourceGroup != "rg-siem" || inc.EventType != "Create" {
		t.Errorf("workspace/event not read: %+v %q", inc.Workspace, inc.EventType)
	}
	if inc.ETag != `"2b00a3c4-0000-0d00-0000-6743f1a20000"` {
		t.Errorf("etag must keep its quotes, got %s", inc.ETag)
	}
	if strings.Join(inc.Tactics, ",") != "InitialAccess,CredentialAccess" || len(inc.Products) != 2 || inc.Labels[0] != "phishing" {
		t.Errorf("tactics/products/labels: %v %v %v", inc.Tactics, inc.Products, inc.Labels)
	}
	if len(inc.Alerts) != 2 || inc.Alerts[1].Product != "Azure Active Directory Identity Protection" {
		t.Errorf("alerts: %+v", inc.Alerts)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in, path, msg string
	}{
		{"empty", ``, "$", "empty input"},
		{"not json", `{"incident": }`, "line 1, column 14", "invalid JSON"},
		{"truncated", `{"incident": {"properties": {"title": "x"`, "line 1", "ends early"},
		{"trailing data", `{"incident":{"properties":{"title":"x"}}} {}`, "line 1", "unexpected data"},
		{"array", `[]`, "$", "expected a JSON object, found an array"},
		{"unknown shape", `{"foo":1,"bar":2}`, "$", "found keys bar, foo"},
		{"missing properties", `{"object":{"id":"x"}}`, "$.object.properties", "missing: expected an object"},
		{"missing title", `{"object":{"properties":{"severity":"High"}}}`, "$.object.properties.title", "missing"},
		{"title wrong type", `{"incident":{"properties":{"title":[5]}}}`, "$.incident.properties.title", "expected a string, found an array"},
		{"severity wrong type", `{"incident":{"properties":{"title":"t","severity":{"a":1}}}}`, "$.incident.properties.severity", "found an object"},
		{"entities wrong type", `{"incident":{"properties":{"title":"t"}},"entities":"x"}`, "$.entities", "expected an array of entities"},
		{"list response without entities", `{"incident":{"properties":{"title":"t"}},"entities":{"metaData":[]}}`, "$.entities.entities", "missing"},
		{"entity not object", `{"incident":{"properties":{"title":"t"}},"entities":[1]}`, "$.entities[0]", "expected an entity object"},
		{"entity without kind", `{"incident":{"properties":{"title":"t"}},"entities":[{"id":"x","properties":{}}]}`, "$.entities[0].kind", "missing"},
		{"entity properties wrong", `{"incident":{"properties":{"title":"t"}},"entities":[{"kind":"Ip","properties":[]}]}`, "$.entities[0].properties", "expected an object"},
		{"related entities wrong", `{"object":{"properties":{"title":"t","relatedEntities":{}}}}`, "$.object.properties.relatedEntities", "expected an array"},
		{"label wrong", `{"incident":{"properties":{"title":"t","labels":[7]}}}`, "$.incident.properties.labels[0]", "labelName"},
		{"negative number", `{"incident":{"properties":{"title":"t","incidentNumber":-1}}}`, "$.incident.properties.incidentNumber", "non-negative"},
		{"tactic wrong", `{"incident":{"properties":{"title":"t","additionalData":{"tactics":[1]}}}}`, "$.incident.properties.additionalData.tactics[0]", "expected a string"},
		{"comments wrong", `{"object":{"properties":{"title":"t","comments":[1]}}}`, "$.object.properties.comments[0]", "expected a comment object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in))
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("want *InputError, got %v", err)
			}
			if !strings.HasPrefix(ie.Path, tt.path) || !strings.Contains(ie.Msg, tt.msg) {
				t.Errorf("got %q; want path %q and message containing %q", err, tt.path, tt.msg)
			}
		})
	}
}

func TestParseExamples(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "examples", "*.json"))
	if len(files) < 3 {
		t.Fatalf("want several example incidents, found %d", len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inc, err := Parse(data)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if len(inc.Entities) == 0 {
			t.Errorf("%s: no entities", f)
		}
	}
}
