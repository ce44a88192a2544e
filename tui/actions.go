package tui

import (
	"cmp"
	"context"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/termsafe"
)

// actionList lists a record's actions with availability and reasons.
type actionList struct {
	c     *Common
	table string
	rowID string
	since string
	list  []engine.ActionInfo
	cur   int
	w, h  int
}

// SetSize sets the list's box.
func (a *actionList) SetSize(w, h int) { a.w, a.h = w, h }

// View renders the actions.
func (a *actionList) View() string {
	st := a.c.Styles
	target := a.table
	if a.rowID != "" {
		target += " " + termsafe.Sanitize(a.rowID)
	}
	keys := "  ↑/↓ choose · enter run (form, dry-run preview, confirm) · esc back"
	if a.c.ReadOnly {
		keys = "  read-only: availability only, nothing runs · esc back"
	}
	out := []string{st.PanelTitle.Render("Actions on "+target) + st.Reason.Render(keys), ""}
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
	return box(strings.Join(out, "\n"), a.w, a.h)
}

// Update moves the choice, closes the list, or hands in an available
// action.
func (a *actionList) Update(msg tea.Msg) tea.Cmd {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return nil
	}
	k := a.c.Keys
	switch {
	case k.Back.Matches(km), k.Quit.Matches(km):
		a.c.post(closeMsg{})
	case k.Up.Matches(km):
		a.cur = clamp(a.cur-1, 0, len(a.list)-1)
	case k.Down.Matches(km):
		a.cur = clamp(a.cur+1, 0, len(a.list)-1)
	case k.Select.Matches(km):
		info := a.list[a.cur]
		if a.c.ReadOnly {
			a.c.post(statusMsg{text: "read-only session: " + info.Name + " is not run (its availability is shown)", isErr: true})
			return nil
		}
		if !info.Available {
			a.c.post(statusMsg{text: string(info.Code) + ": " + termsafe.Sanitize(info.Reason), isErr: true})
			return nil
		}
		a.c.post(closeMsg{}, actionChosenMsg{table: a.table, rowID: a.rowID, since: a.since, info: info})
	}
	return nil
}

// ShortHelp is the action list's footer.
func (a *actionList) ShortHelp() []Binding {
	k := a.c.Keys
	if a.c.ReadOnly {
		return []Binding{k.Up, k.Down, k.Back}
	}
	return []Binding{k.Up, k.Down, k.Select.as("run…"), k.Back}
}

// FullHelp lists the action list's keys.
func (a *actionList) FullHelp() []HelpGroup {
	k := a.c.Keys
	return []HelpGroup{{"Actions", []Binding{k.Up, k.Down, k.Select, k.Back, k.Quit}}}
}

// onActionChosen runs an action without inputs as a dry run first, or asks
// its inputs.
func (m *Model) onActionChosen(msg actionChosenMsg) tea.Cmd {
	if len(msg.info.Inputs) == 0 {
		return m.runAction(runReq{table: msg.table, action: msg.info.Name, rowID: msg.rowID, input: map[string]any{}, dry: true, since: msg.since})
	}
	return m.openActionForm(msg.table, msg.info, msg.rowID, msg.since)
}

// listActions asks for the actions of the row rowID (none: the table's),
// which last changed at since as the operator saw it.
func (m *Model) listActions(rowID, since string) tea.Cmd {
	tag := m.s.tag()
	eng, table := m.s.eng, m.grid.t.Name
	ctx := m.expect("actions", tag, "reading the actions of "+rowName(table, rowID), table, rowID)
	return func() tea.Msg {
		list, err := eng.Actions(ctx, tag.Identity, table, rowID)
		return actionsMsg{tag: tag, table: table, rowID: rowID, since: since, list: list, err: err}
	}
}

