package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"quickback.dev/qb/engine/access"
	"quickback.dev/qb/schema"
)

// DiffConfigs lists every policy decision that differs between cur and
// other, from the two configs alone: no database is read and nothing is
// audited (Diff adds the rows each change affects). `qb import --check`
// compares an imported project with the current config this way.
func DiffConfigs(cur, other *schema.Config) []access.PolicyChange {
	return diffConfigs(cur, other)
}

// diffConfigs lists every decision that differs between cur and other
// (access.PolicyDiff.Changes without row counts). Both matrices are built over the
// union of both configs' roles, so a role one config lacks is decided as the
// engine decides a member holding an undeclared role. Whether a role may
// write a field follows from the field's guard (reported once per field:
// guard, createable, updatable) and the role's create/update decision
// (reported per operation); it is not repeated per role and field.
func diffConfigs(cur, other *schema.Config) []access.PolicyChange {
	declA, declB := matrixRoles(cur), matrixRoles(other)
	roles := unionRoles(declA, declB)
	a, b := buildMatrix(cur, "", roles), buildMatrix(other, "", roles)
	var out []access.PolicyChange
	add := func(c access.PolicyChange) { out = append(out, c) }

	// Roles.
	for _, r := range roles {
		inA, inB := slices.Contains(declA, r), slices.Contains(declB, r)
		if inA != inB {
			add(access.PolicyChange{Kind: access.ChangeRole, Role: r, Item: "exists", Before: yesNo(inA, "declared", "absent"), After: yesNo(inB, "declared", "absent")})
		}
	}
	// Tables present in one config only.
	for _, ta := range a.Tables {
		if b.Table(ta.Table) == nil {
			add(access.PolicyChange{Kind: access.ChangeTable, Table: ta.Table, Item: "exists", Before: "declared", After: "absent"})
		}
	}
	for _, tb := range b.Tables {
		if a.Table(tb.Table) == nil {
			add(access.PolicyChange{Kind: access.ChangeTable, Table: tb.Table, Item: "exists", Before: "absent", After: "declared"})
		}
	}
	for _, ta := range a.Tables {
		tb := b.Table(ta.Table)
		if tb == nil {
			continue
		}
		out = append(out, diffTable(cur.Table(ta.Table), other.Table(ta.Table), ta, tb, roles)...)
	}
	return out
}

