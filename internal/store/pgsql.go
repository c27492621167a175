package store

import (
	"database/sql"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// openPostgresDB returns a pool of database/sql connections to dsn through
// pgx's database/sql driver, so goose and every query in this package share
// one *sql.DB for both dialects.
func openPostgresDB(dsn string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("expected a PostgreSQL connection URL: %w", err)
	}
	return stdlib.OpenDB(*cfg), nil
}
