package tui

import (
	"strings"
	"testing"
)

// submitScore inserts into the internal interview_scores, which nobody may
// get: the preview and the result name the inserted row and its fields but
// never show its values (SPEC §3.4).
func TestRunSubmitScoreWithholdsTheScoreRow(t *testing.T) {
	e := newEngine(t)
	f := startFlow(t, e, Options{Identity: identity(t, e, "u-ivan", ""), Table: "applications"})
	f.waitFor("row 1 of")
	f.key("/")
	f.typeText("onsite")
	f.key("enter")
	f.waitFor("row 1 of 1", "interview")
	f.key("a")
	f.waitFor("Actions on applications a-1001", "submitScore")
	f.key("down", "enter")
	f.waitFor("Run submitScore on applications a-1001", "score")
	f.typeText("4")
	f.waitFor("> 4")
	f.key("enter")
	f.waitFor("┃ feedback")
	f.typeText("zebra-secret")
	f.waitFor("┃ zebra-secret") // feedback is free text: a text area
	f.key("enter")
	v := f.waitFor("preview (dry run, nothing written yet)", "Run it? (y/N)")
	if !strings.Contains(v, "values withheld") || strings.Contains(v, "zebra-secret") || !strings.Contains(v, "interview_scores") {
		t.Fatalf("the preview of a withheld insert:\n%s", v)
	}
	f.key("y")
	v = f.waitFor("submitScore ran on applications a-1001", "Not shown")
	if !strings.Contains(v, "values withheld") || strings.Contains(v, "zebra-secret") || !strings.Contains(v, "feedback") {
		t.Fatalf("the result of a withheld insert:\n%s", v)
	}
}
