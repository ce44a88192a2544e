package tui

import (
	"maps"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/schema"
	"quickback.dev/qb/termsafe"
)

// Columns: which of a table's columns the grid shows (H), and removing
// the filters of one column (-) rather than the whole query (F).

// displayOrder lists t's column indexes in display order: the pinned
// column (the display column, else the id) first, then the declared
// columns, then the system-managed ones (the firewall's organization and
// owner columns and the audit columns), which say least while browsing.
func displayOrder(t *schema.Table) []int {
	pin := t.PrimaryKey().Name
	if t.DisplayColumn != "" {
		pin = t.DisplayColumn
	}
	var order, late []int
	for i, c := range t.Columns {
		switch {
		case c.Name == pin:
			order = append([]int{i}, order...)
		case t.IsSystemManaged(c.Name):
			late = append(late, i)
		default:
			order = append(order, i)
		}
	}
	return append(order, late...)
}

// shownOrder is displayOrder without the columns the operator hid on t
// this session (the pinned one is never hidden).
func (g *grid) shownOrder(t *schema.Table) []int {
	order := displayOrder(t)
	hidden := g.hidden[t.Name]
	out := order[:1]
	for _, i := range order[1:] {
		if !hidden[t.Columns[i].Name] {
			out = append(out, i)
		}
	}
	return out
}

// setHidden hides the named columns of the grid's table (and shows the
// others), keeping the selected column when it is still shown.
func (g *grid) setHidden(hidden map[string]bool) {
	if g.t == nil {
		return
	}
	if g.hidden == nil {
		g.hidden = map[string]map[string]bool{}
	}
	g.hidden[g.t.Name] = maps.Clone(hidden)
	sel := g.order[g.col]
	g.order = g.shownOrder(g.t)
	g.col = 0
	for oi, i := range g.order {
		if i == sel {
			g.col = oi
		}
	}
	g.left = clamp(g.left, 1, max(1, len(g.order)-1))
	g.moveCol(0)
	g.hdrKey = ""
}

// removeColumnFilters drops the filters (and the sort key) on the selected
// column, keeping the rest of the query.
func (g *grid) removeColumnFilters() tea.Cmd {
	c := g.selectedColumn()
	if c == nil {
		return nil
	}
	spec := g.res.spec
	var kept []engine.Filter
	var others []string
	for _, f := range spec.filters {
		if f.Column == c.Name {
			continue
		}
		kept = append(kept, f)
		others = append(others, f.Column)
	}
	sorted := len(spec.sort) > 0 && spec.sort[0].Column == c.Name
	if len(kept) == len(spec.filters) && !sorted {
		msg := "no filter on " + c.Name + " to remove"
		if len(others) > 0 {
			msg += "; filtered: " + strings.Join(others, ", ") + " (select the column, then -)"
		}
		g.c.post(statusMsg{text: termsafe.Sanitize(msg)})
		return nil
	}
	spec.filters = kept
	if sorted {
		spec.sort = nil
	}
	g.c.post(statusMsg{text: termsafe.Sanitize("removed the filter and sort on " + c.Name + "; the rest of the query is kept")})
	return g.setQuery(spec)
}

// columnsMsg is the set of columns the column chooser hides.
type columnsMsg struct{ hidden map[string]bool }

// columnChooser lists the grid table's columns to show or hide (H):
// space or enter toggles one; the grid follows at once.
type columnChooser struct {
	c      *Common
	t      *schema.Table
	order  []int
	hidden map[string]bool
	cur    int
	off    int
	w, h   int
}

func newColumnChooser(c *Common, t *schema.Table, hidden map[string]bool) *columnChooser {
	return &columnChooser{c: c, t: t, order: displayOrder(t), hidden: maps.Clone(hidden), cur: 1}
}

// SetSize sets the chooser's box.
func (cc *columnChooser) SetSize(w, h int) { cc.w, cc.h = w, h; cc.move(0) }

func (cc *columnChooser) rows() int { return max(1, cc.h-2) }

func (cc *columnChooser) move(d int) {
	cc.cur = clamp(cc.cur+d, 0, len(cc.order)-1)
	if cc.cur < cc.off {
		cc.off = cc.cur
	}
	if cc.cur >= cc.off+cc.rows() {
		cc.off = cc.cur - cc.rows() + 1
	}
}

// Update moves, toggles the column under the cursor, or closes.
func (cc *columnChooser) Update(msg tea.Msg) tea.Cmd {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return nil
	}
	k := cc.c.Keys
	switch {
	case k.Back.Matches(km), k.Quit.Matches(km), k.Columns.Matches(km):
		cc.c.post(closeMsg{})
	case k.Up.Matches(km):
		cc.move(-1)
	case k.Down.Matches(km):
		cc.move(1)
	case k.Toggle.Matches(km):
		if cc.cur == 0 {
			cc.c.post(statusMsg{text: termsafe.Sanitize(cc.t.Columns[cc.order[0]].Name + " is pinned: it is always shown")})
			return nil
		}
		name := cc.t.Columns[cc.order[cc.cur]].Name
		if cc.hidden == nil {
			cc.hidden = map[string]bool{}
		}
		if cc.hidden[name] {
			delete(cc.hidden, name)
		} else {
			cc.hidden[name] = true
		}
		cc.c.post(columnsMsg{hidden: maps.Clone(cc.hidden)})
	}
	return nil
}

// View lists the columns, shown or hidden.
func (cc *columnChooser) View() string {
	st := cc.c.Styles
	out := []string{st.PanelTitle.Render("Columns of "+termsafe.Sanitize(cc.t.Name)) + st.Reason.Render("  ↑/↓ choose · space show/hide · esc back"), ""}
	end := min(len(cc.order), cc.off+cc.rows())
	for i := cc.off; i < end; i++ {
		name := cc.t.Columns[cc.order[i]].Name
		state := "[x] "
		if cc.hidden[name] {
			state = "[ ] "
		}
		note := ""
		if i == 0 {
			note = st.Reason.Render("  pinned: always shown")
		}
		line := state + termsafe.Sanitize(name) + note
		if i == cc.cur {
			out = append(out, st.SidebarSelected.Render(CursorMark)+" "+line)
		} else {
			out = append(out, "  "+line)
		}
	}
	return box(strings.Join(out, "\n"), cc.w, cc.h)
}

// ShortHelp is the chooser's footer.
func (cc *columnChooser) ShortHelp() []Binding {
	k := cc.c.Keys
	return []Binding{k.Up, k.Down, k.Toggle, k.Back}
}

// FullHelp lists the chooser's keys.
func (cc *columnChooser) FullHelp() []HelpGroup {
	k := cc.c.Keys
	return []HelpGroup{{"Columns", []Binding{k.Up, k.Down, k.Toggle, k.Columns.as("close"), k.Back, k.Quit}}}
}
