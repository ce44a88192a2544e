package tui

import (
	"context"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/termsafe"
)

// panel is a scrollable page of text lines (detail, compare, help, result).
type panel struct {
	c     *Common
	lines []string
	off   int
	w, h  int
}

func newPanel(c *Common, lines []string) *panel { return &panel{c: c, lines: lines} }

// SetSize sets the panel's box.
func (p *panel) SetSize(w, h int) { p.w, p.h = w, h; p.scroll(0) }

func (p *panel) scroll(d int) {
	p.off = clamp(p.off+d, 0, max(0, len(p.lines)-p.h))
}

// View renders the visible lines.
func (p *panel) View() string {
	end := min(len(p.lines), p.off+p.h)
	var out []string
	for _, l := range p.lines[p.off:end] {
		out = append(out, termsafe.Truncate(l, p.w))
	}
	if end < len(p.lines) && len(out) > 0 {
		out[len(out)-1] = p.c.Styles.Reason.Render(fmt.Sprintf("↓ %d more lines (j/k, pgdn)", len(p.lines)-end))
	}
	return padLines(strings.Join(out, "\n"), p.h)
}

// ── identity picker ─────────────────────────────────────────────────────────

// pickItem is one identity the operator may act as.
type pickItem struct {
	id   engine.Identity
	cols []string // name, user, email, organization, role (sanitized)
	hay  string   // lower-case text the filter matches
}

// identityItems lists every membership, then "any user of role R in
// organization O" for every organization and role.
func (m *Model) identityItems() []pickItem {
	var out []pickItem
	for _, mb := range m.members {
		if mb.OrgID == "" {
			continue
		}
		cols := []string{termsafe.Sanitize(mb.Name), termsafe.Sanitize(mb.UserID), termsafe.Sanitize(mb.Email), termsafe.Sanitize(mb.OrgID), termsafe.Sanitize(mb.Role)}
		if mb.UserRole != "" && mb.UserRole != "user" {
			cols[4] += " (" + termsafe.Sanitize(mb.UserRole) + ")"
		}
		out = append(out, pickItem{id: mb.Identity(), cols: cols, hay: strings.ToLower(strings.Join(cols, " "))})
	}
	for _, o := range m.orgs {
		id := engine.Identity{OrgID: o.ID, Anonymous: true}
		cols := []string{"anonymous", "(no user)", "—", termsafe.Sanitize(o.ID), "PUBLIC access only"}
		out = append(out, pickItem{id: id, cols: cols, hay: strings.ToLower(strings.Join(cols, " "))})
	}
	for _, o := range m.orgs {
		for _, r := range m.cfg.Auth.Roles {
			id := engine.SyntheticIdentity(o.ID, r)
			cols := []string{"any " + r, "(synthetic)", "—", termsafe.Sanitize(o.ID), r}
			out = append(out, pickItem{id: id, cols: cols, hay: strings.ToLower(strings.Join(cols, " "))})
		}
	}
	return out
}

// picker is the identity switcher: a filterable list.
type picker struct {
	c       *Common
	input   textinput.Model
	all     []pickItem
	shown   []int
	cur     int
	off     int
	w, h    int
	current engine.Identity
}

func newPicker(c *Common, items []pickItem, current engine.Identity) *picker {
	in := textinput.New()
	in.Prompt = "filter › "
	in.Placeholder = "name, user id, email, organization or role"
	p := &picker{c: c, input: in, current: current}
	p.setItems(items)
	for i, idx := range p.shown {
		if p.all[idx].id == current {
			p.cur = i
		}
	}
	return p
}

func (p *picker) setItems(items []pickItem) {
	p.all = items
	p.refilter()
}

// SetSize sets the picker's box.
func (p *picker) SetSize(w, h int) { p.w, p.h = w, h; p.input.Width = max(10, w-20); p.keepVisible() }

func (p *picker) refilter() {
	terms := strings.Fields(strings.ToLower(p.input.Value()))
	p.shown = p.shown[:0]
	for i, it := range p.all {
		ok := true
		for _, t := range terms {
			if !strings.Contains(it.hay, t) {
				ok = false
				break
			}
		}
		if ok {
			p.shown = append(p.shown, i)
		}
	}
	p.cur = clamp(p.cur, 0, len(p.shown)-1)
	p.keepVisible()
}

