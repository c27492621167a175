package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spotter-soc/spotter/internal/gateway"
)

func TestSQLCache(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		c := s.Cache()
		now := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
		e := gateway.CacheEntry{Key: "k1", Skill: "abuseipdb.CheckIP", Value: []byte(`{"summary":"x"}`),
			StoredAt: now, ExpiresAt: now.Add(time.Hour)}

		if _, ok, err := c.Get(ctx, "k1", now); ok || err != nil {
			t.Fatalf("empty cache: ok=%v err=%v", ok, err)
		}
		if err := c.Put(ctx, e); err != nil {
			t.Fatal(err)
		}
		got, ok, err := c.Get(ctx, "k1", now.Add(59*time.Minute))
		if err != nil || !ok {
			t.Fatalf("fresh entry: ok=%v err=%v", ok, err)
		}
		if diff := cmp.Diff(e, got); diff != "" {
			t.Errorf("round trip (-put +got):\n%s", diff)
		}
		if _, ok, _ := c.Get(ctx, "k1", now.Add(time.Hour)); ok {
			t.Error("entry returned at its expiry time")
		}

		// Upsert replaces value and times.
		e2 := e
		e2.Value, e2.StoredAt, e2.ExpiresAt = []byte(`{"summary":"y"}`), now.Add(time.Hour), now.Add(3*time.Hour)
		if err := c.Put(ctx, e2); err != nil {
			t.Fatal(err)
		}
		got, ok, err = c.Get(ctx, "k1", now.Add(2*time.Hour))
		if err != nil || !ok || string(got.Value) != `{"summary":"y"}` || !got.StoredAt.Equal(e2.StoredAt) {
			t.Fatalf("after upsert: %+v ok=%v err=%v", got, ok, err)
		}

		if err := c.Put(ctx, gateway.CacheEntry{Skill: "x"}); err == nil {
			t.Error("entry without a key accepted")
		}
	})
}

func TestSQLCachePurge(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		c := s.Cache()
		now := time.Now().UTC().Truncate(time.Millisecond)
		for i, ttl := range []time.Duration{-time.Hour, -time.Minute, time.Minute, time.Hour} {
			e := gateway.CacheEntry{Key: fmt.Sprint("k", i), Skill: "s.S", Value: []byte("{}"), StoredAt: now, ExpiresAt: now.Add(ttl)}
			if err := c.Put(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		n, err := c.Purge(ctx, now)
		if err != nil || n != 2 {
			t.Fatalf("Purge = %d, %v; want 2 expired rows", n, err)
		}
		var left int
		if err := s.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM skill_cache").Scan(&left); err != nil || left != 2 {
			t.Errorf("%d rows left (%v), want 2", left, err)
		}
	})
}

// The gateway writes from many goroutines at once; SQLite must wait for its
// lock rather than fail.
func TestSQLCacheConcurrentWrites(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		c := s.Cache()
		now := time.Now()
		var wg sync.WaitGroup
		errs := make(chan error, 200)
		for i := range 200 {
			wg.Go(func() {
				e := gateway.CacheEntry{Key: fmt.Sprint("k", i%50), Skill: "s.S", Value: []byte(fmt.Sprint(i)), StoredAt: now, ExpiresAt: now.Add(time.Hour)}
				if err := c.Put(ctx, e); err != nil {
					errs <- err
				}
				if _, _, err := c.Get(ctx, e.Key, now); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}

// A gateway on the SQL cache serves the second call from the database.
func TestSQLCacheBehindGateway(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		var cache gateway.Cache = s.Cache()
		ctx := context.Background()
		key := "behind-gateway"
		val := []byte(`{"data":{"n":1},"summary":"ok","findings":null,"cached":false}`)
		now := time.Now()
		if err := cache.Put(ctx, gateway.CacheEntry{Key: key, Skill: "p.S", Value: val, StoredAt: now, ExpiresAt: now.Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
		got, ok, err := cache.Get(ctx, key, now)
		if err != nil || !ok || string(got.Value) != string(val) {
			t.Fatalf("got %q ok=%v err=%v", got.Value, ok, err)
		}
	})
}
