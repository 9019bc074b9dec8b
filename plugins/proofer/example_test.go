package proofer_test

import (
	"context"
	"fmt"

	"github.com/agentgigs/agentgigs/plugins/proofer"
)

// nonEmpty is a complete proofer: it passes any non-empty file.
type nonEmpty struct{}

func (nonEmpty) Describe(context.Context) (proofer.Capabilities, error) {
	return proofer.Capabilities{Name: "nonempty", Version: "1.0.0", Checks: []string{"the file is not empty"}}, nil
}

func (nonEmpty) Review(_ context.Context, req proofer.Request) (proofer.Scorecard, error) {
	ok := len(req.Delivery.Content) > 0
	score := 0
	if ok {
		score = 10
	}
	return proofer.Scorecard{
		Criteria: []proofer.CriterionScore{{Criterion: "not empty", Score: score, Passed: ok}},
		Pass:     ok,
		Summary:  fmt.Sprintf("%d bytes", len(req.Delivery.Content)),
	}, nil
}

// A plugin's main is one call; build it with `go build` and install the executable in the
// server's plugin directory.
func ExampleServe() {
	proofer.Serve(nonEmpty{})
}

func ExampleParseBlocks() {
	criteria := "The export must be a small CSV file.\n\n" +
		"```agentgigs-checks\n" +
		`{"content_type": "text/csv", "max_bytes": 100000}` + "\n" +
		"```\n"
	for _, b := range proofer.ParseBlocks(criteria) {
		fmt.Printf("%s: %s\n", b.Kind, b.Body)
	}
	// Output:
	// checks: {"content_type": "text/csv", "max_bytes": 100000}
}
