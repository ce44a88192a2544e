package tui

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"quickback.dev/qb/engine"
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

// TestRefusalKeepsForm (issue 15, defect 3): a refusal at preview keeps the
// form and what was typed, with the refusal beside the field it concerns —
// a transition to a state not allowed, a create that breaks a unique key.
func TestRefusalKeepsForm(t *testing.T) {
	t.Run("transition not allowed", func(t *testing.T) {
		f, _ := openA1021(t)
		f.key("a")
		f.waitFor("Actions on applications a-1021")
		f.key("enter")
		f.waitFor("Run advanceStage on applications a-1021", "┃ stage")
		f.key("down", "down", "down", "down") // interview, rejected, applied, offer
		f.waitFor("> offer  (not allowed from screening)")
		f.key("enter")
		f.waitFor("┃ note")
		f.typeText("typed note")
		f.key("enter")
		v := f.waitFor("ACCESS_ACTION_NOT_ALLOWED_FOR_STATE", "✗")
		for _, want := range []string{"Run advanceStage on applications a-1021", "typed note", "✗ advanceStage cannot move stage"} {
			if !strings.Contains(v, want) {
				t.Errorf("the kept form lacks %q:\n%s", want, v)
			}
		}
		if strings.Index(v, "✗") > strings.Index(v, "note") {
			t.Errorf("the refusal is not beside stage:\n%s", v)
		}
	})
	t.Run("unique violation", func(t *testing.T) {
		e := newEngine(t)
		f := startFlow(t, e, Options{Identity: identity(t, e, "u-dana", ""), Table: "candidates"})
		f.waitFor("row 1 of")
		f.key("n")
		f.waitFor("New candidates record", "┃ name")
		f.typeText("Jane Clone")
		f.key("enter")
		f.waitFor("┃ email")
		f.typeText("jane@example.com")
		f.key("enter", "enter", "enter", "enter")
		v := f.waitFor("UNIQUE_VIOLATION", "✗")
		for _, want := range []string{"New candidates record", "Jane Clone", "jane@example.com", "✗ a candidates record with the same organizationId, email already exists"} {
			if !strings.Contains(v, want) {
				t.Errorf("the kept form lacks %q:\n%s", want, v)
			}
		}
		if strings.Index(v, "✗") < strings.Index(v, "email") {
			t.Errorf("the refusal is not beside email:\n%s", v)
		}
	})
}

// TestRefusalWithoutFieldAtTop: a refusal that names no field of the form
// is shown whole at the top of the kept form, wrapped, never cut.
func TestRefusalWithoutFieldAtTop(t *testing.T) {
	c := NewCommon(false)
	val := "kept"
	f := &form{c: c, kind: "edit", title: "Edit jobs j-1", fields: []*formField{{name: "title", value: &val}}}
	f.SetSize(60, 20)
	f.start()
	f.setRefusal(engine.Errf(engine.AccessConditionFailed, map[string]any{"rules": "tables.jobs.crud.update.access"},
		"after this update the record would fail the condition of tables.jobs.crud.update.access"))
	v := ansi.Strip(f.View())
	for _, want := range []string{"ACCESS_CONDITION_FAILED (403): after this update the record", "would fail the condition of", "tables.jobs.crud.update.access", "kept"} {
		if !strings.Contains(v, want) {
			t.Errorf("the form lacks %q:\n%s", want, v)
		}
	}
	if strings.Index(v, "ACCESS_CONDITION_FAILED") > strings.Index(v, "title") {
		t.Errorf("the refusal is not at the top:\n%s", v)
	}
}

// TestBurstAndPasteFillTheirFields (issue 15, defect 7): keys typed faster
// than a frame — text, tab, text — and a bracketed paste with tabs in it
// fill one field each, a tab moving to the next field as typed.
func TestBurstAndPasteFillTheirFields(t *testing.T) {
	for _, tc := range []struct {
		name string
		send func(f *flow)
	}{
		{"burst", func(f *flow) {
			for _, msg := range []tea.KeyMsg{
				{Type: tea.KeyRunes, Runes: []rune("Jane Clone")}, {Type: tea.KeyTab},
				{Type: tea.KeyRunes, Runes: []rune("jane.clone@example.com")}, {Type: tea.KeyTab},
				{Type: tea.KeyRunes, Runes: []rune("555-1")},
			} {
				f.tm.Send(msg)
			}
		}},
		{"bracketed paste", func(f *flow) {
			f.tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("Jane Clone\tjane.clone@example.com\t555-1"), Paste: true})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEngine(t)
			f := startFlow(t, e, Options{Identity: identity(t, e, "u-dana", ""), Table: "candidates"})
			f.waitFor("row 1 of")
			f.key("n")
			f.waitFor("New candidates record", "┃ name")
			tc.send(f)
			v := f.waitFor("┃ phone", "555-1")
			for _, want := range []string{"> Jane Clone\n", "> jane.clone@example.com\n", "┃ > 555-1"} {
				if !strings.Contains(v+"\n", want) {
					t.Errorf("the form lacks %q:\n%s", want, v)
				}
			}
			if strings.Contains(v, "Jane Clonejane") || strings.Contains(v, "Clone jane") {
				t.Fatalf("two fields' text landed in one:\n%s", v)
			}
		})
	}
}
