package tui

import (
	"context"

	tea "github.com/charmbracelet/bubbletea"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/schema"
)

// grid is the main table view: a query's rows as this identity sees them,
// paged (grid_paging.go) and laid out within its box (grid_layout.go).
type grid struct {
	c *Common
	s *session
	t *schema.Table
	// order lists table column indexes in display order; order[0] is pinned.
	order []int
	res   result
	// fallback is the previous result, restored if the engine refuses a
	// new query (a refused query never leaves a silently different view).
	fallback *result
	gen      int
	inflight map[int]bool
	counting bool
	// countPending: a count is in flight for the current query.
	countPending bool
	err          error // the current query's refusal
	loading      bool
	col          int // selected column, index into order
	left         int // first scrolled column, index into order (>= 1)
	width        int
	height       int
	ctx          context.Context
	cancel       context.CancelFunc
	rs           *rowStyles
	hdrKey       string
	// cellsGen counts the cells rendered; fitted is what the column
	// widths were last fitted to (grid_layout.go).
	cellsGen int
	fitted   fitKey
	hdr      string
	// views remembers, per table name, the query and position the grid
	// had when the operator left that table, for the rest of the session.
	views map[string]tableView
	// hidden lists, per table name, the columns the operator hid (H).
	hidden map[string]map[string]bool
	// refs are the labels of referenced rows (refs.go).
	refs refLabels
	// fun explains an empty list (grid_funnel.go).
	fun funnelState
}

func newGrid(c *Common, s *session) *grid {
	return &grid{c: c, s: s, inflight: map[int]bool{}, left: 1}
}

// SetSize sets the grid's box.
func (g *grid) SetSize(w, h int) {
	g.width, g.height = w, h
	g.scrollTo()
}

// visible is the number of row lines.
func (g *grid) visible() int { return max(1, g.height-3) }

// Update moves the selection and the columns, sorts and clears the query
// (the keys of browse mode that stay on the grid), and takes the pages and
// counts of its queries.
func (g *grid) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case pageMsg:
		cmd, err := g.onPage(msg)
		if rq, ok := err.(refusedQuery); ok {
			g.c.post(statusMsg{text: "query not applied, previous view kept: " + firstLine(engine.FormatError(rq.err)), isErr: true})
		} else if err != nil {
			g.c.post(errorMsg{err})
		}
		return cmd
	case countMsg:
		return g.onCount(msg)
	case funnelMsg:
		return g.onFunnel(msg)
	case tea.KeyMsg:
		return g.key(msg)
	}
	return nil
}

func (g *grid) key(msg tea.KeyMsg) tea.Cmd {
	k := g.c.Keys
	switch {
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
		return g.bottom()
	case k.Left.Matches(msg):
		g.moveCol(-1)
	case k.Right.Matches(msg):
		g.moveCol(1)
	case k.Sort.Matches(msg):
		return g.sortBySelected()
	case k.Unfilter.Matches(msg):
		return g.removeColumnFilters()
	case k.Back.Matches(msg):
		g.stopFunnel()
	case k.ClearQuery.Matches(msg):
		if g.t == nil {
			return nil
		}
		g.c.post(statusMsg{text: "search, filters and sort cleared"})
		return g.setQuery(querySpec{table: g.t.Name})
	}
	return nil
}

// sortBySelected sorts by the selected column; again reverses it.
func (g *grid) sortBySelected() tea.Cmd {
	c := g.selectedColumn()
	if c == nil {
		return nil
	}
	if why := g.maskedRefusal("sort"); why != "" {
		g.c.post(statusMsg{text: why, isErr: true})
		return nil
	}
	spec := g.res.spec
	desc := false
	if len(spec.sort) > 0 && spec.sort[0].Column == c.Name {
		desc = !spec.sort[0].Desc
	}
	spec.sort = []schema.SortKey{{Column: c.Name, Desc: desc}}
	return g.setQuery(spec)
}

