package tui

import (
	"context"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/fixtures"
)

// tailSetup is 2,500 generated candidates, the engine's listing of them in
// order, and a console on them as a hiring manager, before Init.
func tailSetup(t *testing.T) (*Model, []string) {
	t.Helper()
	e := newEngine(t)
	ctx := context.Background()
	if _, err := fixtures.Generate(ctx, e, "candidates", fixtures.GenerateOptions{Rows: 2500, Orgs: 1, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	id := memberOf(t, e, "gen-org-001", "hiring-manager")
	var ids []string
	q := engine.ListQuery{Limit: engine.MaxLimit}
	for {
		page, err := e.List(ctx, id, "candidates", q)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Rows {
			ids = append(ids, r.ID())
		}
		if page.Next == "" {
			break
		}
		q.Cursor = page.Next
	}
	return New(e, Options{Identity: &id, Table: "candidates", Clipboard: &syncBuffer{}}), ids
}

// deliver hands msgs to the model, runs what follows, and returns how
// many pages were fetched.
func deliver(m *Model, msgs []tea.Msg) int {
	pages := 0
	for _, msg := range msgs {
		if _, ok := msg.(pageMsg); ok {
			pages++
		}
		_, cmd := m.Update(msg)
		more := collect(cmd)
		pages += deliver(m, more)
	}
	return pages
}

func selectedID(t *testing.T, m *Model) string {
	t.Helper()
	r, ok := m.grid.selected()
	if !ok {
		t.Fatalf("the selected row (%d) is not loaded", m.grid.res.pos)
	}
	return r.ID()
}

// TestBottomReadsTheLastPage (issue 15, defect 4): G on a long result goes
// to its last row at once — one page read, the query reversed — not 100
// rows per press; the grid pages up from there; g goes back to the first.
func TestBottomReadsTheLastPage(t *testing.T) {
	t.Parallel()
	m, ids := tailSetup(t)
	deliver(m, collect(m.Init()))
	if got := m.grid.position(); got != "row 1 of 2,500" {
		t.Fatalf("before G: %q", got)
	}
	_, cmd := m.Update(keyMsg("G"))
	if pages := deliver(m, collect(cmd)); pages > 2 {
		t.Errorf("G read %d pages, want the last one (and the one above)", pages)
	}
	if got := m.grid.position(); got != "row 2,500 of 2,500" {
		t.Fatalf("after one G: %q", got)
	}
	if got := selectedID(t, m); got != ids[2499] {
		t.Fatalf("G selected %s, the last row is %s", got, ids[2499])
	}
	press(m, "k")
	if got := selectedID(t, m); got != ids[2498] {
		t.Fatalf("up from the last row: %s, want %s", got, ids[2498])
	}
	for i := 0; i < 30; i++ {
		press(m, "pgup")
		if got := selectedID(t, m); got != ids[m.grid.res.pos] {
			t.Fatalf("after %d pages up, row %d is %s, want %s", i+1, m.grid.res.pos, got, ids[m.grid.res.pos])
		}
	}
	if len(m.grid.res.pages) > 2*keepPages+3 {
		t.Errorf("%d pages kept in memory", len(m.grid.res.pages))
	}
	press(m, "g")
	if got := selectedID(t, m); m.grid.res.pos != 0 || got != ids[0] {
		t.Fatalf("g: row %d %s, want the first, %s", m.grid.res.pos, got, ids[0])
	}
	press(m, "G")
	if got := selectedID(t, m); got != ids[2499] {
		t.Fatalf("G again: %s", got)
	}
}

// TestBottomBeforeTheCount: G pressed before the total is known waits for
// it, then goes to the last row.
func TestBottomBeforeTheCount(t *testing.T) {
	t.Parallel()
	m, ids := tailSetup(t)
	var later []tea.Msg
	for _, msg := range collect(m.Init()) {
		_, cmd := m.Update(msg)
		later = append(later, collect(cmd)...) // the count, not delivered yet
	}
	if got := m.grid.position(); got != "row 1 of ?" {
		t.Fatalf("before the count: %q", got)
	}
	_, cmd := m.Update(keyMsg("G"))
	later = append(later, collect(cmd)...)
	deliver(m, later)
	if got := selectedID(t, m); m.grid.position() != "row 2,500 of 2,500" || got != ids[2499] {
		t.Fatalf("G before the count: %q, %s", m.grid.position(), got)
	}
}
