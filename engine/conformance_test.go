package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/engine/access"
	"quickback.dev/qb/internal/enginetest"
	"quickback.dev/qb/internal/pgtest"
	"quickback.dev/qb/schema"
)

// Live rows of the fixtures, by organization.
var (
	ctAcmeJobs   = []string{"j-robotics-eng", "j-firmware", "j-ml-perception", "j-field-tech", "j-product-designer", "j-tech-recruiter", "j-sales-ae"}
	ctGlobexJobs = []string{"j-gx-analyst", "j-gx-security", "j-gx-pm"}
	ctAcmeCands  = []string{"c-jane", "c-mallory", "c-layla", "c-tomas", "c-aisha", "c-kenji", "c-sofia", "c-david", "c-emily", "c-lukas", "c-grace", "c-john", "c-ravi", "c-omar"}
	// Candidates of acme created by Rachel and by Marco.
	ctRachelCands = []string{"c-jane", "c-mallory", "c-tomas", "c-kenji", "c-david", "c-lukas", "c-john", "c-ravi"}
	ctMarcoCands  = []string{"c-layla", "c-aisha", "c-sofia", "c-emily", "c-grace"}
	ctAcmeNotes   = []string{"n-01", "n-02", "n-03", "n-04", "n-05", "n-06", "n-07", "n-08", "n-09", "n-10", "n-11", "n-13", "n-14", "n-15"}
	ctAcmeApps    = func() []string {
		var out []string
		for i := 1001; i <= 1026; i++ {
			if i != 1024 && i != 1025 {
				out = append(out, fmt.Sprintf("a-%d", i))
			}
		}
		return out
	}()
	ctAcmeImports = []string{"x-acme-1", "x-acme-2", "x-acme-3", "x-acme-4"}
	ctNone        = []string{}
)

const (
	ctJaneEmailMasked = "j***@e******.com"
	ctJanePhoneMasked = "***-***-4567"
	ctJaneEmail       = "jane@example.com"
	ctJanePhone       = "555-123-4567"
)

// ctCase is one conformance case: an identity runs one operation on one
// table and gets rows/values or an error code.
type ctCase struct {
	name    string
	variant string // config variant ("" = the default project)
	// as: "u-dana", "u-marco@globex", "anon@acme", "anon", "noorg:u-dana".
	as    string
	op    string // list get create update delete upsert explain
	table string
	id    string
	data  map[string]any
	q     engine.ListQuery
	setup func(t *testing.T, e *engine.Engine)

	code   engine.Code    // expected error ("" = success)
	ids    []string       // list: the exact set of ids over all pages
	vals   map[string]any // the row's values (get and writes)
	fields []string       // error: details.fields as "field:category"
	path   string         // upsert: "create" or "update"
	rowErr engine.Code    // explain: the refusal shown instead of the row
	check  func(t *testing.T, e *engine.Engine, r ctResult)
}

// ctResult is what a case produced.
type ctResult struct {
	id engine.Identity
	// opts built the case's database (a check opens another copy).
	opts  []enginetest.Option
	rows  []engine.Row
	row   *engine.Row
	write *engine.WriteResult
	ex    *engine.Explanation
	err   error
}

func ctIdentityFor(t *testing.T, e *engine.Engine, as string) engine.Identity {
	t.Helper()
	switch {
	case as == "anon":
		return engine.Identity{Anonymous: true}
	case strings.HasPrefix(as, "anon@"):
		return engine.Identity{Anonymous: true, OrgID: strings.TrimPrefix(as, "anon@")}
	case strings.HasPrefix(as, "noorg:"):
		id := enginetest.Member(t, e, strings.TrimPrefix(as, "noorg:"), "")
		id.OrgID = ""
		return id
	}
	user, org, _ := strings.Cut(as, "@")
	return enginetest.Member(t, e, user, org)
}

func (c ctCase) run(t *testing.T) { c.runOn(t) }

// runOn runs the case on a seeded database built with the kit options
// extra (enginetest.Quickback: a Quickback project's database).
func (c ctCase) runOn(t *testing.T, extra ...enginetest.Option) {
	opts := append([]enginetest.Option{ctVariant(t, c.variant)}, extra...)
	c.runIn(t, enginetest.Seeded(t, opts...), opts)
}

// readOnly reports whether the case only reads and checks nothing beyond
// its result, so it may run on a database other cases read too.
func (c ctCase) readOnly() bool {
	return (c.op == "list" || c.op == "get" || c.op == "explain") && c.setup == nil && c.check == nil
}

// runIn runs the case on e, a seeded database built with opts.
func (c ctCase) runIn(t *testing.T, e *engine.Engine, opts []enginetest.Option) {
	ctx := context.Background()
	if c.setup != nil {
		c.setup(t, e)
	}
	id := ctIdentityFor(t, e, c.as)
	r := ctResult{id: id, opts: opts}
	before := ""
	write := c.op == "create" || c.op == "update" || c.op == "delete" || c.op == "upsert"
	if write && c.code != "" {
		before = enginetest.Dump(t, engine.RawDB(e), "qb_audit")
	}
	switch c.op {
	case "list":
		r.rows, r.err = ctListAll(t, e, id, c.table, c.q)
	case "get":
		r.row, r.err = e.Get(ctx, id, c.table, c.id)
	case "create":
		r.write, r.err = e.Create(ctx, id, c.table, c.data, engine.WriteOptions{})
	case "update":
		r.write, r.err = e.Update(ctx, id, c.table, c.id, c.data, engine.WriteOptions{})
	case "delete":
		r.write, r.err = e.Delete(ctx, id, c.table, c.id, engine.WriteOptions{})
	case "upsert":
		r.write, r.err = e.Upsert(ctx, id, c.table, c.data, engine.WriteOptions{})
	case "explain":
		r.ex, r.err = e.Explain(ctx, id, c.table, c.id)
		if r.ex != nil {
			r.row = r.ex.Row
			if c.rowErr == "" && c.id != "" && r.ex.Row == nil {
				t.Errorf("explain shows no row: %s", r.ex.RowError)
			}
			if c.rowErr != "" {
				if r.ex.Row != nil {
					t.Errorf("explain shows row %s to a caller refused get", ctMustJSON(t, r.ex.Row))
				}
				if !strings.HasPrefix(r.ex.RowError, string(c.rowErr)+" ") {
					t.Errorf("explain row error %q, want %s", r.ex.RowError, c.rowErr)
				}
			}
		}
	default:
		t.Fatalf("unknown op %q", c.op)
	}
	if r.write != nil {
		r.row = r.write.Row
	}
	if got := ctErrCode(t, r.err); got != c.code {
		t.Fatalf("%s %s as %s: code %q (%v), want %q", c.op, c.table, c.as, got, r.err, c.code)
	}
	if c.code != "" {
		if write {
			if after := enginetest.Dump(t, engine.RawDB(e), "qb_audit"); after != before {
				t.Errorf("a refused %s changed the database", c.op)
			}
		}
		if c.fields != nil {
			ee, _ := engine.AsError(r.err)
			if got := ctDetailFields(t, ee); !reflect.DeepEqual(got, ctSorted(c.fields)) {
				t.Errorf("details.fields = %v, want %v", got, ctSorted(c.fields))
			}
		}
	}
	if c.ids != nil {
		if got := ctRowIDs(r.rows); !reflect.DeepEqual(got, ctSorted(c.ids)) {
			t.Errorf("ids = %v\nwant   %v", got, ctSorted(c.ids))
		}
	}
	for k, want := range c.vals {
		if r.row == nil {
			t.Fatalf("no row to check %s on", k)
		}
		if got := r.row.Get(k); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s = %v, want %v", k, got, want)
		}
	}
	if c.path != "" && (r.write == nil || r.write.Path != c.path) {
		t.Errorf("upsert path = %+v, want %s", r.write, c.path)
	}
	if c.check != nil {
		c.check(t, e, r)
	}
}

func ctSorted(s []string) []string {
	out := append([]string{}, s...)
	sort.Strings(out)
	return out
}

