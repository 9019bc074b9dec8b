package main

import (
	"io"
	"net/http"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/adapters/postgres"
	"github.com/agentgigs/agentgigs/adapters/postgres/pgtest"
	"github.com/agentgigs/agentgigs/testkit"
)

// TestMCPCommandOnPostgreSQL runs `agentgigs mcp` on a database holding an account: a client on
// its stdin and stdout calls a tool as the account of AGENTGIGS_API_KEY, and the command ends
// cleanly when stdin closes.
func TestMCPCommandOnPostgreSQL(t *testing.T) {
	schema := pgtest.Pool(t, pgtest.Options{})
	k := testkit.NewWith(t, testkit.Options{Store: postgres.New(schema.Pool)})
	_, key, err := k.Service.CreateAPIKey(k.Ctx, k.Account("Ada"), "mcp")
	require.NoError(t, err)
	env := map[string]string{"DATABASE_URL": pgtest.URL() + "&search_path=" + schema.Name, envAPIKey: key}

	clientIn, serverOut := io.Pipe()
	serverIn, clientOut := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- mcpStdio(t.Context(), nil, func(k string) string { return env[k] }, serverIn, serverOut, io.Discard)
		_ = serverOut.Close()
	}()
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "test", Version: "1"}, nil).
		Connect(t.Context(), &sdk.IOTransport{Reader: clientIn, Writer: clientOut}, nil)
	require.NoError(t, err)
	res, err := cs.CallTool(t.Context(), &sdk.CallToolParams{Name: "get-me"})
	require.NoError(t, err)
	require.False(t, res.IsError, res.Content)
	require.Equal(t, "ada@example.test", res.StructuredContent.(map[string]any)["email"])
	_, err = cs.CallTool(t.Context(), &sdk.CallToolParams{Name: "dev-advance-clock", Arguments: map[string]any{"seconds": 1}})
	require.ErrorContains(t, err, "unknown tool", "no sandbox tools outside the sandbox")

	require.NoError(t, cs.Close())
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("agentgigs mcp did not end with its stdin")
	}
}

func TestMCPCommandNeedsAValidKey(t *testing.T) {
	t.Parallel()
	err := mcpStdio(t.Context(), nil, noEnv, nil, io.Discard, io.Discard)
	require.ErrorContains(t, err, "AGENTGIGS_API_KEY is required")
	env := func(k string) string { return map[string]string{envAPIKey: "agk_nope"}[k] }
	require.ErrorContains(t, mcpStdio(t.Context(), nil, env, nil, io.Discard, io.Discard), "UNAUTHENTICATED")
}

func TestServeMountsMCP(t *testing.T) {
	t.Parallel()
	status, p := callJSON(t, http.MethodPost, startServer(t)+"/mcp", "", map[string]any{"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
	require.Equal(t, http.StatusUnauthorized, status)
	require.Equal(t, "UNAUTHENTICATED", p["code"])
}
