package money_test

import (
	"errors"
	"math"
	"math/big"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/core/errs"
	"github.com/agentgigs/agentgigs/core/money"
)

const (
	maxI = math.MaxInt64
	minI = math.MinInt64
)

func usd(a int64) money.Money { return money.Money{Amount: a, Currency: "USD"} }
func eur(a int64) money.Money { return money.Money{Amount: a, Currency: "EUR"} }

// requireCode checks that err carries code both by CodeOf and by errors.Is against a fresh *Error.
func requireCode(t *testing.T, err error, code errs.Code) {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, code, errs.CodeOf(err), "error: %v", err)
	require.ErrorIs(t, err, &errs.Error{Code: code})
}

func TestAdd(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name     string
		a, b     int64
		want     int64
		overflow bool
	}{
		{"small", 150, 250, 400, false},
		{"zero", 0, 0, 0, false},
		{"negative", -5, -7, -12, false},
		{"mixed signs", maxI, minI, -1, false},
		{"max plus zero", maxI, 0, maxI, false},
		{"min plus zero", minI, 0, minI, false},
		{"zero plus min", 0, minI, minI, false},
		{"max plus -1", maxI, -1, maxI - 1, false},
		{"min plus 1", minI, 1, minI + 1, false},
		{"max-1 plus 1 reaches max", maxI - 1, 1, maxI, false},
		{"min+1 plus -1 reaches min", minI + 1, -1, minI, false},
		{"max plus 1", maxI, 1, 0, true},
		{"1 plus max", 1, maxI, 0, true},
		{"max plus max", maxI, maxI, 0, true},
		{"min plus -1", minI, -1, 0, true},
		{"-1 plus min", -1, minI, 0, true},
		{"min plus min", minI, minI, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := usd(tt.a).Add(usd(tt.b))
			if tt.overflow {
				requireCode(t, err, errs.CodeAmountOverflow)
				require.ErrorIs(t, err, errs.ErrAmountOverflow)
				require.Equal(t, money.Money{}, got)
				return
			}
			require.NoError(t, err)
			require.Equal(t, usd(tt.want), got)
		})
	}
}

func TestSub(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name     string
		a, b     int64
		want     int64
		overflow bool
	}{
		{"small", 400, 150, 250, false},
		{"below zero", 1, 2, -1, false},
		{"zero minus max", 0, maxI, -maxI, false},
		{"-1 minus max reaches min", -1, maxI, minI, false},
		{"max minus max", maxI, maxI, 0, false},
		{"min minus min", minI, minI, 0, false},
		{"-1 minus min reaches max", -1, minI, maxI, false},
		{"min+1 minus min", minI + 1, minI, 1, false},
		{"min minus -1", minI, -1, minI + 1, false},
		{"max minus -1", maxI, -1, 0, true},
		{"0 minus min", 0, minI, 0, true},
		{"1 minus min", 1, minI, 0, true},
		{"max minus min", maxI, minI, 0, true},
		{"min minus 1", minI, 1, 0, true},
		{"-2 minus max", -2, maxI, 0, true},
		{"min minus max", minI, maxI, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := usd(tt.a).Sub(usd(tt.b))
			if tt.overflow {
				requireCode(t, err, errs.CodeAmountOverflow)
				require.Equal(t, money.Money{}, got)
				return
			}
			require.NoError(t, err)
			require.Equal(t, usd(tt.want), got)
		})
	}
}

