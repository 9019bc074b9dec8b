// Package ledger is the double-entry escrow ledger. Every movement of money is a Transfer that
// debits one Account and credits another by the same amount, so per currency the balances of all
// accounts always sum to zero. Balances applies transfers with the balance rules (only the external
// processor account and the receivables may go negative, and a receivable never goes above zero)
// and Check verifies the invariants over a whole ledger.
package ledger

import (
	"fmt"
	"math/big"
	"sort"
	"strings"
	"time"

	"github.com/agentgigs/agentgigs/core/errs"
	"github.com/agentgigs/agentgigs/core/money"
)

// Account names a ledger account, such as "wallet:acc_1" or "platform:fees".
type Account string

// Account kinds, the part of an Account before the colon.
const (
	KindWallet   = "wallet"   // poster funds
	KindEscrow   = "escrow"   // money held for one job
	KindPending  = "pending"  // earned, in cooldown
	KindPayable  = "payable"  // due to be paid out
	KindPlatform = "platform" // platform fees
	KindExternal = "external" // money entering or leaving through the processor
	// KindReceivable is what an account owes the platform: zero, or below zero by the debt, such as
	// the part of a returned top-up its wallet no longer held. It is paid down by transfers from
	// the account's wallet and never goes above zero.
	KindReceivable = "receivable"
)

// The two singleton accounts.
const (
	PlatformFees   Account = "platform:fees"
	ExternalStripe Account = "external:stripe"
)

// Wallet is the account holding an account's funds.
func Wallet(accountID string) Account { return Account(KindWallet + ":" + accountID) }

// Escrow is the account holding a job's funds.
func Escrow(jobID string) Account { return Account(KindEscrow + ":" + jobID) }

// Pending is the account holding an account's earnings during cooldown.
func Pending(accountID string) Account { return Account(KindPending + ":" + accountID) }

// Payable is the account holding what is due to be paid out to an account.
func Payable(accountID string) Account { return Account(KindPayable + ":" + accountID) }

// Receivable is the account recording what an account owes the platform (KindReceivable).
func Receivable(accountID string) Account { return Account(KindReceivable + ":" + accountID) }

// Debt is what an account owes the platform when its receivable's balance is balance: the
// balance negated, zero when nothing is owed.
func Debt(balance int64) int64 { return max(0, -balance) }

// Kind returns the account's kind, the text before the first colon.
func (a Account) Kind() string {
	k, _, _ := strings.Cut(string(a), ":")
	return k
}

// ID returns the text after the kind and its colon: the account or job the account belongs to.
func (a Account) ID() string {
	_, id, _ := strings.Cut(string(a), ":")
	return id
}

// MayGoNegative reports whether the account's balance may be below zero. Only the external
// processor account, which mirrors money that entered the platform, and the receivables, which
// record debts, may.
func (a Account) MayGoNegative() bool { k := a.Kind(); return k == KindExternal || k == KindReceivable }

// MayGoPositive reports whether the account's balance may be above zero: every account's but a
// receivable's, which is paid down to zero at most.
func (a Account) MayGoPositive() bool { return a.Kind() != KindReceivable }

// Transfer moves Amount from From (debited) to To (credited). Amount is positive.
type Transfer struct {
	From   Account     `json:"from"`
	To     Account     `json:"to"`
	Amount money.Money `json:"amount"`
	Memo   string      `json:"memo"`
}

// Validate refuses a non-positive amount, an invalid currency, or a transfer to itself.
func (t Transfer) Validate() error {
	switch {
	case t.Amount.Amount <= 0:
		return errs.New(errs.CodeInvalidInput, "transfer amount must be positive, got %d", t.Amount.Amount)
	case !t.Amount.Currency.Valid():
		return errs.New(errs.CodeInvalidInput, "transfer currency %q is invalid", t.Amount.Currency)
	case t.From == t.To:
		return errs.New(errs.CodeInvalidInput, "transfer from %s to itself", t.From)
	}
	return nil
}

// Key identifies one balance: an account in one currency.
type Key struct {
	Account  Account
	Currency money.Currency
}

// Balances maps each account and currency to its balance in minor units. The zero value is not
// usable; make one with make(Balances).
type Balances map[Key]int64

