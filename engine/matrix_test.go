package engine_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/engine/access"
	"quickback.dev/qb/internal/enginetest"
	"quickback.dev/qb/schema"
)

// The expectations below are written out by hand from the seed's recipes
// (../shared/seeds, "Common Patterns") and the default project's comments,
// not generated from the code under test.

const (
	mxA   = "allowed"
	mxD   = "denied"
	mxOwn = "own rows"
)

// mxRoles is [auth].roles of the default project, lowest to highest; every
// [4]string below is in this order.
var mxRoles = []string{"interviewer", "recruiter", "hiring-manager", "owner"}

func TestMatrixDefaultProjectOperations(t *testing.T) {
	m, err := engine.BuildMatrix(enginetest.Config(t), "")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m.Roles, mxRoles) {
		t.Fatalf("roles = %v, want %v (no PUBLIC rule, so no anonymous column)", m.Roles, mxRoles)
	}
	want := map[string]map[string][4]string{
		// Public read, authenticated write: every member reads, owners and
		// hiring managers write.
		"jobs": {
			"list":   {mxA, mxA, mxA, mxA},
			"get":    {mxA, mxA, mxA, mxA},
			"create": {mxD, mxD, mxA, mxA},
			"update": {mxD, mxD, mxA, mxA},
			"delete": {mxD, mxD, mxA, mxA},
		},
		// Sensitive data: every member reads; hiring managers and recruiters
		// create and update; only hiring managers delete.
		"candidates": {
			"list":   {mxA, mxA, mxA, mxA},
			"get":    {mxA, mxA, mxA, mxA},
			"create": {mxD, mxA, mxA, mxD},
			"update": {mxD, mxA, mxA, mxD},
			"delete": {mxD, mxD, mxA, mxD},
		},
		// User-scoped personal data, owner strict: everyone, hiring managers
		// and owners included, only ever works on their own notes.
		"interview_notes": {
			"list":   {mxOwn, mxOwn, mxOwn, mxOwn},
			"get":    {mxOwn, mxOwn, mxOwn, mxOwn},
			"create": {mxOwn, mxOwn, mxOwn, mxOwn},
			"update": {mxOwn, mxOwn, mxOwn, mxOwn},
			"delete": {mxOwn, mxOwn, mxOwn, mxOwn},
		},
		// Multi-table feature / admin-only status field: interviewers only
		// read; delete is the hiring manager's alone.
		"applications": {
			"list":   {mxA, mxA, mxA, mxA},
			"get":    {mxA, mxA, mxA, mxA},
			"create": {mxD, mxA, mxA, mxA},
			"update": {mxD, mxA, mxA, mxA},
			"delete": {mxD, mxD, mxA, mxD},
		},
		// Internal junction table: no routes at all.
		"interview_scores": {
			"list":   {mxD, mxD, mxD, mxD},
			"get":    {mxD, mxD, mxD, mxD},
			"create": {mxD, mxD, mxD, mxD},
			"update": {mxD, mxD, mxD, mxD},
			"delete": {mxD, mxD, mxD, mxD},
		},
		// External system sync: owners and hiring managers; delete owner only.
		"ats_imports": {
			"list":   {mxD, mxD, mxA, mxA},
			"get":    {mxD, mxD, mxA, mxA},
			"create": {mxD, mxD, mxA, mxA},
			"update": {mxD, mxD, mxA, mxA},
			"delete": {mxD, mxD, mxD, mxA},
		},
	}
	if len(m.Tables) != len(want) {
		t.Errorf("matrix has %d tables, want %d", len(m.Tables), len(want))
	}
	for table, ops := range want {
		tm := m.Table(table)
		if tm == nil {
			t.Errorf("table %s missing from the matrix", table)
			continue
		}
		for op, cells := range ops {
			for i, role := range mxRoles {
				c := tm.Op(role, op)
				if c == nil {
					t.Errorf("%s %s %s: no cell", table, role, op)
					continue
				}
				if got := c.Summary(); got != cells[i] {
					t.Errorf("%s: %s may %s: got %q, want %q (%s)", table, role, op, got, cells[i], c.Reason)
				}
				if cells[i] == mxOwn && (c.Decision.Decision != access.Conditional || !c.OwnRowsOnly || c.Condition != "") {
					t.Errorf("%s: %s %s: want conditional on own rows only, got %+v", table, role, op, c.Decision)
				}
				if table == "interview_scores" && !strings.Contains(c.Reason, "internal") {
					t.Errorf("interview_scores %s %s: reason %q should say the table is internal", role, op, c.Reason)
				}
				if len(c.ByUserRole) != 0 {
					t.Errorf("%s %s %s: no rule tests userRole, got variants %+v", table, role, op, c.ByUserRole)
				}
			}
		}
	}
}

