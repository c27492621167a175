package skill

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

func testSpec() Spec {
	return Spec{
		ID: "demo.CheckIP", Name: "Check IP", Description: "Reputation of an IP address.",
		Inputs: []Input{
			{Name: "ip", Type: TypeString, Required: true, Description: "IPv4 or IPv6 address"},
			{Name: "max_age_days", Type: TypeInteger, Default: 30, Min: Int(1), Max: Int(365), Description: "report age"},
			{Name: "verbose", Type: TypeBoolean, Default: false},
			{Name: "tags", Type: TypeStringList, Max: Int(3)},
			{Name: "mode", Type: TypeString, Enum: []string{"fast", "full"}},
			{Name: "extra", Type: TypeObject},
		},
		Enriches: []string{"ip"}, IndicatorInput: "ip",
	}
}

func TestValidate(t *testing.T) {
	s := testSpec()
	tests := []struct {
		name  string
		raw   map[string]any
		want  string // expected error substring, "" for success
		check func(Inputs) bool
	}{
		{"defaults", map[string]any{"ip": "1.2.3.4"}, "", func(in Inputs) bool {
			return in.String("ip") == "1.2.3.4" && in.Int("max_age_days") == 30 && !in.Bool("verbose")
		}},
		{"strings from a command line", map[string]any{"ip": " 1.2.3.4 ", "max_age_days": "90", "verbose": "true", "tags": "a, b,,"}, "", func(in Inputs) bool {
			return in.Int("max_age_days") == 90 && in.Bool("verbose") && strings.Join(in.Strings("tags"), "|") == "a|b" && in.String("ip") == "1.2.3.4"
		}},
		{"json values", map[string]any{"ip": "x", "max_age_days": float64(7), "tags": []any{"a"}, "extra": map[string]any{"k": 1.0}}, "", func(in Inputs) bool {
			return in.Int("max_age_days") == 7 && len(in.Strings("tags")) == 1 && in.Object("extra")["k"] == 1.0
		}},
		{"json number", map[string]any{"ip": "x", "max_age_days": json.Number("12")}, "", func(in Inputs) bool { return in.Int("max_age_days") == 12 }},
		{"missing required", map[string]any{}, "input ip: required: expected string (IPv4 or IPv6 address)", nil},
		{"empty required", map[string]any{"ip": ""}, "input ip: required", nil},
		{"unknown input", map[string]any{"ip": "x", "max_age": 3}, "input max_age: unknown input; expected one of ip, max_age_days, verbose, tags, mode, extra", nil},
		{"out of range", map[string]any{"ip": "x", "max_age_days": 400}, "input max_age_days: 400: expected between 1 and 365", nil},
		{"not a number", map[string]any{"ip": "x", "max_age_days": "lots"}, `input max_age_days: "lots": expected a whole number`, nil},
		{"fraction", map[string]any{"ip": "x", "max_age_days": 1.5}, "expected a whole number", nil},
		{"bad bool", map[string]any{"ip": "x", "verbose": "ture"}, `input verbose: "ture": expected true or false`, nil},
		{"too many", map[string]any{"ip": "x", "tags": []string{"a", "b", "c", "d"}}, "input tags: 4 items: expected at most 3 items", nil},
		{"enum", map[string]any{"ip": "x", "mode": "slow"}, `input mode: "slow": expected one of fast, full`, nil},
		{"enum case-insensitive", map[string]any{"ip": "x", "mode": "FAST"}, "", nil},
		{"wrong type", map[string]any{"ip": 5}, "input ip: expected a string, got int", nil},
		{"list item type", map[string]any{"ip": "x", "tags": []any{"a", 2.0}}, "item 1: expected a string", nil},
		{"object type", map[string]any{"ip": "x", "extra": "{}"}, "expected a JSON object", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := s.Validate(tt.raw)
			if tt.want != "" {
				var ie *InputError
				if !errors.As(err, &ie) || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "demo.CheckIP: ") {
					t.Fatalf("got %v, want an InputError containing %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.check != nil && !tt.check(in) {
				t.Errorf("inputs: %#v", in)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	bad := []Spec{
		{ID: "noplugin", Description: "x"},
		{ID: "a.B", Description: ""},
		{ID: "a.B", Description: "x", Inputs: []Input{{Name: "x", Type: "float"}}},
		{ID: "a.B", Description: "x", Inputs: []Input{{Name: "x", Type: TypeString}, {Name: "x", Type: TypeString}}},
		{ID: "a.B", Description: "x", Inputs: []Input{{Name: "n", Type: TypeInteger, Default: "many"}}},
		{ID: "a.B", Description: "x", Enriches: []string{"ip"}, IndicatorInput: "missing"},
	}
	for _, s := range bad {
		if err := s.Check(); err == nil {
			t.Errorf("Check(%+v) accepted a bad spec", s)
		}
	}
	if err := testSpec().Check(); err != nil {
		t.Error(err)
	}
}

// The derived JSON schema must agree with Validate: what Validate accepts
// (in its JSON form) the schema accepts, and the schema compiles.
func TestJSONSchema(t *testing.T) {
	s := testSpec()
	c := jsonschema.NewCompiler()
	schema := s.JSONSchema()
	id := schema["$id"].(string)
	if err := c.AddResource(id, roundTrip(t, schema)); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(id)
	if err != nil {
		t.Fatal(err)
	}
	good := map[string]any{"ip": "1.2.3.4", "max_age_days": 30, "tags": []string{"a"}, "mode": "full"}
	if err := sch.Validate(roundTrip(t, good)); err != nil {
		t.Errorf("schema rejects valid inputs: %v", err)
	}
	for _, bad := range []map[string]any{
		{}, {"ip": "x", "max_age_days": 0}, {"ip": "x", "nope": 1}, {"ip": "x", "tags": []string{"a", "b", "c", "d"}}, {"ip": "x", "mode": "slow"},
	} {
		if sch.Validate(roundTrip(t, bad)) == nil {
			t.Errorf("schema accepts %v", bad)
		}
		if _, err := s.Validate(bad); err == nil {
			t.Errorf("Validate accepts %v", bad)
		}
	}
	tool := s.Tool()
	if tool.Name != "demo__CheckIP" || tool.Description != s.Description || tool.Parameters["type"] != "object" {
		t.Errorf("tool: %+v", tool)
	}
	if _, ok := tool.Parameters["$schema"]; ok {
		t.Error("tool parameters carry $schema")
	}
}

func roundTrip(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jsonschema.UnmarshalJSON(strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return out
}
