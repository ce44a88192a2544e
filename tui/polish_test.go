package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// After a refused submit the form reopens focused on the first field with
// a problem (not on its first field), the fields in their order.
func TestRefusedFormFocusesProblemField(t *testing.T) {
	e := newEngine(t)
	f := startFlow(t, e, Options{Identity: identity(t, e, "u-dana", ""), Table: "candidates"})
	f.waitFor("row 1 of")
	f.key("/")
	f.typeText("Jane")
	f.key("enter")
	f.waitFor("row 1 of 1")
	f.key("e")
	f.waitFor("Edit candidates c-jane", "┃ > Jane Doe")
	f.key("enter") // name: kept
	f.waitFor("┃ phone")
	f.key("ctrl+u")
	f.typeText(strings.Repeat("5", 50)) // longer than phone's 40
	f.key("enter")                      // submit
	v := f.waitFor("VALIDATION_FAILED (400)", "✗")
	if !strings.Contains(v, "┃ phone") || strings.Contains(v, "┃ name") {
		t.Fatalf("the reopened form is not focused on phone, the field in error:\n%s", v)
	}
	if strings.Index(v, "name") > strings.Index(v, "phone") {
		t.Fatalf("the fields are not in their order:\n%s", v)
	}
	// Typing goes to phone: fix it and the preview follows.
	f.key("ctrl+u")
	f.typeText("555-0100")
	f.key("enter")
	v = f.waitFor("preview (dry run, nothing written yet)", "555-0100")
	if strings.Contains(v, "VALIDATION_FAILED") {
		t.Fatalf("the fix did not reach phone:\n%s", v)
	}
}

// A table's search, filters, sort and position are remembered for the
// session: switching tables and back restores them.
func TestTableViewRemembered(t *testing.T) {
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

// At 80 columns the identity line keeps the user id, the organization id
// and the role whole, impersonating or not; name and email give way.
func TestHeaderIdentityAt80(t *testing.T) {
	e := newEngine(t)
	m := newModel(t, e, Options{Identity: identity(t, e, "u-dana", ""), Table: "candidates"})
	check := func(what string) {
		t.Helper()
		for _, w := range []int{80, 60} {
			tmResize(m, w, 24)
			line := strings.Split(plain(m), "\n")[1]
			if ansi.StringWidth(line) > w {
				t.Errorf("%s at %d: the identity line is too wide: %q", what, w, line)
			}
			for _, want := range []string{"u-dana", "org acme", "role hiring-manager"} {
				if !strings.Contains(line, want) {
					t.Errorf("%s at %d: the identity line lacks %q: %q", what, w, want, line)
				}
			}
			t.Logf("%s at %d: %q", what, w, line)
		}
	}
	check("launch identity")
	m2 := newModel(t, e, Options{Identity: identity(t, e, "u-rachel", ""), Table: "candidates"})
	drive(m2, m2.switchIdentity(*identity(t, e, "u-dana", "")))
	m = m2
	check("impersonating")
	if !strings.Contains(plain(m), "IMPERSONATING") {
		t.Error("the impersonation badge is gone")
	}
	tmResize(m, 120, 40)
	if line := strings.Split(plain(m), "\n")[1]; !strings.Contains(line, "<dana@") || !strings.Contains(line, "(u-dana)") {
		t.Errorf("at 120 the name and email are not shown in full: %q", line)
	}
}
