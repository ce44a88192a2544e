package tui

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/schema"
	"quickback.dev/qb/termsafe"
)

// Grid paging: rows are fetched PageSize at a time by keyset cursor. The
// cursors of every page reached are kept (a short string each), the rows of
// only the pages near the viewport.
const (
	PageSize  = 100
	keepPages = 2 // pages kept on each side of the viewport's pages
	minColW   = 3
	maxColW   = 28
	colGap    = "  "
	pinGap    = " │ "
)

// session is the engine and the identity the console acts as, and the
// request counter that tags every engine call.
type session struct {
	eng *engine.Engine
	id  engine.Identity
	seq uint64
}

func (s *session) tag() reqTag {
	s.seq++
	return reqTag{ID: s.seq, Identity: s.id}
}

// querySpec is what the grid lists.
type querySpec struct {
	table   string
	filters []engine.Filter
	sort    []schema.SortKey
	search  string
}

func (q querySpec) listQuery(cursor string, limit int) engine.ListQuery {
	return engine.ListQuery{Filters: append([]engine.Filter(nil), q.filters...), Sort: append([]schema.SortKey(nil), q.sort...),
		Search: q.search, Limit: limit, Cursor: cursor}
}

func (q querySpec) describe() string {
	var parts []string
	if q.search != "" {
		parts = append(parts, "search "+strconv.Quote(q.search))
	}
	for _, f := range q.filters {
		sep := ""
		if f.Op == "in" {
			sep = " "
		}
		parts = append(parts, "filter "+f.Column+sep+f.Op+sep+f.Value)
	}
	for _, s := range q.sort {
		d := "▲"
		if s.Desc {
			d = "▼"
		}
		parts = append(parts, "sort "+s.Column+" "+d)
	}
	return termsafe.Sanitize(strings.Join(parts, " · "))
}

// gridPage is one fetched page with its cells already rendered as text.
type gridPage struct {
	rows  []engine.Row
	cells [][]string
	// pad caches cells padded to their column's width (padW, by column).
	pad  [][]string
	padW map[int]int
}

// result is the state of one query: page cursors, cached pages, what is
// known of its length, and the position in it.
type result struct {
	spec    querySpec
	cursors []string // cursors[p] is the start of page p ("" for page 0)
	pages   map[int]*gridPage
	known   int  // rows known to exist
	end     bool // known is exact: the last page has been read
	total   int64
	widths  []int // by table column index
	pos     int   // selected row
	top     int   // first visible row
}

func newResult(spec querySpec, t *schema.Table) result {
	r := result{spec: spec, cursors: []string{""}, pages: map[int]*gridPage{}, total: -1}
	r.widths = make([]int, len(t.Columns))
	for i, c := range t.Columns {
		r.widths[i] = clamp(termsafe.Width(c.Name)+2, minColW, maxColW)
	}
	return r
}

// grid is the main table view.
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
	hdr          string
	// views remembers, per table name, the query and position the grid
	// had when the operator left that table, for the rest of the session.
	views map[string]tableView
}

