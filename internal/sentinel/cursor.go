package sentinel

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/spotter-soc/spotter/internal/store"
)

// Cursors keep, per source, the newest incident modification already
// handed to a run.
type Cursors interface {
	Get(ctx context.Context, source string) (at time.Time, ok bool, err error)
	Set(ctx context.Context, source string, at time.Time) error
}

// DBCursors keeps the cursors in the database (table sentinel_cursors).
type DBCursors struct{ st *store.Store }

// NewDBCursors returns the cursors of a store.
func NewDBCursors(st *store.Store) *DBCursors { return &DBCursors{st: st} }

// Get returns the source's cursor; ok is false when it has none yet.
func (c *DBCursors) Get(ctx context.Context, source string) (time.Time, bool, error) {
	var raw string
	err := c.st.DB().QueryRowContext(ctx, c.st.Rebind(`SELECT cursor_at FROM sentinel_cursors WHERE source = ?`), source).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("sentinel: reading the cursor of %s: %w", source, err)
	}
	at, err := time.Parse(time.RFC3339Nano, raw)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("sentinel: cursor of %s: %q is not an RFC 3339 time", source, raw)
	}
	return at, true, nil
}

// Set stores the source's cursor.
func (c *DBCursors) Set(ctx context.Context, source string, at time.Time) error {
	_, err := c.st.DB().ExecContext(ctx, c.st.Rebind(`INSERT INTO sentinel_cursors (source, cursor_at, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (source) DO UPDATE SET cursor_at = excluded.cursor_at, updated_at = excluded.updated_at`),
		source, at.UTC().Format(time.RFC3339Nano), time.Now().UnixMilli())
	if err != nil {
		return fmt.Errorf("sentinel: saving the cursor of %s: %w", source, err)
	}
	return nil
}
