package conformance

import (
	"context"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/core/account"
	"github.com/agentgigs/agentgigs/core/event"
	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/ledger"
	"github.com/agentgigs/agentgigs/core/money"
	"github.com/agentgigs/agentgigs/core/payout"
	"github.com/agentgigs/agentgigs/core/ports"
	"github.com/agentgigs/agentgigs/core/proof"
	"github.com/agentgigs/agentgigs/core/review"
)

// t0 is the suites' epoch: UTC, microsecond precision.
var t0 = time.Date(2030, time.January, 2, 3, 4, 5, 6000, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

const (
	usd money.Currency = "USD"
	eur money.Currency = "EUR"
)

func usdOf(amount int64) money.Money { return money.Money{Amount: amount, Currency: usd} }

// nonce returns a string unique to this run, for keys and addresses remote services remember.
func nonce() string { return rand.Text()[:12] }

// inTx runs fn in a transaction that commits, failing the test if it does not.
func inTx(t *testing.T, s ports.Store, fn func(ctx context.Context, tx ports.Tx)) {
	t.Helper()
	err := s.WithinTx(t.Context(), func(ctx context.Context, tx ports.Tx) error {
		fn(ctx, tx)
		return nil
	})
	require.NoError(t, err)
}

// txErr runs fn in a transaction and returns what WithinTx returned.
func txErr(t *testing.T, s ports.Store, fn func(ctx context.Context, tx ports.Tx) error) error {
	t.Helper()
	return s.WithinTx(t.Context(), fn)
}

// must(v, err)(t) returns v, failing the test on err. (Go does not allow must(t, f()), hence
// the second call.)
func must[T any](v T, err error) func(t *testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		require.NoError(t, err)
		return v
	}
}

// orNil(v, err)(t) returns v, or the zero value when err is ErrNotFound; any other error fails
// the test.
func orNil[T any](v T, err error) func(t *testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if errors.Is(err, ports.ErrNotFound) {
			var zero T
			return zero
		}
		require.NoError(t, err)
		return v
	}
}

func newAccount(id, email string) *account.Account {
	return &account.Account{
		ID:              id,
		Email:           email,
		Name:            "Name of " + id,
		EmailVerified:   true,
		VerifyTokenHash: "hash-" + id,
		PayoutsEnabled:  true,
		ConnectRef:      "acct_" + id,
		CustomerRef:     "cus_" + id,
		CardRef:         "pm_" + id,
		CreatedAt:       t0,
	}
}

// newJob returns a job with every pointer and slice field set, so that copies are deep.
func newJob(id, poster string) *job.Job {
	return &job.Job{
		ID:             id,
		PosterID:       poster,
		Title:          "Write a parser for " + id,
		Description:    "Parse TOML files",
		Category:       "code",
		Tags:           []string{"go", "parsing"},
		Budget:         usdOf(10000),
		Price:          usdOf(9000),
		FeeBPS:         1000,
		Criteria:       "all tests pass",
		CriteriaHash:   "c0ffee",
		Verification:   &job.Verification{Proofers: 2, PassThreshold: 1, FeePerProofer: usdOf(100), MinTrust: 10},
		ReviewWindow:   7 * 24 * time.Hour,
		DeliveryWindow: 48 * time.Hour,
		MaxRevisions:   2,
		State:          job.Open,
		Funding:        job.FundCard,
		PaymentRef:     "cs_" + id,
		CheckoutURL:    "https://checkout.example/" + id,
		Delivery:       &job.Delivery{URL: "https://example.com/d", Note: "done", At: t0},
		DeliveryDueAt:  at(48 * time.Hour),
		Dispute: &job.Dispute{
			OpenedBy: poster, Reason: "late", Evidence: []string{"e1", "e2"}, OpenedAt: t0,
			FromState: job.Delivered, ToAgent: usdOf(0), ToPoster: usdOf(0),
		},
		CreatedAt: t0,
		UpdatedAt: t0,
		Version:   1,
	}
}

