package tui

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/schema"
	"quickback.dev/qb/termsafe"
)

// The grid's paging: the query, the pages fetched for it (cursors kept,
// rows only near the viewport), what is known of its length, and the query
// and position each table had when the operator left it.

// Grid paging: rows are fetched PageSize at a time by keyset cursor. The
// cursors of every page reached are kept (a short string each), the rows of
// only the pages near the viewport.
const (
	PageSize  = 100
	keepPages = 2 // pages kept on each side of the viewport's pages
)

// querySpec is what the grid lists.
type querySpec struct {
	table   string
	filters []engine.Filter
	sort    []schema.SortKey
	search  string
	// inspect reads an internal table read-only (internal.go).
	inspect bool
}

func (q querySpec) listQuery(cursor string, limit int) engine.ListQuery {
	return engine.ListQuery{Filters: slices.Clone(q.filters), Sort: slices.Clone(q.sort),
		Search: q.search, Limit: limit, Cursor: cursor, Inspect: q.inspect}
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
	// cellW are the cells' widths (the columns fit the rows in view).
	cellW [][]int
	// pad caches cells padded to the width they were last shown at (padW).
	pad  [][]string
	padW [][]int
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
	// tail: the result is read from its end (G on a long result): known
	// is the total, positions still count from the first row, and the
	// pages are read in reversed order — page p holds the rows
	// known-1-p*PageSize and before, last first (pageOf).
	tail bool
	// wantTail: G was pressed before the total was known; the result is
	// read from its end once the count arrives.
	wantTail bool
}

// pageOf is the page holding the row at position i, and its index there.
func (r *result) pageOf(i int) (page, idx int) {
	if r.tail {
		k := r.known - 1 - i
		if k < 0 {
			return -1, 0
		}
		return k / PageSize, k % PageSize
	}
	return i / PageSize, i % PageSize
}

// at is the loaded page and index of the row at position i.
func (r *result) at(i int) (*gridPage, int, bool) {
	p, j := r.pageOf(i)
	pg, ok := r.pages[p]
	if !ok || j >= len(pg.rows) {
		return nil, 0, false
	}
	return pg, j, true
}

// pageSpan is the first and last page holding the rows from position lo
// to hi (inclusive), in page order.
func (r *result) pageSpan(lo, hi int) (first, last int) {
	a, _ := r.pageOf(lo)
	b, _ := r.pageOf(hi)
	return min(a, b), max(a, b)
}

func newResult(spec querySpec, t *schema.Table) result {
	r := result{spec: spec, cursors: []string{""}, pages: map[int]*gridPage{}, total: -1}
	r.widths = make([]int, len(t.Columns))
	for i, c := range t.Columns {
		r.widths[i] = clamp(termsafe.Width(c.Name)+2, minColW, maxColW)
	}
	return r
}

// tableView is what the grid remembers of a table it left: the query and
// the position, never rows (they are fetched again, for the identity of the
// moment).
type tableView struct {
	spec      querySpec
	pos, top  int
	col, left int
	widths    []int
	// tail: the operator was reading the result from its end.
	tail bool
}

