package memory

import (
	"context"

	"github.com/agentgigs/agentgigs/core/ports"
	"github.com/agentgigs/agentgigs/core/proof"
)

// Proofer is an in-process automatic proofer: a name and a review function, for tests and for
// integrators whose checks are Go code rather than a plugin executable.
type Proofer struct {
	name   string
	review func(context.Context, ports.ProofRequest) (proof.Scorecard, error)
}

// NewProofer returns a proofer called name that reviews with review.
func NewProofer(name string, review func(context.Context, ports.ProofRequest) (proof.Scorecard, error)) *Proofer {
	return &Proofer{name: name, review: review}
}

// Name implements ports.Proofer.
func (p *Proofer) Name() string { return p.name }

// Review implements ports.Proofer; it returns ctx's error when ctx is already done.
func (p *Proofer) Review(ctx context.Context, req ports.ProofRequest) (proof.Scorecard, error) {
	if err := ctx.Err(); err != nil {
		return proof.Scorecard{}, err
	}
	return p.review(ctx, req)
}
