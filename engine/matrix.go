package engine

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"quickback.dev/qb/engine/access"
	"quickback.dev/qb/schema"
)

// anonymousRole is the matrix column of a caller with no identity. It is
// present only when some rule of the config admits "PUBLIC".
const anonymousRole = "anonymous"

// sameDecision reports whether two decisions decide alike (reasons aside).
func sameDecision(d, o access.Decision) bool {
	return d.Decision == o.Decision && d.OwnRowsOnly == o.OwnRowsOnly && d.Condition == o.Condition
}

// Matrix is BuildMatrix over the engine's config.
func (e *Engine) Matrix(table string) (*access.Matrix, error) { return BuildMatrix(e.cfg, table) }

// BuildMatrix computes the access matrix of cfg for every table, or for the
// named one (NOT_FOUND when unknown). It compiles every rule with the
// engine's own functions (compileAccess, firewallFor, maskPlanFor, guardFor)
// for a synthetic identity of each role, so it says what the engine does.
func BuildMatrix(cfg *schema.Config, table string) (*access.Matrix, error) {
	if table != "" && cfg.Table(table) == nil {
		return nil, Errf(NotFound, suggest(map[string]any{"table": table}, table, cfg.TableNames()), "unknown table %q", table)
	}
	return buildMatrix(cfg, table, matrixRoles(cfg)), nil
}

// buildMatrix computes the matrix over the given role columns; a role the
// config does not declare is decided as the engine would decide a member
// holding it (no rule names it).
func buildMatrix(cfg *schema.Config, table string, roles []string) *access.Matrix {
	m := &access.Matrix{Project: cfg.Project.Name, Roles: roles, UserRoles: configUserRoles(cfg)}
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
	if slices.ContainsFunc(configRules(cfg), func(a *schema.Access) bool {
		return walkAccess(a, func(a *schema.Access) bool { return a.Public })
	}) {
		roles = append(roles, anonymousRole)
	}
	return roles
}

