package ledger_test

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/core/errs"
	"github.com/agentgigs/agentgigs/core/ledger"
	"github.com/agentgigs/agentgigs/core/money"
)

func usd(a int64) money.Money { return money.Money{Amount: a, Currency: "USD"} }

func tr(from, to ledger.Account, amount money.Money) ledger.Transfer {
	return ledger.Transfer{From: from, To: to, Amount: amount, Memo: "test"}
}

func key(a ledger.Account) ledger.Key { return ledger.Key{Account: a, Currency: "USD"} }

func TestAccountConstructorsAndKind(t *testing.T) {
	t.Parallel()

	tests := []struct {
		account  ledger.Account
		want     string
		kind     string
		negative bool
	}{
		{ledger.Wallet("acc_1"), "wallet:acc_1", ledger.KindWallet, false},
		{ledger.Escrow("job_1"), "escrow:job_1", ledger.KindEscrow, false},
		{ledger.Pending("acc_2"), "pending:acc_2", ledger.KindPending, false},
		{ledger.Payable("acc_3"), "payable:acc_3", ledger.KindPayable, false},
		{ledger.PlatformFees, "platform:fees", ledger.KindPlatform, false},
		{ledger.ExternalStripe, "external:stripe", ledger.KindExternal, true},
		{ledger.Account("external:other"), "external:other", ledger.KindExternal, true},
		{ledger.Receivable("acc_4"), "receivable:acc_4", ledger.KindReceivable, true},
		{ledger.Wallet("a:b"), "wallet:a:b", ledger.KindWallet, false}, // kind is before the first colon
		{ledger.Account("nocolon"), "nocolon", "nocolon", false},
		{ledger.Account("externalish:x"), "externalish:x", "externalish", false},
		{ledger.Account(""), "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, string(tt.account))
			require.Equal(t, tt.kind, tt.account.Kind())
			require.Equal(t, tt.negative, tt.account.MayGoNegative())
			require.Equal(t, tt.kind != ledger.KindReceivable, tt.account.MayGoPositive(), "only a receivable stays at or below zero")
		})
	}
}

