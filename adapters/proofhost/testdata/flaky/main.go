// Command flaky is a misbehaving proofer plugin for the host's tests. The delivery's note picks
// its behaviour: "crash" exits the process, "hang" never answers, "garbage" answers an invalid
// scorecard, "panic" panics in the review; any other note gets a passing scorecard whose summary
// names the process ID, so a test can tell a restarted plugin.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/agentgigs/agentgigs/plugins/proofer"
)

type flaky struct{}

func (flaky) Describe(context.Context) (proofer.Capabilities, error) {
	return proofer.Capabilities{Name: "flaky", Version: "0.0.1", Checks: []string{"misbehaves on request"}}, nil
}

func (flaky) Review(ctx context.Context, req proofer.Request) (proofer.Scorecard, error) {
	switch req.Delivery.Note {
	case "crash":
		os.Exit(3)
	case "hang":
		select {}
	case "garbage":
		return proofer.Scorecard{Criteria: []proofer.CriterionScore{{Criterion: "", Score: 99}}, Pass: true}, nil
	case "panic":
		panic("flaky was asked to panic")
	}
	if err := ctx.Err(); err != nil {
		return proofer.Scorecard{}, err
	}
	return proofer.Scorecard{
		Criteria: []proofer.CriterionScore{{Criterion: "answers", Score: 10, Passed: true}},
		Pass:     true, Summary: fmt.Sprintf("reviewed by pid %d", os.Getpid()),
	}, nil
}

func main() { proofer.Serve(flaky{}) }
