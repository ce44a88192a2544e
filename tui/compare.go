package tui

import (
	"slices"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/schema"
	"quickback.dev/qb/termsafe"
)

// compareView is a row as the identity acting now and a synthetic user of
// every role of the organization see it, the cells that differ marked.
type compareView struct {
	*pager
	table *schema.Table
	msg   compareMsg
	// org is the organization compared in.
	org string
}

func newCompareView(c *Common, t *schema.Table, msg compareMsg, org string) *compareView {
	v := &compareView{table: t, msg: msg, org: org}
	v.pager = newPager(c, v.linesAt, c.Keys.Detail)
	return v
}

// compareRow reads the row as the identity acting now (a real user, or
// anonymous), then as a synthetic user of every role of its organization;
// acting as a synthetic user, its own role's column is marked as it.
func (m *Model) compareRow(r engine.Row) tea.Cmd {
	tag := m.s.tag()
	eng, table, rowID, me, roles := m.s.eng, m.grid.t.Name, r.ID(), m.s.id, m.cfg.Auth.Roles
	ctx := m.expect("compare", tag, "reading "+rowName(table, rowID)+" as every role", table, rowID)
	return func() tea.Msg {
		type who struct {
			id    engine.Identity
			label string
			you   bool
		}
		var ids []who
		if !me.Synthetic {
			label := "anonymous"
			if !me.Anonymous {
				label = termsafe.Sanitize(me.UserID)
			}
			ids = append(ids, who{me, "you: " + label, true})
		}
		for _, role := range roles {
			id := engine.SyntheticIdentity(me.OrgID, role)
			you := me.Synthetic && me.Role == role
			label := "any " + role
			if you {
				label += " (you)"
			}
			ids = append(ids, who{id, label, you})
		}
		var cols []compareCol
		for _, w := range ids {
			if ctx.Err() != nil {
				break
			}
			row, err := eng.Get(ctx, w.id, table, rowID)
			cols = append(cols, compareCol{label: w.label, you: w.you, row: row, err: err})
		}
		return compareMsg{tag: tag, table: table, rowID: rowID, cols: cols}
	}
}

// onCompare opens the compare view with the answer it awaited.
func (m *Model) onCompare(msg compareMsg) tea.Cmd {
	if !m.fresh("compare", msg.tag) || !m.stillSelected("the compare", msg.table, msg.rowID) {
		return nil
	}
	return m.open(modeCompare, newCompareView(m.c, m.cfg.Table(msg.table), msg, m.s.id.OrgID))
}

