// Package job holds the job entity and its state machine. The machine is one table (see
// table.go): every transition names the action, who may do it, from which states, its guard, and
// what it does to money, timers and events. Anything not in the table is refused with a typed
// error. The marketplace service executes the table; the HTTP API publishes it.
package job

import (
	"time"

	"github.com/agentgigs/agentgigs/core/money"
)

// State is where a job is in its lifecycle.
type State string

// The job states.
const (
	Open              State = "open"
	AwaitingFunding   State = "awaiting_funding"
	InProgress        State = "in_progress"
	Delivered         State = "delivered"
	InVerification    State = "in_verification"
	RevisionRequested State = "revision_requested"
	Approved          State = "approved"
	Completed         State = "completed"
	Disputed          State = "disputed"
	Resolved          State = "resolved"
	Cancelled         State = "cancelled"
	Expired           State = "expired"
)

// FundingSource says how a job's escrow is funded.
type FundingSource string

// The funding sources.
const (
	FundWallet FundingSource = "wallet" // instant hold from the poster's wallet
	FundCard   FundingSource = "card"   // a payment intent; the job awaits the processor
)

// Valid reports whether f is a known funding source.
func (f FundingSource) Valid() bool { return f == FundWallet || f == FundCard }

// Verification configures the optional proofers of a job (DESIGN §5).
type Verification struct {
	Proofers          int         `json:"proofers"`             // how many scorecards are wanted
	PassThreshold     int         `json:"pass_threshold"`       // passing scorecards needed for a pass
	FeePerProofer     money.Money `json:"fee_per_proofer"`      // paid from escrow per accepted scorecard
	MinTrust          int         `json:"min_trust"`            // trust floor for proofers, 0..100
	AutoApproveOnPass bool        `json:"auto_approve_on_pass"` // approve as soon as the proofers pass
}

// Delivery is what the agent handed in: a URL or a stored file, and a note.
type Delivery struct {
	URL     string    `json:"url,omitempty"`
	BlobKey string    `json:"blob_key,omitempty"`
	SHA256  string    `json:"sha256,omitempty"`
	Size    int64     `json:"size,omitempty"`
	Note    string    `json:"note,omitempty"`
	At      time.Time `json:"at"`
}

// Dispute records a dispute on a job and, once resolved, its outcome.
type Dispute struct {
	OpenedBy   string      `json:"opened_by"`
	Reason     string      `json:"reason"`
	Evidence   []string    `json:"evidence,omitempty"`
	OpenedAt   time.Time   `json:"opened_at"`
	FromState  State       `json:"from_state"`
	ResolvedBy string      `json:"resolved_by,omitempty"`
	Resolution string      `json:"resolution,omitempty"`
	ToAgent    money.Money `json:"to_agent"`
	ToPoster   money.Money `json:"to_poster"`
	ResolvedAt time.Time   `json:"resolved_at"`
}

// Job is a piece of work posted by a poster, done by one hired agent. The zero value is not a
// valid job; jobs are created by the marketplace service.
type Job struct {
	ID             string        `json:"id"`
	PosterID       string        `json:"poster_id"`
	Title          string        `json:"title"`
	Description    string        `json:"description"`
	Category       string        `json:"category"`
	Tags           []string      `json:"tags,omitempty"`
	Budget         money.Money   `json:"budget"`
	Price          money.Money   `json:"price"` // the agreed price, set when an application is accepted
	FeeBPS         money.BPS     `json:"fee_bps"`
	Criteria       string        `json:"criteria"`
	CriteriaHash   string        `json:"criteria_hash,omitempty"` // SHA-256 of Criteria, frozen at hire
	Verification   *Verification `json:"verification,omitempty"`
	ReviewWindow   time.Duration `json:"review_window"`
	DeliveryWindow time.Duration `json:"delivery_window"`
	MaxRevisions   int           `json:"max_revisions"`

	State         State         `json:"state"`
	AgentID       string        `json:"agent_id,omitempty"`
	ApplicationID string        `json:"application_id,omitempty"`
	Funding       FundingSource `json:"funding,omitempty"`
	PaymentRef    string        `json:"payment_ref,omitempty"`
	CheckoutURL   string        `json:"checkout_url,omitempty"` // the page where the poster pays the card payment when a human must (no saved card); else empty
	Revisions     int           `json:"revisions"`
	Delivery      *Delivery     `json:"delivery,omitempty"`
	DeliveryDueAt time.Time     `json:"delivery_due_at,omitzero"`
	DeadlineAt    time.Time     `json:"deadline_at,omitzero"` // when the current state's default outcome runs; zero when none
	PlatformFee   money.Money   `json:"platform_fee"`
	AgentNet      money.Money   `json:"agent_net"`
	ProoferFees   money.Money   `json:"proofer_fees"` // proofer fees already paid from escrow
	PayoutHeld    bool          `json:"payout_held"`
	PayoutID      string        `json:"payout_id,omitempty"`
	Dispute       *Dispute      `json:"dispute,omitempty"`
	Verdict       string        `json:"verdict,omitempty"` // "pass" or "fail" once verification completed

	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	ApprovedAt  time.Time `json:"approved_at,omitzero"`
	CompletedAt time.Time `json:"completed_at,omitzero"` // when the job reached a terminal state
	Version     int64     `json:"version"`
}

// Clone returns a deep copy of j.
func (j *Job) Clone() *Job {
	c := *j
	c.Tags = append([]string(nil), j.Tags...)
	if j.Verification != nil {
		v := *j.Verification
		c.Verification = &v
	}
	if j.Delivery != nil {
		d := *j.Delivery
		c.Delivery = &d
	}
	if j.Dispute != nil {
		d := *j.Dispute
		d.Evidence = append([]string(nil), j.Dispute.Evidence...)
		c.Dispute = &d
	}
	return &c
}

// VerificationOn reports whether the job has proofers.
func (j *Job) VerificationOn() bool { return j.Verification != nil && j.Verification.Proofers > 0 }

// Terminal reports whether s is a final state: no money is held and nothing more happens.
func (s State) Terminal() bool {
	switch s {
	case Completed, Resolved, Cancelled, Expired:
		return true
	}
	return false
}

// HoldsEscrow reports whether a job in s holds its funds in escrow.
func (s State) HoldsEscrow() bool {
	switch s {
	case InProgress, RevisionRequested, Delivered, InVerification, Disputed:
		return true
	}
	return false
}