// mxField is the expectation for one field: the visibility per role, and
// which roles may set it on create and on update.
type mxField struct {
	vis            [4]string
	create, update [4]bool
}

var (
	mxRaw4   = [4]string{"raw", "raw", "raw", "raw"}
	mxNone   = [4]bool{}
	mxCRUDHR = [4]bool{false, true, true, false} // hiring-manager and recruiter
	mxOH     = [4]bool{false, false, true, true} // owner and hiring-manager
	mxOHR    = [4]bool{false, true, true, true}  // owner, hiring-manager, recruiter
	mxAll    = [4]bool{true, true, true, true}
)

func TestMatrixDefaultProjectFields(t *testing.T) {
	m, err := engine.BuildMatrix(enginetest.Config(t), "")
	if err != nil {
		t.Fatal(err)
	}
	masked := func(typ string) [4]string {
		// Shown to hiring managers and recruiters only: interviewers and
		// owners see the mask (the seed's table: the interviewer row).
		return [4]string{"masked:" + typ, "raw", "raw", "masked:" + typ}
	}
	want := map[string]map[string]mxField{
		"jobs": {
			"title":      {mxRaw4, mxOH, mxOH},
			"department": {mxRaw4, mxOH, mxOH},
			"status":     {mxRaw4, mxOH, mxOH},
			"salaryMin":  {mxRaw4, mxOH, mxNone}, // createable, not updatable
			"salaryMax":  {mxRaw4, mxOH, mxNone},
		},
		"candidates": {
			"name":      {mxRaw4, mxCRUDHR, mxCRUDHR},
			"email":     {masked("email"), mxCRUDHR, mxNone},
			"phone":     {masked("phone"), mxCRUDHR, mxCRUDHR},
			"resumeUrl": {mxRaw4, mxCRUDHR, mxNone},
			"source":    {mxRaw4, mxCRUDHR, mxNone},
		},
		"interview_notes": {
			"candidateId": {mxRaw4, mxAll, mxNone},
			"content":     {mxRaw4, mxAll, mxAll},
			"rating":      {mxRaw4, mxAll, mxAll},
			"ownerId":     {mxRaw4, mxNone, mxNone},
		},
		"applications": {
			"candidateId": {mxRaw4, mxOHR, mxNone},
			"jobId":       {mxRaw4, mxOHR, mxNone},
			"notes":       {mxRaw4, mxOHR, mxOHR},
			"stage":       {mxRaw4, mxNone, mxNone}, // protected: only advanceStage
		},
		"ats_imports": {
			"externalId":     {mxRaw4, mxOH, mxNone},
			"candidateEmail": {masked("email"), mxOH, mxOH}, // as candidates.email
			"syncedAt":       {mxRaw4, mxNone, mxOH},        // updatable, not createable
		},
		"interview_scores": {
			"score":    {mxRaw4, mxNone, mxNone},
			"feedback": {mxRaw4, mxNone, mxNone},
		},
	}
	for table, fields := range want {
		tm := m.Table(table)
		for field, w := range fields {
			row := tm.Field(field)
			if row == nil {
				t.Errorf("%s.%s: no field row", table, field)
				continue
			}
			for i, role := range mxRoles {
				c := tm.FieldCell(role, field)
				vis := string(c.Visibility)
				if vis != "raw" {
					vis += ":" + row.MaskType
				}
				if vis != w.vis[i] {
					t.Errorf("%s.%s for %s: seen %q, want %q", table, field, role, vis, w.vis[i])
				}
				if c.Create != w.create[i] {
					t.Errorf("%s.%s for %s: writable on create %v, want %v (%s)", table, field, role, c.Create, w.create[i], c.CreateReason)
				}
				if c.Update != w.update[i] {
					t.Errorf("%s.%s for %s: writable on update %v, want %v (%s)", table, field, role, c.Update, w.update[i], c.UpdateReason)
				}
			}
		}
	}

	// Role-independent guards.
	stage := m.Table("applications").Field("stage")
	if !stage.Protected || !reflect.DeepEqual(stage.ProtectedBy, []string{"advanceStage"}) || stage.Guard() != "protected: advanceStage" {
		t.Errorf("applications.stage: want protected by advanceStage, got %+v", stage)
	}
	if r := m.Table("applications").FieldCell("hiring-manager", "stage"); !strings.Contains(r.UpdateReason, "advanceStage") {
		t.Errorf("applications.stage update reason %q should name advanceStage", r.UpdateReason)
	}
	for _, tm := range m.Tables {
		for _, col := range append([]string{"organizationId"}, schema.SystemColumns...) {
			if f := tm.Field(col); f == nil || !f.SystemManaged {
				t.Errorf("%s.%s: want system-managed, got %+v", tm.Table, col, f)
			}
		}
		if f := tm.Field("id"); f == nil || !f.PrimaryKey {
			t.Errorf("%s.id: want the primary key, got %+v", tm.Table, f)
		}
	}
	if f := m.Table("interview_notes").Field("ownerId"); !f.SystemManaged {
		t.Errorf("interview_notes.ownerId: the owner column is system-managed, got %+v", f)
	}
	if f := m.Table("candidates").Field("email"); f.MaskRule != "tables.candidates.masking.email" {
		t.Errorf("candidates.email mask rule = %q", f.MaskRule)
	}
	// Readability: roles that may neither list nor get.
	for i, role := range mxRoles {
		want := i >= 2 // hiring-manager, owner
		if got := m.Table("ats_imports").FieldCell(role, "candidateName").Readable; got != want {
			t.Errorf("ats_imports readable for %s = %v, want %v", role, got, want)
		}
		if m.Table("interview_scores").FieldCell(role, "score").Readable {
			t.Errorf("interview_scores is internal: not readable for %s", role)
		}
	}
}