func TestMul(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name     string
		a, n     int64
		want     int64
		overflow bool
	}{
		{"small", 250, 4, 1000, false},
		{"by zero", maxI, 0, 0, false},
		{"zero by min", 0, minI, 0, false},
		{"by one", minI, 1, minI, false},
		{"max by one", maxI, 1, maxI, false},
		{"max by -1", maxI, -1, -maxI, false},
		{"-1 by max", -1, maxI, -maxI, false},
		{"1 by min", 1, minI, minI, false},
		{"negative by negative", -3, -7, 21, false},
		{"half of min by 2", minI / 2, 2, minI, false},
		{"half of max by 2", maxI / 2, 2, maxI - 1, false},
		{"min by -1", minI, -1, 0, true},
		{"-1 by min", -1, minI, 0, true},
		{"max by 2", maxI, 2, 0, true},
		{"max by -2", maxI, -2, 0, true},
		{"min by 2", minI, 2, 0, true},
		{"min by min", minI, minI, 0, true},
		{"max by max", maxI, maxI, 0, true},
		{"2^32 by 2^31", 1 << 32, 1 << 31, 0, true},
		{"2^32 by 2^32", 1 << 32, 1 << 32, 0, true},
		{"-(2^32) by 2^31 reaches min", -(1 << 32), 1 << 31, minI, false},
		{"half of max+1 by 2", maxI/2 + 1, 2, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := usd(tt.a).Mul(tt.n)
			if tt.overflow {
				requireCode(t, err, errs.CodeAmountOverflow)
				require.Equal(t, money.Money{}, got)
				return
			}
			require.NoError(t, err)
			require.Equal(t, usd(tt.want), got)
		})
	}
}

func TestMulKeepsCurrencyOnZero(t *testing.T) {
	t.Parallel()

	got, err := eur(0).Mul(7)
	require.NoError(t, err)
	require.Equal(t, eur(0), got)
	got, err = eur(9).Mul(0)
	require.NoError(t, err)
	require.Equal(t, eur(0), got)
}

func TestCurrencyMismatch(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name string
		op   func() (money.Money, error)
	}{
		{"add USD and EUR", func() (money.Money, error) { return usd(1).Add(eur(1)) }},
		{"add zero values of different currencies", func() (money.Money, error) { return usd(0).Add(eur(0)) }},
		{"add to the zero Money", func() (money.Money, error) { return money.Money{}.Add(usd(1)) }},
		{"add overflowing amounts of different currencies", func() (money.Money, error) { return usd(maxI).Add(eur(1)) }},
		{"sub USD and EUR", func() (money.Money, error) { return usd(5).Sub(eur(1)) }},
		{"sub negative EUR", func() (money.Money, error) { return usd(5).Sub(eur(-1)) }},
		// The currency is checked before the amount, whatever the amount.
		{"sub EUR MinInt64 from USD", func() (money.Money, error) { return usd(-1).Sub(eur(minI)) }},
		{"sub lower-case currency", func() (money.Money, error) { return usd(5).Sub(money.Money{Amount: 1, Currency: "usd"}) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.op()
			requireCode(t, err, errs.CodeCurrencyMismatch)
			require.ErrorIs(t, err, errs.ErrCurrencyMismatch)
			require.False(t, errors.Is(err, errs.ErrAmountOverflow))
			require.Equal(t, money.Money{}, got)
		})
	}
}

// bigFee is floor(a*b/10000) computed exactly.
func bigFee(a int64, b int64) *big.Int {
	p := new(big.Int).Mul(big.NewInt(a), big.NewInt(b))
	return p.Quo(p, big.NewInt(10000)) // a, b ≥ 0, so truncation is floor
}

