package proofhosttest

import (
	"testing"

	"github.com/hashicorp/go-plugin"
	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/adapters/proofhost"
	"github.com/agentgigs/agentgigs/core/ports"
	"github.com/agentgigs/agentgigs/plugins/proofer"
)

// InProcess returns impl as a ports.Proofer called directly in this process, through the host's
// adapter (timeout and scorecard validation).
func InProcess(t testing.TB, impl proofer.Proofer) ports.Proofer {
	t.Helper()
	p, err := proofhost.New(t.Context(), impl, 0)
	require.NoError(t, err)
	return p
}

// OverGRPC returns impl as a ports.Proofer reached over a real gRPC connection in this process
// (go-plugin's TestPluginGRPCConn): the plugin's server side and the host's client side of the
// SDK, with everything that crosses the wire, but no child process.
func OverGRPC(t testing.TB, impl proofer.Proofer) ports.Proofer {
	t.Helper()
	client, _ := plugin.TestPluginGRPCConn(t, false, map[string]plugin.Plugin{proofer.PluginName: &proofer.GRPCPlugin{Impl: impl}})
	t.Cleanup(func() { client.Close() })
	raw, err := client.Dispense(proofer.PluginName)
	require.NoError(t, err)
	return InProcess(t, raw.(proofer.Proofer))
}

// Executable builds the plugin's main package pkg (see Build) once and returns a factory of
// ports.Proofer, each a new process of the executable loaded by the host (proofhost.Load) with
// opts and closed when its test ends: the plugin exactly as the server runs it.
func Executable(t testing.TB, pkg string, opts proofhost.Options) func(t *testing.T) ports.Proofer {
	t.Helper()
	bin, err := Build(pkg, t.TempDir(), "plugin")
	require.NoError(t, err)
	return func(t *testing.T) ports.Proofer {
		t.Helper()
		dir := t.TempDir()
		_, err := Install(bin, dir)
		require.NoError(t, err)
		ps, err := proofhost.Load(dir, opts)
		require.NoError(t, err)
		require.Len(t, ps, 1)
		t.Cleanup(ps[0].Close)
		return ps[0]
	}
}