// ShortHelp is the footer of browse mode: the grid is what it browses.
// The writes it offers are the ones the engine would not refuse this
// identity on this table (may.go).
func (g *grid) ShortHelp() []Binding {
	k := g.c.Keys
	bs := []Binding{k.Identity, k.Detail}
	if g.stoppable() {
		bs = append([]Binding{k.Back.as("stop counting")}, bs...)
	}
	bs = append(bs, g.writeHints()...)
	bs = append(bs, k.Matrix, k.Audit, k.Palette, k.Search, k.Filter, k.Sort, k.Compare, k.CopyCell, k.ExportCSV, k.Help, k.Quit)
	return enabled(bs)
}

// FullHelp is every key of browse mode, grouped (the help view shows it).
func (g *grid) FullHelp() []HelpGroup { return g.c.Keys.FullHelp() }

func (g *grid) clampPos() {
	if g.res.end {
		g.res.pos = min(g.res.pos, max(0, g.res.known-1))
	}
	g.res.pos = max(0, g.res.pos)
	g.scrollTo()
}

// scrollTo keeps the selected row inside the viewport.
func (g *grid) scrollTo() {
	vis := g.visible()
	if g.res.pos < g.res.top {
		g.res.top = g.res.pos
	}
	if g.res.pos >= g.res.top+vis {
		g.res.top = g.res.pos - vis + 1
	}
	if g.res.end && g.res.known > 0 {
		g.res.top = min(g.res.top, max(0, g.res.known-vis))
	}
	g.res.top = max(0, g.res.top)
}

// move moves the selection by delta rows within the rows known to exist.
func (g *grid) move(delta int) tea.Cmd {
	limit := max(0, g.res.known-1)
	g.res.pos = clamp(g.res.pos+delta, 0, limit)
	g.scrollTo()
	g.evict()
	return g.ensure()
}

// page moves the viewport and the selection by one screen.
func (g *grid) page(dir int) tea.Cmd {
	vis := g.visible()
	limit := max(0, g.res.known-1)
	pos := clamp(g.res.pos+dir*vis, 0, limit)
	g.res.top = max(0, g.res.top+(pos-g.res.pos))
	g.res.pos = pos
	g.scrollTo()
	g.evict()
	return g.ensure()
}

// home selects the first row (a result read from its end is read from
// its start again).
func (g *grid) home() tea.Cmd {
	if g.res.tail || g.res.wantTail {
		widths := g.res.widths
		g.res = newResult(g.res.spec, g.t)
		copy(g.res.widths, widths)
		return g.restart()
	}
	g.res.pos = 0
	g.scrollTo()
	g.evict()
	return g.ensure()
}

// bottom selects the last row: at once when the end is known, else the
// result is read from its end (reversed) once its total is known.
func (g *grid) bottom() tea.Cmd {
	switch {
	case g.t == nil || g.err != nil:
		return nil
	case g.res.end:
		return g.end()
	case g.res.total >= 0:
		return g.toTail()
	}
	g.res.wantTail = true
	g.c.post(statusMsg{text: "counting the rows to reach the last…"})
	if !g.counting {
		return g.count()
	}
	return nil
}

func (g *grid) end() tea.Cmd {
	g.res.pos = max(0, g.res.known-1)
	g.scrollTo()
	g.evict()
	return g.ensure()
}

func (g *grid) moveCol(delta int) {
	if g.t == nil {
		return
	}
	g.col = clamp(g.col+delta, 0, len(g.order)-1)
	if g.col >= 1 && g.col < g.left {
		g.left = g.col
	}
	for g.col >= 1 && !g.colVisible(g.col) && g.left < g.col {
		g.left++
	}
}

// selected returns the selected row, if it is loaded.
func (g *grid) selected() (engine.Row, bool) {
	pg, i, ok := g.res.at(g.res.pos)
	if !ok {
		return engine.Row{}, false
	}
	return pg.rows[i], true
}

// selectedColumn is the selected column.
func (g *grid) selectedColumn() *schema.Column {
	if g.t == nil || len(g.order) == 0 {
		return nil
	}
	return g.t.Columns[g.order[g.col]]
}
