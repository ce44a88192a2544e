package tui

import (
	"context"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/schema"
	"quickback.dev/qb/termsafe"
)

// Writes: create, update and delete as the identity, each previewed as a
// dry run and confirmed (y/N) before it is written.

// write runs create, update or delete (dry is the preview).
func (m *Model) write(op, rowID string, data map[string]any, dry bool) tea.Cmd {
	tag := m.s.tag()
	m.await.expect("write", tag)
	eng, table := m.s.eng, m.grid.t.Name
	return func() tea.Msg {
		ctx := context.Background()
		opts := engine.WriteOptions{DryRun: dry}
		var res *engine.WriteResult
		var err error
		switch op {
		case "create":
			res, err = eng.Create(ctx, tag.Identity, table, data, opts)
		case "update":
			res, err = eng.Update(ctx, tag.Identity, table, rowID, data, opts)
		case "delete":
			res, err = eng.Delete(ctx, tag.Identity, table, rowID, opts)
		}
		return writeMsg{tag: tag, op: op, table: table, rowID: rowID, dry: dry, res: res, data: data, err: err}
	}
}

func (m *Model) onWrite(msg writeMsg) tea.Cmd {
	if !m.fresh("write", msg.tag) {
		return nil
	}
	if msg.err != nil {
		m.setError(msg.err)
		if f := m.form; f != nil && f.kind != "filter" {
			if probs := fieldProblems(msg.err); len(probs) > 0 && f.setProblems(probs) {
				// The problems are shown next to their fields.
				m.setStatus(firstLine(engine.FormatError(msg.err)), true)
				return m.open(modeForm, f)
			}
		}
		m.close()
		m.form = nil
		return nil
	}
	what := msg.table
	if msg.rowID != "" {
		what += " " + termsafe.Sanitize(msg.rowID)
	}
	if msg.dry {
		lines := changeLines(m.c, msg.res.Changes, m.c.Width-4)
		if w := msg.res.Withheld; w != nil {
			lines = withheldLines(m.c, []engine.WithheldRow{*w})
		}
		switch msg.op {
		case "delete":
			mode := "soft delete: deletedAt is set, the row leaves every firewall"
			if t := m.cfg.Table(msg.table); t != nil && t.CRUD[schema.OpDelete] != nil && t.CRUD[schema.OpDelete].DeleteMode == "hard" {
				mode = "hard delete: the row is removed"
			}
			return m.askConfirm("Delete "+what+"?", append([]string{mode, ""}, lines...), "Delete it?", "delete of "+what,
				func() tea.Cmd { return m.write("delete", msg.rowID, nil, false) }, nil)
		default:
			if len(lines) == 0 {
				lines = []string{"(no field changes)"}
			}
			verb := "Update " + what
			if msg.op == "create" {
				verb = "Create a " + msg.table + " record"
			}
			return m.askConfirm(verb+" — preview (dry run, nothing written yet)", lines, "Write it?", msg.op+" of "+what,
				func() tea.Cmd { return m.write(msg.op, msg.rowID, msg.data, false) },
				m.form)
		}
	}
	m.form = nil
	m.close()
	switch msg.op {
	case "delete":
		m.setStatus("deleted "+what, false)
	case "create":
		m.setStatus("created "+msg.table+" "+termsafe.Sanitize(msg.res.ID)+writeNote(msg.res), false)
	default:
		m.setStatus("updated "+what+writeNote(msg.res), false)
	}
	return m.grid.refresh()
}

// writeNote names the fields a write changed; for a row the identity may
// not get, it says the values are withheld.
func writeNote(res *engine.WriteResult) string {
	if w := res.Withheld; w != nil {
		var names []string
		for _, f := range w.Fields {
			if !strings.HasPrefix(f, "modified") && !strings.HasPrefix(f, "created") {
				names = append(names, f)
			}
		}
		return ": " + strings.Join(names, ", ") + " (values withheld: this identity may not get the record)"
	}
	return fieldsNote(res.Changes)
}

// withheldLines lists rows a write or action changed that the identity may
// not get: table, id and field names, never a value (SPEC §3.4).
func withheldLines(c *Common, ws []engine.WithheldRow) []string {
	st := c.Styles
	var out []string
	for _, w := range ws {
		fields := "no field changes"
		if len(w.Fields) > 0 {
			fields = strings.Join(w.Fields, ", ")
		}
		out = append(out, termsafe.Sanitize(w.Table+" "+w.ID+": "+fields),
			st.Reason.Render("  values withheld: this identity may not get this record"))
	}
	return out
}

func fieldsNote(cs []engine.Change) string {
	var names []string
	for _, c := range cs {
		if strings.HasPrefix(c.Field, "modified") || strings.HasPrefix(c.Field, "created") {
			continue
		}
		names = append(names, c.Field)
	}
	if len(names) == 0 {
		return ""
	}
	return ": " + strings.Join(names, ", ")
}

// changeLines renders changes as "field  before → after", masked values
// marked; a change too long for one line of width w takes two.
func changeLines(c *Common, cs []engine.Change, w int) []string {
	st := c.Styles
	fw := 16
	for _, ch := range cs {
		fw = max(fw, termsafe.Width(ch.Field))
	}
	fw = min(fw, 32)
	var out []string
	for _, ch := range cs {
		val := func(v any) (string, int) {
			if v == nil {
				return st.Null.Render("null"), 4
			}
			s := termsafe.Sanitize(engine.ValueString(v))
			if ch.Masked {
				s = MaskMark + s
			}
			s = termsafe.Truncate(s, max(8, w-fw-8))
			if ch.Masked {
				return st.Masked.Render(s), termsafe.Width(s)
			}
			return s, termsafe.Width(s)
		}
		b, bw := val(ch.Before)
		a, aw := val(ch.After)
		name := st.Label.Render(termsafe.Pad(termsafe.Sanitize(ch.Field), fw))
		if fw+2+bw+3+aw <= w {
			out = append(out, name+"  "+b+st.Diff.Render(" → ")+a)
			continue
		}
		out = append(out, name+"  "+b, strings.Repeat(" ", fw)+st.Diff.Render("→ ")+" "+a)
	}
	return out
}

// fieldProblems extracts details.fields of an engine error.
func fieldProblems(err error) []engine.FieldProblem {
	e, ok := engine.AsError(err)
	if !ok || e.Details == nil {
		return nil
	}
	switch fs := e.Details["fields"].(type) {
	case []engine.FieldProblem:
		return fs
	case []any:
		var out []engine.FieldProblem
		for _, x := range fs {
			if mp, ok := x.(map[string]any); ok {
				p := engine.FieldProblem{}
				p.Field, _ = mp["field"].(string)
				p.Category, _ = mp["category"].(string)
				p.Message, _ = mp["message"].(string)
				out = append(out, p)
			}
		}
		return out
	}
	return nil
}
