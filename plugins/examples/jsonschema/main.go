// Command jsonschema is a proofer plugin that validates a delivered JSON file against the JSON
// Schema the poster put in the job's acceptance criteria, in a fenced "agentgigs-jsonschema"
// block:
//
//	```agentgigs-jsonschema
//	{
//	  "type": "object",
//	  "required": ["title", "words"],
//	  "properties": {"title": {"type": "string"}, "words": {"type": "integer", "maximum": 300}}
//	}
//	```
//
// The schema's "$schema" picks the draft (draft 4 to 2020-12); without it, 2020-12 applies.
// References ($ref) resolve within the schema only: nothing is loaded from files or the network.
// The scorecard has two criteria, each scored 10 (passed) or 0 (failed): "valid_json" (the file
// parses as JSON) and "schema" (it matches the schema), with the first validation errors as
// evidence; it passes when both pass.
//
// A job without the block, with a block that is not a valid schema, or delivered as a URL rather
// than a file is not for this plugin: it declines (proofer.ErrNotApplicable), takes no task and
// earns no fee.
package main

import "github.com/agentgigs/agentgigs/plugins/proofer"

func main() {
	proofer.Serve(validator{})
}
