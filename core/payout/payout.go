// Package payout holds money leaving the platform to a connected account (payouts, with their
// retry schedule) and money entering it asynchronously (wallet top-ups).
package payout

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/agentgigs/agentgigs/core/money"
)

// Status is where a payout stands.
type Status string

// The payout statuses.
const (
	Due       Status = "due"       // payable; the transfer is to be made
	Submitted Status = "submitted" // the processor accepted the transfer; awaiting settlement
	Paid      Status = "paid"      // settled: payable moved to external
	Failed    Status = "failed"    // the last attempt failed; a retry is scheduled
	Stuck     Status = "stuck"     // retries exhausted; an admin may release it
)

// MaxAttempts is how many transfer attempts are made before a payout is stuck.
const MaxAttempts = 8

// Payout is one transfer of payable money to a recipient's connected account. There is at most one
// payout per job and recipient; its ID is the processor's idempotency key, so it is made at most
// once.
type Payout struct {
	ID        string      `json:"id"`
	JobID     string      `json:"job_id"`
	Recipient string      `json:"recipient"`
	Amount    money.Money `json:"amount"`
	Status    Status      `json:"status"`
	Held      bool        `json:"held"`
	Attempts  int         `json:"attempts"`
	Ref       string      `json:"ref,omitempty"` // the processor's transfer ID
	LastError string      `json:"last_error,omitempty"`
	CreatedAt time.Time   `json:"created_at"`
	PaidAt    time.Time   `json:"paid_at,omitzero"`
}

// IdempotencyKeyPrefix starts every IdempotencyKey, followed by the payout's ID.
const IdempotencyKeyPrefix = "payout-"

// IdempotencyKey is the key the processor call carries, derived from the payout alone.
func (p *Payout) IdempotencyKey() string { return IdempotencyKeyPrefix + p.ID }

// TopUpID is the ID of the wallet top-up started under the processor idempotency key: the same
// key always names the same top-up, so a retried request finds the top-up it made.
func TopUpID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "tu_" + hex.EncodeToString(sum[:12])
}

// Retryable reports whether a transfer attempt may be made now: the payout is not held, and it is
// due, failed, or submitted by an attempt that never recorded its outcome (its runner stopped
// between the processor call and the record; the same idempotency key makes another call
// harmless).
func (p *Payout) Retryable() bool {
	return !p.Held && (p.Status == Due || p.Status == Failed || (p.Status == Submitted && p.Ref == ""))
}

// SubmitLease is how long an attempt has to record its outcome before the payout is tried again.
// It is far longer than a processor call may take, and far shorter than the processor keeps an
// idempotency key (a day at Stripe).
const SubmitLease = 10 * time.Minute

// Backoff returns the wait before the next attempt after attempts failures: one minute doubling,
// capped at six hours.
func Backoff(attempts int) time.Duration {
	d := time.Minute
	for i := 1; i < attempts && d < 6*time.Hour; i++ {
		d *= 2
	}
	return min(d, 6*time.Hour)
}

// TopUpStatus is where a wallet top-up stands.
type TopUpStatus string

// The top-up statuses.
const (
	TopUpPending   TopUpStatus = "pending"
	TopUpSucceeded TopUpStatus = "succeeded"
	TopUpFailed    TopUpStatus = "failed"
	TopUpReturned  TopUpStatus = "returned"
)

// TopUp is an asynchronous wallet funding (ACH or similar). The wallet is credited only when it
// succeeds; a later return debits what it can.
type TopUp struct {
	ID        string      `json:"id"`
	AccountID string      `json:"account_id"`
	Amount    money.Money `json:"amount"`
	Status    TopUpStatus `json:"status"`
	Ref       string      `json:"ref,omitempty"`
	CreatedAt time.Time   `json:"created_at"`
	// CheckoutURL is where the human authorises the bank debit; empty when the processor needs
	// no human step.
	CheckoutURL string `json:"checkout_url,omitempty"`
}
