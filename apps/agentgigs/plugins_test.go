package main

import (
	"io"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/adapters/proofhost/proofhosttest"
)

// TestServeLoadsProoferPlugins starts serve with a plugin directory holding the urlcheck example:
// the banner names the loaded plugin and its account, and the server stops cleanly (the plugin
// process is closed). Without the account, serve refuses to start.
func TestServeLoadsProoferPlugins(t *testing.T) {
	dir := t.TempDir()
	_, err := proofhosttest.Build("github.com/agentgigs/agentgigs/plugins/examples/urlcheck", dir, "urlcheck")
	require.NoError(t, err)

	env := map[string]string{"AGENTGIGS_PLUGINS_DIR": dir, "AGENTGIGS_PLUGIN_ACCOUNT": "acc_ops"}
	_, printed := startServerOutput(t, func(k string) string { return env[k] })
	loaded := regexp.MustCompile(`Proofer plugins: 1 from .* \(urlcheck\), acting as acc_ops\.`)
	require.Eventually(t, func() bool { return loaded.MatchString(printed.String()) }, 10*time.Second, 20*time.Millisecond, printed.String())
	printed.stop()

	err = run(t.Context(), []string{"serve", "--addr", "127.0.0.1:0"}, func(k string) string {
		return map[string]string{"AGENTGIGS_PLUGINS_DIR": dir}[k]
	}, io.Discard, io.Discard)
	require.ErrorContains(t, err, "AGENTGIGS_PLUGIN_ACCOUNT")
}
