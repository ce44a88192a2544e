package tui

import (
	"strings"
	"testing"
)

// TestSearchSaysWhatItSkips (issue 15, defect 10): the search line, and
// the status once a search is kept, name the columns searched and the
// ones skipped as masked for the identity; with nothing masked, nothing
// is said to be skipped.
func TestSearchSaysWhatItSkips(t *testing.T) {
	e := newEngine(t)
	f := startFlow(t, e, Options{Identity: identity(t, e, "u-ivan", ""), Table: "candidates"})
	f.waitFor("row 1 of 14")
	f.key("/")
	f.waitBusy("searching name, source — email (masked for you) skipped")
	f.typeText("Jane")
	f.key("enter")
	f.waitFor("row 1 of 1", "searching name, source — email (masked for you) skipped")

	f = startFlow(t, e, Options{Identity: identity(t, e, "u-dana", ""), Table: "candidates"})
	f.waitFor("row 1 of 14")
	f.key("/")
	v := f.waitBusy("searching name, email, source")
	if strings.Contains(v, "skipped") {
		t.Errorf("a search with nothing masked says it skips:\n%s", v)
	}
}
