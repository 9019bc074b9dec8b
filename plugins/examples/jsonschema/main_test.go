package main

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/adapters/proofhost"
	"github.com/agentgigs/agentgigs/adapters/proofhost/proofhosttest"
	"github.com/agentgigs/agentgigs/core/ports"
	"github.com/agentgigs/agentgigs/plugins/proofer"
	"github.com/agentgigs/agentgigs/testkit/conformance"
)

const schema = `{
  "type": "object",
  "required": ["title", "words"],
  "properties": {"title": {"type": "string"}, "words": {"type": "integer", "maximum": 300}},
  "additionalProperties": false
}`

// jsonRequest is the conformance request for a job with the schema, delivering a matching file.
func jsonRequest() ports.ProofRequest {
	r := conformance.ProofRequest()
	r.Job.Criteria += "\n```agentgigs-jsonschema\n" + schema + "\n```\n"
	r.Content = []byte(`{"title": "A paper", "words": 250}`)
	return r
}

func TestConformance(t *testing.T) {
	t.Parallel()
	t.Run("InProcess", func(t *testing.T) {
		t.Parallel()
		conformance.ProoferWithRequest(t, func(t *testing.T) ports.Proofer { return proofhosttest.InProcess(t, validator{}) }, jsonRequest())
	})
	t.Run("OverGRPC", func(t *testing.T) {
		t.Parallel()
		conformance.ProoferWithRequest(t, func(t *testing.T) ports.Proofer { return proofhosttest.OverGRPC(t, validator{}) }, jsonRequest())
	})
	t.Run("Executable", func(t *testing.T) {
		t.Parallel()
		conformance.ProoferWithRequest(t, proofhosttest.Executable(t, ".", proofhost.Options{}), jsonRequest())
	})
}

func request(criteria, content string) proofer.Request {
	return proofer.Request{Job: proofer.Job{Blocks: proofer.ParseBlocks(criteria)}, Delivery: proofer.Delivery{Content: []byte(content)}}
}

func withSchema(s string) string { return "```agentgigs-jsonschema\n" + s + "\n```" }

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, content string
		json, valid   bool
		evidence      []string
	}{
		{"matches", `{"title": "t", "words": 3}`, true, true, nil},
		{"missing property", `{"title": "t"}`, true, false, []string{"/: missing property 'words'"}},
		{"two errors", `{"title": 1, "words": 301}`, true, false, []string{"/title: got number, want string", "/words: maximum: got 301, want 300"}},
		{"extra property", `{"title": "t", "words": 1, "x": 0}`, true, false, []string{"/: additional properties 'x' not allowed"}},
		{"not JSON", `{"title": `, false, false, nil},
		{"empty file", ``, false, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			card, err := validator{}.Review(t.Context(), request(withSchema(schema), tt.content))
			require.NoError(t, err)
			require.NoError(t, card.Validate())
			require.Len(t, card.Criteria, 2)
			require.Equal(t, "valid_json", card.Criteria[0].Criterion)
			require.Equal(t, tt.json, card.Criteria[0].Passed)
			require.Equal(t, "schema", card.Criteria[1].Criterion)
			require.Equal(t, tt.valid, card.Criteria[1].Passed)
			require.Equal(t, tt.valid, card.Pass)
			if tt.evidence != nil {
				require.ElementsMatch(t, tt.evidence, card.Evidence)
			}
		})
	}
}

func TestDraftFromSchemaKeyword(t *testing.T) {
	t.Parallel()
	draft4 := `{"$schema": "http://json-schema.org/draft-04/schema#", "type": "number", "maximum": 5, "exclusiveMaximum": true}`
	card, err := validator{}.Review(t.Context(), request(withSchema(draft4), `5`))
	require.NoError(t, err)
	require.False(t, card.Pass, "draft 4's boolean exclusiveMaximum applies")
}

func TestDeclines(t *testing.T) {
	t.Parallel()
	for name, req := range map[string]proofer.Request{
		"no block":           request("Plain criteria.", `{}`),
		"not a schema":       request(withSchema(`{"type": 12}`), `{}`),
		"not JSON":           request(withSchema(`{nope`), `{}`),
		"external reference": request(withSchema(`{"$ref": "file:///etc/passwd"}`), `{}`),
		"remote reference":   request(withSchema(`{"$ref": "https://example.test/schema.json"}`), `{}`),
		"a URL delivery":     {Job: request(withSchema(schema), "").Job, Delivery: proofer.Delivery{URL: "https://example.test/data.json"}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := validator{}.Review(t.Context(), req)
			require.ErrorIs(t, err, proofer.ErrNotApplicable)
		})
	}
}
