package access

import "strings"

// BaselineUserRole is the platform tier the matrix assumes for every role
// (the tier a user gets when the fixtures name none). Cells whose decision
// is different for another tier the config tests list it in ByUserRole.
const BaselineUserRole = "user"

// Matrix is the static access matrix of a config: for every table, every
// role × operation, role × field and role × action. It depends only on the
// config, never on data.
type Matrix struct {
	Project string `json:"project"`
	// Roles are the columns: [auth].roles from lowest to highest, then
	// "anonymous" when some rule admits PUBLIC.
	Roles []string `json:"roles"`
	// UserRoles are the platform tiers the config tests with userRole = [...]
	// (besides BaselineUserRole, which every cell assumes).
	UserRoles []string       `json:"userRoles,omitempty"`
	Tables    []*TableMatrix `json:"tables"`
}

// TableMatrix is the matrix of one table.
type TableMatrix struct {
	Table    string `json:"table"`
	Label    string `json:"label,omitempty"`
	Internal bool   `json:"internal,omitempty"`
	// Firewall describes the row scope in words (role independent).
	Firewall []string `json:"firewall"`
	// Operations holds one cell per role and CRUD operation, role-major in
	// the order of Matrix.Roles and schema.Ops.
	Operations []OpCell     `json:"operations"`
	Fields     []FieldRow   `json:"fields"`
	Actions    []*ActionRow `json:"actions,omitempty"`
}

// OpCell is one role × CRUD operation.
type OpCell struct {
	Role      string `json:"role"`
	Operation string `json:"operation"`
	Decision
	// ByUserRole lists the tiers for which the decision differs.
	ByUserRole []UserRoleCase `json:"byUserRole,omitempty"`
}

// FieldRow is one column of a table: its role-independent guard and, per
// role, how it is seen and whether it may be written.
type FieldRow struct {
	Field string `json:"field"`
	Type  string `json:"type"`
	// SystemManaged: set by the engine (audit, organization and owner
	// columns); no client write may set it.
	SystemManaged bool `json:"systemManaged,omitempty"`
	// Createable and Updatable: the guards let a client write it on create
	// or update (the operation's access decides per role; see FieldCell).
	Createable bool `json:"createable"`
	Updatable  bool `json:"updatable"`
	// PrimaryKey: settable on create only.
	PrimaryKey bool `json:"primaryKey,omitempty"`
	// Immutable: settable on create only (guards.immutable).
	Immutable bool `json:"immutable,omitempty"`
	// Protected: only the actions in ProtectedBy may set it.
	Protected   bool     `json:"protected,omitempty"`
	ProtectedBy []string `json:"protectedBy,omitempty"`
	// MaskType and MaskRule name the masking rule ("" for none).
	MaskType string      `json:"maskType,omitempty"`
	MaskRule string      `json:"maskRule,omitempty"`
	Roles    []FieldCell `json:"roles"`
}

// Guard is the field's role-independent write rule in words ("" when the
// guards lists alone decide).
func (f FieldRow) Guard() string {
	switch {
	case f.SystemManaged:
		return "system-managed"
	case f.PrimaryKey:
		return "primary key"
	case f.Protected:
		if len(f.ProtectedBy) == 0 {
			return "protected: no action"
		}
		return "protected: " + strings.Join(f.ProtectedBy, ", ")
	case f.Immutable:
		return "immutable"
	}
	return ""
}

// Shown is how the field reaches the role of cell c, in words: "raw",
// "masked(TYPE)" or "masked-unless-owner(TYPE)".
func (f FieldRow) Shown(c FieldCell) string {
	if c.Visibility == VisibilityRaw {
		return string(VisibilityRaw)
	}
	return string(c.Visibility) + "(" + f.MaskType + ")"
}

// FieldCell is one role × field.
type FieldCell struct {
	Role string `json:"role"`
	// Readable: the role may list or get the table (Visibility is moot
	// otherwise).
	Readable     bool       `json:"readable"`
	Visibility   Visibility `json:"visibility"`
	Create       bool       `json:"create"`
	Update       bool       `json:"update"`
	CreateReason string     `json:"createReason"`
	UpdateReason string     `json:"updateReason"`
}

// ActionRow is one action of a table.
type ActionRow struct {
	Action      string `json:"action"`
	Type        string `json:"type"`
	Description string `json:"description,omitempty"`
	// TransitionField is the state field of the action's transition.
	TransitionField string `json:"transitionField,omitempty"`
	// FromStates are the states the action may start from: the transition's
	// `from` keys that have a target (for a fixed `to`, the keys whose
	// targets include it). Nil without a transition: any state.
	FromStates []string `json:"fromStates,omitempty"`
	// Sets and Inserts are the fields the action sets and the tables it
	// inserts into.
	Sets    []string     `json:"sets,omitempty"`
	Inserts []string     `json:"inserts,omitempty"`
	Roles   []ActionCell `json:"roles"`
}

// ActionCell is one role × action.
type ActionCell struct {
	Role string `json:"role"`
	Decision
	// From are the states the role may run it from (nil when denied, or
	// when the action has no transition).
	From       []string       `json:"from,omitempty"`
	ByUserRole []UserRoleCase `json:"byUserRole,omitempty"`
}

// Table returns the matrix of one table, or nil.
func (m *Matrix) Table(name string) *TableMatrix {
	for _, t := range m.Tables {
		if t.Table == name {
			return t
		}
	}
	return nil
}

// Op returns the cell of role × operation, or nil.
func (t *TableMatrix) Op(role, op string) *OpCell {
	for i := range t.Operations {
		if c := &t.Operations[i]; c.Role == role && c.Operation == op {
			return c
		}
	}
	return nil
}

// Field returns the row of a field, or nil.
func (t *TableMatrix) Field(name string) *FieldRow {
	for i := range t.Fields {
		if t.Fields[i].Field == name {
			return &t.Fields[i]
		}
	}
	return nil
}

// FieldCell returns the cell of role × field, or nil.
func (t *TableMatrix) FieldCell(role, field string) *FieldCell {
	f := t.Field(field)
	if f == nil {
		return nil
	}
	for i := range f.Roles {
		if f.Roles[i].Role == role {
			return &f.Roles[i]
		}
	}
	return nil
}

// Action returns the row of an action, or nil.
func (t *TableMatrix) Action(name string) *ActionRow {
	for _, a := range t.Actions {
		if a.Action == name {
			return a
		}
	}
	return nil
}

// Cell returns the cell of role × this action, or nil.
func (a *ActionRow) Cell(role string) *ActionCell {
	for i := range a.Roles {
		if a.Roles[i].Role == role {
			return &a.Roles[i]
		}
	}
	return nil
}
