package schema

// TestsRole reports whether every caller the rule admits has passed a
// roles, userRole or PUBLIC test (SPEC §3.2): a rule with one of those keys
// at its top level, an or whose every branch tests a role, or an and with
// at least one member that does. A rule that does not would admit callers
// on a record condition alone, anonymous ones included.
func (a *Access) TestsRole() bool {
	switch {
	case a == nil:
		return false
	case len(a.Or) > 0:
		for _, sub := range a.Or {
			if !sub.TestsRole() {
				return false
			}
		}
		return true
	case len(a.And) > 0:
		for _, sub := range a.And {
			if sub.TestsRole() {
				return true
			}
		}
		return false
	}
	return a.Roles != nil || a.Public || a.UserRoles != nil
}

// requireRoleTest reports where the access rule a (read at p) admits callers
// without a role test: each such or branch, an and none of whose members
// tests a role, or the rule itself.
func (l *loader) requireRoleTest(a *Access, p *kpath) {
	if a.TestsRole() {
		return
	}
	const msg = `this rule admits callers by "record" alone, anonymous ones included; add roles, userRole or "PUBLIC" to it`
	switch {
	case len(a.Or) > 0:
		for i, sub := range a.Or {
			l.requireRoleTest(sub, p.key("or").idx(i))
		}
	case len(a.And) > 0:
		l.errf(p.key("and"), `no member of this "and" has roles, userRole or "PUBLIC", so it admits callers by "record" alone, anonymous ones included; add roles to one of them`)
	default:
		l.errf(p, msg)
	}
}
