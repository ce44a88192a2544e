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
	// roles are the roles a member's role may be overridden with ("what
	// if Dana were an interviewer"); none for anonymous and synthetic
	// identities.
	roles []string
}

// as is the item's identity acting with role instead of the one the user
// holds ("" or the held role: no override). The engine decides as the
// role; the audit log records the role really held (Identity.RealRole).
func (it pickItem) as(role string) engine.Identity {
	id := it.id
	if role != "" && role != id.Role && slices.Contains(it.roles, role) {
		id.RealRole, id.Role = id.Role, role
	}
	return id
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
		others := slices.DeleteFunc(slices.Clone(roles), func(r string) bool { return r == mb.Role })
		out = append(out, pickItem{id: mb.Identity(), cols: cols, hay: strings.ToLower(strings.Join(cols, " ")), roles: others})
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

// picker is the identity switcher: a filterable list. A member's role
// may be overridden: tab cycles the highlighted member through the other
// roles, or "as ROLE" at the end of the filter overrides every member shown.
type picker struct {
	c       *Common
	input   textinput.Model
	all     []pickItem
	shown   []int
	cur     int
	off     int
	w, h    int
	current engine.Identity
	// override is the role tab chose per item (index into all); typed is
	// the role of an "as ROLE" typed at the end of the filter.
	override map[int]string
	typed    string
}

func newPicker(c *Common, items []pickItem, current engine.Identity) *picker {
	in := textinput.New()
	in.Prompt = "filter › "
	in.Placeholder = "name, user id, email, organization or role; end with \"as ROLE\" to override a member's role"
	p := &picker{c: c, input: in, current: current, override: map[int]string{}}
	p.setItems(items)
	for i, idx := range p.shown {
		it := p.all[idx]
		if it.as(current.Role) == current {
			p.cur = i
			if current.RealRole != "" {
				p.override[idx] = current.Role
			}
		}
	}
	return p
}

// role is the role item i acts with: the typed override, tab's, or its own.
func (p *picker) role(i int) string {
	it := p.all[i]
	if p.typed != "" && slices.Contains(it.roles, p.typed) {
		return p.typed
	}
	if r := p.override[i]; r != "" {
		return r
	}
	return it.id.Role
}

// identity is the identity item i stands for, its role overridden.
func (p *picker) identity(i int) engine.Identity { return p.all[i].as(p.role(i)) }

// cycle moves the highlighted member to the next role it does not hold,
// then back to its own.
func (p *picker) cycle() {
	if p.cur < 0 || p.cur >= len(p.shown) {
		return
	}
	i := p.shown[p.cur]
	roles := p.all[i].roles
	if len(roles) == 0 {
		p.c.post(statusMsg{text: "only a member's role can be overridden"})
		return
	}
	next := roles[0]
	if k := slices.Index(roles, p.override[i]); k >= 0 {
		next = ""
		if k+1 < len(roles) {
			next = roles[k+1]
		}
	}
	p.override[i] = next
}

func (p *picker) setItems(items []pickItem) {
	p.all = items
	p.override = map[int]string{}
	p.refilter()
}

// SetSize sets the picker's box.
func (p *picker) SetSize(w, h int) { p.w, p.h = w, h; p.input.Width = max(10, w-20); p.keepVisible() }

func (p *picker) refilter() {
	terms := strings.Fields(strings.ToLower(p.input.Value()))
	// "... as ROLE": every member shown acts with ROLE.
	p.typed = ""
	if n := len(terms); n >= 2 && terms[n-2] == "as" && slices.ContainsFunc(p.all, func(it pickItem) bool { return slices.Contains(it.roles, terms[n-1]) }) {
		p.typed = terms[n-1]
		terms = terms[:n-2]
	}
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
	out = append(out, st.PanelTitle.Render("Act as…")+st.Reason.Render("  type to filter · ↑/↓ choose · tab override role (ROLE ← role held) · enter switch · esc back"))
	out = append(out, p.input.View())
	all := make([][]string, len(p.all))
	for i := range p.all {
		all[i] = p.cells(i)
	}
	widths := pickerWidths(all, p.w)
	hdr := "  "
	for i, h := range pickerHeads {
		hdr += termsafe.Pad(h, widths[i]) + " "
	}
	out = append(out, st.Header.Render(hdr))
	end := min(len(p.shown), p.off+p.rows())
	for i := p.off; i < end; i++ {
		id := p.identity(p.shown[i])
		line := ""
		for j, c := range all[p.shown[i]] {
			line += termsafe.Pad(c, widths[j]) + " "
		}
		if id == p.current {
			// The mark shortens to its dot rather than cost a column.
			if 2+termsafe.Width(line)+termsafe.Width("● current") <= p.w {
				line += "● current"
			} else {
				line += "●"
			}
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

// pickerHeads are the picker's column headings.
var pickerHeads = []string{"NAME", "USER", "EMAIL", "ORG", "ROLE"}

// cells are item i's columns as shown: the role with its override.
func (p *picker) cells(i int) []string {
	cols := p.all[i].cols
	if id := p.identity(i); id.RealRole != "" {
		cols = append(slices.Clone(cols[:4]), termsafe.Sanitize(id.Role)+" ← "+termsafe.Sanitize(id.RealRole))
	}
	return cols
}

// pickerWidths fits the columns to their contents and to w cells (with a
// cell for the current identity's mark): the role is kept whole, the email, the name, the user
// id and the organization give way in that order.
func pickerWidths(rows [][]string, w int) []int {
	caps := []int{22, 16, 26, 10, 34}
	mins := []int{8, 6, 6, 4, 4}
	widths := make([]int, len(pickerHeads))
	for j, h := range pickerHeads {
		widths[j] = termsafe.Width(h)
	}
	for _, r := range rows {
		for j, c := range r {
			widths[j] = max(widths[j], min(caps[j], termsafe.Width(c)))
		}
	}
	over := 2 + len(widths) + 1 - w
	for _, n := range widths {
		over += n
	}
	for _, j := range []int{2, 0, 1, 3, 4} {
		if cut := min(over, widths[j]-mins[j]); cut > 0 {
			widths[j] -= cut
			over -= cut
		}
	}
	return widths
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
	case tea.KeyTab:
		p.cycle()
		return nil
	case tea.KeyEnter:
		if _, ok := p.selected(); !ok {
			return nil
		}
		p.c.post(closeMsg{}, actAsMsg{p.identity(p.shown[p.cur])})
		return nil
	}
	return p.filter(msg)
}

// open focuses the filter.
func (p *picker) open() tea.Cmd { return p.input.Focus() }

// ShortHelp is the picker's footer.
func (p *picker) ShortHelp() []Binding {
	return []Binding{bind(nil, "type", "filter"), bind(nil, "↑/↓", "choose"), bind([]string{"tab"}, "tab", "override role"), p.c.Keys.Select.as("act as"), p.c.Keys.Back}
}

// FullHelp lists the picker's keys.
func (p *picker) FullHelp() []HelpGroup {
	k := p.c.Keys
	return []HelpGroup{{"Act as", []Binding{bind(nil, "type", "filter"), bind([]string{"up", "ctrl+p"}, "↑", "previous"), bind([]string{"down", "ctrl+n"}, "↓", "next"),
		bind([]string{"pgup", "pgdown"}, "pgup/pgdn", "page"), bind([]string{"tab"}, "tab", "override the member's role (again: the next; back to its own)"),
		bind(nil, "as ROLE", "typed last: every member shown acts as ROLE"), k.Select, k.Back}}}
}
