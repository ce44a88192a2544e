package main

import (
	"fmt"
	"io"
	"strings"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/schema"
	"quickback.dev/qb/termsafe"
)

// notes numbers the long texts (record conditions, tier variants) that a
// matrix cell refers to, so the columns stay aligned.
type notes struct{ list []string }

func (n *notes) ref(text string) string {
	for i, s := range n.list {
		if s == text {
			return fmt.Sprintf("[%d]", i+1)
		}
	}
	n.list = append(n.list, text)
	return fmt.Sprintf("[%d]", len(n.list))
}

func (n *notes) print(w io.Writer) {
	for i, s := range n.list {
		fmt.Fprintf(w, "  [%d] %s\n", i+1, termsafe.Sanitize(s))
	}
}

// cell renders a decision, long parts as references to notes.
func (n *notes) cell(d engine.Decision, cases []engine.UserRoleCase) string {
	s := d.Decision
	if d.Decision == engine.Conditional {
		var parts []string
		if d.OwnRowsOnly {
			parts = append(parts, "own rows")
		}
		if d.Condition != "" {
			parts = append(parts, "if "+n.ref("rows matching "+d.Condition))
		}
		s = strings.Join(parts, ", ")
	}
	if len(cases) > 0 {
		var vs []string
		for _, c := range cases {
			vs = append(vs, fmt.Sprintf("userRole %s: %s", c.UserRole, c.Summary()))
		}
		s += " " + n.ref(strings.Join(vs, "; "))
	}
	return s
}

// printMatrix prints every table of the matrix: operations, fields and
// actions by role.
func printMatrix(w io.Writer, m *engine.Matrix) {
	fmt.Fprintf(w, "access matrix of %s (roles lowest to highest", termsafe.Sanitize(m.Project))
	if len(m.UserRoles) > 0 {
		fmt.Fprintf(w, "; cells assume userRole %q, other tiers noted", engine.BaselineUserRole)
	}
	fmt.Fprintln(w, ")")
	for _, t := range m.Tables {
		n := &notes{}
		title := t.Table
		if t.Label != "" && t.Label != t.Table {
			title += " (" + t.Label + ")"
		}
		fmt.Fprintf(w, "\n== %s ==\n", termsafe.Sanitize(title))
		for _, f := range t.Firewall {
			fmt.Fprintf(w, "firewall: %s\n", termsafe.Sanitize(f))
		}

		header := append([]string{"OPERATION"}, m.Roles...)
		rows := [][]string{header}
		for _, op := range schema.Ops {
			line := []string{string(op)}
			for _, r := range m.Roles {
				c := t.Op(r, string(op))
				line = append(line, n.cell(c.Decision, c.ByUserRole))
			}
			rows = append(rows, line)
		}
		fmt.Fprintln(w)
		printTable(w, rows)

		rows = [][]string{append([]string{"FIELD", "TYPE", "GUARD"}, m.Roles...)}
		for _, f := range t.Fields {
			guard := f.Guard()
			if guard == "" {
				switch {
				case f.Createable && f.Updatable:
					guard = "createable, updatable"
				case f.Createable:
					guard = "createable"
				case f.Updatable:
					guard = "updatable"
				case t.Internal:
					guard = "actions only"
				default:
					guard = "read-only"
				}
			}
			line := []string{f.Field, f.Type, guard}
			for _, r := range m.Roles {
				c := t.FieldCell(r, f.Field)
				s := c.Visibility
				if s != "raw" {
					s += "(" + f.MaskType + ")"
				}
				if !c.Readable {
					s = "no read"
				}
				var wr []string
				if c.Create {
					wr = append(wr, "c")
				}
				if c.Update {
					wr = append(wr, "u")
				}
				if len(wr) > 0 {
					s += " " + strings.Join(wr, "+")
				}
				line = append(line, s)
			}
			rows = append(rows, line)
		}
		fmt.Fprintln(w)
		printTable(w, rows)
		fmt.Fprintln(w, "(c = the role may set it on create, u = on update; no read = the role may neither list nor get)")

		if len(t.Actions) > 0 {
			rows = [][]string{append([]string{"ACTION", "TYPE", "FROM STATES"}, m.Roles...)}
			for _, a := range t.Actions {
				from := "any"
				if a.FromStates != nil {
					from = n.ref(a.TransitionField + " in " + strings.Join(a.FromStates, ", "))
					if len(a.FromStates) == 0 {
						from = "none"
					}
				}
				line := []string{a.Action, a.Type, from}
				for _, r := range m.Roles {
					c := a.Cell(r)
					line = append(line, n.cell(c.Decision, c.ByUserRole))
				}
				rows = append(rows, line)
			}
			fmt.Fprintln(w)
			printTable(w, rows)
		}
		if len(n.list) > 0 {
			fmt.Fprintln(w)
			n.print(w)
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
