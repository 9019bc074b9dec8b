package proofer_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/plugins/proofer"
)

func TestParseBlocks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		criteria string
		want     []proofer.Block
	}{
		{"no block", "Accurate and under 300 words.", nil},
		{"one block", "Text.\n```agentgigs-checks\n{\"max_bytes\": 10}\n```\nMore text.", []proofer.Block{{Kind: "checks", Body: `{"max_bytes": 10}`}}},
		{"two kinds in order", "```agentgigs-jsonschema\n{}\n```\n```agentgigs-checks\n{\"a\":1}\n```",
			[]proofer.Block{{Kind: "jsonschema", Body: "{}"}, {Kind: "checks", Body: `{"a":1}`}}},
		{"other fenced blocks ignored", "```json\n{\"x\": 1}\n```\n```\nplain\n```", nil},
		{"a block inside another fence is text", "````markdown\n```agentgigs-checks\n{}\n```\n````", nil},
		{"tildes", "~~~agentgigs-checks\n{}\n~~~", []proofer.Block{{Kind: "checks", Body: "{}"}}},
		{"longer closing fence", "```agentgigs-checks\n{}\n`````", []proofer.Block{{Kind: "checks", Body: "{}"}}},
		{"shorter fence does not close", "````agentgigs-checks\n```\n````", []proofer.Block{{Kind: "checks", Body: "```"}}},
		{"info string words after the kind", "```agentgigs-checks json\n{}\n```", []proofer.Block{{Kind: "checks", Body: "{}"}}},
		{"indented up to three spaces", "   ```agentgigs-checks\n{}\n   ```", []proofer.Block{{Kind: "checks", Body: "{}"}}},
		{"indented four spaces is code, not a fence", "    ```agentgigs-checks\n{}\n    ```", nil},
		{"CRLF line ends", "```agentgigs-checks\r\n{}\r\n```\r\n", []proofer.Block{{Kind: "checks", Body: "{}"}}},
		{"unclosed block runs to the end", "```agentgigs-checks\n{\n}", []proofer.Block{{Kind: "checks", Body: "{\n}"}}},
		{"empty kind ignored", "```agentgigs-\n{}\n```", nil},
		{"multi-line body kept verbatim", "```agentgigs-jsonschema\n{\n  \"type\": \"object\"\n}\n```",
			[]proofer.Block{{Kind: "jsonschema", Body: "{\n  \"type\": \"object\"\n}"}}},
		{"empty block", "```agentgigs-checks\n```", []proofer.Block{{Kind: "checks", Body: ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, proofer.ParseBlocks(tt.criteria))
		})
	}
}

func TestJobBlock(t *testing.T) {
	t.Parallel()
	j := proofer.Job{Blocks: proofer.ParseBlocks("```agentgigs-checks\nfirst\n```\n```agentgigs-checks\nsecond\n```")}
	body, ok := j.Block("checks")
	require.True(t, ok)
	require.Equal(t, "first", body, "the first block of a kind counts")
	_, ok = j.Block("jsonschema")
	require.False(t, ok)
}
