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
	CustomerRef     string    `json:"-"`                     // the processor's paying customer; empty until the account first pays
	CardRef         string    `json:"-"`                     // the card saved for off-session job payments; empty when none
	Admin           bool      `json:"admin"`
	CreatedAt       time.Time `json:"created_at"`
	// EmailOptOut is true when the account turned notification emails off (hired, delivered,
	// dispute opened). The zero value sends them. Verification emails are always sent.
	EmailOptOut bool `json:"email_opt_out"`
	// VerifyTokenExpiresAt is when the pending verification token stops working.
	VerifyTokenExpiresAt time.Time `json:"-"`
	// VerifySends counts the verification emails sent since VerifySendsSince, for the rate limit
	// (VerificationAllowed); VerifySentAt is when the latest was sent.
	VerifySends      int       `json:"-"`
	VerifySendsSince time.Time `json:"-"`
	VerifySentAt     time.Time `json:"-"`
}

// Verification limits: a token works for VerificationTTL; at most one verification email is sent
// per VerificationInterval and MaxVerificationsPerDay per day and account.
const (
	VerificationTTL        = 24 * time.Hour
	VerificationInterval   = time.Minute
	MaxVerificationsPerDay = 5
)

// VerificationAllowed reports whether another verification email may be sent at now under the
// limits above.
func (a *Account) VerificationAllowed(now time.Time) bool {
	if !a.VerifySentAt.IsZero() && now.Before(a.VerifySentAt.Add(VerificationInterval)) {
		return false
	}
	return a.verifySends(now) < MaxVerificationsPerDay
}

// SetVerification records a new verification token sent at now: its hash replaces the pending
// one, it expires VerificationTTL later, and it counts against the limits.
func (a *Account) SetVerification(tokenHash string, now time.Time) {
	a.CountVerification(now)
	a.VerifyTokenHash, a.VerifyTokenExpiresAt = tokenHash, now.Add(VerificationTTL)
}

// CountVerification records that a verification-related email was sent at now, against the
// limits above.
func (a *Account) CountVerification(now time.Time) {
	if a.verifySends(now) == 0 {
		a.VerifySends, a.VerifySendsSince = 0, now
	}
	a.VerifySends++
	a.VerifySentAt = now
}

// verifySends is how many verification emails count against the daily limit at now: those of a
// window that started less than a day ago.
func (a *Account) verifySends(now time.Time) int {
	if now.Sub(a.VerifySendsSince) >= 24*time.Hour {
		return 0
	}
	return a.VerifySends
}

// CanPost reports whether the account may post jobs: its email is verified.
func (a *Account) CanPost() bool { return a.EmailVerified }

// CanApply reports whether the account may apply to jobs: its email is verified.
func (a *Account) CanApply() bool { return a.EmailVerified }

// CanBeHired reports whether the account may be hired or paid: verified and onboarded for payouts,
// so that released money always has somewhere to go.
func (a *Account) CanBeHired() bool { return a.EmailVerified && a.PayoutsEnabled }
