package virustotal

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/spotter-soc/spotter/internal/skill"
	"github.com/spotter-soc/spotter/internal/skill/skilltest"
)

// FuzzParseVirusTotal feeds arbitrary bytes as a 200 body to the file, URL,
// domain and IP parsers: they must never panic, must fail only with a
// ProviderError, and must produce results that marshal to JSON with valid
// verdicts. The seed corpus is under testdata/fuzz/FuzzParseVirusTotal.
func FuzzParseVirusTotal(f *testing.F) {
	f.Add([]byte(`{"data":{"id":"x","type":"file","attributes":{"last_analysis_stats":{"malicious":7,"type-unsupported":1}}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for name, parse := range parsers() {
			res, err := parse(body)
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