func TestMatrixDefaultProjectActions(t *testing.T) {
	m, err := engine.BuildMatrix(enginetest.Config(t), "applications")
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Tables) != 1 || m.Tables[0].Table != "applications" {
		t.Fatalf("BuildMatrix(applications) returned %d tables", len(m.Tables))
	}
	tm := m.Tables[0]
	if len(tm.Actions) != 2 {
		t.Fatalf("applications has %d actions, want advanceStage and submitScore", len(tm.Actions))
	}
	// advanceStage: hiring managers only; a real pipeline moves forward from
	// any open stage, and nothing leaves hired or rejected.
	adv := tm.Action("advanceStage")
	states := []string{"applied", "screening", "interview", "offer"}
	if !reflect.DeepEqual(adv.FromStates, states) || adv.TransitionField != "stage" {
		t.Errorf("advanceStage from = %v on %q, want %v on stage", adv.FromStates, adv.TransitionField, states)
	}
	if !reflect.DeepEqual(adv.Sets, []string{"stage"}) {
		t.Errorf("advanceStage sets %v, want [stage]", adv.Sets)
	}
	for i, role := range mxRoles {
		c := adv.Cell(role)
		want := [4]access.Effect{mxD, mxD, mxA, mxD}[i]
		if c.Decision.Decision != want {
			t.Errorf("advanceStage for %s: %s, want %s", role, c.Decision.Decision, want)
		}
		if want == mxA && !reflect.DeepEqual(c.From, states) {
			t.Errorf("advanceStage for %s from %v, want %v", role, c.From, states)
		}
		if want == mxD && c.From != nil {
			t.Errorf("advanceStage denied to %s but lists states %v", role, c.From)
		}
	}
	// submitScore: owner, hiring-manager, interviewer; no transition.
	sub := tm.Action("submitScore")
	if sub.FromStates != nil || !reflect.DeepEqual(sub.Inserts, []string{"interview_scores"}) {
		t.Errorf("submitScore: from %v inserts %v", sub.FromStates, sub.Inserts)
	}
	for i, role := range mxRoles {
		want := [4]access.Effect{mxA, mxD, mxA, mxA}[i]
		if got := sub.Cell(role).Decision.Decision; got != want {
			t.Errorf("submitScore for %s: %s, want %s", role, got, want)
		}
	}

	if _, err := engine.BuildMatrix(enginetest.Config(t), "nope"); err == nil {
		t.Error("BuildMatrix of an unknown table should fail")
	} else if e, ok := engine.AsError(err); !ok || e.Code != engine.NotFound {
		t.Errorf("unknown table: %v, want NOT_FOUND", err)
	}
}

