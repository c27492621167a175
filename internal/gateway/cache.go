package gateway

import (
	"context"
	"sync"
	"time"
)

// CacheEntry is one cached skill result.
type CacheEntry struct {
	// Key is derived from the skill, its inputs and the plugin's settings;
	// it reveals none of them.
	Key string
	// Skill is the skill id, kept for inspection and purging.
	Skill string
	// Value is the JSON-encoded skill.Result.
	Value     []byte
	StoredAt  time.Time
	ExpiresAt time.Time
}

// Cache stores skill results. The gateway treats cache errors as misses, so
// an unavailable database slows enrichment down but does not stop it.
type Cache interface {
	// Get returns the entry for key if it is still fresh at now.
	Get(ctx context.Context, key string, now time.Time) (CacheEntry, bool, error)
	// Put inserts or replaces the entry with e.Key.
	Put(ctx context.Context, e CacheEntry) error
}

// sweepEvery is how many Puts the memory cache takes between sweeps of
// expired entries, so a long-running process without a database stays bounded
// by what is fresh.
const sweepEvery = 1024

type memoryCache struct {
	mu      sync.Mutex
	entries map[string]CacheEntry
	puts    int
}

// NewMemoryCache returns a cache held in process memory, for tests and for
// running without a database.
func NewMemoryCache() Cache {
	return &memoryCache{entries: map[string]CacheEntry{}}
}

// Get implements Cache.
func (c *memoryCache) Get(_ context.Context, key string, now time.Time) (CacheEntry, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok {
		return CacheEntry{}, false, nil
	}
	if !now.Before(e.ExpiresAt) {
		delete(c.entries, key)
		return CacheEntry{}, false, nil
	}
	e.Value = append([]byte(nil), e.Value...)
	return e, true, nil
}

// Put implements Cache.
func (c *memoryCache) Put(_ context.Context, e CacheEntry) error {
	e.Value = append([]byte(nil), e.Value...)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries[e.Key] = e
	c.puts++
	if c.puts%sweepEvery == 0 {
		now := time.Now()
		for k, old := range c.entries {
			if !now.Before(old.ExpiresAt) {
				delete(c.entries, k)
			}
		}
	}
	return nil
}
