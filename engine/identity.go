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

// Members lists every membership ordered by organization, role rank, user.
func (s *Store) Members(ctx context.Context) ([]Member, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT u.id, u.name, u.email, u.user_role, COALESCE(m.organization_id, ''), COALESCE(o.name, ''), COALESCE(m.role, '')
FROM qb_users u LEFT JOIN qb_members m ON m.user_id = u.id LEFT JOIN qb_organizations o ON o.id = m.organization_id
ORDER BY m.organization_id, u.id`)
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

// Organizations lists the organizations.
func (s *Store) Organizations(ctx context.Context) ([]Organization, error) {
	rows, err := s.DB.QueryContext(ctx, "SELECT id, name FROM qb_organizations ORDER BY id")
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

// SyntheticIdentity is "any user of role in org": a user id no real user
// has, platform tier "user". It sees what every member of that role sees,
// except rows owned by a particular user.
func SyntheticIdentity(org, role string) Identity {
	return Identity{UserID: "any-" + role + "@" + org, OrgID: org, Role: role, UserRole: "user", Synthetic: true}
}

// UsageError is a mistake in how an identity was named (exit status 1).
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// ResolveIdentity turns the command line's identity flags into a context:
// as is a user id or email ("anonymous" for PUBLIC access), org an
// organization id, role a role. With role alone, the identity is a
// synthetic user of that role in org. With as and role, the role overrides
// the membership's ("what if this user were…").
func (e *Engine) ResolveIdentity(ctx context.Context, as, org, role string) (Identity, error) {
	cfg := e.Config
	if role != "" && cfg.RoleIndex(role) < 0 {
		return Identity{}, &UsageError{fmt.Sprintf("unknown role %q (roles: %s)", role, strings.Join(cfg.Auth.Roles, ", "))}
	}
	orgs, err := e.Store.Organizations(ctx)
	if err != nil {
		return Identity{}, err
	}
	orgKnown := func(o string) bool {
		for _, x := range orgs {
			if x.ID == o {
				return true
			}
		}
		return false
	}
	if org != "" && !orgKnown(org) {
		return Identity{}, &UsageError{fmt.Sprintf("unknown organization %q", org)}
	}
	switch {
	case as == "anonymous":
		if org == "" {
			return Identity{}, &UsageError{"--as anonymous needs --org ORG"}
		}
		return Identity{OrgID: org, Anonymous: true}, nil
	case as == "" && role == "":
		return Identity{}, &UsageError{"an identity is required: --as USER [--org ORG] [--role ROLE], or --role ROLE --org ORG"}
	case as == "":
		if org == "" {
			if len(orgs) != 1 {
				return Identity{}, &UsageError{"--role needs --org ORG"}
			}
			org = orgs[0].ID
		}
		return SyntheticIdentity(org, role), nil
	}
	members, err := e.Store.Members(ctx)
	if err != nil {
		return Identity{}, err
	}
	var mine []Member
	found := false
	for _, m := range members {
		if m.UserID == as || strings.EqualFold(m.Email, as) {
			found = true
			if m.OrgID != "" {
				mine = append(mine, m)
			}
		}
	}
	if !found {
		return Identity{}, &UsageError{fmt.Sprintf("unknown user %q (see `qb users`)", as)}
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
			return Identity{}, &UsageError{fmt.Sprintf("user %s is not a member of %s", as, org)}
		}
	case len(mine) == 1:
		pick = &mine[0]
	case len(mine) == 0:
		return Identity{}, &UsageError{fmt.Sprintf("user %s belongs to no organization", as)}
	default:
		var list []string
		for _, m := range mine {
			list = append(list, m.OrgID+" ("+m.Role+")")
		}
		return Identity{}, &UsageError{fmt.Sprintf("user %s belongs to several organizations; choose one with --org: %s", as, strings.Join(list, ", "))}
	}
	id := pick.Identity()
	if role != "" {
		id.Role = role
	}
	return id, nil
}