func TestTransferValidate(t *testing.T) {
	t.Parallel()

	w, e := ledger.Wallet("a"), ledger.Escrow("j")
	tests := []struct {
		name string
		t    ledger.Transfer
		ok   bool
	}{
		{"valid", tr(w, e, usd(1)), true},
		{"valid max", tr(w, e, usd(math.MaxInt64)), true},
		{"zero", tr(w, e, usd(0)), false},
		{"negative", tr(w, e, usd(-1)), false},
		{"min", tr(w, e, usd(math.MinInt64)), false},
		{"self", tr(w, w, usd(1)), false},
		{"external to itself", tr(ledger.ExternalStripe, ledger.ExternalStripe, usd(1)), false},
		{"no currency", tr(w, e, money.Money{Amount: 1}), false},
		{"lower-case currency", tr(w, e, money.Money{Amount: 1, Currency: "usd"}), false},
		{"long currency", tr(w, e, money.Money{Amount: 1, Currency: "USDC"}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.t.Validate()
			if tt.ok {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			require.Equal(t, errs.CodeInvalidInput, errs.CodeOf(err))
			require.ErrorIs(t, err, errs.ErrInvalidInput)
		})
	}
}

func TestApplyMovesMoney(t *testing.T) {
	t.Parallel()

	poster, agent, j := "p", "a", "j"
	b := make(ledger.Balances)
	require.NoError(t, b.Apply(
		tr(ledger.ExternalStripe, ledger.Wallet(poster), usd(10_000)),
		tr(ledger.Wallet(poster), ledger.Escrow(j), usd(8_000)),
		tr(ledger.Escrow(j), ledger.PlatformFees, usd(800)),
		tr(ledger.Escrow(j), ledger.Pending(agent), usd(7_200)),
		tr(ledger.Pending(agent), ledger.Payable(agent), usd(7_200)),
	))
	require.Equal(t, ledger.Balances{
		key(ledger.ExternalStripe): -10_000,
		key(ledger.Wallet(poster)): 2_000,
		key(ledger.Escrow(j)):      0,
		key(ledger.PlatformFees):   800,
		key(ledger.Pending(agent)): 0,
		key(ledger.Payable(agent)): 7_200,
	}, b)
	require.Empty(t, ledger.Check(b))
}

func TestApplyEmptyBatch(t *testing.T) {
	t.Parallel()

	b := ledger.Balances{key(ledger.Wallet("a")): 5, key(ledger.ExternalStripe): -5}
	before := maps.Clone(b)
	require.NoError(t, b.Apply())
	require.Equal(t, before, b)
}

func TestApplyKeepsCurrenciesApart(t *testing.T) {
	t.Parallel()

	b := make(ledger.Balances)
	require.NoError(t, b.Apply(tr(ledger.ExternalStripe, ledger.Wallet("a"), usd(100))))
	eur := money.Money{Amount: 1, Currency: "EUR"}
	err := b.Apply(tr(ledger.Wallet("a"), ledger.Escrow("j"), eur))
	require.Equal(t, errs.CodeInsufficientFunds, errs.CodeOf(err), "USD does not pay for EUR")
	require.Equal(t, int64(100), b[key(ledger.Wallet("a"))])
	require.Equal(t, int64(0), b[ledger.Key{Account: ledger.Wallet("a"), Currency: "EUR"}])
}

func TestApplyOnlyExternalMayGoNegative(t *testing.T) {
	t.Parallel()

	accounts := []ledger.Account{
		ledger.Wallet("a"), ledger.Escrow("j"), ledger.Pending("a"), ledger.Payable("a"),
		ledger.PlatformFees, ledger.ExternalStripe, ledger.Account("external:other"),
	}
	for _, from := range accounts {
		t.Run(string(from), func(t *testing.T) {
			t.Parallel()
			b := ledger.Balances{key(from): 10}
			before := maps.Clone(b)
			err := b.Apply(tr(from, ledger.Wallet("z"), usd(11)))
			if from.Kind() == ledger.KindExternal {
				require.NoError(t, err)
				require.Equal(t, int64(-1), b[key(from)])
				require.Equal(t, int64(11), b[key(ledger.Wallet("z"))])
				return
			}
			require.Error(t, err)
			require.Equal(t, errs.CodeInsufficientFunds, errs.CodeOf(err))
			require.ErrorIs(t, err, errs.ErrInsufficientFunds)
			require.Equal(t, before, b)

			// The exact balance is enough.
			require.NoError(t, b.Apply(tr(from, ledger.Wallet("z"), usd(10))))
			require.Equal(t, int64(0), b[key(from)])
		})
	}
}

// A receivable records a debt: it goes below zero when debited and is paid down to zero, never
// beyond; an overpayment is refused whole, as an internal failure with no code.
func TestApplyReceivable(t *testing.T) {
	t.Parallel()
	r, w := ledger.Receivable("a"), ledger.Wallet("a")
	b := ledger.Balances{key(w): 5, key(ledger.ExternalStripe): -5}
	require.NoError(t, b.Apply(tr(r, ledger.ExternalStripe, usd(30))), "the debt of a returned top-up")
	require.Equal(t, int64(-30), b[key(r)])
	require.Equal(t, int64(30), ledger.Debt(b[key(r)]))

	before := maps.Clone(b)
	err := b.Apply(tr(w, r, usd(5)), tr(ledger.ExternalStripe, w, usd(26)), tr(w, r, usd(26)))
	require.Error(t, err, "31 paid on a debt of 30")
	require.Empty(t, errs.CodeOf(err))
	require.NotErrorIs(t, err, errs.ErrInsufficientFunds)
	require.Equal(t, before, b)

	require.NoError(t, b.Apply(tr(w, r, usd(5)), tr(ledger.ExternalStripe, w, usd(25)), tr(w, r, usd(25))))
	require.Zero(t, b[key(r)], "paid exactly")
	require.Zero(t, ledger.Debt(b[key(r)]))
	require.Empty(t, ledger.Check(b))
	require.Error(t, b.Apply(tr(ledger.ExternalStripe, r, usd(1))), "nothing owed: nothing to pay")
}

// TestApplyErrorsHideInternalBalances: a refusal names no balance of the platform's accounts or
// of another account (an escrow, a payable), only of the wallet whose owner moves its money.
func TestApplyErrorsHideInternalBalances(t *testing.T) {
	t.Parallel()
	const secret = 987654321
	b := ledger.Balances{
		key(ledger.PlatformFees):    secret,
		key(ledger.ExternalStripe):  math.MinInt64 + secret,
		key(ledger.Escrow("j")):     secret,
		key(ledger.Wallet("owner")): 5,
	}
	for _, t1 := range []ledger.Transfer{
		tr(ledger.PlatformFees, ledger.Escrow("k"), usd(2*secret)),
		tr(ledger.Escrow("j"), ledger.Wallet("a"), usd(2*secret)),
		tr(ledger.ExternalStripe, ledger.Wallet("a"), usd(2*secret)),
	} {
		err := b.Apply(t1)
		require.Error(t, err)
		require.NotContains(t, err.Error(), "9876543", "the error shows an internal balance")
	}
	err := b.Apply(tr(ledger.Wallet("owner"), ledger.Escrow("j"), usd(6)))
	require.ErrorIs(t, err, errs.ErrInsufficientFunds)
	require.Contains(t, err.Error(), "0.05 USD", "the owner sees its own wallet balance")
}

func TestApplyRefusals(t *testing.T) {
	t.Parallel()

	w, e := ledger.Wallet("a"), ledger.Escrow("j")
	tests := []struct {
		name string
		t    ledger.Transfer
		code errs.Code
	}{
		{"zero", tr(w, e, usd(0)), errs.CodeInvalidInput},
		{"negative", tr(w, e, usd(-5)), errs.CodeInvalidInput},
		{"self", tr(w, w, usd(5)), errs.CodeInvalidInput},
		{"bad currency", tr(w, e, money.Money{Amount: 5, Currency: "us"}), errs.CodeInvalidInput},
		{"no currency", tr(w, e, money.Money{Amount: 5}), errs.CodeInvalidInput},
		{"insufficient", tr(w, e, usd(101)), errs.CodeInsufficientFunds},
		{"credit overflows", tr(w, ledger.Payable("full"), usd(2)), errs.CodeAmountOverflow},
		{"external debit overflows: internal, no code", tr(ledger.ExternalStripe, e, usd(math.MaxInt64)), ""},
		{"platform credit overflows: internal, no code", tr(w, ledger.PlatformFees, usd(2)), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := ledger.Balances{
				key(w):                      100,
				key(ledger.Payable("full")): math.MaxInt64 - 1,
				key(ledger.ExternalStripe):  -10,
				key(ledger.PlatformFees):    math.MaxInt64 - 1,
			}
			before := maps.Clone(b)
			err := b.Apply(tt.t)
			require.Error(t, err)
			require.Equal(t, tt.code, errs.CodeOf(err), "error: %v", err)
			require.Equal(t, before, b)
		})
	}
}

