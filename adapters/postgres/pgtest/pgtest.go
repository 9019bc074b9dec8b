// Package pgtest gives each test its own PostgreSQL schema: Pool creates a schema with a random
// name, returns a pool whose connections use it (search_path) and name themselves after it
// (application_name), migrates it, and drops it when the test ends. Tests never skip: when the
// database does not answer, the test fails.
//
// The database is the one AGENTGIGS_TEST_DATABASE_URL names, or DefaultURL when it is unset.
package pgtest

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/adapters/postgres"
)

// EnvURL is the environment variable naming the test database.
const EnvURL = "AGENTGIGS_TEST_DATABASE_URL"

// DefaultURL is the test database when EnvURL is unset: the local server CI starts.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// URL returns the test database's URL.
func URL() string {
	if u := os.Getenv(EnvURL); u != "" {
		return u
	}
	return DefaultURL
}

// Options tune Pool. The zero value is the default.
type Options struct {
	// MaxConns caps the pool; 4 when zero. Tests share one server, whose connections are few.
	MaxConns int32
	// NoMigrate leaves the schema empty.
	NoMigrate bool
}

// Schema is a test's own schema and a pool on it.
type Schema struct {
	Name string        // the schema, also every connection's application_name
	Pool *pgxpool.Pool // connections whose search_path is the schema
}

// Pool creates a fresh schema, migrated unless o.NoMigrate, with a pool on it; both go away when
// the test ends.
func Pool(t testing.TB, o Options) *Schema {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	name := "agtest_" + strings.ToLower(rand.Text()[:16])
	admin := connect(t, ctx)
	_, err := admin.Exec(ctx, "CREATE SCHEMA "+name)
	require.NoError(t, err)
	require.NoError(t, admin.Close(ctx))
	t.Cleanup(func() { dropSchema(t, name) })

	s := &Schema{Name: name, Pool: NewPool(t, name, o.MaxConns)}
	if !o.NoMigrate {
		require.NoError(t, postgres.Migrate(ctx, s.Pool), "migrating schema %s", name)
	}
	return s
}

// NewPool returns another pool on the schema (as a second replica would have), closed when the
// test ends. maxConns caps it; 4 when zero.
func NewPool(t testing.TB, schema string, maxConns int32) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(URL())
	require.NoError(t, err)
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	cfg.ConnConfig.RuntimeParams["application_name"] = schema
	cfg.MaxConns = 4
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	// The server's connections are shared by every test (and every package tested at once):
	// give idle ones back quickly, so that a test holding many pools holds few connections.
	cfg.MaxConnIdleTime, cfg.HealthCheckPeriod = 500*time.Millisecond, 250*time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	require.NoError(t, pool.Ping(ctx), "the test database at %s does not answer; set %s", URL(), EnvURL)
	return pool
}

// Store returns a Store on a fresh migrated schema.
func Store(t testing.TB) *postgres.Store {
	t.Helper()
	return postgres.New(Pool(t, Options{}).Pool)
}

// connect opens a connection for administration (no schema of its own).
func connect(t testing.TB, ctx context.Context) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(ctx, URL())
	require.NoError(t, err, "the test database at %s does not answer; set %s", URL(), EnvURL)
	return conn
}

// dropSchema drops the schema and everything in it, after ending its connections.
func dropSchema(t testing.TB, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin := connect(t, ctx)
	defer func() { _ = admin.Close(ctx) }()
	_, err := admin.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, name)
	require.NoError(t, err)
	_, err = admin.Exec(ctx, fmt.Sprintf("DROP SCHEMA %s CASCADE", name))
	require.NoError(t, err)
}
