package tui

import (
	"strings"
	"testing"
)

// headerLine is the grid's column header line (the line after its title).
func headerLine(v string) string {
	lines := strings.Split(v, "\n")
	for i, l := range lines {
		if strings.Contains(l, " │ ") && i+1 < len(lines) && strings.Contains(lines[i+1], "┼") {
			return l
		}
	}
	return ""
}

// H lists the columns; space hides the one under the cursor and the grid
// follows at once; the choice stays with the table for the session and
// space again shows the column. The pinned column cannot be hidden.
func TestColumnsHideAndShow(t *testing.T) {
	e := newEngine(t)
	f := startFlow(t, e, Options{Identity: identity(t, e, "u-dana", ""), Table: "candidates"})
	v := f.waitFor("row 1 of 14")
	if !strings.Contains(headerLine(v), "email") {
		t.Fatalf("email is not shown to begin with:\n%s", v)
	}
	f.key("H")
	v = f.waitFor("Columns of candidates", "[x] email")
	if !strings.Contains(v, "name  pinned: always shown") {
		t.Errorf("the pinned column is not marked:\n%s", v)
	}
	f.key("down") // cursor starts on the first column after the pinned one: id; down is email
	f.key(" ")
	f.waitFor("[ ] email")
	f.key("esc")
	v = f.waitFor("row 1 of 14")
	if h := headerLine(v); strings.Contains(h, "email") || !strings.Contains(h, "phone") {
		t.Errorf("header after hiding email: %q", h)
	}
	f.key("tab")
	f.waitView("the next table", func(string) bool { return f.m.grid.t.Name != "candidates" })
	f.key("shift+tab")
	v = f.waitFor("row 1 of 14")
	if h := headerLine(v); strings.Contains(h, "email") {
		t.Errorf("email came back after leaving the table: %q", h)
	}
	f.key("H", "up", " ")
	f.waitFor("name is pinned: it is always shown")
	f.key("down", "down", " ")
	f.waitFor("[x] email")
	f.key("H")
	v = f.waitFor("row 1 of 14")
	if !strings.Contains(headerLine(v), "email") {
		t.Errorf("email is not shown again: %q", headerLine(v))
	}
}

// - removes the filter (and sort) of the selected column only; the other
// column's filter stays. On a column without one it names the filtered
// columns.
func TestRemoveOneFilter(t *testing.T) {
	e := newEngine(t)
	f := startFlow(t, e, Options{Identity: identity(t, e, "u-dana", ""), Table: "candidates"})
	f.waitFor("row 1 of 14")
	filter := func(text string) {
		f.key("f")
		f.waitFor("┃ operator")
		f.key("enter")
		f.waitFor("┃ value")
		f.typeText(text)
		f.key("enter")
	}
	filter("a") // name contains a
	f.waitFor("filter name~a")
	f.key("right", "right", "right", "right", "right") // id, email, phone, resumeUrl, source
	f.waitView("source selected", func(string) bool { return f.m.grid.selectedColumn().Name == "source" })
	f.key("f")
	f.waitFor("┃ operator")
	f.key("enter") // "=" equals: the default for an enum
	f.waitFor("┃ value")
	f.typeText("referral")
	f.key("enter")
	f.waitFor("filter name~a · filter source=referral")
	f.key("left")
	f.waitView("resumeUrl selected", func(string) bool { return f.m.grid.selectedColumn().Name == "resumeUrl" })
	f.key("-")
	f.waitFor("no filter on resumeUrl to remove; filtered: name, source")
	f.key("right", "-")
	v := f.waitFor("removed the filter and sort on source")
	if !strings.Contains(v, "filter name~a") || strings.Contains(v, "source=referral") {
		t.Errorf("- did not remove only the source filter:\n%s", v)
	}
}