func TestApplyAllOrNothing(t *testing.T) {
	t.Parallel()

	w, e, p := ledger.Wallet("a"), ledger.Escrow("j"), ledger.PlatformFees
	fresh := ledger.Wallet("fresh") // has no balance entry yet
	tests := []struct {
		name  string
		batch []ledger.Transfer
		code  errs.Code
	}{
		{"second is insufficient", []ledger.Transfer{tr(w, e, usd(60)), tr(w, e, usd(60))}, errs.CodeInsufficientFunds},
		{"second spends what the first moved, too much", []ledger.Transfer{tr(w, e, usd(100)), tr(e, p, usd(101))}, errs.CodeInsufficientFunds},
		{"second is invalid", []ledger.Transfer{tr(w, e, usd(10)), tr(e, e, usd(1))}, errs.CodeInvalidInput},
		{"second is zero", []ledger.Transfer{tr(w, e, usd(10)), tr(e, p, usd(0))}, errs.CodeInvalidInput},
		{"third fails after two succeed", []ledger.Transfer{tr(w, e, usd(10)), tr(e, p, usd(5)), tr(p, w, usd(6))}, errs.CodeInsufficientFunds},
		{"same keys touched repeatedly", []ledger.Transfer{tr(w, e, usd(10)), tr(e, w, usd(10)), tr(w, e, usd(50)), tr(w, e, usd(51))}, errs.CodeInsufficientFunds},
		// Exactly as before means no new keys either, not even zero ones.
		{"first credits a new account", []ledger.Transfer{tr(w, fresh, usd(10)), tr(w, e, usd(1000))}, errs.CodeInsufficientFunds},
		{"first debits external into a new account", []ledger.Transfer{tr(ledger.ExternalStripe, fresh, usd(10)), tr(fresh, fresh, usd(1))}, errs.CodeInvalidInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := ledger.Balances{key(w): 100, key(e): 0, key(p): 0, key(ledger.ExternalStripe): -100}
			before := maps.Clone(b)

			// Every transfer but the failing last one succeeds on its own.
			probe := maps.Clone(b)
			require.NoError(t, probe.Apply(tt.batch[:len(tt.batch)-1]...))

			err := b.Apply(tt.batch...)
			require.Error(t, err)
			require.Equal(t, tt.code, errs.CodeOf(err), "error: %v", err)
			require.Equal(t, before, b)
		})
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()

	w, e := ledger.Wallet("a"), ledger.Escrow("j")
	eur := func(a ledger.Account) ledger.Key { return ledger.Key{Account: a, Currency: "EUR"} }
	tests := []struct {
		name string
		b    ledger.Balances
		want []ledger.Violation
	}{
		{"empty", ledger.Balances{}, nil},
		{"nil", nil, nil},
		{"all zero", ledger.Balances{key(w): 0, key(e): 0}, nil},
		{"balanced", ledger.Balances{key(ledger.ExternalStripe): -100, key(w): 60, key(e): 40}, nil},
		{"balanced in two currencies", ledger.Balances{key(ledger.ExternalStripe): -1, key(w): 1, eur(ledger.ExternalStripe): -2, eur(w): 2}, nil},
		{"external may be negative", ledger.Balances{ledger.Key{Account: "external:other", Currency: "USD"}: -3, key(w): 3}, nil},
		{"a receivable may be negative: a debt", ledger.Balances{key(ledger.Receivable("a")): -3, key(ledger.ExternalStripe): 3}, nil},
		{
			"a receivable above zero",
			ledger.Balances{key(ledger.Receivable("a")): 3, key(w): -3},
			[]ledger.Violation{{Key: key(ledger.Receivable("a")), Reason: "receivable above zero"}, {Key: key(w), Reason: "negative balance"}},
		},
		{
			"sum not zero",
			ledger.Balances{key(ledger.ExternalStripe): -100, key(w): 60, key(e): 41},
			[]ledger.Violation{{Key: ledger.Key{Currency: "USD"}, Reason: "balances do not sum to zero"}},
		},
		{
			"negative wallet",
			ledger.Balances{key(ledger.ExternalStripe): 5, key(w): -5},
			[]ledger.Violation{{Key: key(w), Reason: "negative balance"}},
		},
		{
			"sum and negatives, sorted by currency then account",
			ledger.Balances{
				eur(w): 1, eur(e): -2,
				key(w): -1, key(e): -1, key(ledger.PlatformFees): 2, key(ledger.Payable("b")): 1,
			},
			[]ledger.Violation{
				{Key: ledger.Key{Currency: "EUR"}, Reason: "balances do not sum to zero"},
				{Key: eur(e), Reason: "negative balance"},
				{Key: ledger.Key{Currency: "USD"}, Reason: "balances do not sum to zero"},
				{Key: key(e), Reason: "negative balance"},
				{Key: key(w), Reason: "negative balance"},
			},
		},
		{
			// The true sum is 2^64; an int64 sum wraps to zero and would miss it.
			"sum that wraps around int64",
			ledger.Balances{key(w): math.MaxInt64, key(e): math.MaxInt64, key(ledger.PlatformFees): 2},
			[]ledger.Violation{{Key: ledger.Key{Currency: "USD"}, Reason: "balances do not sum to zero"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, ledger.Check(tt.b))
		})
	}
}