// linesAt is the compare view at a width: a column per role, the fields
// as rows.
func (v *compareView) linesAt(width int) []string {
	t, msg := v.table, v.msg
	st := v.c.Styles
	fw := 16
	for _, c := range t.Columns {
		fw = max(fw, termsafe.Width(c.Name)+2)
	}
	fw = min(fw, 20)
	n := len(msg.cols)
	cw := max(8, (width-fw-2-3*n)/max(1, n))
	if cw < 12 {
		return v.stackedLines(width)
	}
	sep := st.Separator.Render(" │ ")
	lines := []string{st.PanelTitle.Render("Compare "+msg.table+" "+termsafe.Sanitize(msg.rowID)) +
		st.Reason.Render(" as you and each role of "+termsafe.Sanitize(v.org)+" (any ROLE: a synthetic user) · "+MaskMark+" masked · ≠ differs"), ""}
	hdr := "  " + termsafe.Pad("field", fw)
	rule := "──" + strings.Repeat("─", fw)
	for _, c := range msg.cols {
		hdr += sep + st.Header.Render(termsafe.Pad(c.label, cw))
		rule += "─┼─" + strings.Repeat("─", cw)
	}
	lines = append(lines, st.Header.Render(hdr), st.Separator.Render(rule))
	access := "  " + termsafe.Pad("get", fw)
	for _, c := range msg.cols {
		if c.err != nil {
			code := "error"
			if e, ok := engine.AsError(c.err); ok {
				code = string(e.Code)
			}
			access += sep + st.Denied.Render(termsafe.Pad("✗ "+code, cw))
		} else {
			access += sep + st.Allowed.Render(termsafe.Pad("✓ visible", cw))
		}
	}
	lines = append(lines, access)
	for i, col := range t.Columns {
		var vals []string
		var seen []string
		for _, c := range msg.cols {
			if c.row == nil {
				vals = append(vals, st.Null.Render(termsafe.Pad("—", cw)))
				continue
			}
			text := cellText(*c.row, i)
			seen = append(seen, text)
			style := st.Cell
			switch {
			case c.row.Masked[i]:
				style = st.Masked
				// What a mask leaves readable is at its end (a phone's
				// last four digits): a cut keeps the end.
				text = cutMasked(text, cw)
			case c.row.Values[i] == nil:
				style = st.Null
			}
			vals = append(vals, style.Render(termsafe.Pad(text, cw)))
		}
		mark := "  "
		if slices.ContainsFunc(seen, func(s string) bool { return s != seen[0] }) {
			mark = st.Diff.Render("≠ ")
		}
		line := mark + st.Label.Render(termsafe.Pad(col.Name, fw))
		for _, v := range vals {
			line += sep + v
		}
		lines = append(lines, line)
	}
	var errs []string
	for _, c := range msg.cols {
		if c.err != nil {
			errs = append(errs, "  "+c.label+": "+termsafe.Sanitize(firstLine(engine.FormatError(c.err))))
		}
	}
	if len(errs) > 0 {
		lines = append(lines, "", st.Label.Render("Refused"))
		lines = append(lines, errs...)
	}
	return lines
}

// stackedLines is the compare for a terminal too narrow for a column per
// identity: each field, then the value each identity sees, one a line.
func (v *compareView) stackedLines(width int) []string {
	t, msg := v.table, v.msg
	st := v.c.Styles
	lw := 0
	for _, c := range msg.cols {
		lw = max(lw, termsafe.Width(c.label))
	}
	lw = min(lw, width/2)
	vw := max(8, width-lw-5)
	lines := []string{st.PanelTitle.Render("Compare " + msg.table + " " + termsafe.Sanitize(msg.rowID))}
	for _, l := range wrapText("as you and each role of "+termsafe.Sanitize(v.org)+" (any ROLE: a synthetic user) · "+MaskMark+" masked · ≠ differs", width) {
		lines = append(lines, st.Reason.Render(l))
	}
	lines = append(lines, "", st.Label.Render("  get"))
	for _, c := range msg.cols {
		res := st.Allowed.Render("✓ visible")
		if c.err != nil {
			code := "error"
			if e, ok := engine.AsError(c.err); ok {
				code = string(e.Code)
			}
			res = st.Denied.Render("✗ " + code)
		}
		lines = append(lines, "    "+st.Header.Render(termsafe.Pad(c.label, lw))+" "+res)
	}
	for i, col := range t.Columns {
		var seen, vals []string
		for _, c := range msg.cols {
			if c.row == nil {
				vals = append(vals, st.Null.Render("—"))
				continue
			}
			text := cellText(*c.row, i)
			seen = append(seen, text)
			switch {
			case c.row.Masked[i]:
				vals = append(vals, st.Masked.Render(cutMasked(text, vw)))
			case c.row.Values[i] == nil:
				vals = append(vals, st.Null.Render(text))
			default:
				vals = append(vals, termsafe.Truncate(text, vw))
			}
		}
		mark := "  "
		if slices.ContainsFunc(seen, func(s string) bool { return s != seen[0] }) {
			mark = st.Diff.Render("≠ ")
		}
		lines = append(lines, mark+st.Label.Render(termsafe.Sanitize(col.Name)))
		for j, c := range msg.cols {
			lines = append(lines, "    "+st.Header.Render(termsafe.Pad(c.label, lw))+" "+vals[j])
		}
	}
	return lines
}
