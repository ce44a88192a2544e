package main

import (
	"fmt"
	"io"
	"strings"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/schema"
	"quickback.dev/qb/termsafe"
)

// maxCell caps a column of the plain-text table.
const maxCell = 40

// printTable prints rows (the first is the header) as aligned columns.
// Every cell passes the terminal sanitizer.
func printTable(w io.Writer, rows [][]string) {
	if len(rows) == 0 {
		return
	}
	widths := make([]int, len(rows[0]))
	clean := make([][]string, len(rows))
	for i, r := range rows {
		clean[i] = make([]string, len(r))
		for j, cell := range r {
			s := termsafe.Truncate(termsafe.Sanitize(cell), maxCell)
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

// printRows prints a page of records in column order; masked columns are
// listed under the table so a reader knows the stars are a mask, not data.
func printRows(w io.Writer, t *schema.Table, rows []engine.Row) {
	header := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		header[i] = c.Name
	}
	out := [][]string{header}
	masked := map[string]bool{}
	for _, r := range rows {
		line := make([]string, len(r.Values))
		for i, v := range r.Values {
			line[i] = engine.ValueString(v)
			if r.Masked[i] {
				masked[t.Columns[i].Name] = true
			}
		}
		out = append(out, line)
	}
	printTable(w, out)
	fmt.Fprintf(w, "(%d rows)\n", len(rows))
	var names []string
	for _, c := range t.Columns {
		if masked[c.Name] {
			names = append(names, c.Name)
		}
	}
	if len(names) > 0 {
		fmt.Fprintf(w, "masked for this identity: %s\n", strings.Join(names, ", "))
	}
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
