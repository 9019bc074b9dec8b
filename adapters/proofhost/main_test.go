package proofhost_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/agentgigs/agentgigs/adapters/proofhost/proofhosttest"
)

// Executables built once for the package's tests, by name: the misbehaving test plugin and both
// example plugins.
var bins = map[string]string{}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "proofhost-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for name, pkg := range map[string]string{
		"flaky":      "./testdata/flaky",
		"urlcheck":   "github.com/agentgigs/agentgigs/plugins/examples/urlcheck",
		"jsonschema": "github.com/agentgigs/agentgigs/plugins/examples/jsonschema",
	} {
		if bins[name], err = proofhosttest.Build(pkg, dir, name); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
