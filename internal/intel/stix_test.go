package intel

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseSTIXBundle(t *testing.T) {
	f, err := os.Open("testdata/stix/bundle.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := ParseSTIX(f, "bundle.json", Defaults{})
	if err != nil {
		t.Fatal(err)
	}
	byValue := map[string]Indicator{}
	for _, in := range p.Indicators {
		byValue[in.Value] = in
	}
	if len(p.Indicators) != 5 {
		t.Fatalf("%d entries: %+v", len(p.Indicators), p.Indicators)
	}
	c2 := byValue["198.51.100.7"]
	if c2.Confidence != 90 || c2.Description != "Emotet C2 (updated)" || c2.Malware != "Emotet" ||
		strings.Join(c2.Tags, ",") != "c2,intrusion-set:TA542,malicious-activity" ||
		c2.Reference != "https://feodotracker.abuse.ch/browse/host/198.51.100.7/" ||
		!c2.FirstSeen.Equal(time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)) || c2.ObjectID != "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f" {
		t.Errorf("newest version with relationships: %+v", c2)
	}
	dom := byValue["update-check.fabrikam-cdn.net"]
	if dom.Type != TypeDomain || dom.Confidence != DefaultConfidence || !dom.ValidUntil.Equal(time.Date(2027, 11, 2, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("OR of a domain and a URL: %+v", dom)
	}
	if byValue["http://update-check.fabrikam-cdn.net/a.ps1"].Type != TypeURL {
		t.Errorf("URL of the disjunction missing: %+v", byValue)
	}
	if h := byValue["8d3f68b16f0710f858d8c1d2c699260e6f43161a5510abb0e7ba567bd72c965b"]; h.Type != TypeSHA256 || h.Confidence != 85 {
		t.Errorf("SHA-256: %+v", h)
	}
	if byValue["d41d8cd98f00b204e9800998ecf8427e"].Type != TypeMD5 {
		t.Error("MD5 of the observation disjunction missing")
	}
	want := map[string]int{"pattern_type yara": 1, "object network-traffic": 1, "AND of comparisons": 1}
	for k, n := range want {
		if p.Report.Unsupported[k] != n {
			t.Errorf("unsupported %q = %d; want %d (%v)", k, p.Report.Unsupported[k], n, p.Report.Unsupported)
		}
	}
	if p.Report.UnsupportedTotal() != 3 || p.Report.Invalid != 3 {
		t.Errorf("unsupported %d, invalid %d; want 3 and 3: %v", p.Report.UnsupportedTotal(), p.Report.Invalid, p.Report.Problems)
	}
	var revoked []string
	for _, k := range p.Revoked {
		revoked = append(revoked, k.Value)
	}
	if strings.Join(revoked, ",") != "192.0.2.66,192.0.2.77" {
		t.Errorf("expired and revoked values: %v", revoked)
	}
	found := false
	for _, pr := range p.Report.Problems {
		if pr.Object == "indicator--4d5e6f70-8192-4a3b-9c2d-3e4f5a6b7c8d" && strings.Contains(pr.Msg, "pattern syntax") {
			found = true
		}
	}
	if !found {
		t.Errorf("the malformed pattern is not located by its indicator id: %v", p.Report.Problems)
	}
}

func TestParseSTIXShapes(t *testing.T) {
	ind := `{"type":"indicator","id":"indicator--1","pattern":"[ipv4-addr:value = '198.51.100.7']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}`
	tests := []struct {
		name, in string
		n        int
		err      string
	}{
		{"bundle", `{"type":"bundle","id":"bundle--1","objects":[` + ind + `]}`, 1, ""},
		{"TAXII envelope", `{"more":false,"objects":[` + ind + `]}`, 1, ""},
		{"array", `[` + ind + `]`, 1, ""},
		{"single object", ind, 1, ""},
		{"empty bundle", `{"type":"bundle","id":"bundle--1"}`, 0, ""},
		{"no objects", `{"hello":"world"}`, 0, `no "objects" list`},
		{"syntax error with line", "{\n\"type\": \"bundle\",\n\"objects\": [\n}", 0, "bundle.json:4"},
		{"empty", "", 0, "empty file"},
		{"wrong shape", `{"objects": 5}`, 0, "not a STIX bundle"},
	}
	for _, tt := range tests {
		p, err := ParseSTIX(strings.NewReader(tt.in), "bundle.json", Defaults{})
		if tt.err != "" {
			var ie *InputError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: %v; want an InputError containing %q", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil || len(p.Indicators) != tt.n {
			t.Errorf("%s: %v, %+v", tt.name, err, p)
		}
	}
}

// A revoked or expired STIX indicator withdraws a value stored earlier.
func TestImportSTIXRevocation(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		importText(t, s, "bundle", "192.0.2.66\n192.0.2.77\n198.51.100.7\n", ImportOptions{})
		rep, err := s.ImportPath(context.Background(), "testdata/stix/bundle.json", ImportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Source != "bundle" || rep.Format != FormatSTIX || rep.Removed != 2 || rep.Added != 4 || rep.Updated != 1 {
			t.Errorf("report: %s", rep.Summary())
		}
		if m := lookupOne(t, s, "192.0.2.77"); len(m) != 0 {
			t.Errorf("revoked value still stored: %+v", m)
		}
		again, err := s.ImportPath(context.Background(), "testdata/stix/bundle.json", ImportOptions{})
		if err != nil || again.Changed() || again.Unchanged != 5 {
			t.Errorf("second import: %v %s", err, again.Summary())
		}
	})
}
