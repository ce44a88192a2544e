package tui

import (
	"strings"
	"testing"

	"quickback.dev/qb/internal/enginetest"
	"quickback.dev/qb/termsafe"
)

// In the picker, tab overrides the highlighted member's role ("u-dana as
// interviewer"); the header shows it as an override with the role really
// held, and the engine decides as the overriding role (interviewers see
// candidates' emails masked).
func TestPickerRoleOverrideTab(t *testing.T) {
	e := newEngine(t)
	f := startFlow(t, e, Options{Identity: identity(t, e, "u-dana", ""), Table: "candidates"})
	f.waitFor("jane@example.com")
	f.key("i")
	f.waitFor("Act as…")
	f.typeText("u-dana")
	f.waitFor("● current")
	f.key("tab")
	v := f.waitFor("interviewer ← hiring-manager")
	if strings.Contains(v, "● current") {
		t.Errorf("the overridden identity is marked current:\n%s", v)
	}
	f.key("enter")
	v = f.waitFor("role interviewer (override; holds hiring-manager)", "OVERRIDE", "j***@e******.com")
	if strings.Contains(v, "jane@example.com") {
		t.Errorf("acting as an interviewer still shows raw emails:\n%s", v)
	}
	// The picker opens on the overridden identity, marked current; tab
	// cycles on and back to the held role.
	f.key("i")
	f.waitFor("interviewer ← hiring-manager", "● current")
	f.key("tab", "tab", "tab")
	f.waitFor("u-dana", "hiring-manager")
	f.key("enter")
	v = f.waitFor("jane@example.com")
	if strings.Contains(v, "OVERRIDE") || strings.Contains(v, "override;") {
		t.Errorf("back on the held role the header still shows an override:\n%s", v)
	}
}

// "as ROLE" typed at the end of the filter overrides every member shown.
func TestPickerRoleOverrideTyped(t *testing.T) {
	t.Parallel()
	e := newEngine(t)
	m := newModel(t, e, Options{Identity: identity(t, e, "u-dana", ""), Table: "jobs"})
	press(m, "i")
	for _, r := range "dana as recruiter" {
		typeKey(m, r) // no drive: the cursor's blink would be waited for
	}
	v := plain(m)
	if !strings.Contains(v, "recruiter ← hiring-manager") {
		t.Fatalf("typed override not shown:\n%s", v)
	}
	press(m, "enter")
	if id := m.s.id; id.UserID != "u-dana" || id.Role != "recruiter" || id.RealRole != "hiring-manager" {
		t.Fatalf("acting as %+v", id)
	}
	if !strings.Contains(plain(m), "now acting as Dana Reyes (u-dana) · recruiter (override; holds hiring-manager) @ acme") {
		t.Errorf("status line:\n%s", plain(m))
	}
}

// A write as a synthetic identity asks a second time, naming it; No at
// either question writes nothing, Yes at both writes.
func TestSyntheticWriteSecondConfirmation(t *testing.T) {
	t.Parallel()
	e := newEngine(t)
	m := newModel(t, e, Options{Identity: identity(t, e, "u-dana", ""), Table: "applications"})
	press(m, "i")
	for _, r := range "any hiring-manager acme" {
		typeKey(m, r)
	}
	press(m, "enter")
	if !m.s.id.Synthetic {
		t.Fatalf("not synthetic: %+v", m.s.id)
	}
	db := enginetest.DB(t, e)
	before := enginetest.Dump(t, db, "qb_audit")
	press(m, "d")
	if !strings.Contains(plain(m), "Delete it? (y/N)") {
		t.Fatalf("no delete question:\n%s", plain(m))
	}
	press(m, "y")
	v := plain(m)
	for _, want := range []string{"Write as a synthetic identity?", "You act as any hiring-manager of acme (SYNTHETIC)",
		"recorded as user any-hiring-manager@acme", "as any hiring-manager of acme? (y/N)"} {
		if !strings.Contains(v, want) {
			t.Errorf("second question lacks %q:\n%s", want, v)
		}
	}
	press(m, "n")
	if m.mode != modeBrowse || !strings.Contains(plain(m), "not written") || enginetest.Dump(t, db, "qb_audit") != before {
		t.Fatalf("No at the second question wrote or stayed (mode %s):\n%s", m.mode, plain(m))
	}
	press(m, "d", "y", "y")
	if !strings.Contains(plain(m), "deleted applications") || enginetest.Dump(t, db, "qb_audit") == before {
		t.Errorf("Yes twice did not delete:\n%s", plain(m))
	}
	// A real user is asked once.
	m2 := newModel(t, e, Options{Identity: identity(t, e, "u-dana", ""), Table: "applications"})
	press(m2, "d", "y")
	if v := plain(m2); strings.Contains(v, "synthetic") || !strings.Contains(v, "deleted applications") {
		t.Errorf("a real user's delete asked twice:\n%s", v)
	}
}

// At 80 columns the picker's ROLE column is whole: the other columns give
// way (the email first), the tier in parentheses and an override's held
// role included; no line is wider than the screen.
func TestPickerRoleColumnFitsAt80(t *testing.T) {
	e := newEngine(t)
	f := startFlowSized(t, e, Options{Identity: identity(t, e, "u-dana", ""), Table: "candidates"}, 80, 24)
	f.waitFor("row 1 of")
	f.key("i")
	v := f.waitFor("Act as…", "interviewer (admin)", "hiring-manager")
	f.typeText("u-dana")
	f.waitFor("●")
	f.key("tab")
	v += "\n" + f.waitFor("interviewer ← hiring-manager")
	for _, l := range strings.Split(v, "\n") {
		if w := termsafe.Width(l); w > 80 {
			t.Errorf("a line of %d cells: %q", w, l)
		}
	}
}
