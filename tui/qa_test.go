package tui

import (
	"regexp"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

// In the full help, a left-column description never runs into the right
// column's key (it once read "…is refused)X export…"), at any width.
func TestHelpColumnsKeepAGap(t *testing.T) {
	e := newEngine(t)
	m := newModel(t, e, Options{Identity: identity(t, e, "u-dana", ""), Table: "jobs"})
	for _, w := range []int{80, 120, 200} {
		m.Update(tea.WindowSizeMsg{Width: w, Height: 60})
		press(m, "?")
		v := plain(m)
		if !strings.Contains(v, "reload the config") {
			t.Fatalf("%d wide: no help:\n%s", w, v)
		}
		for _, right := range []string{"X       export", "F       clear", "f       filter", "x       export"} {
			if !strings.Contains(v, "  "+right) {
				t.Errorf("%d wide: %q is not set apart from the left column:\n%s", w, right, v)
			}
		}
		press(m, "esc")
	}
}

// The footer always offers ? help and q quit, even when narrower hints
// must be dropped (at 120 and 80 columns they were crowded out).
func TestHintsKeepHelpAndQuit(t *testing.T) {
	e := newEngine(t)
	m := newModel(t, e, Options{Identity: identity(t, e, "u-dana", ""), Table: "jobs"})
	for _, w := range []int{80, 120, 200} {
		m.Update(tea.WindowSizeMsg{Width: w, Height: 30})
		lines := strings.Split(plain(m), "\n")
		last := lines[len(lines)-1]
		if !strings.Contains(last, "? help") || !strings.HasSuffix(last, "q quit") || !strings.HasPrefix(last, "i identity") {
			t.Errorf("%d wide: footer %q", w, last)
		}
	}
}

// A refusal too long for one status line is not cut before the rule that
// decided it: it wraps onto the hints line until the next key.
func TestLongStatusWraps(t *testing.T) {
	e := newEngine(t)
	m := newModel(t, e, Options{Identity: identity(t, e, "u-ivan", ""), Table: "candidates"})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	press(m, "right", "right", "s")
	v := plain(m)
	if !strings.Contains(strings.ReplaceAll(v, "\n", " "), "the column is masked for this identity (tables.candidates.masking.email)") {
		t.Fatalf("the refusal lost its rule:\n%s", v)
	}
	if n := len(strings.Split(v, "\n")); n > 40 {
		t.Errorf("%d lines on a 40-line screen", n)
	}
	press(m, "down")
	if last := strings.Split(plain(m), "\n"); !strings.HasPrefix(last[len(last)-1], "i identity") {
		t.Errorf("the hints did not come back after the next key: %q", last[len(last)-1])
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
