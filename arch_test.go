package agentgigs_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const module = "github.com/agentgigs/agentgigs"

// within reports whether import path p is dir of this module or below it.
func within(p, dir string) bool {
	d := module + "/" + dir
	return p == d || strings.HasPrefix(p, d+"/")
}

// isStd reports whether p is a standard library path: its first element has no dot.
func isStd(p string) bool {
	first, _, _ := strings.Cut(p, "/")
	return !strings.Contains(first, ".")
}

// importRule returns why file (slash-separated, relative to the repo root) may not import p, or ""
// when it may. The rules are DESIGN §2.
func importRule(file, p string) string {
	parts := strings.Split(file, "/")
	switch {
	case parts[0] == "core" && !isStd(p) && !within(p, "core"):
		return "core imports only the standard library and core"
	case len(parts) > 1 && parts[0] == "core" && parts[1] == "ports" && within(p, "core/market"):
		return "the ports do not import the use cases"
	case parts[0] == "adapters" && within(p, "adapters"):
		own := ""
		if len(parts) > 2 { // adapters/X/...; a file directly in adapters/ belongs to no adapter
			own = parts[1]
		}
		if other, _, _ := strings.Cut(strings.TrimPrefix(p, module+"/adapters/"), "/"); p == module+"/adapters" || other != own {
			return "an adapter does not import another adapter"
		}
	}
	if parts[0] != "apps" && within(p, "apps") {
		return "only apps import apps"
	}
	return ""
}

func TestImportRule(t *testing.T) {
	t.Parallel()

	tests := []struct {
		file, imp string
		ok        bool
	}{
		{"core/job/job.go", "time", true},
		{"core/job/job.go", "math/rand/v2", true},
		{"core/job/job.go", module + "/core/money", true},
		{"core/market/service.go", module + "/core/ports", true},
		{"core/market/service.go", module + "/ports", false},
		{"core/market/service.go", module + "/adapters/memory", false},
		{"core/market/service.go", module + "/testkit", false},
		{"core/job/job.go", module + "/adapters/memory", false},
		{"core/job/job.go", "github.com/stretchr/testify/require", false},
		{"core/job/job.go", "golang.org/x/sync/errgroup", false},
		{"core/job/job.go", module + "/core2/x", false},
		{"core/job/job.go", module, false},
		{"core/ports/store.go", module + "/core/ledger", true},
		{"core/ports/store.go", "context", true},
		{"core/ports/store.go", module + "/core/market", false},
		{"core/ports/store.go", module + "/adapters/memory", false},
		{"core/ports/store.go", module + "/testkit", false},
		{"core/ports/store.go", "github.com/jackc/pgx/v5", false},
		{"adapters/memory/store.go", module + "/core/ports", true},
		{"adapters/memory/store.go", module + "/core/job", true},
		{"adapters/memory/sub/x.go", module + "/adapters/memory/internal", true},
		{"adapters/postgres/db.go", "github.com/jackc/pgx/v5", true},
		{"adapters/postgres/db.go", module + "/adapters/memory", false},
		{"adapters/postgres/db.go", module + "/adapters/memorydb", false},
		{"adapters/postgres/db.go", module + "/adapters", false},
		{"adapters/postgres/db.go", module + "/apps/agentgigs", false},
		{"adapters/doc.go", module + "/adapters/memory", false},
		{"testkit/testkit.go", module + "/adapters/memory", true},
		{"testkit/testkit.go", module + "/apps/agentgigs", false},
		{"plugins/sdk/sdk.go", module + "/apps/agentgigs/internal", false},
		{"main.go", module + "/apps", false},
		{"apps/agentgigs/main.go", module + "/apps/agentgigs/web", true},
		{"apps/agentgigs/main.go", module + "/adapters/memory", true},
		{"apps/agentgigs/main.go", module + "/appsx", true},
	}
	for _, tt := range tests {
		t.Run(tt.file+" imports "+tt.imp, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.ok, importRule(tt.file, tt.imp) == "", "rule says %q", importRule(tt.file, tt.imp))
		})
	}
}

// TestArchitecture parses every non-test Go file of the module and enforces the dependency
// direction of DESIGN §2 (tailscale tstest/deptest in spirit).
func TestArchitecture(t *testing.T) {
	t.Parallel()

	fset := token.NewFileSet()
	files := map[string]int{} // files seen per top-level directory
	var violations []string
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := filepath.ToSlash(p)
		if d.IsDir() {
			name := d.Name()
			switch {
			case rel == ".":
				return nil
			case rel == "tools", strings.HasPrefix(name, "."), strings.HasPrefix(name, "_"), name == "testdata":
				return filepath.SkipDir
			}
			// A nested module is not part of this one.
			if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
				return filepath.SkipDir
			}
			return nil
		}
		if path.Ext(rel) != ".go" || strings.HasSuffix(rel, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		top, _, _ := strings.Cut(rel, "/")
		files[top]++
		for _, imp := range f.Imports {
			ip, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				return err
			}
			if why := importRule(rel, ip); why != "" {
				violations = append(violations, rel+" imports "+ip+": "+why)
			}
		}
		return nil
	})
	require.NoError(t, err)
	require.Positive(t, files["core"], "no Go file found under core/: is the working directory the repo root?")
	require.Positive(t, files["adapters"], "no Go file found under adapters/")
	require.Empty(t, violations, "DESIGN §2 import rules broken:\n%s", strings.Join(violations, "\n"))
	t.Logf("checked Go files per directory: %v", files)
}
