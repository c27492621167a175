package sentinel

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/spotter-soc/spotter/internal/store"
)

// Seen is the poller's record of the incidents it has handled, per source:
// the newest revision of each (started, already running, matched by no
// rule, or Spotter's own write), and the horizon from which the record is
// complete. A revision whose start failed is never marked.
//
// The record is complete from the horizon on: every incident created at or
// after it that the poller handled has its entry, so an incident without
// one that was created at or after the horizon is new. Entries whose
// revision is older than the horizon are pruned: such an incident was
// created before the horizon too, so it is taken as updated whether it has
// an entry or not, and that revision is not listed again.
type Seen interface {
	// Last returns the modification time of the newest revision of the
	// incident the poller handled; ok is false when it has none.
	Last(ctx context.Context, source, incident string) (modified time.Time, ok bool, err error)
	// Mark records a handled revision; an older one than the recorded
	// one changes nothing.
	Mark(ctx context.Context, source, incident, revision string, modified time.Time) error
	// Horizon returns the source's horizon; ok is false when it has none
	// yet (a source never polled, or polled before the record existed).
	Horizon(ctx context.Context, source string) (at time.Time, ok bool, err error)
	// Advance sets the horizon and prunes the entries whose revision is
	// older than it.
	Advance(ctx context.Context, source string, at time.Time) error
}

func seenID(incident string) string { return strings.ToLower(incident) }

// DBSeen keeps the record in the database (tables sentinel_seen and
// sentinel_seen_horizons).
type DBSeen struct{ st *store.Store }

// NewDBSeen returns the seen record of a store.
func NewDBSeen(st *store.Store) *DBSeen { return &DBSeen{st: st} }

// Last implements Seen.
func (s *DBSeen) Last(ctx context.Context, source, incident string) (time.Time, bool, error) {
	var ns int64
	err := s.st.DB().QueryRowContext(ctx, s.st.Rebind(`SELECT modified_at FROM sentinel_seen WHERE source = ? AND incident_id = ?`),
		source, seenID(incident)).Scan(&ns)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("sentinel: reading the seen incidents of %s: %w", source, err)
	}
	return time.Unix(0, ns).UTC(), true, nil
}

// Mark implements Seen.
func (s *DBSeen) Mark(ctx context.Context, source, incident, revision string, modified time.Time) error {
	_, err := s.st.DB().ExecContext(ctx, s.st.Rebind(`INSERT INTO sentinel_seen (source, incident_id, revision, modified_at, first_seen_at)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (source, incident_id) DO UPDATE SET revision = excluded.revision, modified_at = excluded.modified_at
		WHERE sentinel_seen.modified_at < excluded.modified_at`),
		source, seenID(incident), revision, modified.UnixNano(), time.Now().UnixMilli())
	if err != nil {
		return fmt.Errorf("sentinel: recording a seen incident of %s: %w", source, err)
	}
	return nil
}

// Horizon implements Seen.
func (s *DBSeen) Horizon(ctx context.Context, source string) (time.Time, bool, error) {
	var raw string
	err := s.st.DB().QueryRowContext(ctx, s.st.Rebind(`SELECT horizon_at FROM sentinel_seen_horizons WHERE source = ?`), source).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("sentinel: reading the seen horizon of %s: %w", source, err)
	}
	at, err := time.Parse(time.RFC3339Nano, raw)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("sentinel: seen horizon of %s: %q is not an RFC 3339 time", source, raw)
	}
	return at, true, nil
}

// Advance implements Seen. The horizon is stored before the entries are
// pruned, so an interrupted call leaves the record complete.
func (s *DBSeen) Advance(ctx context.Context, source string, at time.Time) error {
	_, err := s.st.DB().ExecContext(ctx, s.st.Rebind(`INSERT INTO sentinel_seen_horizons (source, horizon_at, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (source) DO UPDATE SET horizon_at = excluded.horizon_at, updated_at = excluded.updated_at`),
		source, at.UTC().Format(time.RFC3339Nano), time.Now().UnixMilli())
	if err != nil {
		return fmt.Errorf("sentinel: saving the seen horizon of %s: %w", source, err)
	}
	_, err = s.st.DB().ExecContext(ctx, s.st.Rebind(`DELETE FROM sentinel_seen WHERE source = ? AND modified_at < ?`), source, at.UnixNano())
	if err != nil {
		return fmt.Errorf("sentinel: pruning the seen incidents of %s: %w", source, err)
	}
	return nil
}

// memSeen keeps the record in memory, for a poller given no Seen: after a
// restart it has no horizon, and the poller classifies as it does for a
// source polled before the record existed.
type memSeen struct {
	mu       sync.Mutex
	last     map[[2]string]time.Time
	horizons map[string]time.Time
}

func newMemSeen() *memSeen {
	return &memSeen{last: map[[2]string]time.Time{}, horizons: map[string]time.Time{}}
}

func (m *memSeen) Last(_ context.Context, source, incident string) (time.Time, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.last[[2]string{source, seenID(incident)}]
	return t, ok, nil
}

func (m *memSeen) Mark(_ context.Context, source, incident, _ string, modified time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := [2]string{source, seenID(incident)}
	if prev, ok := m.last[k]; !ok || prev.Before(modified) {
		m.last[k] = modified
	}
	return nil
}

func (m *memSeen) Horizon(_ context.Context, source string) (time.Time, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.horizons[source]
	return t, ok, nil
}

func (m *memSeen) Advance(_ context.Context, source string, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.horizons[source] = at
	for k, t := range m.last {
		if k[0] == source && t.Before(at) {
			delete(m.last, k)
		}
	}
	return nil
}
