package tui

import (
	"cmp"
	"context"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/schema"
	"quickback.dev/qb/termsafe"
)

// Writes: create, update and delete as the identity, each previewed as a
// dry run and confirmed (y/N) before it is written.

// writeReq is a create, update or delete as the identity, or its preview
// (dry).
type writeReq struct {
	op, table, rowID string
	data             map[string]any
	dry              bool
	// since conditions an update or a delete on the row as the operator
	// last saw it (the engine's IfUnmodifiedSince); newID writes a create
	// under the id its preview showed.
	since, newID string
	// changed is why this preview is made again: the row changed since
	// the operator looked ("" for a first preview).
	changed string
}

// write runs a create, update or delete, or previews it (req.dry).
func (m *Model) write(req writeReq) tea.Cmd {
	tag := m.s.tag()
	if req.table == "" {
		req.table = m.grid.t.Name
	}
	eng := m.s.eng
	verb := map[bool]string{true: "previewing the ", false: "writing the "}[req.dry]
	ctx := m.expect("write", tag, verb+req.op+" of "+rowName(req.table, req.rowID), "", "")
	if !req.dry {
		// Once sent, a write is not called back: it may be written already.
		ctx = context.Background()
		m.act.final = true
	}
	return func() tea.Msg {
		opts := engine.WriteOptions{DryRun: req.dry, IfUnmodifiedSince: req.since, NewID: req.newID}
		var res *engine.WriteResult
		var err error
		switch req.op {
		case "create":
			res, err = eng.Create(ctx, tag.Identity, req.table, req.data, opts)
		case "update":
			res, err = eng.Update(ctx, tag.Identity, req.table, req.rowID, req.data, opts)
		case "delete":
			res, err = eng.Delete(ctx, tag.Identity, req.table, req.rowID, opts)
		}
		return writeMsg{tag: tag, req: req, res: res, err: err}
	}
}

func (m *Model) onWrite(msg writeMsg) tea.Cmd {
	if !m.fresh("write", msg.tag) {
		return nil
	}
	req := msg.req
	if msg.err != nil {
		if note, ok := rowChanged(msg.err); ok && req.op != "create" {
			// Someone wrote the row since the operator looked: preview
			// again, against the row as it is now, and ask again.
			req.dry, req.since, req.changed = true, "", note
			return m.write(req)
		}
		return m.refused(msg.err)
	}
	what := rowName(req.table, req.rowID)
	if req.dry {
		next := req
		next.dry, next.changed = false, ""
		next.since = cmp.Or(msg.res.LastChange, req.since)
		if req.op == "create" {
			next.newID = msg.res.ID
			what = req.table + " " + termsafe.Sanitize(msg.res.ID)
		}
		write := func() tea.Cmd { return m.write(next) }
		lines := changeLines(m.c, msg.res.Changes, m.c.Width-4)
		if w := msg.res.Withheld; w != nil {
			lines = withheldLines(m.c, []engine.WithheldRow{*w})
		}
		switch req.op {
		case "delete":
			mode := "soft delete: deletedAt is set, the row leaves every firewall"
			if t := m.cfg.Table(req.table); t != nil && t.CRUD[schema.OpDelete] != nil && t.CRUD[schema.OpDelete].DeleteMode == "hard" {
				mode = "hard delete: the row is removed"
			}
			return m.askConfirm(changedTitle(req.changed, "Delete "+what+"?"), changedLines(m.c, req.changed, append([]string{mode, ""}, lines...)), "Delete it?", "delete of "+what, write, nil)
		default:
			if len(lines) == 0 {
				lines = []string{"(no field changes)"}
			}
			verb := "Update " + what
			if req.op == "create" {
				verb = "Create " + what
			}
			return m.askConfirm(changedTitle(req.changed, verb+" — preview (dry run, nothing written yet)"), changedLines(m.c, req.changed, lines), "Write it?", req.op+" of "+what, write, m.form)
		}
	}
	m.form = nil
	m.close()
	switch req.op {
	case "delete":
		m.setStatus("deleted "+what, false)
	case "create":
		m.setStatus("created "+req.table+" "+termsafe.Sanitize(msg.res.ID)+writeNote(msg.res), false)
	default:
		m.setStatus("updated "+what+writeNote(msg.res), false)
	}
	return m.grid.refresh()
}

