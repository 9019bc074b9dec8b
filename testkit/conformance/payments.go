package conformance

import (
	"net/url"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/core/money"
	"github.com/agentgigs/agentgigs/ports"
)

// Payments runs the conformance suite of ports.Payments: every method returns a non-empty
// reference (or URL), a repeated idempotency key returns the first call's reference (also when the
// repeats race), different keys make different references, and cancelling a payment twice is
// fine. Keys are fresh on every run.
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

	t.Run("PaymentIntent", func(t *testing.T) {
		t.Parallel()
		p, ctx, job := newPayments(t), t.Context(), "job_"+nonce()
		keyed(t, func(key string) (string, error) { return p.CreatePaymentIntent(ctx, key, amount, job) })
	})

	t.Run("CancelPaymentIntent", func(t *testing.T) {
		t.Parallel()
		p, ctx, n := newPayments(t), t.Context(), nonce()
		ref := must(p.CreatePaymentIntent(ctx, "conformance-"+n, amount, "job_"+n))(t)
		require.NoError(t, p.CancelPaymentIntent(ctx, ref))
		require.NoError(t, p.CancelPaymentIntent(ctx, ref), "cancelling twice is not an error")
	})

	t.Run("TopUp", func(t *testing.T) {
		t.Parallel()
		p, ctx, acc := newPayments(t), t.Context(), "acc_"+nonce()
		keyed(t, func(key string) (string, error) { return p.CreateTopUp(ctx, key, amount, acc) })
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
		pi := must(p.CreatePaymentIntent(ctx, "conformance-"+n, amount, "job_"+n))(t)
		keyed(t, func(key string) (string, error) {
			return p.Refund(ctx, key, money.Money{Amount: 100, Currency: "USD"}, pi)
		})
	})
}
