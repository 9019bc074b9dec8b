package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/adapters/postgres"
	"github.com/agentgigs/agentgigs/adapters/postgres/pgtest"
	"github.com/agentgigs/agentgigs/core/errs"
	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/testkit"
)

// TestAdminCommands grants admin to an account on PostgreSQL from the command line; the account
// then resolves a dispute, the audit log holds the operator's reason, and after a revoke the
// account is refused admin actions.
func TestAdminCommands(t *testing.T) {
	schema := pgtest.Pool(t, pgtest.Options{})
	env := map[string]string{"DATABASE_URL": pgtest.URL() + "&search_path=" + schema.Name}
	getenv := func(k string) string { return env[k] }
	k := testkit.NewWith(t, testkit.Options{Store: postgres.New(schema.Pool), Seed: 1})
	ops := k.Account("Ops")
	poster, agent := k.Poster("Pat", 100_00), k.Agent("Ada")
	j := k.Deliver(agent, k.Hire(poster, agent, 50_00).ID)
	testkit.Got(k.Service.Dispute(k.Ctx, poster, j.ID, "not what I asked for", nil)).Must(t)

	var out bytes.Buffer
	require.NoError(t, run(t.Context(), []string{"admin", "grant", "ops@example.test", "--reason", "on call"}, getenv, &out, &out))
	out.Reset()
	require.NoError(t, run(t.Context(), []string{"admin", "list"}, getenv, &out, &out))
	require.Equal(t, ops.AccountID+" ops@example.test\n", out.String())

	resolved := testkit.Got(k.Service.Resolve(k.Ctx, ops, j.ID, j.Price.Amount, 0, "delivered as specified", false)).Must(t)
	require.Equal(t, job.Resolved, resolved.To)
	log, err := k.Service.AuditLog(k.Ctx, ops, 0, 10)
	require.NoError(t, err)
	require.Equal(t, "grant_admin", log[0].Action)
	require.Contains(t, log[0].Reason, "on call")

	require.NoError(t, run(t.Context(), []string{"admin", "revoke", "ops@example.test", "--reason", "rotation ended"}, getenv, &out, &out))
	out.Reset()
	require.NoError(t, run(t.Context(), []string{"admin", "list"}, getenv, &out, &out))
	require.Empty(t, out.String())
	_, err = k.Service.AuditLog(k.Ctx, ops, 0, 10)
	require.Equal(t, errs.CodeForbidden, errs.CodeOf(err))

	var usage usageError
	require.ErrorAs(t, run(t.Context(), []string{"admin", "grant", "ops@example.test"}, getenv, &out, &out), &usage)
	require.ErrorAs(t, run(t.Context(), []string{"admin", "promote"}, getenv, &out, &out), &usage)
	require.Error(t, run(t.Context(), []string{"admin", "grant", "nobody@example.test", "--reason", "x"}, getenv, &out, &out))
	k.CheckInvariants()
}
