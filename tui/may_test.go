package tui

import (
	"strings"
	"testing"
)

// hintsLine is the last line of the screen: the footer's key hints.
func hintsLine(v string) string {
	lines := strings.Split(v, "\n")
	return lines[len(lines)-1]
}

// The footer offers the writes the engine would allow this identity on
// this table and hides the ones it would refuse; it always offers the
// matrix and the audit log, and the actions where the table has any. The
// keys still reach the engine: a hidden write pressed anyway is refused
// with the engine's own code.
func TestHintsFollowWhatTheIdentityMay(t *testing.T) {
	e := newEngine(t)
	cases := []struct {
		user, table string
		shown       []string
		hidden      []string
	}{
		{"u-dana", "applications", []string{"e edit", "n new", "d delete", "a actions", "m matrix", "L audit"}, nil},
		{"u-rachel", "applications", []string{"e edit", "n new", "a actions", "m matrix", "L audit"}, []string{"d delete"}},
		{"u-rachel", "jobs", []string{"m matrix", "L audit"}, []string{"e edit", "n new", "d delete", "a actions"}},
		{"u-ivan", "interview_notes", []string{"e edit", "n new", "d delete", "m matrix", "L audit"}, []string{"a actions"}},
		{"u-ivan", "candidates", []string{"m matrix", "L audit"}, []string{"e edit", "n new", "d delete"}},
	}
	for _, c := range cases {
		t.Run(c.user+"/"+c.table, func(t *testing.T) {
			f := startFlow(t, e, Options{Identity: identity(t, e, c.user, "acme"), Table: c.table})
			v := f.waitView("the footer for "+c.user, func(v string) bool { return strings.Contains(hintsLine(v), "L audit") })
			h := hintsLine(v)
			for _, s := range c.shown {
				if !strings.Contains(h, s) {
					t.Errorf("footer lacks %q: %s", s, h)
				}
			}
			for _, s := range c.hidden {
				if strings.Contains(h, s) {
					t.Errorf("footer offers %q, which the engine refuses: %s", s, h)
				}
			}
		})
	}
	// Pressed anyway, a hidden write gets the engine's refusal.
	f := startFlow(t, e, Options{Identity: identity(t, e, "u-rachel", "acme"), Table: "jobs"})
	f.waitFor("j-firmware")
	f.key("d")
	f.waitFor("ACCESS_ROLE_REQUIRED")
}

// A switch of identity changes the footer with the engine's answer.
func TestHintsFollowIdentitySwitch(t *testing.T) {
	e := newEngine(t)
	m := newModel(t, e, Options{Identity: identity(t, e, "u-rachel", "acme"), Table: "jobs"})
	if h := hintsLine(plain(m)); strings.Contains(h, "e edit") {
		t.Fatalf("a recruiter is offered edit on jobs: %s", h)
	}
	drive(m, m.switchIdentity(*identity(t, e, "u-dana", "acme")))
	if h := hintsLine(plain(m)); !strings.Contains(h, "e edit") || !strings.Contains(h, "d delete") {
		t.Errorf("after switching to a hiring manager the footer still hides the writes: %s", h)
	}
}