// mxPolicyText exercises what the default project does not: PUBLIC, a
// userRole test, record conditions (with $ctx), optional owner scope and
// owner-or-role masking.
const mxPolicyText = `
[project]
name = "Policies"
database = "p.db"

[auth]
roles  = ["member", "editor", "admin"]
admins = ["admin"]

[tables.posts.columns]
id             = { type = "id" }
organizationId = { type = "text", required = true }
title          = { type = "text" }
status         = { type = "enum", values = ["draft", "published"] }
secret         = { type = "text" }

[tables.posts.firewall]
organization = {}

[tables.posts.guards]
createable = ["title", "status"]
updatable  = ["title"]

[tables.posts.masking]
secret = { type = "redact", show = { roles = ["admin"], or = "owner" } }

[tables.posts.crud]
list.access   = { or = [{ roles = ["PUBLIC"], record = { status = { equals = "published" } } }, { roles = ["member+"] }] }
get.access    = { or = [{ roles = ["member"], record = { createdBy = { equals = "$ctx.userId" } } }, { roles = ["editor+"] }, { userRole = ["staff"] }] }
update.access = { roles = ["editor+"], record = { status = { equals = "draft" } } }

[tables.posts.actions.publish]
type = "record"
access = { roles = ["editor", "admin"] }
transition = { field = "status", to = "published", from = { draft = ["published"] } }

[tables.posts.actions.unpublish]
type = "record"
access = { roles = ["admin"] }
transition = { field = "status", to = "draft", from = { draft = ["published"] } }

[tables.drafts.columns]
id             = { type = "id" }
organizationId = { type = "text", required = true }
ownerId        = { type = "text", required = true }
body           = { type = "text" }

[tables.drafts.firewall]
organization = {}
owner = { mode = "optional" }

[tables.drafts.crud]
list.access = { roles = ["PUBLIC", "member+"] }
get.access  = { roles = ["member+"] }

[tables.receipts.columns]
id             = { type = "id" }
organizationId = { type = "text", required = true }
body           = { type = "text" }
reference      = { type = "text" }

[tables.receipts.firewall]
organization = {}

[tables.receipts.guards]
createable = ["reference"]
immutable  = ["reference"]

[tables.receipts.crud]
get.access = { roles = ["member+"] }
`

