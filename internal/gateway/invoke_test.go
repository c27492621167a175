package gateway

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/spotter-soc/spotter/internal/skill"
)

func echo(t *testing.T, g *Gateway, raw map[string]any, opts InvokeOptions) *skill.Result {
	t.Helper()
	res, err := g.Invoke(t.Context(), "local.Echo", raw, opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// run reads the run counter the local skill put in its data.
func run(res *skill.Result) float64 { return res.Data.(map[string]any)["run"].(float64) }

func TestCacheHitMissExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &localPlugin{}
		cfg := testConfig()
		cfg.DefaultTTL = time.Hour
		g := New(newRegistry(t, p), nil, cfg, NewMemoryCache(), discard())
		in := map[string]any{"text": "hello"}

		first := echo(t, g, in, InvokeOptions{})
		storedAt := time.Now()
		if first.Cached || run(first) != 1 {
			t.Fatalf("first call: cached %v run %v", first.Cached, run(first))
		}
		time.Sleep(59 * time.Minute)
		hit := echo(t, g, in, InvokeOptions{})
		if !hit.Cached || !hit.CachedAt.Equal(storedAt) || run(hit) != 1 || p.runs.Load() != 1 {
			t.Errorf("within TTL: cached %v at %v, run %v, runs %d", hit.Cached, hit.CachedAt, run(hit), p.runs.Load())
		}
		time.Sleep(time.Minute)
		expired := echo(t, g, in, InvokeOptions{})
		if expired.Cached || run(expired) != 2 {
			t.Errorf("after TTL: cached %v run %v", expired.Cached, run(expired))
		}
		m := g.Metrics()[0]
		if m.CacheHits != 1 || m.CacheMisses != 2 || m.Calls != 0 {
			t.Errorf("metrics %+v", m)
		}
	})
}

func TestCacheKeyIsCanonical(t *testing.T) {
	p := &localPlugin{}
	g := New(newRegistry(t, p), nil, testConfig(), NewMemoryCache(), discard())
	echo(t, g, map[string]any{"text": "a", "tags": []any{"x", "y"}, "opts": map[string]any{"b": 1, "a": 2}}, InvokeOptions{})
	// Defaults filled, spaces trimmed, list given as a string: the same inputs.
	same := echo(t, g, map[string]any{"text": " a ", "tags": "x, y", "mode": "fast", "opts": map[string]any{"a": 2, "b": 1}}, InvokeOptions{})
	if !same.Cached {
		t.Error("equivalent inputs missed the cache")
	}
	other := echo(t, g, map[string]any{"text": "a", "tags": []any{"y", "x"}, "opts": map[string]any{"a": 2, "b": 1}}, InvokeOptions{})
	if other.Cached {
		t.Error("different inputs hit the cache")
	}
}

func TestNoCache(t *testing.T) {
	p := &localPlugin{}
	g := New(newRegistry(t, p), nil, testConfig(), NewMemoryCache(), discard())
	in := map[string]any{"text": "x"}
	echo(t, g, in, InvokeOptions{})
	fresh := echo(t, g, in, InvokeOptions{NoCache: true})
	if fresh.Cached || run(fresh) != 2 {
		t.Fatalf("NoCache: cached %v run %v", fresh.Cached, run(fresh))
	}
	// The fresh result replaced the cached one.
	if again := echo(t, g, in, InvokeOptions{}); !again.Cached || run(again) != 2 {
		t.Errorf("after NoCache: cached %v run %v", again.Cached, run(again))
	}
}

func TestNeverCached(t *testing.T) {
	t.Run("spec TTL negative", func(t *testing.T) {
		p := &localPlugin{ttl: -1}
		g := New(newRegistry(t, p), nil, testConfig(), NewMemoryCache(), discard())
		echo(t, g, map[string]any{"text": "x"}, InvokeOptions{})
		if echo(t, g, map[string]any{"text": "x"}, InvokeOptions{}).Cached || p.runs.Load() != 2 {
			t.Error("cached despite a negative Spec.CacheTTL")
		}
	})
	t.Run("config TTL negative", func(t *testing.T) {
		p := &localPlugin{ttl: time.Hour}
		cfg := testConfig()
		cfg.TTL = map[string]time.Duration{"local.Echo": -time.Second}
		g := New(newRegistry(t, p), nil, cfg, NewMemoryCache(), discard())
		echo(t, g, map[string]any{"text": "x"}, InvokeOptions{})
		if echo(t, g, map[string]any{"text": "x"}, InvokeOptions{}).Cached || p.runs.Load() != 2 {
			t.Error("cached despite a negative Config.TTL")
		}
	})
	t.Run("errors", func(t *testing.T) {
		p := &localPlugin{}
		p.fail.Store(true)
		g := New(newRegistry(t, p), nil, testConfig(), NewMemoryCache(), discard())
		if _, err := g.Invoke(t.Context(), "local.Echo", map[string]any{"text": "x"}, InvokeOptions{}); err == nil {
			t.Fatal("no error")
		}
		p.fail.Store(false)
		if res := echo(t, g, map[string]any{"text": "x"}, InvokeOptions{}); res.Cached || p.runs.Load() != 2 {
			t.Error("an error was cached")
		}
	})
}

