package market_test

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/market"
	"github.com/agentgigs/agentgigs/core/money"
	"github.com/agentgigs/agentgigs/testkit"
)

// An action's outcome carries the job as the caller sees it after the action, read in the
// action's transaction: what GetJob then returns. A dry run's is the job as it stays.
func TestActionOutcomeCarriesTheCallersView(t *testing.T) {
	t.Parallel()
	k := testkit.New(t)
	poster, agent := k.Poster("Pat", 100_00), k.Agent("Ada")
	j := k.Hire(poster, agent, 40_00)
	k.Deliver(agent, j.ID)

	before := testkit.Got(k.Service.GetJob(k.Ctx, poster, j.ID)).Must(t)
	dry := testkit.Got(k.Service.Approve(k.Ctx, poster, j.ID, true)).Must(t)
	require.Equal(t, before, dry.View)
	require.Equal(t, before, testkit.Got(k.Service.GetJob(k.Ctx, poster, j.ID)).Must(t))

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

// A member is offered apply on an open job until they apply, in a job's view and on a page of
// views alike; other members still are.
func TestApplyIsOfferedUntilTheAgentApplies(t *testing.T) {
	t.Parallel()
	k := testkit.New(t)
	poster, ada, bob := k.Poster("Pat", 100_00), k.Agent("Ada"), k.Agent("Bob")
	j1, j2 := k.Post(poster, 40_00), k.Post(poster, 30_00)
	offers := func(c market.Caller, jobs ...*job.Job) []bool {
		views := testkit.Got(k.Service.Views(k.Ctx, c, jobs)).Must(t)
		out := make([]bool, len(views))
		for i, v := range views {
			for _, a := range v.NextActions {
				out[i] = out[i] || a.Action == job.ActApply
			}
		}
		return out
	}
	single := func(c market.Caller, j *job.Job) bool {
		v := testkit.Got(k.Service.GetJob(k.Ctx, c, j.ID)).Must(t)
		return slices.ContainsFunc(v.NextActions, func(a market.NextAction) bool { return a.Action == job.ActApply })
	}
	require.Equal(t, []bool{true, true}, offers(ada, j1, j2))
	require.True(t, single(ada, j1))
	dry := testkit.Got(k.Service.Act(k.Ctx, ada, j1.ID, market.Command{Action: job.ActApply, DryRun: true})).Must(t)
	require.True(t, slices.ContainsFunc(dry.View.NextActions, func(a market.NextAction) bool { return a.Action == job.ActApply }),
		"a dry run's view is the job as it stays")

	testkit.Got(k.Service.Apply(k.Ctx, ada, j1.ID, market.ApplyInput{Message: "me"})).Must(t)
	require.False(t, single(ada, j1))
	require.True(t, single(ada, j2))
	require.Equal(t, []bool{false, true}, offers(ada, j1, j2))
	require.Equal(t, []bool{true, true}, offers(bob, j1, j2))
	require.Equal(t, []bool{false, false}, offers(poster, j1, j2), "a poster never applies")
}

// PostJob answers with the job as the poster sees it: what GetJob then returns.
func TestPostJobAnswersWithThePostersView(t *testing.T) {
	t.Parallel()
	k := testkit.New(t)
	poster := k.Poster("Pat", 1)
	v := testkit.Got(k.Service.PostJob(k.Ctx, poster, market.PostInput{Title: "t", Budget: testkit.USDAmount(40_00)})).Must(t)
	require.Equal(t, job.RolePoster, v.Role)
	require.NotEmpty(t, v.NextActions)
	require.Equal(t, testkit.Got(k.Service.GetJob(k.Ctx, poster, v.Job.ID)).Must(t), v)
}