func newApp(id, jobID, agent string) *job.Application {
	return &job.Application{
		ID: id, JobID: jobID, AgentID: agent, Message: "I can do it",
		ProposedPrice: usdOf(9000), Timeline: 48 * time.Hour, Status: job.AppPending, CreatedAt: t0,
	}
}

func newPayout(id, jobID, recipient string) *payout.Payout {
	return &payout.Payout{ID: id, JobID: jobID, Recipient: recipient, Amount: usdOf(8100), Status: payout.Due, CreatedAt: t0}
}

func newTopUp(id, accountID string) *payout.TopUp {
	return &payout.TopUp{ID: id, AccountID: accountID, Amount: usdOf(5000), Status: payout.TopUpPending, Ref: "cs_" + id, CheckoutURL: "https://checkout.example/" + id, CreatedAt: t0}
}

// newTask returns an open task; scored adds a scorecard with slices.
func newTask(id, jobID string, status proof.TaskStatus) *proof.Task {
	t := &proof.Task{ID: id, JobID: jobID, Status: status}
	if status != proof.TaskOpen {
		t.ProoferID = "prf_" + id
		t.ClaimedAt = t0
	}
	return t
}

func scorecard() *proof.Scorecard {
	return &proof.Scorecard{
		Criteria: []proof.CriterionScore{{Criterion: "tests", Score: 9, Passed: true, Note: "green"}},
		Pass:     true,
		Summary:  "good",
		Evidence: []string{"https://example.com/ci"},
	}
}

func newReview(jobID, author, subject string, stars int) *review.Review {
	return &review.Review{JobID: jobID, AuthorID: author, SubjectID: subject, Stars: stars, Text: "review by " + author, At: t0}
}

func newEvent(id string, accounts ...string) event.Event {
	return event.Event{ID: id, Type: "job.test", JobID: "job_1", Accounts: accounts, Data: map[string]string{"id": id}, At: t0}
}

func newAudit(action string) event.Audit {
	return event.Audit{ActorID: "adm_1", Action: action, JobID: "job_1", Reason: "because", At: t0}
}

func newTimer(id string, due time.Time) ports.Timer {
	return ports.Timer{ID: id, Action: job.ActExpire, JobID: "job_" + id, PayoutID: "po_" + id, Ref: "pi_" + id, Amount: usdOf(100), Attempt: 2, Payload: []byte(`{"to":"` + id + `"}`), DueAt: due}
}

// entry is a posted transfer of amount USD.
func entry(from, to ledger.Account, amount int64, memo string) ledger.Entry {
	return ledger.Entry{JobID: "job_1", At: t0, Transfer: ledger.Transfer{From: from, To: to, Amount: usdOf(amount), Memo: memo}}
}

// withoutSeq returns the entries with Seq zeroed, to compare with what was posted.
func withoutSeq(es []ledger.Entry) []ledger.Entry {
	out := make([]ledger.Entry, len(es))
	for i, e := range es {
		e.Seq = 0
		out[i] = e
	}
	return out
}

func eventsWithoutSeq(es []event.Event) []event.Event {
	out := make([]event.Event, len(es))
	for i, e := range es {
		e.Seq = 0
		out[i] = e
	}
	return out
}

func eventIDs(es []event.Event) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

func jobIDs(js []*job.Job) []string {
	out := make([]string, len(js))
	for i, j := range js {
		out[i] = j.ID
	}
	return out
}

func timerIDs(ts []ports.Timer) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.ID
	}
	return out
}

func taskIDs(ts []*proof.Task) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.ID
	}
	return out
}

// requireIncreasing fails unless seqs strictly increase.
func requireIncreasing(t *testing.T, seqs []int64) {
	t.Helper()
	for i := 1; i < len(seqs); i++ {
		require.Greater(t, seqs[i], seqs[i-1], "Seq must increase: %v", seqs)
	}
}
