package tui

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/termsafe"
)

// SPEC §5: an exported CSV cell that would start a spreadsheet formula is
// prefixed with an apostrophe.
func TestExportCSVGuardsFormulas(t *testing.T) {
	e := newEngine(t)
	dana := identity(t, e, "u-dana", "")
	for name, email := range map[string]string{"=HYPERLINK(\"http://evil\",\"Jane\")": "f1@example.org", "+1+cmd": "f2@example.org", "@SUM(A1)": "f3@example.org", "-2+3": "f4@example.org"} {
		if _, err := e.Create(context.Background(), *dana, "candidates", map[string]any{"name": name, "email": email}, engine.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	m := newModel(t, e, Options{Identity: dana, Table: "candidates", ExportDir: dir})
	press(m, "x")
	f, err := os.Open(filepath.Join(dir, "candidates-u-dana-hiring-manager.csv"))
	if err != nil {
		t.Fatalf("%v (status %q)", err, m.status)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	guarded := 0
	for _, r := range recs {
		for _, cell := range r {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("exported cell %q starts a formula", cell)
			}
			if strings.HasPrefix(cell, "'=HYPERLINK") || cell == "'+1+cmd" || cell == "'@SUM(A1)" || cell == "'-2+3" {
				guarded++
			}
		}
	}
	if guarded != 4 {
		t.Errorf("%d guarded cells, want 4:\n%v", guarded, recs)
	}
}

// The JSON export escapes what the sanitizer would replace, like --json.
func TestExportJSONEscapesControls(t *testing.T) {
	e := newEngine(t)
	dana := identity(t, e, "u-dana", "")
	name := "Eve\u0085\u202e\u2028\u200b\U000E0041"
	if _, err := e.Create(context.Background(), *dana, "candidates", map[string]any{"name": name, "email": "eve@example.org"}, engine.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	m := newModel(t, e, Options{Identity: dana, Table: "candidates", ExportDir: dir})
	press(m, "X")
	b, err := os.ReadFile(filepath.Join(dir, "candidates-u-dana-hiring-manager.json"))
	if err != nil {
		t.Fatalf("%v (status %q)", err, m.status)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if !termsafe.Safe(line) {
			t.Fatalf("JSON export line %q is outside the sanitizer's allowed set", line)
		}
	}
	var rows []map[string]any
	if err := json.Unmarshal(b, &rows); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range rows {
		found = found || r["name"] == name
	}
	if !found {
		t.Errorf("the escaped name does not decode back to %q", name)
	}
}

// TestExportStatusWords (issue 15, defect 8): the export's status says
// "1 row", and mentions masking only when a value written was masked.
func TestExportStatusWords(t *testing.T) {
	e := newEngine(t)
	for _, c := range []struct {
		user, want, not string
	}{
		{"u-dana", "exported 1 row as shown to candidates-u-dana-hiring-manager.csv", "mask"},
		{"u-ivan", "exported 1 row as shown to candidates-u-ivan-interviewer.csv (masked values stay masked)", "1 rows"},
	} {
		m := newModel(t, e, Options{Identity: identity(t, e, c.user, ""), Table: "candidates", ExportDir: t.TempDir()})
		drive(m, m.grid.setQuery(querySpec{table: "candidates", search: "Jane"}))
		press(m, "x")
		if !strings.Contains(m.status, c.want) || strings.Contains(m.status, c.not) {
			t.Errorf("%s: status %q, want %q", c.user, m.status, c.want)
		}
	}
}
