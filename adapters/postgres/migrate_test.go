package postgres_test

import (
	"context"
	"io/fs"
	"net/url"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/adapters/postgres"
	"github.com/agentgigs/agentgigs/adapters/postgres/pgtest"
	"github.com/agentgigs/agentgigs/core/ports"
)

func TestMigrationFS(t *testing.T) {
	t.Parallel()
	names, err := fs.Glob(postgres.MigrationFS(), "*.sql")
	require.NoError(t, err)
	require.Contains(t, names, "0001_init.up.sql")
	require.Contains(t, names, "0001_init.down.sql")
	require.Zero(t, len(names)%2, "every migration has an up and a down file")
}

// TestMigrateConcurrently starts four "replicas" at once on an empty schema: each migration is
// applied once and all of them succeed.
func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	sch := pgtest.Pool(t, pgtest.Options{NoMigrate: true})
	var wg sync.WaitGroup
	errc := make(chan error, 4)
	for range 4 {
		pool := pgtest.NewPool(t, sch.Name, 1)
		wg.Go(func() { errc <- postgres.Migrate(t.Context(), pool) })
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		require.NoError(t, err)
	}
	status, err := postgres.MigrationStatus(t.Context(), sch.Pool)
	require.NoError(t, err)
	require.NotEmpty(t, status)
	for _, m := range status {
		require.True(t, m.Applied, "%04d_%s", m.Version, m.Name)
		require.False(t, m.AppliedAt.IsZero())
	}
	var n int
	require.NoError(t, sch.Pool.QueryRow(t.Context(), `SELECT count(*) FROM agentgigs_migrations`).Scan(&n))
	require.Equal(t, len(status), n, "each migration recorded once")
	require.NoError(t, postgres.Migrate(t.Context(), sch.Pool), "migrating an up-to-date schema is a no-op")
}

func TestMigrateDownAndUpAgain(t *testing.T) {
	t.Parallel()
	sch := pgtest.Pool(t, pgtest.Options{})
	ctx := t.Context()
	status, err := postgres.MigrationStatus(ctx, sch.Pool)
	require.NoError(t, err)
	require.NoError(t, postgres.MigrateDown(ctx, sch.Pool, len(status)+5), "more steps than applied reverts all")
	require.False(t, tableExists(t, sch.Pool, "jobs"), "the down migration drops the tables")
	require.False(t, tableExists(t, sch.Pool, "ledger_entries"))
	status, err = postgres.MigrationStatus(ctx, sch.Pool)
	require.NoError(t, err)
	for _, m := range status {
		require.False(t, m.Applied)
		require.True(t, m.AppliedAt.IsZero())
	}
	require.Error(t, postgres.MigrateDown(ctx, sch.Pool, -1))

	require.NoError(t, postgres.Migrate(ctx, sch.Pool))
	require.True(t, tableExists(t, sch.Pool, "jobs"))
	s := postgres.New(sch.Pool)
	require.NoError(t, s.WithinTx(ctx, func(ctx context.Context, tx ports.Tx) error {
		_, err := tx.Ledger().Balances(ctx)
		return err
	}))
}

func TestMigrationStatusRefusesAnUnknownVersion(t *testing.T) {
	t.Parallel()
	sch := pgtest.Pool(t, pgtest.Options{})
	_, err := sch.Pool.Exec(t.Context(), `INSERT INTO agentgigs_migrations (version, name) VALUES (9999, 'future')`)
	require.NoError(t, err)
	_, err = postgres.MigrationStatus(t.Context(), sch.Pool)
	require.ErrorContains(t, err, "9999")
	require.ErrorContains(t, postgres.Migrate(t.Context(), sch.Pool), "newer build")
}

