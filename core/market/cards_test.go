package market_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/adapters/memory"
	"github.com/agentgigs/agentgigs/core/errs"
	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/market"
	"github.com/agentgigs/agentgigs/core/payout"
	"github.com/agentgigs/agentgigs/testkit"
)

// An account's processor customer is created the first time it pays and reused after: top-ups,
// card setups and card payments all name it.
func TestCustomerCreatedOnce(t *testing.T) {
	t.Parallel()
	k := testkit.New(t)
	pat, ada := k.Account("Pat"), k.Agent("Ada")
	k.Payments.FailNext(memory.OpCustomer, 1, nil)
	_, err := k.Service.TopUp(k.Ctx, pat, testkit.USDAmount(10_00), "k0")
	require.Equal(t, errs.CodeConflict, errs.CodeOf(err), "the processor is unavailable: retry")
	require.Empty(t, k.Payments.TopUps())

	tu := testkit.Got(k.Service.TopUp(k.Ctx, pat, testkit.USDAmount(10_00), "k1")).Must(t)
	customer := testkit.Got(k.Service.Account(k.Ctx, pat)).Must(t).CustomerRef
	require.NotEmpty(t, customer)
	testkit.Got(k.Service.StartCardSetup(k.Ctx, pat)).Must(t)
	j := k.Post(pat, 10_00)
	app := testkit.Got(k.Service.Apply(k.Ctx, ada, j.ID, market.ApplyInput{Message: "me"})).Must(t)
	testkit.Got(k.Service.Accept(k.Ctx, pat, j.ID, app.ID, job.FundCard, false)).Must(t)

	require.Equal(t, customer, k.Payments.Setups()[0].Payer.CustomerRef)
	require.Equal(t, customer, k.Payments.Intents()[0].Payer.CustomerRef)
	require.Equal(t, pat.AccountID, k.Payments.TopUps()[0].AccountID)
	require.Equal(t, tu.ID, k.Payments.TopUps()[0].TopUpID, "the processor is told the core's top-up")
	require.Equal(t, tu.CheckoutURL, k.Payments.TopUps()[0].URL)
}

// The top-up ID derives from the idempotency key, so a retried request finds its top-up and the
// processor's metadata names it before the processor's reference exists.
func TestTopUpIDFromKey(t *testing.T) {
	t.Parallel()
	k := testkit.New(t)
	pat := k.Account("Pat")
	a := testkit.Got(k.Service.TopUp(k.Ctx, pat, testkit.USDAmount(10_00), "same")).Must(t)
	b := testkit.Got(k.Service.TopUp(k.Ctx, pat, testkit.USDAmount(10_00), "same")).Must(t)
	require.Equal(t, a.ID, b.ID)
	require.Equal(t, a.CheckoutURL, b.CheckoutURL)
	require.Len(t, k.Payments.TopUps(), 1)
	require.Equal(t, payout.TopUpID(k.Payments.TopUps()[0].Key), a.ID)
	other := testkit.Got(k.Service.TopUp(k.Ctx, k.Account("Ann"), testkit.USDAmount(10_00), "same")).Must(t)
	require.NotEqual(t, a.ID, other.ID, "another account's key is another top-up")
}

