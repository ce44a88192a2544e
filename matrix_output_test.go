package main

import (
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/muesli/termenv"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/enginetest"
	"quickback.dev/qb/schema"
	"quickback.dev/qb/tui"
)

// `qb matrix` of the default project, every table.
func TestCLIMatrixGolden(t *testing.T) {
	p := newAuditProject(t)
	out, errw, code := p.qb("matrix")
	if code != 0 {
		t.Fatalf("qb matrix: exit %d: %s", code, errw)
	}
	golden.RequireEqual(t, []byte(out))
}

// matrixCells is one table of a matrix as a front end shows it: the text
// of every role's cell by "section/item/role", and the notes.
type matrixCells struct {
	cells map[string]string
	notes []string
}

var (
	matrixSplit = regexp.MustCompile(`\s{2,}`)
	matrixNote  = regexp.MustCompile(`^\s+\[(\d+)\] (.*)$`)
	matrixTitle = regexp.MustCompile(`^== (\S+)`)
)

// parseMatrixText reads the aligned sections of a matrix as printed by the
// command line (tables titled "== T ==") or shown by the console (the one
// table named first): a header line names the section and the roles, the
// rows under it have as many columns.
func parseMatrixText(text, table string, roles []string) map[string]*matrixCells {
	out := map[string]*matrixCells{}
	cur := func() *matrixCells {
		if out[table] == nil {
			out[table] = &matrixCells{cells: map[string]string{}}
		}
		return out[table]
	}
	var kind string
	var header []string
	for _, line := range strings.Split(text, "\n") {
		if m := matrixTitle.FindStringSubmatch(line); m != nil {
			table, header = m[1], nil
			continue
		}
		if m := matrixNote.FindStringSubmatch(line); m != nil {
			cur().notes = append(cur().notes, m[2])
			continue
		}
		cols := matrixSplit.Split(strings.TrimSpace(line), -1)
		switch k := strings.ToLower(cols[0]); {
		case (k == "operation" || k == "field" || k == "action") && len(cols) > len(roles):
			kind, header = k, cols
			continue
		case header == nil || len(cols) != len(header):
			header = nil
			continue
		}
		for i, h := range header {
			if slices.Contains(roles, h) {
				cur().cells[kind+"/"+cols[0]+"/"+h] = cols[i]
			}
		}
	}
	return out
}

// consoleMatrix is the console's matrix view (m) of one table.
func consoleMatrix(t *testing.T, eng *engine.Engine, table string) string {
	t.Helper()
	id := engine.SyntheticIdentity("acme", "owner")
	m := tui.New(eng, tui.Options{Identity: &id, Table: table, DBPath: "hiring.db"})
	m.Init() // sets the table; nothing needs to be read for the matrix
	m.Update(tea.WindowSizeMsg{Width: 220, Height: 200})
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("m")})
	v := m.View()
	if !strings.Contains(v, "Access matrix") {
		t.Fatalf("m did not open the matrix of %s:\n%s", table, v)
	}
	return v
}

// The console's matrix and `qb matrix` agree cell by cell, and on the
// notes the cells refer to, for every table of the default project (the
// console once showed interviewers as raw on ats_imports.candidateEmail,
// a table they may neither list nor get).
func TestMatrixConsoleAgreesWithCLI(t *testing.T) {
	lipgloss.SetColorProfile(termenv.Ascii)
	p := newAuditProject(t)
	cfgPath := filepath.Join(p.dir, "quickback.toml")
	cfg, err := schema.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	eng := enginetest.Open(t, enginetest.WithConfig(cfg), enginetest.At(filepath.Join(p.dir, "hiring.db")))
	mx, err := engine.BuildMatrix(cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	out, errw, code := p.qb("matrix")
	if code != 0 {
		t.Fatalf("qb matrix: exit %d: %s", code, errw)
	}
	cli := parseMatrixText(out, "", mx.Roles)
	for _, tbl := range cfg.Tables {
		want := cli[tbl.Name]
		if want == nil || len(want.cells) == 0 {
			t.Fatalf("qb matrix shows no cells for %s", tbl.Name)
		}
		got := parseMatrixText(consoleMatrix(t, eng, tbl.Name), tbl.Name, mx.Roles)[tbl.Name]
		if got == nil {
			t.Fatalf("the console shows no cells for %s", tbl.Name)
		}
		nFields := len(tbl.Columns) * len(mx.Roles)
		if n := len(want.cells); n < (5*len(mx.Roles) + nFields) {
			t.Errorf("%s: qb matrix shows %d cells, want at least %d", tbl.Name, n, 5*len(mx.Roles)+nFields)
		}
		for k, w := range want.cells {
			if g, ok := got.cells[k]; !ok {
				t.Errorf("%s %s: the console shows no cell, qb matrix %q", tbl.Name, k, w)
			} else if g != w {
				t.Errorf("%s %s: the console shows %q, qb matrix %q", tbl.Name, k, g, w)
			}
		}
		for k, g := range got.cells {
			if _, ok := want.cells[k]; !ok {
				t.Errorf("%s %s: the console shows %q, qb matrix nothing", tbl.Name, k, g)
			}
		}
		if !slices.Equal(got.notes, want.notes) {
			t.Errorf("%s notes: the console %q, qb matrix %q", tbl.Name, got.notes, want.notes)
		}
	}
}
