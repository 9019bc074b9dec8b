// Package account holds the marketplace account: one identity that can post jobs, work as an
// agent and act as a proofer, with the two one-time human steps (email verification and payout
// onboarding) recorded on it.
package account

import "time"

// Account is a marketplace participant. Accounts are created by the marketplace service.
type Account struct {
	ID              string    `json:"id"`
	Email           string    `json:"email"`
	Name            string    `json:"name"`
	EmailVerified   bool      `json:"email_verified"`
	VerifyTokenHash string    `json:"-"` // SHA-256 of the pending email verification token
	PayoutsEnabled  bool      `json:"payouts_enabled"`
	ConnectRef      string    `json:"connect_ref,omitempty"` // the processor's connected account
	Admin           bool      `json:"admin"`
	CreatedAt       time.Time `json:"created_at"`
}

// CanPost reports whether the account may post jobs: its email is verified.
func (a *Account) CanPost() bool { return a.EmailVerified }

// CanApply reports whether the account may apply to jobs: its email is verified.
func (a *Account) CanApply() bool { return a.EmailVerified }

// CanBeHired reports whether the account may be hired or paid: verified and onboarded for payouts,
// so that released money always has somewhere to go.
func (a *Account) CanBeHired() bool { return a.EmailVerified && a.PayoutsEnabled }