func (m *Model) onActions(msg actionsMsg) tea.Cmd {
	if !m.fresh("actions", msg.tag) || !m.stillSelected("the action list", msg.table, msg.rowID) {
		m.wantAction = ""
		return nil
	}
	if cmd, ok := m.pickNamedAction(msg); ok {
		return cmd
	}
	if msg.err != nil {
		m.setError(msg.err)
		return nil
	}
	if len(msg.list) == 0 {
		m.setStatus(msg.table+" has no actions", false)
		return nil
	}
	a := &actionList{c: m.c, table: msg.table, rowID: msg.rowID, since: msg.since, list: msg.list}
	for i, info := range msg.list {
		if info.Available {
			a.cur = i
			break
		}
	}
	return m.open(modeActions, a)
}

// runReq is an action run as the identity, or its preview (dry).
type runReq struct {
	table, action, rowID string
	input                map[string]any
	dry                  bool
	// since conditions the run on the record as the operator last saw it;
	// changed is why a preview is made again ("" for a first one).
	since, changed string
}

// runAction runs (or previews) an action.
func (m *Model) runAction(req runReq) tea.Cmd {
	tag := m.s.tag()
	eng := m.s.eng
	verb := "running "
	if req.dry {
		verb = "previewing "
	}
	ctx := m.expect("run", tag, verb+req.action+" on "+rowName(req.table, req.rowID), "", "")
	if !req.dry {
		// Once sent, a run is not called back: it may be written already.
		ctx = context.Background()
		m.act.final = true
	}
	return func() tea.Msg {
		res, err := eng.Run(ctx, tag.Identity, req.table, req.action, req.rowID, req.input, engine.WriteOptions{DryRun: req.dry, IfUnmodifiedSince: req.since})
		return runMsg{tag: tag, req: req, res: res, err: err}
	}
}

func (m *Model) onRun(msg runMsg) tea.Cmd {
	if !m.fresh("run", msg.tag) {
		return nil
	}
	req := msg.req
	target := rowName(req.table, req.rowID)
	if msg.err != nil {
		if note, ok := rowChanged(msg.err); ok {
			req.dry, req.since, req.changed = true, "", note
			return m.runAction(req)
		}
		return m.refused(msg.err)
	}
	if req.dry {
		next := req
		next.dry, next.changed = false, ""
		next.since = cmp.Or(msg.res.LastChange, req.since)
		lines := changeLines(m.c, msg.res.Changes, m.c.Width-4)
		lines = append(lines, withheldLines(m.c, msg.res.Withheld)...)
		if len(lines) == 0 {
			lines = []string{"(no changes)"}
		}
		return m.askConfirm(changedTitle(req.changed, "Run "+req.action+" on "+target+" — preview (dry run, nothing written yet)"), changedLines(m.c, req.changed, lines), "Run it?", req.action+" on "+target,
			func() tea.Cmd { return m.runAction(next) },
			m.form)
	}
	m.form = nil
	c, res := m.c, msg.res
	m.setStatus(req.action+" ran on "+target+changeSummary(res.Changes), false)
	return tea.Batch(m.open(modeResult, newResultView(c, func(w int) []string {
		st := c.Styles
		lines := []string{st.PanelTitle.Render(req.action+" ran on "+target) + st.Reason.Render("  (esc to close; the grid is refreshed)"), ""}
		lines = append(lines, st.Label.Render("Changes"))
		for _, l := range changeLines(c, res.Changes, w-4) {
			lines = append(lines, "  "+l)
		}
		if len(res.Changes) == 0 {
			lines = append(lines, st.Reason.Render("  (none shown)"))
		}
		if res.Row != nil {
			lines = append(lines, "", st.Label.Render("Record now"))
			lines = append(lines, recordLines(c, *res.Row)...)
		}
		for _, r := range res.Inserted {
			lines = append(lines, "", st.Label.Render("Inserted into "+r.Table.Name))
			lines = append(lines, recordLines(c, r)...)
		}
		if len(res.Withheld) > 0 {
			lines = append(lines, "", st.Label.Render("Not shown"))
			for _, l := range withheldLines(c, res.Withheld) {
				lines = append(lines, "  "+l)
			}
		}
		return lines
	})), m.grid.refresh())
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
