// Package testkit is the whole marketplace in memory for Go tests: New gives a running
// market.Service over the memory adapters with an advanceable clock, fake payments that complete
// on request, captured mail and recorded events, plus helpers that do the human steps
// (verification, onboarding, funding) in one line. NewWith runs the same marketplace over another
// store, such as PostgreSQL. Its subpackage conformance holds the suites every adapter must pass.
package testkit

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/adapters/memory"
	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/ledger"
	"github.com/agentgigs/agentgigs/core/market"
	"github.com/agentgigs/agentgigs/core/money"
	"github.com/agentgigs/agentgigs/core/payout"
	"github.com/agentgigs/agentgigs/core/ports"
	"github.com/agentgigs/agentgigs/core/proof"
)

// Start is the fake clock's starting time.
var Start = time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)

// USD is the currency the helpers use.
const USD money.Currency = "USD"

// USDAmount returns amount minor units of USD.
func USDAmount(amount int64) money.Money { return money.Money{Amount: amount, Currency: USD} }

// Kit is a running marketplace. Its fields are the live adapters, for inspection.
type Kit struct {
	T        testing.TB
	Ctx      context.Context
	Service  *market.Service
	Store    ports.Store // a *memory.Store unless Options.Store gave another
	Clock    *memory.Clock
	Payments *memory.Payments
	Mail     *memory.Mailer
	Blobs    *memory.Blobs
	Webhooks *memory.WebhookSender
}

// New returns an in-memory marketplace with seed 1. Use NewSeeded for another seed.
func New(t testing.TB) *Kit { return NewWith(t, Options{Seed: 1}) }

// NewSeeded returns an in-memory marketplace whose IDs and tokens derive from seed, so runs
// repeat exactly.
func NewSeeded(t testing.TB, seed uint64) *Kit { return NewWith(t, Options{Seed: seed}) }

// Options configure NewWith.
type Options struct {
	// Store is the store the marketplace runs on; nil means a new memory store. It must be empty
	// (or hold only what this Kit wrote), since the Kit's IDs start afresh.
	Store ports.Store
	// Seed seeds the IDs and verification tokens, so runs repeat exactly.
	Seed uint64
	// Mailer delivers the emails (for example the SMTP adapter); nil means the dev inbox alone.
	// Kit.Mail records every message delivered either way, so the helpers work the same; a
	// message the Mailer fails to deliver is not recorded.
	Mailer ports.Mailer
}

// NewWith returns a marketplace over o.Store, with the memory adapters for everything else (fake
// clock, payments, mail and blobs).
func NewWith(t testing.TB, o Options) *Kit {
	store := o.Store
	if store == nil {
		store = memory.NewStore()
	}
	k := &Kit{
		T: t, Ctx: context.Background(), Store: store, Clock: memory.NewClock(Start),
		Payments: memory.NewPayments(), Mail: memory.NewMailer(nil), Blobs: memory.NewBlobs(),
	}
	k.Webhooks = memory.NewWebhookSender(k.Clock)
	var mailer ports.Mailer = k.Mail
	if o.Mailer != nil {
		mailer = recorded{o.Mailer, k.Mail}
	}
	svc, err := market.New(market.Config{
		Store: k.Store, Payments: k.Payments, Mailer: mailer, Blobs: k.Blobs, Clock: k.Clock, Webhooks: k.Webhooks,
		IDs: memory.NewIDs(int64(o.Seed)), Random: rand.NewChaCha8(seedBytes(o.Seed)), BaseURL: "http://sandbox.test",
	})
	require.NoError(t, err)
	k.Service = svc
	return k
}

// recorded delivers through a Mailer and records what it delivered in the dev inbox.
type recorded struct {
	ports.Mailer
	inbox *memory.Mailer
}

// Send delivers m and records it once delivered.
func (r recorded) Send(ctx context.Context, m ports.Message) error {
	if err := r.Mailer.Send(ctx, m); err != nil {
		return err
	}
	return r.inbox.Send(ctx, m)
}

func seedBytes(seed uint64) [32]byte {
	var b [32]byte
	for i := range 8 {
		b[i] = byte(seed >> (8 * i))
	}
	return b
}

// Result is a call's value and error, so a test can write Got(call()).Must(t).
type Result[T any] struct {
	Value T
	Err   error
}

// Got captures a call's results.
func Got[T any](v T, err error) Result[T] { return Result[T]{Value: v, Err: err} }

// Must fails the test if the call failed and returns its value.
func (r Result[T]) Must(t testing.TB) T {
	t.Helper()
	require.NoError(t, r.Err)
	return r.Value
}

// Account registers an account and verifies its email with the token of the verification email,
// which it sends by running the due timers.
func (k *Kit) Account(name string) market.Caller {
	k.T.Helper()
	a := Got(k.Service.Register(k.Ctx, market.RegisterInput{Email: strings.ToLower(name) + "@example.test", Name: name})).Must(k.T)
	k.RunDue()
	msg, ok := k.Mail.Last(a.Email)
	require.True(k.T, ok, "no verification mail for %s", a.Email)
	Got(k.Service.VerifyEmail(k.Ctx, Token(msg.Text))).Must(k.T)
	return market.User(a.ID)
}

// Token extracts the verification token from a verification email's text.
func Token(text string) string {
	_, rest, _ := strings.Cut(text, "Token: ")
	tok, _, _ := strings.Cut(rest, "\n")
	return strings.TrimSpace(tok)
}

// Agent is a verified account that completed payout onboarding, so it can be hired and paid.
func (k *Kit) Agent(name string) market.Caller {
	k.T.Helper()
	c := k.Account(name)
	Got(k.Service.StartPayoutOnboarding(k.Ctx, c)).Must(k.T)
	require.NoError(k.T, k.Service.PayoutOnboardingCompleted(k.Ctx, c.AccountID))
	return c
}

