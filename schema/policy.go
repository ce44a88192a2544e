package schema

import (
	"slices"
	"strings"
	"time"
)

func (l *loader) firewall(t *Table, v any, p *kpath) {
	t.Firewall.ErrorMode = "reveal"
	if v == nil {
		return
	}
	m, ok := l.asTable(v, p)
	if !ok {
		return
	}
	l.known(m, p, "organization", "owner", "errorMode")
	if x, ok := m["errorMode"]; ok {
		ep := p.key("errorMode")
		if s, ok := l.asString(x, ep); ok {
			if s != "reveal" && s != "hide" {
				l.errf(ep, `must be "reveal" or "hide", not %q`, s)
			} else {
				t.Firewall.ErrorMode = s
			}
		}
	}
	scopeColumn := func(sm map[string]any, sp *kpath, def string) string {
		col := def
		cp := sp
		if x, ok := sm["column"]; ok {
			cp = sp.key("column")
			s, ok := l.asString(x, cp)
			if !ok {
				return ""
			}
			col = s
		}
		c := t.Column(col)
		switch {
		case c == nil && l.brokenCols[t]:
		case c == nil && cp == sp:
			l.errf(sp, "the table has no column %q to scope on (declare it or set column = \"...\")", col)
		case c == nil:
			l.errf(cp, "unknown column %q%s", col, hint(col, t.ColumnNames()))
		case c.System:
			l.errf(cp, "cannot scope on the system column %q", col)
		case c.Type != "" && c.Type != TypeText:
			l.errf(cp, "the scope column %q must be of type text, not %s", col, c.Type)
		}
		return col
	}
	if x, ok := m["organization"]; ok {
		op := p.key("organization")
		if om, ok := l.asTable(x, op); ok {
			l.known(om, op, "column")
			t.Firewall.Organization = &OrgScope{Column: scopeColumn(om, op, "organizationId")}
		}
	}
	if x, ok := m["owner"]; ok {
		op := p.key("owner")
		om, ok := l.asTable(x, op)
		if !ok {
			return
		}
		l.known(om, op, "column", "mode", "bypass")
		own := &OwnerScope{Column: scopeColumn(om, op, "ownerId"), Mode: OwnerStrict}
		t.Firewall.Owner = own
		if org := t.Firewall.Organization; org != nil && org.Column == own.Column && own.Column != "" {
			l.errf(op, "the owner and organization scopes use the same column %q", own.Column)
		}
		if x, ok := om["mode"]; ok {
			mp := op.key("mode")
			if s, ok := l.asString(x, mp); ok {
				if s != string(OwnerStrict) && s != string(OwnerOptional) {
					l.errf(mp, `must be "strict" or "optional", not %q`, s)
				} else {
					own.Mode = OwnerMode(s)
				}
			}
		}
		bx, hasBypass := om["bypass"]
		switch {
		case hasBypass && own.Mode == OwnerStrict:
			l.errf(op.key("bypass"), `bypass only applies to mode = "optional"`)
		case hasBypass:
			own.Bypass, _ = l.roleList(bx, op.key("bypass"), false, false)
		case own.Mode == OwnerOptional && len(l.cfg.Auth.Admins) == 0:
			l.errf(op, "optional owner mode needs bypass roles, and [auth].admins is empty")
		case own.Mode == OwnerOptional:
			own.Bypass = append([]string(nil), l.cfg.Auth.Admins...)
		}
	}
}

func (l *loader) guards(t *Table, v any, p *kpath, actions []string) {
	if v == nil {
		return
	}
	if b, ok := v.(bool); ok {
		if b {
			l.errf(p, "must be a table or false")
		}
		t.Guards.Disabled = !b
		return
	}
	m, ok := l.asTable(v, p)
	if !ok {
		return
	}
	l.known(m, p, "createable", "updatable", "immutable", "protected")
	lists := map[string]*[]string{"createable": &t.Guards.Createable, "updatable": &t.Guards.Updatable, "immutable": &t.Guards.Immutable}
	for _, k := range []string{"createable", "updatable", "immutable"} {
		x, ok := m[k]
		if !ok {
			continue
		}
		lp := p.key(k)
		list := l.colList(t, x, lp, false)
		for i, c := range list {
			if t.Column(c) != nil && t.IsSystemManaged(c) {
				l.errf(lp.idx(i), "column %q is system-managed; no client write may set it", c)
			}
		}
		*lists[k] = list
	}
	if x, ok := m["protected"]; ok {
		pp := p.key("protected")
		t.Guards.Protected = map[string][]string{}
		if pm, ok := x.(map[string]any); ok {
			for _, c := range l.keysOf(pm, pp) {
				cp := pp.key(c)
				if l.colRef(t, c, cp) != nil && t.IsSystemManaged(c) {
					l.errf(cp, "column %q is system-managed; no action may set it", c)
				}
				names, ok := l.asStrings(pm[c], cp)
				if !ok {
					continue
				}
				if len(names) == 0 {
					l.errf(cp, "must list at least one action (use the list form for any action)")
				}
				for i, a := range names {
					if !slices.Contains(actions, a) {
						l.errf(cp.idx(i), "unknown action %q%s", a, hint(a, actions))
						l.brokenProt[t.Name+"\x00"+c] = true
					}
				}
				t.Guards.Protected[c] = names
			}
		} else if list, ok := l.asList(x, pp, "column names, or a table of column = [actions]"); ok {
			for i, e := range list {
				ep := pp.idx(i)
				c, ok := l.asString(e, ep)
				if !ok {
					continue
				}
				if l.colRef(t, c, ep) != nil && t.IsSystemManaged(c) {
					l.errf(ep, "column %q is system-managed; no action may set it", c)
				}
				t.Guards.Protected[c] = nil
			}
		}
	}
	// Contradictions: a protected field is never set by create/update, an
	// immutable one never by update.
	for _, k := range []string{"createable", "updatable", "immutable"} {
		for i, c := range *lists[k] {
			if _, prot := t.Guards.Protected[c]; prot {
				l.errf(p.key(k).idx(i), "column %q is protected: only actions may set it", c)
			} else if k == "updatable" && slices.Contains(t.Guards.Immutable, c) {
				l.errf(p.key(k).idx(i), "column %q is immutable: no update may set it", c)
			}
		}
	}
}

