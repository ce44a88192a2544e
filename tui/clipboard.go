package tui

import (
	"encoding/json"
	"slices"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/muesli/termenv"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/termsafe"
)

// Copies go to the terminal's clipboard with OSC 52, as shown: masked
// values stay masked.

// copyCell copies the selected cell as shown (masked values stay masked).
func (m *Model) copyCell(r engine.Row) tea.Cmd {
	c := m.grid.selectedColumn()
	if c == nil {
		return nil
	}
	i := m.grid.order[m.grid.col]
	what := c.Name + " of " + r.ID()
	if r.Masked[i] {
		what += " (masked)"
	}
	return m.clip(shownText(r, i), what)
}

// copyRow copies the selected row as a JSON object of the values as shown.
func (m *Model) copyRow(r engine.Row) tea.Cmd {
	b, err := json.Marshal(r)
	if err != nil {
		m.setStatus("copy failed: "+err.Error(), true)
		return nil
	}
	what := "row " + r.ID() + " as JSON"
	if slices.Contains(r.Masked, true) {
		what += " (masked values masked)"
	}
	return m.clip(string(b), what)
}

// clip writes an OSC 52 clipboard sequence to the terminal.
func (m *Model) clip(text, what string) tea.Cmd {
	w := m.opts.Clipboard
	return func() tea.Msg {
		out := termenv.NewOutput(w)
		out.Copy(text)
		return copiedMsg{what: termsafe.Sanitize(what)}
	}
}
