package tui

import (
	"context"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/schema"
)

// resize lays the model out for w×h as a terminal resize would.
func resize(m *Model, w, h int) {
	_, cmd := m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	drive(m, cmd)
}

// dataColumns are the column headers right of the pinned column.
func dataColumns(m *Model) []string {
	for _, l := range strings.Split(plain(m), "\n") {
		if i := strings.Index(l, "│"); i >= 0 && !strings.Contains(l, "›") {
			return strings.Fields(l[i+len("│"):])
		}
	}
	return nil
}

// TestSidebarCollapses (issue 15, defect 9): under 100 columns the table
// list gives its room to the grid; ctrl+b shows or hides it at any width.
func TestSidebarCollapses(t *testing.T) {
	e := newEngine(t)
	m := newModel(t, e, Options{Identity: identity(t, e, "u-dana", ""), Table: "candidates"})
	ctrlB := tea.KeyMsg{Type: tea.KeyCtrlB}
	for _, c := range []struct {
		w, h  int
		shown bool
	}{{120, 40, true}, {99, 30, false}, {80, 24, false}, {40, 12, false}} {
		resize(m, c.w, c.h)
		if got := strings.Contains(plain(m), "TABLES"); got != c.shown {
			t.Errorf("%d×%d: sidebar shown %v, want %v", c.w, c.h, got, !got)
		}
		press2(m, ctrlB)
		if got := strings.Contains(plain(m), "TABLES"); got == c.shown {
			t.Errorf("%d×%d: ctrl+b left the sidebar shown %v", c.w, c.h, got)
		}
		press2(m, ctrlB)
	}
	resize(m, 80, 24)
	if cols := dataColumns(m); len(cols) < 3 {
		t.Errorf("80×24: data columns %v, want several beside the pinned one:\n%s", cols, plain(m))
	}
	resize(m, 40, 12)
	if cols := dataColumns(m); len(cols) < 1 {
		t.Errorf("40×12: no data column beside the pinned one:\n%s", plain(m))
	}
}

func press2(m *Model, msg tea.Msg) {
	_, cmd := m.Update(msg)
	drive(m, cmd)
}

// TestNumbersNeverCut (issue 15, defect 9): a number is right-aligned and
// shown whole or not at all — never a prefix reading as another number.
func TestNumbersNeverCut(t *testing.T) {
	e := newEngine(t)
	m := newModel(t, e, Options{Identity: identity(t, e, "u-rachel", ""), Table: "jobs"})
	for w := 60; w <= 140; w += 3 {
		resize(m, w, 30)
		for _, n := range []string{"150000", "120000", "185000", "160000", "130000"} {
			if strings.Contains(plain(m), n[:4]+"…") || strings.Contains(plain(m), n[:5]+"…") {
				t.Fatalf("width %d: %s cut to a prefix:\n%s", w, n, plain(m))
			}
		}
	}
	resize(m, 140, 30)
	v := plain(m)
	if !strings.Contains(v, "    65000") || !strings.Contains(v, "   150000") {
		t.Errorf("numbers are not right-aligned:\n%s", v)
	}
}

// TestColumnWidthsFollowTheRowsInView (issue 15, defect 9): a column
// widens for a long value in view and narrows once it has scrolled away.
func TestColumnWidthsFollowTheRowsInView(t *testing.T) {
	e := newEngine(t)
	dana := identity(t, e, "u-dana", "")
	if _, err := e.Update(context.Background(), *dana, "jobs", "j-sales-ae", map[string]any{"department": "Sales and Industrial Partnerships"}, engine.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	m := newModel(t, e, Options{Identity: dana, Table: "jobs"})
	resize(m, 140, 9) // one row in view
	press(m, "F")
	drive(m, m.grid.setQuery(querySpec{table: "jobs", sort: []schema.SortKey{{Column: "department", Desc: true}}}))
	wide := m.grid.colWidth(colIndex(m, "department"))
	press(m, "G")
	narrow := m.grid.colWidth(colIndex(m, "department"))
	press(m, "g")
	again := m.grid.colWidth(colIndex(m, "department"))
	if !(wide > narrow && again == wide) {
		t.Fatalf("department widths: first row %d, last row %d, first again %d:\n%s", wide, narrow, again, plain(m))
	}
}

func colIndex(m *Model, name string) int {
	for oi, ci := range m.grid.order {
		if m.grid.t.Columns[ci].Name == name {
			return oi
		}
	}
	return -1
}

// TestNarrowCompareAndHelp (issue 15, defect 9): at 80 columns the compare
// keeps a masked phone's last four digits, and at 40 the help wraps its
// descriptions rather than cutting them.
func TestNarrowCompareAndHelp(t *testing.T) {
	e := newEngine(t)
	m := newModel(t, e, Options{Identity: identity(t, e, "u-dana", ""), Table: "candidates"})
	drive(m, m.grid.setQuery(querySpec{table: "candidates", search: "Jane"}))
	resize(m, 80, 24)
	press(m, "c")
	var all string
	for range 8 {
		all += plain(m)
		press(m, "pgdown")
	}
	if !strings.Contains(all, "◆***-***-4567") || !strings.Contains(all, "555-123-4567") {
		t.Errorf("the compare at 80 columns loses the phone:\n%s", all)
	}
	press(m, "esc")
	resize(m, 40, 12)
	press(m, "?")
	all = ""
	for range 20 {
		all += plain(m) + "\n"
		press(m, "pgdown")
	}
	for _, l := range strings.Split(all, "\n") {
		if strings.Contains(l, "…") && !strings.Contains(l, "more lines") && !strings.Contains(l, "QUICKBACK") && !strings.Contains(l, "IMPERSONATING") {
			t.Errorf("a help line is cut at 40 columns: %q", l)
		}
	}
	if !strings.Contains(all, "show or hide the table list") {
		t.Errorf("the help lacks a description:\n%s", all)
	}
}
