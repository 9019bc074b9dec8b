package conformance

import (
	"errors"
	"net/url"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/core/money"
	"github.com/agentgigs/agentgigs/core/ports"
)

// Payments runs the conformance suite of ports.Payments: every method returns a non-empty
// reference (or URL), checkout pages have absolute URLs (none for a saved card charged
// off-session), a repeated idempotency key returns the first call's reference (also when the
// repeats race), different keys make different references, a key reused with other parameters is
// refused with ports.ErrConflict, cancelling a payment twice is fine, amounts are accepted in
// zero-decimal (JPY) and two-decimal (USD) currencies alike, and an amount that is not positive
// or has no valid currency is refused with an error that is not ports.ErrUnavailable (retrying
// cannot fix it). Keys are fresh on every run.
func Payments(t *testing.T, newPayments func(t *testing.T) ports.Payments) {
	amount := money.Money{Amount: 1234, Currency: "USD"}

	t.Run("ConnectedAccount", func(t *testing.T) {
		t.Parallel()
		p, n := newPayments(t), nonce()
		ctx := t.Context()
		ref := must(p.CreateConnectedAccount(ctx, "acc_"+n, "conformance-"+n+"@example.com"))(t)
		require.NotEmpty(t, ref)
		require.Equal(t, ref, must(p.CreateConnectedAccount(ctx, "acc_"+n, "conformance-"+n+"@example.com"))(t), "idempotent per account")
		other := must(p.CreateConnectedAccount(ctx, "acc2_"+n, "conformance2-"+n+"@example.com"))(t)
		require.NotEmpty(t, other)
		require.NotEqual(t, ref, other)

		link := must(p.OnboardingLink(ctx, ref))(t)
		u, err := url.Parse(link)
		require.NoError(t, err)
		require.Contains(t, []string{"http", "https"}, u.Scheme, "an absolute URL: %q", link)
		require.NotEmpty(t, u.Host)
	})

	// keyed runs the idempotency checks on one keyed operation.
	keyed := func(t *testing.T, call func(key string) (string, error)) {
		t.Helper()
		n := nonce()
		ref := must(call("conformance-" + n + "-1"))(t)
		require.NotEmpty(t, ref)
		require.Equal(t, ref, must(call("conformance-"+n+"-1"))(t), "the same key returns the same reference")
		other := must(call("conformance-" + n + "-2"))(t)
		require.NotEmpty(t, other)
		require.NotEqual(t, ref, other, "another key is another call")

		// Racing repeats of one key make one call.
		const racers = 10
		refs := make([]string, racers)
		errs := make([]error, racers)
		var wg sync.WaitGroup
		for i := range racers {
			wg.Go(func() { refs[i], errs[i] = call("conformance-" + n + "-3") })
		}
		wg.Wait()
		for i := range racers {
			require.NoError(t, errs[i])
			require.Equal(t, refs[0], refs[i])
		}
		require.NotEqual(t, ref, refs[0])
		require.NotEqual(t, other, refs[0])
	}

	t.Run("Customer", func(t *testing.T) {
		t.Parallel()
		p, ctx, n := newPayments(t), t.Context(), nonce()
		ref := must(p.CreateCustomer(ctx, "acc_"+n, "conformance-"+n+"@example.com"))(t)
		require.NotEmpty(t, ref)
		require.Equal(t, ref, must(p.CreateCustomer(ctx, "acc_"+n, "conformance-"+n+"@example.com"))(t), "idempotent per account")
		require.NotEqual(t, ref, must(p.CreateCustomer(ctx, "acc2_"+n, "conformance2-"+n+"@example.com"))(t))
	})

	t.Run("CardPayment", func(t *testing.T) {
		t.Parallel()
		p, ctx, job := newPayments(t), t.Context(), "job_"+nonce()
		payer := newPayer(t, p)
		keyed(t, func(key string) (string, error) { return refOf(p.CreateCardPayment(ctx, key, amount, job, payer)) })
	})

	t.Run("CardPaymentOffSession", func(t *testing.T) {
		t.Parallel()
		p, ctx, job := newPayments(t), t.Context(), "job_"+nonce()
		payer := newPayer(t, p)
		payer.CardRef = "pm_card_visa"
		keyed(t, func(key string) (string, error) { return refOf(p.CreateCardPayment(ctx, key, amount, job, payer)) })
		co := must(p.CreateCardPayment(ctx, "conformance-"+nonce(), amount, job, payer))(t)
		require.Empty(t, co.URL, "a saved card needs no human step")
	})

	t.Run("CheckoutURLs", func(t *testing.T) {
		t.Parallel()
		p, ctx, n := newPayments(t), t.Context(), nonce()
		payer := newPayer(t, p)
		for name, co := range map[string]ports.Checkout{
			"card payment": must(p.CreateCardPayment(ctx, "conformance-"+n+"-pi", amount, "job_"+n, payer))(t),
			"top-up":       must(p.CreateTopUp(ctx, "conformance-"+n+"-tu", amount, "tu_"+n, payer))(t),
			"card setup":   must(p.CreateCardSetup(ctx, "conformance-"+n+"-setup", payer))(t),
		} {
			require.NotEmpty(t, co.Ref, name)
			u, err := url.Parse(co.URL)
			require.NoError(t, err, name)
			require.Contains(t, []string{"http", "https"}, u.Scheme, "%s: an absolute URL: %q", name, co.URL)
			require.NotEmpty(t, u.Host, name)
		}
	})

	t.Run("CardSetup", func(t *testing.T) {
		t.Parallel()
		p, ctx := newPayments(t), t.Context()
		payer := newPayer(t, p)
		keyed(t, func(key string) (string, error) { return refOf(p.CreateCardSetup(ctx, key, payer)) })
	})

	t.Run("CancelPaymentIntent", func(t *testing.T) {
		t.Parallel()
		p, ctx, n := newPayments(t), t.Context(), nonce()
		ref := must(p.CreateCardPayment(ctx, "conformance-"+n, amount, "job_"+n, newPayer(t, p)))(t).Ref
		require.NoError(t, p.CancelPaymentIntent(ctx, ref))
		require.NoError(t, p.CancelPaymentIntent(ctx, ref), "cancelling twice is not an error")
	})

	t.Run("TopUp", func(t *testing.T) {
		t.Parallel()
		p, ctx, id := newPayments(t), t.Context(), "tu_"+nonce()
		payer := newPayer(t, p)
		keyed(t, func(key string) (string, error) { return refOf(p.CreateTopUp(ctx, key, amount, id, payer)) })
	})

	t.Run("Transfer", func(t *testing.T) {
		t.Parallel()
		p, ctx, n := newPayments(t), t.Context(), nonce()
		dest := must(p.CreateConnectedAccount(ctx, "acc_"+n, "conformance-"+n+"@example.com"))(t)
		keyed(t, func(key string) (string, error) { return p.Transfer(ctx, key, amount, dest) })
	})

	t.Run("Refund", func(t *testing.T) {
		t.Parallel()
		p, ctx, n := newPayments(t), t.Context(), nonce()
		pi := must(p.CreateCardPayment(ctx, "conformance-"+n, amount, "job_"+n, newPayer(t, p)))(t).Ref
		keyed(t, func(key string) (string, error) {
			return p.Refund(ctx, key, money.Money{Amount: 100, Currency: "USD"}, pi)
		})
	})
	// Every keyed operation, on a payment intent and a connected account made for the run.
	type keyedOp struct {
		name string
		call func(key string, amount money.Money) (string, error)
	}
	keyedOps := func(t *testing.T, p ports.Payments) []keyedOp {
		ctx, n := t.Context(), nonce()
		dest := must(p.CreateConnectedAccount(ctx, "acc_"+n, "conformance-"+n+"@example.com"))(t)
		payer := newPayer(t, p)
		pi := must(p.CreateCardPayment(ctx, "conformance-"+n+"-pi", amount, "job_"+n, payer))(t).Ref
		return []keyedOp{
			{"CardPayment", func(key string, m money.Money) (string, error) {
				return refOf(p.CreateCardPayment(ctx, key, m, "job_"+n, payer))
			}},
			{"TopUp", func(key string, m money.Money) (string, error) {
				return refOf(p.CreateTopUp(ctx, key, m, "tu_"+n, payer))
			}},
			{"Transfer", func(key string, m money.Money) (string, error) { return p.Transfer(ctx, key, m, dest) }},
			{"Refund", func(key string, m money.Money) (string, error) { return p.Refund(ctx, key, m, pi) }},
		}
	}

	t.Run("KeyReusedWithOtherParameters", func(t *testing.T) {
		t.Parallel()
		p := newPayments(t)
		for _, op := range keyedOps(t, p) {
			key := "conformance-" + nonce()
			ref := must(op.call(key, amount))(t)
			_, err := op.call(key, money.Money{Amount: amount.Amount + 1, Currency: amount.Currency})
			require.ErrorIs(t, err, ports.ErrConflict, "%s: a key reused with another amount", op.name)
			require.Equal(t, ref, must(op.call(key, amount))(t), "%s: the first call still stands", op.name)
		}
	})

	t.Run("Currencies", func(t *testing.T) {
		t.Parallel()
		p := newPayments(t)
		for _, op := range keyedOps(t, p) {
			for _, m := range []money.Money{{Amount: 500, Currency: "JPY"}, {Amount: 1999, Currency: "USD"}, {Amount: 1, Currency: "EUR"}} {
				require.NotEmpty(t, must(op.call("conformance-"+nonce(), m))(t), "%s of %d %s", op.name, m.Amount, m.Currency)
			}
		}
	})

	t.Run("InvalidAmount", func(t *testing.T) {
		t.Parallel()
		p := newPayments(t)
		for _, op := range keyedOps(t, p) {
			for _, m := range []money.Money{{Amount: 0, Currency: "USD"}, {Amount: -100, Currency: "USD"}, {Amount: 100, Currency: ""}, {Amount: 100, Currency: "usd dollars"}} {
				ref, err := op.call("conformance-"+nonce(), m)
				require.Error(t, err, "%s of %d %q", op.name, m.Amount, m.Currency)
				require.Empty(t, ref)
				require.False(t, errors.Is(err, ports.ErrUnavailable), "%s of %d %q: a refusal is not retryable: %v", op.name, m.Amount, m.Currency, err)
			}
		}
	})
}

// newPayer returns a payer with a customer made for the run.
func newPayer(t *testing.T, p ports.Payments) ports.Payer {
	n := nonce()
	acc := "acc_" + n
	return ports.Payer{AccountID: acc, CustomerRef: must(p.CreateCustomer(t.Context(), acc, "payer-"+n+"@example.com"))(t)}
}

// refOf returns the reference of a checkout call's result.
func refOf(co ports.Checkout, err error) (string, error) { return co.Ref, err }
