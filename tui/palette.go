package tui

import (
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/sahilm/fuzzy"

	"quickback.dev/qb/termsafe"
)

// The command palette (:): every table, every identity and every action of
// the current table, and the console's views, found by fuzzy match on what
// is typed (k9s's ":" and lazygit's command list). Choosing an entry posts
// the same message its key would.

// paletteItem is one entry: its kind, the text matched and shown
// (sanitized), and the message choosing it posts.
type paletteItem struct {
	kind string // "table", "as", "run", "view"
	text string
	msg  tea.Msg
	// member is the identity of an "as" entry (for a role override).
	member pickItem
}

// Messages the palette posts besides actAsMsg.
type (
	// jumpTableMsg shows the table at index i of the sidebar.
	jumpTableMsg struct{ i int }
	// runNamedMsg runs the named action of the current table on the
	// selected row (availability as the action list tells it).
	runNamedMsg struct{ action string }
	// keyAsMsg does what a browse key does (the palette's views).
	keyAsMsg struct{ key tea.KeyMsg }
)

// paletteItems lists what the palette offers, in this order when nothing
// is typed: the tables, the actions of the current table, the views, the
// identities.
func (m *Model) paletteItems() []paletteItem {
	var out []paletteItem
	for i, t := range m.cfg.Tables {
		text := "table " + termsafe.Sanitize(t.Name)
		if t.Label != "" && t.Label != t.Name {
			text += " · " + termsafe.Sanitize(t.Label)
		}
		out = append(out, paletteItem{kind: "table", text: text, msg: jumpTableMsg{i}})
	}
	if t := m.grid.t; t != nil {
		row := ""
		if r, ok := m.grid.selected(); ok {
			row = " on " + termsafe.Sanitize(r.ID())
		}
		for _, a := range t.Actions {
			text := "run " + termsafe.Sanitize(a.Name)
			if a.Type == "record" {
				text += row
			}
			if a.Description != "" {
				text += " · " + termsafe.Sanitize(a.Description)
			}
			out = append(out, paletteItem{kind: "run", text: text, msg: runNamedMsg{a.Name}})
		}
	}
	k := m.c.Keys
	for _, b := range []Binding{k.Matrix, k.Audit, k.Compare, k.Detail, k.ClearQuery, k.Refresh, k.Reload, k.ExportCSV, k.ExportJSON, k.Help} {
		if !b.Enabled() || len(b.Keys()) == 0 {
			continue
		}
		out = append(out, paletteItem{kind: "view", text: b.Long + " (" + b.Help().Key + ")", msg: keyAsMsg{keyMsgOf(b.Keys()[0])}})
	}
	for _, it := range identityItems(m.members, m.orgs, m.cfg.Auth.Roles) {
		out = append(out, paletteItem{kind: "as", text: "as " + strings.Join(it.cols, " · "), msg: actAsMsg{it.id}, member: it})
	}
	return out
}

// overrides are the members of items acting as role instead of the role
// they hold ("dana as interviewer" typed in the palette), as the picker's
// override does.
func overrides(items []paletteItem, role string) []paletteItem {
	var out []paletteItem
	for _, it := range items {
		if it.kind != "as" || !slices.Contains(it.member.roles, role) {
			continue
		}
		id := it.member.as(role)
		cols := slices.Clone(it.member.cols)
		cols[4] = termsafe.Sanitize(role) + " ← " + termsafe.Sanitize(id.RealRole)
		out = append(out, paletteItem{kind: "as", text: "as " + strings.Join(cols, " · "), msg: actAsMsg{id}, member: it.member})
	}
	return out
}

