package tui

import (
	"context"
	"fmt"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/schema"
	"quickback.dev/qb/termsafe"
)

// handleKey sends a key to the active mode.
func (m *Model) handleKey(msg tea.KeyMsg) tea.Cmd {
	k := m.c.Keys
	if msg.Type == tea.KeyCtrlC {
		return m.quit()
	}
	// Runes typed faster than a frame arrive together ("jjj"); where keys
	// are commands rather than text, each one counts.
	if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 && !msg.Paste && m.mode != modeSearch && m.mode != modePicker && m.mode != modeForm {
		var cmds []tea.Cmd
		for _, r := range msg.Runes {
			cmds = append(cmds, m.handleKey(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: msg.Alt}))
		}
		return tea.Batch(cmds...)
	}
	switch m.mode {
	case modeSearch:
		return m.searchKey(msg)
	case modePicker:
		return m.pickerKey(msg)
	case modeForm:
		return m.formUpdate(msg)
	case modeConfirm:
		c := m.confirm
		m.confirm = nil
		if k.Yes.Matches(msg) {
			m.mode = modeBrowse
			return c.yes()
		}
		m.mode = modeBrowse
		m.setStatus("not written: "+c.cancelled, false)
		if c.no != nil {
			return c.no()
		}
		return nil
	case modeActions:
		return m.actionsKey(msg)
	case modeDetail, modeCompare, modeHelp, modeResult, modeMatrix, modeAudit:
		switch {
		case k.Back.Matches(msg), k.Quit.Matches(msg), k.Help.Matches(msg) && m.mode == modeHelp,
			k.Detail.Matches(msg) && m.mode != modeHelp:
			m.mode, m.panel = modeBrowse, nil
		case k.Up.Matches(msg):
			m.panel.scroll(-1)
		case k.Down.Matches(msg):
			m.panel.scroll(1)
		case k.PageUp.Matches(msg):
			m.panel.scroll(-m.panel.h + 2)
		case k.PageDown.Matches(msg):
			m.panel.scroll(m.panel.h - 2)
		case k.Top.Matches(msg):
			m.panel.scroll(-len(m.panel.lines))
		case k.Bottom.Matches(msg):
			m.panel.scroll(len(m.panel.lines))
		}
		return nil
	}
	return m.browseKey(msg)
}

func (m *Model) quit() tea.Cmd {
	m.grid.stop()
	return tea.Quit
}

