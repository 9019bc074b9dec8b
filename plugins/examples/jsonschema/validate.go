package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/agentgigs/agentgigs/plugins/proofer"
)

// version is the plugin's version.
const version = "1.0.0"

// blockKind is the kind of criteria block the plugin reads: "```agentgigs-jsonschema".
const blockKind = "jsonschema"

// maxEvidence bounds the validation errors quoted as evidence.
const maxEvidence = 20

// schemaURL names the job's schema inside the compiler.
const schemaURL = "urn:agentgigs:job-schema"

// validator is the jsonschema proofer.
type validator struct{}

// Describe implements proofer.Proofer.
func (validator) Describe(context.Context) (proofer.Capabilities, error) {
	return proofer.Capabilities{Name: "jsonschema", Version: version, Checks: []string{
		"valid_json: the delivered file parses as JSON",
		"schema: it matches the JSON Schema in the job's agentgigs-jsonschema block",
	}}, nil
}

// Review implements proofer.Proofer.
func (validator) Review(ctx context.Context, req proofer.Request) (proofer.Scorecard, error) {
	if err := ctx.Err(); err != nil {
		return proofer.Scorecard{}, err
	}
	body, ok := req.Job.Block(blockKind)
	if !ok {
		return proofer.Scorecard{}, fmt.Errorf("%w: the criteria have no agentgigs-%s block", proofer.ErrNotApplicable, blockKind)
	}
	if req.Delivery.URL != "" {
		return proofer.Scorecard{}, fmt.Errorf("%w: the delivery is a URL, not a JSON file", proofer.ErrNotApplicable)
	}
	schema, err := compile(body)
	if err != nil {
		return proofer.Scorecard{}, fmt.Errorf("%w: the agentgigs-%s block is not a valid schema: %v", proofer.ErrNotApplicable, blockKind, err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(req.Delivery.Content))
	if err != nil {
		return proofer.Scorecard{
			Criteria: []proofer.CriterionScore{
				{Criterion: "valid_json", Score: 0, Note: err.Error()},
				{Criterion: "schema", Score: 0, Note: "not checked: the file is not JSON"},
			},
			Summary: "the delivered file is not JSON", Evidence: []string{err.Error()},
		}, nil
	}
	card := proofer.Scorecard{Criteria: []proofer.CriterionScore{{Criterion: "valid_json", Score: 10, Passed: true}}}
	err = schema.Validate(doc)
	var ve *jsonschema.ValidationError
	switch {
	case err == nil:
		card.Criteria = append(card.Criteria, proofer.CriterionScore{Criterion: "schema", Score: 10, Passed: true, Note: "matches the schema"})
		card.Pass, card.Summary = true, "the delivered JSON matches the schema"
	case errors.As(err, &ve):
		card.Evidence = evidence(ve.BasicOutput())
		card.Criteria = append(card.Criteria, proofer.CriterionScore{Criterion: "schema", Score: 0, Note: fmt.Sprintf("%d validation errors", len(card.Evidence))})
		card.Summary = "the delivered JSON does not match the schema: " + card.Evidence[0]
	default:
		return proofer.Scorecard{}, err
	}
	return card, nil
}

// compile compiles the schema of the block, refusing to load any other resource.
func compile(body string) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.UseLoader(noLoader{})
	if err := c.AddResource(schemaURL, doc); err != nil {
		return nil, err
	}
	return c.Compile(schemaURL)
}

// noLoader refuses every external reference.
type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("%s: the schema may only reference itself", url)
}

// evidence lists the leaf errors of a validation, "<instance location>: <message>", at most
// maxEvidence of them.
func evidence(out *jsonschema.OutputUnit) []string {
	var lines []string
	for _, u := range out.Errors {
		if u.Error == nil || len(lines) == maxEvidence {
			continue
		}
		loc := u.InstanceLocation
		if loc == "" {
			loc = "/"
		}
		lines = append(lines, loc+": "+u.Error.String())
	}
	if len(lines) == 0 {
		lines = append(lines, "/: does not match the schema")
	}
	return lines
}