// TestRandomTransfersKeepInvariants applies random transfers, valid and not, between random
// accounts in two currencies and checks after every step that the invariants hold, that a refused
// batch changed nothing, and that an accepted one moved exactly its amounts.
func TestRandomTransfersKeepInvariants(t *testing.T) {
	t.Parallel()

	seeds := []uint64{1, 2, 3, 42, uint64(time.Now().UnixNano())}
	for _, seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Parallel()
			randomTransfers(t, seed, 3000)
		})
	}
}

func randomTransfers(t *testing.T, seed uint64, steps int) {
	t.Helper()
	t.Logf("seed %d (replay with randomTransfers(t, %d, %d))", seed, seed, steps)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))

	accounts := []ledger.Account{ledger.ExternalStripe, ledger.PlatformFees}
	for i := range 4 {
		id := fmt.Sprintf("acc_%d", i)
		accounts = append(accounts, ledger.Wallet(id), ledger.Pending(id), ledger.Payable(id), ledger.Escrow("job_"+id), ledger.Receivable(id))
	}
	currencies := []money.Currency{"USD", "EUR"}
	amounts := []func() int64{
		func() int64 { return 1 + rng.Int64N(100) },
		func() int64 { return 1 + rng.Int64N(100_000) },
		func() int64 { return rng.Int64N(3) - 1 }, // -1, 0 or 1: often invalid
	}

	// Every key starts present at zero, so that equality of maps compares balances only (whether a
	// refused batch may leave new zero keys behind is TestApplyAllOrNothing's business).
	b := make(ledger.Balances)
	for _, a := range accounts {
		for _, c := range currencies {
			b[ledger.Key{Account: a, Currency: c}] = 0
		}
	}
	accepted, refused := 0, 0
	for step := range steps {
		n := 1 + rng.IntN(3)
		batch := make([]ledger.Transfer, n)
		for i := range batch {
			batch[i] = ledger.Transfer{
				From:   accounts[rng.IntN(len(accounts))],
				To:     accounts[rng.IntN(len(accounts))],
				Amount: money.Money{Amount: amounts[rng.IntN(len(amounts))](), Currency: currencies[rng.IntN(len(currencies))]},
			}
		}

		// The expected outcome, computed independently: each transfer in turn on a copy.
		want := maps.Clone(b)
		ok := true
		for _, tr := range batch {
			from, to := ledger.Key{Account: tr.From, Currency: tr.Amount.Currency}, ledger.Key{Account: tr.To, Currency: tr.Amount.Currency}
			if tr.Amount.Amount <= 0 || tr.From == tr.To || (want[from]-tr.Amount.Amount < 0 && !tr.From.MayGoNegative()) ||
				(want[to]+tr.Amount.Amount > 0 && !tr.To.MayGoPositive()) {
				ok = false
				break
			}
			want[from] -= tr.Amount.Amount
			want[to] += tr.Amount.Amount
		}

		before := maps.Clone(b)
		err := b.Apply(batch...)
		if ok {
			accepted++
			require.NoError(t, err, "seed %d step %d: batch %+v", seed, step, batch)
			require.Equal(t, want, b, "seed %d step %d: batch %+v", seed, step, batch)
		} else {
			refused++
			require.Error(t, err, "seed %d step %d: batch %+v", seed, step, batch)
			require.Contains(t, []errs.Code{errs.CodeInvalidInput, errs.CodeInsufficientFunds, ""}, errs.CodeOf(err),
				"seed %d step %d: %v", seed, step, err)
			require.Equal(t, before, b, "seed %d step %d: a refused batch changed the balances", seed, step)
		}
		require.Empty(t, ledger.Check(b), "seed %d step %d", seed, step)
	}
	// The generator must exercise both paths for the test to mean anything.
	require.Greater(t, accepted, steps/10, "seed %d", seed)
	require.Greater(t, refused, steps/10, "seed %d", seed)
}
