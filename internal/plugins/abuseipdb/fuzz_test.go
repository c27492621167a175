package abuseipdb

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/spotter-soc/spotter/internal/skill"
	"github.com/spotter-soc/spotter/internal/skill/skilltest"
)

// FuzzParseAbuseIPDB feeds arbitrary bytes as a 200 body to the /check and
// /check-block parsers: they must never panic, must fail only with a
// ProviderError, and must produce results that marshal to JSON with valid
// verdicts. The seed corpus is under testdata/fuzz/FuzzParseAbuseIPDB.
func FuzzParseAbuseIPDB(f *testing.F) {
	f.Add([]byte(`{"data":{"ipAddress":"185.220.101.47","abuseConfidenceScore":100,"isTor":true,"totalReports":3}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		check := func(res *skill.Result, err error) {
			skilltest.NoLeak(t, []string{testKey}, res, err)
			if err != nil {
				var pe *skill.ProviderError
				if !errors.As(err, &pe) {
					t.Fatalf("error %v (%T) is not a ProviderError", err, err)
				}
				return
			}
			if _, err := json.Marshal(res); err != nil {
				t.Fatalf("result does not marshal: %v", err)
			}
			for _, f := range res.Findings {
				if !f.Level.Valid() || f.Score < 0 || f.Score > 100 {
					t.Fatalf("finding %+v", f)
				}
			}
		}
		check(checkResult("185.220.101.47", 30, body, testKey))
		check(blockResult("185.220.101.0/24", 30, body, testKey))
	})
}
