package tui

import (
	"slices"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/engine/access"
	"quickback.dev/qb/schema"
	"quickback.dev/qb/termsafe"
)

// explain asks the engine why: for the detail pane, or to build a form.
func (m *Model) explain(purpose, rowID string) tea.Cmd {
	tag := m.s.tag()
	eng, table := m.s.eng, m.grid.t.Name
	label := map[string]string{"detail": "reading", "edit": "opening the form to edit", "create": "opening the form to create in"}[purpose]
	ctx := m.expect(purpose, tag, label+" "+rowName(table, rowID), table, rowID)
	return func() tea.Msg {
		ex, err := eng.Explain(ctx, tag.Identity, table, rowID)
		return explainMsg{tag: tag, purpose: purpose, table: table, rowID: rowID, ex: ex, err: err}
	}
}

func (m *Model) onExplain(msg explainMsg) tea.Cmd {
	if !m.fresh(msg.purpose, msg.tag) || !m.stillSelected(map[string]string{"detail": "the detail", "edit": "the edit form"}[msg.purpose], msg.table, msg.rowID) {
		return nil
	}
	if msg.err != nil {
		m.setError(msg.err)
		return nil
	}
	t := m.cfg.Table(msg.table)
	switch msg.purpose {
	case "detail":
		return m.open(modeDetail, newDetailView(m.c, t, msg.ex, m.grid.refLabel))
	case "edit":
		op := opOf(msg.ex, schema.OpUpdate)
		if op.Decision == access.Denied || strings.HasPrefix(op.OnRow, string(access.Denied)) {
			// Let the engine refuse an attempt, so the code shown is its own.
			return m.write(writeReq{op: "update", table: msg.table, rowID: msg.rowID, data: map[string]any{}, dry: true})
		}
		if msg.ex.Row == nil {
			m.setStatus(termsafe.Sanitize(msg.ex.RowError), true)
			return nil
		}
		return m.withRefChoices(t, msg.ex, false, func(ch map[string]refChoices) tea.Cmd { return m.openWriteForm(t, msg.ex, msg.rowID, ch) })
	case "create":
		if opOf(msg.ex, schema.OpCreate).Decision == access.Denied {
			return m.write(writeReq{op: "create", table: msg.table, data: map[string]any{}, dry: true})
		}
		return m.withRefChoices(t, msg.ex, true, func(ch map[string]refChoices) tea.Cmd { return m.openWriteForm(t, msg.ex, "", ch) })
	}
	return nil
}

func opOf(ex *engine.Explanation, op schema.Op) engine.OpExplanation {
	if i := slices.IndexFunc(ex.Operations, func(o engine.OpExplanation) bool { return o.Operation == string(op) }); i >= 0 {
		return ex.Operations[i]
	}
	return engine.OpExplanation{}
}
