package schema

import (
	"fmt"
	"slices"
	"strings"
)

// warn records a warning: a valid configuration whose refusals would tell a
// caller about data it cannot see (SPEC §3.3).
func (l *loader) warn(p *kpath, format string, args ...any) {
	l.cfg.Warnings = append(l.cfg.Warnings, Problem{File: l.file, Line: l.lineOf(p), Path: p.disp(), Message: fmt.Sprintf(format, args...), Warning: true})
}

// warnings finds every configuration of a loaded config whose errors reveal
// hidden data, each with the safe alternative in its message:
//
//   - a unique constraint that spans the firewall (a single-column unique,
//     a unique group without the organization or owner column, a
//     client-chosen primary key): UNIQUE_VIOLATION tells that another tenant
//     or user holds the value;
//   - a masked column in upsertKey: the path an upsert takes tells whether
//     a row holds the value;
//   - a masked transition field for a role that may run the action: trying
//     each target tells the current state;
//   - a hard delete of a table that owner-scoped, internal or soft-deleted
//     rows reference: FK_NOT_FOUND tells that such rows exist.
func (l *loader) warnings() {
	tables := rootPath.key("tables")
	for _, t := range l.cfg.Tables {
		tp := tables.key(t.Name)
		l.warnUnique(t, tp)
		l.warnUpsertKey(t, tp)
		l.warnTransitions(t, tp)
		l.warnHardDelete(t, tp)
	}
	l.cfg.Warnings.sort()
}

// scopeColumns are the columns a unique constraint must include to stay
// inside the firewall: the organization column, then the owner column.
func scopeColumns(t *Table) []string {
	var out []string
	if c := t.OrgColumn(); c != nil {
		out = append(out, c.Name)
	}
	if c := t.OwnerColumn(); c != nil {
		out = append(out, c.Name)
	}
	return out
}

func (l *loader) warnUnique(t *Table, tp *kpath) {
	scope := scopeColumns(t)
	if len(scope) == 0 {
		return
	}
	who := "another organization"
	if t.Firewall.Organization == nil {
		who = "another user"
	} else if t.Firewall.Owner != nil {
		who = "another organization or another user"
	}
	// suggest is the unique group cols with the scope columns it lacks
	// put first.
	suggest := func(cols ...string) string {
		var q []string
		for _, c := range scope {
			if !slices.Contains(cols, c) {
				q = append(q, fmt.Sprintf("%q", c))
			}
		}
		for _, c := range cols {
			q = append(q, fmt.Sprintf("%q", c))
		}
		return "unique = [[" + strings.Join(q, ", ") + "]]"
	}
	for _, c := range t.Columns {
		if c.Unique && c.Type != TypeID {
			l.warn(tp.key("columns").key(c.Name).key("unique"),
				"a single-column unique spans the firewall: creating a duplicate tells the caller (UNIQUE_VIOLATION) that %s holds the value; make it unique inside the scope with %s on the table",
				who, suggest(c.Name))
		}
	}
	for i, group := range t.Unique {
		var missing []string
		for _, s := range scope {
			if !slices.Contains(group, s) {
				missing = append(missing, s)
			}
		}
		if len(missing) > 0 {
			l.warn(tp.key("unique").idx(i),
				"this unique group lacks %s, so it spans the firewall: a duplicate tells the caller (UNIQUE_VIOLATION) that %s holds the values; write %s",
				strings.Join(missing, " and "), who, suggest(group...))
		}
	}
	if t.Firewall.Organization == nil {
		return
	}
	// The primary key is unique across every organization.
	pk := t.PrimaryKey()
	gp := tp.key("guards")
	switch {
	case pk == nil:
	case t.Guards.Disabled:
		l.warn(gp, "guards = false lets a client choose %s, which is unique across organizations: an id another organization uses is refused (UNIQUE_VIOLATION), which tells that it exists; declare guards and leave %q out of createable, so the engine generates ids", pk.Name, pk.Name)
	default:
		if i := slices.Index(t.Guards.Createable, pk.Name); i >= 0 {
			l.warn(gp.key("createable").idx(i), "a client-chosen %s is unique across organizations: an id another organization uses is refused (UNIQUE_VIOLATION), which tells that it exists; remove %q from createable, so the engine generates ids (key upserts on an external id instead)", pk.Name, pk.Name)
		}
	}
}