func (p *picker) rows() int { return max(1, p.h-4) }

func (p *picker) keepVisible() {
	if p.cur < p.off {
		p.off = p.cur
	}
	if p.cur >= p.off+p.rows() {
		p.off = p.cur - p.rows() + 1
	}
	p.off = max(0, p.off)
}

func (p *picker) move(d int) {
	p.cur = clamp(p.cur+d, 0, len(p.shown)-1)
	p.keepVisible()
}

func (p *picker) selected() (pickItem, bool) {
	if p.cur < 0 || p.cur >= len(p.shown) {
		return pickItem{}, false
	}
	return p.all[p.shown[p.cur]], true
}

func (p *picker) update(msg tea.Msg) tea.Cmd {
	var cmd tea.Cmd
	before := p.input.Value()
	p.input, cmd = p.input.Update(msg)
	if p.input.Value() != before {
		p.cur = 0
		p.refilter()
	}
	return cmd
}

// View renders the filter line and the visible identities.
func (p *picker) View() string {
	st := p.c.Styles
	var out []string
	out = append(out, st.PanelTitle.Render("Act as…")+st.Reason.Render("  type to filter · ↑/↓ choose · enter switch · esc back"))
	out = append(out, p.input.View())
	widths := []int{22, 18, 26, 10, 22}
	hdr := "  "
	for i, h := range []string{"NAME", "USER", "EMAIL", "ORG", "ROLE"} {
		hdr += termsafe.Pad(h, widths[i]) + " "
	}
	out = append(out, st.Header.Render(hdr))
	end := min(len(p.shown), p.off+p.rows())
	for i := p.off; i < end; i++ {
		it := p.all[p.shown[i]]
		line := ""
		for j, c := range it.cols {
			line += termsafe.Pad(c, widths[j]) + " "
		}
		if it.id == p.current {
			line += "● current"
		}
		if i == p.cur {
			out = append(out, st.SidebarSelected.Render(CursorMark+" "+line))
		} else {
			out = append(out, "  "+line)
		}
	}
	if len(p.shown) == 0 {
		out = append(out, st.Reason.Render("  no identity matches"))
	}
	return padLines(strings.Join(out, "\n"), p.h)
}

func (m *Model) openPicker() tea.Cmd {
	m.picker = newPicker(m.c, m.identityItems(), m.s.id)
	m.picker.SetSize(m.c.Width, m.bodyHeight())
	m.mode = modePicker
	return m.picker.input.Focus()
}

func (m *Model) pickerKey(msg tea.KeyMsg) tea.Cmd {
	p := m.picker
	switch msg.Type {
	case tea.KeyEsc:
		m.mode, m.picker = modeBrowse, nil
		return nil
	case tea.KeyUp, tea.KeyCtrlP:
		p.move(-1)
		return nil
	case tea.KeyDown, tea.KeyCtrlN:
		p.move(1)
		return nil
	case tea.KeyPgUp:
		p.move(-p.rows())
		return nil
	case tea.KeyPgDown:
		p.move(p.rows())
		return nil
	case tea.KeyEnter:
		it, ok := p.selected()
		if !ok {
			return nil
		}
		m.mode, m.picker = modeBrowse, nil
		role := it.id.Role
		if it.id.Anonymous {
			role = "no role"
		}
		m.setStatus("now acting as "+identityLabel(it.id)+" · "+role+" @ "+termsafe.Sanitize(it.id.OrgID), false)
		return m.switchIdentity(it.id)
	}
	return p.update(msg)
}

// ── help ────────────────────────────────────────────────────────────────────

