package engine

import (
	"context"
	"fmt"
	"strings"
)

// Member is one user's membership: a line of `qb users`.
type Member struct {
	UserID   string `json:"userId"`
	Name     string `json:"name"`
	Email    string `json:"email"`
	UserRole string `json:"userRole"`
	OrgID    string `json:"orgId"`
	OrgName  string `json:"orgName"`
	Role     string `json:"role"`
}

// Identity is the context of this membership.
func (m Member) Identity() Identity {
	return Identity{UserID: m.UserID, OrgID: m.OrgID, Role: m.Role, UserRole: m.UserRole, Email: m.Email, Name: m.Name}
}

// Members lists every user's memberships, ordered by organization and
// user; a user without any is listed once with an empty organization.
func (e *Engine) Members(ctx context.Context) ([]Member, error) { return e.store.members(ctx) }

func (s *store) members(ctx context.Context) ([]Member, error) {
	return s.queryMembers(ctx, "", nil)
}

// membersOf lists the memberships of the user whose id or email (in any
// case) is user; a user without any is listed once with an empty
// organization, an unknown one not at all. The id or the email as given is
// looked up first, through their indexes; only an address found in no
// other case reads the users through.
func (s *store) membersOf(ctx context.Context, user string) ([]Member, error) {
	ms, err := s.queryMembers(ctx, membersByIDOrEmail, []any{user, user})
	if err != nil || len(ms) > 0 || !strings.Contains(user, "@") {
		return ms, err
	}
	if ms, err = s.queryMembers(ctx, "WHERE lower(u.email) = lower(?)", []any{user}); err != nil || len(ms) > 0 {
		return ms, err
	}
	// lower() folds ASCII only: an address with other letters in another
	// case is found by reading them all.
	all, err := s.members(ctx)
	for _, m := range all {
		if strings.EqualFold(m.Email, user) {
			ms = append(ms, m)
		}
	}
	return ms, err
}

// membersByIDOrEmail selects a user by id or by email as stored: an index
// lookup on each (the primary key, the unique email).
const membersByIDOrEmail = "WHERE u.id = ? OR u.email = ?"

// membersSQL is the statement that reads memberships from the identity
// source, users joined with their memberships and organizations, filtered
// by where.
func (s *store) membersSQL(where string) string {
	return fmt.Sprintf(`SELECT u.id, u.name, u.email, u.user_role, COALESCE(m.organization_id, ''), COALESCE(o.name, ''), COALESCE(m.role, '')
FROM (%s) u LEFT JOIN (%s) m ON m.user_id = u.id LEFT JOIN (%s) o ON o.id = m.organization_id %s
ORDER BY %s%s, %s`, s.ids.usersRel(), s.ids.membersRel(), s.ids.orgsRel(), where, s.d.sortKey("m.organization_id"), s.d.nullsOrder(false), s.d.sortKey("u.id"))
}

