package intel

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spotter-soc/spotter/internal/store"
	"github.com/spotter-soc/spotter/internal/store/storetest"
)

// testNow is the clock of every test store.
var testNow = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

// eachDialect runs f against a fresh SQLite database and, when a server is
// configured, a fresh PostgreSQL schema.
func eachDialect(t *testing.T, f func(t *testing.T, s *Store)) {
	t.Helper()
	t.Run(store.DialectSQLite, func(t *testing.T) {
		t.Parallel()
		f(t, openTest(t, filepath.Join(t.TempDir(), "spotter.db")))
	})
	t.Run(store.DialectPostgres, func(t *testing.T) {
		t.Parallel()
		f(t, openTest(t, storetest.PostgresURL(t)))
	})
}

// newSQLite returns a store in a temporary SQLite file.
func newSQLite(t testing.TB) *Store {
	t.Helper()
	return openTest(t, filepath.Join(t.TempDir(), "spotter.db"))
}

func openTest(t testing.TB, dsn string) *Store {
	t.Helper()
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	s := NewStore(db)
	s.now = func() time.Time { return testNow }
	return s
}

// importText imports a plain list under a source name.
func importText(t *testing.T, s *Store, source, text string, opts ImportOptions) *ImportReport {
	t.Helper()
	opts.Source = source
	if opts.Format == "" {
		opts.Format = FormatText
	}
	rep, err := s.ImportReader(context.Background(), strings.NewReader(text), source+".txt", opts)
	if err != nil {
		t.Fatalf("import %s: %v", source, err)
	}
	return rep
}

// lookupOne looks one value up and returns its matches.
func lookupOne(t *testing.T, s *Store, v string) []Match {
	t.Helper()
	res, err := s.Lookup(context.Background(), v)
	if err != nil {
		t.Fatalf("Lookup(%q): %v", v, err)
	}
	if len(res) != 1 {
		t.Fatalf("Lookup(%q): %d results", v, len(res))
	}
	return res[0].Matches
}

// count returns the number of stored entries.
func count(t *testing.T, s *Store) int {
	t.Helper()
	var n int
	if err := s.DB().DB().QueryRowContext(context.Background(), "SELECT COUNT(*) FROM intel_indicators").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// writeFile writes a file under dir and returns its path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
