package store

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spotter-soc/spotter/internal/gateway"
	"github.com/spotter-soc/spotter/internal/store/storetest"
)

// eachDialect runs f against a fresh SQLite database and, when a server is
// configured, a fresh PostgreSQL schema.
func eachDialect(t *testing.T, f func(t *testing.T, s *Store)) {
	t.Helper()
	t.Run(DialectSQLite, func(t *testing.T) {
		t.Parallel()
		f(t, openTest(t, filepath.Join(t.TempDir(), "spotter.db")))
	})
	t.Run(DialectPostgres, func(t *testing.T) {
		t.Parallel()
		f(t, openTest(t, storetest.PostgresURL(t)))
	})
}

func openTest(t *testing.T, dsn string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestOpenMigrates(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		v, err := s.SchemaVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if v < 1 {
			t.Errorf("schema version %d, want at least 1", v)
		}
		var n int
		if err := s.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM skill_cache").Scan(&n); err != nil {
			t.Fatalf("skill_cache missing after migration: %v", err)
		}
		// Migrating again is a no-op.
		if err := migrate(ctx, s.DB(), s.Dialect()); err != nil {
			t.Fatalf("second migration: %v", err)
		}
	})
}

func TestOpenSQLiteForms(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	tests := []struct{ name, dsn, file string }{
		{"plain path, parents created", filepath.Join(dir, "a", "b", "x.db"), filepath.Join(dir, "a", "b", "x.db")},
		{"sqlite: URL", "sqlite:" + filepath.Join(dir, "y.db"), filepath.Join(dir, "y.db")},
		{"sqlite:// URL", "sqlite://" + filepath.Join(dir, "z.db"), filepath.Join(dir, "z.db")},
		{"user parameters kept", filepath.Join(dir, "p.db") + "?_pragma=busy_timeout(20000)", filepath.Join(dir, "p.db")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(ctx, tt.dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if s.Dialect() != DialectSQLite {
				t.Errorf("dialect %q", s.Dialect())
			}
			if _, err := os.Stat(tt.file); err != nil {
				t.Errorf("database file: %v", err)
			}
			var mode string
			if err := s.DB().QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
				t.Errorf("journal_mode = %q, %v; want wal", mode, err)
			}
			var fk int
			if err := s.DB().QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
				t.Errorf("foreign_keys = %d, %v; want 1", fk, err)
			}
		})
	}
}

func TestOpenDataDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	s, err := OpenDataDir(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := os.Stat(filepath.Join(dir, FileName)); err != nil {
		t.Errorf("expected %s in the data directory: %v", FileName, err)
	}
	if _, err := OpenDataDir(context.Background(), " "); err == nil {
		t.Error("empty data directory accepted")
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	tests := []struct{ dsn, want string }{
		{"", "empty DSN"},
		{"mysql://root@localhost/x", `unsupported URL scheme "mysql"`},
		{"sqlite:", "without a file path"},
		{"postgres://nobody@127.0.0.1:1/none?connect_timeout=1", "PostgreSQL"},
	}
	for _, tt := range tests {
		_, err := Open(ctx, tt.dsn)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Open(%q) = %v; want an error containing %q", tt.dsn, err, tt.want)
		}
	}
}

func TestRebind(t *testing.T) {
	pg := &Store{dialect: DialectPostgres}
	if got := pg.Rebind("a = ? AND b > ?"); got != "a = $1 AND b > $2" {
		t.Errorf("postgres: %q", got)
	}
	lite := &Store{dialect: DialectSQLite}
	if got := lite.Rebind("a = ?"); got != "a = ?" {
		t.Errorf("sqlite: %q", got)
	}
}

// The PostgreSQL adapter must hand database/sql the value types it knows.
func TestPostgresTypes(t *testing.T) {
	s := openTest(t, storetest.PostgresURL(t))
	var (
		i32   int64
		small int64
		f     float64
		b     bool
		txt   string
		raw   []byte
		null  sql.NullString
	)
	err := s.DB().QueryRowContext(context.Background(),
		"SELECT 7::int4, 3::int2, 1.5::float4, true, 'x'::text, '\\x0102'::bytea, NULL::text").
		Scan(&i32, &small, &f, &b, &txt, &raw, &null)
	if err != nil {
		t.Fatal(err)
	}
	if i32 != 7 || small != 3 || f != 1.5 || !b || txt != "x" || string(raw) != "\x01\x02" || null.Valid {
		t.Errorf("got %v %v %v %v %q %v %v", i32, small, f, b, txt, raw, null)
	}
	tx, err := s.DB().BeginTx(context.Background(), &sql.TxOptions{Isolation: sql.LevelSerializable})
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
}

// :memory: works because the pool keeps its single connection.
func TestOpenMemory(t *testing.T) {
	s := openTest(t, ":memory:")
	c := s.Cache()
	ctx := context.Background()
	now := time.Now()
	if err := c.Put(ctx, gateway.CacheEntry{Key: "k", Skill: "s.S", Value: []byte("{}"), StoredAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := c.Get(ctx, "k", now); !ok || err != nil {
		t.Errorf("ok=%v err=%v", ok, err)
	}
}