func (l *loader) crud(t *Table, v any, p *kpath) {
	if t.Internal {
		l.errf(p, "an internal table has no CRUD; remove crud (actions may still insert into it)")
		return
	}
	m, ok := l.asTable(v, p)
	if !ok {
		return
	}
	t.CRUD = map[Op]*Operation{}
	for _, k := range l.keysOf(m, p) {
		op := p.key(k)
		if !slices.Contains(opNames(), k) {
			l.errf(op, "unknown operation %q%s", k, hintOrList(k, opNames()))
			continue
		}
		om, ok := l.asTable(m[k], op)
		if !ok {
			continue
		}
		allowed := []string{"access"}
		if Op(k) == OpDelete {
			allowed = append(allowed, "mode")
		}
		l.known(om, op, allowed...)
		o := &Operation{}
		if Op(k) == OpDelete {
			o.DeleteMode = "soft"
			if x, ok := om["mode"]; ok {
				mp := op.key("mode")
				if s, ok := l.asString(x, mp); ok {
					if s != "soft" && s != "hard" {
						l.errf(mp, `must be "soft" or "hard", not %q`, s)
					} else {
						o.DeleteMode = s
					}
				}
			}
		}
		if x, ok := om["access"]; ok {
			o.Access = l.accessRule(t, x, op.key("access"))
		} else {
			l.errf(op, `missing "access" (remove the operation to deny it to everyone)`)
		}
		t.CRUD[Op(k)] = o
	}
}

func opNames() []string {
	out := make([]string, len(Ops))
	for i, o := range Ops {
		out[i] = string(o)
	}
	return out
}

// accessRule reads the access rule of an operation or action at p and,
// when it is otherwise valid, requires it to test a role (SPEC §3.2).
func (l *loader) accessRule(t *Table, v any, p *kpath) *Access {
	n := len(l.probs)
	a := l.access(t, v, p)
	if a != nil && len(l.probs) == n {
		l.requireRoleTest(a, p)
	}
	return a
}

var condOps = []string{"equals", "notEquals", "in", "notIn", "isNull", "lt", "lte", "gt", "gte"}

// access reads an access rule of table t at p.
func (l *loader) access(t *Table, v any, p *kpath) *Access {
	m, ok := l.asTable(v, p)
	if !ok {
		return nil
	}
	a := &Access{Path: p.disp()}
	keys := l.known(m, p, "roles", "userRole", "record", "or", "and")
	_, hasOr := m["or"]
	_, hasAnd := m["and"]
	if hasOr || hasAnd {
		comb := "or"
		if !hasOr {
			comb = "and"
		}
		for _, k := range keys {
			if k != comb && (k == "or" || k == "and" || k == "roles" || k == "userRole" || k == "record") {
				l.errf(p.key(k), "%q cannot appear beside %q; nest it inside one of the rules", k, comb)
			}
		}
		cp := p.key(comb)
		list, ok := l.asList(m[comb], cp, "access rules")
		if !ok {
			return a
		}
		if len(list) == 0 {
			l.errf(cp, "must list at least one rule")
		}
		for i, e := range list {
			if sub := l.access(t, e, cp.idx(i)); sub != nil {
				if comb == "or" {
					a.Or = append(a.Or, sub)
				} else {
					a.And = append(a.And, sub)
				}
			}
		}
		return a
	}
	if len(m) == 0 {
		l.errf(p, "an empty rule would admit everyone; give roles, userRole, record, or, or and")
		return a
	}
	if x, ok := m["roles"]; ok {
		a.Roles, a.Public = l.roleList(x, p.key("roles"), true, false)
		if len(a.Roles) == 0 {
			a.Roles = nil
		}
	}
	if x, ok := m["userRole"]; ok {
		up := p.key("userRole")
		if list, ok := l.asStrings(x, up); ok {
			if len(list) == 0 {
				l.errf(up, "must list at least one user role")
			}
			for i, s := range list {
				if strings.TrimSpace(s) == "" {
					l.errf(up.idx(i), "a user role must not be empty")
				}
			}
			a.UserRoles = list
		}
	}
	if x, ok := m["record"]; ok {
		a.Record = l.record(t, x, p.key("record"))
	}
	return a
}

