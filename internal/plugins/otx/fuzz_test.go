package otx

import (
	"encoding/json"
	"errors"
	"github.com/spotter-soc/spotter/internal/plugins/provider"
	"net/http"
	"testing"

	"github.com/spotter-soc/spotter/internal/skill"
	"github.com/spotter-soc/spotter/internal/skill/skilltest"
)

// FuzzParseOTX feeds arbitrary bytes as a 200 body to the general-section
// parser for every indicator type: it must never panic, must fail only with
// a ProviderError, and must produce results that marshal to JSON with valid
// verdicts. The seed corpus is under testdata/fuzz/FuzzParseOTX.
func FuzzParseOTX(f *testing.F) {
	f.Add([]byte(`{"indicator":"8.8.8.8","pulse_info":{"count":0,"pulses":[]},"validation":[]}`))
	targets := []target{
		{"8.8.8.8", TypeIPv4, "ip"}, {"x.example", TypeDomain, "domain"},
		{"http://x.example/a", TypeURL, "url"}, {"0123456789abcdef0123456789abcdef", TypeFile, "hash"},
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, tg := range targets {
			res, err := generalResult(tg, &provider.Response{Status: 200, Header: http.Header{}, Body: body}, testKey)
			skilltest.NoLeak(t, []string{testKey}, res, err)
			if err != nil {
				var pe *skill.ProviderError
				if !errors.As(err, &pe) {
					t.Fatalf("%s: error %v (%T) is not a ProviderError", tg.otxType, err, err)
				}
				continue
			}
			if _, err := json.Marshal(res); err != nil {
				t.Fatalf("%s: result does not marshal: %v", tg.otxType, err)
			}
			for _, f := range res.Findings {
				if !f.Level.Valid() || f.Score < 0 || f.Score > 100 {
					t.Fatalf("%s: finding %+v", tg.otxType, f)
				}
			}
		}
	})
}
