package tui

import (
	"strings"
	"testing"
)

// The palette (:) finds a table, an identity and an action by fuzzy
// match, and choosing one does what its key would: the table opens, the
// console acts as the identity, the action's form opens for the selected
// row.
func TestPaletteJumpSwitchRun(t *testing.T) {
	e := newEngine(t)
	f := startFlow(t, e, Options{Identity: identity(t, e, "u-dana", ""), Table: "jobs"})
	f.waitFor("j-firmware")

	f.key(":")
	f.typeText("intnot")
	v := f.waitFor("Command", "table interview_notes")
	if !strings.Contains(strings.Split(v, "\n")[5], "table interview_notes") {
		t.Errorf("the best match is not first:\n%s", v)
	}
	f.key("enter")
	f.waitView("interview notes opened", func(v string) bool {
		return f.m.grid.t != nil && f.m.grid.t.Name == "interview_notes" && f.m.mode == modeBrowse
	})

	f.key(":")
	f.typeText("ivan")
	f.waitFor("as Ivan Petrov")
	f.key("enter")
	f.waitFor("now acting as Ivan Petrov (u-ivan)", "role interviewer")

	f.key(":")
	f.typeText("applications")
	f.waitFor("table applications")
	f.key("enter")
	f.waitFor("a-1021")
	f.key(":")
	f.typeText("submitscore")
	f.waitFor("run submitScore on a-1021")
	f.key("enter")
	f.waitFor("Run submitScore on applications a-1021 as Ivan Petrov")
}

// An action the identity may not run is refused by name with the
// engine's reason; in --read-only an available action is not run.
func TestPaletteActionRefusedAndReadOnly(t *testing.T) {
	e := newEngine(t)
	f := startFlow(t, e, Options{Identity: identity(t, e, "u-ivan", ""), Table: "applications"})
	f.waitFor("a-1021")
	f.key(":")
	f.typeText("advance")
	f.waitFor("run advanceStage on a-1021")
	f.key("enter")
	f.waitFor("advanceStage: ACCESS_ROLE_REQUIRED")

	ro := startFlow(t, e, Options{Identity: identity(t, e, "u-dana", ""), Table: "applications", ReadOnly: true})
	ro.waitFor("a-1021")
	ro.key(":")
	ro.typeText("advance")
	ro.waitFor("run advanceStage on a-1021")
	ro.key("enter")
	ro.waitFor("read-only session: advanceStage is available to this identity but is not run")
}

// Views are in the palette under their help text; nothing matching says
// so, and esc goes back without doing anything.
func TestPaletteViewsAndNothing(t *testing.T) {
	e := newEngine(t)
	f := startFlow(t, e, Options{Identity: identity(t, e, "u-dana", ""), Table: "jobs"})
	f.waitFor("j-firmware")
	f.key(":")
	f.typeText("matrix")
	f.waitFor("access matrix (m)")
	f.key("enter")
	f.waitFor("Access matrix")
	f.key("esc", ":")
	f.typeText("zzzzqqq")
	f.waitFor("nothing matches")
	f.key("esc")
	f.waitView("back to browsing", func(string) bool { return f.m.mode == modeBrowse })
}

// "dana as interviewer" in the palette acts as Dana with the role
// overridden, as the picker's override does.
func TestPaletteRoleOverride(t *testing.T) {
	e := newEngine(t)
	f := startFlow(t, e, Options{Identity: identity(t, e, "u-dana", ""), Table: "candidates"})
	f.waitFor("jane@example.com")
	f.key(":")
	f.typeText("dana as interviewer")
	f.waitFor("as Dana Reyes · u-dana", "interviewer ← hiring-manager")
	f.key("enter")
	v := f.waitFor("OVERRIDE", "j***@e******.com")
	if id := f.m.s.id; id.Role != "interviewer" || id.RealRole != "hiring-manager" {
		t.Errorf("acting as %+v:\n%s", id, v)
	}
}
