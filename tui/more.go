package tui

import (
	tea "github.com/charmbracelet/bubbletea"
)

// The root's handling of the messages of the second pass's conventions
// (issue 15): the command palette, the column chooser, the live search.

// onMore handles the mouse and the messages of the palette (besides
// actAsMsg, which the root already handles), the column chooser and the
// live search; ok is false for any other message.
func (m *Model) onMore(msg tea.Msg) (tea.Cmd, bool) {
	switch msg := msg.(type) {
	case refChoicesMsg:
		return m.onRefChoices(msg), true
	case labelsMsg:
		m.grid.onLabels(msg)
		return nil, true
	case tea.MouseMsg:
		return m.onMouse(msg), true
	case liveSearchMsg:
		if m.mode != modeSearch || !m.search.live(msg) {
			return nil, true
		}
		spec := m.grid.res.spec
		spec.search = msg.text
		return m.grid.setQuery(spec), true
	case columnsMsg:
		m.grid.setHidden(msg.hidden)
		return m.grid.ensure(), true
	case jumpTableMsg:
		return m.selectTable(msg.i), true
	case keyAsMsg:
		return m.browseKey(msg.key), true
	case runNamedMsg:
		if m.grid.t == nil {
			return nil, true
		}
		id, since := "", ""
		if r, ok := m.grid.selected(); ok {
			id, since = r.ID(), r.LastChange()
		}
		return m.listNamedAction(id, since, msg.action), true
	}
	return nil, false
}