// Apply applies the transfers in order, all or nothing: if any is invalid, would overflow, would
// take an account below zero that may not go negative, or would take a receivable above zero, b is
// left unchanged and an error is returned: INSUFFICIENT_FUNDS for a balance that would go negative,
// and a plain error, an internal failure, for a receivable paid beyond its debt.
func (b Balances) Apply(ts ...Transfer) error {
	type prior struct {
		v      int64
		exists bool
	}
	undo := make(map[Key]prior, 2*len(ts))
	save := func(k Key) {
		if _, ok := undo[k]; !ok {
			v, exists := b[k]
			undo[k] = prior{v, exists}
		}
	}
	for _, t := range ts {
		if err := b.apply(t, save); err != nil {
			for k, p := range undo {
				if p.exists {
					b[k] = p.v
				} else {
					delete(b, k)
				}
			}
			return err
		}
	}
	return nil
}

func (b Balances) apply(t Transfer, save func(Key)) error {
	if err := t.Validate(); err != nil {
		return err
	}
	from, to := Key{t.From, t.Amount.Currency}, Key{t.To, t.Amount.Currency}
	f, err := money.Money{Amount: b[from], Currency: t.Amount.Currency}.Sub(t.Amount)
	if err != nil {
		return overflow(t.From, err)
	}
	if f.IsNegative() && !t.From.MayGoNegative() {
		if t.From.Kind() == KindWallet { // the wallet's owner is the one moving its money
			return errs.New(errs.CodeInsufficientFunds, "%s holds %s, %s needed", t.From,
				money.Money{Amount: b[from], Currency: t.Amount.Currency}, t.Amount)
		}
		return errs.New(errs.CodeInsufficientFunds, "%s cannot pay %s", t.From, t.Amount)
	}
	c, err := money.Money{Amount: b[to], Currency: t.Amount.Currency}.Add(t.Amount)
	if err != nil {
		return overflow(t.To, err)
	}
	if c.Amount > 0 && !t.To.MayGoPositive() {
		return fmt.Errorf("ledger: %s owes %s, less than the %s paid to it", t.To,
			money.Money{Amount: Debt(b[to]), Currency: t.Amount.Currency}, t.Amount)
	}
	save(from)
	save(to)
	b[from], b[to] = f.Amount, c.Amount
	return nil
}

// overflow is the error of a balance of a that would leave int64. On the platform's own accounts
// (fees, the processor) that is an internal failure, not the caller's doing: it is returned as a
// plain error, which the API logs and answers as INTERNAL, never showing the balance.
func overflow(a Account, err error) error {
	if k := a.Kind(); k == KindPlatform || k == KindExternal || k == KindReceivable {
		return fmt.Errorf("ledger: the balance of %s would leave the int64 range", a)
	}
	return err
}

// Violation is one broken invariant found by Check.
type Violation struct {
	Key    Key
	Reason string
}

// Check verifies the ledger invariants over complete balances: per currency the balances sum to
// zero, no account is negative that may not go negative, and no receivable is above zero. It
// returns the violations, sorted, or nil.
func Check(b Balances) []Violation {
	var out []Violation
	sums := map[money.Currency]*big.Int{} // exact: a sum of int64 balances can exceed int64
	for k, v := range b {
		if sums[k.Currency] == nil {
			sums[k.Currency] = new(big.Int)
		}
		sums[k.Currency].Add(sums[k.Currency], big.NewInt(v))
		if v < 0 && !k.Account.MayGoNegative() {
			out = append(out, Violation{Key: k, Reason: "negative balance"})
		}
		if v > 0 && !k.Account.MayGoPositive() {
			out = append(out, Violation{Key: k, Reason: "receivable above zero"})
		}
	}
	for cur, s := range sums {
		if s.Sign() != 0 {
			out = append(out, Violation{Key: Key{Currency: cur}, Reason: "balances do not sum to zero"})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Key.Currency != out[j].Key.Currency {
			return out[i].Key.Currency < out[j].Key.Currency
		}
		return out[i].Key.Account < out[j].Key.Account
	})
	return out
}

// Entry is a posted transfer: its place in the ledger, the job it belongs to, and when.
type Entry struct {
	Seq   int64     `json:"seq"`
	JobID string    `json:"job_id,omitempty"`
	At    time.Time `json:"at"`
	Transfer
}
