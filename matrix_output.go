package main

import (
	"fmt"
	"io"
	"strings"

	"quickback.dev/qb/engine/access"
	"quickback.dev/qb/termsafe"
)

// printMatrix prints every table of the matrix: operations, fields and
// actions by role, as access.Matrix.Sections lays them out.
func printMatrix(w io.Writer, m *access.Matrix) {
	fmt.Fprintf(w, "access matrix of %s (roles lowest to highest", termsafe.Sanitize(m.Project))
	if len(m.UserRoles) > 0 {
		fmt.Fprintf(w, "; cells assume userRole %q, other tiers noted", access.BaselineUserRole)
	}
	fmt.Fprintln(w, ")")
	for _, ts := range m.Sections() {
		t := ts.Table
		title := t.Table
		if t.Label != "" && t.Label != t.Table {
			title += " (" + t.Label + ")"
		}
		fmt.Fprintf(w, "\n== %s ==\n", termsafe.Sanitize(title))
		for _, f := range t.Firewall {
			fmt.Fprintf(w, "firewall: %s\n", termsafe.Sanitize(f))
		}
		for _, sec := range ts.Sections {
			header := []string{strings.ToUpper(string(sec.Kind))}
			for _, d := range sec.Details {
				header = append(header, strings.ToUpper(d))
			}
			rows := [][]string{append(header, sec.Roles...)}
			for _, r := range sec.Rows {
				line := append([]string{r.Item}, r.Details...)
				for _, c := range r.Cells {
					line = append(line, c.Text)
				}
				rows = append(rows, line)
			}
			fmt.Fprintln(w)
			printTable(w, rows)
			if sec.Kind == access.SectionFields {
				fmt.Fprintln(w, "(c = the role may set it on create, u = on update; no read = the role may neither list nor get)")
			}
		}
		if len(ts.Notes) > 0 {
			fmt.Fprintln(w)
			for i, s := range ts.Notes {
				fmt.Fprintf(w, "  [%d] %s\n", i+1, termsafe.Sanitize(s))
			}
		}
	}
}

// printPolicyDiff prints the changed decisions and the rows they affect.
func printPolicyDiff(w io.Writer, d *access.PolicyDiff) {
	fmt.Fprintf(w, "policy diff: %s -> %s\n", termsafe.Sanitize(d.Current), termsafe.Sanitize(d.Other))
	if len(d.Changes) == 0 {
		fmt.Fprintln(w, "no decision differs")
		return
	}
	fmt.Fprintf(w, "\n%d decisions differ:\n", len(d.Changes))
	rows := [][]string{{"KIND", "TABLE", "ROLE", "ITEM", "BEFORE", "AFTER"}}
	for _, c := range d.Changes {
		item := c.Item
		if c.Aspect != "" {
			item += " (" + c.Aspect + ")"
		}
		rows = append(rows, []string{c.Kind, c.Table, c.Role, item, c.Before, c.After})
	}
	printTableWide(w, rows)
	if len(d.Impacts) == 0 {
		return
	}
	fmt.Fprintln(w, "\nrows affected per organization by each changed row-visibility decision:")
	fmt.Fprintln(w, "(basis role: rows any user of the role sees there; basis members: rows at least one current member holding the role can see)")
	rows = impactRows(d, []string{"TABLE", "ROLE", "OPERATION", "ORG", "MEMBERS", "BEFORE", "AFTER", "GAINED", "LOST", "BASIS"}, "-", " -> ")
	printTableWide(w, rows)
}

// printPolicyDiffMarkdown prints the changed decisions and the rows they
// affect as Markdown tables, for a pull-request comment. Every cell is
// sanitized and escaped (|, <, >, &, newlines), so text from the configs
// or the database renders as text.
func printPolicyDiffMarkdown(w io.Writer, d *access.PolicyDiff) {
	fmt.Fprintf(w, "### Policy diff: %s → %s\n\n", mdCell(d.Current), mdCell(d.Other))
	switch len(d.Changes) {
	case 0:
		fmt.Fprintln(w, "No decision differs.")
		return
	case 1:
		fmt.Fprintln(w, "**1 decision differs.**")
	default:
		fmt.Fprintf(w, "**%d decisions differ.**\n", len(d.Changes))
	}
	rows := [][]string{{"Kind", "Table", "Role", "Item", "Before", "After"}}
	for _, c := range d.Changes {
		item := c.Item
		if c.Aspect != "" {
			item += " (" + c.Aspect + ")"
		}
		rows = append(rows, []string{c.Kind, c.Table, c.Role, item, c.Before, c.After})
	}
	fmt.Fprintln(w)
	printMarkdownTable(w, rows)
	if len(d.Impacts) == 0 {
		return
	}
	fmt.Fprintln(w, "\n#### Rows affected per organization")
	fmt.Fprintln(w, "\nBasis *role*: the rows any user of the role sees there; *members*: the rows at least one current member holding the role can see.")
	fmt.Fprintln(w)
	rows = impactRows(d, []string{"Table", "Role", "Operation", "Org", "Members", "Before", "After", "Gained", "Lost", "Basis"}, "", " → ")
	printMarkdownTable(w, rows)
}

// impactRows lays out d's per-organization impacts under header: a row per
// organization of each impact, or one row carrying its note, whose count
// cells read empty; the basis is "before arrow after".
func impactRows(d *access.PolicyDiff, header []string, empty, arrow string) [][]string {
	rows := [][]string{header}
	for _, im := range d.Impacts {
		if im.Note != "" {
			rows = append(rows, []string{im.Table, im.Role, im.Operation, empty, empty, empty, empty, empty, empty, im.Note})
			continue
		}
		basis := im.BeforeBasis + arrow + im.AfterBasis
		for _, o := range im.Orgs {
			rows = append(rows, []string{im.Table, im.Role, im.Operation, o.Org, fmt.Sprint(o.Members),
				fmt.Sprint(o.Before), fmt.Sprint(o.After), "+" + fmt.Sprint(o.Gained), "-" + fmt.Sprint(o.Lost), basis})
		}
	}
	return rows
}

// printMarkdownTable prints rows (the first is the header) as a Markdown
// table.
func printMarkdownTable(w io.Writer, rows [][]string) {
	for i, r := range rows {
		cells := make([]string, len(r))
		for j, c := range r {
			cells[j] = mdCell(c)
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
		if i == 0 {
			fmt.Fprintf(w, "|%s\n", strings.Repeat("---|", len(r)))
		}
	}
}

// mdCell is s as the text of a Markdown table cell: sanitized for the
// terminal, with the characters Markdown or HTML would read escaped and
// line breaks as spaces.
var mdEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "|", `\|`, "\\", `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "\r\n", " ", "\n", " ", "\r", " ")

func mdCell(s string) string {
	return termsafe.Sanitize(mdEscaper.Replace(s))
}
