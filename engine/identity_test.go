package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/enginetest"
)

// TestResolveIdentity: every way of naming an identity, and every mistake
// as a typed *IdentityError whose message names no command-line flag.
func TestResolveIdentity(t *testing.T) {
	e := enginetest.Seeded(t)
	ctx := context.Background()
	if _, err := engine.RawDB(e).Exec(`INSERT INTO qb_users (id, name, email) VALUES ('u-loner', 'Loner', 'loner@nowhere.test')`); err != nil {
		t.Fatal(err)
	}
	ok := []struct {
		name, as, org, role string
		want                engine.Identity
	}{
		{"by id, one membership", "u-dana", "", "", engine.Identity{UserID: "u-dana", OrgID: "acme", Role: "hiring-manager", UserRole: "user", Email: "dana@acme.test", Name: "Dana Reyes"}},
		{"by email, any case", "DANA@acme.test", "", "", engine.Identity{UserID: "u-dana", OrgID: "acme", Role: "hiring-manager", UserRole: "user", Email: "dana@acme.test", Name: "Dana Reyes"}},
		{"org picks the membership", "u-marco", "globex", "", engine.Identity{UserID: "u-marco", OrgID: "globex", Role: "hiring-manager"}},
		{"role overrides the membership's", "u-dana", "", "interviewer", engine.Identity{UserID: "u-dana", OrgID: "acme", Role: "interviewer"}},
		{"synthetic", "", "globex", "recruiter", engine.SyntheticIdentity("globex", "recruiter")},
		{"anonymous", "anonymous", "initech", "", engine.Identity{OrgID: "initech", Anonymous: true}},
	}
	for _, c := range ok {
		id, err := e.ResolveIdentity(ctx, c.as, c.org, c.role)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if id.UserID != c.want.UserID || id.OrgID != c.want.OrgID || id.Role != c.want.Role || id.Anonymous != c.want.Anonymous || id.Synthetic != c.want.Synthetic ||
			(c.want.Email != "" && (id.Email != c.want.Email || id.Name != c.want.Name || id.UserRole != c.want.UserRole)) {
			t.Errorf("%s: got %+v, want %+v", c.name, id, c.want)
		}
	}

	bad := []struct {
		name, as, org, role string
		problem             engine.IdentityProblem
		message             string
	}{
		{"unknown role", "u-dana", "", "boss", engine.UnknownRole, `unknown role "boss" (roles: interviewer, recruiter, hiring-manager, owner)`},
		{"unknown organization", "u-dana", "hooli", "", engine.UnknownOrg, `unknown organization "hooli"`},
		{"nothing named", "", "", "", engine.NoIdentity, "an identity is required: a user, or a role and an organization"},
		{"a role alone, several organizations", "", "", "owner", engine.RoleNeedsOrg, "a role without a user needs an organization"},
		{"unknown user", "u-nobody", "", "", engine.UnknownUser, `unknown user "u-nobody"`},
		{"not a member", "u-dana", "globex", "", engine.NotMember, "user u-dana is not a member of globex"},
		{"no membership", "u-loner", "", "", engine.NoMembership, "user u-loner belongs to no organization"},
		{"several memberships", "u-marco", "", "", engine.SeveralMemberships, "user u-marco belongs to several organizations: acme (recruiter), globex (hiring-manager)"},
	}
	for _, c := range bad {
		_, err := e.ResolveIdentity(ctx, c.as, c.org, c.role)
		var ie *engine.IdentityError
		if !errors.As(err, &ie) {
			t.Errorf("%s: err = %T %v, want *engine.IdentityError", c.name, err, err)
			continue
		}
		if ie.Problem != c.problem || ie.Error() != c.message {
			t.Errorf("%s: problem %d %q, want %d %q", c.name, ie.Problem, ie.Error(), c.problem, c.message)
		}
		if strings.Contains(ie.Error(), "--") {
			t.Errorf("%s: the engine's message names a flag: %q", c.name, ie.Error())
		}
	}
}
