package abusech

import (
	"encoding/json"
	"errors"
	"github.com/spotter-soc/spotter/internal/plugins/provider"
	"net/http"
	"testing"

	"github.com/spotter-soc/spotter/internal/skill"
	"github.com/spotter-soc/spotter/internal/skill/skilltest"
)

// FuzzParseAbuseCH feeds arbitrary bytes as a 200 body to the URLhaus URL
// and host, ThreatFox and MalwareBazaar parsers: they must never panic,
// must fail only with a ProviderError, and must produce results that
// marshal to JSON with valid verdicts. The seed corpus is under
// testdata/fuzz/FuzzParseAbuseCH.
func FuzzParseAbuseCH(f *testing.F) {
	f.Add([]byte(`{"query_status":"no_result","data":"Your search did not yield any results"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r := &provider.Response{Status: 200, Header: http.Header{}, Body: body}
		parsers := map[string]func() (*skill.Result, error){
			"urlhaus url":   func() (*skill.Result, error) { return urlhausURLResult("http://x.example/a", r, testKey) },
			"urlhaus host":  func() (*skill.Result, error) { return urlhausHostResult("x.example", "domain", r, testKey) },
			"threatfox":     func() (*skill.Result, error) { return threatfoxResult("x.example", "x.example", "domain", r, testKey) },
			"malwarebazaar": func() (*skill.Result, error) { return bazaarResult("0123456789abcdef0123456789abcdef", r, testKey) },
		}
		for name, parse := range parsers {
			res, err := parse()
			skilltest.NoLeak(t, []string{testKey}, res, err)
			if err != nil {
				var pe *skill.ProviderError
				if !errors.As(err, &pe) {
					t.Fatalf("%s: error %v (%T) is not a ProviderError", name, err, err)
				}
				continue
			}
			if _, err := json.Marshal(res); err != nil {
				t.Fatalf("%s: result does not marshal: %v", name, err)
			}
			for _, f := range res.Findings {
				if !f.Level.Valid() || f.Score < 0 || f.Score > 100 {
					t.Fatalf("%s: finding %+v", name, f)
				}
			}
		}
	})
}
