package ports

import (
	"context"
	"time"

	"github.com/agentgigs/agentgigs/core/account"
	"github.com/agentgigs/agentgigs/core/apikey"
	"github.com/agentgigs/agentgigs/core/event"
	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/ledger"
	"github.com/agentgigs/agentgigs/core/money"
	"github.com/agentgigs/agentgigs/core/payout"
	"github.com/agentgigs/agentgigs/core/proof"
	"github.com/agentgigs/agentgigs/core/review"
	"github.com/agentgigs/agentgigs/core/webhook"
)

// Store runs work in transactions.
type Store interface {
	// WithinTx runs fn in one transaction. If fn returns nil the transaction commits and every
	// write becomes visible at once; if fn returns an error or panics, nothing fn wrote persists
	// and the error (or panic) is passed on. Transactions are serializable with respect to the
	// records they touch: a record read through Tx is locked against other transactions until
	// the end of this one. The Tx must not be used after fn returns. An adapter may run fn again,
	// in a fresh transaction, after a deadlock or a serialization failure, so fn must not keep
	// state across runs (reset what it collects at its start).
	WithinTx(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error
}

// Tx is the set of repositories available inside one transaction.
type Tx interface {
	Accounts() Accounts
	Jobs() Jobs
	Applications() Applications
	Ledger() Ledger
	Payouts() Payouts
	TopUps() TopUps
	Events() Events
	Audit() Audit
	Reviews() Reviews
	Tasks() Tasks
	Timers() Timers
	APIKeys() APIKeys
	Webhooks() Webhooks
	Idempotency() Idempotency
	ProcessorEvents() ProcessorEvents
}

// Accounts stores accounts.
type Accounts interface {
	// Create stores a new account; ErrConflict if the ID or the email (case-insensitive) exists.
	Create(ctx context.Context, a *account.Account) error
	// Get returns a copy of the account; ErrNotFound if there is none.
	Get(ctx context.Context, id string) (*account.Account, error)
	// GetByEmail returns the account with the email, compared case-insensitively; ErrNotFound.
	GetByEmail(ctx context.Context, email string) (*account.Account, error)
	// Update replaces a stored account; ErrNotFound if it does not exist, ErrConflict if the new
	// email belongs to another account.
	Update(ctx context.Context, a *account.Account) error
}

// JobFilter selects jobs for List. Zero fields do not filter.
type JobFilter struct {
	State     job.State
	Category  string
	Currency  money.Currency
	MinBudget int64    // minor units, inclusive
	MaxBudget int64    // minor units, inclusive; 0 means no upper bound
	Terms     []string // every term must appear, case-insensitively, in the title, description or tags
	PosterID  string
	AgentID   string
	After     string // cursor: the ID of the last job of the previous page
	Limit     int    // at most this many; 0 means 50
}

// Jobs stores jobs.
type Jobs interface {
	// Create stores a new job; ErrConflict if the ID exists.
	Create(ctx context.Context, j *job.Job) error
	// Get returns a copy of the job; ErrNotFound.
	Get(ctx context.Context, id string) (*job.Job, error)
	// Update replaces the stored job if its stored Version is j.Version-1 (the caller increments
	// Version); ErrConflict otherwise, ErrNotFound if it does not exist.
	Update(ctx context.Context, j *job.Job) error
	// List returns jobs matching f, newest first (descending ID), and the cursor of the next page
	// ("" when this is the last page).
	List(ctx context.Context, f JobFilter) (jobs []*job.Job, next string, err error)
}

// Applications stores applications.
type Applications interface {
	// Create stores a new application; ErrConflict if its ID exists or the agent already applied
	// to the job.
	Create(ctx context.Context, a *job.Application) error
	// Get returns a copy; ErrNotFound.
	Get(ctx context.Context, id string) (*job.Application, error)
	// Update replaces a stored application; ErrNotFound, or ErrConflict if it would give the agent
	// a second application to the job, or the job a second accepted application.
	Update(ctx context.Context, a *job.Application) error
	// ListByJob returns the job's applications, oldest first.
	ListByJob(ctx context.Context, jobID string) ([]*job.Application, error)
	// AppliedTo returns the jobs among jobIDs the agent has an application to, each once, in no
	// set order.
	AppliedTo(ctx context.Context, agentID string, jobIDs []string) ([]string, error)
}

// Ledger is the append-only double-entry ledger.
type Ledger interface {
	// Post appends the entries all or nothing, assigning their Seq. It refuses (with the
	// INSUFFICIENT_FUNDS domain error) entries that would take an account below zero that may not
	// go negative, refuses (with a plain error) entries that would take a receivable above zero,
	// and refuses invalid transfers; then nothing is written.
	Post(ctx context.Context, entries ...ledger.Entry) error
	// Balance returns the balance of the account in the currency, 0 if it never moved. The balance
	// of a receivable is held until the transaction ends, even when it never moved: another
	// transaction's Balance or Post of it waits, then sees what this one wrote, so a debt read
	// and the posts that follow are race-free.
	Balance(ctx context.Context, a ledger.Account, cur money.Currency) (int64, error)
	// Balances returns every balance.
	Balances(ctx context.Context) (ledger.Balances, error)
	// Entries returns the entries that touch the account (or all when a is ""), in Seq order,
	// after the given Seq, at most limit (0 means all).
	Entries(ctx context.Context, a ledger.Account, afterSeq int64, limit int) ([]ledger.Entry, error)
}

// Payouts stores payouts.
type Payouts interface {
	// Create stores a new payout; ErrConflict if its ID exists or the job already has a payout to
	// the recipient.
	Create(ctx context.Context, p *payout.Payout) error
	// Get returns a copy; ErrNotFound.
	Get(ctx context.Context, id string) (*payout.Payout, error)
	// Update replaces a stored payout; ErrNotFound, or ErrConflict if it would give the job a
	// second payout to the recipient.
	Update(ctx context.Context, p *payout.Payout) error
	// ListByJob returns the job's payouts, oldest first.
	ListByJob(ctx context.Context, jobID string) ([]*payout.Payout, error)
}

// TopUps stores wallet top-ups.
type TopUps interface {
	// Create stores a new top-up; ErrConflict if its ID exists.
	Create(ctx context.Context, t *payout.TopUp) error
	// Get returns a copy; ErrNotFound.
	Get(ctx context.Context, id string) (*payout.TopUp, error)
	// Update replaces a stored top-up; ErrNotFound.
	Update(ctx context.Context, t *payout.TopUp) error
}

// Events is the outbox of domain events.
type Events interface {
	// Append stores the events in order, assigning increasing Seq values.
	Append(ctx context.Context, events ...event.Event) error
	// List returns events with Seq > afterSeq in Seq order, at most limit (0 means all), only
	// those visible to accountID unless it is "". A reader paging with afterSeq must never skip
	// an event: a store whose Seq order is not its commit order holds an event back until no
	// transaction that could still append one before it is running.
	List(ctx context.Context, accountID string, afterSeq int64, limit int) ([]event.Event, error)
}

// Audit is the append-only audit log.
type Audit interface {
	// Append stores the entry, assigning its Seq.
	Append(ctx context.Context, a event.Audit) error
	// List returns entries with Seq > afterSeq in Seq order, at most limit (0 means all).
	List(ctx context.Context, afterSeq int64, limit int) ([]event.Audit, error)
}

// Reviews stores reviews.
type Reviews interface {
	// Create stores a review; ErrConflict if the author already reviewed on the job.
	Create(ctx context.Context, r *review.Review) error
	// ListByJob returns the job's reviews, oldest first.
	ListByJob(ctx context.Context, jobID string) ([]*review.Review, error)
	// ListBySubject returns the reviews about the account, oldest first.
	ListBySubject(ctx context.Context, subjectID string) ([]*review.Review, error)
}

// Tasks stores verification tasks.
type Tasks interface {
	// Create stores a new task; ErrConflict if its ID exists.
	Create(ctx context.Context, t *proof.Task) error
	// Get returns a copy; ErrNotFound.
	Get(ctx context.Context, id string) (*proof.Task, error)
	// Update replaces a stored task; ErrNotFound.
	Update(ctx context.Context, t *proof.Task) error
	// ListByJob returns the job's tasks, oldest first.
	ListByJob(ctx context.Context, jobID string) ([]*proof.Task, error)
	// ListOpen returns open tasks across all jobs, oldest first, at most limit (0 means all).
	ListOpen(ctx context.Context, limit int) ([]*proof.Task, error)
}

// Timer is a piece of work due at a time: a job's deadline or a payout attempt. Running it means
// calling the marketplace service's HandleTimer, which is idempotent and does nothing when the
// timer has gone stale.
type Timer struct {
	ID       string      `json:"id"` // unique; scheduling an existing ID replaces it
	Action   job.Action  `json:"action"`
	JobID    string      `json:"job_id"`
	PayoutID string      `json:"payout_id,omitempty"`
	Ref      string      `json:"ref,omitempty"`     // a processor reference the work needs, e.g. a card payment to refund
	Amount   money.Money `json:"amount"`            // the amount the work moves, when it moves one
	Attempt  int         `json:"attempt,omitempty"` // the attempts of retried work made when the timer was set
	Payload  []byte      `json:"payload,omitempty"` // opaque data the work needs (an email, a webhook delivery)
	DueAt    time.Time   `json:"due_at"`
}

// Timers schedules timers in the same transaction as the change that caused them, so a timer
// exists if and only if its cause committed.
type Timers interface {
	// Schedule stores the timer, replacing one with the same ID.
	Schedule(ctx context.Context, t Timer) error
	// Due returns timers with DueAt <= now, earliest first (ties by ID), at most limit (0: all).
	Due(ctx context.Context, now time.Time, limit int) ([]Timer, error)
	// Delete removes the timer; deleting a missing timer is not an error.
	Delete(ctx context.Context, id string) error
}

// APIKeys stores API keys (hashed; the secret is never stored).
type APIKeys interface {
	// Create stores a new key; ErrConflict if its ID exists.
	Create(ctx context.Context, k *apikey.Key) error
	// Get returns a copy; ErrNotFound.
	Get(ctx context.Context, id string) (*apikey.Key, error)
	// Update replaces a stored key; ErrNotFound.
	Update(ctx context.Context, k *apikey.Key) error
	// ListByAccount returns the account's keys, revoked ones included, oldest first.
	ListByAccount(ctx context.Context, accountID string) ([]*apikey.Key, error)
}

// Webhooks stores webhook endpoints and their deliveries.
type Webhooks interface {
	// CreateEndpoint stores a new endpoint; ErrConflict if its ID exists.
	CreateEndpoint(ctx context.Context, e *webhook.Endpoint) error
	// GetEndpoint returns a copy; ErrNotFound.
	GetEndpoint(ctx context.Context, id string) (*webhook.Endpoint, error)
	// UpdateEndpoint replaces a stored endpoint; ErrNotFound.
	UpdateEndpoint(ctx context.Context, e *webhook.Endpoint) error
	// DeleteEndpoint removes the endpoint (its deliveries stay in the log); ErrNotFound.
	DeleteEndpoint(ctx context.Context, id string) error
	// ListEndpoints returns the endpoints of the accounts (none when none are given), oldest first.
	ListEndpoints(ctx context.Context, accountIDs ...string) ([]*webhook.Endpoint, error)
	// CreateDelivery stores a new delivery; ErrConflict if its ID exists.
	CreateDelivery(ctx context.Context, d *webhook.Delivery) error
	// GetDelivery returns a copy; ErrNotFound.
	GetDelivery(ctx context.Context, id string) (*webhook.Delivery, error)
	// UpdateDelivery replaces a stored delivery; ErrNotFound.
	UpdateDelivery(ctx context.Context, d *webhook.Delivery) error
	// ListDeliveries returns the endpoint's deliveries newest first (descending ID), only those
	// with an ID below before unless it is "", at most limit (0 means all).
	ListDeliveries(ctx context.Context, endpointID, before string, limit int) ([]*webhook.Delivery, error)
}

// IdempotentRequest is the record of a request made with an Idempotency-Key: in progress until
// its response is stored, then the answer every repeat of the request gets.
type IdempotentRequest struct {
	AccountID   string
	Key         string
	RequestHash string // identifies the method, path and body the key was first used with
	Status      int    // the response's HTTP status; 0 while the first request is running
	ContentType string // the response's content type
	Body        []byte // the response body
	CreatedAt   time.Time
}

// Idempotency stores idempotent requests, keyed by account and key.
type Idempotency interface {
	// Begin stores a new in-progress record; ErrConflict if the account already used the key.
	Begin(ctx context.Context, r IdempotentRequest) error
	// Get returns the record; ErrNotFound.
	Get(ctx context.Context, accountID, key string) (IdempotentRequest, error)
	// Complete replaces the record with its finished form; ErrNotFound.
	Complete(ctx context.Context, r IdempotentRequest) error
	// Delete removes the record, so that the key may be used again; deleting a missing record is
	// not an error.
	Delete(ctx context.Context, accountID, key string) error
}

// ProcessorEvents records the payment processor's events that took effect, so that a replayed
// event takes effect once.
type ProcessorEvents interface {
	// Record notes that the event took effect at the given time; ErrConflict when it was recorded
	// before.
	Record(ctx context.Context, id string, at time.Time) error
}