func TestMatrixPolicyShapes(t *testing.T) {
	cfg, err := schema.Parse("policies.toml", []byte(mxPolicyText))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	m, err := engine.BuildMatrix(cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"member", "editor", "admin", "anonymous"}; !reflect.DeepEqual(m.Roles, want) {
		t.Fatalf("roles = %v, want %v", m.Roles, want)
	}
	if !reflect.DeepEqual(m.UserRoles, []string{"staff"}) {
		t.Errorf("userRoles = %v, want [staff]", m.UserRoles)
	}
	posts := m.Table("posts")
	cases := []struct{ role, op, want string }{
		{"anonymous", "list", "if status equals published"},
		{"member", "list", "allowed"},
		{"admin", "list", "allowed"},
		{"member", "get", "if createdBy equals $ctx.userId"},
		{"editor", "get", "allowed"},
		{"anonymous", "get", "denied"},
		{"member", "update", "denied"},
		{"editor", "update", "if status equals draft"},
		{"admin", "create", "denied"}, // not declared: deny by default
	}
	for _, c := range cases {
		cell := posts.Op(c.role, c.op)
		if got := cell.Summary(); got != c.want {
			t.Errorf("posts %s %s = %q, want %q (%s)", c.role, c.op, got, c.want, cell.Reason)
		}
	}
	if r := posts.Op("admin", "create").Reason; !strings.Contains(r, "denied by default") {
		t.Errorf("undeclared create reason = %q", r)
	}
	// A member's get depends on the tier: staff pass outright.
	mg := posts.Op("member", "get")
	if len(mg.ByUserRole) != 1 || mg.ByUserRole[0].UserRole != "staff" || mg.ByUserRole[0].Summary() != "allowed" {
		t.Errorf("member get by userRole = %+v, want staff: allowed", mg.ByUserRole)
	}
	if len(posts.Op("editor", "get").ByUserRole) != 0 {
		t.Errorf("editor get does not depend on the tier: %+v", posts.Op("editor", "get").ByUserRole)
	}
	// Masking: admins raw, other members raw on their own rows, anonymous masked.
	for role, want := range map[string]access.Visibility{"member": "masked-unless-owner", "editor": "masked-unless-owner", "admin": "raw", "anonymous": "masked"} {
		if got := posts.FieldCell(role, "secret").Visibility; got != want {
			t.Errorf("posts.secret for %s: %s, want %s", role, got, want)
		}
	}
	if c := posts.FieldCell("anonymous", "title"); !c.Readable || c.Create || c.Update {
		t.Errorf("anonymous title: %+v", c)
	}
	// publish: a fixed target; from draft only.
	pub := posts.Action("publish")
	if !reflect.DeepEqual(pub.FromStates, []string{"draft"}) {
		t.Errorf("publish from %v, want [draft]", pub.FromStates)
	}
	for role, want := range map[string]access.Effect{"member": mxD, "editor": mxA, "admin": mxA, "anonymous": mxD} {
		if got := pub.Cell(role).Decision.Decision; got != want {
			t.Errorf("publish for %s: %s, want %s", role, got, want)
		}
	}
	// Optional owner scope: admins (the default bypass) see every draft,
	// others their own; an anonymous caller owns nothing.
	drafts := m.Table("drafts")
	for role, want := range map[string]string{"member": mxOwn, "editor": mxOwn, "admin": mxA, "anonymous": mxD} {
		if got := drafts.Op(role, "list").Summary(); got != want {
			t.Errorf("drafts list for %s: %q, want %q", role, got, want)
		}
	}
	if r := drafts.Op("anonymous", "list").Reason; !strings.Contains(r, "anonymous") {
		t.Errorf("anonymous drafts reason = %q", r)
	}
	// A role that may get a table but not list it still reads its fields.
	receipts := m.Table("receipts")
	for role, want := range map[string]bool{"member": true, "admin": true, "anonymous": false} {
		if got := receipts.FieldCell(role, "body").Readable; got != want {
			t.Errorf("receipts.body readable for %s: %v, want %v", role, got, want)
		}
	}
	// An immutable field: settable on create only.
	if f := receipts.Field("reference"); f.Guard() != "immutable" || !f.Createable || f.Updatable {
		t.Errorf("receipts.reference: guard %q, createable %v, updatable %v", f.Guard(), f.Createable, f.Updatable)
	}
	// The JSON form carries the same cells.
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var back access.Matrix
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if got := back.Table("posts").Op("anonymous", "list").Condition; got != "status equals published" {
		t.Errorf("JSON round trip: condition %q", got)
	}
}
