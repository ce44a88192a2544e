package tui

import (
	"strings"
	"testing"
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
