package market_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/core/market"
	"github.com/agentgigs/agentgigs/core/money"
	"github.com/agentgigs/agentgigs/testkit"
)

// An action's outcome carries the job as the caller sees it after the action, read in the
// action's transaction: what GetJob then returns. A dry run carries none.
func TestActionOutcomeCarriesTheCallersView(t *testing.T) {
	t.Parallel()
	k := testkit.New(t)
	poster, agent := k.Poster("Pat", 100_00), k.Agent("Ada")
	j := k.Hire(poster, agent, 40_00)
	k.Deliver(agent, j.ID)

	dry := testkit.Got(k.Service.Approve(k.Ctx, poster, j.ID, true)).Must(t)
	require.Nil(t, dry.View)

	o := testkit.Got(k.Service.Approve(k.Ctx, poster, j.ID, false)).Must(t)
	require.NotNil(t, o.View)
	require.Equal(t, o.To, o.View.Job.State)
	require.Equal(t, testkit.Got(k.Service.GetJob(k.Ctx, poster, j.ID)).Must(t), o.View)
}

// A proposed price without a currency is in the job's budget currency.
func TestProposedPriceWithoutCurrencyIsInTheBudgets(t *testing.T) {
	t.Parallel()
	k := testkit.New(t)
	poster, agent := k.Poster("Pat", 100_00), k.Agent("Ada")
	j := k.Post(poster, 40_00)
	a := testkit.Got(k.Service.Apply(k.Ctx, agent, j.ID, market.ApplyInput{ProposedPrice: money.Money{Amount: 30_00}})).Must(t)
	require.Equal(t, money.Money{Amount: 30_00, Currency: j.Budget.Currency}, a.ProposedPrice)
}
