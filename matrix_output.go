package main

import (
	"fmt"
	"io"
	"strings"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/termsafe"
)

// printMatrix prints every table of the matrix: operations, fields and
// actions by role, as engine.Matrix.Sections lays them out.
func printMatrix(w io.Writer, m *engine.Matrix) {
	fmt.Fprintf(w, "access matrix of %s (roles lowest to highest", termsafe.Sanitize(m.Project))
	if len(m.UserRoles) > 0 {
		fmt.Fprintf(w, "; cells assume userRole %q, other tiers noted", engine.BaselineUserRole)
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
			if sec.Kind == engine.SectionFields {
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
func printPolicyDiff(w io.Writer, d *engine.PolicyDiff) {
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
	rows = [][]string{{"TABLE", "ROLE", "OPERATION", "ORG", "MEMBERS", "BEFORE", "AFTER", "GAINED", "LOST", "BASIS"}}
	for _, im := range d.Impacts {
		basis := im.BeforeBasis + " -> " + im.AfterBasis
		if im.Note != "" {
			rows = append(rows, []string{im.Table, im.Role, im.Operation, "-", "-", "-", "-", "-", "-", im.Note})
			continue
		}
		for _, o := range im.Orgs {
			rows = append(rows, []string{im.Table, im.Role, im.Operation, o.Org, fmt.Sprint(o.Members),
				fmt.Sprint(o.Before), fmt.Sprint(o.After), "+" + fmt.Sprint(o.Gained), "-" + fmt.Sprint(o.Lost), basis})
		}
	}
	printTableWide(w, rows)
}
