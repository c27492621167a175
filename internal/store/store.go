// Package store is Spotter's database: an embedded SQLite file by default,
// or PostgreSQL when several instances share state. Opening a store applies
// the schema migrations embedded in the binary.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Dialects a Store speaks.
const (
	DialectSQLite   = "sqlite"
	DialectPostgres = "postgres"
)

// FileName is the database file OpenDataDir opens inside the data directory.
const FileName = "spotter.db"

// sqlitePragmas are applied to every SQLite connection: wait up to ten
// seconds for a lock instead of failing, write-ahead logging so readers do
// not block the writer, enforced foreign keys, and write transactions that
// take the write lock when they begin, so they cannot deadlock on upgrade.
const sqlitePragmas = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_txlock=immediate"

// postgresMaxConns bounds the PostgreSQL pool of one process: servers
// accept about a hundred connections by default, shared by every instance.
const postgresMaxConns = 16

// Store is an open, migrated database.
type Store struct {
	db      *sql.DB
	dialect string
}

// Open opens the database named by dsn and brings its schema up to date.
// dsn is a file path or sqlite: URL (sqlite:/var/lib/spotter/spotter.db;
// missing parent directories are created) or a postgres:// or
// postgresql:// URL.
func Open(ctx context.Context, dsn string) (*Store, error) {
	dsn = strings.TrimSpace(dsn)
	lower := strings.ToLower(dsn)
	var (
		s   *Store
		err error
	)
	switch {
	case dsn == "":
		return nil, errors.New("database: empty DSN; expected a file path, a sqlite: URL or a postgres:// URL")
	case strings.HasPrefix(lower, "postgres://"), strings.HasPrefix(lower, "postgresql://"):
		s, err = openPostgres(ctx, dsn)
	case strings.HasPrefix(lower, "sqlite:"):
		rest := dsn[len("sqlite:"):]
		rest = strings.TrimPrefix(rest, "//")
		s, err = openSQLite(ctx, rest)
	case strings.Contains(dsn, "://"):
		scheme, _, _ := strings.Cut(dsn, "://")
		return nil, fmt.Errorf("database: unsupported URL scheme %q; expected a file path, sqlite:, postgres:// or postgresql://", scheme)
	default:
		s, err = openSQLite(ctx, dsn)
	}
	if err != nil {
		return nil, err
	}
	if err := migrate(ctx, s.db, s.dialect); err != nil {
		_ = s.db.Close()
		return nil, err
	}
	return s, nil
}

// OpenDataDir opens (creating it if needed) the SQLite database in a data directory.
func OpenDataDir(ctx context.Context, dataDir string) (*Store, error) {
	if strings.TrimSpace(dataDir) == "" {
		return nil, errors.New("database: empty data directory; expected a path (data_dir or SPOTTER_DATA_DIR)")
	}
	return Open(ctx, filepath.Join(dataDir, FileName))
}

func openSQLite(ctx context.Context, dsn string) (*Store, error) {
	path, query, _ := strings.Cut(dsn, "?")
	if path == "" {
		return nil, errors.New("database: sqlite DSN without a file path; expected sqlite:<path>")
	}
	file := strings.TrimPrefix(path, "file:")
	if memory := file == ":memory:" || strings.Contains(query, "mode=memory"); !memory {
		if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
			return nil, fmt.Errorf("database: creating the directory for %s: %w", file, err)
		}
	}
	full := path + "?" + sqlitePragmas
	if query != "" {
		// Later parameters win, so settings in the DSN override the defaults.
		full += "&" + query
	}
	db, err := sql.Open("sqlite", full)
	if err != nil {
		return nil, fmt.Errorf("database: opening SQLite file %s: %w", file, err)
	}
	// SQLite allows one writer at a time; with several connections,
	// concurrent writers poll for the lock and each write waits tens of
	// milliseconds. One connection queues them in database/sql instead, and
	// it is the only correct setting for :memory:, where every connection
	// would be a database of its own. Callers must therefore finish reading
	// rows before issuing the next query.
	db.SetMaxOpenConns(1)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("database: opening SQLite file %s: %w", file, err)
	}
	return &Store{db: db, dialect: DialectSQLite}, nil
}

func openPostgres(ctx context.Context, dsn string) (*Store, error) {
	db, err := openPostgresDB(dsn)
	if err != nil {
		return nil, fmt.Errorf("database: opening PostgreSQL: %w", err)
	}
	db.SetMaxOpenConns(postgresMaxConns)
	db.SetMaxIdleConns(postgresMaxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("database: connecting to PostgreSQL: %w", err)
	}
	return &Store{db: db, dialect: DialectPostgres}, nil
}

// DB returns the connection pool.
func (s *Store) DB() *sql.DB { return s.db }

// Dialect returns DialectSQLite or DialectPostgres.
func (s *Store) Dialect() string { return s.dialect }

// Close closes the connection pool.
func (s *Store) Close() error { return s.db.Close() }

// Cache returns the skill result cache kept in this database.
func (s *Store) Cache() *SQLCache { return &SQLCache{s: s} }

// Rebind rewrites a query written with ? placeholders for the store's
// dialect: PostgreSQL numbers them ($1, $2, ...). Queries must not contain
// a literal question mark.
func (s *Store) Rebind(query string) string {
	if s.dialect != DialectPostgres {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