// browseKey handles a key in browse mode. Write bindings are disabled in
// read-only mode, so they never match there.
func (m *Model) browseKey(msg tea.KeyMsg) tea.Cmd {
	k := m.c.Keys
	g := m.grid
	switch {
	case k.Quit.Matches(msg):
		return m.quit()
	case k.Up.Matches(msg):
		return g.move(-1)
	case k.Down.Matches(msg):
		return g.move(1)
	case k.PageUp.Matches(msg):
		return g.page(-1)
	case k.PageDown.Matches(msg):
		return g.page(1)
	case k.Top.Matches(msg):
		return g.home()
	case k.Bottom.Matches(msg):
		cmd := g.end()
		if !g.res.end {
			m.setStatus("the end is not known yet: G again continues past "+humanInt(int64(g.res.known))+" rows", false)
		}
		return cmd
	case k.Left.Matches(msg):
		g.moveCol(-1)
	case k.Right.Matches(msg):
		g.moveCol(1)
	case k.NextTable.Matches(msg):
		return m.selectTable((m.tableIdx + 1) % len(m.cfg.Tables))
	case k.PrevTable.Matches(msg):
		return m.selectTable((m.tableIdx + len(m.cfg.Tables) - 1) % len(m.cfg.Tables))
	case k.Jump.Matches(msg):
		if i := int(msg.Runes[0] - '1'); i < len(m.cfg.Tables) {
			return m.selectTable(i)
		}
	case k.Help.Matches(msg):
		m.openHelp()
	case k.Matrix.Matches(msg):
		m.openMatrix()
	case k.Audit.Matches(msg):
		return m.openAudit()
	case k.Identity.Matches(msg):
		return m.openPicker()
	case k.Refresh.Matches(msg):
		return tea.Batch(g.refresh(), m.loadAccess())
	case k.Reload.Matches(msg):
		return m.reloadConfig()
	case k.Search.Matches(msg):
		if g.t == nil {
			return nil
		}
		m.mode = modeSearch
		m.search.SetValue(g.res.spec.search)
		m.search.CursorEnd()
		return m.search.Focus()
	case k.ClearQuery.Matches(msg):
		if g.t == nil {
			return nil
		}
		m.setStatus("search, filters and sort cleared", false)
		return g.setQuery(querySpec{table: g.t.Name})
	case k.Sort.Matches(msg):
		return m.sortByColumn()
	case k.Filter.Matches(msg):
		return m.openFilter()
	case k.Detail.Matches(msg):
		return m.withRow(func(r engine.Row) tea.Cmd { return m.explain("detail", r.ID()) })
	case k.Compare.Matches(msg):
		return m.withRow(m.compareRow)
	case k.Edit.Matches(msg):
		return m.withRow(func(r engine.Row) tea.Cmd { return m.explain("edit", r.ID()) })
	case k.Create.Matches(msg):
		if g.t == nil {
			return nil
		}
		return m.explain("create", "")
	case k.Delete.Matches(msg):
		return m.withRow(func(r engine.Row) tea.Cmd { return m.write("delete", r.ID(), nil, true) })
	case k.Actions.Matches(msg):
		if g.t == nil {
			return nil
		}
		r, ok := g.selected()
		id := ""
		if ok {
			id = r.ID()
		}
		return m.listActions(id)
	case k.CopyCell.Matches(msg):
		return m.withRow(m.copyCell)
	case k.CopyRow.Matches(msg):
		return m.withRow(m.copyRow)
	case k.ExportCSV.Matches(msg):
		return m.export("csv")
	case k.ExportJSON.Matches(msg):
		return m.export("json")
	}
	return nil
}

// withRow runs fn on the selected row, or says why it cannot.
func (m *Model) withRow(fn func(engine.Row) tea.Cmd) tea.Cmd {
	r, ok := m.grid.selected()
	if !ok {
		m.setStatus("no row selected", true)
		return nil
	}
	return fn(r)
}

func (m *Model) selectTable(i int) tea.Cmd {
	if i == m.tableIdx && m.grid.t != nil {
		return nil
	}
	m.tableIdx = i
	return m.grid.setTable(m.cfg.Tables[i])
}

func (m *Model) searchKey(msg tea.KeyMsg) tea.Cmd {
	switch msg.Type {
	case tea.KeyEnter:
		m.mode = modeBrowse
		m.search.Blur()
		spec := m.grid.res.spec
		spec.search = strings.TrimSpace(m.search.Value())
		return m.grid.setQuery(spec)
	case tea.KeyEsc:
		m.mode = modeBrowse
		m.search.Blur()
		return nil
	}
	var cmd tea.Cmd
	m.search, cmd = m.search.Update(msg)
	return cmd
}

// sortByColumn sorts by the selected column; again reverses it.
func (m *Model) sortByColumn() tea.Cmd {
	c := m.grid.selectedColumn()
	if c == nil {
		return nil
	}
	spec := m.grid.res.spec
	desc := false
	if len(spec.sort) > 0 && spec.sort[0].Column == c.Name {
		desc = !spec.sort[0].Desc
	}
	spec.sort = []schema.SortKey{{Column: c.Name, Desc: desc}}
	return m.grid.setQuery(spec)
}

// explain asks the engine why: for the detail pane, or to build a form.
func (m *Model) explain(purpose, rowID string) tea.Cmd {
	tag := m.s.tag()
	m.await[purpose] = tag.ID
	eng, table := m.s.eng, m.grid.t.Name
	return func() tea.Msg {
		ex, err := eng.Explain(context.Background(), tag.Identity, table, rowID)
		return explainMsg{tag: tag, purpose: purpose, table: table, rowID: rowID, ex: ex, err: err}
	}
}