// ctDetailFields renders details.fields as sorted "field:category" strings
// (protected fields: "field:protected:action,action").
func ctDetailFields(t *testing.T, ee *engine.Error) []string {
	t.Helper()
	b, err := json.Marshal(ee.Details["fields"])
	if err != nil {
		t.Fatal(err)
	}
	var fs []engine.FieldProblem
	if err := json.Unmarshal(b, &fs); err != nil {
		t.Fatalf("details.fields of %s: %v (%s)", ee.Code, err, b)
	}
	out := []string{}
	for _, f := range fs {
		s := f.Field + ":" + f.Category
		if len(f.Actions) > 0 {
			s += ":" + strings.Join(f.Actions, ",")
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// ctRowHas asserts a listed row's values.
func ctRowHas(id string, vals map[string]any) func(t *testing.T, e *engine.Engine, r ctResult) {
	return func(t *testing.T, e *engine.Engine, r ctResult) {
		row := ctFindRow(r.rows, id)
		if row == nil {
			t.Fatalf("row %s not listed", id)
		}
		for k, want := range vals {
			if got := row.Get(k); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s.%s = %v, want %v", id, k, got, want)
			}
		}
	}
}

// ctAsSeeded, as a value ctStored expects, is the value the seeded
// database holds: the operation left it alone.
const ctAsSeeded = "<as seeded>"

// ctStored asserts values in the database (bypassing the engine); col is
// the SQL name.
func ctStored(table, id string, vals map[string]any) func(t *testing.T, e *engine.Engine, r ctResult) {
	return func(t *testing.T, e *engine.Engine, r ctResult) {
		t.Helper()
		for col, want := range vals {
			got := ctRawValue(t, e, table, col, id)
			switch want {
			case "<set>":
				if got == nil {
					t.Errorf("stored %s.%s[%s] is NULL, want set", table, col, id)
				}
				continue
			case ctAsSeeded:
				want = ctRawValue(t, enginetest.Seeded(t, r.opts...), table, col, id)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("stored %s.%s[%s] = %v, want %v", table, col, id, got, want)
			}
		}
	}
}

// ctGone asserts that a row no longer exists for the caller (get and list).
func ctGone(table, id string) func(t *testing.T, e *engine.Engine, r ctResult) {
	return func(t *testing.T, e *engine.Engine, r ctResult) {
		t.Helper()
		if _, err := e.Get(context.Background(), r.id, table, id); ctErrCode(t, err) != engine.FirewallNotFound {
			t.Errorf("get %s after delete: %v, want FIREWALL_NOT_FOUND", id, err)
		}
		rows, err := ctListAll(t, e, r.id, table, engine.ListQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if ctFindRow(rows, id) != nil {
			t.Errorf("%s still listed after delete", id)
		}
	}
}

func ctAll(fs ...func(t *testing.T, e *engine.Engine, r ctResult)) func(t *testing.T, e *engine.Engine, r ctResult) {
	return func(t *testing.T, e *engine.Engine, r ctResult) {
		for _, f := range fs {
			f(t, e, r)
		}
	}
}

// ctUniqueColumns asserts a UNIQUE_VIOLATION names exactly cols (in its
// message and details.fields) and never the value.
func ctUniqueColumns(value string, cols ...string) func(t *testing.T, e *engine.Engine, r ctResult) {
	return func(t *testing.T, e *engine.Engine, r ctResult) {
		t.Helper()
		ee, _ := engine.AsError(r.err)
		if got := fmt.Sprint(ee.Details["fields"]); got != fmt.Sprint(cols) {
			t.Errorf("details.fields = %s, want %v", got, cols)
		}
		if want := "the same " + strings.Join(cols, ", ") + " "; !strings.Contains(ee.Message, want) {
			t.Errorf("message %q does not name %q", ee.Message, want)
		}
		if s := ctMustJSON(t, r.err) + r.err.Error(); strings.Contains(s, value) {
			t.Errorf("unique violation echoes the value %q: %s", value, s)
		}
	}
}

// ctWithheld asserts a write succeeded but answered with only the row's
// id and changed field names (rowID "" accepts any generated id): no row, no
// changes, and no value of the stored row anywhere in the result.
func ctWithheld(table, rowID string, fields ...string) func(t *testing.T, e *engine.Engine, r ctResult) {
	return func(t *testing.T, e *engine.Engine, r ctResult) {
		t.Helper()
		w := r.write
		if w == nil || w.Withheld == nil {
			t.Fatalf("write result %+v is not withheld", w)
		}
		if w.Row != nil || w.Changes != nil {
			t.Errorf("a withheld result carries row %v and changes %+v", w.Row, w.Changes)
		}
		got := w.Withheld
		if got.Table != table || (rowID != "" && got.ID != rowID) || got.ID == "" || got.ID != w.ID || !reflect.DeepEqual(got.Fields, fields) {
			t.Errorf("withheld %+v (id %q), want %s %s %v", got, w.ID, table, rowID, fields)
		}
		out := ctMustJSON(t, w)
		var name, email, phone string
		if err := engine.RawDB(e).QueryRow(fmt.Sprintf("SELECT name, email, coalesce(phone, '') FROM %s WHERE id = ?", engine.Q(e.Config().Table(table).SQLName)), got.ID).Scan(&name, &email, &phone); err != nil {
			t.Fatal(err)
		}
		for _, v := range []string{name, email, phone} {
			if v != "" && strings.Contains(out, v) {
				t.Errorf("the withheld result holds the value %q: %s", v, out)
			}
		}
	}
}

// ctSameEmailMask asserts the caller sees candidates.email of cand and
// ats_imports.candidateEmail of imp (the same address) identically: both
// raw or both masked to the same text.
func ctSameEmailMask(cand, imp string) func(t *testing.T, e *engine.Engine, r ctResult) {
	return func(t *testing.T, e *engine.Engine, r ctResult) {
		t.Helper()
		ctx := context.Background()
		c, err := e.Get(ctx, r.id, "candidates", cand)
		if err != nil {
			t.Fatal(err)
		}
		x, err := e.Get(ctx, r.id, "ats_imports", imp)
		if err != nil {
			t.Fatal(err)
		}
		if c.Get("email") != x.Get("candidateEmail") {
			t.Errorf("candidates.email shows %v, ats_imports.candidateEmail %v", c.Get("email"), x.Get("candidateEmail"))
		}
	}
}

func ctStr(n int) string { return strings.Repeat("x", n) }

var ctJaneMasked = map[string]any{"email": ctJaneEmailMasked, "phone": ctJanePhoneMasked}
var ctJaneRaw = map[string]any{"email": ctJaneEmail, "phone": ctJanePhone}

func ctConformanceCases() []ctCase {
	cs := []ctCase{
		// ── jobs: every role lists and gets; only owner and hiring-manager write.
		{name: "jobs/list/hiring-manager", as: "u-dana", op: "list", table: "jobs", ids: ctAcmeJobs},
		{name: "jobs/list/owner", as: "u-olivia", op: "list", table: "jobs", ids: ctAcmeJobs},
		{name: "jobs/list/recruiter", as: "u-rachel", op: "list", table: "jobs", ids: ctAcmeJobs},
		{name: "jobs/list/interviewer", as: "u-ivan", op: "list", table: "jobs", ids: ctAcmeJobs},
		{name: "jobs/list/globex-hiring-manager", as: "u-helen", op: "list", table: "jobs", ids: ctGlobexJobs},
		{name: "jobs/list/marco-in-globex", as: "u-marco@globex", op: "list", table: "jobs", ids: ctGlobexJobs},
		{name: "jobs/list/marco-in-acme", as: "u-marco@acme", op: "list", table: "jobs", ids: ctAcmeJobs},
		{name: "jobs/list/paged", as: "u-ivan", op: "list", table: "jobs", q: engine.ListQuery{Limit: 2}, ids: ctAcmeJobs},
		{name: "jobs/list/filter-status", as: "u-ivan", op: "list", table: "jobs", q: engine.ListQuery{Filters: []engine.Filter{{Column: "status", Op: "=", Value: "open"}}}, ids: []string{"j-robotics-eng", "j-firmware", "j-ml-perception", "j-field-tech"}},
		{name: "jobs/list/filter-in", as: "u-ivan", op: "list", table: "jobs", q: engine.ListQuery{Filters: []engine.Filter{{Column: "status", Op: "in", Value: "draft,closed"}}}, ids: []string{"j-product-designer", "j-tech-recruiter", "j-sales-ae"}},
		{name: "jobs/list/unknown-filter-column", as: "u-ivan", op: "list", table: "jobs", q: engine.ListQuery{Filters: []engine.Filter{{Column: "salary", Op: "=", Value: "1"}}}, code: engine.ValidationFailed},
		{name: "jobs/list/unknown-sort-column", as: "u-ivan", op: "list", table: "jobs", q: engine.ListQuery{Sort: []schema.SortKey{{Column: "nope"}}}, code: engine.ValidationFailed},
		{name: "jobs/list/unknown-operator", as: "u-ivan", op: "list", table: "jobs", q: engine.ListQuery{Filters: []engine.Filter{{Column: "status", Op: "like", Value: "x"}}}, code: engine.ValidationFailed},
		{name: "jobs/get/interviewer", as: "u-ivan", op: "get", table: "jobs", id: "j-robotics-eng", vals: map[string]any{"title": "Senior Robotics Engineer", "salaryMin": 140000}},
		{name: "jobs/get/recruiter", as: "u-rachel", op: "get", table: "jobs", id: "j-firmware", vals: map[string]any{"status": "open"}},
		{name: "jobs/get/owner", as: "u-ben", op: "get", table: "jobs", id: "j-product-designer", vals: map[string]any{"status": "draft"}},
		{name: "jobs/get/other-org", as: "u-dana", op: "get", table: "jobs", id: "j-gx-analyst", code: engine.FirewallNotFound},
		{name: "jobs/get/soft-deleted", as: "u-dana", op: "get", table: "jobs", id: "j-intern-2025", code: engine.FirewallNotFound},
		{name: "jobs/get/nonexistent", as: "u-dana", op: "get", table: "jobs", id: "j-nope", code: engine.FirewallNotFound},
		{name: "jobs/create/hiring-manager", as: "u-dana", op: "create", table: "jobs", data: map[string]any{"title": "Controls Engineer", "salaryMin": 100000, "salaryMax": 130000},
			vals: map[string]any{"organizationId": "acme", "status": "open", "salaryMin": 100000, "createdBy": "u-dana", "deletedAt": nil}},
		{name: "jobs/create/owner", as: "u-olivia", op: "create", table: "jobs", data: map[string]any{"title": "CFO", "status": "draft"}, vals: map[string]any{"status": "draft", "createdBy": "u-olivia"}},
		{name: "jobs/create/recruiter-denied", as: "u-rachel", op: "create", table: "jobs", data: map[string]any{"title": "X"}, code: engine.AccessRoleRequired},
		{name: "jobs/create/interviewer-denied", as: "u-ivan", op: "create", table: "jobs", data: map[string]any{"title": "X"}, code: engine.AccessRoleRequired},
		{name: "jobs/create/platform-admin-denied", as: "u-sam", op: "create", table: "jobs", data: map[string]any{"title": "X"}, code: engine.AccessRoleRequired},
		{name: "jobs/create/organizationId", as: "u-dana", op: "create", table: "jobs", data: map[string]any{"title": "X", "organizationId": "globex"}, code: engine.GuardSystemManaged, fields: []string{"organizationId:system-managed"}},
		{name: "jobs/create/audit-column", as: "u-dana", op: "create", table: "jobs", data: map[string]any{"title": "X", "createdBy": "u-olivia"}, code: engine.GuardSystemManaged, fields: []string{"createdBy:system-managed"}},
		{name: "jobs/create/bad-enum", as: "u-dana", op: "create", table: "jobs", data: map[string]any{"title": "X", "status": "archived"}, code: engine.ValidationFailed, fields: []string{"status:invalid"}},
		{name: "jobs/create/bad-range", as: "u-dana", op: "create", table: "jobs", data: map[string]any{"title": "X", "salaryMin": -1}, code: engine.ValidationFailed, fields: []string{"salaryMin:invalid"}},
		{name: "jobs/create/too-long", as: "u-dana", op: "create", table: "jobs", data: map[string]any{"title": ctStr(201)}, code: engine.ValidationFailed, fields: []string{"title:invalid"}},
		{name: "jobs/create/bad-type", as: "u-dana", op: "create", table: "jobs", data: map[string]any{"title": "X", "salaryMax": "lots"}, code: engine.ValidationFailed, fields: []string{"salaryMax:invalid"}},
		{name: "jobs/create/missing-required", as: "u-dana", op: "create", table: "jobs", data: map[string]any{"department": "Ops"}, code: engine.ValidationFailed, fields: []string{"title:required"}},
		{name: "jobs/create/every-bad-field", as: "u-dana", op: "create", table: "jobs", data: map[string]any{"title": ctStr(300), "status": "archived", "salaryMin": -5, "department": ctStr(101)}, code: engine.ValidationFailed,
			fields: []string{"title:invalid", "status:invalid", "salaryMin:invalid", "department:invalid"}},
		{name: "jobs/create/unknown-field", as: "u-dana", op: "create", table: "jobs", data: map[string]any{"title": "X", "salary": 1}, code: engine.ValidationFailed, fields: []string{"salary:unknown"}},
		{name: "jobs/update/hiring-manager", as: "u-hiro", op: "update", table: "jobs", id: "j-firmware", data: map[string]any{"title": "Firmware Lead", "status": "closed"},
			vals: map[string]any{"title": "Firmware Lead", "status": "closed", "modifiedBy": "u-hiro", "salaryMin": 120000}},
		{name: "jobs/update/owner", as: "u-ben", op: "update", table: "jobs", id: "j-firmware", data: map[string]any{"department": "Platform"}, vals: map[string]any{"department": "Platform"}},
		{name: "jobs/update/recruiter-denied", as: "u-rachel", op: "update", table: "jobs", id: "j-firmware", data: map[string]any{"title": "X"}, code: engine.AccessRoleRequired},
		{name: "jobs/update/salaryMin-not-updatable", as: "u-dana", op: "update", table: "jobs", id: "j-firmware", data: map[string]any{"salaryMin": 1}, code: engine.GuardFieldNotUpdatable, fields: []string{"salaryMin:not-updatable"}},
		{name: "jobs/update/salary-both", as: "u-dana", op: "update", table: "jobs", id: "j-firmware", data: map[string]any{"salaryMin": 1, "salaryMax": 2, "title": "ok"}, code: engine.GuardFieldNotUpdatable, fields: []string{"salaryMin:not-updatable", "salaryMax:not-updatable"}},
		{name: "jobs/update/other-org", as: "u-dana", op: "update", table: "jobs", id: "j-gx-analyst", data: map[string]any{"title": "X"}, code: engine.FirewallNotFound},
		{name: "jobs/update/soft-deleted", as: "u-dana", op: "update", table: "jobs", id: "j-intern-2025", data: map[string]any{"title": "X"}, code: engine.FirewallNotFound},
		{name: "jobs/delete/hiring-manager", as: "u-dana", op: "delete", table: "jobs", id: "j-sales-ae",
			check: ctAll(ctGone("jobs", "j-sales-ae"), ctStored("jobs", "j-sales-ae", map[string]any{"deleted_at": "<set>", "deleted_by": "u-dana", "title": "Account Executive, Industrial Automation"}))},
		{name: "jobs/delete/recruiter-denied", as: "u-rachel", op: "delete", table: "jobs", id: "j-sales-ae", code: engine.AccessRoleRequired},
		{name: "jobs/delete/platform-admin-denied", as: "u-sam", op: "delete", table: "jobs", id: "j-sales-ae", code: engine.AccessRoleRequired},
		{name: "jobs/delete/other-org", as: "u-olivia", op: "delete", table: "jobs", id: "j-gx-pm", code: engine.FirewallNotFound},

		// ── candidates: masking by role.
		{name: "candidates/get/interviewer-masked", as: "u-ivan", op: "get", table: "candidates", id: "c-jane", vals: ctJaneMasked},
		{name: "candidates/get/owner-masked", as: "u-olivia", op: "get", table: "candidates", id: "c-jane", vals: ctJaneMasked},
		{name: "candidates/get/platform-admin-masked", as: "u-sam", op: "get", table: "candidates", id: "c-jane", vals: ctJaneMasked},
		{name: "candidates/get/hiring-manager-raw", as: "u-dana", op: "get", table: "candidates", id: "c-jane", vals: ctJaneRaw},
		{name: "candidates/get/recruiter-raw", as: "u-rachel", op: "get", table: "candidates", id: "c-jane", vals: ctJaneRaw},
		{name: "candidates/get/marco-recruiter-raw", as: "u-marco@acme", op: "get", table: "candidates", id: "c-jane", vals: ctJaneRaw},
		{name: "candidates/get/masked-flags", as: "u-ivan", op: "get", table: "candidates", id: "c-jane", check: func(t *testing.T, e *engine.Engine, r ctResult) {
			if !r.row.IsMasked("email") || !r.row.IsMasked("phone") || r.row.IsMasked("name") {
				t.Errorf("masked flags: email %v phone %v name %v", r.row.IsMasked("email"), r.row.IsMasked("phone"), r.row.IsMasked("name"))
			}
		}},
		{name: "candidates/get/null-phone-stays-null", as: "u-ivan", op: "get", table: "candidates", id: "c-omar", vals: map[string]any{"phone": nil, "email": "o**********@e******.com"}},
		{name: "candidates/list/interviewer", as: "u-ivan", op: "list", table: "candidates", ids: ctAcmeCands, check: ctRowHas("c-jane", ctJaneMasked)},
		{name: "candidates/list/owner", as: "u-ben", op: "list", table: "candidates", ids: ctAcmeCands, check: ctRowHas("c-jane", ctJaneMasked)},
		{name: "candidates/list/hiring-manager", as: "u-hiro", op: "list", table: "candidates", ids: ctAcmeCands, check: ctRowHas("c-jane", ctJaneRaw)},
		{name: "candidates/list/recruiter", as: "u-rachel", op: "list", table: "candidates", ids: ctAcmeCands, check: ctRowHas("c-jane", ctJaneRaw)},
		{name: "candidates/list/globex-same-email", as: "u-fatima", op: "list", table: "candidates", q: engine.ListQuery{Filters: []engine.Filter{{Column: "email", Op: "=", Value: "john.smith@example.com"}}}, ids: []string{"c-gx-john"}},
		{name: "candidates/list/filter-email-interviewer", as: "u-ivan", op: "list", table: "candidates", q: engine.ListQuery{Filters: []engine.Filter{{Column: "email", Op: "=", Value: ctJaneEmail}}}, code: engine.QueryColumnMasked},
		{name: "candidates/list/range-email-interviewer", as: "u-ivan", op: "list", table: "candidates", q: engine.ListQuery{Filters: []engine.Filter{{Column: "email", Op: "<", Value: "k"}}}, code: engine.QueryColumnMasked},
		{name: "candidates/list/contains-phone-owner", as: "u-olivia", op: "list", table: "candidates", q: engine.ListQuery{Filters: []engine.Filter{{Column: "phone", Op: "~", Value: "555"}}}, code: engine.QueryColumnMasked},
		{name: "candidates/list/sort-email-interviewer", as: "u-ivan", op: "list", table: "candidates", q: engine.ListQuery{Sort: []schema.SortKey{{Column: "email"}}}, code: engine.QueryColumnMasked},
		{name: "candidates/list/sort-phone-desc-owner", as: "u-olivia", op: "list", table: "candidates", q: engine.ListQuery{Sort: []schema.SortKey{{Column: "phone", Desc: true}}}, code: engine.QueryColumnMasked},
		{name: "candidates/list/filter-email-recruiter", as: "u-rachel", op: "list", table: "candidates", q: engine.ListQuery{Filters: []engine.Filter{{Column: "email", Op: "=", Value: ctJaneEmail}}}, ids: []string{"c-jane"}},
		{name: "candidates/list/sort-phone-hiring-manager", as: "u-dana", op: "list", table: "candidates", q: engine.ListQuery{Sort: []schema.SortKey{{Column: "phone"}}, Limit: 3}, ids: ctAcmeCands},
		{name: "candidates/list/search-skips-masked", as: "u-ivan", op: "list", table: "candidates", q: engine.ListQuery{Search: "example"}, ids: ctNone},
		{name: "candidates/list/search-name-interviewer", as: "u-ivan", op: "list", table: "candidates", q: engine.ListQuery{Search: "JANE"}, ids: []string{"c-jane"}},
		{name: "candidates/list/search-email-recruiter", as: "u-rachel", op: "list", table: "candidates", q: engine.ListQuery{Search: "example.com"},
			ids: []string{"c-jane", "c-layla", "c-tomas", "c-kenji", "c-david", "c-emily", "c-john", "c-omar"}},
		{name: "candidates/create/recruiter-raw", as: "u-rachel", op: "create", table: "candidates", data: map[string]any{"name": "Zed Quinn", "email": "zed.quinn@example.org", "phone": "555-999-1234", "source": "website"},
			vals: map[string]any{"email": "zed.quinn@example.org", "phone": "555-999-1234", "organizationId": "acme"}},
		{name: "candidates/create/interviewer-denied", as: "u-ivan", op: "create", table: "candidates", data: map[string]any{"name": "Z", "email": "z@example.org"}, code: engine.AccessRoleRequired},
		{name: "candidates/create/owner-denied", as: "u-olivia", op: "create", table: "candidates", data: map[string]any{"name": "Z", "email": "z@example.org"}, code: engine.AccessRoleRequired},
		{name: "candidates/create/duplicate-email", as: "u-rachel", op: "create", table: "candidates", data: map[string]any{"name": "Jane Again", "email": ctJaneEmail}, code: engine.UniqueViolation,
			check: func(t *testing.T, e *engine.Engine, r ctResult) {
				if strings.Contains(ctMustJSON(t, r.err), ctJaneEmail) {
					t.Errorf("unique violation echoes the value: %v", r.err)
				}
			}},
		// The constraint is (organizationId, email): the message names both
		// columns, never the value, whether the holder is live or deleted.
		{name: "candidates/create/duplicate-email-names-columns", as: "u-rachel", op: "create", table: "candidates", data: map[string]any{"name": "Jane Again", "email": ctJaneEmail}, code: engine.UniqueViolation,
			check: ctUniqueColumns(ctJaneEmail, "organizationId", "email")},
		{name: "candidates/create/soft-deleted-email", as: "u-rachel", op: "create", table: "candidates", data: map[string]any{"name": "Zoe Again", "email": "zoe.kowalski@example.pl"}, code: engine.UniqueViolation,
			check: ctUniqueColumns("zoe.kowalski@example.pl", "organizationId", "email")},
		{name: "ats/create/duplicate-key-names-columns", as: "u-dana", op: "create", table: "ats_imports", data: map[string]any{"externalId": "greenhouse-1001"}, code: engine.UniqueViolation,
			check: ctUniqueColumns("greenhouse-1001", "organizationId", "externalId")},
		{name: "candidates/create/same-email-other-org", as: "u-fatima", op: "create", table: "candidates", data: map[string]any{"name": "Jane Doe", "email": ctJaneEmail}, vals: map[string]any{"organizationId": "globex", "email": ctJaneEmail}},
		{name: "candidates/create/owner-writes-masked-response", variant: "ownerWrites", as: "u-olivia", op: "create", table: "candidates", data: map[string]any{"name": "Zed Quinn", "email": "zed.quinn@example.org", "phone": "555-999-1234"},
			vals: map[string]any{"email": "z********@e******.org", "phone": "***-***-1234"},
			check: func(t *testing.T, e *engine.Engine, r ctResult) {
				s := ctMustJSON(t, r.write)
				if strings.Contains(s, "zed.quinn@example.org") || strings.Contains(s, "555-999-1234") {
					t.Errorf("create response leaks raw values: %s", s)
				}
			}},
		{name: "candidates/update/owner-writes-masked-response", variant: "ownerWrites", as: "u-olivia", op: "update", table: "candidates", id: "c-jane", data: map[string]any{"phone": "555-000-9999"},
			vals: map[string]any{"email": ctJaneEmailMasked, "phone": "***-***-9999"},
			check: func(t *testing.T, e *engine.Engine, r ctResult) {
				s := ctMustJSON(t, r.write)
				for _, raw := range []string{ctJaneEmail, ctJanePhone, "555-000-9999"} {
					if strings.Contains(s, raw) {
						t.Errorf("update response leaks %q: %s", raw, s)
					}
				}
				ctStored("candidates", "c-jane", map[string]any{"phone": "555-000-9999"})(t, e, r)
			}},
		{name: "candidates/update/recruiter-raw", as: "u-rachel", op: "update", table: "candidates", id: "c-jane", data: map[string]any{"phone": "555-000-1111"}, vals: map[string]any{"phone": "555-000-1111", "email": ctJaneEmail}},
		{name: "candidates/update/email-not-updatable", as: "u-rachel", op: "update", table: "candidates", id: "c-jane", data: map[string]any{"email": "x@example.com"}, code: engine.GuardFieldNotUpdatable, fields: []string{"email:not-updatable"}},
		{name: "candidates/update/interviewer-denied", as: "u-ivan", op: "update", table: "candidates", id: "c-jane", data: map[string]any{"name": "X"}, code: engine.AccessRoleRequired},
		{name: "candidates/get/other-org", as: "u-rachel", op: "get", table: "candidates", id: "c-gx-john", code: engine.FirewallNotFound},
		{name: "candidates/get/soft-deleted", as: "u-rachel", op: "get", table: "candidates", id: "c-zoe", code: engine.FirewallNotFound},
		{name: "candidates/delete/hiring-manager", as: "u-dana", op: "delete", table: "candidates", id: "c-omar", check: ctGone("candidates", "c-omar")},
		{name: "candidates/delete/recruiter-denied", as: "u-rachel", op: "delete", table: "candidates", id: "c-omar", code: engine.AccessRoleRequired},

		// ── interview notes: strict owner scope, for every role.
		{name: "notes/list/hiring-manager-own", as: "u-dana", op: "list", table: "interview_notes", ids: []string{"n-03"}},
		{name: "notes/list/other-hiring-manager-own", as: "u-hiro", op: "list", table: "interview_notes", ids: []string{"n-08"}},
		{name: "notes/list/interviewer-own", as: "u-ivan", op: "list", table: "interview_notes", ids: []string{"n-01", "n-05", "n-10"}},
		{name: "notes/list/owner-own", as: "u-olivia", op: "list", table: "interview_notes", ids: []string{"n-13"}},
		{name: "notes/list/owner-without-notes", as: "u-ben", op: "list", table: "interview_notes", ids: ctNone},
		{name: "notes/list/platform-admin-own", as: "u-sam", op: "list", table: "interview_notes", ids: []string{"n-07", "n-15"}},
		{name: "notes/list/marco-in-globex", as: "u-marco@globex", op: "list", table: "interview_notes", ids: []string{"n-23"}},
		{name: "notes/list/globex-interviewer", as: "u-gus", op: "list", table: "interview_notes", ids: []string{"n-21"}},
		{name: "notes/get/own", as: "u-dana", op: "get", table: "interview_notes", id: "n-03", vals: map[string]any{"ownerId": "u-dana", "rating": 4}},
		{name: "notes/get/another-users-note", as: "u-dana", op: "get", table: "interview_notes", id: "n-01", code: engine.FirewallNotFound},
		{name: "notes/update/another-users-note", as: "u-dana", op: "update", table: "interview_notes", id: "n-08", data: map[string]any{"content": "x"}, code: engine.FirewallNotFound},
		{name: "notes/delete/another-users-note", as: "u-olivia", op: "delete", table: "interview_notes", id: "n-01", code: engine.FirewallNotFound},
		{name: "notes/create/interviewer", as: "u-priya", op: "create", table: "interview_notes", data: map[string]any{"candidateId": "c-jane", "content": "Follow-up call.", "rating": 5},
			vals: map[string]any{"ownerId": "u-priya", "organizationId": "acme", "createdBy": "u-priya"}},
		{name: "notes/create/ownerId-refused", as: "u-priya", op: "create", table: "interview_notes", data: map[string]any{"candidateId": "c-jane", "content": "x", "ownerId": "u-ivan"}, code: engine.GuardSystemManaged, fields: []string{"ownerId:system-managed"}},
		{name: "notes/create/fk-other-org", as: "u-priya", op: "create", table: "interview_notes", data: map[string]any{"candidateId": "c-gx-john", "content": "x"}, code: engine.FKNotFound, fields: []string{"candidateId:reference"}},
		{name: "notes/create/fk-soft-deleted", as: "u-priya", op: "create", table: "interview_notes", data: map[string]any{"candidateId": "c-zoe", "content": "x"}, code: engine.FKNotFound},
		{name: "notes/create/rating-range", as: "u-priya", op: "create", table: "interview_notes", data: map[string]any{"candidateId": "c-jane", "content": "x", "rating": 6}, code: engine.ValidationFailed, fields: []string{"rating:invalid"}},
		{name: "notes/update/candidateId-not-updatable", as: "u-ivan", op: "update", table: "interview_notes", id: "n-01", data: map[string]any{"candidateId": "c-aisha"}, code: engine.GuardFieldNotUpdatable},
		{name: "notes/update/own", as: "u-ivan", op: "update", table: "interview_notes", id: "n-01", data: map[string]any{"rating": 5}, vals: map[string]any{"rating": 5, "modifiedBy": "u-ivan"}},
		{name: "notes/optional/hiring-manager-sees-all", variant: "notesOptional", as: "u-dana", op: "list", table: "interview_notes", ids: ctAcmeNotes},
		{name: "notes/optional/hiring-manager-gets-any", variant: "notesOptional", as: "u-hiro", op: "get", table: "interview_notes", id: "n-01", vals: map[string]any{"ownerId": "u-ivan"}},
		{name: "notes/optional/hiring-manager-not-other-org", variant: "notesOptional", as: "u-dana", op: "get", table: "interview_notes", id: "n-21", code: engine.FirewallNotFound},
		{name: "notes/optional/interviewer-own", variant: "notesOptional", as: "u-ivan", op: "list", table: "interview_notes", ids: []string{"n-01", "n-05", "n-10"}},
		{name: "notes/optional/interviewer-not-others", variant: "notesOptional", as: "u-priya", op: "get", table: "interview_notes", id: "n-01", code: engine.FirewallNotFound},
		{name: "notes/optional/owner-not-in-bypass", variant: "notesOptional", as: "u-olivia", op: "list", table: "interview_notes", ids: []string{"n-13"}},
		{name: "notes/optional/globex-hiring-manager", variant: "notesOptional", as: "u-marco@globex", op: "list", table: "interview_notes", ids: []string{"n-21", "n-22", "n-23", "n-24"}},

		// ── applications: protected stage, guard precedence, references, delete.
		{name: "applications/list/interviewer", as: "u-priya", op: "list", table: "applications", ids: ctAcmeApps},
		{name: "applications/update/stage-protected", as: "u-dana", op: "update", table: "applications", id: "a-1001", data: map[string]any{"stage": "offer"}, code: engine.GuardFieldProtected, fields: []string{"stage:protected:advanceStage"}},
		{name: "applications/update/protected-beats-not-updatable", as: "u-dana", op: "update", table: "applications", id: "a-1001", data: map[string]any{"stage": "offer", "candidateId": "c-jane", "notes": "ok"}, code: engine.GuardFieldProtected,
			fields: []string{"stage:protected:advanceStage", "candidateId:not-updatable"}},
		{name: "applications/update/immutable-beats-protected", as: "u-dana", op: "update", table: "applications", id: "a-1001", data: map[string]any{"id": "a-9", "stage": "offer", "jobId": "j-firmware"}, code: engine.GuardFieldImmutable,
			fields: []string{"id:immutable", "stage:protected:advanceStage", "jobId:not-updatable"}},
		{name: "applications/update/system-managed-beats-all", as: "u-dana", op: "update", table: "applications", id: "a-1001", data: map[string]any{"organizationId": "globex", "id": "a-9", "stage": "offer", "candidateId": "c-jane", "modifiedAt": "2020-01-01T00:00:00Z"}, code: engine.GuardSystemManaged,
			fields: []string{"organizationId:system-managed", "modifiedAt:system-managed", "id:immutable", "stage:protected:advanceStage", "candidateId:not-updatable"}},
		{name: "applications/update/organizationId", as: "u-rachel", op: "update", table: "applications", id: "a-1001", data: map[string]any{"organizationId": "globex"}, code: engine.GuardSystemManaged},
		{name: "applications/update/unknown-field", as: "u-rachel", op: "update", table: "applications", id: "a-1001", data: map[string]any{"priority": 1}, code: engine.ValidationFailed, fields: []string{"priority:unknown"}},
		{name: "applications/update/notes-too-long", as: "u-rachel", op: "update", table: "applications", id: "a-1001", data: map[string]any{"notes": ctStr(4001)}, code: engine.ValidationFailed, fields: []string{"notes:invalid"}},
		{name: "applications/update/notes-recruiter", as: "u-rachel", op: "update", table: "applications", id: "a-1001", data: map[string]any{"notes": "Moved onsite."}, vals: map[string]any{"notes": "Moved onsite.", "stage": "interview"}},
		{name: "applications/update/interviewer-denied", as: "u-ivan", op: "update", table: "applications", id: "a-1001", data: map[string]any{"notes": "x"}, code: engine.AccessRoleRequired},
		{name: "applications/create/recruiter", as: "u-rachel", op: "create", table: "applications", data: map[string]any{"candidateId": "c-omar", "jobId": "j-firmware", "notes": "hi"}, vals: map[string]any{"stage": "applied", "organizationId": "acme"}},
		{name: "applications/create/stage-protected", as: "u-rachel", op: "create", table: "applications", data: map[string]any{"candidateId": "c-omar", "jobId": "j-firmware", "stage": "hired"}, code: engine.GuardFieldProtected, fields: []string{"stage:protected:advanceStage"}},
		{name: "applications/create/fk-other-org", as: "u-rachel", op: "create", table: "applications", data: map[string]any{"candidateId": "c-gx-john", "jobId": "j-gx-analyst"}, code: engine.FKNotFound, fields: []string{"candidateId:reference", "jobId:reference"}},
		{name: "applications/create/fk-soft-deleted-job", as: "u-dana", op: "create", table: "applications", data: map[string]any{"candidateId": "c-jane", "jobId": "j-intern-2025"}, code: engine.FKNotFound, fields: []string{"jobId:reference"}},
		{name: "applications/create/missing-required", as: "u-rachel", op: "create", table: "applications", data: map[string]any{"jobId": "j-firmware"}, code: engine.ValidationFailed, fields: []string{"candidateId:required"}},
		{name: "applications/create/interviewer-denied", as: "u-ivan", op: "create", table: "applications", data: map[string]any{"candidateId": "c-omar", "jobId": "j-firmware"}, code: engine.AccessRoleRequired},
		{name: "applications/delete/hiring-manager-soft", as: "u-hiro", op: "delete", table: "applications", id: "a-1001",
			check: ctAll(ctGone("applications", "a-1001"), ctStored("applications", "a-1001", map[string]any{"deleted_at": "<set>", "deleted_by": "u-hiro", "stage": "interview"}))},
		{name: "applications/delete/owner-denied", as: "u-olivia", op: "delete", table: "applications", id: "a-1001", code: engine.AccessRoleRequired},
		{name: "applications/delete/recruiter-denied", as: "u-rachel", op: "delete", table: "applications", id: "a-1001", code: engine.AccessRoleRequired},
		{name: "applications/delete/already-deleted", as: "u-dana", op: "delete", table: "applications", id: "a-1024", code: engine.FirewallNotFound},

		{name: "applications/create/not-createable", as: "u-rachel", op: "create", table: "applications", data: map[string]any{"candidateId": "c-omar", "jobId": "j-firmware", "id": "a-9999"}, code: engine.GuardFieldNotCreateable, fields: []string{"id:not-createable"}},
		{name: "applications/create/precedence", as: "u-rachel", op: "create", table: "applications", data: map[string]any{"candidateId": "c-omar", "jobId": "j-firmware", "id": "a-9999", "stage": "offer", "deletedBy": "u-dana"}, code: engine.GuardSystemManaged,
			fields: []string{"deletedBy:system-managed", "stage:protected:advanceStage", "id:not-createable"}},
		{name: "applications/immutable/settable-on-create", variant: "appsImmutable", as: "u-dana", op: "create", table: "applications", data: map[string]any{"candidateId": "c-omar", "jobId": "j-firmware"}, vals: map[string]any{"jobId": "j-firmware"}},
		{name: "applications/immutable/not-on-update", variant: "appsImmutable", as: "u-dana", op: "update", table: "applications", id: "a-1001", data: map[string]any{"jobId": "j-firmware", "notes": "x"}, code: engine.GuardFieldImmutable, fields: []string{"jobId:immutable"}},
		{name: "applications/immutable/beats-protected-list-form", variant: "appsImmutable", as: "u-dana", op: "update", table: "applications", id: "a-1001", data: map[string]any{"jobId": "j-firmware", "stage": "offer", "candidateId": "c-jane"}, code: engine.GuardFieldImmutable,
			fields: []string{"jobId:immutable", "stage:protected:advanceStage,submitScore", "candidateId:not-updatable"}},
		{name: "ats/create/not-createable", as: "u-dana", op: "create", table: "ats_imports", data: map[string]any{"externalId": "lever-9", "syncedAt": "2026-03-01T00:00:00Z"}, code: engine.GuardFieldNotCreateable, fields: []string{"syncedAt:not-createable"}},
		{name: "ats/no-guards/upsert-any-column", variant: "atsNoGuards", as: "u-dana", op: "upsert", table: "ats_imports", data: map[string]any{"externalId": "greenhouse-1001", "source": "lever", "syncedAt": "2026-03-01T00:00:00Z"}, path: "update",
			vals: map[string]any{"id": "x-acme-1", "source": "lever", "syncedAt": "2026-03-01T00:00:00.000Z"}},
		{name: "ats/no-guards/system-still-refused", variant: "atsNoGuards", as: "u-dana", op: "update", table: "ats_imports", id: "x-acme-1", data: map[string]any{"organizationId": "globex", "id": "x-9", "source": "lever"}, code: engine.GuardSystemManaged,
			fields: []string{"organizationId:system-managed", "id:immutable"}},

		// ── ats_imports: upsert by externalId inside the firewall.
		{name: "ats/upsert/update-path", as: "u-dana", op: "upsert", table: "ats_imports", data: map[string]any{"externalId": "greenhouse-1001", "candidateName": "Kenji W."}, path: "update",
			vals:  map[string]any{"id": "x-acme-1", "candidateName": "Kenji W.", "source": "greenhouse"},
			check: ctStored("ats_imports", "x-globex-1", map[string]any{"candidate_name": "Nina Petrova", "modified_at": ctAsSeeded})},
		{name: "ats/upsert/update-path-globex", as: "u-helen", op: "upsert", table: "ats_imports", data: map[string]any{"externalId": "greenhouse-1001", "candidateEmail": "nina@example.com"}, path: "update",
			vals:  map[string]any{"id": "x-globex-1", "candidateEmail": "nina@example.com"},
			check: ctStored("ats_imports", "x-acme-1", map[string]any{"candidate_email": "kenji.watanabe@example.com", "modified_at": ctAsSeeded})},
		{name: "ats/upsert/create-path", as: "u-olivia", op: "upsert", table: "ats_imports", data: map[string]any{"externalId": "workable-77", "source": "workable", "candidateName": "Wei Zhang"}, path: "create",
			vals:  map[string]any{"organizationId": "acme", "externalId": "workable-77"},
			check: ctStored("ats_imports", "x-globex-2", map[string]any{"organization_id": "globex", "candidate_name": "Wei Zhang", "modified_at": ctAsSeeded})},
		{name: "ats/upsert/update-path-guards", as: "u-dana", op: "upsert", table: "ats_imports", data: map[string]any{"externalId": "greenhouse-1001", "source": "lever"}, code: engine.GuardFieldNotUpdatable, fields: []string{"source:not-updatable"}},
		{name: "ats/upsert/missing-key", as: "u-dana", op: "upsert", table: "ats_imports", data: map[string]any{"candidateName": "X"}, code: engine.ValidationFailed},
		{name: "ats/upsert/soft-deleted-key", as: "u-dana", op: "upsert", table: "ats_imports", data: map[string]any{"externalId": "lever-5001", "candidateName": "Y"},
			setup: func(t *testing.T, e *engine.Engine) {
				if _, err := e.Delete(context.Background(), enginetest.Member(t, e, "u-olivia", ""), "ats_imports", "x-acme-4", engine.WriteOptions{}); err != nil {
					t.Fatalf("setup delete: %v", err)
				}
			},
			code: engine.UniqueViolation},
		{name: "ats/upsert/interviewer-denied", as: "u-ivan", op: "upsert", table: "ats_imports", data: map[string]any{"externalId": "greenhouse-1001"}, code: engine.AccessRoleRequired},
		{name: "ats/list/interviewer-denied", as: "u-ivan", op: "list", table: "ats_imports", code: engine.AccessRoleRequired},
		{name: "ats/list/recruiter-denied", as: "u-rachel", op: "list", table: "ats_imports", code: engine.AccessRoleRequired},
		{name: "ats/get/interviewer-denied", as: "u-ivan", op: "get", table: "ats_imports", id: "x-acme-1", code: engine.AccessRoleRequired},
		{name: "ats/list/owner", as: "u-olivia", op: "list", table: "ats_imports", ids: ctAcmeImports},
		// The imported email is masked exactly as candidates.email is: the
		// owner sees it masked in both tables and cannot filter on it.
		{name: "ats/get/owner-email-masked", as: "u-olivia", op: "get", table: "ats_imports", id: "x-acme-1",
			vals: map[string]any{"candidateEmail": "k*************@e******.com"}, check: ctSameEmailMask("c-kenji", "x-acme-1")},
		{name: "ats/get/hiring-manager-email-raw", as: "u-dana", op: "get", table: "ats_imports", id: "x-acme-1",
			vals: map[string]any{"candidateEmail": "kenji.watanabe@example.com"}, check: ctSameEmailMask("c-kenji", "x-acme-1")},
		{name: "ats/list/owner-filter-email-refused", as: "u-olivia", op: "list", table: "ats_imports",
			q: engine.ListQuery{Filters: []engine.Filter{{Column: "candidateEmail", Op: "~", Value: "kenji"}}}, code: engine.QueryColumnMasked},
		{name: "ats/list/owner-sort-email-refused", as: "u-olivia", op: "list", table: "ats_imports",
			q: engine.ListQuery{Sort: []schema.SortKey{{Column: "candidateEmail"}}}, code: engine.QueryColumnMasked},
		{name: "ats/delete/hiring-manager-denied", as: "u-dana", op: "delete", table: "ats_imports", id: "x-acme-1", code: engine.AccessRoleRequired},
		{name: "ats/create/duplicate-key", as: "u-dana", op: "create", table: "ats_imports", data: map[string]any{"externalId": "greenhouse-1001"}, code: engine.UniqueViolation},

		// ── write responses for a row the caller may not get (SPEC §3.4): the
		// id and the changed field names, never the row.
		{name: "withheld/update/get-condition-fails", variant: "candidatesGetOwn", as: "u-rachel", op: "update", table: "candidates", id: "c-layla",
			data: map[string]any{"phone": "555-000-1111"}, check: ctWithheld("candidates", "c-layla", "phone", "modifiedAt", "modifiedBy")},
		{name: "withheld/update/get-condition-holds", variant: "candidatesGetOwn", as: "u-rachel", op: "update", table: "candidates", id: "c-jane",
			data: map[string]any{"phone": "555-000-1111"}, vals: map[string]any{"phone": "555-000-1111", "email": ctJaneEmail}},
		{name: "withheld/update/get-denied", variant: "candidatesNoGet", as: "u-rachel", op: "update", table: "candidates", id: "c-jane",
			data: map[string]any{"name": "Jane D."}, check: ctWithheld("candidates", "c-jane", "name", "modifiedAt", "modifiedBy")},
		{name: "withheld/create/get-denied", variant: "candidatesNoGet", as: "u-rachel", op: "create", table: "candidates",
			data:  map[string]any{"name": "Zed Quinn", "email": "zed.quinn@example.org", "phone": "555-999-1234"},
			check: ctWithheld("candidates", "", "id", "organizationId", "name", "email", "phone", "createdAt", "createdBy", "modifiedAt", "modifiedBy")},
		{name: "withheld/upsert/get-denied", variant: "candidatesNoGet", as: "u-rachel", op: "upsert", table: "candidates", path: "update",
			data: map[string]any{"id": "c-jane", "phone": "555-000-2222"}, check: ctWithheld("candidates", "c-jane", "phone", "modifiedAt", "modifiedBy")},
		{name: "withheld/update/same-value-still-named", variant: "candidatesNoGet", as: "u-rachel", op: "update", table: "candidates", id: "c-jane",
			data: map[string]any{"phone": ctJanePhone}, check: ctWithheld("candidates", "c-jane", "phone", "modifiedAt", "modifiedBy")},
		{name: "withheld/update/other-roles-unchanged", variant: "candidatesNoGet", as: "u-dana", op: "update", table: "candidates", id: "c-jane",
			data: map[string]any{"phone": "555-000-1111"}, vals: map[string]any{"phone": "555-000-1111", "name": "Jane Doe"}},

		// ── internal table.
		{name: "scores/list/internal", as: "u-olivia", op: "list", table: "interview_scores", code: engine.InternalTable},
		{name: "scores/get/internal", as: "u-ivan", op: "get", table: "interview_scores", id: "s-01", code: engine.InternalTable},
		{name: "scores/create/internal", as: "u-dana", op: "create", table: "interview_scores", data: map[string]any{"applicationId": "a-1001", "interviewerId": "u-dana", "score": 3}, code: engine.InternalTable},
		{name: "scores/update/internal", as: "u-dana", op: "update", table: "interview_scores", id: "s-03", data: map[string]any{"score": 5}, code: engine.InternalTable},
		{name: "scores/delete/internal", as: "u-dana", op: "delete", table: "interview_scores", id: "s-03", code: engine.InternalTable},
		{name: "unknown-table", as: "u-dana", op: "list", table: "salaries", code: engine.NotFound},

		// ── anonymous, no organization, PUBLIC.
		{name: "anon/list/jobs", as: "anon@acme", op: "list", table: "jobs", code: engine.AccessRoleRequired},
		{name: "anon/get/jobs", as: "anon@acme", op: "get", table: "jobs", id: "j-firmware", code: engine.AccessRoleRequired},
		{name: "anon/create/jobs", as: "anon@acme", op: "create", table: "jobs", data: map[string]any{"title": "X"}, code: engine.AccessRoleRequired},
		{name: "anon/list/candidates", as: "anon@acme", op: "list", table: "candidates", code: engine.AccessRoleRequired},
		{name: "anon/get/candidates", as: "anon@acme", op: "get", table: "candidates", id: "c-jane", code: engine.AccessRoleRequired},
		{name: "anon/list/notes", as: "anon@acme", op: "list", table: "interview_notes", code: engine.AccessRoleRequired},
		{name: "anon/update/applications", as: "anon@acme", op: "update", table: "applications", id: "a-1001", data: map[string]any{"notes": "x"}, code: engine.AccessRoleRequired},
		{name: "anon/delete/applications", as: "anon@acme", op: "delete", table: "applications", id: "a-1001", code: engine.AccessRoleRequired},
		{name: "anon/upsert/ats", as: "anon@acme", op: "upsert", table: "ats_imports", data: map[string]any{"externalId": "greenhouse-1001"}, code: engine.AccessRoleRequired},
		{name: "public/list/jobs", variant: "public", as: "anon@acme", op: "list", table: "jobs", ids: ctAcmeJobs},
		{name: "public/list/jobs-globex", variant: "public", as: "anon@globex", op: "list", table: "jobs", ids: ctGlobexJobs},
		{name: "public/list/no-org", variant: "public", as: "anon", op: "list", table: "jobs", code: engine.OrgRequired},
		{name: "public/get/jobs-still-denied", variant: "public", as: "anon@acme", op: "get", table: "jobs", id: "j-firmware", code: engine.AccessRoleRequired},
		{name: "public/list/candidates-still-denied", variant: "public", as: "anon@acme", op: "list", table: "candidates", code: engine.AccessRoleRequired},
		{name: "noorg/list/jobs", as: "noorg:u-dana", op: "list", table: "jobs", code: engine.OrgRequired},
		{name: "noorg/get/candidates", as: "noorg:u-dana", op: "get", table: "candidates", id: "c-jane", code: engine.OrgRequired},
		{name: "noorg/create/notes", as: "noorg:u-ivan", op: "create", table: "interview_notes", data: map[string]any{"candidateId": "c-jane", "content": "x"}, code: engine.OrgRequired},
		{name: "noorg/upsert/ats", as: "noorg:u-olivia", op: "upsert", table: "ats_imports", data: map[string]any{"externalId": "greenhouse-1001", "candidateName": "X"}, code: engine.OrgRequired},

		// ── hide mode.
		{name: "hide/get/other-org", variant: "hide", as: "u-dana", op: "get", table: "candidates", id: "c-gx-john", code: engine.NotFound},
		{name: "hide/get/soft-deleted", variant: "hide", as: "u-dana", op: "get", table: "candidates", id: "c-zoe", code: engine.NotFound},
		{name: "hide/get/nonexistent", variant: "hide", as: "u-dana", op: "get", table: "candidates", id: "c-nobody", code: engine.NotFound},
		{name: "hide/get/another-users-note", variant: "hide", as: "u-dana", op: "get", table: "interview_notes", id: "n-01", code: engine.NotFound},
		{name: "hide/update/other-org", variant: "hide", as: "u-dana", op: "update", table: "applications", id: "a-2001", data: map[string]any{"notes": "x"}, code: engine.NotFound},
		{name: "hide/delete/soft-deleted", variant: "hide", as: "u-dana", op: "delete", table: "jobs", id: "j-intern-2025", code: engine.NotFound},
		{name: "hide/condition-failed-is-not-found", variant: "hide+candidatesOrList", as: "u-rachel", op: "get", table: "candidates", id: "c-layla", code: engine.NotFound},

		// ── explain shows a row only as get would.
		{name: "explain/masked-row", as: "u-ivan", op: "explain", table: "candidates", id: "c-jane", vals: ctJaneMasked,
			check: func(t *testing.T, e *engine.Engine, r ctResult) {
				for _, f := range r.ex.Fields {
					if (f.Field == "email" || f.Field == "phone") && (f.Visibility != "masked" || !f.Masked || f.Rule != "tables.candidates.masking."+f.Field) {
						t.Errorf("field %+v", f)
					}
				}
				if s := ctMustJSON(t, r.ex); strings.Contains(s, ctJaneEmail) || strings.Contains(s, ctJanePhone) {
					t.Errorf("explanation leaks raw values: %s", s)
				}
			}},
		{name: "explain/raw-row", as: "u-dana", op: "explain", table: "candidates", id: "c-jane", vals: ctJaneRaw},
		{name: "explain/role-refused-row", as: "u-ivan", op: "explain", table: "ats_imports", id: "x-acme-1", rowErr: engine.AccessRoleRequired,
			check: func(t *testing.T, e *engine.Engine, r ctResult) {
				if s := ctMustJSON(t, r.ex); strings.Contains(s, "kenji.watanabe@example.com") {
					t.Errorf("explanation leaks the row: %s", s)
				}
			}},
		{name: "explain/anonymous-refused-row", as: "anon@acme", op: "explain", table: "jobs", id: "j-firmware", rowErr: engine.AccessRoleRequired},
		{name: "explain/firewall-row", as: "u-dana", op: "explain", table: "interview_notes", id: "n-01", rowErr: engine.FirewallNotFound},
		{name: "explain/no-org", as: "noorg:u-dana", op: "explain", table: "jobs", id: "j-firmware", rowErr: engine.OrgRequired},
		{name: "explain/condition-refused-row", variant: "candidatesOrList", as: "u-rachel", op: "explain", table: "candidates", id: "c-layla", rowErr: engine.AccessConditionFailed,
			check: func(t *testing.T, e *engine.Engine, r ctResult) {
				for _, o := range r.ex.Operations {
					if o.Operation == "get" && !strings.HasPrefix(o.OnRow, string(access.Denied)) {
						t.Errorf("get on the row: %+v", o)
					}
				}
			}},
		{name: "explain/condition-hidden", variant: "hide+candidatesOrList", as: "u-rachel", op: "explain", table: "candidates", id: "c-layla", rowErr: engine.NotFound,
			check: func(t *testing.T, e *engine.Engine, r ctResult) {
				other, err := e.Explain(context.Background(), r.id, "candidates", "c-nope")
				if err != nil {
					t.Fatal(err)
				}
				a := strings.ReplaceAll(ctMustJSON(t, r.ex), "c-layla", "<ID>")
				b := strings.ReplaceAll(ctMustJSON(t, other), "c-nope", "<ID>")
				if a != b {
					t.Errorf("explain distinguishes a hidden row from a missing one:\n%s\n%s", a, b)
				}
			}},
		{name: "explain/own-row-allowed", variant: "candidatesOrList", as: "u-rachel", op: "explain", table: "candidates", id: "c-jane", vals: ctJaneRaw},

		// ── record conditions (or / record).
		{name: "or/update/recruiter-own-row", variant: "candidatesOr", as: "u-rachel", op: "update", table: "candidates", id: "c-jane", data: map[string]any{"name": "Jane D."}, vals: map[string]any{"name": "Jane D."}},
		{name: "or/update/recruiter-others-row", variant: "candidatesOr", as: "u-rachel", op: "update", table: "candidates", id: "c-layla", data: map[string]any{"name": "L"}, code: engine.AccessConditionFailed},
		{name: "or/update/marco-own-row", variant: "candidatesOr", as: "u-marco@acme", op: "update", table: "candidates", id: "c-layla", data: map[string]any{"name": "Layla H."}, vals: map[string]any{"name": "Layla H."}},
		{name: "or/update/hiring-manager-any-row", variant: "candidatesOr", as: "u-dana", op: "update", table: "candidates", id: "c-layla", data: map[string]any{"phone": "555-000-0001"}, vals: map[string]any{"phone": "555-000-0001"}},
		{name: "or/update/interviewer-denied", variant: "candidatesOr", as: "u-ivan", op: "update", table: "candidates", id: "c-jane", data: map[string]any{"name": "X"}, code: engine.AccessRoleRequired},
		{name: "or/update/others-row-other-org-is-firewall", variant: "candidatesOr", as: "u-rachel", op: "update", table: "candidates", id: "c-gx-john", data: map[string]any{"name": "X"}, code: engine.FirewallNotFound},
		{name: "or/list/recruiter-own-rows", variant: "candidatesOrList", as: "u-rachel", op: "list", table: "candidates", ids: ctRachelCands},
		{name: "or/list/marco-own-rows", variant: "candidatesOrList", as: "u-marco@acme", op: "list", table: "candidates", ids: ctMarcoCands},
		{name: "or/list/hiring-manager-all", variant: "candidatesOrList", as: "u-dana", op: "list", table: "candidates", ids: ctAcmeCands},
		{name: "or/list/full-pages", variant: "candidatesOrList", as: "u-rachel", op: "list", table: "candidates", q: engine.ListQuery{Limit: 2}, ids: ctRachelCands,
			check: func(t *testing.T, e *engine.Engine, r ctResult) {
				for _, row := range r.rows {
					if row.Get("createdBy") != "u-rachel" {
						t.Errorf("row %s of another creator listed", row.ID())
					}
				}
				n, err := e.Count(context.Background(), r.id, "candidates", engine.ListQuery{})
				if err != nil || n != int64(len(ctRachelCands)) {
					t.Errorf("count = %d, %v; want %d", n, err, len(ctRachelCands))
				}
			}},
		{name: "or/list/full-pages-sorted", variant: "candidatesOrList", as: "u-marco@acme", op: "list", table: "candidates", q: engine.ListQuery{Limit: 2, Sort: []schema.SortKey{{Column: "phone", Desc: true}}}, ids: ctMarcoCands},
		{name: "or/get/recruiter-own-row", variant: "candidatesOrList", as: "u-rachel", op: "get", table: "candidates", id: "c-kenji", vals: map[string]any{"email": "kenji.watanabe@example.com"}},
		{name: "or/get/recruiter-others-row", variant: "candidatesOrList", as: "u-rachel", op: "get", table: "candidates", id: "c-layla", code: engine.AccessConditionFailed},
		{name: "or/update/condition-before-and-after-ok", variant: "jobsDraftOnly", as: "u-olivia", op: "update", table: "jobs", id: "j-product-designer", data: map[string]any{"title": "Senior Product Designer"}, vals: map[string]any{"title": "Senior Product Designer", "status": "draft"}},
		{name: "or/update/condition-fails-after", variant: "jobsDraftOnly", as: "u-olivia", op: "update", table: "jobs", id: "j-product-designer", data: map[string]any{"status": "open"}, code: engine.AccessConditionFailed},
		{name: "or/update/condition-fails-before", variant: "jobsDraftOnly", as: "u-olivia", op: "update", table: "jobs", id: "j-firmware", data: map[string]any{"status": "draft"}, code: engine.AccessConditionFailed},
		{name: "or/update/unconditional-branch", variant: "jobsDraftOnly", as: "u-dana", op: "update", table: "jobs", id: "j-product-designer", data: map[string]any{"status": "open"}, vals: map[string]any{"status": "open"}},
	}
	return cs
}

func TestConformance(t *testing.T) {
	t.Parallel()
	cs := ctConformanceCases()
	if len(cs) < 90 {
		t.Fatalf("only %d cases", len(cs))
	}
	names := map[string]bool{}
	for _, c := range cs {
		if names[c.name] {
			t.Fatalf("duplicate case name %s", c.name)
		}
		names[c.name] = true
		t.Run(c.name, c.run)
	}
}

// TestConformancePostgres runs every conformance case on PostgreSQL (SPEC
// §8): the same cases, the same expectations, a database seeded through qb
// in a schema of each case's own. It skips without a PostgreSQL server
// (internal/pgtest says how to get one).
func TestConformancePostgres(t *testing.T) { ctConformancePostgres(t) }

// ctConformancePostgres runs every conformance case on PostgreSQL databases
// built with the kit options extra.
func ctConformancePostgres(t *testing.T, extra ...enginetest.Option) {
	pgtest.Get(t) // skips the whole test here: a skip inside a case's goroutine would be FailNow on this parent
	// Each case has a database of its own and its time is the server's,
	// not this process's: cases run six at a time (t.Run may be called
	// from several goroutines; t.Parallel would stop at GOMAXPROCS).
	// Cases that only read share one database per config variant (a
	// copy per case costs the server a CREATE DATABASE).
	sem := make(chan struct{}, 6)
	var wg sync.WaitGroup
	var mu sync.Mutex
	shared := map[string]*engine.Engine{}
	sharedFor := func(c ctCase) (*engine.Engine, []enginetest.Option) {
		opts := append([]enginetest.Option{ctVariant(t, c.variant), enginetest.Postgres()}, extra...)
		mu.Lock()
		defer mu.Unlock()
		if shared[c.variant] == nil {
			shared[c.variant] = enginetest.Seeded(t, opts...)
		}
		return shared[c.variant], opts
	}
	for _, c := range ctConformanceCases() {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			t.Run(c.name, func(t *testing.T) {
				if c.readOnly() {
					e, opts := sharedFor(c)
					c.runIn(t, e, opts)
					return
				}
				c.runOn(t, append([]enginetest.Option{enginetest.Postgres()}, extra...)...)
			})
		}()
	}
	wg.Wait()
}

// TestConformanceFirewallIndistinguishable checks that a row of another
// organization, a soft-deleted row and a nonexistent id give the same error
// apart from the id, for every operation on a row and in both error modes.
func TestConformanceFirewallIndistinguishable(t *testing.T) { ctIndistinguishable(t) }

// ctIndistinguishable runs the probes of TestConformanceFirewallIndistinguishable
// on databases built with the kit options extra.
func ctIndistinguishable(t *testing.T, extra ...enginetest.Option) {
	type probe struct {
		variant, as, table string
		ids                []string // other org, soft-deleted, nonexistent, ...
		want               engine.Code
		ops                []string // default: get, update, delete
	}
	probes := []probe{
		{"", "u-dana", "jobs", []string{"j-gx-analyst", "j-intern-2025", "j-nope"}, engine.FirewallNotFound, nil},
		{"", "u-rachel", "candidates", []string{"c-gx-john", "c-zoe", "c-nope", "c-gx-paul"}, engine.FirewallNotFound, []string{"get", "update"}},
		{"", "u-dana", "applications", []string{"a-2001", "a-1024", "a-nope", "a-2007"}, engine.FirewallNotFound, nil},
		// Another user's note is outside the owner scope like the others.
		{"", "u-ivan", "interview_notes", []string{"n-21", "n-12", "n-nope", "n-02"}, engine.FirewallNotFound, nil},
		{"hide", "u-dana", "jobs", []string{"j-gx-analyst", "j-intern-2025", "j-nope"}, engine.NotFound, nil},
		{"hide", "u-ivan", "interview_notes", []string{"n-21", "n-12", "n-nope", "n-02"}, engine.NotFound, nil},
		// In hide mode a failed record condition is also indistinguishable.
		{"hide+candidatesOrList", "u-rachel", "candidates", []string{"c-gx-john", "c-zoe", "c-nope", "c-layla"}, engine.NotFound, []string{"get", "update"}},
	}
	norm := func(ee *engine.Error, rowID string) string {
		d := map[string]any{}
		for k, v := range ee.Details {
			if k != "id" {
				d[k] = v
			}
		}
		b, _ := json.Marshal(d)
		return fmt.Sprintf("%s|%d|%s|%s", ee.Code, ee.Status, strings.ReplaceAll(ee.Message, rowID, "<ID>"), b)
	}
	for _, p := range probes {
		t.Run(p.variant+"/"+p.table, func(t *testing.T) {
			e := enginetest.Seeded(t, append([]enginetest.Option{ctVariant(t, p.variant)}, extra...)...)
			ctx := context.Background()
			id := enginetest.Member(t, e, p.as, "")
			ops := map[string]func(rowID string) error{
				"get": func(rowID string) error { _, err := e.Get(ctx, id, p.table, rowID); return err },
				"delete": func(rowID string) error {
					_, err := e.Delete(ctx, id, p.table, rowID, engine.WriteOptions{})
					return err
				},
				"update": func(rowID string) error {
					_, err := e.Update(ctx, id, p.table, rowID, map[string]any{"createdAt": "2020-01-01", "bogus": 1}, engine.WriteOptions{})
					return err
				},
			}
			before := enginetest.Dump(t, engine.RawDB(e), "qb_audit")
			names := p.ops
			if names == nil {
				names = []string{"get", "update", "delete"}
			}
			for _, op := range names {
				fn := ops[op]
				first := ""
				for _, rowID := range p.ids {
					err := fn(rowID)
					if ctErrCode(t, err) != p.want {
						t.Fatalf("%s %s: %v, want %s", op, rowID, err, p.want)
					}
					ee, _ := engine.AsError(err)
					if ee.Details["id"] != rowID {
						t.Errorf("%s %s: details.id = %v", op, rowID, ee.Details["id"])
					}
					got := norm(ee, rowID)
					if first == "" {
						first = got
					} else if got != first {
						t.Errorf("%s: %s and %s are distinguishable:\n  %s\n  %s", op, p.ids[0], rowID, first, got)
					}
				}
			}
			if enginetest.Dump(t, engine.RawDB(e), "qb_audit") != before {
				t.Errorf("refused writes changed the database")
			}
		})
	}
}

// ctFirstID is the id of the first row id sees in table.
func ctFirstID(t *testing.T, e *engine.Engine, id engine.Identity, table string) string {
	t.Helper()
	p, err := e.List(context.Background(), id, table, engine.ListQuery{Limit: 1})
	if err != nil || len(p.Rows) == 0 {
		t.Fatalf("list %s: %v (%d rows)", table, err, len(p.Rows))
	}
	return p.Rows[0].ID()
}

// SPEC §3.2: a "$ctx" value the caller lacks fails the condition. For notIn
// it used to be dropped from the list, so the condition passed every row.
func TestConditionNotInMissingCtxDenies(t *testing.T) {
	e := enginetest.Seeded(t, enginetest.Edits(enginetest.Edit{
		Section: "[tables.candidates.crud]",
		Old:     `list.access   = { roles = ["interviewer+"] }`,
		New:     `list.access   = { roles = ["interviewer+"], record = { email = { notIn = ["$ctx.email"] } } }`,
	}, enginetest.Edit{
		Section: "[tables.candidates.crud]",
		Old:     `get.access    = { roles = ["interviewer+"] }`,
		New:     `get.access    = { roles = ["interviewer+"], record = { email = { notIn = ["$ctx.email"] } } }`,
	}))
	ctx := context.Background()
	full := enginetest.Member(t, e, "u-dana", "acme")
	candID := ctFirstID(t, e, full, "candidates")
	noEmail := full
	noEmail.Email = ""
	p, err := e.List(ctx, noEmail, "candidates", engine.ListQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Rows) != 0 {
		t.Errorf("notIn with a missing $ctx.email passed %d rows; want none (a missing value fails the condition)", len(p.Rows))
	}
	n, err := e.Count(ctx, noEmail, "candidates", engine.ListQuery{})
	if err != nil || n != 0 {
		t.Errorf("count = %d, %v; want 0", n, err)
	}
	_, err = e.Get(ctx, noEmail, "candidates", candID)
	if c := ctErrCode(t, err); c != engine.AccessConditionFailed {
		t.Errorf("get: %v, want ACCESS_CONDITION_FAILED", err)
	}
}

// Updating a field the caller sees masked must not tell, through the
// reported changes, whether the value written equals the hidden one.
func TestMaskedUpdateEqualityOracle(t *testing.T) {
	e := enginetest.Seeded(t, enginetest.Edits(enginetest.Edit{
		Section: "[tables.candidates.masking]",
		Old:     `phone = { type = "phone", show = { roles = ["hiring-manager", "recruiter"] } }`,
		New:     `phone = { type = "phone", show = { roles = ["hiring-manager"] } }`,
	}))
	ctx := context.Background()
	dana := enginetest.Member(t, e, "u-dana", "acme")
	rachel := enginetest.Member(t, e, "u-rachel", "acme")
	p, err := e.List(ctx, dana, "candidates", engine.ListQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var candID, phone string
	for _, r := range p.Rows {
		if s, ok := r.Get("phone").(string); ok && s != "" {
			candID, phone = r.ID(), s
			break
		}
	}
	if candID == "" {
		t.Fatal("no candidate with a phone")
	}
	has := func(res *engine.WriteResult) bool {
		for _, c := range res.Changes {
			if c.Field == "phone" {
				if !c.Masked || c.After == phone || c.Before == phone {
					t.Errorf("phone change not masked: %+v", c)
				}
				return true
			}
		}
		return false
	}
	same, err := e.Update(ctx, rachel, "candidates", candID, map[string]any{"phone": phone}, engine.WriteOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	other, err := e.Update(ctx, rachel, "candidates", candID, map[string]any{"phone": "000-000-0000"}, engine.WriteOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if has(same) != has(other) {
		t.Errorf("changes reveal whether the written phone equals the hidden one (same value listed: %v, other value listed: %v)", has(same), has(other))
	}
}

// FK_NOT_FOUND on another organization's row, a soft-deleted row and a
// nonexistent id must be identical in code, message and details.
func TestForeignKeyIndistinguishable(t *testing.T) {
	e := enginetest.Seeded(t)
	ctx := context.Background()
	dana := enginetest.Member(t, e, "u-dana", "acme")
	helen := enginetest.Member(t, e, "u-helen", "globex")
	otherOrg := ctFirstID(t, e, helen, "candidates")
	deleted := ctFirstID(t, e, dana, "candidates")
	if _, err := e.Delete(ctx, dana, "candidates", deleted, engine.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	msgs := map[string]string{}
	for name, ref := range map[string]string{"other org": otherOrg, "soft-deleted": deleted, "nonexistent": "no-such-id"} {
		_, err := e.Create(ctx, dana, "interview_notes", map[string]any{"candidateId": ref, "content": "x"}, engine.WriteOptions{})
		if c := ctErrCode(t, err); c != engine.FKNotFound {
			t.Fatalf("%s: %v, want FK_NOT_FOUND", name, err)
		}
		ee, _ := engine.AsError(err)
		msgs[name] = ee.Message + " " + ctMustJSON(t, ee.Details)
	}
	if msgs["other org"] != msgs["nonexistent"] || msgs["soft-deleted"] != msgs["nonexistent"] {
		t.Errorf("FK_NOT_FOUND differs: %v", msgs)
	}
}
