package tui

import (
	"fmt"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/termsafe"
)

// matrixCellWidth caps a matrix column's width.
const matrixCellWidth = 30

// matrixView is the access matrix of the current table: every role ×
// operation, field and action, laid out by engine.Matrix.Sections (the
// cells `qb matrix` prints), styled by their effect and visibility.
type matrixView struct {
	*pager
	tables []engine.TableSections
}

func newMatrixView(c *Common, mx *engine.Matrix) *matrixView {
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

// linesAt is the matrix; its lines do not depend on the width (the pager
// cuts what does not fit).
func (v *matrixView) linesAt(int) []string {
	st := v.c.Styles
	lines := []string{st.PanelTitle.Render("Access matrix") + st.Reason.Render("  (esc to close; what every role may see and do, from quickback.toml)")}
	for _, ts := range v.tables {
		lines = append(lines, "", st.Label.Render(termsafe.Sanitize(ts.Table.Table)))
		for i, sec := range ts.Sections {
			if i > 0 {
				lines = append(lines, "")
			}
			lines = append(lines, matrixSectionLines(st, sec)...)
			if sec.Kind == engine.SectionFields {
				lines = append(lines, fieldLegend(st, sec)...)
			}
		}
		if len(ts.Notes) > 0 {
			lines = append(lines, "")
			for i, n := range ts.Notes {
				lines = append(lines, st.Reason.Render(termsafe.Sanitize(fmt.Sprintf("  [%d] %s", i+1, n))))
			}
		}
	}
	return lines
}

// matrixSectionLines lays out a section as aligned columns: the item, the
// actions' starting states (the fields' type and guard are the command
// line's; the console keeps to the roles), then one cell per role.
func matrixSectionLines(st Styles, sec engine.MatrixSection) []string {
	type cell struct {
		text  string
		style *lipgloss.Style
	}
	withFrom := sec.Kind == engine.SectionActions
	header := []cell{{text: string(sec.Kind)}}
	if withFrom {
		header = append(header, cell{text: "from states"})
	}
	for _, r := range sec.Roles {
		header = append(header, cell{text: r})
	}
	rows := [][]cell{header}
	for _, r := range sec.Rows {
		row := []cell{{text: r.Item}}
		if withFrom {
			row = append(row, cell{text: r.Details[1]})
		}
		for _, c := range r.Cells {
			row = append(row, cell{text: c.Text, style: cellStyle(st, c)})
		}
		rows = append(rows, row)
	}
	widths := make([]int, len(header))
	for _, r := range rows {
		for j, c := range r {
			widths[j] = max(widths[j], min(termsafe.Width(termsafe.Sanitize(c.text)), matrixCellWidth))
		}
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		var b strings.Builder
		for j, c := range r {
			text := termsafe.Sanitize(c.text)
			if j < len(r)-1 {
				text = termsafe.Pad(text, widths[j])
			} else {
				text = termsafe.Truncate(text, widths[j])
			}
			if c.style != nil {
				text = c.style.Render(text)
			}
			b.WriteString("  " + text)
		}
		out[i] = b.String()
	}
	return out
}

// cellStyle styles a cell by what it decides: a refusal, a masked value, a
// limited grant; a plain grant is left plain.
func cellStyle(st Styles, c engine.MatrixCell) *lipgloss.Style {
	switch {
	case c.Effect == engine.Denied:
		return &st.Denied
	case c.Visibility == engine.VisibilityMasked || c.Visibility == engine.VisibilityMaskedUnlessOwner:
		return &st.Masked
	case c.Effect == engine.Conditional:
		return &st.Diff
	}
	return nil
}

// fieldLegend explains the field cells' letters, "no read" when a cell says
// it, and which fields only actions may set.
func fieldLegend(st Styles, sec engine.MatrixSection) []string {
	out := []string{st.Reason.Render("  c = may set it on create, u = on update")}
	noRead := false
	var protected []string
	for _, r := range sec.Rows {
		for _, c := range r.Cells {
			noRead = noRead || c.Effect == engine.Denied
		}
		if r.Protected {
			protected = append(protected, r.Item+" ("+r.Details[1]+")")
		}
	}
	if noRead {
		out = append(out, st.Reason.Render("  no read = the role may neither list nor get the table"))
	}
	if len(protected) > 0 {
		out = append(out, st.Reason.Render(termsafe.Sanitize("  only actions set "+strings.Join(protected, ", "))))
	}
	return out
}
