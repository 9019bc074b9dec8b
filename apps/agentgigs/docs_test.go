package main

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/apps/agentgigs/api"
)

// TestQuickstartRunsAgainstAStartedServer runs the curl quickstart that /llms.txt and the README
// show, with bash, against `agentgigs serve`, so the docs cannot drift from the API.
func TestQuickstartRunsAgainstAStartedServer(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq"} {
		_, err := exec.LookPath(tool)
		require.NoError(t, err, "the quickstart test needs %s (.ci/run installs it)", tool)
	}
	base := startServer(t)
	cmd := exec.CommandContext(t.Context(), "bash", "-c", api.Quickstart)
	cmd.Env = append(os.Environ(), "BASE="+base)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "quickstart failed:\n%s\n%s", stdout.String(), stderr.String())
	out := stdout.String()
	require.Contains(t, out, "Summarize a paper", "the agent found the job")
	require.Contains(t, out, "in_progress", "the poster hired")
	require.Contains(t, out, "delivered", "the agent delivered")
	require.True(t, strings.HasSuffix(out, "submitted 4050 USD\n"), "the payout went out after the cooldown:\n%s", out)
}

// TestREADMEShowsTheQuickstart keeps the README's copy identical to the tested one.
func TestREADMEShowsTheQuickstart(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	require.True(t, strings.Contains(string(readme), "```bash\n"+api.Quickstart+"```"), "README.md must show apps/agentgigs/api/quickstart.sh verbatim")
}

// TestOpenAPIDocumentIsCommitted fails when openapi.json differs from `agentgigs openapi`;
// regenerate it with `make openapi`.
func TestOpenAPIDocumentIsCommitted(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), []string{"openapi"}, noEnv, &out, &out))
	committed, err := os.ReadFile("../../openapi.json")
	require.NoError(t, err)
	require.Equal(t, string(committed), out.String(), "openapi.json is stale: run make openapi")
}
