package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// migrations holds one directory of goose SQL migrations per dialect
// (migrations/sqlite, migrations/postgres). Both directories carry the same
// version numbers, one file per schema change.
//
//go:embed migrations
var migrations embed.FS

// migrate applies every pending migration of the dialect. On PostgreSQL a
// session advisory lock keeps instances starting together from migrating at
// the same time.
func migrate(ctx context.Context, db *sql.DB, dialect string) error {
	dir, err := fs.Sub(migrations, "migrations/"+dialect)
	if err != nil {
		return fmt.Errorf("database: migrations for %s: %w", dialect, err)
	}
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	gd := goose.DialectSQLite3
	if dialect == DialectPostgres {
		gd = goose.DialectPostgres
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return fmt.Errorf("database: migration lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(gd, db, dir, opts...)
	if err != nil {
		return fmt.Errorf("database: preparing %s migrations: %w", dialect, err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("database: applying %s migrations: %w", dialect, err)
	}
	return nil
}

// SchemaVersion returns the newest migration version applied to the database.
func (s *Store) SchemaVersion(ctx context.Context) (int64, error) {
	dir, err := fs.Sub(migrations, "migrations/"+s.dialect)
	if err != nil {
		return 0, fmt.Errorf("database: migrations for %s: %w", s.dialect, err)
	}
	gd := goose.DialectSQLite3
	if s.dialect == DialectPostgres {
		gd = goose.DialectPostgres
	}
	p, err := goose.NewProvider(gd, s.db, dir, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return 0, fmt.Errorf("database: preparing %s migrations: %w", s.dialect, err)
	}
	v, err := p.GetDBVersion(ctx)
	if err != nil {
		return 0, fmt.Errorf("database: reading the schema version: %w", err)
	}
	return v, nil
}
