// Package stripe is the Stripe Connect adapter of ports.Payments (stripe-go v76) and the
// translator of Stripe webhooks into the marketplace's processor callbacks.
//
// Money passes through unchanged: money.Money.Amount and Stripe's amount are both in the
// currency's minor unit (cents for USD, yen for the zero-decimal JPY), so no factor is applied in
// either direction. Currency codes are sent in lower case.
//
// The money flows are Stripe's "separate charges and transfers":
//
//   - payout onboarding is an Express connected account with the transfers capability requested,
//     completed by the human through an account link (account_onboarding);
//   - each paying account has one platform Customer (metadata account_id), created the first time
//     it pays and kept by the core;
//   - a job funded by card is a Checkout Session in payment mode (card) whose URL the poster's
//     human opens, or, once the account saved a card (a Checkout Session in setup mode), a
//     PaymentIntent confirmed off-session on that card with no human step; both carry
//     transfer_group and metadata job_id set to the job;
//   - a wallet top-up is a Checkout Session in payment mode paid by us_bank_account (ACH), with
//     metadata account_id, topup_id and kind=topup on the session and its PaymentIntent;
//   - a payout is a Transfer to the agent's connected account under the core's idempotency key;
//   - a refund is a (possibly partial) Refund of the job's PaymentIntent.
//
// Stripe errors are translated at the boundary and no stripe-go type crosses it: a network
// failure, a rate limit or a Stripe server error wraps ports.ErrUnavailable (retry with the same
// idempotency key); a reused idempotency key with other parameters wraps ports.ErrConflict; an
// unknown object wraps ports.ErrNotFound; anything else is an *Error carrying Stripe's message,
// which retrying will not change.
//
// The asynchronous outcomes arrive as webhooks: Translate verifies and translates one, and
// NewWebhookHandler serves both webhook endpoints (platform and Connect) and calls the
// marketplace's processor callbacks (Callbacks, which *market.Service satisfies). Checkout
// outcomes come as checkout.session.completed (paid at once, or an ACH debit still processing),
// checkout.session.async_payment_succeeded and _failed, and checkout.session.expired; a saved card
// as setup_intent.succeeded; an off-session charge as payment_intent.succeeded or _payment_failed.
package stripe
