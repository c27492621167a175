package store

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/spotter-soc/spotter/internal/gateway"
	"github.com/spotter-soc/spotter/internal/skill"
	"github.com/spotter-soc/spotter/internal/store/storetest"
)

// BenchmarkSharedLimits measures what keeping a provider's limits in
// PostgreSQL adds to each request, against the same requests under the
// in-memory limits: requests through a gateway client to a provider on
// loopback that answers at once, with limits high enough never to make a
// request wait, so the difference is the limiter's own cost (one UPDATE …
// RETURNING for the rate, one more with a daily quota).
//
//	SPOTTER_TEST_POSTGRES_URL=postgres://... go test ./internal/store/ -run '^$' -bench SharedLimits
func BenchmarkSharedLimits(b *testing.B) {
	dsn := storetest.PostgresURL(b)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	defer srv.Close()
	st, err := Open(context.Background(), dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	rate := skill.RateLimit{PerSecond: 1e6, Burst: 1e6}
	quota := skill.RateLimit{PerSecond: 1e6, Burst: 1e6, PerDay: 1e9}
	for _, bc := range []struct {
		name     string
		limits   skill.RateLimit
		shared   bool
		parallel bool
	}{
		{"memory/rate", rate, false, false},
		{"postgres/rate", rate, true, false},
		{"memory/rate+quota", quota, false, false},
		{"postgres/rate+quota", quota, true, false},
		{"memory/rate/parallel", rate, false, true},
		{"postgres/rate/parallel", rate, true, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var opts []gateway.Option
			if bc.shared {
				opts = append(opts, gateway.WithSharedLimits(st.SharedLimits()))
			}
			g := gateway.New(skill.NewRegistry(), nil, gateway.DefaultConfig(), nil, nil, opts...)
			c := g.Client("bench-"+bc.name, bc.limits)
			ctx := context.Background()
			if bc.parallel {
				b.SetParallelism(4)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, err := get(ctx, c, srv.URL); err != nil {
							b.Error(err)
							return
						}
					}
				})
			} else {
				for b.Loop() {
					if _, err := get(ctx, c, srv.URL); err != nil {
						b.Fatal(err)
					}
				}
			}
			for _, m := range g.Metrics() {
				if m.SharedLimitFallbacks != 0 {
					b.Errorf("%d fallbacks", m.SharedLimitFallbacks)
				}
			}
		})
	}
}