func (m *Model) openHelp() {
	st := m.c.Styles
	// Two columns, groups placed where the column is shorter.
	var cols [2][]string
	for _, g := range m.c.Keys.FullHelp() {
		block := []string{st.Label.Render(g.Title)}
		for _, b := range g.Bindings {
			h := b.Help()
			block = append(block, st.HelpKey.Render(termsafe.Pad(h.Key, 7))+" "+st.HelpDesc.Render(b.Long))
		}
		c := 0
		if len(cols[1]) < len(cols[0]) {
			c = 1
		}
		if len(cols[c]) > 0 {
			cols[c] = append(cols[c], "")
		}
		cols[c] = append(cols[c], block...)
	}
	// The left column is at least as wide as its widest line plus a gap,
	// so a long description never runs into the right column.
	colW := max(40, m.c.Width/2-2)
	widest := 0
	for _, l := range cols[0] {
		widest = max(widest, termsafe.Width(l))
	}
	if widest+2 > colW && widest+2 <= m.c.Width-40 {
		colW = widest + 2
	}
	var body []string
	for i := 0; i < max(len(cols[0]), len(cols[1])); i++ {
		var l, r string
		if i < len(cols[0]) {
			l = cols[0][i]
		}
		if i < len(cols[1]) {
			r = cols[1][i]
		}
		body = append(body, "  "+termsafe.Pad(termsafe.Truncate(l, colW-2), colW)+r)
	}
	lines := []string{st.PanelTitle.Render("Keys") + st.Reason.Render("  (esc or ? to close)"), ""}
	lines = append(lines, body...)
	lines = append(lines, "",
		st.Label.Render("Markers"),
		"  "+st.Masked.Render(MaskMark+"j***@e******.com")+"  a value masked for this identity (copied and exported masked too)",
		"  "+NullMark+"                  null",
		"  "+NoListMark+" / "+InternalMark+"              a table this identity cannot list / an internal table",
		"  IMPERSONATING      acting as a real user (SYNTHETIC: any user of a role; ANONYMOUS: no identity)")
	if m.c.ReadOnly {
		lines = append(lines, "", st.ReadOnly.Render(" READ-ONLY ")+" keys that write are disabled and left out of this help")
	}
	m.panel = newPanel(m.c, lines)
	m.panel.SetSize(m.c.Width, m.bodyHeight())
	m.mode = modeHelp
}

// ── compare ─────────────────────────────────────────────────────────────────

// compareRow reads the row as a synthetic user of every role of the
// current organization.
func (m *Model) compareRow(r engine.Row) tea.Cmd {
	tag := m.s.tag()
	m.await["compare"] = tag.ID
	eng, table, rowID, org, roles := m.s.eng, m.grid.t.Name, r.ID(), m.s.id.OrgID, m.cfg.Auth.Roles
	return func() tea.Msg {
		var cols []compareCol
		for _, role := range roles {
			id := engine.SyntheticIdentity(org, role)
			row, err := eng.Get(context.Background(), id, table, rowID)
			cols = append(cols, compareCol{role: role, row: row, err: err})
		}
		return compareMsg{tag: tag, table: table, rowID: rowID, cols: cols}
	}
}

func (m *Model) onCompare(msg compareMsg) tea.Cmd {
	if !m.fresh("compare", msg.tag) {
		return nil
	}
	t := m.cfg.Table(msg.table)
	st := m.c.Styles
	fw := 16
	for _, c := range t.Columns {
		fw = max(fw, termsafe.Width(c.Name)+2)
	}
	fw = min(fw, 20)
	n := len(msg.cols)
	cw := max(8, (m.c.Width-fw-2-3*n)/max(1, n))
	sep := st.Separator.Render(" │ ")
	lines := []string{st.PanelTitle.Render("Compare "+msg.table+" "+termsafe.Sanitize(msg.rowID)) +
		st.Reason.Render(" as every role of "+termsafe.Sanitize(m.s.id.OrgID)+" sees it (synthetic users any-ROLE@org) · "+MaskMark+" masked · ≠ differs"), ""}
	hdr := "  " + termsafe.Pad("field", fw)
	rule := "──" + strings.Repeat("─", fw)
	for _, c := range msg.cols {
		name := c.role
		if c.role == m.s.id.Role {
			name += " (you)"
		}
		hdr += sep + st.Header.Render(termsafe.Pad(name, cw))
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
			case c.row.Values[i] == nil:
				style = st.Null
			}
			vals = append(vals, style.Render(termsafe.Pad(text, cw)))
		}
		mark := "  "
		for _, s := range seen {
			if s != seen[0] {
				mark = st.Diff.Render("≠ ")
				break
			}
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
			errs = append(errs, "  "+c.role+": "+termsafe.Sanitize(firstLine(engine.FormatError(c.err))))
		}
	}
	if len(errs) > 0 {
		lines = append(lines, "", st.Label.Render("Refused"))
		lines = append(lines, errs...)
	}
	m.panel = newPanel(m.c, lines)
	m.panel.SetSize(m.c.Width, m.bodyHeight())
	m.mode = modeCompare
	return nil
}