// rowChanged tells whether err is the engine's ROW_CHANGED, with a note
// for the preview made again: who changed the row and when, when the
// engine says.
func rowChanged(err error) (string, bool) {
	e, ok := engine.AsError(err)
	if !ok || e.Code != engine.RowChanged {
		return "", false
	}
	note := "changed since you looked"
	if at, ok := e.Details["modifiedAt"].(string); ok {
		note += ": written at " + at
		if by, ok := e.Details["modifiedBy"].(string); ok {
			note += " by " + by
		}
	}
	return termsafe.Sanitize(note), true
}

// changedTitle heads a preview made again because the row changed.
func changedTitle(changed, title string) string {
	if changed == "" {
		return title
	}
	return "Changed since you looked — " + title
}

// changedLines puts what changed above a preview made again, and says the
// preview is of the row as it is now.
func changedLines(c *Common, changed string, lines []string) []string {
	if changed == "" {
		return lines
	}
	st := c.Styles
	return append([]string{st.StatusError.Render("The record " + changed + "."),
		st.Reason.Render("Nothing was written. The preview below is against the record as it is now:"), ""}, lines...)
}

// refused shows a refusal of a write or an action. The form it came from
// is kept, with each problem beside its field, or the refusal at its top;
// without a form (a delete) the refusal is in the status line.
func (m *Model) refused(err error) tea.Cmd {
	f := m.form
	if f == nil || f.kind == "filter" || f.kind == "reason" {
		m.setError(err)
		m.close()
		m.form = nil
		return nil
	}
	f.setRefusal(err)
	m.setStatus(firstLine(engine.FormatError(err)), true)
	return m.open(modeForm, f)
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
// marked. A text change too long for one line of width w is shown word by
// word, wrapped under the field: the words it keeps, [-removed-] and
// {+added+} ones (a new long value is shown whole, wrapped).
func changeLines(c *Common, cs []engine.Change, w int) []string {
	st := c.Styles
	fw := 16
	for _, ch := range cs {
		fw = max(fw, termsafe.Width(ch.Field))
	}
	fw = min(fw, 32, max(8, w/3))
	var out []string
	for _, ch := range cs {
		val := func(v any) (string, int) {
			if v == nil {
				return st.Null.Render(NullMark), 1
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
		name := st.Label.Render(termsafe.Pad(termsafe.Sanitize(ch.Field), fw))
		indent := strings.Repeat(" ", fw+2)
		if text, ok := longTextChange(ch, w-fw-2); ok {
			var styled string
			if ch.Before == nil {
				styled = st.Null.Render(NullMark) + st.Diff.Render(" → ") + text
			} else {
				styled = wordDiffText(text, termsafe.Sanitize(engine.ValueString(ch.After)), func(op int, s string) string {
					switch op {
					case -1:
						return st.Denied.Render(s)
					case 1:
						return st.Allowed.Render(s)
					}
					return s
				})
			}
			for i, l := range wrapText(styled, w-fw-2) {
				if i == 0 {
					out = append(out, name+"  "+l)
				} else {
					out = append(out, indent+l)
				}
			}
			continue
		}
		b, bw := val(ch.Before)
		a, aw := val(ch.After)
		if fw+2+bw+3+aw <= w {
			out = append(out, name+"  "+b+st.Diff.Render(" → ")+a)
			continue
		}
		out = append(out, name+"  "+b, strings.Repeat(" ", fw)+st.Diff.Render("→ ")+" "+a)
	}
	return out
}

// longTextChange reports whether ch is a change of text too long to show
// both sides on one line of width w (unmasked, and not to null), and its
// old value (its new one for a value that was null).
func longTextChange(ch engine.Change, w int) (string, bool) {
	if ch.Masked || ch.After == nil {
		return "", false
	}
	after, ok := ch.After.(string)
	if !ok {
		return "", false
	}
	before := ""
	if ch.Before != nil {
		if before, ok = ch.Before.(string); !ok {
			return "", false
		}
	}
	if termsafe.Width(before)+termsafe.Width(after)+3 <= w {
		return "", false
	}
	if ch.Before == nil {
		return termsafe.Sanitize(after), true
	}
	return termsafe.Sanitize(before), true
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
	case []string:
		// A unique violation names its columns.
		var out []engine.FieldProblem
		for _, f := range fs {
			out = append(out, engine.FieldProblem{Field: f, Category: "unique", Message: e.Message})
		}
		return out
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
