package proofhost

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/agentgigs/agentgigs/core/ports"
	"github.com/agentgigs/agentgigs/core/proof"
	"github.com/agentgigs/agentgigs/plugins/proofer"
)

// Errors a review returns, wrapped with the proofer's name; match them with errors.Is. A proofer
// that does not apply to the job returns an error wrapping proofer.ErrNotApplicable, and a plugin
// that crashed or could not start one wrapping ports.ErrUnavailable.
var (
	// ErrInvalidScorecard: the proofer answered with a scorecard that proof.Scorecard.Validate
	// refuses (no criteria, no summary, a score outside 0..10). It is not recorded.
	ErrInvalidScorecard = errors.New("proofhost: invalid scorecard")
	// ErrTimeout: the proofer did not answer within the review timeout. A plugin is then killed
	// and restarted on next use.
	ErrTimeout = errors.New("proofhost: review timed out")
	// ErrClosed: the plugin was closed.
	ErrClosed = errors.New("proofhost: plugin closed")
)

// DefaultReviewTimeout is the review timeout when none is configured.
const DefaultReviewTimeout = time.Minute

// Proofer adapts an SDK proofer (a proofer.Proofer in this process, or the client side of a gRPC
// connection to one) to ports.Proofer, so the marketplace can run it
// (market.Service.AddAutoProofer). It gives every review a timeout and refuses invalid
// scorecards. It is safe for concurrent use when the SDK proofer is.
type Proofer struct {
	impl    proofer.Proofer
	caps    proofer.Capabilities
	timeout time.Duration
}

// New describes impl (refusing an empty name) and returns it as a ports.Proofer whose reviews
// time out after timeout (DefaultReviewTimeout when zero or negative).
func New(ctx context.Context, impl proofer.Proofer, timeout time.Duration) (*Proofer, error) {
	caps, err := describe(ctx, impl)
	if err != nil {
		return nil, err
	}
	if timeout <= 0 {
		timeout = DefaultReviewTimeout
	}
	return &Proofer{impl: impl, caps: caps, timeout: timeout}, nil
}

// Name implements ports.Proofer: the name the proofer described itself with.
func (p *Proofer) Name() string { return p.caps.Name }

// Capabilities returns what the proofer described itself as.
func (p *Proofer) Capabilities() proofer.Capabilities { return p.caps }

// Review implements ports.Proofer. Besides the proofer's own errors it returns ctx's error when
// ctx ends first, ErrTimeout and ErrInvalidScorecard, each wrapped with the proofer's name.
func (p *Proofer) Review(ctx context.Context, req ports.ProofRequest) (proof.Scorecard, error) {
	return review(ctx, p.caps.Name, p.impl, p.timeout, req)
}

func describe(ctx context.Context, impl proofer.Proofer) (proofer.Capabilities, error) {
	caps, err := impl.Describe(ctx)
	if err != nil {
		return caps, fmt.Errorf("describe: %w", err)
	}
	if caps.Name == "" {
		return caps, errors.New("describe: the proofer has no name")
	}
	return caps, nil
}

// review runs one review with the timeout and checks its scorecard.
func review(ctx context.Context, name string, impl proofer.Proofer, timeout time.Duration, req ports.ProofRequest) (proof.Scorecard, error) {
	if err := ctx.Err(); err != nil {
		return proof.Scorecard{}, fmt.Errorf("proofer %s: %w", name, err)
	}
	rctx, cancel := context.WithTimeoutCause(ctx, timeout, ErrTimeout)
	defer cancel()
	card, err := impl.Review(rctx, Request(req))
	switch {
	case ctx.Err() != nil:
		return proof.Scorecard{}, fmt.Errorf("proofer %s: %w", name, ctx.Err())
	case rctx.Err() != nil || hasCode(err, codes.DeadlineExceeded):
		// The plugin's server may give up on the propagated deadline a moment before rctx ends.
		return proof.Scorecard{}, fmt.Errorf("proofer %s: %w after %s", name, ErrTimeout, timeout)
	case err != nil:
		return proof.Scorecard{}, fmt.Errorf("proofer %s: %w", name, err)
	}
	if err := card.Validate(); err != nil {
		return proof.Scorecard{}, fmt.Errorf("proofer %s: %w: %v", name, ErrInvalidScorecard, err)
	}
	return card, nil
}

// Request is the SDK request for a marketplace proof request: the job's ID, title, criteria,
// criteria hash and machine-checkable blocks, and the delivery with the file's content.
func Request(req ports.ProofRequest) proofer.Request {
	var out proofer.Request
	if j := req.Job; j != nil {
		out.Job = proofer.Job{ID: j.ID, Title: j.Title, Criteria: j.Criteria, CriteriaHash: j.CriteriaHash, Blocks: proofer.ParseBlocks(j.Criteria)}
	}
	d := req.Delivery
	out.Delivery = proofer.Delivery{URL: d.URL, Content: req.Content, SHA256: d.SHA256, Size: d.Size, Note: d.Note}
	return out
}

// hasCode reports whether err wraps a gRPC status with the code.
func hasCode(err error, code codes.Code) bool {
	var s interface{ GRPCStatus() *status.Status }
	return errors.As(err, &s) && s.GRPCStatus().Code() == code
}
