package sentinel

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/spotter-soc/spotter/internal/store"
)

// Writes remember the incident revisions Spotter wrote itself, so an
// update trigger does not run a playbook for Spotter's own labels,
// severity or status.
type Writes interface {
	Record(ctx context.Context, revision string) error
	Written(ctx context.Context, revision string) (bool, error)
}

// WritesOpener opens the writes lazily (the database may not be open yet
// when the plugin is built).
type WritesOpener func(ctx context.Context) (Writes, error)

// DBWrites keeps them in the database (table sentinel_writes).
type DBWrites struct{ st *store.Store }

// NewDBWrites returns the writes of a store.
func NewDBWrites(st *store.Store) *DBWrites { return &DBWrites{st: st} }

// Record notes a revision Spotter wrote; recording it twice is fine.
func (w *DBWrites) Record(ctx context.Context, revision string) error {
	_, err := w.st.DB().ExecContext(ctx, w.st.Rebind(`INSERT INTO sentinel_writes (revision, written_at) VALUES (?, ?)
		ON CONFLICT (revision) DO NOTHING`), revision, time.Now().UnixMilli())
	if err != nil {
		return fmt.Errorf("sentinel: recording an own write: %w", err)
	}
	return nil
}

// Written reports whether Spotter wrote the revision.
func (w *DBWrites) Written(ctx context.Context, revision string) (bool, error) {
	var one int
	err := w.st.DB().QueryRowContext(ctx, w.st.Rebind(`SELECT 1 FROM sentinel_writes WHERE revision = ?`), revision).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("sentinel: reading own writes: %w", err)
	}
	return true, nil
}