// configRules lists the access rules of every CRUD operation and action of
// cfg (the rules nested in them not listed apart).
func configRules(cfg *schema.Config) []*schema.Access {
	var out []*schema.Access
	for _, t := range cfg.Tables {
		for _, op := range t.CRUD {
			if op != nil && op.Access != nil {
				out = append(out, op.Access)
			}
		}
		for _, a := range t.Actions {
			if a.Access != nil {
				out = append(out, a.Access)
			}
		}
	}
	return out
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
// test, access.BaselineUserRole excluded.
func configUserRoles(cfg *schema.Config) []string {
	seen := map[string]bool{}
	for _, a := range configRules(cfg) {
		walkAccess(a, func(x *schema.Access) bool {
			for _, u := range x.UserRoles {
				seen[u] = true
			}
			return false
		})
	}
	delete(seen, access.BaselineUserRole)
	return slices.Sorted(maps.Keys(seen))
}

// subjectIdentity is the synthetic caller of role in org: a user with every
// context value present, or an anonymous caller. The matrix's columns name
// matrixOrg, so the organization firewall never refuses outright.
func subjectIdentity(org, role, userRole string) Identity {
	if role == anonymousRole {
		return Identity{OrgID: org, Anonymous: true}
	}
	return Identity{UserID: "\x00user", OrgID: org, Role: role, UserRole: userRole, Email: "\x00email", Synthetic: true}
}

// matrixOrg is the organization of the matrix's synthetic callers.
const matrixOrg = "\x00org"

func buildTableMatrix(t *schema.Table, roles, userRoles []string) *access.TableMatrix {
	tm := &access.TableMatrix{Table: t.Name, Label: t.Label, Internal: t.Internal, Firewall: firewallText(t)}
	for _, role := range roles {
		for _, op := range schema.Ops {
			c := access.OpCell{Role: role, Operation: string(op)}
			c.Decision, c.ByUserRole = decideByTier(role, userRoles, func(id Identity) access.Decision { return crudDecision(t, op, id) })
			tm.Operations = append(tm.Operations, c)
		}
	}
	for i, col := range t.Columns {
		f := access.FieldRow{Field: col.Name, Type: string(col.Type)}
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
			id := subjectIdentity(matrixOrg, role, access.BaselineUserRole)
			// The role's operation cells are decided for this identity.
			may := func(op schema.Op) bool { return tm.Op(role, string(op)).Decision.Decision != access.Denied }
			fc := access.FieldCell{Role: role, Visibility: access.VisibilityRaw, Readable: may(schema.OpList) || may(schema.OpGet)}
			// maskPlanFor reads nothing of the engine: a nil receiver is safe.
			switch (*Engine)(nil).maskPlanFor(t, id).modes[i] {
			case showMasked:
				fc.Visibility = access.VisibilityMasked
			case showIfOwner:
				fc.Visibility = access.VisibilityMaskedUnlessOwner
			}
			for _, create := range []bool{true, false} {
				op := schema.OpUpdate
				if create {
					op = schema.OpCreate
				}
				fa := fieldAccess(t, col, create, may(op))
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
		ar := &access.ActionRow{Action: a.Name, Type: a.Type, Description: a.Description}
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
			c := access.ActionCell{Role: role}
			c.Decision, c.ByUserRole = decideByTier(role, userRoles, func(id Identity) access.Decision { return actionDecision(t, a, id) })
			if c.Decision.Decision != access.Denied && ar.FromStates != nil {
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
func decideByTier(role string, userRoles []string, decide func(Identity) access.Decision) (access.Decision, []access.UserRoleCase) {
	base := decide(subjectIdentity(matrixOrg, role, access.BaselineUserRole))
	if role == anonymousRole {
		return base, nil
	}
	var cases []access.UserRoleCase
	for _, u := range userRoles {
		if d := decide(subjectIdentity(matrixOrg, role, u)); !sameDecision(d, base) {
			cases = append(cases, access.UserRoleCase{UserRole: u, Decision: d})
		}
	}
	return base, cases
}

// crudDecision decides one CRUD operation of t for id.
func crudDecision(t *schema.Table, op schema.Op, id Identity) access.Decision {
	path := fmt.Sprintf("tables.%s.crud.%s.access", t.Name, op)
	if t.Internal {
		return access.Decision{Decision: access.Denied, Reason: "internal table: no CRUD for anyone; only actions write to it", Rule: fmt.Sprintf("tables.%s.internal", t.Name)}
	}
	var rule *schema.Access
	if o := t.CRUD[op]; o != nil {
		rule = o.Access
	}
	return accessDecision(t, rule, path, id, true)
}

// actionDecision decides whether id may run action a of t.
func actionDecision(t *schema.Table, a *schema.Action, id Identity) access.Decision {
	path := a.Path
	if path == "" {
		path = fmt.Sprintf("tables.%s.actions.%s", t.Name, a.Name)
	}
	return accessDecision(t, a.Access, path+".access", id, a.Type != "standalone")
}

// accessDecision compiles rule for id with the engine's compiler and turns
// the residual into a decision. rowScoped: the operation works on rows the
// firewall scopes (every CRUD operation and record actions).
func accessDecision(t *schema.Table, rule *schema.Access, path string, id Identity, rowScoped bool) access.Decision {
	res := compileAccess(t, rule, path, id)
	if res.Denied {
		d := access.Decision{Decision: access.Denied, Rule: path}
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
			return access.Decision{Decision: access.Denied, Rule: fmt.Sprintf("tables.%s.firewall.owner", t.Name),
				Reason: "the table is owner-scoped and an anonymous caller owns no rows"}
		}
	}
	if res.Cond.sql == sqlFalse {
		return access.Decision{Decision: access.Denied, Rule: rules,
			Reason: "the record condition of " + rules + " can never hold for this caller (it lacks a context value the condition needs)"}
	}
	cond := res.Text
	d := access.Decision{OwnRowsOnly: own, Condition: cond, Rule: rules}
	var why []string
	if own {
		why = append(why, fmt.Sprintf("own rows only (tables.%s.firewall.owner, %s)", t.Name, t.Firewall.Owner.Mode))
	}
	if cond != "" {
		why = append(why, "rows matching "+cond)
	}
	if len(why) > 0 {
		d.Decision = access.Conditional
		d.Reason = strings.Join(why, "; ")
	} else {
		d.Decision = access.Allowed
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