func TestFee(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name   string
		amount int64
		bps    money.BPS
		want   int64
	}{
		{"10 percent", 10_000, 1000, 1000},
		{"rounds down just below a cent", 999, 100, 9}, // 9.99 → 9
		{"rounds down a half", 150, 5000 - 1, 74},      // 74.985 → 74
		{"rounds down .5 exactly", 1, 5000, 0},         // 0.5 → 0
		{"rounds down to zero", 1, 9999, 0},            // 0.9999 → 0
		{"one cent at 100 percent", 1, 10000, 1},       // exact
		{"minimum fee of 1", 10_000, 1, 1},             // exact
		{"just below 1", 9_999, 1, 0},                  // 0.9999 → 0
		{"zero rate", 123_456, 0, 0},                   // nothing
		{"zero amount", 0, 10000, 0},                   // nothing
		{"full rate is the amount", 123_457, 10000, 123_457},
		{"max amount at full rate", maxI, 10000, maxI},
		{"max amount at zero rate", maxI, 0, 0},
		{"max amount at 1 bps", maxI, 1, maxI / 10000},
		{"max amount at 9999 bps", maxI, 9999, bigFee(maxI, 9999).Int64()},
		{"max amount at 2.5 percent", maxI, 250, bigFee(maxI, 250).Int64()},
		{"huge amount whose product needs 77 bits", 1 << 62, 7777, bigFee(1<<62, 7777).Int64()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := usd(tt.amount).Fee(tt.bps)
			require.NoError(t, err)
			require.Equal(t, usd(tt.want), got)
			require.Equal(t, bigFee(tt.amount, int64(tt.bps)).Int64(), got.Amount)
			require.LessOrEqual(t, got.Amount, tt.amount)
		})
	}
}

func TestFeeRefusals(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name   string
		amount int64
		bps    money.BPS
	}{
		{"negative rate", 100, -1},
		{"rate above 100 percent", 100, 10001},
		{"huge rate", 100, money.BPS(maxI)},
		{"min rate", 100, money.BPS(minI)},
		{"negative amount", -1, 100},
		{"min amount", minI, 100},
		{"negative amount at zero rate", -1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := usd(tt.amount).Fee(tt.bps)
			requireCode(t, err, errs.CodeInvalidInput)
			require.Equal(t, money.Money{}, got)
		})
	}
}

func TestBPSValid(t *testing.T) {
	t.Parallel()

	for b, want := range map[money.BPS]bool{-1: false, 0: true, 1: true, 9999: true, 10000: true, 10001: false, money.BPS(minI): false, money.BPS(maxI): false} {
		require.Equal(t, want, b.Valid(), "bps %d", b)
	}
}

func TestString(t *testing.T) {
	t.Parallel()

	tests := []struct {
		m    money.Money
		want string
	}{
		{usd(0), "0.00 USD"},
		{usd(1), "0.01 USD"},
		{usd(10), "0.10 USD"},
		{usd(99), "0.99 USD"},
		{usd(100), "1.00 USD"},
		{usd(1234), "12.34 USD"},
		{eur(100_000_05), "100000.05 EUR"},
		{usd(-1), "-0.01 USD"},
		{usd(-99), "-0.99 USD"},
		{usd(-100), "-1.00 USD"},
		{usd(-1234), "-12.34 USD"},
		{usd(maxI), "92233720368547758.07 USD"},
		{usd(minI), "-92233720368547758.08 USD"},
		{usd(minI + 1), "-92233720368547758.07 USD"},
		{money.Money{Amount: 10, Currency: "JPY"}, "10 JPY"},
		{money.Money{Amount: -10, Currency: "JPY"}, "-10 JPY"},
		{money.Money{Amount: 1500, Currency: "KWD"}, "1.500 KWD"},
		{money.Money{Amount: 5, Currency: "KWD"}, "0.005 KWD"},
		{money.Money{Amount: 12345, Currency: "CLF"}, "1.2345 CLF"},
		{money.Money{Amount: minI, Currency: "JPY"}, "-9223372036854775808 JPY"},
		{money.Money{Amount: minI, Currency: "CLF"}, "-922337203685477.5808 CLF"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, tt.m.String())
		})
	}
}

func TestCurrencyValid(t *testing.T) {
	t.Parallel()

	tests := []struct {
		c    money.Currency
		want bool
	}{
		{"USD", true},
		{"EUR", true},
		{"AAA", true},
		{"ZZZ", true},
		{"", false},
		{"US", false},
		{"USDT", false},
		{"usd", false},
		{"Usd", false},
		{"US1", false},
		{"U D", false},
		{"US@", false}, // '@' is just below 'A'
		{"US[", false}, // '[' is just above 'Z'
		{"ÜS", false},  // three bytes, not three letters
		{"US\x00", false},
	}
	for _, tt := range tests {
		t.Run(string(tt.c), func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, tt.c.Valid())
		})
	}
}