// queryMembers reads memberships (membersSQL) filtered by where.
func (s *store) queryMembers(ctx context.Context, where string, args []any) ([]Member, error) {
	if err := s.identitiesMissing(ctx); err != nil {
		return nil, err
	}
	q := s.membersSQL(where)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.wrapErr(err)
	}
	defer rows.Close()
	var out []Member
	for rows.Next() {
		var m Member
		if err := rows.Scan(&m.UserID, &m.Name, &m.Email, &m.UserRole, &m.OrgID, &m.OrgName, &m.Role); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Organization is one organization.
type Organization struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Organizations lists the organizations by id.
func (e *Engine) Organizations(ctx context.Context) ([]Organization, error) {
	return e.store.organizations(ctx)
}

func (s *store) organizations(ctx context.Context) ([]Organization, error) {
	if err := s.identitiesMissing(ctx); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, "SELECT id, name FROM ("+s.ids.orgsRel()+") o ORDER BY "+s.d.sortKey("id"))
	if err != nil {
		return nil, s.wrapErr(err)
	}
	defer rows.Close()
	var out []Organization
	for rows.Next() {
		var o Organization
		if err := rows.Scan(&o.ID, &o.Name); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// orgExists reports whether an organization has the id.
func (s *store) orgExists(ctx context.Context, id string) (bool, error) {
	if err := s.identitiesMissing(ctx); err != nil {
		return false, err
	}
	var one int
	err := s.db.QueryRowContext(ctx, "SELECT 1 FROM ("+s.ids.orgsRel()+") o WHERE id = ?", id).Scan(&one)
	if isNoRows(err) {
		return false, nil
	}
	return err == nil, s.wrapErr(err)
}

// onlyOrg is the id of the one organization, "" when there are none or
// several.
func (s *store) onlyOrg(ctx context.Context) (string, error) {
	if err := s.identitiesMissing(ctx); err != nil {
		return "", err
	}
	rows, err := s.db.QueryContext(ctx, "SELECT id FROM ("+s.ids.orgsRel()+") o LIMIT 2")
	if err != nil {
		return "", s.wrapErr(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return "", s.wrapErr(err)
		}
		ids = append(ids, id)
	}
	if len(ids) != 1 {
		return "", s.wrapErr(rows.Err())
	}
	return ids[0], s.wrapErr(rows.Err())
}

// SyntheticIdentity is "any user of role in org": a user id no real user
// has, platform tier "user". It sees what every member of that role sees,
// except rows owned by a particular user.
func SyntheticIdentity(org, role string) Identity {
	return Identity{UserID: "any-" + role + "@" + org, OrgID: org, Role: role, UserRole: "user", Synthetic: true}
}

// IdentityError is an identity ResolveIdentity cannot build: Problem says
// which mistake, the other fields what was named. Its message names no
// command-line flag; a front end words it for its own controls.
type IdentityError struct {
	Problem IdentityProblem
	// User, Org and Role are as given.
	User, Org, Role string
	// Roles are the config's roles (UnknownRole); Memberships are the
	// user's (SeveralMemberships).
	Roles       []string
	Memberships []Member
}

// IdentityProblem is the kind of an IdentityError.
type IdentityProblem int

// The mistakes in naming an identity.
const (
	UnknownRole        IdentityProblem = iota + 1 // Role is not a role of the config
	UnknownOrg                                    // Org is not an organization
	NoIdentity                                    // neither a user nor a role
	RoleNeedsOrg                                  // a role alone, with several organizations
	UnknownUser                                   // User is no user's id or email
	NotMember                                     // User is not a member of Org
	NoMembership                                  // User belongs to no organization
	SeveralMemberships                            // User belongs to several and Org is ""
)

func (e *IdentityError) Error() string {
	switch e.Problem {
	case UnknownRole:
		return fmt.Sprintf("unknown role %q (roles: %s)", e.Role, strings.Join(e.Roles, ", "))
	case UnknownOrg:
		return fmt.Sprintf("unknown organization %q", e.Org)
	case NoIdentity:
		return "an identity is required: a user, or a role and an organization"
	case RoleNeedsOrg:
		return "a role without a user needs an organization"
	case UnknownUser:
		return fmt.Sprintf("unknown user %q", e.User)
	case NotMember:
		return fmt.Sprintf("user %s is not a member of %s", e.User, e.Org)
	case NoMembership:
		return fmt.Sprintf("user %s belongs to no organization", e.User)
	case SeveralMemberships:
		return fmt.Sprintf("user %s belongs to several organizations: %s", e.User, membershipList(e.Memberships))
	}
	return "invalid identity"
}

// membershipList is "acme (owner), globex (recruiter)".
func membershipList(ms []Member) string {
	list := make([]string, len(ms))
	for i, m := range ms {
		list[i] = m.OrgID + " (" + m.Role + ")"
	}
	return strings.Join(list, ", ")
}

// ResolveIdentity builds the context an operation runs as: as is a user id
// or email ("anonymous" for PUBLIC access), org an organization id, role a
// role. With role alone, the identity is a synthetic user of that role in
// org (which may be left out when there is one organization). With as and
// role, the role overrides the membership's ("what if this user were…").
// org may be left out for a user with one membership. A mistake is an
// *IdentityError.
func (e *Engine) ResolveIdentity(ctx context.Context, as, org, role string) (Identity, error) {
	cfg := e.cfg
	bad := func(p IdentityProblem) (Identity, error) {
		return Identity{}, &IdentityError{Problem: p, User: as, Org: org, Role: role}
	}
	if role != "" && cfg.RoleIndex(role) < 0 {
		return Identity{}, &IdentityError{Problem: UnknownRole, User: as, Org: org, Role: role, Roles: cfg.Auth.Roles}
	}
	if org != "" {
		known, err := e.store.orgExists(ctx, org)
		if err != nil {
			return Identity{}, err
		}
		if !known {
			return bad(UnknownOrg)
		}
	}
	switch {
	case as == "anonymous":
		// Without an organization the identity is still anonymous: a
		// table whose firewall needs one refuses it with ORG_REQUIRED,
		// the engine's answer, not the command line's.
		return Identity{OrgID: org, Anonymous: true}, nil
	case as == "" && role == "":
		return bad(NoIdentity)
	case as == "":
		if org == "" {
			only, err := e.store.onlyOrg(ctx)
			if err != nil {
				return Identity{}, err
			}
			if only == "" {
				return bad(RoleNeedsOrg)
			}
			org = only
		}
		return SyntheticIdentity(org, role), nil
	}
	members, err := e.store.membersOf(ctx, as)
	if err != nil {
		return Identity{}, err
	}
	if len(members) == 0 {
		return bad(UnknownUser)
	}
	var mine []Member
	for _, m := range members {
		if m.OrgID != "" {
			mine = append(mine, m)
		}
	}
	var pick *Member
	switch {
	case org != "":
		for i := range mine {
			if mine[i].OrgID == org {
				pick = &mine[i]
			}
		}
		if pick == nil {
			return bad(NotMember)
		}
	case len(mine) == 1:
		pick = &mine[0]
	case len(mine) == 0:
		return bad(NoMembership)
	default:
		return Identity{}, &IdentityError{Problem: SeveralMemberships, User: as, Role: role, Memberships: mine}
	}
	id := pick.Identity()
	if role != "" && role != id.Role {
		id.Role, id.RealRole = role, id.Role
	}
	return id, nil
}
