package tui

import (
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
