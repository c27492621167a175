package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/spotter-soc/spotter/internal/incident"
	"github.com/spotter-soc/spotter/internal/skill"
)

// findNulls reports the paths of null values in a decoded JSON document.
func findNulls(v any, path string, out *[]string) {
	switch x := v.(type) {
	case nil:
		*out = append(*out, path)
	case map[string]any:
		for k, e := range x {
			findNulls(e, path+"."+k, out)
		}
	case []any:
		for _, e := range x {
			findNulls(e, path+"[]", out)
		}
	}
}

func TestJSONHasNoNulls(t *testing.T) {
	// A report built with nil lists everywhere, as a careless caller might.
	r := &Report{
		Incident: incident.Incident{Title: "t", Alerts: []incident.Alert{{Name: "a"}}},
		Entities: incident.Entities{
			MailMessages: []incident.MailMessage{{Subject: "s"}},
			Emails:       []incident.Email{{Value: "a@b.example"}},
			IPsPublic:    []incident.IP{{Value: "192.0.2.1"}},
		},
		Findings: []skill.Finding{{Indicator: "x", Type: "domain", Level: skill.Benign}},
		Verdict:  Verdict{Indicators: []skill.Verdict{{Indicator: "x", Type: "domain"}}},
	}
	var buf bytes.Buffer
	if err := Render(&buf, r, FormatJSON, Options{}); err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("output is not JSON: %v", err)
	}
	var nulls []string
	findNulls(doc, "$", &nulls)
	if len(nulls) > 0 {
		t.Errorf("null values at %v", nulls)
	}
	for _, want := range []string{`"labels": []`, `"ips_private": []`, `"roles": []`, `"threats": []`, `"sources": []`,
		`"recommendations": []`, `"coverage": []`, `"entities_by_kind": {}`, `"tactics": []`} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("output lacks %s", want)
		}
	}
	// The caller's report is not changed.
	if r.Incident.Labels != nil || r.Entities.IPsPrivate != nil || r.Verdict.Indicators[0].Sources != nil || r.Incident.Alerts[0].Tactics != nil {
		t.Error("rendering JSON changed the report")
	}
}

func TestJSONFormat(t *testing.T) {
	r := phishingReport()
	var buf bytes.Buffer
	if err := Render(&buf, r, FormatJSON, Options{}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.HasSuffix(out, "}\n") || strings.HasSuffix(out, "\n\n") {
		t.Error("output does not end with exactly one newline")
	}
	if !strings.HasPrefix(out, "{\n  \"incident\": {\n    \"") {
		t.Errorf("output is not indented with two spaces: %.40q", out)
	}
	// HTML characters are written as they are.
	if !strings.Contains(out, "user=j.doe&session=7781") || strings.Contains(out, `\u0026`) {
		t.Error("& is escaped")
	}
	// The JSON round-trips to the same report.
	var back Report
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(*r, back, cmpopts.IgnoreUnexported(incident.Incident{}), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("round trip differs (-want +got):\n%s", diff)
	}
}

func TestJSONEscapesNothingForHTML(t *testing.T) {
	r := emptyReport()
	r.Incident.Title = `<script>"a" & 'b'</script>`
	var buf bytes.Buffer
	if err := Render(&buf, r, FormatJSON, Options{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"title": "<script>\"a\" & 'b'</script>"`) {
		t.Errorf("title not written as is:\n%s", buf.String())
	}
}
