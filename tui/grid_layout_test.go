package tui

import (
	"strings"
	"testing"
)

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