func (m *Model) onExplain(msg explainMsg) tea.Cmd {
	if !m.fresh(msg.purpose, msg.tag) {
		return nil
	}
	if msg.err != nil {
		m.setError(msg.err)
		return nil
	}
	t := m.cfg.Table(msg.table)
	switch msg.purpose {
	case "detail":
		m.panel = newPanel(m.c, m.detailLines(t, msg.ex))
		m.panel.SetSize(m.c.Width, m.bodyHeight())
		m.mode = modeDetail
	case "edit":
		op := opOf(msg.ex, schema.OpUpdate)
		if op.Decision == engine.Denied || strings.HasPrefix(op.OnRow, string(engine.Denied)) {
			// Let the engine refuse an attempt, so the code shown is its own.
			return m.write("update", msg.rowID, map[string]any{}, true)
		}
		if msg.ex.Row == nil {
			m.setStatus(termsafe.Sanitize(msg.ex.RowError), true)
			return nil
		}
		return m.openWriteForm(t, msg.ex, msg.rowID)
	case "create":
		if opOf(msg.ex, schema.OpCreate).Decision == engine.Denied {
			return m.write("create", "", map[string]any{}, true)
		}
		return m.openWriteForm(t, msg.ex, "")
	}
	return nil
}

func opOf(ex *engine.Explanation, op schema.Op) engine.OpExplanation {
	for _, o := range ex.Operations {
		if o.Operation == string(op) {
			return o
		}
	}
	return engine.OpExplanation{}
}

// write runs create, update or delete (dry is the preview).
func (m *Model) write(op, rowID string, data map[string]any, dry bool) tea.Cmd {
	tag := m.s.tag()
	m.await["write"] = tag.ID
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
		if m.form != nil && m.form.kind != "filter" {
			if probs := fieldProblems(msg.err); len(probs) > 0 && m.form.setProblems(probs) {
				// The problems are shown next to their fields.
				m.setStatus(firstLine(engine.FormatError(msg.err)), true)
				m.mode = modeForm
				return m.form.start()
			}
		}
		m.mode, m.form = modeBrowse, nil
		return nil
	}
	what := msg.table
	if msg.rowID != "" {
		what += " " + termsafe.Sanitize(msg.rowID)
	}
	if msg.dry {
		lines := changeLines(m.c, msg.res.Changes, m.c.Width-4)
		form := m.form
		switch msg.op {
		case "delete":
			mode := "soft delete: deletedAt is set, the row leaves every firewall"
			if t := m.cfg.Table(msg.table); t != nil && t.CRUD[schema.OpDelete] != nil && t.CRUD[schema.OpDelete].DeleteMode == "hard" {
				mode = "hard delete: the row is removed"
			}
			m.askConfirm("Delete "+what+"?", append([]string{mode, ""}, lines...), "Delete it?", "delete of "+what,
				func() tea.Cmd { return m.write("delete", msg.rowID, nil, false) }, nil)
		default:
			if len(lines) == 0 {
				lines = []string{"(no field changes)"}
			}
			verb := "Update " + what
			if msg.op == "create" {
				verb = "Create a " + msg.table + " record"
			}
			m.askConfirm(verb+" — preview (dry run, nothing written yet)", lines, "Write it?", msg.op+" of "+what,
				func() tea.Cmd { return m.write(msg.op, msg.rowID, msg.data, false) },
				m.reopenForm(form))
		}
		return nil
	}
	m.form = nil
	m.mode = modeBrowse
	switch msg.op {
	case "delete":
		m.setStatus("deleted "+what, false)
	case "create":
		id := ""
		if msg.res.Row != nil {
			id = " " + termsafe.Sanitize(msg.res.Row.ID())
		}
		m.setStatus("created "+msg.table+id+fieldsNote(msg.res.Changes), false)
	default:
		m.setStatus("updated "+what+fieldsNote(msg.res.Changes), false)
	}
	return m.grid.refresh()
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

// confirmState is a (y/N) question with a preview; anything but y is No.
type confirmState struct {
	title     string
	lines     []string
	question  string
	cancelled string
	yes       func() tea.Cmd
	no        func() tea.Cmd
}

func (m *Model) askConfirm(title string, lines []string, question, what string, yes, no func() tea.Cmd) {
	m.confirm = &confirmState{title: title, lines: lines, question: question, cancelled: what, yes: yes, no: no}
	m.mode = modeConfirm
}

