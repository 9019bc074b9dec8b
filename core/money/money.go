// Package money holds exact amounts: integer minor units (cents) with an ISO 4217 currency, checked
// arithmetic that refuses overflow and currency mixing, and fees in basis points. There are no
// floats anywhere in this package.
package money

import (
	"math"
	"math/bits"
	"strconv"

	"github.com/agentgigs/agentgigs/core/errs"
)

// Currency is an upper-case ISO 4217 code such as "USD".
type Currency string

// Valid reports whether c looks like an ISO 4217 code: three upper-case ASCII letters.
func (c Currency) Valid() bool {
	if len(c) != 3 {
		return false
	}
	for i := range len(c) {
		if c[i] < 'A' || c[i] > 'Z' {
			return false
		}
	}
	return true
}

// Money is an amount in minor units of a currency. The zero value is zero of no currency; it
// compares equal only to itself.
type Money struct {
	Amount   int64    `json:"amount"`
	Currency Currency `json:"currency"`
}

// New returns amount minor units of cur, refusing an invalid currency.
func New(amount int64, cur Currency) (Money, error) {
	if !cur.Valid() {
		return Money{}, errs.New(errs.CodeInvalidInput, "currency %q is not an ISO 4217 code", cur)
	}
	return Money{Amount: amount, Currency: cur}, nil
}

// Zero returns zero minor units of cur.
func Zero(cur Currency) Money { return Money{Currency: cur} }

// String formats m with its currency's decimals (Exponent): "12.34 USD", "10 JPY", "1.500 KWD".
// It is for display only.
func (m Money) String() string {
	u := uint64(m.Amount)
	var b []byte
	if m.Amount < 0 {
		b, u = append(b, '-'), -u // two's complement: exact for MinInt64 too
	}
	e := m.Currency.Exponent()
	unit := uint64(1)
	for range e {
		unit *= 10
	}
	b = strconv.AppendUint(b, u/unit, 10)
	if e > 0 {
		frac := strconv.AppendUint(nil, unit+u%unit, 10) // a leading 1, then exactly e digits
		b = append(append(b, '.'), frac[1:]...)
	}
	return string(append(append(b, ' '), m.Currency...))
}

// IsZero reports whether the amount is zero.
func (m Money) IsZero() bool { return m.Amount == 0 }

// IsNegative reports whether the amount is below zero.
func (m Money) IsNegative() bool { return m.Amount < 0 }

func (m Money) same(o Money) error {
	if m.Currency != o.Currency {
		return errs.New(errs.CodeCurrencyMismatch, "cannot combine %s with %s", m.Currency, o.Currency)
	}
	return nil
}

// Add returns m+o, refusing different currencies and int64 overflow. Errors never carry the
// operands, which may be internal balances.
func (m Money) Add(o Money) (Money, error) {
	if err := m.same(o); err != nil {
		return Money{}, err
	}
	s := m.Amount + o.Amount
	if (s > m.Amount) != (o.Amount > 0) {
		return Money{}, errs.New(errs.CodeAmountOverflow, "the sum is out of range")
	}
	return Money{Amount: s, Currency: m.Currency}, nil
}

// Sub returns m-o, refusing different currencies and int64 overflow.
func (m Money) Sub(o Money) (Money, error) {
	if err := m.same(o); err != nil {
		return Money{}, err
	}
	d := m.Amount - o.Amount
	if (o.Amount > 0 && d > m.Amount) || (o.Amount < 0 && d < m.Amount) {
		return Money{}, errs.New(errs.CodeAmountOverflow, "the difference is out of range")
	}
	return Money{Amount: d, Currency: m.Currency}, nil
}

// Mul returns m×n, refusing overflow.
func (m Money) Mul(n int64) (Money, error) {
	if m.Amount == 0 || n == 0 {
		return Money{Currency: m.Currency}, nil
	}
	p := m.Amount * n
	if p/n != m.Amount || (m.Amount == -1 && n == math.MinInt64) || (n == -1 && m.Amount == math.MinInt64) {
		return Money{}, errs.New(errs.CodeAmountOverflow, "the product is out of range")
	}
	return Money{Amount: p, Currency: m.Currency}, nil
}

// BPS is a rate in basis points: 100 bps = 1 %, 10000 bps = 100 %.
type BPS int64

// Valid reports whether b is within 0..10000.
func (b BPS) Valid() bool { return b >= 0 && b <= 10000 }

// Fee returns the share b of m, rounded down to the minor unit, so that a fee never exceeds its
// rate. m must not be negative and b must be valid. The product is computed in 128 bits, so it
// cannot overflow.
func (m Money) Fee(b BPS) (Money, error) {
	if !b.Valid() {
		return Money{}, errs.New(errs.CodeInvalidInput, "fee rate %d bps is outside 0..10000", b)
	}
	if m.Amount < 0 {
		return Money{}, errs.New(errs.CodeInvalidInput, "fee of a negative amount %d", m.Amount)
	}
	hi, lo := bits.Mul64(uint64(m.Amount), uint64(b))
	q, _ := bits.Div64(hi, lo, 10000)
	return Money{Amount: int64(q), Currency: m.Currency}, nil
}
