package proofer_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/adapters/proofhost/proofhosttest"
	"github.com/agentgigs/agentgigs/core/ports"
	"github.com/agentgigs/agentgigs/plugins/proofer"
	"github.com/agentgigs/agentgigs/testkit/conformance"
)

// lengthCheck passes a delivery whose file is not empty. A note "panic", "decline" or "fail"
// makes it panic, decline or fail, and "echo" makes it report the request it received.
type lengthCheck struct{}

func (lengthCheck) Describe(context.Context) (proofer.Capabilities, error) {
	return proofer.Capabilities{Name: "length", Version: "1.0.0", Checks: []string{"the file is not empty"}}, nil
}

func (lengthCheck) Review(ctx context.Context, req proofer.Request) (proofer.Scorecard, error) {
	if err := ctx.Err(); err != nil {
		return proofer.Scorecard{}, err
	}
	switch req.Delivery.Note {
	case "panic":
		panic("boom")
	case "decline":
		return proofer.Scorecard{}, fmt.Errorf("%w: nothing to check", proofer.ErrNotApplicable)
	case "fail":
		return proofer.Scorecard{}, errors.New("disk on fire")
	case "echo":
		return proofer.Scorecard{
			Criteria: []proofer.CriterionScore{{Criterion: "echo", Score: 10, Passed: true, Note: fmt.Sprintf("%+v", req)}},
			Pass:     true, Summary: "echoed", Evidence: []string{"a", "b"},
		}, nil
	}
	ok := len(req.Delivery.Content) > 0
	score := 0
	if ok {
		score = 10
	}
	return proofer.Scorecard{Criteria: []proofer.CriterionScore{{Criterion: "not empty", Score: score, Passed: ok}}, Pass: ok, Summary: "checked the length"}, nil
}

func TestConformanceInProcess(t *testing.T) {
	t.Parallel()
	conformance.Proofer(t, func(t *testing.T) ports.Proofer { return proofhosttest.InProcess(t, lengthCheck{}) })
}

func TestConformanceOverGRPC(t *testing.T) {
	t.Parallel()
	conformance.Proofer(t, func(t *testing.T) ports.Proofer { return proofhosttest.OverGRPC(t, lengthCheck{}) })
}

func TestGRPCCarriesEverything(t *testing.T) {
	t.Parallel()
	p := proofhosttest.OverGRPC(t, lengthCheck{})
	require.Equal(t, "length", p.Name())
	req := conformance.ProofRequest()
	req.Job.Criteria = "```agentgigs-checks\n{}\n```"
	req.Job.CriteriaHash = "hash"
	req.Delivery.Note = "echo"
	card, err := p.Review(t.Context(), req)
	require.NoError(t, err)
	require.True(t, card.Pass)
	require.Equal(t, []string{"a", "b"}, card.Evidence)
	require.Equal(t, fmt.Sprintf("%+v", proofer.Request{
		Job:      proofer.Job{ID: req.Job.ID, Title: req.Job.Title, Criteria: req.Job.Criteria, CriteriaHash: "hash", Blocks: []proofer.Block{{Kind: "checks", Body: "{}"}}},
		Delivery: proofer.Delivery{Content: req.Content, SHA256: req.Delivery.SHA256, Size: req.Delivery.Size, Note: "echo"},
	}), card.Criteria[0].Note, "the plugin sees exactly the request the host sent")
}

func TestGRPCErrors(t *testing.T) {
	t.Parallel()
	p := proofhosttest.OverGRPC(t, lengthCheck{})
	review := func(note string) error {
		req := conformance.ProofRequest()
		req.Delivery.Note = note
		_, err := p.Review(t.Context(), req)
		return err
	}
	require.ErrorIs(t, review("decline"), proofer.ErrNotApplicable)
	require.ErrorContains(t, review("decline"), "nothing to check")
	require.ErrorContains(t, review("fail"), "disk on fire")
	require.NotErrorIs(t, review("fail"), proofer.ErrNotApplicable)
	require.ErrorContains(t, review("panic"), "proofer panicked: boom")
	require.NoError(t, review("ok"), "the server survived the panic")
}

func TestGRPCPluginWithoutImplRefusesToServe(t *testing.T) {
	t.Parallel()
	require.Error(t, (&proofer.GRPCPlugin{}).GRPCServer(nil, nil))
}
