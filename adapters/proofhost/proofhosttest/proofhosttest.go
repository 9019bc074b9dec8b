// Package proofhosttest helps test proofer plugins at the three depths the conformance suite
// (conformance.Proofer) should see them: called in process (InProcess), over a real gRPC
// connection (OverGRPC), and as a built executable run by the host the way the server runs it
// (Executable, built with Build and placed in plugin directories with Install).
package proofhosttest

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
)

// Build compiles the main package pkg (an import path, or a directory relative to the test's
// package such as "." or "./testdata/flaky") with `go build` into the executable dir/name, and
// returns its path. It may be called from TestMain.
func Build(pkg, dir, name string) (string, error) {
	out := filepath.Join(dir, name)
	b, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
	}
	return out, nil
}

// Install links (or, across file systems, copies) the executable at path into dir, keeping its
// name, and returns the new path: a test builds a plugin once and installs it in each plugin
// directory it loads. Replace an installed file by removing it first: the link shares its content.
func Install(path, dir string) (string, error) {
	out := filepath.Join(dir, filepath.Base(path))
	if os.Link(path, out) == nil {
		return out, nil
	}
	src, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer src.Close()
	dst, err := os.OpenFile(out, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o755)
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return "", err
	}
	return out, dst.Close()
}
