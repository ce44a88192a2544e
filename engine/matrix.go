package engine

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"quickback.dev/qb/schema"
)

// anonymousRole is the matrix column of a caller with no identity. It is
// present only when some rule of the config admits "PUBLIC".
const anonymousRole = "anonymous"

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

// Decision is the outcome of one access question for one role.
type Decision struct {
	Decision Effect `json:"decision"`
	// OwnRowsOnly: the owner firewall limits the role to rows it owns.
	OwnRowsOnly bool `json:"ownRowsOnly,omitempty"`
	// Condition is the record condition a row must meet, written out ("" for
	// none).
	Condition string `json:"condition,omitempty"`
	// Reason is a sentence; Rule the config path that decided.
	Reason string `json:"reason"`
	Rule   string `json:"rule,omitempty"`
}

// Summary is the short form of a decision for a table cell: "allowed",
// "denied", "own rows", "if CONDITION", "own rows, if CONDITION".
func (d Decision) Summary() string {
	if d.Decision != Conditional {
		return string(d.Decision)
	}
	var parts []string
	if d.OwnRowsOnly {
		parts = append(parts, "own rows")
	}
	if d.Condition != "" {
		parts = append(parts, "if "+d.Condition)
	}
	return strings.Join(parts, ", ")
}

// same reports whether two decisions decide alike (reasons aside).
func (d Decision) same(o Decision) bool {
	return d.Decision == o.Decision && d.OwnRowsOnly == o.OwnRowsOnly && d.Condition == o.Condition
}

