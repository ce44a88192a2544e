package tui

import (
	"context"
	"regexp"
	"strings"
	"testing"
)

// The audit view lists the log with its chain status and follows entries
// appended while it is open, by this process or any other.
func TestAuditViewFollows(t *testing.T) {
	t.Parallel()
	e := newEngine(t)
	id := identity(t, e, "u-ivan", "")
	f := startFlow(t, e, Options{Identity: id, Table: "candidates"})
	f.waitFor("row 1 of")
	f.key("L")
	v := f.waitFor("Audit log", "chain verified")
	if strings.Contains(v, "j-firmware") {
		t.Fatal("the entry to come is already listed")
	}
	if _, err := e.Get(context.Background(), *id, "jobs", "j-firmware"); err != nil {
		t.Fatal(err)
	}
	v = f.waitFor("j-firmware")
	if !strings.Contains(v, "get") {
		t.Errorf("the new entry does not name its operation:\n%s", v)
	}
	// After closing, polls stop: a further entry is not waited for.
	f.key("esc")
	f.waitFor("row 1 of")
}

// With more entries than the screen holds, the view follows the newest at
// the bottom and keeps its title, the chain's status and the column header.
func TestAuditViewKeepsHeader(t *testing.T) {
	e := newEngine(t)
	id := identity(t, e, "u-ivan", "")
	for i := 0; i < 60; i++ {
		if _, err := e.Get(context.Background(), *id, "jobs", "j-firmware"); err != nil {
			t.Fatal(err)
		}
	}
	f := startFlow(t, e, Options{Identity: id, Table: "candidates"})
	f.waitFor("row 1 of")
	if _, err := e.Get(context.Background(), *id, "jobs", "j-robotics-eng"); err != nil {
		t.Fatal(err)
	}
	f.key("L")
	v := f.waitFor("Audit log", "chain verified", "j-robotics-eng")
	for _, want := range []string{"seq", "outcome", "operation"} {
		if !strings.Contains(v, want) {
			t.Errorf("the column header is gone:\n%s", v)
		}
	}
}

// The audit log shows each entry's outcome within 120 columns (it was the
// tenth column, cut off the screen).
func TestAuditOutcomeVisible(t *testing.T) {
	e := newEngine(t)
	f := startFlow(t, e, Options{Identity: identity(t, e, "u-rachel", ""), Table: "applications"})
	f.waitFor("row 1 of")
	f.key("d") // refused: ACCESS_ROLE_REQUIRED
	f.waitFor("ACCESS_ROLE_REQUIRED (403)")
	f.key("L")
	f.waitView("the refusal's outcome in the audit log", func(v string) bool {
		return strings.Contains(v, "outcome") && strings.Contains(v, "ok") &&
			regexp.MustCompile(`ACCESS_ROLE_REQUIRED +u-rachel`).MatchString(v)
	})
	f.key("esc")
	f.waitFor("row 1 of")
}
