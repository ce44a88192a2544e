package engine

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestDialectSeam pins the dialect seam: engine code outside PostgreSQL's
// implementation (postgres.go, pg*.go, *_postgres.go) never asks whether it
// runs on PostgreSQL; what differs is a method of the dialect.
func TestDialectSeam(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var offenders []string
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") || postgresImplementation(name) {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok && (id.Name == "isPostgres" || id.Name == "postgresDialect") {
				offenders = append(offenders, fset.Position(id.Pos()).String()+": "+id.Name)
			}
			return true
		})
	}
	sort.Strings(offenders)
	if len(offenders) > 0 {
		t.Errorf("engine code outside PostgreSQL's dialect asks for it by name (make the difference a dialect method):\n  %s", strings.Join(offenders, "\n  "))
	}
}

// postgresImplementation reports whether the engine file name is part of
// PostgreSQL's side of the seam.
func postgresImplementation(name string) bool {
	return name == "postgres.go" || strings.HasPrefix(name, "pg") || strings.HasSuffix(name, "_postgres.go")
}
