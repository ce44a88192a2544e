package engine_test

import (
	"context"
	"testing"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/enginetest"
	"quickback.dev/qb/schema"
)

// A rule that admits callers without testing a role is a config error
// (SPEC §3.2); one built past the validator is denied to every caller, so
// a record condition alone never admits anyone (anonymous callers least).
func TestRuleWithoutRoleTestDenies(t *testing.T) {
	openRec := func() []schema.Condition {
		return []schema.Condition{{Column: "status", Op: schema.CondEquals, Value: "open"}}
	}
	rules := map[string]func(path string) *schema.Access{
		"record only": func(p string) *schema.Access { return &schema.Access{Record: openRec(), Path: p} },
		"or with a record-only branch": func(p string) *schema.Access {
			return &schema.Access{Path: p, Or: []*schema.Access{
				{Roles: []string{"owner"}, Path: p + ".or[0]"},
				{Record: openRec(), Path: p + ".or[1]"},
			}}
		},
		"and of record-only members": func(p string) *schema.Access {
			return &schema.Access{Path: p, And: []*schema.Access{
				{Record: openRec(), Path: p + ".and[0]"},
				{Record: []schema.Condition{{Column: "salaryMin", Op: schema.CondGte, Value: int64(0)}}, Path: p + ".and[1]"},
			}}
		},
	}
	callers := map[string]func(e *engine.Engine) engine.Identity{
		"anonymous":   func(*engine.Engine) engine.Identity { return engine.Identity{Anonymous: true, OrgID: "globex"} },
		"interviewer": func(e *engine.Engine) engine.Identity { return enginetest.Member(t, e, "u-ivan", "acme") },
		"owner":       func(e *engine.Engine) engine.Identity { return enginetest.Member(t, e, "u-olivia", "acme") },
	}
	ctx := context.Background()
	for name, rule := range rules {
		t.Run(name, func(t *testing.T) {
			cfg := enginetest.OwnConfig(t) // the test changes it
			jobs := cfg.Table("jobs")
			jobs.CRUD[schema.OpList].Access = rule("tables.jobs.crud.list.access")
			jobs.CRUD[schema.OpGet].Access = rule("tables.jobs.crud.get.access")
			if jobs.CRUD[schema.OpList].Access.TestsRole() {
				t.Fatal("the rule under test tests a role")
			}
			e := enginetest.Open(t, enginetest.WithConfig(cfg))
			if _, err := e.Seed(ctx, enginetest.Fixtures(t, cfg), false); err != nil {
				t.Fatal(err)
			}
			for who, idOf := range callers {
				id := idOf(e)
				p, err := e.List(ctx, id, "jobs", engine.ListQuery{})
				if code := ctErrCode(t, err); code != engine.AccessRoleRequired {
					n := 0
					if p != nil {
						n = len(p.Rows)
					}
					t.Errorf("list jobs as %s: %v (%d rows), want ACCESS_ROLE_REQUIRED", who, err, n)
				}
				if _, err := e.Get(ctx, id, "jobs", "j-firmware"); ctErrCode(t, err) != engine.AccessRoleRequired {
					t.Errorf("get jobs as %s: %v, want ACCESS_ROLE_REQUIRED", who, err)
				}
			}
		})
	}
}