// View renders the question.
func (c *confirmState) View(cm *Common, w, h int) string {
	st := cm.Styles
	var b []string
	b = append(b, st.PanelTitle.Render(termsafe.Truncate(c.title, w)), "")
	for _, l := range c.lines {
		b = append(b, "  "+termsafe.Truncate(l, w-2))
	}
	b = append(b, "", st.Prompt.Render(c.question+" (y/N)"))
	return padLines(strings.Join(b, "\n"), h)
}

// detailLines is the detail pane: every field with its value as this
// identity sees it and the engine's reasons.
func (m *Model) detailLines(t *schema.Table, ex *engine.Explanation) []string {
	st := m.c.Styles
	var out []string
	rowID := ""
	if ex.Row != nil {
		rowID = ex.Row.ID()
	}
	out = append(out, st.PanelTitle.Render(fmt.Sprintf("%s %s", t.Name, termsafe.Sanitize(rowID)))+
		st.Reason.Render("  as seen by "+identityLabel(ex.Identity)+" · "+termsafe.Sanitize(ex.Identity.Role)+" @ "+termsafe.Sanitize(ex.Identity.OrgID)), "")
	if ex.RowError != "" {
		out = append(out, st.Denied.Render(termsafe.Sanitize(firstLine(ex.RowError))), "")
	}
	w := 14
	for _, c := range t.Columns {
		w = max(w, termsafe.Width(c.Name))
	}
	out = append(out, st.Label.Render("Fields")+st.Reason.Render("  value as seen · why · update"))
	for _, f := range ex.Fields {
		val := st.Null.Render("null")
		if f.Value != nil {
			s := termsafe.Sanitize(engine.ValueString(f.Value))
			if f.Masked {
				val = st.Masked.Render(MaskMark + s)
			} else {
				val = s
			}
		}
		seen := "raw"
		switch {
		case f.Visibility == "masked-unless-owner" && ex.Row != nil && f.Masked:
			seen = "masked (not the owner) — " + f.Reason
		case f.Visibility == "masked-unless-owner" && ex.Row != nil:
			seen = "raw (the owner) — " + f.Reason
		case f.Visibility != "raw":
			seen = f.Reason
		case f.Rule != "":
			seen = "raw — " + f.Reason
		}
		upd := "writable"
		if !f.Update.Writable {
			upd = "locked — " + f.Update.Reason
		} else if f.Update.Reason != "" {
			upd = "writable — " + f.Update.Reason
		}
		if f.Update.Rule != "" && !strings.Contains(upd, f.Update.Rule) {
			upd += " [" + f.Update.Rule + "]"
		}
		why := termsafe.Sanitize(seen + " · update: " + upd)
		head := "  " + st.Label.Render(termsafe.Pad(f.Field, w)) + "  " + val
		// Short values keep their reason on the same line.
		if vw := termsafe.Width(val); vw <= 26 && 2+w+2+28+termsafe.Width(why) <= m.c.Width {
			out = append(out, head+strings.Repeat(" ", 28-vw)+st.Reason.Render(why))
			continue
		}
		out = append(out, head)
		for _, l := range wrapText(why, m.c.Width-w-6) {
			out = append(out, "  "+strings.Repeat(" ", w)+"  "+st.Reason.Render(l))
		}
	}
	out = append(out, "", st.Label.Render("Operations"))
	for _, op := range ex.Operations {
		d := string(op.Decision)
		style := st.Allowed
		if op.Decision == engine.Denied {
			style = st.Denied
		}
		if op.OnRow != "" {
			d += " (this row: " + op.OnRow + ")"
		}
		line := "  " + st.Label.Render(termsafe.Pad(op.Operation, 8)) + style.Render(d)
		out = append(out, line)
		for _, l := range wrapText(termsafe.Sanitize(op.Reason+" ["+op.Rule+"]"), m.c.Width-12) {
			out = append(out, "          "+st.Reason.Render(l))
		}
	}
	out = append(out, "", st.Label.Render("Firewall"))
	for _, f := range ex.Firewall {
		for _, l := range wrapText(termsafe.Sanitize(f), m.c.Width-4) {
			out = append(out, "  "+st.Reason.Render(l))
		}
	}
	return out
}