func TestNew(t *testing.T) {
	t.Parallel()

	m, err := money.New(-42, "JPY")
	require.NoError(t, err)
	require.Equal(t, money.Money{Amount: -42, Currency: "JPY"}, m)

	for _, c := range []money.Currency{"", "jp", "jpy", "JPYY"} {
		m, err := money.New(1, c)
		requireCode(t, err, errs.CodeInvalidInput)
		require.Equal(t, money.Money{}, m, "currency %q", c)
	}
}

func TestZeroAndPredicates(t *testing.T) {
	t.Parallel()

	require.Equal(t, money.Money{Currency: "GBP"}, money.Zero("GBP"))
	require.True(t, money.Zero("GBP").IsZero())
	require.False(t, usd(1).IsZero())
	require.False(t, usd(0).IsNegative())
	require.False(t, usd(1).IsNegative())
	require.True(t, usd(-1).IsNegative())
	require.True(t, usd(minI).IsNegative())
}

var (
	bigMin = big.NewInt(minI)
	bigMax = big.NewInt(maxI)
)

func fits(x *big.Int) bool { return x.Cmp(bigMin) >= 0 && x.Cmp(bigMax) <= 0 }

// checkOp compares a checked operation against its exact result: an error exactly when the exact
// result does not fit in int64, and the exact value otherwise.
func checkOp(t *testing.T, op string, a, b int64, exact *big.Int, got money.Money, err error) {
	t.Helper()
	if !fits(exact) {
		require.Error(t, err, "%d %s %d = %s must overflow", a, op, b, exact)
		require.Equal(t, errs.CodeAmountOverflow, errs.CodeOf(err), "%d %s %d", a, op, b)
		return
	}
	require.NoError(t, err, "%d %s %d = %s fits in int64", a, op, b, exact)
	require.Equal(t, usd(exact.Int64()), got, "%d %s %d", a, op, b)
}

func FuzzMoneyArithmetic(f *testing.F) {
	edges := []int64{0, 1, -1, 2, -2, 100, maxI, minI, maxI - 1, minI + 1, maxI / 2, minI / 2, 1 << 32, -(1 << 32)}
	for _, a := range edges {
		for _, b := range edges {
			f.Add(a, b, int64(250))
		}
	}
	f.Add(int64(999), int64(0), int64(10000))
	f.Add(int64(1), int64(0), int64(10001))
	f.Add(int64(1), int64(0), int64(-1))

	f.Fuzz(func(t *testing.T, a, b, bps int64) {
		ma, mb := usd(a), usd(b)
		A, B := big.NewInt(a), big.NewInt(b)

		sum, err := ma.Add(mb)
		checkOp(t, "+", a, b, new(big.Int).Add(A, B), sum, err)

		diff, err := ma.Sub(mb)
		checkOp(t, "-", a, b, new(big.Int).Sub(A, B), diff, err)

		prod, err := ma.Mul(b)
		checkOp(t, "×", a, b, new(big.Int).Mul(A, B), prod, err)

		fee, err := ma.Fee(money.BPS(bps))
		if a < 0 || bps < 0 || bps > 10000 {
			require.Error(t, err, "fee of %d at %d bps", a, bps)
			require.Equal(t, errs.CodeInvalidInput, errs.CodeOf(err))
			return
		}
		require.NoError(t, err, "fee of %d at %d bps", a, bps)
		require.Equal(t, money.Currency("USD"), fee.Currency)
		require.GreaterOrEqual(t, fee.Amount, int64(0))
		require.LessOrEqual(t, fee.Amount, a, "fee of %d at %d bps", a, bps)
		require.Equal(t, bigFee(a, bps).Int64(), fee.Amount, "fee of %d at %d bps", a, bps)
	})
}
