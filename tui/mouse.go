package tui

import (
	tea "github.com/charmbracelet/bubbletea"

	"quickback.dev/qb/termsafe"
)

// The mouse: a click on a table of the sidebar opens it, on a row selects
// it, on a column header sorts by that column (again: reverse); the wheel
// scrolls the grid or the open view. Positions are worked out from the
// same layout View draws: the header's lines, the sidebar left of the grid.

// wheelStep is how many rows one notch of the wheel scrolls.
const wheelStep = 3

// headerLines is the height of the console's header (two lines and a rule).
const headerLines = 3

// gridHeaderLines are the grid's lines above its rows: title, column
// headers, rule.
const gridHeaderLines = 3

// onMouse handles a mouse event.
func (m *Model) onMouse(msg tea.MouseMsg) tea.Cmd {
	wheel := 0
	switch msg.Button {
	case tea.MouseButtonWheelUp:
		wheel = -1
	case tea.MouseButtonWheelDown:
		wheel = 1
	}
	if msg.Action != tea.MouseActionPress {
		return nil
	}
	if m.mode != modeBrowse {
		if wheel == 0 || m.mode == modeForm {
			return nil
		}
		// Views scroll as their arrow keys do.
		k := tea.KeyMsg{Type: tea.KeyDown}
		if wheel < 0 {
			k.Type = tea.KeyUp
		}
		var cmds []tea.Cmd
		for range wheelStep {
			cmds = append(cmds, m.focused().Update(k))
		}
		return tea.Batch(cmds...)
	}
	g := m.grid
	if wheel != 0 {
		return g.move(wheel * wheelStep)
	}
	if msg.Button != tea.MouseButtonLeft {
		return nil
	}
	y := msg.Y - headerLines
	if y < 0 || y >= m.bodyHeight() {
		return nil
	}
	gridX := m.c.Width - g.width
	if msg.X < gridX-1 {
		// The sidebar: its title, then one line per table.
		if i := y - 1; i >= 0 && i < len(m.cfg.Tables) && msg.X < m.sidebar.w {
			return m.selectTable(i)
		}
		return nil
	}
	if g.t == nil || g.err != nil {
		return nil
	}
	x := msg.X - gridX
	switch {
	case y == 1:
		if oi, ok := g.columnAt(x); ok {
			g.col = oi
			g.moveCol(0)
			return g.sortBySelected()
		}
	case y >= gridHeaderLines:
		row := g.res.top + y - gridHeaderLines
		if row < g.res.known {
			return g.move(row - g.res.pos)
		}
	}
	return nil
}

// columnAt is the column (index into order) drawn at x cells into the
// grid's box, as headerLines lays the columns out.
func (g *grid) columnAt(x int) (int, bool) {
	at := 2 // the cursor's margin
	if x < at {
		return 0, false
	}
	w := g.colWidth(0)
	if x < at+w {
		return 0, true
	}
	at += w + termsafe.Width(pinGap)
	cols, partial, rest := g.layout()
	for i, oi := range cols {
		if i > 0 {
			at += len(colGap)
		}
		w := g.colWidth(oi)
		if x >= at && x < at+w {
			return oi, true
		}
		at += w
	}
	if partial >= 0 {
		if len(cols) > 0 {
			at += len(colGap)
		}
		if x >= at && x < at+rest {
			return partial, true
		}
	}
	return 0, false
}