// ── actions ─────────────────────────────────────────────────────────────────

// actionsPanel lists a record's actions with availability and reasons.
type actionsPanel struct {
	c     *Common
	table string
	rowID string
	list  []engine.ActionInfo
	cur   int
	w, h  int
}

// SetSize sets the panel's box.
func (a *actionsPanel) SetSize(w, h int) { a.w, a.h = w, h }

// View renders the actions.
func (a *actionsPanel) View() string {
	st := a.c.Styles
	target := a.table
	if a.rowID != "" {
		target += " " + termsafe.Sanitize(a.rowID)
	}
	out := []string{st.PanelTitle.Render("Actions on "+target) + st.Reason.Render("  ↑/↓ choose · enter run (form, dry-run preview, confirm) · esc back"), ""}
	for i, info := range a.list {
		cur := "  "
		if i == a.cur {
			cur = CursorMark + " "
		}
		avail := st.Allowed.Render("✓ available")
		if !info.Available {
			avail = st.Denied.Render("✗ " + string(info.Code))
		}
		desc := info.Type
		if info.Description != "" {
			desc += " · " + info.Description
		}
		name := st.Label.Render(termsafe.Pad(info.Name, 16))
		if i == a.cur {
			name = st.SidebarSelected.Render(termsafe.Pad(info.Name, 16))
		}
		out = append(out, cur+name+" "+avail+st.Reason.Render("  "+termsafe.Sanitize(desc)))
		for _, l := range wrapText(termsafe.Sanitize(info.Reason), a.w-8) {
			out = append(out, "      "+st.Reason.Render(l))
		}
		if info.Field != "" && info.Current != "" {
			allowed := "none (terminal state)"
			if len(info.Allowed) > 0 {
				allowed = strings.Join(info.Allowed, ", ")
			}
			out = append(out, "      "+termsafe.Sanitize(info.Field+": "+info.Current+" → "+allowed))
		}
		if len(info.Inputs) > 0 {
			var ins []string
			for _, in := range info.Inputs {
				s := in.Name + " (" + string(in.Type)
				if !in.Required {
					s += ", optional"
				}
				ins = append(ins, s+")")
			}
			out = append(out, "      "+st.Reason.Render("input: "+strings.Join(ins, ", ")))
		}
		out = append(out, "")
	}
	return padLines(strings.Join(out, "\n"), a.h)
}

func (m *Model) listActions(rowID string) tea.Cmd {
	tag := m.s.tag()
	m.await["actions"] = tag.ID
	eng, table := m.s.eng, m.grid.t.Name
	return func() tea.Msg {
		list, err := eng.Actions(context.Background(), tag.Identity, table, rowID)
		return actionsMsg{tag: tag, table: table, rowID: rowID, list: list, err: err}
	}
}

func (m *Model) onActions(msg actionsMsg) tea.Cmd {
	if !m.fresh("actions", msg.tag) {
		return nil
	}
	if msg.err != nil {
		m.setError(msg.err)
		return nil
	}
	if len(msg.list) == 0 {
		m.setStatus(msg.table+" has no actions", false)
		return nil
	}
	m.actions = &actionsPanel{c: m.c, table: msg.table, rowID: msg.rowID, list: msg.list}
	for i, a := range msg.list {
		if a.Available {
			m.actions.cur = i
			break
		}
	}
	m.actions.SetSize(m.c.Width, m.bodyHeight())
	m.mode = modeActions
	return nil
}

func (m *Model) actionsKey(msg tea.KeyMsg) tea.Cmd {
	k := m.c.Keys
	a := m.actions
	switch {
	case k.Back.Matches(msg), k.Quit.Matches(msg):
		m.mode, m.actions = modeBrowse, nil
	case k.Up.Matches(msg):
		a.cur = clamp(a.cur-1, 0, len(a.list)-1)
	case k.Down.Matches(msg):
		a.cur = clamp(a.cur+1, 0, len(a.list)-1)
	case k.Select.Matches(msg):
		info := a.list[a.cur]
		if !info.Available {
			m.setStatus(string(info.Code)+": "+termsafe.Sanitize(info.Reason), true)
			return nil
		}
		m.mode, m.actions = modeBrowse, nil
		if len(info.Inputs) == 0 {
			return m.runAction(a.table, info.Name, a.rowID, map[string]any{}, true)
		}
		return m.openActionForm(a.table, info, a.rowID)
	}
	return nil
}