// tableView is what the grid remembers of a table it left: the query and
// the position, never rows (they are fetched again, for the identity of the
// moment).
type tableView struct {
	spec      querySpec
	pos, top  int
	col, left int
	widths    []int
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

// setTable shows t with the query and position it had when the grid left
// it, or an empty query the first time.
func (g *grid) setTable(t *schema.Table) tea.Cmd {
	g.remember()
	g.t = t
	g.order = g.order[:0]
	pin := t.PrimaryKey().Name
	if t.DisplayColumn != "" {
		pin = t.DisplayColumn
	}
	// The pinned column first, then the declared columns, then the
	// system-managed ones (the firewall's organization and owner columns and
	// the audit columns), which say least while browsing.
	var late []int
	for i, c := range t.Columns {
		switch {
		case c.Name == pin:
			g.order = append([]int{i}, g.order...)
		case t.IsSystemManaged(c.Name):
			late = append(late, i)
		default:
			g.order = append(g.order, i)
		}
	}
	g.order = append(g.order, late...)
	g.col, g.left = 0, 1
	g.fallback = nil
	g.res = newResult(querySpec{table: t.Name}, t)
	if v, ok := g.views[t.Name]; ok {
		g.res = newResult(v.spec, t)
		if len(v.widths) == len(g.res.widths) {
			copy(g.res.widths, v.widths)
		}
		g.res.pos, g.res.top = v.pos, v.top
		if v.col < len(g.order) {
			g.col = v.col
		}
		if v.left >= 1 && v.left < max(2, len(g.order)) {
			g.left = v.left
		}
	}
	return g.restart()
}

// remember keeps the current table's query and position for when the
// operator comes back to it.
func (g *grid) remember() {
	if g.t == nil {
		return
	}
	res := g.res
	if g.views == nil {
		g.views = map[string]tableView{}
	}
	g.views[g.t.Name] = tableView{spec: res.spec, pos: res.pos, top: res.top, col: g.col, left: g.left,
		widths: append([]int(nil), res.widths...)}
}

// forget drops every remembered table view (the config changed).
func (g *grid) forget() { g.views = nil }

// setQuery runs a new query on the same table and identity. The current
// result is kept as the fallback until the new query's first page arrives.
func (g *grid) setQuery(spec querySpec) tea.Cmd {
	if g.err == nil && !g.loading {
		fb := g.res
		g.fallback = &fb
	}
	widths := g.res.widths
	g.res = newResult(spec, g.t)
	copy(g.res.widths, widths)
	return g.restart()
}

// reidentify re-runs the query for a new identity, keeping table, query and
// position. Everything fetched for the previous identity is forgotten at
// once, so its rows can never be shown under the new identity.
func (g *grid) reidentify() tea.Cmd {
	if g.t == nil {
		return nil
	}
	pos, top, widths := g.res.pos, g.res.top, g.res.widths
	g.fallback = nil
	g.res = newResult(g.res.spec, g.t)
	copy(g.res.widths, widths)
	g.res.pos, g.res.top = pos, top
	return g.restart()
}

// refresh re-reads the pages around the viewport (after a write), keeping
// the page boundaries already known; onPage repairs them if they moved.
func (g *grid) refresh() tea.Cmd {
	if g.t == nil {
		return nil
	}
	g.res.pages = map[int]*gridPage{}
	g.res.end = false
	g.res.total = -1
	g.fallback = nil
	return g.restart()
}

// restart cancels what is in flight and fetches what the viewport needs.
func (g *grid) restart() tea.Cmd {
	if g.cancel != nil {
		g.cancel()
	}
	g.ctx, g.cancel = context.WithCancel(context.Background())
	g.gen++
	g.inflight = map[int]bool{}
	g.counting = false
	g.countPending = false
	g.err = nil
	g.loading = true
	return g.ensure()
}

// stop cancels everything in flight.
func (g *grid) stop() {
	if g.cancel != nil {
		g.cancel()
	}
}

func (g *grid) fetch(p int) tea.Cmd {
	g.inflight[p] = true
	tag, gen, ctx, eng := g.s.tag(), g.gen, g.ctx, g.s.eng
	table, q := g.t.Name, g.res.spec.listQuery(g.res.cursors[p], PageSize)
	return func() tea.Msg {
		res, err := eng.List(ctx, tag.Identity, table, q)
		return pageMsg{tag: tag, gen: gen, page: p, res: res, err: err}
	}
}

// ensure fetches the pages the viewport needs (and one ahead), walking
// forward from the furthest known cursor when a page's start is unknown.
func (g *grid) ensure() tea.Cmd {
	if g.t == nil || g.err != nil {
		return nil
	}
	vis := g.visible()
	first := g.res.top / PageSize
	last := (g.res.top + vis) / PageSize
	if !g.res.end && g.res.top+2*vis >= g.res.known {
		last = max(last, g.res.known/PageSize)
	}
	var cmds []tea.Cmd
	for p := first; p <= last; p++ {
		if p > 0 && g.res.end && p*PageSize >= g.res.known {
			break
		}
		if _, ok := g.res.pages[p]; ok || g.inflight[p] {
			continue
		}
		if p < len(g.res.cursors) {
			cmds = append(cmds, g.fetch(p))
			continue
		}
		q := len(g.res.cursors) - 1
		if _, ok := g.res.pages[q]; !ok && !g.inflight[q] && !g.res.end {
			cmds = append(cmds, g.fetch(q))
		}
		break
	}
	return tea.Batch(cmds...)
}

// refusedQuery is a query the engine refused; the previous view was kept.
type refusedQuery struct{ err error }

func (r refusedQuery) Error() string { return r.err.Error() }

// onPage takes a page result. Results of an older query or of another
// identity are dropped. The returned error is for the status line.
func (g *grid) onPage(msg pageMsg) (tea.Cmd, error) {
	if g.t == nil || msg.gen != g.gen || msg.tag.Identity != g.s.id {
		return nil, nil // stale
	}
	delete(g.inflight, msg.page)
	if msg.err != nil {
		if msg.page == 0 && g.fallback != nil {
			g.res = *g.fallback
			g.fallback = nil
			cmd := g.restart()
			g.loading = false
			return cmd, refusedQuery{msg.err}
		}
		g.err = msg.err
		g.loading = false
		return nil, msg.err
	}
	p, rows, next := msg.page, msg.res.Rows, msg.res.Next
	g.res.pages[p] = g.makePage(rows)
	if p == 0 {
		g.loading = false
		g.fallback = nil
	}
	var cmds []tea.Cmd
	if p+1 < len(g.res.cursors) && g.res.cursors[p+1] != next {
		// The page boundaries moved (rows were written): forget what
		// follows and read it again from here.
		g.res.cursors = g.res.cursors[:p+1]
		for k := range g.res.pages {
			if k > p {
				delete(g.res.pages, k)
			}
		}
		g.res.known = p * PageSize
		g.res.end = false
		g.gen++
		g.inflight = map[int]bool{}
		g.counting = false
		g.countPending = false
	}
	if p+1 == len(g.res.cursors) && next != "" {
		g.res.cursors = append(g.res.cursors, next)
	}
	known := p*PageSize + len(rows)
	if next == "" {
		g.res.end, g.res.known = true, known
		g.res.total = int64(known)
	} else if known > g.res.known {
		g.res.known = known
	}
	g.clampPos()
	g.evict()
	cmds = append(cmds, g.ensure())
	if p == 0 && next != "" && g.res.total < 0 && !g.counting {
		cmds = append(cmds, g.count())
	}
	return tea.Batch(cmds...), nil
}

// count asks the engine for the total, lazily and cancellably.
func (g *grid) count() tea.Cmd {
	g.counting = true
	g.countPending = true
	tag, gen, ctx, eng, table, q := g.s.tag(), g.gen, g.ctx, g.s.eng, g.t.Name, g.res.spec.listQuery("", 0)
	return func() tea.Msg {
		n, err := eng.Count(ctx, tag.Identity, table, q)
		return countMsg{tag: tag, gen: gen, n: n, err: err}
	}
}

func (g *grid) onCount(msg countMsg) {
	if msg.gen != g.gen || msg.tag.Identity != g.s.id {
		return
	}
	g.countPending = false
	if msg.err != nil || g.res.end {
		return
	}
	g.res.total = msg.n
}

// makePage renders a page's cells and widens columns to their content.
func (g *grid) makePage(rows []engine.Row) *gridPage {
	pg := &gridPage{rows: rows, cells: make([][]string, len(rows))}
	for i, r := range rows {
		cells := make([]string, len(r.Values))
		for j := range r.Values {
			cells[j] = cellText(r, j)
			if w := termsafe.Width(cells[j]); w > g.res.widths[j] {
				g.res.widths[j] = min(w, maxColW)
			}
		}
		pg.cells[i] = cells
	}
	return pg
}

// cellText is a value as the grid shows it: sanitized, masked values behind
// MaskMark, null as NullMark.
func cellText(r engine.Row, i int) string {
	v := r.Values[i]
	if v == nil {
		return NullMark
	}
	s := termsafe.Sanitize(engine.ValueString(v))
	if r.Masked[i] {
		return MaskMark + s
	}
	return s
}

// shownText is a value as shown, without the grid's markers (for copies
// and exports): masked values stay masked.
func shownText(r engine.Row, i int) string {
	return termsafe.Sanitize(engine.ValueString(r.Values[i]))
}

func (g *grid) evict() {
	lo := g.res.top/PageSize - keepPages
	hi := (g.res.top+g.visible())/PageSize + keepPages
	for p := range g.res.pages {
		if p < lo || p > hi {
			delete(g.res.pages, p)
		}
	}
}

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

func (g *grid) home() tea.Cmd { g.res.pos = 0; g.scrollTo(); g.evict(); return g.ensure() }

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
	pg, ok := g.res.pages[g.res.pos/PageSize]
	if !ok {
		return engine.Row{}, false
	}
	i := g.res.pos % PageSize
	if i >= len(pg.rows) {
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

// position is "row 12 of 340", "row 12 of ?" while the total is unknown.
func (g *grid) position() string {
	if g.t == nil || g.err != nil {
		return ""
	}
	if g.loading && len(g.res.pages) == 0 {
		return "loading…"
	}
	total := "?"
	switch {
	case g.res.end:
		total = humanInt(int64(g.res.known))
	case g.res.total >= 0:
		total = humanInt(g.res.total)
	}
	if g.res.end && g.res.known == 0 {
		return "no rows"
	}
	return fmt.Sprintf("row %s of %s", humanInt(int64(g.res.pos+1)), total)
}

// pinnedWidth is the width of the pinned column.
func (g *grid) colWidth(oi int) int { return g.res.widths[g.order[oi]] }

// layout returns the scrolled columns that fit, starting at left, and the
// width left for a last, partly shown column.
func (g *grid) layout() (cols []int, partial int, rest int) {
	avail := g.width - 2 - g.colWidth(0) - termsafe.Width(pinGap)
	partial = -1
	for oi := g.left; oi < len(g.order); oi++ {
		w := g.colWidth(oi)
		need := w
		if len(cols) > 0 {
			need += len(colGap)
		}
		if need > avail {
			if avail-len(colGap) >= 4 {
				partial, rest = oi, avail-len(colGap)
				if len(cols) == 0 {
					rest = avail
				}
			}
			break
		}
		cols = append(cols, oi)
		avail -= need
	}
	return cols, partial, rest
}

func (g *grid) colVisible(oi int) bool {
	cols, _, _ := g.layout()
	for _, c := range cols {
		if c == oi {
			return true
		}
	}
	return false
}

// View renders the grid: title line, column headers, rule and rows.
func (g *grid) View() string {
	st := g.c.Styles
	if g.t == nil {
		return ""
	}
	var b strings.Builder
	// Title line.
	label := g.t.Label
	if label == "" {
		label = g.t.Name
	}
	title := st.GridTitle.Render(termsafe.Sanitize(label)) + st.GridInfo.Render(" ("+g.t.Name+")")
	if d := g.res.spec.describe(); d != "" {
		title += st.GridInfo.Render("  " + d)
	}
	pos := g.position()
	b.WriteString(fitLine(title, pos, g.width, st.GridInfo))
	b.WriteByte('\n')
	if g.err != nil {
		what := fmt.Sprintf("%s %s cannot be listed as this identity", NoListMark, g.t.Name)
		spec := g.res.spec
		query := spec.search != "" || len(spec.filters) > 0 || len(spec.sort) > 0
		if e, ok := engine.AsError(g.err); ok && query && (e.Code == engine.QueryColumnMasked || e.Code == engine.ValidationFailed) {
			what = fmt.Sprintf("%s this query on %s cannot run as this identity — F clears search, filters and sort", NoListMark, g.t.Name)
		}
		b.WriteString(st.StatusError.Render(termsafe.Truncate(what, g.width)))
		b.WriteString("\n\n")
		for _, line := range strings.Split(engine.FormatError(g.err), "\n") {
			indent := strings.Repeat(" ", len(line)-len(strings.TrimLeft(line, " ")))
			for _, l := range wrapText(termsafe.Sanitize(line), g.width-len(indent)) {
				b.WriteString(st.Reason.Render(indent + l))
				b.WriteByte('\n')
			}
		}
		return padLines(b.String(), g.height)
	}
	cols, partial, rest := g.layout()
	b.WriteString(g.headerLines(cols, partial, rest))
	// Rows.
	vis := g.visible()
	lines := 0
	for i := g.res.top; i < g.res.top+vis; i++ {
		if g.res.end && i >= g.res.known {
			break
		}
		pg, ok := g.res.pages[i/PageSize]
		if ok && i%PageSize >= len(pg.rows) {
			ok = false
		}
		sel := i == g.res.pos
		if !ok {
			if i >= g.res.known && !g.loading && !g.inflightAny() {
				break
			}
			b.WriteString(g.styles().pending.apply("  " + termsafe.Pad("…", g.colWidth(0))))
			b.WriteByte('\n')
			lines++
			continue
		}
		b.WriteString(g.renderRow(pg, i%PageSize, sel, cols, partial, rest))
		b.WriteByte('\n')
		lines++
	}
	if lines == 0 && g.res.end {
		msg := "  no rows visible to this identity"
		if spec := g.res.spec; spec.search != "" || len(spec.filters) > 0 {
			msg = "  no visible row matches " + termsafe.Sanitize(spec.describe()) + " — F clears search and filters"
		}
		b.WriteString(st.Reason.Render(termsafe.Truncate(msg, g.width)))
		b.WriteByte('\n')
	}
	return padLines(b.String(), g.height)
}

func (g *grid) inflightAny() bool { return len(g.inflight) > 0 }

// headerLines renders the column headers and the rule under them, cached
// while the layout does not change.
func (g *grid) headerLines(cols []int, partial, rest int) string {
	key := fmt.Sprint(g.t.Name, g.col, g.left, g.width, g.res.widths, g.res.spec.sort, partial, rest)
	if g.hdrKey == key {
		return g.hdr
	}
	st := g.c.Styles
	var b strings.Builder
	// Header.
	hdr := func(oi, w int) string {
		c := g.t.Columns[g.order[oi]]
		name := c.Name
		for _, k := range g.res.spec.sort {
			if k.Column == c.Name {
				if k.Desc {
					name += " ▼"
				} else {
					name += " ▲"
				}
			}
		}
		s := termsafe.Pad(name, w)
		if oi == g.col {
			return st.HeaderActive.Render(s)
		}
		return st.Header.Render(s)
	}
	rule := func(oi, w int) string {
		ch := "─"
		if oi == g.col {
			ch = "━"
		}
		return st.Separator.Render(strings.Repeat(ch, w))
	}
	var h, r strings.Builder
	h.WriteString("  ")
	r.WriteString(st.Separator.Render("──"))
	h.WriteString(hdr(0, g.colWidth(0)))
	r.WriteString(rule(0, g.colWidth(0)))
	h.WriteString(st.Separator.Render(pinGap))
	r.WriteString(st.Separator.Render("─┼─"))
	for i, oi := range cols {
		if i > 0 {
			h.WriteString(colGap)
			r.WriteString(st.Separator.Render("──"))
		}
		h.WriteString(hdr(oi, g.colWidth(oi)))
		r.WriteString(rule(oi, g.colWidth(oi)))
	}
	if partial >= 0 {
		if len(cols) > 0 {
			h.WriteString(colGap)
			r.WriteString(st.Separator.Render("──"))
		}
		h.WriteString(hdr(partial, rest))
		r.WriteString(rule(partial, rest))
	}
	b.WriteString(h.String())
	b.WriteByte('\n')
	b.WriteString(r.String())
	b.WriteByte('\n')
	g.hdrKey, g.hdr = key, b.String()
	return g.hdr
}

// wrap is a style reduced to the escape sequences around its text, so
// that styling a cell is a concatenation (a grid frame styles hundreds).
type wrap struct{ pre, post string }

func wrapOf(s lipgloss.Style) wrap {
	r := s.Render("x")
	i := strings.Index(r, "x")
	if i < 0 {
		return wrap{}
	}
	return wrap{pre: r[:i], post: r[i+1:]}
}

func (w wrap) apply(s string) string {
	if w.pre == "" && w.post == "" {
		return s
	}
	return w.pre + s + w.post
}

// rowStyles are the wraps of a row's parts: [0] normal, [1] selected row.
type rowStyles struct {
	cell, masked, null, sep, cur [2]wrap
	pending                      wrap
	// active: the selected cell (plain, masked, null).
	active [3]wrap
}

func (g *grid) styles() *rowStyles {
	if g.rs != nil {
		return g.rs
	}
	st := g.c.Styles
	rs := &rowStyles{pending: wrapOf(st.Pending)}
	for i, sel := range []bool{false, true} {
		base := st.Cell
		sep := st.Separator
		if sel {
			base = base.Inherit(st.Selected)
			sep = sep.Inherit(st.Selected)
		}
		rs.cell[i] = wrapOf(base)
		rs.masked[i] = wrapOf(st.Masked.Inherit(base))
		rs.null[i] = wrapOf(st.Null.Inherit(base))
		rs.sep[i] = wrapOf(sep)
		rs.cur[i] = wrapOf(base)
		if sel {
			rs.active[0] = wrapOf(st.SelectedCell.Inherit(base))
			rs.active[1] = wrapOf(st.SelectedCell.Inherit(st.Masked.Inherit(base)))
			rs.active[2] = wrapOf(st.SelectedCell.Inherit(st.Null.Inherit(base)))
		}
	}
	g.rs = rs
	return rs
}

// padded returns a page's cell ci padded to w, cached per page and width.
func (pg *gridPage) padded(i, ci, w int) string {
	if pg.pad == nil {
		pg.pad = make([][]string, len(pg.cells))
		pg.padW = map[int]int{}
	}
	if pg.padW[ci] != w {
		for r := range pg.cells {
			if pg.pad[r] == nil {
				pg.pad[r] = make([]string, len(pg.cells[r]))
			}
			pg.pad[r][ci] = termsafe.Pad(pg.cells[r][ci], w)
		}
		pg.padW[ci] = w
	}
	return pg.pad[i][ci]
}

func (g *grid) renderRow(pg *gridPage, i int, sel bool, cols []int, partial, rest int) string {
	rs := g.styles()
	row := pg.rows[i]
	k := 0
	if sel {
		k = 1
	}
	cell := func(oi, w int, full bool) string {
		ci := g.order[oi]
		var s string
		if full {
			s = pg.padded(i, ci, w)
		} else {
			s = termsafe.Pad(pg.cells[i][ci], w)
		}
		kind := 0
		switch {
		case row.Masked[ci]:
			kind = 1
		case row.Values[ci] == nil:
			kind = 2
		}
		if sel && oi == g.col {
			return rs.active[kind].apply(s)
		}
		switch kind {
		case 1:
			return rs.masked[k].apply(s)
		case 2:
			return rs.null[k].apply(s)
		}
		return rs.cell[k].apply(s)
	}
	var b strings.Builder
	b.Grow(g.width + 64)
	if sel {
		b.WriteString(rs.cur[k].apply(CursorMark + " "))
	} else {
		b.WriteString("  ")
	}
	b.WriteString(cell(0, g.colWidth(0), true))
	b.WriteString(rs.sep[k].apply(pinGap))
	gap := rs.sep[k].apply(colGap)
	for j, oi := range cols {
		if j > 0 {
			b.WriteString(gap)
		}
		b.WriteString(cell(oi, g.colWidth(oi), true))
	}
	if partial >= 0 {
		if len(cols) > 0 {
			b.WriteString(gap)
		}
		b.WriteString(cell(partial, rest, false))
	}
	return b.String()
}

// fitLine puts left and right on one line of width w.
func fitLine(left, right string, w int, rightStyle lipgloss.Style) string {
	rw := termsafe.Width(right)
	lw := termsafe.Width(left)
	if lw+rw+1 > w {
		left = termsafe.Truncate(left, max(0, w-rw-1))
		lw = termsafe.Width(left)
	}
	return left + strings.Repeat(" ", max(1, w-lw-rw)) + rightStyle.Render(right)
}

// padLines makes s exactly h lines (cutting or adding blank lines).
func padLines(s string, h int) string {
	s = strings.TrimSuffix(s, "\n")
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// fitScreen cuts a rendered screen to at most h lines of at most w cells
// (escape sequences kept), so a terminal smaller than the layout's minimum
// (the header, three body lines, status and hints) never wraps or scrolls.
// A size of 0 (not yet known) leaves s as is.
func fitScreen(s string, w, h int) string {
	if w <= 0 || h <= 0 {
		return s
	}
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		if termsafe.Width(l) > w {
			lines[i] = termsafe.Truncate(l, w)
		}
	}
	return strings.Join(lines, "\n")
}

func clamp(v, lo, hi int) int {
	if hi < lo {
		hi = lo
	}
	return min(max(v, lo), hi)
}

func humanInt(n int64) string {
	s := strconv.FormatInt(n, 10)
	if n < 1000 && n > -1000 {
		return s
	}
	var b strings.Builder
	for i, ch := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(ch)
	}
	return b.String()
}
