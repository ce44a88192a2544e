package tui

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

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
