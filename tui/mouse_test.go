package tui

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

// click is a left click at the cell (x, y) of the screen.
func click(x, y int) tea.MouseMsg {
	return tea.MouseMsg{X: x, Y: y, Action: tea.MouseActionPress, Button: tea.MouseButtonLeft}
}

func wheel(down bool, x, y int) tea.MouseMsg {
	b := tea.MouseButtonWheelUp
	if down {
		b = tea.MouseButtonWheelDown
	}
	return tea.MouseMsg{X: x, Y: y, Action: tea.MouseActionPress, Button: b}
}

// at finds text on the screen: its column and line.
func at(t *testing.T, v, text string) (int, int) {
	t.Helper()
	for y, l := range strings.Split(v, "\n") {
		if i := strings.Index(l, text); i >= 0 {
			return len([]rune(l[:i])), y
		}
	}
	t.Fatalf("%q is not on the screen:\n%s", text, v)
	return 0, 0
}

// A click on a table opens it, on a row selects it, on a header sorts by
// that column (again: reversed); the wheel scrolls the grid and the open
// views. Positions are found on the screen as drawn.
func TestMouse(t *testing.T) {
	e := newEngine(t)
	f := startFlow(t, e, Options{Identity: identity(t, e, "u-dana", ""), Table: "jobs"})
	v := f.waitFor("j-firmware")
	x, y := at(t, v, "Candidates")
	f.tm.Send(click(x+2, y))
	v = f.waitFor("Candidates (candidates)", "row 1 of 14")

	x, y = at(t, v, "Tomás Rivera")
	f.tm.Send(click(x, y))
	v = f.waitFor("› Tomás Rivera")
	if _, sel := at(t, v, "› Tomás Rivera"); sel != y || !strings.Contains(v, "row 9 of 14") {
		t.Errorf("the clicked row is not the selected one:\n%s", v)
	}

	x, y = at(t, v, "email")
	f.tm.Send(click(x+1, y))
	f.waitFor("sort email ▲")
	f.tm.Send(click(x+1, y))
	v = f.waitFor("sort email ▼")
	if a, b := strings.Index(v, "tomas.rivera@"), strings.Index(v, "aisha.bello@"); a < 0 || b >= 0 && b < a {
		t.Errorf("not sorted by email, descending:\n%s", v)
	}

	f.key("F")
	v = f.waitFor("row 1 of 14")
	_, y = at(t, v, "row 1 of 14")
	f.tm.Send(wheel(true, 60, y+5))
	f.waitFor("row 4 of 14")
	f.tm.Send(wheel(false, 60, y+5))
	f.waitFor("row 1 of 14")

	f.tm.Send(tea.WindowSizeMsg{Width: 120, Height: 20})
	f.key("m")
	f.waitFor("Access matrix", "more lines")
	f.tm.Send(wheel(true, 10, 10))
	f.waitView("the matrix scrolled", func(string) bool { return f.m.overlay.(*matrixView).off == wheelStep })
}
