package tui

import (
	"fmt"
	"strings"
	"unicode"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/engine/access"
	"quickback.dev/qb/termsafe"
)

// matrixView is the access matrix of the current table: every role ×
// operation, field and action, laid out by access.Matrix.Sections (the
// cells `qb matrix` prints), styled by their effect and visibility.
type matrixView struct {
	*pager
	tables []access.TableSections
}

func newMatrixView(c *Common, mx *access.Matrix) *matrixView {
	v := &matrixView{tables: mx.Sections()}
	v.pager = newPager(c, v.linesAt, c.Keys.Detail)
	return v
}

// openMatrix shows the access matrix of the current table.
func (m *Model) openMatrix() tea.Cmd {
	table := ""
	if m.grid.t != nil {
		table = m.grid.t.Name
	}
	mx, err := engine.BuildMatrix(m.cfg, table)
	if err != nil {
		m.setError(err)
		return nil
	}
	return m.open(modeMatrix, newMatrixView(m.c, mx))
}

// linesAt is the matrix at a width: every cell whole, wrapped within its
// column when the sections are wider than the view; notes and legends
// wrapped too.
func (v *matrixView) linesAt(width int) []string {
	st := v.c.Styles
	sub := "(esc to close; what every role may see and do, from quickback.toml)"
	if width < 60 {
		// A narrow screen keeps its rows for the matrix.
		sub = "(esc to close)"
	}
	lines := wrapStyled(st.Reason, sub, width-15)
	lines[0] = st.PanelTitle.Render("Access matrix") + "  " + lines[0]
	for i := 1; i < len(lines); i++ {
		lines[i] = strings.Repeat(" ", 15) + lines[i]
	}
	for _, ts := range v.tables {
		lines = append(lines, "", st.Label.Render(termsafe.Sanitize(ts.Table.Table)))
		var body []string
		compact := false
		for i, sec := range ts.Sections {
			if i > 0 {
				body = append(body, "")
			}
			sl, c := matrixSectionLines(st, sec, width)
			body = append(body, sl...)
			compact = compact || c
			if sec.Kind == access.SectionFields {
				body = append(body, fieldLegend(st, sec, width)...)
			}
		}
		if compact && len(ts.Sections) > 0 {
			// Too narrow for the roles' names: their codes, once per table.
			lines = append(lines, compactLegend(st, ts.Sections[0].Roles, width)...)
		}
		lines = append(lines, body...)
		if len(ts.Notes) > 0 {
			lines = append(lines, "")
			for i, n := range ts.Notes {
				lines = append(lines, hanging(st.Reason, fmt.Sprintf("[%d] ", i+1), termsafe.Sanitize(n), width)...)
			}
		}
	}
	return lines
}

// hanging wraps text after a label within width, its later lines indented
// under the text, two cells in from the left.
func hanging(style lipgloss.Style, label, text string, width int) []string {
	indent := 2 + termsafe.Width(label)
	ls := wrapText(text, max(8, width-indent))
	out := make([]string, len(ls))
	for i, l := range ls {
		lead := strings.Repeat(" ", indent)
		if i == 0 {
			lead = "  " + label
		}
		out[i] = style.Render(lead + l)
	}
	return out
}

// wrapStyled wraps text to width, each line in style.
func wrapStyled(style lipgloss.Style, text string, width int) []string {
	ls := wrapText(text, max(8, width))
	for i, l := range ls {
		ls[i] = style.Render(l)
	}
	return ls
}

// matrixCell is one cell of a matrix section as laid out: its text and
// its style (nil: plain).
type matrixCell struct {
	text  string
	style *lipgloss.Style
}

// matrixSectionLines lays out a section as aligned columns within width:
// the item, the actions' starting states (the fields' type and guard are
// the command line's; the console keeps to the roles), then one cell per
// role. A cell is never cut: when the columns do not fit, the widest are
// narrowed and their cells wrap onto more lines.
//
// When even that would break words (a narrow terminal), the section is laid
// out compact: roles by short codes, "yes"/"no" for allowed/denied, and a
// legend of both under it.
func matrixSectionLines(st Styles, sec access.MatrixSection, width int) (lines []string, compact bool) {
	rows := matrixRows(st, sec, false)
	widths, broken := matrixWidths(rows, width)
	if broken {
		rows = matrixRows(st, sec, true)
		widths, _ = matrixWidths(rows, width)
	}
	return matrixGrid(rows, widths), broken
}

