package engine

import (
	"reflect"
	"testing"

	"quickback.dev/qb/schema"
)

// planPolicyText makes every part of a caller's plan depend on the
// identity: PUBLIC, userRole and role tests, record conditions on
// $ctx.userId, $ctx.email and $ctx.orgId (in, notIn, equals), an optional
// owner scope with a bypass, a required one, and owner-or-role masking.
const planPolicyText = `
[project]
name = "Plans"
database = "p.db"

[auth]
roles  = ["member", "editor", "admin"]
admins = ["admin"]

[tables.posts.columns]
id             = { type = "id" }
organizationId = { type = "text", required = true }
title          = { type = "text" }
status         = { type = "enum", values = ["draft", "published"] }
author         = { type = "text" }
secret         = { type = "text" }
phone          = { type = "text" }

[tables.posts.firewall]
organization = {}

[tables.posts.masking]
secret = { type = "redact", show = { roles = ["admin"], or = "owner" } }
phone  = { type = "phone", show = { roles = ["editor"] } }

[tables.posts.crud]
list.access   = { or = [{ roles = ["PUBLIC"], record = { status = { equals = "published" } } }, { roles = ["member+"] }] }
get.access    = { or = [{ roles = ["member"], record = { createdBy = { equals = "$ctx.userId" } } }, { roles = ["editor+"] }, { userRole = ["staff"] }] }
create.access = { roles = ["member+"], userRole = ["staff", "guest"] }
update.access = { roles = ["editor+"], record = { author = { notIn = ["$ctx.email", "$ctx.userRole"] }, status = { equals = "draft" } } }
delete.access = { and = [{ roles = ["admin"] }, { record = { author = { in = ["$ctx.email", "$ctx.userId"] } } }] }

[tables.drafts.columns]
id             = { type = "id" }
organizationId = { type = "text", required = true }
ownerId        = { type = "text", required = true }
body           = { type = "text" }

[tables.drafts.firewall]
organization = {}
owner = { mode = "optional" }

[tables.drafts.masking]
body = { type = "redact", show = { or = "owner" } }

[tables.drafts.crud]
list.access = { roles = ["PUBLIC", "member+"] }
get.access  = { roles = ["member+"], record = { organizationId = { equals = "$ctx.orgId" } } }

[tables.notes.columns]
id     = { type = "id" }
userId = { type = "text", required = true }
text   = { type = "text" }

[tables.notes.firewall]
owner = { column = "userId" }

[tables.notes.crud]
list.access = { roles = ["member+"] }
get.access  = { roles = ["PUBLIC"] }
`

// TestCallerPlanKeyIsComplete: callers of the same policyKey get the same
// plan, the one each would have got compiled alone, down to the arguments
// bound for them — over every identity built from values that differ in
// what a rule can test of them (present or not, one value or another),
// for every table and operation. It fails if the key leaves out anything
// the access rule, the firewall or the masking depends on (checked by
// dropping, in turn, role, userRole, anonymous and the presence bits
// from keyFor).
func TestCallerPlanKeyIsComplete(t *testing.T) {
	cfg, err := schema.Parse("plans.toml", []byte(planPolicyText))
	if err != nil {
		t.Fatal(err)
	}
	var ids []Identity
	for _, user := range []string{"", "u1", "u2"} {
		for _, org := range []string{"", "o1", "o2"} {
			for _, role := range []string{"", "member", "editor", "admin", "stranger"} {
				for _, userRole := range []string{"", "staff", "guest"} {
					for _, email := range []string{"", "a@x.io", "b@x.io"} {
						for _, anon := range []bool{false, true} {
							ids = append(ids, Identity{UserID: user, OrgID: org, Role: role, UserRole: userRole, Email: email, Anonymous: anon})
						}
					}
				}
			}
		}
	}
	for _, tbl := range cfg.Tables {
		for _, op := range []schema.Op{schema.OpList, schema.OpGet, schema.OpCreate, schema.OpUpdate, schema.OpDelete} {
			shared := &Engine{}
			for _, id := range ids {
				got := shared.crudPlan(tbl, op, id)
				want := (&Engine{}).crudPlan(tbl, op, id)
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("%s %s for %+v: the plan of its key is\n %+v\nwant\n %+v", tbl.Name, op, id, got, want)
				}
				if want.fw.err != nil {
					continue
				}
				gotArgs := fetchArgs(id, got.fw, "r1", got.acc)
				if wantArgs := fetchArgs(id, want.fw, "r1", want.acc); !reflect.DeepEqual(gotArgs, wantArgs) {
					t.Fatalf("%s %s for %+v: arguments %v, want %v", tbl.Name, op, id, gotArgs, wantArgs)
				}
			}
		}
	}
}

// TestCallerPlanIsShared: callers of one key share one plan (what makes a
// get cheap), and a refused caller's plan (ORG_REQUIRED) is not kept.
func TestCallerPlanIsShared(t *testing.T) {
	cfg, err := schema.Parse("plans.toml", []byte(planPolicyText))
	if err != nil {
		t.Fatal(err)
	}
	posts := cfg.Table("posts")
	e := &Engine{}
	a := e.crudPlan(posts, schema.OpGet, Identity{UserID: "u1", OrgID: "o1", Role: "member"})
	b := e.crudPlan(posts, schema.OpGet, Identity{UserID: "u2", OrgID: "o2", Role: "member"})
	if a != b {
		t.Errorf("two members of different organizations got two plans; want one shared plan")
	}
	if c := e.crudPlan(posts, schema.OpGet, Identity{UserID: "u1", OrgID: "o1", Role: "editor"}); c == a {
		t.Errorf("a member and an editor share a plan")
	}
	noOrg := Identity{UserID: "u1", Role: "member"}
	if p := e.crudPlan(posts, schema.OpGet, noOrg); p.fw.err == nil || p == e.crudPlan(posts, schema.OpGet, noOrg) {
		t.Errorf("a caller without an organization: err %v, plan kept; want ORG_REQUIRED built per call", p.fw.err)
	}
}
