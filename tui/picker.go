package tui

import (
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/termsafe"
)

// pickItem is one identity the operator may act as.
type pickItem struct {
	id   engine.Identity
	cols []string // name, user, email, organization, role (sanitized)
	hay  string   // lower-case text the filter matches
}

// identityItems lists every membership, then an anonymous caller and "any
// user of role R" for every organization (and role).
func identityItems(members []engine.Member, orgs []engine.Organization, roles []string) []pickItem {
	var out []pickItem
	for _, mb := range members {
		if mb.OrgID == "" {
			continue
		}
		cols := []string{termsafe.Sanitize(mb.Name), termsafe.Sanitize(mb.UserID), termsafe.Sanitize(mb.Email), termsafe.Sanitize(mb.OrgID), termsafe.Sanitize(mb.Role)}
		if mb.UserRole != "" && mb.UserRole != "user" {
			cols[4] += " (" + termsafe.Sanitize(mb.UserRole) + ")"
		}
		out = append(out, pickItem{id: mb.Identity(), cols: cols, hay: strings.ToLower(strings.Join(cols, " "))})
	}
	for _, o := range orgs {
		id := engine.Identity{OrgID: o.ID, Anonymous: true}
		cols := []string{"anonymous", "(no user)", "—", termsafe.Sanitize(o.ID), "PUBLIC access only"}
		out = append(out, pickItem{id: id, cols: cols, hay: strings.ToLower(strings.Join(cols, " "))})
	}
	for _, o := range orgs {
		for _, r := range roles {
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
		if !slices.ContainsFunc(terms, func(t string) bool { return !strings.Contains(it.hay, t) }) {
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

// filter feeds the filter input; a changed filter starts at the top.
func (p *picker) filter(msg tea.Msg) tea.Cmd {
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
	return box(strings.Join(out, "\n"), p.w, p.h)
}

// Update moves the choice, filters, or acts as the chosen identity.
func (p *picker) Update(msg tea.Msg) tea.Cmd {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return p.filter(msg)
	}
	switch km.Type {
	case tea.KeyEsc:
		p.c.post(closeMsg{})
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
		p.c.post(closeMsg{}, actAsMsg{it.id})
		return nil
	}
	return p.filter(msg)
}

// open focuses the filter.
func (p *picker) open() tea.Cmd { return p.input.Focus() }

// ShortHelp is the picker's footer.
func (p *picker) ShortHelp() []Binding {
	return []Binding{bind(nil, "type", "filter"), bind(nil, "↑/↓", "choose"), p.c.Keys.Select.as("act as"), p.c.Keys.Back}
}

// FullHelp lists the picker's keys.
func (p *picker) FullHelp() []HelpGroup {
	k := p.c.Keys
	return []HelpGroup{{"Act as", []Binding{bind(nil, "type", "filter"), bind([]string{"up", "ctrl+p"}, "↑", "previous"), bind([]string{"down", "ctrl+n"}, "↓", "next"),
		bind([]string{"pgup", "pgdown"}, "pgup/pgdn", "page"), k.Select, k.Back}}}
}
