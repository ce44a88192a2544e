package tui

import (
	"context"
	"strings"
	"testing"
)

// The audit view lists the log with its chain status and follows entries
// appended while it is open, by this process or any other.
func TestAuditViewFollows(t *testing.T) {
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

// A search that matches nothing says so, instead of suggesting the
// firewall hid every row.
func TestNoMatchSaysWhy(t *testing.T) {
	e := newEngine(t)
	f := startFlow(t, e, Options{Identity: identity(t, e, "u-dana", ""), Table: "candidates"})
	f.waitFor("row 1 of")
	f.key("/")
	f.typeText("zzzz-no-such-name")
	f.key("enter")
	v := f.waitFor(`no visible row matches search "zzzz-no-such-name"`)
	if strings.Contains(v, "no rows visible to this identity") {
		t.Errorf("an empty search result reads as a firewall decision:\n%s", v)
	}
}
