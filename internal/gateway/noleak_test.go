package gateway

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spotter-soc/spotter/internal/skill"
	"github.com/spotter-soc/spotter/internal/skill/skilltest"
)

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.b.Bytes())
}

// The API key travels in a header and in the query string. Whatever goes
// wrong (server errors, timeouts, an open breaker, a used-up quota, a
// refused connection) and however the result comes back (fresh or cached),
// the key appears in no error, result, status, metric or log line.
func TestNoLeak(t *testing.T) {
	const secret = "sk-test-SECRET-1234"
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var (
		collected []any
		gateways  []*Gateway
	)
	keep := func(vs ...any) { collected = append(collected, vs...) }

	gateway := func(f *fakeProvider, baseURL string, cfg Config) *Gateway {
		if f != nil {
			baseURL = newServer(t, f).URL
		}
		reg := newRegistry(t, &lookupPlugin{name: "prov"})
		g := New(reg, map[string]map[string]any{"prov": {"api_key": secret, "base_url": baseURL}}, cfg, NewMemoryCache(), log)
		gateways = append(gateways, g)
		return g
	}
	invoke := func(g *Gateway, ind string) (*skill.Result, error) {
		res, err := g.Invoke(context.Background(), "prov.Lookup", map[string]any{"indicator": ind}, InvokeOptions{})
		keep(res, err)
		return res, err
	}
	wantReason := func(err error, reason string) {
		t.Helper()
		if got, _ := Classify(nil, err); got != reason {
			t.Errorf("got %v (reason %q), want reason %q", err, got, reason)
		}
	}

	t.Run("fresh and cached", func(t *testing.T) {
		g := gateway(&fakeProvider{secret: secret}, "", testConfig())
		if _, err := invoke(g, "1.1.1.1"); err != nil {
			t.Fatal(err)
		}
		if res, err := invoke(g, "1.1.1.1"); err != nil || !res.Cached {
			t.Fatalf("second call: %v, %v", res, err)
		}
	})
	t.Run("server errors and breaker", func(t *testing.T) {
		cfg := testConfig()
		cfg.MaxRetries, cfg.BreakerFailures, cfg.BreakerCooldown = 1, 3, time.Hour
		g := gateway(&fakeProvider{secret: secret, script: statuses(503, 503, 503, 503, 503)}, "", cfg)
		_, err := invoke(g, "2.2.2.2")
		wantReason(err, ReasonServer)
		_, err = invoke(g, "2.2.2.3")
		wantReason(err, ReasonBreakerOpen)
		_, err = invoke(g, "2.2.2.4")
		wantReason(err, ReasonBreakerOpen)
	})
	t.Run("timeout", func(t *testing.T) {
		cfg := testConfig()
		cfg.CallTimeout, cfg.MaxRetries = 20*time.Millisecond, 1
		g := gateway(&fakeProvider{secret: secret, latency: 300 * time.Millisecond}, "", cfg)
		_, err := invoke(g, "3.3.3.3")
		wantReason(err, ReasonTimeout)
	})
	t.Run("quota", func(t *testing.T) {
		cfg := testConfig()
		cfg.Limits = map[string]skill.RateLimit{"prov": {PerDay: 1}}
		g := gateway(&fakeProvider{secret: secret}, "", cfg)
		if _, err := invoke(g, "4.4.4.4"); err != nil {
			t.Fatal(err)
		}
		_, err := invoke(g, "4.4.4.5")
		wantReason(err, ReasonQuota)
	})
	t.Run("connection refused", func(t *testing.T) {
		cfg := testConfig()
		cfg.MaxRetries = 1
		g := gateway(nil, "http://127.0.0.1:1", cfg)
		_, err := invoke(g, "5.5.5.5")
		wantReason(err, ReasonNetwork)
		var ge *Error
		if !errors.As(err, &ge) {
			t.Errorf("%v: want a *gateway.Error inside", err)
		}
	})

	for _, g := range gateways {
		keep(g.Status(), g.Metrics(), g)
	}
	out := logs.Bytes()
	for _, want := range []string{"looking up", "circuit breaker open", "/lookup/1.1.1.1"} {
		// The plugin's careless log line is kept, scrubbed.
		if !strings.Contains(string(out), want) {
			t.Errorf("logs lack %q:\n%s", want, out)
		}
	}
	skilltest.NoLeak(t, []string{secret}, append(collected, out)...)
}