// A card saved once is charged off-session for every later card-funded job: no checkout page,
// and the job waits for the processor's confirmation as before. Without a saved card the poster
// gets the page, as its next action.
func TestSavedCardChargedOffSession(t *testing.T) {
	t.Parallel()
	k := testkit.New(t)
	bot, ada := k.Account("Bot"), k.Agent("Ada")
	accept := func() *market.Outcome {
		j := k.Post(bot, 10_00)
		app := testkit.Got(k.Service.Apply(k.Ctx, ada, j.ID, market.ApplyInput{Message: "me"})).Must(t)
		return testkit.Got(k.Service.Accept(k.Ctx, bot, j.ID, app.ID, job.FundCard, false)).Must(t)
	}

	first := accept()
	require.NotEmpty(t, first.Job.CheckoutURL)
	require.Equal(t, first.Job.CheckoutURL, first.View.NextActions[0].URL)
	require.Equal(t, market.ActPayByCard, first.View.NextActions[0].Action)
	agentView := testkit.Got(k.Service.GetJob(k.Ctx, ada, first.Job.ID)).Must(t)
	require.Empty(t, agentView.Job.CheckoutURL, "only the poster sees its payment page")

	require.NoError(t, k.Service.CardSaved(k.Ctx, bot.AccountID, "pm_1"))
	require.NoError(t, k.Service.CardSaved(k.Ctx, bot.AccountID, "pm_1"), "idempotent")
	require.Equal(t, 1, count(k.EventTypes(), "account.card_saved"))
	require.Equal(t, errs.CodeInvalidInput, errs.CodeOf(k.Service.CardSaved(k.Ctx, bot.AccountID, "")))
	require.Equal(t, errs.CodeNotFound, errs.CodeOf(k.Service.CardSaved(k.Ctx, "acc_nobody", "pm_1")))

	second := accept()
	require.Equal(t, job.AwaitingFunding, second.Job.State)
	require.Empty(t, second.Job.CheckoutURL)
	for _, a := range second.View.NextActions {
		require.NotEqual(t, market.ActPayByCard, a.Action)
	}
	intents := k.Payments.Intents()
	require.Equal(t, "pm_1", intents[len(intents)-1].Payer.CardRef)
	testkit.Got(k.Service.ConfirmFunding(k.Ctx, second.Job.ID, second.Job.PaymentRef)).Must(t)
	require.Equal(t, job.InProgress, k.Job(second.Job.ID).State)
	k.CheckInvariants()
}

func TestCardSetupNeedsAVerifiedEmail(t *testing.T) {
	t.Parallel()
	k := testkit.New(t)
	a := testkit.Got(k.Service.Register(k.Ctx, market.RegisterInput{Email: "new@example.test", Name: "New"})).Must(t)
	_, err := k.Service.StartCardSetup(k.Ctx, market.User(a.ID))
	require.Equal(t, errs.CodeEmailNotVerified, errs.CodeOf(err))
	require.Empty(t, k.Payments.Setups())
}

// A saved card the processor refuses (declined, or its bank wants the human) falls back to the
// checkout page; an unavailable processor is a retry, not a fallback.
func TestDeclinedSavedCardFallsBackToCheckout(t *testing.T) {
	t.Parallel()
	k := testkit.New(t)
	bot, ada := k.Account("Bot"), k.Agent("Ada")
	require.NoError(t, k.Service.CardSaved(k.Ctx, bot.AccountID, "pm_1"))
	j := k.Post(bot, 10_00)
	app := testkit.Got(k.Service.Apply(k.Ctx, ada, j.ID, market.ApplyInput{Message: "me"})).Must(t)

	k.Payments.FailNext(memory.OpIntent, 1, nil)
	_, err := k.Service.Accept(k.Ctx, bot, j.ID, app.ID, job.FundCard, false)
	require.Equal(t, errs.CodeConflict, errs.CodeOf(err), "unavailable: retry")
	require.Empty(t, k.Payments.Intents())

	k.Payments.FailNext(memory.OpIntent, 1, errors.New("card_declined"))
	out := testkit.Got(k.Service.Accept(k.Ctx, bot, j.ID, app.ID, job.FundCard, false)).Must(t)
	require.Equal(t, job.AwaitingFunding, out.Job.State)
	require.NotEmpty(t, out.Job.CheckoutURL, "the human pays instead")
	intents := k.Payments.Intents()
	require.Len(t, intents, 1)
	require.Empty(t, intents[0].Payer.CardRef)
	require.Equal(t, out.Job.PaymentRef, intents[0].Ref)
	k.CheckInvariants()
}