func unionRoles(a, b []string) []string {
	out := append([]string{}, a...)
	for _, r := range b {
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	// Keep anonymous last.
	for i, r := range out {
		if r == anonymousRole && i != len(out)-1 {
			out = append(append(out[:i:i], out[i+1:]...), anonymousRole)
			break
		}
	}
	return out
}

func yesNo(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}

// cellText renders a decision with its tier variants, for comparison and
// display.
func cellText(d access.Decision, cases []access.UserRoleCase) string {
	s := d.Summary()
	for _, c := range cases {
		s += fmt.Sprintf("; userRole %s: %s", c.UserRole, c.Summary())
	}
	return s
}

// tableAspects lists the role-independent rules of a table that decide
// what rows exist and what a delete does, as (item, text) pairs.
func tableAspects(t *schema.Table) [][2]string {
	org, owner := "none", "none"
	if o := t.Firewall.Organization; o != nil {
		org = "on " + o.Column
	}
	if o := t.Firewall.Owner; o != nil {
		owner = fmt.Sprintf("%s on %s", o.Mode, o.Column)
		if o.Mode == schema.OwnerOptional {
			owner += ", bypass " + strings.Join(o.Bypass, ", ")
		}
	}
	mode := t.Firewall.ErrorMode
	if mode == "" {
		mode = "reveal"
	}
	del := "soft"
	if o := t.CRUD[schema.OpDelete]; o != nil && o.DeleteMode != "" {
		del = o.DeleteMode
	}
	return [][2]string{{"firewall.organization", org}, {"firewall.owner", owner}, {"firewall.errorMode", mode}, {"crud.delete.mode", del}}
}

func diffTable(sa, sb *schema.Table, ta, tb *access.TableMatrix, roles []string) []access.PolicyChange {
	var out []access.PolicyChange
	t := ta.Table
	add := func(c access.PolicyChange) {
		c.Table = t
		out = append(out, c)
	}
	if ta.Internal != tb.Internal {
		add(access.PolicyChange{Kind: access.ChangeTable, Item: "internal", Before: fmt.Sprint(ta.Internal), After: fmt.Sprint(tb.Internal)})
	}
	fa, fb := tableAspects(sa), tableAspects(sb)
	for i := range fa {
		if fa[i][1] != fb[i][1] {
			add(access.PolicyChange{Kind: access.ChangeTable, Item: fa[i][0], Before: fa[i][1], After: fb[i][1]})
		}
	}
	for _, role := range roles {
		for _, op := range schema.Ops {
			ca, cb := ta.Op(role, string(op)), tb.Op(role, string(op))
			if sa, sb := cellText(ca.Decision, ca.ByUserRole), cellText(cb.Decision, cb.ByUserRole); sa != sb {
				add(access.PolicyChange{Kind: access.ChangeOperation, Role: role, Item: string(op), Before: sa, After: sb})
			}
		}
	}
	for _, fa := range ta.Fields {
		fb := tb.Field(fa.Field)
		if fb == nil {
			add(access.PolicyChange{Kind: access.ChangeField, Item: fa.Field, Aspect: "exists", Before: "declared", After: "absent"})
			continue
		}
		if ga, gb := fa.Guard(), fb.Guard(); ga != gb {
			add(access.PolicyChange{Kind: access.ChangeField, Item: fa.Field, Aspect: "guard", Before: orNone(ga), After: orNone(gb)})
		}
		if fa.Createable != fb.Createable {
			add(access.PolicyChange{Kind: access.ChangeField, Item: fa.Field, Aspect: "createable", Before: fmt.Sprint(fa.Createable), After: fmt.Sprint(fb.Createable)})
		}
		if fa.Updatable != fb.Updatable {
			add(access.PolicyChange{Kind: access.ChangeField, Item: fa.Field, Aspect: "updatable", Before: fmt.Sprint(fa.Updatable), After: fmt.Sprint(fb.Updatable)})
		}
		for _, role := range roles {
			va, vb := fa.Shown(*ta.FieldCell(role, fa.Field)), fb.Shown(*tb.FieldCell(role, fa.Field))
			if va != vb {
				add(access.PolicyChange{Kind: access.ChangeField, Role: role, Item: fa.Field, Aspect: "visibility", Before: va, After: vb})
			}
		}
	}
	for _, fb := range tb.Fields {
		if ta.Field(fb.Field) == nil {
			add(access.PolicyChange{Kind: access.ChangeField, Item: fb.Field, Aspect: "exists", Before: "absent", After: "declared"})
		}
	}
	for _, aa := range ta.Actions {
		ab := tb.Action(aa.Action)
		if ab == nil {
			add(access.PolicyChange{Kind: access.ChangeAction, Item: aa.Action, Aspect: "exists", Before: "declared", After: "absent"})
			continue
		}
		if sa, sb := statesText(aa), statesText(ab); sa != sb {
			add(access.PolicyChange{Kind: access.ChangeAction, Item: aa.Action, Aspect: "from states", Before: sa, After: sb})
		}
		for _, role := range roles {
			ca, cb := aa.Cell(role), ab.Cell(role)
			if sa, sb := cellText(ca.Decision, ca.ByUserRole), cellText(cb.Decision, cb.ByUserRole); sa != sb {
				add(access.PolicyChange{Kind: access.ChangeAction, Role: role, Item: aa.Action, Aspect: "access", Before: sa, After: sb})
			}
		}
	}
	for _, ab := range tb.Actions {
		if ta.Action(ab.Action) == nil {
			add(access.PolicyChange{Kind: access.ChangeAction, Item: ab.Action, Aspect: "exists", Before: "absent", After: "declared"})
		}
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func statesText(a *access.ActionRow) string {
	if a.FromStates == nil {
		return "any state"
	}
	if len(a.FromStates) == 0 {
		return "no state"
	}
	return a.TransitionField + " in " + strings.Join(a.FromStates, ", ")
}

// Diff compares the engine's config with other: every decision that differs
// and, against the engine's database, how many rows each changed
// row-visibility decision (a role's list or get) affects per organization
// (see access.RowImpact for what is counted). It appends one audit entry: by
// "system" (no identity is impersonated), operation "diff", the other
// config's file as the record.
func (e *Engine) Diff(ctx context.Context, other *schema.Config) (d *access.PolicyDiff, err error) {
	defer func() { e.auditRead(ctx, Identity{UserID: "system"}, "diff", "", other.File, err) }()
	d = &access.PolicyDiff{Current: e.cfg.File, Other: other.File, Changes: diffConfigs(e.cfg, other), Impacts: []access.RowImpact{}}
	if d.Changes == nil {
		d.Changes = []access.PolicyChange{}
	}
	orgs, err := e.store.organizations(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range d.Changes {
		if c.Kind != access.ChangeOperation || (c.Item != string(schema.OpList) && c.Item != string(schema.OpGet)) {
			continue
		}
		imp, err := e.rowImpact(ctx, other, c.Table, c.Role, schema.Op(c.Item), orgs)
		if err != nil {
			return nil, err
		}
		d.Impacts = append(d.Impacts, imp)
	}
	return d, nil
}

func (e *Engine) rowImpact(ctx context.Context, other *schema.Config, table, role string, op schema.Op, orgs []Organization) (access.RowImpact, error) {
	imp := access.RowImpact{Table: table, Role: role, Operation: string(op), Orgs: []access.OrgRows{}}
	ta, tb := e.cfg.Table(table), other.Table(table)
	if ta == nil || tb == nil {
		imp.Note = "the table is not in both configs"
		return imp, nil
	}
	for _, o := range orgs {
		before, bargs, bbasis := groupVisibility(e.cfg, e.store.ids, ta, op, role, o.ID)
		after, aargs, abasis := groupVisibility(other, e.store.ids, tb, op, role, o.ID)
		imp.BeforeBasis, imp.AfterBasis = bbasis, abasis
		r := access.OrgRows{Org: o.ID}
		err := e.store.db.QueryRowContext(ctx, "SELECT count(*) FROM ("+e.store.ids.membersRel()+") m WHERE organization_id = ? AND role = ?", o.ID, role).Scan(&r.Members)
		if err != nil {
			return imp, e.store.wrapErr(err)
		}
		q := fmt.Sprintf(`SELECT count(*) FILTER (WHERE b), count(*) FILTER (WHERE a), count(*) FILTER (WHERE a AND NOT b), count(*) FILTER (WHERE b AND NOT a)
FROM (SELECT COALESCE((%s), FALSE) AS b, COALESCE((%s), FALSE) AS a FROM %s AS %s) AS visible`, before, after, Q(ta.SQLName), Q(ta.Name))
		if err := e.store.db.QueryRowContext(ctx, q, append(bargs, aargs...)...).Scan(&r.Before, &r.After, &r.Gained, &r.Lost); err != nil {
			// The other config may name columns the database does not have.
			imp.Note = "cannot count rows against this database: " + err.Error()
			imp.Orgs = []access.OrgRows{}
			return imp, nil
		}
		imp.Orgs = append(imp.Orgs, r)
	}
	return imp, nil
}

// groupVisibility is the SQL condition, over the table's own name, under
// which a row of t is visible through op to role in org under cfg (the
// members of role read from ids), with its bound arguments and its basis
// (see access.RowImpact).
func groupVisibility(cfg *schema.Config, ids identitySource, t *schema.Table, op schema.Op, role, org string) (string, []any, string) {
	if t.Internal {
		return sqlFalse, nil, access.BasisRole
	}
	var rule *schema.Access
	if o := t.CRUD[op]; o != nil {
		rule = o.Access
	}
	path := fmt.Sprintf("tables.%s.crud.%s.access", t.Name, op)
	visible := func(id Identity) predicate {
		acc := compileAccess(t, rule, path, id)
		if acc.Denied {
			return predicate{sql: sqlFalse}
		}
		fw := firewallFor(t, id)
		if fw.err != nil {
			return predicate{sql: sqlFalse}
		}
		if acc.Cond.sql == "" {
			return fw.pred
		}
		return join([]predicate{fw.pred, acc.Cond}, " AND ")
	}
	if role == anonymousRole {
		id := subjectIdentity(org, role, "")
		p := visible(id)
		s, args := rewritePredicate(p, t.Name, func(f string) (string, any, bool) { v, _ := id.CtxValue(f); return "", v, true })
		return s, args, access.BasisRole
	}
	// One predicate per platform tier the config distinguishes; tiers
	// outside the config's lists behave like the baseline.
	tiers := configUserRoles(cfg)
	base := visible(subjectIdentity(org, role, access.BaselineUserRole))
	preds := make([]predicate, len(tiers))
	perUser := usesUser(base)
	for i, u := range tiers {
		preds[i] = visible(subjectIdentity(org, role, u))
		if usesUser(preds[i]) || !samePredicate(preds[i], base) {
			perUser = true
		}
	}
	if !perUser {
		id := Identity{OrgID: org, Role: role, UserRole: access.BaselineUserRole}
		s, args := rewritePredicate(base, t.Name, func(f string) (string, any, bool) { v, _ := id.CtxValue(f); return "", v, true })
		return s, args, access.BasisRole
	}
	// Rows at least one member of role in org can see, each member's own
	// context bound. qb_ aliases cannot collide with a config table.
	member := func(f string) (string, any, bool) {
		switch f {
		case "userId":
			return `"qb_u"."id"`, nil, false
		case "email":
			return `"qb_u"."email"`, nil, false
		case "userRole":
			return `"qb_u"."user_role"`, nil, false
		case "orgId":
			return "", org, true
		case "role":
			return "", role, true
		}
		return "", nil, true
	}
	var clauses []string
	var args []any
	s, a := rewritePredicate(base, t.Name, member)
	if len(tiers) == 0 {
		clauses = append(clauses, "("+s+")")
		args = append(args, a...)
	} else {
		marks := make([]string, len(tiers))
		var targs []any
		for i, u := range tiers {
			marks[i] = "?"
			targs = append(targs, u)
		}
		clauses = append(clauses, `("qb_u"."user_role" NOT IN (`+strings.Join(marks, ",")+`) AND (`+s+`))`)
		args = append(args, targs...)
		args = append(args, a...)
		for i, u := range tiers {
			s, a := rewritePredicate(preds[i], t.Name, member)
			clauses = append(clauses, `("qb_u"."user_role" = ? AND (`+s+`))`)
			args = append(args, u)
			args = append(args, a...)
		}
	}
	q := `EXISTS (SELECT 1 FROM (` + ids.membersRel() + `) AS "qb_m" JOIN (` + ids.usersRel() + `) AS "qb_u" ON "qb_u"."id" = "qb_m"."user_id" WHERE "qb_m"."organization_id" = ? AND "qb_m"."role" = ? AND (` +
		strings.Join(clauses, " OR ") + `))`
	return q, append([]any{org, role}, args...), access.BasisMembers
}

// usesUser reports whether a predicate reads a per-user context value.
func usesUser(p predicate) bool {
	for _, a := range p.args {
		if a.ctx == "userId" || a.ctx == "email" || a.ctx == "userRole" {
			return true
		}
	}
	return false
}

func samePredicate(a, b predicate) bool {
	return a.sql == b.sql && fmt.Sprint(a.args) == fmt.Sprint(b.args)
}

// rewritePredicate qualifies every column of a compiled predicate with
// alias and replaces each context parameter by what ctx returns: an SQL
// expression (bind false) or a value to bind. Literal parameters stay bound.
func rewritePredicate(p predicate, alias string, ctx func(field string) (expr string, value any, bind bool)) (string, []any) {
	var b strings.Builder
	var args []any
	k := 0
	s := p.sql
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			j := i + 1
			for j < len(s) {
				if s[j] == '"' {
					if j+1 < len(s) && s[j+1] == '"' {
						j += 2
						continue
					}
					break
				}
				j++
			}
			b.WriteString(Q(alias) + "." + s[i:j+1])
			i = j
		case '\'':
			j := i + 1
			for j < len(s) {
				if s[j] == '\'' {
					if j+1 < len(s) && s[j+1] == '\'' {
						j += 2
						continue
					}
					break
				}
				j++
			}
			b.WriteString(s[i : j+1])
			i = j
		case '?':
			a := p.args[k]
			k++
			if a.ctx == "" {
				b.WriteByte('?')
				args = append(args, a.literal)
				continue
			}
			expr, v, bind := ctx(a.ctx)
			if bind {
				b.WriteByte('?')
				args = append(args, v)
			} else {
				b.WriteString(expr)
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), args
}
