package tui

import (
	"testing"
)

// A table's search, filters, sort and position are remembered for the
// session: switching tables and back restores them.
func TestTableViewRemembered(t *testing.T) {
	t.Parallel()
	e := newEngine(t)
	m := newModel(t, e, Options{Identity: identity(t, e, "u-dana", ""), Table: "candidates"})
	press(m, "/", "e", "x", "a", "m", "p", "l", "e", "enter", "s", "down", "down")
	before := plain(m)
	spec, pos := m.grid.res.spec, m.grid.res.pos
	if spec.search != "example" || len(spec.sort) != 1 || pos != 2 {
		t.Fatalf("setup: search %q sort %v pos %d\n%s", spec.search, spec.sort, pos, before)
	}
	press(m, "shift+tab")
	if m.grid.t.Name != "jobs" || m.grid.res.spec.search != "" || m.grid.res.pos != 0 {
		t.Fatalf("jobs does not start afresh: %s %+v pos %d", m.grid.t.Name, m.grid.res.spec, m.grid.res.pos)
	}
	press(m, "tab")
	if m.grid.t.Name != "candidates" {
		t.Fatalf("tab went to %s", m.grid.t.Name)
	}
	if got := m.grid.res.spec; got.search != "example" || len(got.sort) != 1 || got.sort[0] != spec.sort[0] || m.grid.res.pos != 2 {
		t.Fatalf("candidates lost its view: %+v pos %d\n%s", got, m.grid.res.pos, plain(m))
	}
	if after := plain(m); after != before {
		t.Errorf("the screen differs after coming back:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	// Kept across an identity switch too, like today.
	rachel := identity(t, e, "u-rachel", "")
	drive(m, m.switchIdentity(*rachel))
	press(m, "shift+tab", "tab")
	if got := m.grid.res.spec; got.search != "example" || m.grid.res.pos != 2 {
		t.Fatalf("after a switch candidates lost its view: %+v pos %d", got, m.grid.res.pos)
	}
}
