package ports

import (
	"context"
	"io"

	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/money"
	"github.com/agentgigs/agentgigs/core/proof"
)

// Checkout is a page hosted by the payment processor where a human pays or saves a card (Stripe
// Checkout in production).
type Checkout struct {
	// Ref is the processor's reference of what the page pays or sets up ("cs_…" on Stripe), or of
	// the payment itself when no page is needed.
	Ref string
	// URL is where to send the human. Empty when no human step is needed (a saved card charged
	// off-session).
	URL string
}

// Payer is the marketplace account paying, as the processor knows it.
type Payer struct {
	AccountID   string
	CustomerRef string // the processor's customer of the account (CreateCustomer)
	CardRef     string // the card the account saved (CardSaved callback); empty when none
}

// Payments is the payment processor (Stripe Connect in production). Every call that moves money
// carries an idempotency key: repeating a call with the same key has the effect of one call and
// returns the same reference. Asynchronous outcomes (onboarding finished, a card payment
// confirmed, a card saved, a top-up settled or returned, a transfer paid) come back to the
// marketplace service through its processor callbacks, not through this interface.
type Payments interface {
	// CreateConnectedAccount creates the payout account of a marketplace account and returns its
	// reference. Idempotent per accountID.
	CreateConnectedAccount(ctx context.Context, accountID, email string) (ref string, err error)
	// OnboardingLink returns the URL where the human completes payout onboarding (KYC).
	OnboardingLink(ctx context.Context, ref string) (url string, err error)
	// CreateCustomer creates the paying customer of a marketplace account and returns its
	// reference; the caller stores it and passes it as Payer.CustomerRef. Idempotent per
	// accountID.
	CreateCustomer(ctx context.Context, accountID, email string) (ref string, err error)
	// CreateCardPayment starts a card payment funding a job's escrow; the confirmation arrives
	// later. With payer.CardRef set the saved card is charged off-session and the Checkout has no
	// URL; without it the Checkout's URL is the page where the human pays. A saved card the
	// processor refuses (declined, authentication required) is an error that does not wrap
	// ErrUnavailable.
	CreateCardPayment(ctx context.Context, idempotencyKey string, amount money.Money, jobID string, payer Payer) (Checkout, error)
	// CancelPaymentIntent cancels an unconfirmed card payment (a Checkout.Ref of
	// CreateCardPayment) so that it can no longer succeed. Cancelling twice is not an error.
	CancelPaymentIntent(ctx context.Context, ref string) error
	// CreateTopUp starts an asynchronous bank debit crediting the payer's wallet on success: the
	// human authorises it at the Checkout's URL. topUpID is the marketplace's top-up, which the
	// outcome names.
	CreateTopUp(ctx context.Context, idempotencyKey string, amount money.Money, topUpID string, payer Payer) (Checkout, error)
	// CreateCardSetup returns the page where the human saves a card for later off-session
	// payments; the saved card arrives later through the CardSaved callback.
	CreateCardSetup(ctx context.Context, idempotencyKey string, payer Payer) (Checkout, error)
	// Transfer sends amount to the connected account destination. A nil error means the processor
	// accepted it; settlement is reported later.
	Transfer(ctx context.Context, idempotencyKey string, amount money.Money, destination string) (ref string, err error)
	// Refund returns amount of a card payment (a Checkout.Ref of CreateCardPayment) to the card.
	Refund(ctx context.Context, idempotencyKey string, amount money.Money, paymentRef string) (ref string, err error)
}

// Message is an email to one recipient. It is plain data that encodes to JSON, so the marketplace
// can store it as a timer's payload and send it later.
type Message struct {
	To      string `json:"to"`                // the recipient's address
	ToName  string `json:"to_name,omitempty"` // the recipient's display name; may be empty or non-ASCII
	Subject string `json:"subject"`           // may be non-ASCII
	Text    string `json:"text"`              // the plain-text body; always set
	HTML    string `json:"html,omitempty"`    // an HTML alternative of Text; empty: text only
}

// Mailer sends email.
type Mailer interface {
	// Send delivers the message, or returns an error that wraps ErrUnavailable when it could not
	// be delivered now but may be later (the server was unreachable, timed out or answered with a
	// temporary failure), or any other error when the server refused the message for good (then
	// retrying it is pointless). It does not retry.
	Send(ctx context.Context, m Message) error
}

// BlobInfo describes a stored blob.
type BlobInfo struct {
	Key    string
	SHA256 string // hex
	Size   int64
}

// Blobs stores delivered files.
type Blobs interface {
	// Put stores the content of r under a new key and returns its SHA-256 and size. Content longer
	// than maxSize bytes is refused with ErrTooLarge and nothing is kept.
	Put(ctx context.Context, r io.Reader, maxSize int64) (BlobInfo, error)
	// Open returns the content stored under key; ErrNotFound.
	Open(ctx context.Context, key string) (io.ReadCloser, error)
}

// ProofRequest is what an automatic proofer reviews.
type ProofRequest struct {
	Job      *job.Job
	Delivery job.Delivery
	Content  []byte // the delivered file, when the delivery is a file
}

// Proofer reviews deliveries automatically (a go-plugin executable in production).
type Proofer interface {
	// Name is the proofer's stable name.
	Name() string
	// Review returns the proofer's scorecard for the delivery, or an error when it could not
	// review (then no scorecard is recorded).
	Review(ctx context.Context, req ProofRequest) (proof.Scorecard, error)
}

// WebhookRequest is one delivery attempt. The sender signs it at the moment it sends it (see
// webhook.Headers), so the signature's timestamp is the real sending time.
type WebhookRequest struct {
	URL    string
	ID     string // the delivery ID: the webhook-id header, the same on every attempt
	Secret string // the endpoint's whsec_ secret
	Body   []byte // JSON
}

// WebhookSender posts webhook deliveries (an HTTP client refusing private targets in production).
type WebhookSender interface {
	// Send signs and posts the request and returns the response's HTTP status, or an error when
	// no response came (refused target, connection failure, timeout).
	Send(ctx context.Context, r WebhookRequest) (status int, err error)
}