// compactLegend explains a compact section's codes: each role's, and
// yes/no; a role's pair never breaks across lines.
func compactLegend(st Styles, roles []string, width int) []string {
	codes := roleCodes(roles)
	var out []string
	line := ""
	for i, r := range roles {
		pair := termsafe.Sanitize(codes[i] + " = " + r)
		if line != "" && 2+termsafe.Width(line+" · "+pair) > width {
			out = append(out, st.Reason.Render("  "+line))
			line = ""
		}
		if line != "" {
			line += " · "
		}
		line += pair
	}
	out = append(out, st.Reason.Render("  "+line))
	return append(out, st.Reason.Render("  yes = allowed · no = denied"))
}

// matrixRows are a section's header and rows as cells; compact uses the
// short headers and yes/no of a narrow layout.
func matrixRows(st Styles, sec access.MatrixSection, compact bool) [][]matrixCell {
	withFrom := sec.Kind == access.SectionActions
	kind, from, roles := string(sec.Kind), "from states", sec.Roles
	if compact {
		kind, from, roles = map[string]string{"operation": "op"}[kind], "from", roleCodes(sec.Roles)
		if kind == "" {
			kind = string(sec.Kind)
		}
	}
	header := []matrixCell{{text: kind}}
	if withFrom {
		header = append(header, matrixCell{text: from})
	}
	for _, r := range roles {
		header = append(header, matrixCell{text: r})
	}
	rows := [][]matrixCell{header}
	for _, r := range sec.Rows {
		row := []matrixCell{{text: r.Item}}
		if withFrom {
			row = append(row, matrixCell{text: r.Details[1]})
		}
		for _, c := range r.Cells {
			text := c.Text
			if compact {
				text = shortDecision(text)
			}
			row = append(row, matrixCell{text: text, style: cellStyle(st, c)})
		}
		rows = append(rows, row)
	}
	return rows
}

// shortDecision writes a decision's leading "allowed" or "denied" as
// "yes" or "no", keeping what follows (a note reference, a condition).
func shortDecision(s string) string {
	for long, short := range map[string]string{"allowed": "yes", "denied": "no"} {
		if rest, ok := strings.CutPrefix(s, long); ok {
			return short + rest
		}
	}
	return s
}

// roleCodes abbreviates roles for a narrow matrix: the initials of a
// hyphenated or camelCase name ("hiring-manager" → "hm"), else its first
// three letters ("recruiter" → "rec"); a digit tells apart codes that
// would collide.
func roleCodes(roles []string) []string {
	codes := make([]string, len(roles))
	used := map[string]bool{}
	for i, r := range roles {
		words := cellWords(r)
		var code string
		if len(words) > 1 {
			for _, w := range words {
				code += strings.ToLower(string([]rune(w.text)[:1]))
			}
		} else {
			rs := []rune(r)
			code = string(rs[:min(3, len(rs))])
		}
		base := code
		for n := 2; used[code]; n++ {
			code = fmt.Sprintf("%s%d", base, n)
		}
		used[code] = true
		codes[i] = code
	}
	return codes
}

// matrixGrid renders rows in columns of widths, wrapping cells.
func matrixGrid(rows [][]matrixCell, widths []int) []string {
	var out []string
	for _, r := range rows {
		cells := make([][]string, len(r))
		height := 1
		for j, c := range r {
			cells[j] = wrapCell(termsafe.Sanitize(c.text), widths[j])
			height = max(height, len(cells[j]))
		}
		for k := range height {
			var b strings.Builder
			for j, c := range r {
				text := ""
				if k < len(cells[j]) {
					text = cells[j][k]
				}
				if j < len(r)-1 {
					text = termsafe.Pad(text, widths[j])
				}
				if c.style != nil && text != "" {
					text = c.style.Render(text)
				}
				b.WriteString("  " + text)
			}
			out = append(out, strings.TrimRight(b.String(), " "))
		}
	}
	return out
}

