package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/spotter-soc/spotter/internal/gateway"
)

// SQLCache is the gateway's result cache kept in the database, so results
// survive restarts and are shared by every instance on PostgreSQL.
type SQLCache struct {
	s *Store
}

var _ gateway.Cache = (*SQLCache)(nil)

// Get implements gateway.Cache: it returns the entry only if it has not
// expired at now.
func (c *SQLCache) Get(ctx context.Context, key string, now time.Time) (gateway.CacheEntry, bool, error) {
	q := c.s.Rebind(`SELECT skill, value, stored_at, expires_at FROM skill_cache WHERE key = ? AND expires_at > ?`)
	e := gateway.CacheEntry{Key: key}
	err := c.s.db.QueryRowContext(ctx, q, key, c.s.timeArg(now)).
		Scan(&e.Skill, &e.Value, timeScanner{&e.StoredAt}, timeScanner{&e.ExpiresAt})
	if errors.Is(err, sql.ErrNoRows) {
		return gateway.CacheEntry{}, false, nil
	}
	if err != nil {
		return gateway.CacheEntry{}, false, fmt.Errorf("skill cache: reading an entry of %s: %w", e.Skill, err)
	}
	return e, true, nil
}

// Put implements gateway.Cache: it inserts the entry or replaces the one
// with the same key.
func (c *SQLCache) Put(ctx context.Context, e gateway.CacheEntry) error {
	if e.Key == "" {
		return errors.New("skill cache: entry without a key; expected the key the gateway derived")
	}
	if e.Value == nil {
		e.Value = []byte{}
	}
	q := c.s.Rebind(`INSERT INTO skill_cache (key, skill, value, stored_at, expires_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (key) DO UPDATE SET skill = excluded.skill, value = excluded.value,
	stored_at = excluded.stored_at, expires_at = excluded.expires_at`)
	_, err := c.s.db.ExecContext(ctx, q, e.Key, e.Skill, e.Value, c.s.timeArg(e.StoredAt), c.s.timeArg(e.ExpiresAt))
	if err != nil {
		return fmt.Errorf("skill cache: storing a result of %s: %w", e.Skill, err)
	}
	return nil
}

// Purge deletes the entries that expired at or before the given time and
// returns how many there were.
func (c *SQLCache) Purge(ctx context.Context, before time.Time) (int64, error) {
	res, err := c.s.db.ExecContext(ctx, c.s.Rebind(`DELETE FROM skill_cache WHERE expires_at <= ?`), c.s.timeArg(before))
	if err != nil {
		return 0, fmt.Errorf("skill cache: purging expired entries: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("skill cache: counting purged entries: %w", err)
	}
	return n, nil
}

// timeArg encodes a time for the dialect: Unix milliseconds on SQLite,
// where comparisons must be numeric, and a UTC timestamp on PostgreSQL.
func (s *Store) timeArg(t time.Time) any {
	if s.dialect == DialectSQLite {
		return t.UnixMilli()
	}
	return t.UTC()
}

// timeScanner decodes what timeArg stored, in either dialect.
type timeScanner struct{ t *time.Time }

// Scan implements sql.Scanner.
func (ts timeScanner) Scan(src any) error {
	switch v := src.(type) {
	case int64:
		*ts.t = time.UnixMilli(v).UTC()
	case time.Time:
		*ts.t = v.UTC()
	case nil:
		*ts.t = time.Time{}
	default:
		return fmt.Errorf("timestamp column: got %T, expected Unix milliseconds or a timestamp", src)
	}
	return nil
}