// Poster is a verified account whose wallet holds amount minor units of USD.
func (k *Kit) Poster(name string, amount int64) market.Caller {
	k.T.Helper()
	c := k.Account(name)
	k.Fund(c, amount)
	return c
}

// Admin is a verified admin account.
func (k *Kit) Admin(name string) market.Caller {
	k.T.Helper()
	c := k.Account(name)
	require.NoError(k.T, k.Service.GrantAdmin(k.Ctx, market.System, c.AccountID))
	return c
}

// Fund tops the caller's USD wallet up by amount minor units, the processor succeeding at once.
func (k *Kit) Fund(c market.Caller, amount int64) {
	k.T.Helper()
	t := Got(k.Service.TopUp(k.Ctx, c, money.Money{Amount: amount, Currency: USD}, "")).Must(k.T)
	require.NoError(k.T, k.Service.TopUpSucceeded(k.Ctx, t.ID))
}

// Post posts a USD job with the budget in minor units and default terms.
func (k *Kit) Post(poster market.Caller, budget int64) *job.Job {
	k.T.Helper()
	return Got(k.Service.PostJob(k.Ctx, poster, market.PostInput{
		Title: "Summarise a paper", Description: "Three paragraphs.", Category: "writing",
		Budget: money.Money{Amount: budget, Currency: USD}, Criteria: "Accurate and under 300 words.",
	})).Must(k.T).Job
}

// Hire posts a job, has agent apply at the budget and accepts it from the wallet; the job is
// in progress.
func (k *Kit) Hire(poster, agent market.Caller, budget int64) *job.Job {
	k.T.Helper()
	j := k.Post(poster, budget)
	app := Got(k.Service.Apply(k.Ctx, agent, j.ID, market.ApplyInput{Message: "On it"})).Must(k.T)
	return Got(k.Service.Accept(k.Ctx, poster, j.ID, app.ID, job.FundWallet, false)).Must(k.T).Job
}

// Deliver delivers a small file as the agent.
func (k *Kit) Deliver(agent market.Caller, jobID string) *job.Job {
	k.T.Helper()
	return Got(k.Service.Deliver(k.Ctx, agent, jobID, market.DeliverInput{File: strings.NewReader("the summary"), Note: "done"})).Must(k.T).Job
}

// FirstTask returns the oldest verification task the caller may claim, failing the test when
// there is none.
func (k *Kit) FirstTask(c market.Caller) *proof.Task {
	k.T.Helper()
	tasks := Got(k.Service.AvailableTasks(k.Ctx, c)).Must(k.T)
	require.NotEmpty(k.T, tasks, "no verification task is available")
	return tasks[0]
}

// Job returns the job as the system sees it.
func (k *Kit) Job(id string) *job.Job {
	k.T.Helper()
	return Got(k.Service.GetJob(k.Ctx, market.System, id)).Must(k.T).Job
}

// Advance moves the clock forward by d, stopping at each timer that falls due on the way to run
// it at its due time, so a chain of deadlines (auto-approval, then release, then payout
// retries) plays out as it would in real time.
func (k *Kit) Advance(d time.Duration) {
	k.T.Helper()
	require.NoError(k.T, market.Advance(k.Ctx, k.Store, k.Service, k.Clock, k.Clock.Now().Add(d)))
}

// RunDue runs every due timer until none is left.
func (k *Kit) RunDue() {
	k.T.Helper()
	require.NoError(k.T, market.RunDue(k.Ctx, k.Store, k.Service, k.Clock.Now()))
}

// SettlePayouts reports every submitted transfer as paid by the processor.
func (k *Kit) SettlePayouts() {
	k.T.Helper()
	for _, p := range k.payouts() {
		if p.Status == payout.Submitted {
			require.NoError(k.T, k.Service.PayoutSettled(k.Ctx, p.ID))
		}
	}
}

// Balance returns an account's balance in USD minor units.
func (k *Kit) Balance(a ledger.Account) int64 {
	k.T.Helper()
	var b int64
	require.NoError(k.T, k.Store.WithinTx(k.Ctx, func(ctx context.Context, tx ports.Tx) error {
		var err error
		b, err = tx.Ledger().Balance(ctx, a, USD)
		return err
	}))
	return b
}

// EventTypes returns the types of every recorded event, in order.
func (k *Kit) EventTypes() []string {
	k.T.Helper()
	var out []string
	require.NoError(k.T, k.Store.WithinTx(k.Ctx, func(ctx context.Context, tx ports.Tx) error {
		es, err := tx.Events().List(ctx, "", 0, 0)
		for _, e := range es {
			out = append(out, e.Type)
		}
		return err
	}))
	return out
}

func (k *Kit) payouts() []*payout.Payout {
	var out []*payout.Payout
	require.NoError(k.T, k.Store.WithinTx(k.Ctx, func(ctx context.Context, tx ports.Tx) error {
		jobs, _, err := tx.Jobs().List(ctx, ports.JobFilter{Limit: 1 << 30})
		for _, j := range jobs {
			ps, err := tx.Payouts().ListByJob(ctx, j.ID)
			if err != nil {
				return err
			}
			out = append(out, ps...)
		}
		return err
	}))
	return out
}

// CheckInvariants fails the test unless the money invariants of DESIGN §3 hold: per currency
// the ledger sums to zero, no wallet, escrow, pending or payable balance is negative, a terminal
// job's escrow is zero, and no payout was transferred twice.
func (k *Kit) CheckInvariants() {
	k.T.Helper()
	require.NoError(k.T, CheckInvariants(k.Ctx, k.Store, k.Payments))
}
