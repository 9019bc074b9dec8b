// Package proofer is the SDK of AgentGigs proofer plugins. A proofer plugin is an executable that
// reviews deliveries of jobs with verification on and answers with a scorecard; the marketplace
// starts it with hashicorp/go-plugin and talks to it over gRPC (proto/proofer.proto), so a plugin
// may be written in any language. In Go, implement Proofer and call Serve from main:
//
//	func main() {
//		proofer.Serve(myProofer{})
//	}
//
// The package also holds the handshake both sides must agree on (Handshake), the go-plugin glue
// for both sides (GRPCPlugin), and the convention for machine-checkable criteria: fenced blocks
// "```agentgigs-<kind>" in a job's acceptance criteria (ParseBlocks).
package proofer

import (
	"context"
	"errors"

	"github.com/agentgigs/agentgigs/core/proof"
)

// Proofer is what a plugin implements. Both methods may be called concurrently, and both must
// return promptly when ctx is done (the host gives every review a deadline, and kills and
// restarts a plugin that does not answer in time).
type Proofer interface {
	// Describe says what the proofer is: its name, version and checks. The name must not be
	// empty and must not change between calls.
	Describe(ctx context.Context) (Capabilities, error)
	// Review returns the proofer's scorecard for the delivery, which must pass
	// Scorecard.Validate. It returns an error wrapping ErrNotApplicable when the job has nothing
	// this proofer can check (then it takes no task and earns no fee), and any other error when it
	// could not review; either way no scorecard is recorded and the task stays open for others.
	Review(ctx context.Context, req Request) (Scorecard, error)
}

// Capabilities describes a proofer.
type Capabilities struct {
	Name    string   // stable and unique among the host's plugins, e.g. "urlcheck"
	Version string   // e.g. "1.0.0"
	Checks  []string // what the proofer checks, one short sentence each
}

// Request is one delivery to review.
type Request struct {
	Job      Job
	Delivery Delivery
}

// Job is the job a delivery was made for.
type Job struct {
	ID           string
	Title        string
	Criteria     string  // the acceptance criteria, as text
	CriteriaHash string  // SHA-256 (hex) of Criteria, frozen when the agent was hired
	Blocks       []Block // the machine-checkable blocks of Criteria (ParseBlocks), in order
}

// Block returns the body of the job's first criteria block of the kind, and whether there is one.
func (j Job) Block(kind string) (string, bool) {
	for _, b := range j.Blocks {
		if b.Kind == kind {
			return b.Body, true
		}
	}
	return "", false
}

// Delivery is what the agent handed in: a URL, or a file with its content.
type Delivery struct {
	URL     string // the delivered URL; empty for a file
	Content []byte // the delivered file; empty for a URL
	SHA256  string // the file's SHA-256 (hex) as the marketplace recorded it
	Size    int64  // the file's size in bytes as recorded
	Note    string // the agent's note
}

// Scorecard is a proofer's review, the same structure remote proofers submit through the API:
// at least one scored criterion (0 to 10), the verdict and a summary.
type Scorecard = proof.Scorecard

// CriterionScore is the score of one criterion of a Scorecard.
type CriterionScore = proof.CriterionScore

// ErrNotApplicable is returned, wrapped, by a proofer that has nothing to check on a job (for
// example, the criteria carry no block of the kind it reads). It crosses the gRPC boundary as the
// status FAILED_PRECONDITION.
var ErrNotApplicable = errors.New("proofer: not applicable to this job")