// UserRoleCase is a decision that differs from the cell's for callers of one
// platform tier.
type UserRoleCase struct {
	UserRole string `json:"userRole"`
	Decision
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

// Matrix is BuildMatrix over the engine's config.
func (e *Engine) Matrix(table string) (*Matrix, error) { return BuildMatrix(e.cfg, table) }

// BuildMatrix computes the access matrix of cfg for every table, or for the
// named one (NOT_FOUND when unknown). It compiles every rule with the
// engine's own functions (compileAccess, firewallFor, maskPlanFor, guardFor)
// for a synthetic identity of each role, so it says what the engine does.
func BuildMatrix(cfg *schema.Config, table string) (*Matrix, error) {
	if table != "" && cfg.Table(table) == nil {
		return nil, Errf(NotFound, suggest(map[string]any{"table": table}, table, cfg.TableNames()), "unknown table %q", table)
	}
	return buildMatrix(cfg, table, matrixRoles(cfg)), nil
}

// buildMatrix computes the matrix over the given role columns; a role the
// config does not declare is decided as the engine would decide a member
// holding it (no rule names it).
func buildMatrix(cfg *schema.Config, table string, roles []string) *Matrix {
	m := &Matrix{Project: cfg.Project.Name, Roles: roles, UserRoles: configUserRoles(cfg)}
	for _, t := range cfg.Tables {
		if table != "" && t.Name != table {
			continue
		}
		m.Tables = append(m.Tables, buildTableMatrix(t, m.Roles, m.UserRoles))
	}
	return m
}

// matrixRoles lists [auth].roles, then anonymousRole when PUBLIC is admitted
// anywhere.
func matrixRoles(cfg *schema.Config) []string {
	roles := append([]string{}, cfg.Auth.Roles...)
	public := false
	for _, t := range cfg.Tables {
		for _, op := range t.CRUD {
			if op != nil && op.Access != nil && walkAccess(op.Access, func(a *schema.Access) bool { return a.Public }) {
				public = true
			}
		}
		for _, a := range t.Actions {
			if a.Access != nil && walkAccess(a.Access, func(a *schema.Access) bool { return a.Public }) {
				public = true
			}
		}
	}
	if public {
		roles = append(roles, anonymousRole)
	}
	return roles
}

// walkAccess reports whether f holds for a or any rule nested in it.
func walkAccess(a *schema.Access, f func(*schema.Access) bool) bool {
	if f(a) {
		return true
	}
	for _, s := range a.Or {
		if walkAccess(s, f) {
			return true
		}
	}
	for _, s := range a.And {
		if walkAccess(s, f) {
			return true
		}
	}
	return false
}

// configUserRoles lists, sorted, every platform tier the config's rules
// test, BaselineUserRole excluded.
func configUserRoles(cfg *schema.Config) []string {
	seen := map[string]bool{}
	collect := func(a *schema.Access) {
		if a == nil {
			return
		}
		walkAccess(a, func(x *schema.Access) bool {
			for _, u := range x.UserRoles {
				seen[u] = true
			}
			return false
		})
	}
	for _, t := range cfg.Tables {
		for _, op := range t.CRUD {
			if op != nil {
				collect(op.Access)
			}
		}
		for _, a := range t.Actions {
			collect(a.Access)
		}
	}
	delete(seen, BaselineUserRole)
	out := make([]string, 0, len(seen))
	for u := range seen {
		out = append(out, u)
	}
	sort.Strings(out)
	return out
}

// subjectIdentity is the synthetic caller of a matrix column: a user with
// every context value present, or an anonymous caller. Both name an
// organization, so the organization firewall never refuses outright.
func subjectIdentity(role, userRole string) Identity {
	if role == anonymousRole {
		return Identity{OrgID: "\x00org", Anonymous: true}
	}
	return Identity{UserID: "\x00user", OrgID: "\x00org", Role: role, UserRole: userRole, Email: "\x00email", Synthetic: true}
}

func buildTableMatrix(t *schema.Table, roles, userRoles []string) *TableMatrix {
	tm := &TableMatrix{Table: t.Name, Label: t.Label, Internal: t.Internal, Firewall: firewallText(t)}
	for _, role := range roles {
		for _, op := range schema.Ops {
			c := OpCell{Role: role, Operation: string(op)}
			c.Decision, c.ByUserRole = decideByTier(role, userRoles, func(id Identity) Decision { return crudDecision(t, op, id) })
			tm.Operations = append(tm.Operations, c)
		}
	}
	for i, col := range t.Columns {
		f := FieldRow{Field: col.Name, Type: string(col.Type)}
		switch guardFor(t, col.Name, false) {
		case GuardSystemManaged:
			f.SystemManaged = true
		case GuardFieldImmutable:
			if col.Type == schema.TypeID {
				f.PrimaryKey = true
			} else {
				f.Immutable = true
			}
		case GuardFieldProtected:
			f.Protected = true
			f.ProtectedBy = protectedBy(t, col.Name)
		}
		f.Createable = guardFor(t, col.Name, true) == ""
		f.Updatable = guardFor(t, col.Name, false) == ""
		if mk := t.Masking[col.Name]; mk != nil {
			f.MaskType, f.MaskRule = mk.Type, mk.Path
		}
		for _, role := range roles {
			id := subjectIdentity(role, BaselineUserRole)
			fc := FieldCell{Role: role, Visibility: VisibilityRaw,
				Readable: crudDecision(t, schema.OpList, id).Decision != Denied || crudDecision(t, schema.OpGet, id).Decision != Denied}
			// maskPlanFor reads nothing of the engine: a nil receiver is safe.
			switch (*Engine)(nil).maskPlanFor(t, id).modes[i] {
			case showMasked:
				fc.Visibility = VisibilityMasked
			case showIfOwner:
				fc.Visibility = VisibilityMaskedUnlessOwner
			}
			for _, create := range []bool{true, false} {
				op := schema.OpUpdate
				if create {
					op = schema.OpCreate
				}
				d := crudDecision(t, op, id)
				fa := fieldAccess(t, col, create, d.Decision != Denied)
				reason := fa.Reason
				if t.Internal && guardFor(t, col.Name, create) == "" {
					reason = "internal table: no CRUD for anyone; only actions write to it"
				}
				if create {
					fc.Create, fc.CreateReason = fa.Writable, reason
				} else {
					fc.Update, fc.UpdateReason = fa.Writable, reason
				}
			}
			f.Roles = append(f.Roles, fc)
		}
		tm.Fields = append(tm.Fields, f)
	}
	for _, a := range t.Actions {
		ar := &ActionRow{Action: a.Name, Type: a.Type, Description: a.Description}
		if tr := a.Transition; tr != nil {
			ar.TransitionField = tr.Field
			ar.FromStates = []string{}
			for _, s := range tr.FromOrder {
				targets := tr.From[s]
				if len(targets) > 0 && (tr.To == "" || slices.Contains(targets, tr.To)) {
					ar.FromStates = append(ar.FromStates, s)
				}
			}
		}
		for _, s := range a.Set {
			ar.Sets = append(ar.Sets, s.Column)
		}
		for _, ins := range a.Inserts {
			if !slices.Contains(ar.Inserts, ins.Table) {
				ar.Inserts = append(ar.Inserts, ins.Table)
			}
		}
		for _, role := range roles {
			c := ActionCell{Role: role}
			c.Decision, c.ByUserRole = decideByTier(role, userRoles, func(id Identity) Decision { return actionDecision(t, a, id) })
			if c.Decision.Decision != Denied && ar.FromStates != nil {
				c.From = ar.FromStates
			}
			ar.Roles = append(ar.Roles, c)
		}
		tm.Actions = append(tm.Actions, ar)
	}
	return tm
}

// decideByTier decides for the baseline tier and lists the tiers that
// decide differently.
func decideByTier(role string, userRoles []string, decide func(Identity) Decision) (Decision, []UserRoleCase) {
	base := decide(subjectIdentity(role, BaselineUserRole))
	if role == anonymousRole {
		return base, nil
	}
	var cases []UserRoleCase
	for _, u := range userRoles {
		if d := decide(subjectIdentity(role, u)); !d.same(base) {
			cases = append(cases, UserRoleCase{UserRole: u, Decision: d})
		}
	}
	return base, cases
}

// crudDecision decides one CRUD operation of t for id.
func crudDecision(t *schema.Table, op schema.Op, id Identity) Decision {
	path := fmt.Sprintf("tables.%s.crud.%s.access", t.Name, op)
	if t.Internal {
		return Decision{Decision: Denied, Reason: "internal table: no CRUD for anyone; only actions write to it", Rule: fmt.Sprintf("tables.%s.internal", t.Name)}
	}
	var rule *schema.Access
	if o := t.CRUD[op]; o != nil {
		rule = o.Access
	}
	return accessDecision(t, rule, path, id, true)
}

// actionDecision decides whether id may run action a of t.
func actionDecision(t *schema.Table, a *schema.Action, id Identity) Decision {
	path := a.Path
	if path == "" {
		path = fmt.Sprintf("tables.%s.actions.%s", t.Name, a.Name)
	}
	return accessDecision(t, a.Access, path+".access", id, a.Type != "standalone")
}

// accessDecision compiles rule for id with the engine's compiler and turns
// the residual into a decision. rowScoped: the operation works on rows the
// firewall scopes (every CRUD operation and record actions).
func accessDecision(t *schema.Table, rule *schema.Access, path string, id Identity, rowScoped bool) Decision {
	res := compileAccess(t, rule, path, id)
	if res.Denied {
		d := Decision{Decision: Denied, Rule: path}
		if rule == nil {
			d.Reason = "not declared: denied by default"
		} else {
			d.Reason = "requires " + describeAccess(rule)
		}
		return d
	}
	rules := strings.Join(res.Rules, " / ")
	own := false
	if rowScoped && t.Firewall.Owner != nil {
		fw := firewallFor(t, id)
		own = fw.ownerScoped
		if own && (id.Anonymous || id.UserID == "") {
			return Decision{Decision: Denied, Rule: fmt.Sprintf("tables.%s.firewall.owner", t.Name),
				Reason: "the table is owner-scoped and an anonymous caller owns no rows"}
		}
	}
	if res.Cond.sql == sqlFalse {
		return Decision{Decision: Denied, Rule: rules,
			Reason: "the record condition of " + rules + " can never hold for this caller (it lacks a context value the condition needs)"}
	}
	cond := res.Text
	d := Decision{OwnRowsOnly: own, Condition: cond, Rule: rules}
	var why []string
	if own {
		why = append(why, fmt.Sprintf("own rows only (tables.%s.firewall.owner, %s)", t.Name, t.Firewall.Owner.Mode))
	}
	if cond != "" {
		why = append(why, "rows matching "+cond)
	}
	if len(why) > 0 {
		d.Decision = Conditional
		d.Reason = strings.Join(why, "; ")
	} else {
		d.Decision = Allowed
		d.Reason = "admitted by " + describeAccess(rule)
	}
	return d
}

// firewallText describes a table's row scope independently of any caller.
func firewallText(t *schema.Table) []string {
	var out []string
	fw := t.Firewall
	if t.Internal {
		out = append(out, "internal: no CRUD for anyone; only actions write to it")
	}
	if o := fw.Organization; o != nil {
		out = append(out, fmt.Sprintf("organization: rows whose %s is the caller's organization", o.Column))
	}
	if o := fw.Owner; o != nil {
		switch o.Mode {
		case schema.OwnerOptional:
			out = append(out, fmt.Sprintf("owner (optional): rows whose %s is the caller; roles %s see every row", o.Column, strings.Join(o.Bypass, ", ")))
		default:
			out = append(out, fmt.Sprintf("owner (strict): rows whose %s is the caller, for every role", o.Column))
		}
	}
	if fw.Organization == nil && fw.Owner == nil {
		out = append(out, "none: every row of the table")
	}
	mode := fw.ErrorMode
	if mode == "" {
		mode = "reveal"
	}
	out = append(out, "errorMode: "+mode)
	return out
}
