package intel

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spotter-soc/spotter/internal/store"
)

// Store is the local threat-intelligence store, kept in Spotter's database
// (SQLite or PostgreSQL) in the tables of migration 00002. It is safe for
// concurrent use; on SQLite, imports and lookups take turns on the single
// connection.
type Store struct {
	db  *store.Store
	now func() time.Time
}

// NewStore returns the intelligence store kept in db. The caller keeps
// ownership of db and closes it.
func NewStore(db *store.Store) *Store {
	return &Store{db: db, now: func() time.Time { return time.Now().UTC() }}
}

// DB returns the underlying database.
func (s *Store) DB() *store.Store { return s.db }

// batchSize is how many entries one multi-row statement carries: 500 rows
// of 12 columns stay well below the bind-parameter limits of SQLite (32766)
// and PostgreSQL (65535).
const batchSize = 500

// indicatorColumns are the columns of intel_indicators, in the order rowArgs
// and scanRow use.
const indicatorColumns = "type, value, source, confidence, tags, malware, reference, description, object_id, first_seen, last_seen, valid_until"

// timeArg encodes a time for the dialect: Unix milliseconds on SQLite and a
// UTC timestamp on PostgreSQL; the zero time is NULL.
func (s *Store) timeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	if s.db.Dialect() == store.DialectSQLite {
		return t.UnixMilli()
	}
	return t.UTC()
}

// nullTime decodes what timeArg stored, in either dialect.
type nullTime struct{ t *time.Time }

// Scan implements sql.Scanner.
func (n nullTime) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*n.t = time.Time{}
	case int64:
		*n.t = time.UnixMilli(v).UTC()
	case time.Time:
		*n.t = v.UTC()
	default:
		return fmt.Errorf("time column: got %T, expected Unix milliseconds or a timestamp", src)
	}
	return nil
}

// encodeTags stores tags as a JSON array ("" for none).
func encodeTags(tags []string) string {
	if len(tags) == 0 {
		return ""
	}
	b, _ := json.Marshal(tags)
	return string(b)
}

// decodeTags reads what encodeTags stored; a damaged value yields no tags.
func decodeTags(s string) []string {
	if s == "" {
		return nil
	}
	var tags []string
	if json.Unmarshal([]byte(s), &tags) != nil {
		return nil
	}
	return tags
}

// rowArgs lists an entry's values in indicatorColumns order.
func (s *Store) rowArgs(in Indicator) []any {
	return []any{string(in.Type), in.Value, in.Source, in.Confidence, encodeTags(in.Tags), in.Malware, in.Reference,
		in.Description, in.ObjectID, s.timeArg(in.FirstSeen), s.timeArg(in.LastSeen), s.timeArg(in.ValidUntil)}
}

// scanRow reads a row selected with indicatorColumns.
func scanRow(rows *sql.Rows) (Indicator, error) {
	var in Indicator
	var typ, tags string
	var conf int64
	err := rows.Scan(&typ, &in.Value, &in.Source, &conf, &tags, &in.Malware, &in.Reference, &in.Description,
		&in.ObjectID, nullTime{&in.FirstSeen}, nullTime{&in.LastSeen}, nullTime{&in.ValidUntil})
	in.Type, in.Confidence, in.Tags = Type(typ), int(conf), decodeTags(tags)
	return in, err
}

// sameEntry reports whether storing b over a would change nothing.
func sameEntry(a, b Indicator) bool {
	return a.Confidence == b.Confidence && slices.Equal(a.Tags, b.Tags) && a.Malware == b.Malware &&
		a.Reference == b.Reference && a.Description == b.Description && a.ObjectID == b.ObjectID &&
		a.FirstSeen.Equal(b.FirstSeen) && a.LastSeen.Equal(b.LastSeen) && a.ValidUntil.Equal(b.ValidUntil)
}

// placeholders returns n comma-separated groups of width question marks.
func placeholders(n, width int) string {
	group := "(" + strings.TrimSuffix(strings.Repeat("?, ", width), ", ") + ")"
	if width == 1 {
		group = "?"
	}
	var b strings.Builder
	b.Grow(n * (len(group) + 2))
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(group)
	}
	return b.String()
}

// ValidSourceName checks a source (feed) name: 1 to 100 printable
// characters.
func ValidSourceName(name string) error {
	if strings.TrimSpace(name) != name || name == "" {
		return fmt.Errorf("source name %q: expected a non-empty name without surrounding spaces", name)
	}
	if len(name) > 100 {
		return fmt.Errorf("source name %q: expected at most 100 bytes", clip(name, 40))
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("source name %q: expected printable characters", name)
		}
	}
	return nil
}

// inTx runs f in a transaction, committing when it returns nil.
func (s *Store) inTx(ctx context.Context, f func(tx *sql.Tx) error) error {
	tx, err := s.db.DB().BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("intel: starting a transaction: %w", err)
	}
	if err := f(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("intel: committing: %w", err)
	}
	return nil
}

// stmtCache prepares each distinct statement once per transaction.
type stmtCache struct {
	s     *Store
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
}

func (c *stmtCache) get(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := c.stmts[query]; ok {
		return st, nil
	}
	st, err := c.tx.PrepareContext(ctx, c.s.db.Rebind(query))
	if err != nil {
		return nil, err
	}
	if c.stmts == nil {
		c.stmts = map[string]*sql.Stmt{}
	}
	c.stmts[query] = st
	return st, nil
}

func (c *stmtCache) close() {
	for _, st := range c.stmts {
		_ = st.Close()
	}
}

// errNoRows reports sql.ErrNoRows.
func errNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