// maskedFor lists, of the roles an access rule admits, those that see col
// masked on some rows ("anonymous" when it admits PUBLIC).
func (l *loader) maskedFor(t *Table, col string, rules ...*Access) []string {
	m := t.Masking[col]
	if m == nil {
		return nil
	}
	var roles []string
	public := false
	for _, a := range rules {
		r, p := a.admittedRoles(l.cfg.Auth.Roles)
		for _, x := range r {
			if !slices.Contains(roles, x) {
				roles = append(roles, x)
			}
		}
		public = public || p
	}
	var out []string
	for _, r := range l.cfg.Auth.Roles { // in rank order
		if slices.Contains(roles, r) && !slices.Contains(m.ShowRoles, r) {
			out = append(out, r)
		}
	}
	if public {
		out = append(out, "anonymous")
	}
	return out
}

func (l *loader) warnUpsertKey(t *Table, tp *kpath) {
	var writes []*Access
	for _, op := range []Op{OpCreate, OpUpdate} {
		if o := t.CRUD[op]; o != nil && o.Access != nil {
			writes = append(writes, o.Access)
		}
	}
	for i, k := range t.UpsertKey {
		if who := l.maskedFor(t, k, writes...); len(who) > 0 {
			l.warn(tp.key("upsertKey").idx(i),
				"%s is masked for %s, who may upsert: whether an upsert takes the update or the create path tells whether a row holds the value guessed; key upserts on a column no writer sees masked (an external id)",
				k, strings.Join(who, ", "))
		}
	}
}

func (l *loader) warnTransitions(t *Table, tp *kpath) {
	for _, a := range t.Actions {
		tr := a.Transition
		if tr == nil || a.Access == nil {
			continue
		}
		if who := l.maskedFor(t, tr.Field, a.Access); len(who) > 0 {
			l.warn(tp.key("actions").key(a.Name).key("transition").key("field"),
				"%s is masked for %s, who may run %s: trying each target as a dry run tells the current %s (allowed or ACCESS_ACTION_NOT_ALLOWED_FOR_STATE); show %s to them (masking.%s.show.roles) or take them out of the action's access",
				tr.Field, strings.Join(who, ", "), a.Name, tr.Field, tr.Field, tr.Field)
		}
	}
}

func (l *loader) warnHardDelete(t *Table, tp *kpath) {
	del := t.CRUD[OpDelete]
	if del == nil || del.DeleteMode != "hard" {
		return
	}
	var why []string
	for _, s := range l.cfg.Tables {
		for _, c := range s.Columns {
			if c.References != t.Name {
				continue
			}
			var hidden []string
			if s.Firewall.Owner != nil {
				hidden = append(hidden, "owner-scoped")
			}
			if s.Internal {
				hidden = append(hidden, "internal")
			}
			if d := s.CRUD[OpDelete]; d == nil || d.DeleteMode != "hard" {
				hidden = append(hidden, "soft-deleted")
			}
			if len(hidden) > 0 {
				why = append(why, fmt.Sprintf("%s.%s (%s rows)", s.Name, c.Name, strings.Join(hidden, ", ")))
			}
		}
	}
	if len(why) > 0 {
		l.warn(tp.key("crud").key("delete").key("mode"),
			"a hard delete of a row that rows the caller cannot see reference is refused (FK_NOT_FOUND), which tells that they exist: %s; use mode = \"soft\"",
			strings.Join(why, "; "))
	}
}

// admittedRoles over-approximates the organization roles a rule may admit,
// ignoring record conditions: a leaf admits its roles (every role when it
// tests only userRole or admits PUBLIC), an or the union of its branches,
// an and the roles every member admits. public reports PUBLIC.
func (a *Access) admittedRoles(all []string) (roles []string, public bool) {
	switch {
	case a == nil:
		return nil, false
	case len(a.Or) > 0:
		for _, sub := range a.Or {
			r, p := sub.admittedRoles(all)
			for _, x := range r {
				if !slices.Contains(roles, x) {
					roles = append(roles, x)
				}
			}
			public = public || p
		}
		return roles, public
	case len(a.And) > 0:
		roles, public = all, true
		for _, sub := range a.And {
			r, p := sub.admittedRoles(all)
			roles = slices.DeleteFunc(slices.Clone(roles), func(x string) bool { return !slices.Contains(r, x) })
			public = public && p
		}
		return roles, public
	case a.Public:
		return all, true
	case a.Roles != nil:
		return a.Roles, false
	case a.UserRoles != nil:
		return all, false
	}
	// No role test at all (a record condition inside an "and"): it does
	// not narrow the roles of its siblings.
	return all, true
}