// A new setting value (a new API key) never serves results cached under the old one.
func TestCacheFingerprint(t *testing.T) {
	cache := NewMemoryCache()
	in := map[string]any{"text": "x"}
	gw := func(salt string) (*Gateway, *localPlugin) {
		p := &localPlugin{}
		return New(newRegistry(t, p), map[string]map[string]any{"local": {"salt": salt}}, testConfig(), cache, discard()), p
	}
	g1, _ := gw("a")
	echo(t, g1, in, InvokeOptions{})
	g2, p2 := gw("b")
	if res := echo(t, g2, in, InvokeOptions{}); res.Cached || p2.runs.Load() != 1 {
		t.Error("changed settings hit the old entry")
	}
	g3, p3 := gw("a")
	if res := echo(t, g3, in, InvokeOptions{}); !res.Cached || p3.runs.Load() != 0 {
		t.Error("same settings missed")
	}
}

func TestResultsAreCopies(t *testing.T) {
	g := New(newRegistry(t, &localPlugin{}), nil, testConfig(), NewMemoryCache(), discard())
	in := map[string]any{"text": "x"}
	first := echo(t, g, in, InvokeOptions{})
	first.Data.(map[string]any)["text"] = "changed"
	first.Summary = "changed"
	second := echo(t, g, in, InvokeOptions{})
	if second.Data.(map[string]any)["text"] != "x" || second.Summary != "x" {
		t.Errorf("a caller's change leaked into the cache: %+v", second)
	}
	second.Data.(map[string]any)["nested"].(map[string]any)["list"].([]any)[0] = "z"
	if third := echo(t, g, in, InvokeOptions{}); fmt.Sprint(third.Data.(map[string]any)["nested"]) != "map[list:[1 two]]" {
		t.Errorf("nested change leaked: %v", third.Data)
	}
}

func TestResultMustBeJSON(t *testing.T) {
	spec := skill.Spec{ID: "bad.Chan", Description: "returns a channel"}
	p := funcPlugin{name: "bad", skills: []skill.Skill{skill.Func{S: spec, F: func(context.Context, skill.Inputs) (*skill.Result, error) {
		return &skill.Result{Data: make(chan int)}, nil
	}}}}
	g := New(newRegistry(t, p), nil, testConfig(), NewMemoryCache(), discard())
	_, err := g.Invoke(t.Context(), "bad.Chan", nil, InvokeOptions{})
	if err == nil || !strings.Contains(err.Error(), "bad.Chan: result does not encode as JSON") {
		t.Errorf("got %v", err)
	}
}

// funcPlugin wraps ready-made skills.
type funcPlugin struct {
	name   string
	skills []skill.Skill
}

func (p funcPlugin) Info() skill.PluginInfo {
	info := skill.PluginInfo{Name: p.name, Description: "test"}
	for _, s := range p.skills {
		info.Skills = append(info.Skills, s.Spec())
	}
	return info
}

func (p funcPlugin) New(skill.Env) ([]skill.Skill, error) { return p.skills, nil }

func TestDedup(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeProvider{latency: time.Second}
		reg := newRegistry(t, &lookupPlugin{name: "prov"})
		settings := map[string]map[string]any{"prov": {"api_key": "k-123456", "base_url": "http://fake.test"}}
		g := newGateway(reg, settings, testConfig(), NewMemoryCache(), discard(), memTransport{f})

		var wg sync.WaitGroup
		results := make([]*skill.Result, 50)
		for i := range 50 {
			wg.Go(func() {
				res, err := g.Invoke(t.Context(), "prov.Lookup", map[string]any{"indicator": "1.2.3.4"}, InvokeOptions{})
				if err != nil {
					t.Error(err)
					return
				}
				results[i] = res
			})
		}
		wg.Wait()
		if f.callCount() != 1 {
			t.Errorf("50 identical calls made %d provider calls, want 1", f.callCount())
		}
		for _, r := range results[1:] {
			if r == results[0] || r.Summary != results[0].Summary {
				t.Fatal("results must be equal copies")
			}
		}
		if m := g.Metrics()[0]; m.Deduplicated != 49 || m.CacheMisses != 50 {
			t.Errorf("metrics %+v", m)
		}

		// Different inputs are separate calls, each deduplicated.
		for i := range 50 {
			wg.Go(func() {
				ind := fmt.Sprintf("10.0.0.%d", i%5)
				if _, err := g.Invoke(t.Context(), "prov.Lookup", map[string]any{"indicator": ind}, InvokeOptions{}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if f.callCount() != 6 {
			t.Errorf("5 distinct indicators made %d provider calls in all, want 1+5", f.callCount())
		}
	})
}

// One caller giving up does not cancel the run others wait for; all giving up does.
func TestDedupCancellation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &localPlugin{delay: 10 * time.Second}
		g := New(newRegistry(t, p), nil, testConfig(), NewMemoryCache(), discard())
		in := map[string]any{"text": "x"}

		leaderCtx, cancelLeader := context.WithTimeout(t.Context(), time.Second)
		defer cancelLeader()
		var wg sync.WaitGroup
		wg.Go(func() {
			if _, err := g.Invoke(leaderCtx, "local.Echo", in, InvokeOptions{}); !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("leader: %v", err)
			}
		})
		synctest.Wait()
		res, err := g.Invoke(t.Context(), "local.Echo", in, InvokeOptions{})
		wg.Wait()
		if err != nil || p.runs.Load() != 1 || run(res) != 1 {
			t.Fatalf("follower: %v, runs %d", err, p.runs.Load())
		}

		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		other := map[string]any{"text": "y"}
		if _, err := g.Invoke(ctx, "local.Echo", other, InvokeOptions{}); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("lone caller: %v", err)
		}
		// The abandoned run was cancelled; a new caller starts afresh.
		if res := echo(t, g, other, InvokeOptions{}); res.Cached || p.runs.Load() != 3 {
			t.Errorf("after abandonment: cached %v runs %d", res.Cached, p.runs.Load())
		}
	})
}