// setTable shows t with the query and position it had when the grid left
// it, or an empty query the first time.
func (g *grid) setTable(t *schema.Table) tea.Cmd {
	g.remember()
	g.t = t
	g.order = g.shownOrder(t)
	g.col, g.left = 0, 1
	g.fallback = nil
	g.res = newResult(querySpec{table: t.Name}, t)
	if v, ok := g.views[t.Name]; ok {
		g.res = newResult(v.spec, t)
		if len(v.widths) == len(g.res.widths) {
			copy(g.res.widths, v.widths)
		}
		g.res.pos, g.res.top = v.pos, v.top
		if v.tail {
			// Back at the end, wherever that is now.
			g.res.pos, g.res.top, g.res.wantTail = 0, 0, true
		}
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
		widths: slices.Clone(res.widths), tail: res.tail || res.wantTail}
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
	pos, top, widths, tail := g.res.pos, g.res.top, g.res.widths, g.res.tail || g.res.wantTail
	g.fallback = nil
	g.res = newResult(g.res.spec, g.t)
	copy(g.res.widths, widths)
	g.res.pos, g.res.top = pos, top
	if tail {
		// At the end for the previous identity: at the end for this one.
		g.res.pos, g.res.top, g.res.wantTail = 0, 0, true
	}
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
	g.res.spec.inspect = g.inspects()
	g.gen++
	g.inflight = map[int]bool{}
	g.counting = false
	g.countPending = false
	g.resetFunnel()
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
	q.Reverse = g.res.tail
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
	var first, last int
	if g.res.tail {
		// The pages of the viewport, and one above it.
		first, last = g.res.pageSpan(g.res.top, min(g.res.top+vis, g.res.known)-1)
		last++
	} else {
		first = g.res.top / PageSize
		last = (g.res.top + vis) / PageSize
		if !g.res.end && g.res.top+2*vis >= g.res.known {
			last = max(last, g.res.known/PageSize)
		}
	}
	var cmds []tea.Cmd
	for p := max(0, first); p <= last; p++ {
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
		maps.DeleteFunc(g.res.pages, func(k int, _ *gridPage) bool { return k > p })
		if !g.res.tail {
			g.res.known = p * PageSize
			g.res.end = false
		}
		g.gen++
		g.inflight = map[int]bool{}
		g.counting = false
		g.countPending = false
	}
	if p+1 == len(g.res.cursors) && next != "" {
		g.res.cursors = append(g.res.cursors, next)
	}
	known := p*PageSize + len(rows)
	switch {
	case g.res.tail:
		// The count the tail started from may be off by rows written
		// since: the reversed end is exact; more rows than counted push
		// the count up. Positions shift, the rows stay selected.
		n := g.res.known
		if next == "" {
			n = known
		} else if known >= n {
			n = known + 1
		}
		if d := n - g.res.known; d != 0 {
			g.res.known, g.res.total = n, int64(n)
			g.res.pos, g.res.top = max(0, g.res.pos+d), max(0, g.res.top+d)
		}
	case next == "":
		g.res.end, g.res.known = true, known
		g.res.total = int64(known)
	case known > g.res.known:
		g.res.known = known
	}
	g.clampPos()
	g.evict()
	cmds = append(cmds, g.ensure(), g.askLabels(rows))
	if p == 0 && next != "" && g.res.total < 0 && !g.counting {
		cmds = append(cmds, g.count())
	}
	if p == 0 && g.res.wantTail && next == "" {
		// The whole result is one page: its end is known.
		g.res.wantTail = false
		cmds = append(cmds, g.end())
	}
	if p == 0 && len(rows) == 0 && next == "" && !g.res.spec.inspect {
		cmds = append(cmds, g.askFunnel())
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

func (g *grid) onCount(msg countMsg) tea.Cmd {
	if msg.gen != g.gen || msg.tag.Identity != g.s.id {
		return nil
	}
	g.countPending = false
	if msg.err != nil {
		if g.res.wantTail {
			g.res.wantTail = false
			g.c.post(statusMsg{text: "the last row cannot be reached: " + firstLine(engine.FormatError(msg.err)), isErr: true})
		}
		return nil
	}
	if g.res.end {
		return nil
	}
	g.res.total = msg.n
	if g.res.wantTail {
		return g.toTail()
	}
	return nil
}

// toTail reads the result from its end: its last page (the query
// reversed), the last row selected; the rows above are read on as the
// operator pages up.
func (g *grid) toTail() tea.Cmd {
	n := int(g.res.total)
	if n <= 0 {
		g.res.wantTail = false
		return nil
	}
	widths := g.res.widths
	g.res = newResult(g.res.spec, g.t)
	copy(g.res.widths, widths)
	g.res.tail, g.res.end, g.res.known, g.res.total = true, true, n, int64(n)
	g.res.pos = n - 1
	g.scrollTo()
	return g.restart()
}

func (g *grid) evict() {
	lo, hi := g.res.pageSpan(g.res.top, g.res.top+g.visible())
	lo -= keepPages
	hi += keepPages
	maps.DeleteFunc(g.res.pages, func(p int, _ *gridPage) bool { return p < lo || p > hi })
}
