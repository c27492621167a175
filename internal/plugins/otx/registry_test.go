package otx_test

import (
	"testing"

	"github.com/spotter-soc/spotter/internal/plugins/abusech"
	"github.com/spotter-soc/spotter/internal/plugins/abuseipdb"
	"github.com/spotter-soc/spotter/internal/plugins/otx"
	"github.com/spotter-soc/spotter/internal/plugins/virustotal"
	"github.com/spotter-soc/spotter/internal/skill"
)

// The four threat-intelligence plugins register together without id or
// alias collisions, and every indicator type they enrich is covered.
func TestRegisterTogether(t *testing.T) {
	r := skill.NewRegistry()
	for _, p := range []skill.Plugin{abuseipdb.New(), virustotal.New(), abusech.New(), otx.New()} {
		if err := r.Register(p); err != nil {
			t.Fatalf("%s: %v", p.Info().Name, err)
		}
	}
	covered := map[string]int{}
	for _, s := range r.Specs() {
		for _, e := range s.Enriches {
			covered[e]++
		}
	}
	for _, typ := range []string{"ip", "domain", "url", "hash"} {
		if covered[typ] < 2 {
			t.Errorf("%s: enriched by %d skills", typ, covered[typ])
		}
	}
	if n := len(r.Specs()); n != 11 {
		t.Errorf("%d skills", n)
	}
}
