package tui

import (
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/lipgloss"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/schema"
	"quickback.dev/qb/termsafe"
)

// The grid's layout: cells as text, column widths (widened to their
// content), the pinned id or display column, the scrolled columns that fit,
// and the rendering of the title, headers and rows within the grid's box.

// Column widths and the gaps between columns.
const (
	minColW = 3
	maxColW = 28
	colGap  = "  "
	pinGap  = " │ "
)

// makePage renders a page's cells and widens columns to their content.
func (g *grid) makePage(rows []engine.Row) *gridPage {
	pg := &gridPage{rows: rows, cells: make([][]string, len(rows)), cellW: make([][]int, len(rows))}
	for i, r := range rows {
		pg.cells[i] = make([]string, len(r.Values))
		pg.cellW[i] = make([]int, len(r.Values))
		for j := range r.Values {
			g.setCell(pg, i, j)
		}
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

// colWidth is the width of the column at oi (index into order), fitted to
// the rows in view; the pinned column leaves room for a data column.
func (g *grid) colWidth(oi int) int {
	g.fit()
	w := g.res.widths[g.order[oi]]
	if oi == 0 {
		w = min(w, max(minColW+3, (g.width-2-termsafe.Width(pinGap))/2))
	}
	return w
}

// fitKey is what the column widths were fitted to.
type fitKey struct{ top, vis, cells, pages, query int }

// fit sets the column widths to the widest of the header and the cells of
// the rows in view (at most maxColW), again when those change: a column
// widens for a long value scrolled into view and narrows once it is gone.
// A number is never narrower than itself.
func (g *grid) fit() {
	key := fitKey{g.res.top, g.visible(), g.cellsGen, len(g.res.pages), g.gen}
	if g.t == nil || g.fitted == key {
		return
	}
	g.fitted = key
	for j, c := range g.t.Columns {
		w := termsafe.Width(c.Name) + 2
		for i := g.res.top; i < g.res.top+g.visible() && i < g.res.known; i++ {
			if pg, k, ok := g.res.at(i); ok {
				w = max(w, pg.cellW[k][j])
			}
		}
		if isNumber(c) {
			g.res.widths[j] = max(w, minColW)
		} else {
			g.res.widths[j] = clamp(w, minColW, maxColW)
		}
	}
}

// isNumber reports whether a column holds numbers: right-aligned, never
// cut.
func isNumber(c *schema.Column) bool {
	return c.Type == schema.TypeInteger || c.Type == schema.TypeReal
}

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
			// What is left shows the next column cut — never a number,
			// whose cut prefix would read as another number.
			if avail-len(colGap) >= 4 && !isNumber(g.t.Columns[g.order[oi]]) {
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
	return slices.Contains(cols, oi)
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
	title := st.GridTitle.Render(termsafe.Sanitize(label)) + st.GridInfo.Render(" ("+g.t.Name+")") + g.internalBadge()
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
		return box(b.String(), g.width, g.height)
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
		pg, j, ok := g.res.at(i)
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
		b.WriteString(g.renderRow(pg, j, sel, cols, partial, rest))
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
		for _, l := range g.funnelLines() {
			b.WriteString(st.Reason.Render("  " + l))
			b.WriteByte('\n')
		}
	}
	return box(b.String(), g.width, g.height)
}

func (g *grid) inflightAny() bool { return len(g.inflight) > 0 }

// headerLines renders the column headers and the rule under them, cached
// while the layout does not change.
func (g *grid) headerLines(cols []int, partial, rest int) string {
	key := fmt.Sprint(g.t.Name, g.col, g.left, g.width, g.res.widths, g.res.spec.sort, partial, rest)
	if g.hdrKey == key {
		return g.hdr
	}
	rs := g.styles()
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
		s := padCell(name, termsafe.Width(name), w, isNumber(c), false)
		if oi == g.col {
			return rs.headerActive.apply(s)
		}
		return rs.header.apply(s)
	}
	rule := func(oi, w int) string {
		ch := "─"
		if oi == g.col {
			ch = "━"
		}
		return rs.sep[0].apply(strings.Repeat(ch, w))
	}
	var h, r strings.Builder
	h.WriteString("  ")
	r.WriteString(rs.sep[0].apply("──"))
	h.WriteString(hdr(0, g.colWidth(0)))
	r.WriteString(rule(0, g.colWidth(0)))
	h.WriteString(rs.sep[0].apply(pinGap))
	r.WriteString(rs.sep[0].apply("─┼─"))
	for i, oi := range cols {
		if i > 0 {
			h.WriteString(colGap)
			r.WriteString(rs.sep[0].apply("──"))
		}
		h.WriteString(hdr(oi, g.colWidth(oi)))
		r.WriteString(rule(oi, g.colWidth(oi)))
	}
	if partial >= 0 {
		if len(cols) > 0 {
			h.WriteString(colGap)
			r.WriteString(rs.sep[0].apply("──"))
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
	// header, headerActive: the column headers (the selected column's).
	header, headerActive wrap
	// active: the selected cell (plain, masked, null).
	active [3]wrap
}

func (g *grid) styles() *rowStyles {
	if g.rs != nil {
		return g.rs
	}
	st := g.c.Styles
	rs := &rowStyles{pending: wrapOf(st.Pending), header: wrapOf(st.Header), headerActive: wrapOf(st.HeaderActive)}
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

// padCell pads s to w cells: a number to the right (right-aligned), any
// other value to the left; a value wider than w is cut — a masked one at
// its start, since what a mask leaves readable is its end (a phone's last
// four digits).
// sw is s's width (the grid keeps every cell's).
func padCell(s string, sw, w int, number, masked bool) string {
	switch n := w - sw; {
	case n >= 0 && number:
		return strings.Repeat(" ", n) + s
	case n >= 0:
		return s + strings.Repeat(" ", n)
	case masked:
		s = cutMasked(s, w)
	}
	return termsafe.Pad(s, w)
}

// padded returns a page's cell ci padded to w, cached per page and width.
func (pg *gridPage) padded(i, ci, w int, number bool) string {
	if pg.pad == nil {
		pg.pad = make([][]string, len(pg.cells))
		pg.padW = make([][]int, len(pg.cells))
	}
	if pg.pad[i] == nil {
		pg.pad[i] = make([]string, len(pg.cells[i]))
		pg.padW[i] = make([]int, len(pg.cells[i]))
	}
	if pg.padW[i][ci] != w {
		pg.pad[i][ci] = padCell(pg.cells[i][ci], pg.cellW[i][ci], w, number, pg.rows[i].Masked[ci])
		pg.padW[i][ci] = w
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
		number := isNumber(g.t.Columns[ci])
		var s string
		if full {
			s = pg.padded(i, ci, w, number)
		} else {
			s = padCell(pg.cells[i][ci], pg.cellW[i][ci], w, number, row.Masked[ci])
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