// TestSchemaConstraints checks the second line of defence: what the core refuses, the schema
// refuses too, even to SQL that bypasses the adapter.
func TestSchemaConstraints(t *testing.T) {
	t.Parallel()
	sch := pgtest.Pool(t, pgtest.Options{})
	ctx := t.Context()
	exec := func(sql string) error {
		_, err := sch.Pool.Exec(ctx, sql)
		return err
	}
	require.NoError(t, exec(`INSERT INTO ledger_entries VALUES (1, 'job_1', now(), 'external:stripe', 'wallet:acc_1', 100, 'USD', 'in')`))
	require.ErrorContains(t, exec(`UPDATE ledger_entries SET amount = 1`), "append-only")
	require.ErrorContains(t, exec(`DELETE FROM ledger_entries`), "append-only")
	require.ErrorContains(t, exec(`TRUNCATE ledger_entries`), "append-only")
	require.ErrorContains(t, exec(`INSERT INTO ledger_entries VALUES (2, '', now(), 'wallet:a', 'wallet:a', 1, 'USD', '')`), "check")
	require.ErrorContains(t, exec(`INSERT INTO ledger_entries VALUES (2, '', now(), 'wallet:a', 'wallet:b', 0, 'USD', '')`), "check")

	require.ErrorContains(t, exec(`INSERT INTO ledger_balances (account, currency, shard, balance) VALUES ('wallet:acc_1', 'USD', 0, -1)`), "ledger_balances_non_negative")
	require.NoError(t, exec(`INSERT INTO ledger_balances (account, currency, shard, balance) VALUES ('external:stripe', 'USD', 3, -100)`))
	require.NoError(t, exec(`INSERT INTO ledger_balances (account, currency, shard, balance) VALUES ('receivable:acc_1', 'USD', 0, -100)`), "a debt")
	require.ErrorContains(t, exec(`UPDATE ledger_balances SET balance = 1 WHERE account = 'receivable:acc_1'`), "ledger_balances_receivable_non_positive")

	require.NoError(t, exec(`INSERT INTO audit VALUES (1, 'adm', 'hold', 'job_1', 'r', now())`))
	require.ErrorContains(t, exec(`DELETE FROM audit`), "append-only")

	require.NoError(t, exec(`INSERT INTO applications (id, job_id, agent_id, message, proposed_price, proposed_price_currency, timeline_ns, status)
		VALUES ('app_1', 'job_1', 'agt_1', '', 0, 'USD', 0, 'accepted'), ('app_2', 'job_1', 'agt_2', '', 0, 'USD', 0, 'pending')`))
	require.ErrorContains(t, exec(`UPDATE applications SET status = 'accepted' WHERE id = 'app_2'`), "applications_one_accepted")
}

func tableExists(t *testing.T, pool *pgxpool.Pool, name string) bool {
	var ok bool
	require.NoError(t, pool.QueryRow(t.Context(), `SELECT to_regclass($1) IS NOT NULL`, name).Scan(&ok))
	return ok
}

func TestOpen(t *testing.T) {
	t.Parallel()
	sch := pgtest.Pool(t, pgtest.Options{NoMigrate: true})
	u, err := url.Parse(pgtest.URL())
	require.NoError(t, err)
	q := u.Query()
	q.Set("search_path", sch.Name)
	q.Set("application_name", sch.Name)
	u.RawQuery = q.Encode()
	s, err := postgres.Open(t.Context(), u.String())
	require.NoError(t, err)
	t.Cleanup(s.Close)
	require.True(t, tableExists(t, sch.Pool, "jobs"), "Open migrates the schema")
	require.NoError(t, s.WithinTx(t.Context(), func(ctx context.Context, tx ports.Tx) error {
		_, err := tx.Ledger().Balances(ctx)
		return err
	}))
	require.NoError(t, s.Pool().Ping(t.Context()))

	_, err = postgres.Open(t.Context(), "postgres://postgres:secret@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
	require.ErrorIs(t, err, ports.ErrUnavailable)
	require.NotContains(t, err.Error(), "secret", "the password is not in the error")
	_, err = postgres.Open(t.Context(), "postgres://%zz")
	require.Error(t, err)
}
