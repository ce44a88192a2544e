package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mattn/go-isatty"

	"quickback.dev/qb/csvsafe"
	"quickback.dev/qb/engine"
	"quickback.dev/qb/schema"
	"quickback.dev/qb/termsafe"
)

// maxCell caps a column of the plain-text table on a terminal.
const maxCell = 40

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// cellLimit is the widest a cell may be on w: maxCell on a terminal, no
// limit (0) anywhere else, so piped output is never cut.
func cellLimit(w io.Writer) int {
	if isTerminal(w) {
		return maxCell
	}
	return 0
}

// fitCell sanitizes a cell and cuts it to limit columns (0: no limit).
func fitCell(s string, limit int) string {
	s = termsafe.Sanitize(s)
	if limit > 0 {
		s = termsafe.Truncate(s, limit)
	}
	return s
}

// printTable prints rows (the first is the header) as aligned columns.
// Every cell passes the terminal sanitizer; on a terminal, long cells are
// cut.
func printTable(w io.Writer, rows [][]string) {
	if len(rows) == 0 {
		return
	}
	limit := cellLimit(w)
	widths := make([]int, len(rows[0]))
	clean := make([][]string, len(rows))
	for i, r := range rows {
		clean[i] = make([]string, len(r))
		for j, cell := range r {
			s := fitCell(cell, limit)
			clean[i][j] = s
			if wd := termsafe.Width(s); wd > widths[j] {
				widths[j] = wd
			}
		}
	}
	for _, r := range clean {
		var b strings.Builder
		for j, cell := range r {
			if j == len(r)-1 {
				b.WriteString(cell)
				break
			}
			b.WriteString(termsafe.Pad(cell, widths[j]))
			b.WriteString("  ")
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

// maskedColumns names the columns masked in any of rows, in column order,
// so a reader knows the stars are a mask, not data.
func maskedColumns(t *schema.Table, rows []engine.Row) []string {
	masked := map[string]bool{}
	for _, r := range rows {
		for i := range r.Values {
			if r.Masked[i] {
				masked[t.Columns[i].Name] = true
			}
		}
	}
	var names []string
	for _, c := range t.Columns {
		if masked[c.Name] {
			names = append(names, c.Name)
		}
	}
	return names
}

// rowCells is a record's values as text, in column order.
func rowCells(r engine.Row) []string {
	line := make([]string, len(r.Values))
	for i, v := range r.Values {
		line[i] = engine.ValueString(v)
	}
	return line
}

// printRecord prints one record as "field  value" lines.
func printRecord(w io.Writer, r engine.Row) {
	var rows [][]string
	for i, c := range r.Table.Columns {
		v := engine.ValueString(r.Values[i])
		if r.Masked[i] {
			v += "  (masked)"
		}
		rows = append(rows, []string{c.Name, v})
	}
	printTable(w, rows)
}

// printWithheld prints a written row the identity may not get: its table,
// id and changed field names, never a value (SPEC §3.4).
func printWithheld(w io.Writer, r engine.WithheldRow) {
	fields := "none"
	if len(r.Fields) > 0 {
		fields = strings.Join(r.Fields, ", ")
	}
	fmt.Fprintf(w, "%s %s: changed %s\n", r.Table, termsafe.Sanitize(r.ID), fields)
	fmt.Fprintln(w, "(this identity may not get the record: its values are withheld)")
}

// printChanges prints a write's field-by-field change.
func printChanges(w io.Writer, cs []engine.Change) {
	if len(cs) == 0 {
		fmt.Fprintln(w, "no field changes")
		return
	}
	rows := [][]string{{"FIELD", "BEFORE", "AFTER"}}
	for _, c := range cs {
		rows = append(rows, []string{c.Field, engine.ValueString(c.Before), engine.ValueString(c.After)})
	}
	printTable(w, rows)
}

// printExplanation prints why an identity sees and may do what it does.
func printExplanation(w io.Writer, ex *engine.Explanation) {
	fmt.Fprintf(w, "table %s as %s\n\nfirewall:\n", ex.Table, termsafe.Sanitize(ex.Identity.String()))
	for _, f := range ex.Firewall {
		fmt.Fprintf(w, "  %s\n", termsafe.Sanitize(f))
	}
	if ex.RowError != "" {
		fmt.Fprintf(w, "\nrow: %s\n", termsafe.SanitizeLines(ex.RowError))
	}
	fmt.Fprintln(w, "\noperations:")
	rows := [][]string{{"OPERATION", "DECISION", "ON ROW", "RULE", "REASON"}}
	for _, o := range ex.Operations {
		rows = append(rows, []string{o.Operation, string(o.Decision), o.OnRow, o.Rule, o.Reason})
	}
	printTableWide(w, rows)
	fmt.Fprintln(w, "\nfields:")
	rows = [][]string{{"FIELD", "SEEN AS", "CREATE", "UPDATE", "WHY"}}
	for _, f := range ex.Fields {
		seen := string(f.Visibility)
		if f.MaskType != "" {
			seen += " (" + f.MaskType + ")"
		}
		if ex.Row != nil {
			v := engine.ValueString(f.Value)
			if f.Value == nil {
				v = "null"
			}
			seen = v + " [" + seen + "]"
		}
		rows = append(rows, []string{f.Field, seen, writable(f.Create), writable(f.Update), fieldWhy(f)})
	}
	printTableWide(w, rows)
}

func writable(fa engine.FieldAccess) string {
	if fa.Writable {
		return "yes"
	}
	return "no"
}

func fieldWhy(f engine.FieldExplanation) string {
	parts := []string{f.Reason}
	parts = append(parts, "create: "+f.Create.Reason+" ("+f.Create.Rule+")")
	parts = append(parts, "update: "+f.Update.Reason+" ("+f.Update.Rule+")")
	return strings.Join(parts, "; ")
}

// printTableWide is printTable without the cell cap on the last column.
func printTableWide(w io.Writer, rows [][]string) {
	if len(rows) == 0 {
		return
	}
	last := len(rows[0]) - 1
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for j := 0; j < last; j++ {
			if wd := termsafe.Width(termsafe.Sanitize(r[j])); wd > widths[j] {
				widths[j] = min(wd, 60)
			}
		}
	}
	for _, r := range rows {
		var b strings.Builder
		for j := 0; j < last; j++ {
			b.WriteString(termsafe.Pad(termsafe.Sanitize(r[j]), widths[j]) + "  ")
		}
		b.WriteString(termsafe.Sanitize(r[last]))
		fmt.Fprintln(w, b.String())
	}
}

// tableStream prints pages of rows as one aligned table: the header once,
// the column widths of the first page, widened (never narrowed) by a later
// page that needs it. It holds one page at a time.
type tableStream struct {
	w      io.Writer
	limit  int
	widths []int
	header []string // until printed
}

func newTableStream(w io.Writer, header []string) *tableStream {
	s := &tableStream{w: w, limit: cellLimit(w), widths: make([]int, len(header))}
	s.measure([][]string{header})
	s.header = header
	return s
}

func (s *tableStream) measure(rows [][]string) [][]string {
	clean := make([][]string, len(rows))
	for i, r := range rows {
		clean[i] = make([]string, len(r))
		for j, cell := range r {
			clean[i][j] = fitCell(cell, s.limit)
			s.widths[j] = max(s.widths[j], termsafe.Width(clean[i][j]))
		}
	}
	return clean
}

// page prints rows (the header first when none was printed yet).
func (s *tableStream) page(rows [][]string) {
	clean := s.measure(rows)
	if s.header != nil {
		clean = append([][]string{s.measure([][]string{s.header})[0]}, clean...)
		s.header = nil
	}
	for _, r := range clean {
		var b strings.Builder
		for j, cell := range r {
			if j == len(r)-1 {
				b.WriteString(cell)
				break
			}
			b.WriteString(termsafe.Pad(cell, s.widths[j]))
			b.WriteString("  ")
		}
		fmt.Fprintln(s.w, strings.TrimRight(b.String(), " "))
	}
}

// csvRecord is a row of `list --output csv`: a cell that a spreadsheet
// would read as a formula is defused (csvsafe.Cell, SPEC §5), then
// sanitized, since standard output may be a terminal.
func csvRecord(cells []string) []string {
	out := make([]string, len(cells))
	for i, s := range cells {
		out[i] = termsafe.Sanitize(csvsafe.Cell(s))
	}
	return out
}

// printFunnel prints a list's funnel: the rows left after each stage, the
// rule of each, and the funnel in one line.
func printFunnel(w io.Writer, f *engine.Funnel) {
	fmt.Fprintf(w, "rows of %s listed by %s, stage by stage\n", termsafe.Sanitize(f.Table), termsafe.Sanitize(f.Identity.String()))
	rows := [][]string{{"ROWS", "STAGE", "RULE"}}
	for _, s := range f.Stages {
		label := s.Label
		if s.Stage == engine.StageTable {
			label = "all rows of " + f.Table
		}
		rows = append(rows, []string{fmt.Sprint(s.Rows), label, s.Rule})
	}
	printTable(w, rows)
	fmt.Fprintln(w, termsafe.Sanitize(f.Line()))
}

// groupDigits writes n with thousands separated by commas: 1,234,567.
func groupDigits(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