// keyMsgOf is the key message of a binding's key name.
func keyMsgOf(k string) tea.KeyMsg {
	switch k {
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "ctrl+r":
		return tea.KeyMsg{Type: tea.KeyCtrlR}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
}

// palette is the command palette: a line to type in over the matches.
type palette struct {
	c     *Common
	input textinput.Model
	// all are the entries; items those matched against (all, or the
	// members acting as the role an "as ROLE" typed last names).
	all     []paletteItem
	items   []paletteItem
	matches []fuzzy.Match
	cur     int
	off     int
	w, h    int
}

func newPalette(c *Common, items []paletteItem) *palette {
	in := textinput.New()
	in.Prompt = ": "
	in.Placeholder = "table, identity, action or view — fuzzy"
	p := &palette{c: c, input: in, all: items, items: items}
	p.refilter()
	return p
}

// paletteSource lets fuzzy match the items' texts.
type paletteSource []paletteItem

func (s paletteSource) String(i int) string { return s[i].text }
func (s paletteSource) Len() int            { return len(s) }

// refilter matches what is typed; nothing typed lists every item in order.
// "… as ROLE" typed last matches the members acting as ROLE.
func (p *palette) refilter() {
	q := strings.TrimSpace(p.input.Value())
	p.items = p.all
	if w := strings.Fields(q); len(w) >= 2 && w[len(w)-2] == "as" {
		if ov := overrides(p.all, w[len(w)-1]); len(ov) > 0 {
			p.items = ov
			q = strings.Join(w[:len(w)-2], " ")
		}
	}
	if q == "" {
		p.matches = make([]fuzzy.Match, len(p.items))
		for i, it := range p.items {
			p.matches[i] = fuzzy.Match{Str: it.text, Index: i}
		}
	} else {
		p.matches = fuzzy.FindFrom(q, paletteSource(p.items))
	}
	p.cur, p.off = 0, 0
}

func (p *palette) rows() int { return max(1, p.h-3) }

func (p *palette) move(d int) {
	p.cur = clamp(p.cur+d, 0, len(p.matches)-1)
	if p.cur < p.off {
		p.off = p.cur
	}
	if p.cur >= p.off+p.rows() {
		p.off = p.cur - p.rows() + 1
	}
}

// SetSize sets the palette's box.
func (p *palette) SetSize(w, h int) {
	p.w, p.h = w, h
	p.input.Width = max(10, w-4)
	p.move(0)
}

// open focuses the input.
func (p *palette) open() tea.Cmd { return p.input.Focus() }

// Update types, moves the choice, chooses (enter) or closes (esc).
func (p *palette) Update(msg tea.Msg) tea.Cmd {
	if km, ok := msg.(tea.KeyMsg); ok {
		switch km.Type {
		case tea.KeyEsc:
			p.c.post(closeMsg{})
			return nil
		case tea.KeyUp, tea.KeyCtrlP, tea.KeyShiftTab:
			p.move(-1)
			return nil
		case tea.KeyDown, tea.KeyCtrlN, tea.KeyTab:
			p.move(1)
			return nil
		case tea.KeyPgUp:
			p.move(-p.rows())
			return nil
		case tea.KeyPgDown:
			p.move(p.rows())
			return nil
		case tea.KeyEnter:
			if p.cur < len(p.matches) {
				p.c.post(closeMsg{}, p.items[p.matches[p.cur].Index].msg)
			}
			return nil
		}
	}
	before := p.input.Value()
	var cmd tea.Cmd
	p.input, cmd = p.input.Update(msg)
	if p.input.Value() != before {
		p.refilter()
	}
	return cmd
}

// View renders the input over the matches, the matched letters marked.
func (p *palette) View() string {
	st := p.c.Styles
	out := []string{st.PanelTitle.Render("Command") + st.Reason.Render("  type to match · ↑/↓ choose · enter do it · esc back"), p.input.View()}
	end := min(len(p.matches), p.off+p.rows())
	for i := p.off; i < end; i++ {
		mt := p.matches[i]
		it := p.items[mt.Index]
		line := st.Reason.Render(termsafe.Pad(it.kind, 6)) + highlight(st, it.text, mt.MatchedIndexes)
		if i == p.cur {
			out = append(out, st.SidebarSelected.Render(CursorMark)+" "+line)
		} else {
			out = append(out, "  "+line)
		}
	}
	if len(p.matches) == 0 {
		out = append(out, st.Reason.Render("  nothing matches"))
	}
	return box(strings.Join(out, "\n"), p.w, p.h)
}

// highlight renders s with the bytes at idx (fuzzy's matched runes) in
// the key style.
func highlight(st Styles, s string, idx []int) string {
	if len(idx) == 0 {
		return s
	}
	mark := map[int]bool{}
	for _, i := range idx {
		mark[i] = true
	}
	var b strings.Builder
	for i, r := range s {
		if mark[i] {
			b.WriteString(st.HelpKey.Render(string(r)))
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// ShortHelp is the palette's footer.
func (p *palette) ShortHelp() []Binding {
	return []Binding{bind(nil, "type", "match"), bind(nil, "↑/↓", "choose"), p.c.Keys.Select.as("do it"), p.c.Keys.Back}
}

// FullHelp lists the palette's keys.
func (p *palette) FullHelp() []HelpGroup {
	k := p.c.Keys
	return []HelpGroup{{"Command", []Binding{bind(nil, "type", "fuzzy match"), bind([]string{"up", "ctrl+p", "shift+tab"}, "↑", "previous"),
		bind([]string{"down", "ctrl+n", "tab"}, "↓", "next"), bind([]string{"pgup", "pgdown"}, "pgup/pgdn", "page"), k.Select, k.Back}}}
}

// listNamedAction asks the engine for the row's actions and goes on with
// the named one as the action list would: its form or preview when it is
// available, else its refusal.
func (m *Model) listNamedAction(rowID, since, action string) tea.Cmd {
	cmd := m.listActions(rowID, since)
	m.wantAction = action
	return cmd
}

// pickNamedAction takes the action the palette asked for out of an action
// list; ok is false when none was asked for.
func (m *Model) pickNamedAction(msg actionsMsg) (tea.Cmd, bool) {
	name := m.wantAction
	m.wantAction = ""
	if name == "" || msg.err != nil {
		return nil, false
	}
	for _, info := range msg.list {
		if info.Name != name {
			continue
		}
		if !info.Available {
			m.setStatus(termsafe.Sanitize(name+": "+string(info.Code)+": "+info.Reason), true)
			return nil, true
		}
		if m.c.ReadOnly {
			m.setStatus("read-only session: "+termsafe.Sanitize(name)+" is available to this identity but is not run", false)
			return nil, true
		}
		return m.onActionChosen(actionChosenMsg{table: msg.table, rowID: msg.rowID, since: msg.since, info: info}), true
	}
	return nil, false
}
