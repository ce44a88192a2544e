package tui

import (
	"context"
	"strings"
	"testing"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/enginetest"
)

// openA1021 starts the console as Dana on a-1021 (found by its notes).
func openA1021(t *testing.T) (*flow, *engine.Engine) {
	t.Helper()
	e := newEngine(t)
	f := startFlow(t, e, Options{Identity: identity(t, e, "u-dana", ""), Table: "applications"})
	f.waitFor("row 1 of")
	f.key("/")
	f.typeText("sales into")
	f.key("enter")
	f.waitFor("row 1 of 1", "a-1021")
	return f, e
}

// rachelWrites is another user's write landing between Dana's preview and
// her confirmation (as `qb update ... --as u-rachel` would).
func rachelWrites(t *testing.T, e *engine.Engine) {
	t.Helper()
	rachel := enginetest.Member(t, e, "u-rachel", "")
	if _, err := e.Update(context.Background(), rachel, "applications", "a-1021", map[string]any{"notes": "CLI note"}, engine.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
}

func notesOf(t *testing.T, e *engine.Engine) string {
	t.Helper()
	rows := enginetest.Rows(t, enginetest.DB(t, e), "SELECT notes FROM applications WHERE id = 'a-1021'")
	s, _ := rows[0][0].(string)
	return s
}

// TestEditChangedSinceYouLooked (issue 15, defect 1): an edit previewed,
// then written over by another user, then confirmed is not written over
// their change: the console previews again against the row as it is now
// ("changed since you looked", who and when) and asks again.
func TestEditChangedSinceYouLooked(t *testing.T) {
	f, e := openA1021(t)
	f.key("e")
	f.waitFor("Edit applications a-1021", "┃ notes")
	f.key("ctrl+u")
	f.typeText("console note")
	f.key("enter")
	f.waitFor("Update applications a-1021 — preview", "console note", "Write it? (y/N)")
	rachelWrites(t, e)
	f.key("y")
	v := f.waitFor("Changed since you looked", "Write it? (y/N)")
	for _, want := range []string{"written at 2026-03-02T09:00:00.000Z by u-rachel", "Nothing was written", "CLI note → console note"} {
		if !strings.Contains(v, want) {
			t.Errorf("the preview made again lacks %q:\n%s", want, v)
		}
	}
	if got := notesOf(t, e); got != "CLI note" {
		t.Fatalf("Rachel's note was overwritten before Dana confirmed again: %q", got)
	}
	f.key("y")
	f.waitFor("updated applications a-1021")
	if got := notesOf(t, e); got != "console note" {
		t.Fatalf("notes after the second confirmation: %q", got)
	}
}

// TestActionChangedSinceYouLooked: the same for an action previewed from
// the action list.
func TestActionChangedSinceYouLooked(t *testing.T) {
	f, e := openA1021(t)
	f.key("a")
	f.waitFor("Actions on applications a-1021")
	f.key("enter")
	f.waitFor("Run advanceStage on applications a-1021", "┃ stage")
	f.key("enter") // stage: interview (the first allowed)
	f.key("enter") // note: none
	f.waitFor("Run advanceStage on applications a-1021 — preview", "Run it? (y/N)")
	rachelWrites(t, e)
	f.key("y")
	v := f.waitFor("Changed since you looked", "Run it? (y/N)")
	if !strings.Contains(v, "by u-rachel") || !strings.Contains(v, "screening → interview") {
		t.Errorf("the preview made again:\n%s", v)
	}
	f.key("n")
	f.waitFor("not written")
	rows := enginetest.Rows(t, enginetest.DB(t, e), "SELECT stage FROM applications WHERE id = 'a-1021'")
	if rows[0][0] != "screening" {
		t.Fatalf("stage after No: %v", rows[0][0])
	}
}