// runAction runs (or previews) an action.
func (m *Model) runAction(table, action, rowID string, input map[string]any, dry bool) tea.Cmd {
	tag := m.s.tag()
	m.await["run"] = tag.ID
	eng := m.s.eng
	return func() tea.Msg {
		res, err := eng.Run(context.Background(), tag.Identity, table, action, rowID, input, engine.WriteOptions{DryRun: dry})
		return runMsg{tag: tag, table: table, action: action, rowID: rowID, input: input, dry: dry, res: res, err: err}
	}
}

func (m *Model) onRun(msg runMsg) tea.Cmd {
	if !m.fresh("run", msg.tag) {
		return nil
	}
	target := msg.table
	if msg.rowID != "" {
		target += " " + termsafe.Sanitize(msg.rowID)
	}
	if msg.err != nil {
		m.setError(msg.err)
		if m.form != nil && m.form.kind == "action" {
			if probs := fieldProblems(msg.err); len(probs) > 0 && m.form.setProblems(probs) {
				m.setStatus(firstLine(engine.FormatError(msg.err)), true)
				m.mode = modeForm
				return m.form.start()
			}
		}
		m.mode, m.form = modeBrowse, nil
		return nil
	}
	if msg.dry {
		lines := changeLines(m.c, msg.res.Changes, m.c.Width-4)
		if len(lines) == 0 {
			lines = []string{"(no changes)"}
		}
		form := m.form
		m.askConfirm("Run "+msg.action+" on "+target+" — preview (dry run, nothing written yet)", lines, "Run it?", msg.action+" on "+target,
			func() tea.Cmd { return m.runAction(msg.table, msg.action, msg.rowID, msg.input, false) },
			m.reopenForm(form))
		return nil
	}
	m.form = nil
	st := m.c.Styles
	lines := []string{st.PanelTitle.Render(msg.action+" ran on "+target) + st.Reason.Render("  (esc to close; the grid is refreshed)"), ""}
	lines = append(lines, st.Label.Render("Changes"))
	for _, l := range changeLines(m.c, msg.res.Changes, m.c.Width-4) {
		lines = append(lines, "  "+l)
	}
	if msg.res.Row != nil {
		lines = append(lines, "", st.Label.Render("Record now"))
		lines = append(lines, recordLines(m.c, *msg.res.Row)...)
	}
	for _, r := range msg.res.Inserted {
		lines = append(lines, "", st.Label.Render("Inserted into "+r.Table.Name))
		lines = append(lines, recordLines(m.c, r)...)
	}
	m.panel = newPanel(m.c, lines)
	m.panel.SetSize(m.c.Width, m.bodyHeight())
	m.mode = modeResult
	m.setStatus(msg.action+" ran on "+target+changeSummary(msg.res.Changes), false)
	return m.grid.refresh()
}

func changeSummary(cs []engine.Change) string {
	var parts []string
	for _, c := range cs {
		if strings.HasPrefix(c.Field, "modified") || strings.Contains(c.Field, ".") {
			continue
		}
		b, a := engine.ValueString(c.Before), engine.ValueString(c.After)
		if c.Masked {
			b, a = MaskMark+b, MaskMark+a
		}
		parts = append(parts, termsafe.Sanitize(c.Field+" "+b+" → "+a))
	}
	if len(parts) == 0 {
		return ""
	}
	return ": " + strings.Join(parts, ", ")
}

// recordLines renders a row field by field, masked values marked.
func recordLines(c *Common, r engine.Row) []string {
	st := c.Styles
	w := 14
	for _, col := range r.Table.Columns {
		w = max(w, termsafe.Width(col.Name))
	}
	var out []string
	for i, col := range r.Table.Columns {
		text := cellText(r, i)
		switch {
		case r.Masked[i]:
			text = st.Masked.Render(text)
		case r.Values[i] == nil:
			text = st.Null.Render(text)
		}
		out = append(out, "  "+st.Label.Render(termsafe.Pad(col.Name, w))+"  "+text)
	}
	return out
}
