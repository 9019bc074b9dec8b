package market_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/core/errs"
	"github.com/agentgigs/agentgigs/core/market"
	"github.com/agentgigs/agentgigs/testkit"
)

// The operator grants and revokes admin by email with a reason the audit log keeps; the revoke
// takes effect on the account's next call, and nobody but the operator may do either.
func TestOperatorGrantsAndRevokesAdmin(t *testing.T) {
	t.Parallel()
	k := testkit.New(t)
	ops := k.Account("Ops")
	_, err := k.Service.AuditLog(k.Ctx, ops, 0, 10)
	require.Equal(t, errs.CodeForbidden, errs.CodeOf(err))

	require.Equal(t, errs.CodeInvalidInput, errs.CodeOf(k.Service.SetAdmin(k.Ctx, market.System, "ops@example.test", true, " ")))
	require.Equal(t, errs.CodeForbidden, errs.CodeOf(k.Service.SetAdmin(k.Ctx, ops, "ops@example.test", true, "self")))
	require.Equal(t, errs.CodeNotFound, errs.CodeOf(k.Service.SetAdmin(k.Ctx, market.System, "nobody@example.test", true, "x")))

	require.NoError(t, k.Service.SetAdmin(k.Ctx, market.System, "OPS@example.test", true, "on call"))
	log, err := k.Service.AuditLog(k.Ctx, ops, 0, 10)
	require.NoError(t, err)
	require.Len(t, log, 1)
	require.Equal(t, market.AuditOperator, log[0].ActorID)
	require.Equal(t, "grant_admin", log[0].Action)
	require.Contains(t, log[0].Reason, "on call")
	require.Contains(t, log[0].Reason, ops.AccountID)

	require.NoError(t, k.Service.SetAdmin(k.Ctx, market.System, "ops@example.test", false, "rotation ended"))
	_, err = k.Service.AuditLog(k.Ctx, ops, 0, 10)
	require.Equal(t, errs.CodeForbidden, errs.CodeOf(err))
	k.CheckInvariants()
}
