// Package storetest isolates tests that run against a PostgreSQL server:
// each test gets a schema of its own, dropped at cleanup, so tests running
// in parallel never see each other's tables.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// PostgresEnv names the variable that points the tests at a PostgreSQL
// server; CI sets it to postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const PostgresEnv = "SPOTTER_TEST_POSTGRES_URL"

// PostgresURL returns a DSN for a schema of the calling test's own on the
// server named by PostgresEnv, or skips the test when the variable is unset.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		t.Skipf("%s is not set; skipping the PostgreSQL variant (CI runs it)", PostgresEnv)
	}
	return Schema(t, base)
}

// Schema creates a schema named t_<hex> on the server at base, drops it at
// cleanup, and returns base with its search_path pointing into the schema.
func Schema(t testing.TB, base string) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", PostgresEnv, err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("%s: %v", PostgresEnv, err)
	}
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		_ = admin.Close()
		t.Fatalf("creating test schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("dropping test schema %s: %v", schema, err)
		}
		_ = admin.Close()
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
