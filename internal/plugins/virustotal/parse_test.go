package virustotal

import (
	"github.com/spotter-soc/spotter/internal/plugins/provider"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spotter-soc/spotter/internal/skill"
	"github.com/spotter-soc/spotter/internal/skill/skilltest"
)

// The file stats keys are hyphenated on the wire.
func TestParseFileStats(t *testing.T) {
	body := `{"data":{"id":"` + strings.Repeat("a", 64) + `","type":"file","attributes":{
	 "sha256":"` + strings.Repeat("A", 64) + `","last_analysis_date":1735689600.0,
	 "last_analysis_stats":{"harmless":1,"type-unsupported":3,"suspicious":2,"confirmed-timeout":4,"timeout":5,"failure":6,"malicious":7,"undetected":8},
	 "last_analysis_results":{"B":{"category":"suspicious","engine_name":"B","result":null},"A":{"category":"malicious","engine_name":"A","result":"Trojan.X"},
	   "C":{"category":"undetected","engine_name":"C","result":null}},
	 "popular_threat_classification":{"suggested_threat_label":"trojan.x/y","popular_threat_category":[{"count":1,"value":"dropper"},{"count":9,"value":"trojan"}]},
	 "unknown_future_field":{"nested":[1,2,3]}}}}`
	res, err := fileResult(strings.Repeat("a", 64), &provider.Response{Status: 200, Body: []byte(body)}, testKey)
	skilltest.NoLeak(t, []string{testKey}, res, err)
	if err != nil {
		t.Fatal(err)
	}
	d := res.Data.(FileReport)
	want := Stats{Malicious: 7, Suspicious: 2, Harmless: 1, Undetected: 8, Timeout: 5, ConfirmedTimeout: 4, TypeUnsupported: 3, Failure: 6}
	if diff := cmp.Diff(want, d.Analysis.Stats); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	if d.Analysis.Engines != 18 || d.Analysis.Date == nil || d.Analysis.Date.Unix() != 1735689600 {
		t.Errorf("analysis: %+v", d.Analysis)
	}
	wantDet := []Detection{{Engine: "A", Category: "malicious", Result: "Trojan.X"}, {Engine: "B", Category: "suspicious"}}
	if diff := cmp.Diff(wantDet, d.Analysis.Detections); diff != "" {
		t.Errorf("detections (-want +got):\n%s", diff)
	}
	if d.SHA256 != strings.Repeat("a", 64) || d.ThreatLabel != "trojan.x/y" || cmp.Diff([]string{"trojan", "dropper"}, d.ThreatCategories) != "" {
		t.Errorf("file: %+v", d)
	}
	if f := res.Findings[0]; f.Level != skill.Malicious || f.Score != 77 {
		t.Errorf("finding: %+v", f)
	}
}

func TestJudge(t *testing.T) {
	an := func(mal, sus, harmless, undetected int) *Analysis {
		return &Analysis{Stats: Stats{Malicious: mal, Suspicious: sus, Harmless: harmless, Undetected: undetected}, Engines: mal + sus + harmless + undetected}
	}
	tests := []struct {
		name  string
		c     Common
		level skill.Level
		score int
	}{
		{"not found", Common{}, skill.Unknown, 0},
		{"never analysed", Common{Found: true}, skill.Unknown, 0},
		{"all engines timed out", Common{Found: true, Analysis: &Analysis{Stats: Stats{Timeout: 70}}}, skill.Unknown, 0},
		{"five engines", Common{Found: true, Analysis: an(5, 0, 0, 60)}, skill.Malicious, 75},
		{"forty engines", Common{Found: true, Analysis: an(40, 0, 0, 30)}, skill.Malicious, 100},
		{"one engine and a bad reputation", Common{Found: true, Reputation: -30, Analysis: an(1, 0, 60, 10)}, skill.Malicious, 75},
		{"four engines", Common{Found: true, Analysis: an(4, 0, 60, 10)}, skill.Suspicious, 65},
		{"suspicious only", Common{Found: true, Analysis: an(0, 2, 60, 10)}, skill.Suspicious, 35},
		{"many suspicious", Common{Found: true, Analysis: an(4, 9, 60, 10)}, skill.Suspicious, 74},
		{"bad reputation only", Common{Found: true, Reputation: -80, Analysis: an(0, 0, 60, 10)}, skill.Suspicious, 25},
		{"clean, harmless", Common{Found: true, Reputation: 3, Analysis: an(0, 0, 60, 10)}, skill.Benign, 0},
		{"clean, undetected only", Common{Found: true, Analysis: an(0, 0, 0, 70)}, skill.Benign, 0},
	}
	for _, tt := range tests {
		f := judge("x", "domain", DomainReportID, tt.c)
		if f.Level != tt.level || f.Score != tt.score {
			t.Errorf("%s: %s %d, want %s %d", tt.name, f.Level, f.Score, tt.level, tt.score)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for _, body := range []string{
		``, `null`, `[]`, `{"data":null}`, `{"data":{"attributes":[]}}`,
		`{"data":{"attributes":{"last_analysis_stats":{"malicious":-1}}}}`,
		`{"data":{"attributes":{"last_analysis_stats":{"malicious":"7"}}}}`,
		`{"data":{"attributes":{"last_analysis_date":"yesterday"}}}`,
	} {
		for name, parse := range parsers() {
			res, err := parse([]byte(body))
			skilltest.NoLeak(t, []string{testKey}, res, err)
			if err == nil {
				t.Errorf("%s accepted %q", name, body)
			} else if pe := providerError(t, err); !strings.HasPrefix(pe.Msg, "unexpected response: ") {
				t.Errorf("%s: %q", name, pe)
			}
		}
	}
	// lenient where the shape allows it
	for name, parse := range parsers() {
		if _, err := parse([]byte(`{"data":{"id":"x","type":"y","attributes":null}}`)); err != nil {
			t.Errorf("%s: null attributes: %v", name, err)
		}
		if _, err := parse([]byte(`{"data":{"attributes":{"last_analysis_date":null,"creation_date":-5}}}`)); err != nil {
			t.Errorf("%s: null or negative dates: %v", name, err)
		}
	}
}

// parsers interpret a 200 body with each skill's parser.
func parsers() map[string]func([]byte) (*skill.Result, error) {
	ok := func(b []byte) *provider.Response { return &provider.Response{Status: 200, Body: b} }
	return map[string]func([]byte) (*skill.Result, error){
		"file":   func(b []byte) (*skill.Result, error) { return fileResult(strings.Repeat("0", 32), ok(b), testKey) },
		"url":    func(b []byte) (*skill.Result, error) { return urlResult("http://example.com/", ok(b), testKey) },
		"domain": func(b []byte) (*skill.Result, error) { return domainResult("example.com", ok(b), testKey) },
		"ip":     func(b []byte) (*skill.Result, error) { return ipResult("8.8.8.8", ok(b), testKey) },
	}
}