// matrixWidths gives each column its widest cell, then, while the row is
// wider than width, narrows a column by a cell: first the one with the
// most room above its longest unbreakable piece (a role name in the
// header wraps at its hyphen before the item column breaks a field name),
// not below that piece; then the widest, down to 4 cells (words then
// break across lines; nothing is cut), which broken reports.
func matrixWidths(rows [][]matrixCell, width int) (widths []int, broken bool) {
	n := len(rows[0])
	widths = make([]int, n)
	floor := make([]int, n)
	for _, r := range rows {
		for j, c := range r {
			s := termsafe.Sanitize(c.text)
			widths[j] = max(widths[j], termsafe.Width(s))
			for _, w := range cellWords(s) {
				floor[j] = max(floor[j], min(termsafe.Width(w.text), 16))
			}
		}
	}
	for j := range floor {
		floor[j] = max(floor[j], 4)
	}
	total := func() int {
		t := 0
		for _, w := range widths {
			t += 2 + w
		}
		return t
	}
	narrow := func(floor func(j int) int) {
		for total() > width {
			pick := -1
			for j, w := range widths {
				if w > floor(j) && (pick < 0 || w-floor(j) > widths[pick]-floor(pick)) {
					pick = j
				}
			}
			if pick < 0 {
				return
			}
			widths[pick]--
		}
	}
	narrow(func(j int) int { return floor[j] })
	broken = total() > width
	narrow(func(int) int { return 4 })
	return widths, broken
}

// cellWord is a piece of a cell that wrapping keeps whole: a word, or the
// part of one up to a hyphen ("hiring-" of "hiring-manager") or a capital
// ("advance" of "advanceStage"); space says whether a space separates it
// from the next.
type cellWord struct {
	text  string
	space bool
}

func cellWords(s string) []cellWord {
	var out []cellWord
	for _, f := range strings.Fields(s) {
		rs := []rune(f)
		start := 0
		for i := 1; i < len(rs); i++ {
			hyphen := rs[i-1] == '-' && i > 1
			camel := unicode.IsLower(rs[i-1]) && unicode.IsUpper(rs[i])
			if hyphen || camel {
				out = append(out, cellWord{text: string(rs[start:i])})
				start = i
			}
		}
		out = append(out, cellWord{text: string(rs[start:]), space: true})
	}
	return out
}

// wrapCell wraps a cell to lines of at most w cells, at spaces and after
// hyphens; a piece longer than w is broken where it must be.
func wrapCell(s string, w int) []string {
	if termsafe.Width(s) <= w {
		return []string{s}
	}
	var out []string
	line, sep := "", ""
	for _, p := range cellWords(s) {
		if line != "" && termsafe.Width(line+sep+p.text) > w {
			out = append(out, line)
			line, sep = "", ""
		}
		if line == "" && termsafe.Width(p.text) > w {
			parts := wrapText(p.text, w)
			out = append(out, parts[:len(parts)-1]...)
			line = parts[len(parts)-1]
		} else {
			line += sep + p.text
		}
		sep = ""
		if p.space {
			sep = " "
		}
	}
	return append(out, line)
}

// cellStyle styles a cell by what it decides: a refusal (and "no read") as
// denied, a limited grant as conditional, a masked value as masked, any
// other grant as allowed.
func cellStyle(st Styles, c access.MatrixCell) *lipgloss.Style {
	switch {
	case c.Effect == access.Denied:
		return &st.Denied
	case c.Visibility == access.VisibilityMasked || c.Visibility == access.VisibilityMaskedUnlessOwner:
		return &st.Masked
	case c.Effect == access.Conditional:
		return &st.Conditional
	}
	return &st.Allowed
}

// fieldLegend explains the field cells' letters, "no read" when a cell says
// it, and which fields only actions may set.
func fieldLegend(st Styles, sec access.MatrixSection, width int) []string {
	out := hanging(st.Reason, "", "c = may set it on create, u = on update", width)
	noRead := false
	var protected []string
	for _, r := range sec.Rows {
		for _, c := range r.Cells {
			noRead = noRead || c.Effect == access.Denied
		}
		if r.Protected {
			protected = append(protected, r.Item+" ("+r.Details[1]+")")
		}
	}
	if noRead {
		out = append(out, hanging(st.Reason, "", "no read = the role may neither list nor get the table", width)...)
	}
	if len(protected) > 0 {
		out = append(out, hanging(st.Reason, "", termsafe.Sanitize("only actions set "+strings.Join(protected, ", ")), width)...)
	}
	return out
}
