package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// At 80 columns the identity line keeps the user id, the organization id
// and the role whole, impersonating or not; name and email give way.
func TestHeaderIdentityAt80(t *testing.T) {
	e := newEngine(t)
	m := newModel(t, e, Options{Identity: identity(t, e, "u-dana", ""), Table: "candidates"})
	check := func(what string) {
		t.Helper()
		for _, w := range []int{80, 60} {
			tmResize(m, w, 24)
			line := strings.Split(plain(m), "\n")[1]
			if ansi.StringWidth(line) > w {
				t.Errorf("%s at %d: the identity line is too wide: %q", what, w, line)
			}
			for _, want := range []string{"u-dana", "org acme", "role hiring-manager"} {
				if !strings.Contains(line, want) {
					t.Errorf("%s at %d: the identity line lacks %q: %q", what, w, want, line)
				}
			}
			t.Logf("%s at %d: %q", what, w, line)
		}
	}
	check("launch identity")
	m2 := newModel(t, e, Options{Identity: identity(t, e, "u-rachel", ""), Table: "candidates"})
	drive(m2, m2.switchIdentity(*identity(t, e, "u-dana", "")))
	m = m2
	check("impersonating")
	if !strings.Contains(plain(m), "IMPERSONATING") {
		t.Error("the impersonation badge is gone")
	}
	tmResize(m, 120, 40)
	if line := strings.Split(plain(m), "\n")[1]; !strings.Contains(line, "<dana@") || !strings.Contains(line, "(u-dana)") {
		t.Errorf("at 120 the name and email are not shown in full: %q", line)
	}
}
