package tui

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/enginetest"
)

// numberedNote is a note of about 1,200 characters whose words are
// numbered, so any part of it can be looked for.
func numberedNote() string {
	var b strings.Builder
	for i := 1; b.Len() < 1180; i++ {
		fmt.Fprintf(&b, "w%03d ", i)
	}
	return strings.TrimSpace(b.String()) + " LASTWORD"
}

// TestLongValues (issue 15, defect 5): a long note is shown whole in the
// detail (wrapped, scrolled), edited in a text area, and its edit preview
// is a word diff — not two identical cut prefixes.
func TestLongValues(t *testing.T) {
	e := newEngine(t)
	note := numberedNote()
	dana := enginetest.Member(t, e, "u-dana", "")
	if _, err := e.Update(context.Background(), dana, "applications", "a-1001", map[string]any{"notes": note}, engine.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	f := startFlow(t, e, Options{Identity: &dana, Table: "applications"})
	f.waitFor("row 1 of")
	f.key("/")
	f.typeText("LASTWORD")
	f.key("enter")
	f.waitFor("row 1 of 1", "a-1001")

	// Detail: every word of the note, over several lines, scrolled to.
	f.key("enter")
	seen := f.waitFor("applications a-1001", "value as seen")
	for i := 0; i < 5 && !strings.Contains(seen, "LASTWORD"); i++ {
		f.key("pgdown")
		seen += f.waitFor("applications a-1001")
	}
	for _, w := range []string{"w001", "w100", "w200", "LASTWORD"} {
		if !strings.Contains(seen, w) {
			t.Errorf("the detail never shows %q:\n%s", w, seen)
		}
	}
	f.key("esc")

	// Edit: a text area holding the note; a word added at the end.
	f.key("e")
	v := f.waitFor("Edit applications a-1001", "┃ notes")
	if strings.Contains(v, "┃ > w001") {
		t.Fatalf("the long note is edited on one line:\n%s", v)
	}
	f.typeText(" ADDED")
	f.key("enter")
	v = f.waitFor("Update applications a-1001 — preview", "Write it? (y/N)")
	if !strings.Contains(v, "LASTWORD {+ADDED+}") || !strings.Contains(v, "… ") {
		t.Errorf("the preview is not a word diff of the note:\n%s", v)
	}
	if strings.Count(v, "w001") > 1 {
		t.Errorf("the preview shows the note's start twice:\n%s", v)
	}
	f.key("y")
	f.waitFor("updated applications a-1001")
	rows := enginetest.Rows(t, enginetest.DB(t, e), "SELECT notes FROM applications WHERE id = 'a-1001'")
	if rows[0][0] != note+" ADDED" {
		t.Fatalf("notes written: %q", rows[0][0])
	}
}