func (l *loader) record(t *Table, v any, p *kpath) []Condition {
	m, ok := l.asTable(v, p)
	if !ok {
		return nil
	}
	if len(m) == 0 {
		l.errf(p, "must name at least one column")
	}
	var out []Condition
	for _, col := range l.keysOf(m, p) {
		cp := p.key(col)
		l.colRef(t, col, cp)
		om, ok := l.asTable(m[col], cp)
		if !ok {
			continue
		}
		if len(om) == 0 {
			l.errf(cp, "must give an operator (%s)", strings.Join(condOps, ", "))
		}
		for _, op := range l.keysOf(om, cp) {
			op2 := cp.key(op)
			if !slices.Contains(condOps, op) {
				l.errf(op2, "unknown operator %q%s", op, hintOrList(op, condOps))
				continue
			}
			c := Condition{Column: col, Op: CondOp(op)}
			switch CondOp(op) {
			case CondIsNull:
				b, ok := l.asBool(om[op], op2)
				if !ok {
					continue
				}
				c.Value = b
			case CondIn, CondNotIn:
				list, ok := l.asList(om[op], op2, "values")
				if !ok {
					continue
				}
				if len(list) == 0 {
					l.errf(op2, "must list at least one value")
				}
				vals := make([]any, 0, len(list))
				for i, e := range list {
					if x, ok := l.condValue(e, op2.idx(i)); ok {
						vals = append(vals, x)
					}
				}
				c.Value = vals
			default:
				x, ok := l.condValue(om[op], op2)
				if !ok {
					continue
				}
				c.Value = x
			}
			out = append(out, c)
		}
	}
	return out
}

// condValue reads a record-condition operand: a literal or "$ctx.<field>".
func (l *loader) condValue(v any, p *kpath) (any, bool) {
	switch x := v.(type) {
	case string:
		if !strings.HasPrefix(x, "$") {
			return x, true
		}
		if strings.HasPrefix(x, "$$") {
			return x[1:], true
		}
		if f, ok := strings.CutPrefix(x, "$ctx."); ok {
			if !slices.Contains(ctxFields, f) {
				l.errf(p, "unknown context field %q%s", f, hintOrList(f, ctxFields))
				return nil, false
			}
			return Ref{Kind: "ctx", Field: f}, true
		}
		l.errf(p, `only "$ctx.<field>" references are allowed in record conditions (write "$$" for a literal "$")`)
		return nil, false
	case int64, float64, bool:
		return x, true
	case time.Time:
		return x.UTC().Format("2006-01-02T15:04:05.000Z"), true
	}
	l.errf(p, "must be a string, number, boolean or \"$ctx.<field>\"")
	return nil, false
}

func (l *loader) masking(t *Table, v any, p *kpath) {
	m, ok := l.asTable(v, p)
	if !ok {
		return
	}
	t.Masking = map[string]*Mask{}
	for _, col := range l.keysOf(m, p) {
		cp := p.key(col)
		if c := l.colRef(t, col, cp); c != nil && c.Type == TypeID {
			// Rows are addressed, paged (cursors) and audited by their
			// primary key: a masked one would leak raw through all three.
			l.errf(cp, "the primary key %q cannot be masked: it identifies rows (record ids, cursors, the audit log)", col)
		}
		mm, ok := l.asTable(m[col], cp)
		if !ok {
			continue
		}
		l.known(mm, cp, "type", "show")
		mask := &Mask{Path: cp.disp()}
		if x, ok := mm["type"]; !ok {
			l.errf(cp, `missing "type"`)
		} else if s, ok := l.asString(x, cp.key("type")); ok {
			if !slices.Contains(maskTypes, s) {
				l.errf(cp.key("type"), "unknown mask type %q%s", s, hintOrList(s, maskTypes))
			}
			mask.Type = s
		}
		if x, ok := mm["show"]; ok {
			sp := cp.key("show")
			if sm, ok := l.asTable(x, sp); ok {
				l.known(sm, sp, "roles", "or")
				if r, ok := sm["roles"]; ok {
					mask.ShowRoles, _ = l.roleList(r, sp.key("roles"), false, false)
				}
				if o, ok := sm["or"]; ok {
					op := sp.key("or")
					if s, ok := l.asString(o, op); ok {
						if s != "owner" {
							l.errf(op, `must be "owner", not %q`, s)
						}
						mask.ShowOwner = s == "owner"
					}
				}
			}
		}
		t.Masking[col] = mask
	}
}
