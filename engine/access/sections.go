package access

import (
	"fmt"
	"strings"

	"quickback.dev/qb/schema"
)

// MatrixSectionKind names a block of a table's matrix.
type MatrixSectionKind string

// The sections of a table's matrix, in the order Sections lays them out.
const (
	SectionOperations MatrixSectionKind = "operation"
	SectionFields     MatrixSectionKind = "field"
	SectionActions    MatrixSectionKind = "action"
)

// TableSections is one table of a matrix as every front end shows it: its
// sections of typed cells, and the notes the cells refer to. The command
// line prints it; the console styles it; both show the same cell texts.
type TableSections struct {
	Table    *TableMatrix
	Sections []MatrixSection
	// Notes are the long texts that cells and row details refer to as
	// "[n]" (Notes[n-1]): record conditions, the decisions of other
	// platform tiers, an action's starting states.
	Notes []string
}

// MatrixSection is the operations, the fields or the actions of a table, by
// role.
type MatrixSection struct {
	Kind MatrixSectionKind
	// Details names the role-independent columns between the item and the
	// roles: "type" and "guard" for fields, "type" and "from states" for
	// actions.
	Details []string
	Roles   []string
	Rows    []MatrixRow
}

// MatrixRow is one operation, field or action.
type MatrixRow struct {
	Item string
	// Details holds the values of the section's Details columns.
	Details []string
	// Protected: the field may be set only by the actions of its guard.
	Protected bool
	Cells     []MatrixCell
}

// MatrixCell is one role's cell.
type MatrixCell struct {
	Role string
	// Effect is the decision of an operation or action cell; for a field
	// cell, Allowed when the role reads the table and Denied when it may
	// neither list nor get it.
	Effect Effect
	// Visibility is how a field reaches a role that reads it ("" for
	// operations, actions and fields the role cannot read).
	Visibility Visibility
	// Create and Update: the role may set the field on create, on update.
	Create, Update bool
	// Text is the cell in words: "allowed", "own rows, if [1]",
	// "masked(email) c", "no read", "allowed [2]" (other tiers in note 2).
	Text string
}

// Sections lays out every table of the matrix as sections of typed cells.
func (m *Matrix) Sections() []TableSections {
	out := make([]TableSections, 0, len(m.Tables))
	for _, t := range m.Tables {
		out = append(out, m.tableSections(t))
	}
	return out
}

func (m *Matrix) tableSections(t *TableMatrix) TableSections {
	ts := TableSections{Table: t}
	n := &matrixNotes{list: &ts.Notes}

	ops := MatrixSection{Kind: SectionOperations, Roles: m.Roles}
	for _, op := range schema.Ops {
		row := MatrixRow{Item: string(op)}
		for _, r := range m.Roles {
			c := t.Op(r, string(op))
			row.Cells = append(row.Cells, MatrixCell{Role: r, Effect: c.Decision.Decision, Text: n.decision(c.Decision, c.ByUserRole)})
		}
		ops.Rows = append(ops.Rows, row)
	}
	ts.Sections = append(ts.Sections, ops)

	fields := MatrixSection{Kind: SectionFields, Details: []string{"type", "guard"}, Roles: m.Roles}
	for _, f := range t.Fields {
		row := MatrixRow{Item: f.Field, Details: []string{f.Type, writeRule(t, f)}, Protected: f.Protected}
		for _, r := range m.Roles {
			row.Cells = append(row.Cells, fieldCell(f, t.FieldCell(r, f.Field)))
		}
		fields.Rows = append(fields.Rows, row)
	}
	ts.Sections = append(ts.Sections, fields)

	if len(t.Actions) > 0 {
		acts := MatrixSection{Kind: SectionActions, Details: []string{"type", "from states"}, Roles: m.Roles}
		for _, a := range t.Actions {
			from := "any"
			switch {
			case a.FromStates == nil:
			case len(a.FromStates) == 0:
				from = "none"
			default:
				from = n.ref(a.TransitionField + " in " + strings.Join(a.FromStates, ", "))
			}
			row := MatrixRow{Item: a.Action, Details: []string{a.Type, from}}
			for _, r := range m.Roles {
				c := a.Cell(r)
				row.Cells = append(row.Cells, MatrixCell{Role: r, Effect: c.Decision.Decision, Text: n.decision(c.Decision, c.ByUserRole)})
			}
			acts.Rows = append(acts.Rows, row)
		}
		ts.Sections = append(ts.Sections, acts)
	}
	return ts
}

// writeRule is a field's role-independent write rule in words.
func writeRule(t *TableMatrix, f FieldRow) string {
	if g := f.Guard(); g != "" {
		return g
	}
	switch {
	case f.Createable && f.Updatable:
		return "createable, updatable"
	case f.Createable:
		return "createable"
	case f.Updatable:
		return "updatable"
	case t.Internal:
		return "actions only"
	}
	return "read-only"
}

// fieldCell is one role × field: "no read" when the role may neither list
// nor get the table, else its visibility, then the writes it may make.
func fieldCell(f FieldRow, fc *FieldCell) MatrixCell {
	c := MatrixCell{Role: fc.Role, Effect: Allowed, Visibility: fc.Visibility, Create: fc.Create, Update: fc.Update}
	c.Text = f.Shown(*fc)
	if !fc.Readable {
		c.Effect, c.Visibility, c.Text = Denied, "", "no read"
	}
	var w []string
	if fc.Create {
		w = append(w, "c")
	}
	if fc.Update {
		w = append(w, "u")
	}
	if len(w) > 0 {
		c.Text += " " + strings.Join(w, "+")
	}
	return c
}

// matrixNotes numbers the long texts of one table's cells.
type matrixNotes struct{ list *[]string }

// ref is "[n]" for text, numbering it on first use.
func (n *matrixNotes) ref(text string) string {
	for i, s := range *n.list {
		if s == text {
			return fmt.Sprintf("[%d]", i+1)
		}
	}
	*n.list = append(*n.list, text)
	return fmt.Sprintf("[%d]", len(*n.list))
}

// decision is a decision's cell text: the effect, or for a conditional one
// its limits (a record condition as a note), then a note with the
// decisions of the platform tiers that decide otherwise.
func (n *matrixNotes) decision(d Decision, cases []UserRoleCase) string {
	s := d.summary(func(cond string) string { return n.ref("rows matching " + cond) })
	if len(cases) > 0 {
		var vs []string
		for _, c := range cases {
			vs = append(vs, fmt.Sprintf("userRole %s: %s", c.UserRole, c.Summary()))
		}
		s += " " + n.ref(strings.Join(vs, "; "))
	}
	return s
}
