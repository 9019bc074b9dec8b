package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// MigrationFS returns the embedded migrations: files named NNNN_name.up.sql and
// NNNN_name.down.sql in the root of the returned fs.FS, for tools that want to read or apply them
// themselves.
func MigrationFS() fs.FS {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		panic(err) // the directory is embedded, so this cannot happen
	}
	return sub
}

// Migration is one numbered schema change and whether it is applied.
type Migration struct {
	Version   int       // the NNNN of the file names
	Name      string    // the name part of the file names, e.g. "init"
	Applied   bool      // recorded in the migrations table
	AppliedAt time.Time // when it was applied (UTC); zero when not applied
	up, down  string
}

// migrationsTable records the applied versions, in the schema the connection's search_path
// names first.
const migrationsTable = "agentgigs_migrations"

// lockClass is the first key of the advisory lock migrations take; the second is the hash of
// the current schema, so migrating one schema does not wait for another.
const lockClass = 0x61676967 // "agig"

// migrations reads the embedded files, in version order.
func migrations() ([]Migration, error) {
	files, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	byVersion := map[int]*Migration{}
	for _, f := range files {
		base := path.Base(f)
		stem, dir := strings.TrimSuffix(base, ".up.sql"), "up"
		if stem == base {
			stem, dir = strings.TrimSuffix(base, ".down.sql"), "down"
		}
		num, name, ok := strings.Cut(stem, "_")
		v, err := strconv.Atoi(num)
		if stem == base || !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("postgres: migration file %q is not NNNN_name.up.sql or NNNN_name.down.sql", base)
		}
		b, err := migrationFiles.ReadFile(f)
		if err != nil {
			return nil, err
		}
		m := byVersion[v]
		if m == nil {
			m = &Migration{Version: v, Name: name}
			byVersion[v] = m
		}
		if m.Name != name {
			return nil, fmt.Errorf("postgres: migration %d has two names, %q and %q", v, m.Name, name)
		}
		if dir == "up" {
			m.up = string(b)
		} else {
			m.down = string(b)
		}
	}
	out := make([]Migration, 0, len(byVersion))
	for _, m := range byVersion {
		if m.up == "" || m.down == "" {
			return nil, fmt.Errorf("postgres: migration %d needs both an up and a down file", m.Version)
		}
		out = append(out, *m)
	}
	slices.SortFunc(out, func(a, b Migration) int { return a.Version - b.Version })
	return out, nil
}

// Migrate applies every embedded migration not yet applied, in version order, each in its own
// transaction with its version recorded in the same transaction. It holds a session advisory lock
// (keyed by the current schema) throughout, so replicas that start at once apply each migration
// exactly once: the others wait, then find nothing left to do. It is a no-op on an up-to-date
// schema. The tables go into the first schema of the connections' search_path; River's own tables
// (the timers run through River) are migrated with them.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	return withMigrationLock(ctx, pool, func(conn *pgx.Conn, all []Migration) error {
		for _, m := range all {
			if m.Applied {
				continue
			}
			if err := runMigration(ctx, conn, m.up,
				`INSERT INTO `+migrationsTable+` (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
				return fmt.Errorf("postgres: migration %04d_%s up: %w", m.Version, m.Name, err)
			}
		}
		return migrateRiver(ctx, conn) // River's tables, for the timers (river.go)
	})
}

// MigrateDown reverts the last steps applied migrations, newest first, each in its own
// transaction, under the same lock as Migrate. Reverting more steps than are applied reverts them
// all. Reverting 0001 drops every table and the data in it.
func MigrateDown(ctx context.Context, pool *pgxpool.Pool, steps int) error {
	if steps < 0 {
		return fmt.Errorf("postgres: MigrateDown: negative steps %d", steps)
	}
	return withMigrationLock(ctx, pool, func(conn *pgx.Conn, all []Migration) error {
		for i := len(all) - 1; i >= 0 && steps > 0; i-- {
			m := all[i]
			if !m.Applied {
				continue
			}
			if err := runMigration(ctx, conn, m.down,
				`DELETE FROM `+migrationsTable+` WHERE version = $1`, m.Version); err != nil {
				return fmt.Errorf("postgres: migration %04d_%s down: %w", m.Version, m.Name, err)
			}
			steps--
		}
		return nil
	})
}

// MigrationStatus returns every embedded migration, oldest first, with whether it is applied. A
// version recorded in the database but not embedded (a newer build migrated the schema) is an
// error. Like Migrate it takes the advisory lock, and it creates the (empty) migrations table when
// the schema has none.
func MigrationStatus(ctx context.Context, pool *pgxpool.Pool) ([]Migration, error) {
	var out []Migration
	err := withMigrationLock(ctx, pool, func(_ *pgx.Conn, all []Migration) error {
		out = all
		return nil
	})
	return out, err
}

// withMigrationLock takes the advisory lock on one connection, makes sure the migrations table
// exists, reads which migrations are applied and runs fn.
func withMigrationLock(ctx context.Context, pool *pgxpool.Pool, fn func(conn *pgx.Conn, all []Migration) error) (err error) {
	all, err := migrations()
	if err != nil {
		return err
	}
	c, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	defer c.Release()
	conn := c.Conn()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1, hashtext(current_schema()))`, lockClass); err != nil {
		return fmt.Errorf("postgres: migrate: taking the lock: %w", err)
	}
	defer func() {
		// Unlock even when ctx is done; a connection that cannot unlock is closed, which
		// releases the lock too.
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if _, uerr := conn.Exec(uctx, `SELECT pg_advisory_unlock($1, hashtext(current_schema()))`, lockClass); uerr != nil {
			_ = conn.Close(uctx)
			err = errors.Join(err, fmt.Errorf("postgres: migrate: releasing the lock: %w", uerr))
		}
	}()
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+migrationsTable+` (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`); err != nil {
		return fmt.Errorf("postgres: migrate: creating %s: %w", migrationsTable, err)
	}
	rows, err := conn.Query(ctx, `SELECT version, applied_at FROM `+migrationsTable+` ORDER BY version`)
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	applied := map[int]time.Time{}
	var (
		v  int
		at time.Time
	)
	if _, err := pgx.ForEachRow(rows, []any{&v, &at}, func() error { applied[v] = at.UTC(); return nil }); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	for i := range all {
		if at, ok := applied[all[i].Version]; ok {
			all[i].Applied, all[i].AppliedAt = true, at
			delete(applied, all[i].Version)
		}
	}
	for v := range applied {
		return fmt.Errorf("postgres: the schema has migration %d, which this build does not know; run a newer build", v)
	}
	return fn(conn, all)
}

// runMigration runs a migration's SQL and the statement recording it in one transaction.
func runMigration(ctx context.Context, conn *pgx.Conn, sql, record string, args ...any) error {
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		// Simple protocol: a migration file holds several statements.
		if _, err := tx.Exec(ctx, sql, pgx.QueryExecModeSimpleProtocol); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, record, args...)
		return err
	})
}
