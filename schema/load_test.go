package schema

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func mustLoad(t *testing.T, path string) *Config {
	t.Helper()
	cfg, err := Load(path)
	if err != nil {
		t.Fatalf("Load(%s):\n%v", path, err)
	}
	return cfg
}

func problemsOf(t *testing.T, err error) Problems {
	t.Helper()
	if err == nil {
		t.Fatal("expected problems, got none")
	}
	var ps *Problems
	if !errors.As(err, &ps) {
		t.Fatalf("error is %T, not *Problems: %v", err, err)
	}
	return *ps
}

func TestDefaultConfig(t *testing.T) {
	cfg := mustLoad(t, "../quickback.toml")
	if abs, _ := filepath.Abs(".."); cfg.File != "../quickback.toml" || cfg.Dir != abs {
		t.Errorf("File/Dir = %q/%q", cfg.File, cfg.Dir)
	}
	if cfg.Project.Name != "Hiring" || cfg.Project.Database != "hiring.db" || cfg.Project.Fixtures != "fixtures" {
		t.Errorf("project = %+v", cfg.Project)
	}
	var names []string
	for _, tb := range cfg.Tables {
		names = append(names, tb.Name)
	}
	wantTables := []string{"jobs", "candidates", "interview_notes", "applications", "interview_scores", "ats_imports"}
	if !reflect.DeepEqual(names, wantTables) {
		t.Errorf("tables = %v, want %v", names, wantTables)
	}

	cand := cfg.Table("candidates")
	wantCols := []string{"id", "organizationId", "name", "email", "phone", "resumeUrl", "source",
		"createdAt", "createdBy", "modifiedAt", "modifiedBy", "deletedAt", "deletedBy"}
	if got := cand.ColumnNames(); !reflect.DeepEqual(got, wantCols) {
		t.Errorf("candidates columns = %v, want %v", got, wantCols)
	}
	if c := cand.Column("resumeUrl"); c.SQLName != "resume_url" || c.Type != TypeText || *c.MaxLength != 2000 {
		t.Errorf("resumeUrl = %+v", c)
	}
	for _, s := range SystemColumns {
		c := cand.Column(s)
		want := TypeText
		if strings.HasSuffix(s, "At") {
			want = TypeTimestamp
		}
		if c == nil || !c.System || c.Type != want || c.SQLName != SnakeCase(s) {
			t.Errorf("system column %s = %+v", s, c)
		}
	}
	if m := cand.Masking["email"]; m == nil || m.Type != "email" || !reflect.DeepEqual(m.ShowRoles, []string{"hiring-manager", "recruiter"}) ||
		m.ShowOwner || m.Path != "tables.candidates.masking.email" {
		t.Errorf("candidates email mask = %+v", m)
	}
	if !reflect.DeepEqual(cand.Unique, [][]string{{"organizationId", "email"}}) || !reflect.DeepEqual(cand.UpsertKey, []string{"id"}) {
		t.Errorf("candidates unique/upsertKey = %v / %v", cand.Unique, cand.UpsertKey)
	}

	jobs := cfg.Table("jobs")
	list := jobs.CRUD[OpList].Access
	if !reflect.DeepEqual(list.Roles, cfg.Auth.Roles) || list.Path != "tables.jobs.crud.list.access" || list.Public {
		t.Errorf("jobs list access = %+v", list)
	}
	if jobs.CRUD[OpDelete].DeleteMode != "soft" || jobs.Label != "Jobs" || jobs.DisplayColumn != "title" {
		t.Errorf("jobs = %+v", jobs)
	}
	if !reflect.DeepEqual(jobs.DefaultSort, []SortKey{{Column: "createdAt", Desc: true}}) {
		t.Errorf("jobs defaultSort = %v", jobs.DefaultSort)
	}
	if st := jobs.Column("status"); st.Default != "open" || !st.HasDefault || !reflect.DeepEqual(st.Values, []string{"draft", "open", "closed"}) {
		t.Errorf("jobs status = %+v", st)
	}
	if mn := jobs.Column("salaryMin"); mn.Min == nil || *mn.Min != 0 || mn.Max != nil {
		t.Errorf("salaryMin = %+v", mn)
	}
	if jobs.Firewall.Organization.Column != "organizationId" || jobs.Firewall.ErrorMode != "reveal" || jobs.Firewall.Owner != nil {
		t.Errorf("jobs firewall = %+v", jobs.Firewall)
	}

	notes := cfg.Table("interview_notes")
	if o := notes.Firewall.Owner; o == nil || o.Mode != OwnerStrict || o.Column != "ownerId" || o.Bypass != nil {
		t.Errorf("interview_notes owner = %+v", o)
	}
	if c := notes.Column("candidateId"); c.References != "candidates" {
		t.Errorf("candidateId = %+v", c)
	}

	apps := cfg.Table("applications")
	if !reflect.DeepEqual(apps.Guards.Protected, map[string][]string{"stage": {"advanceStage"}}) {
		t.Errorf("applications protected = %v", apps.Guards.Protected)
	}
	adv := apps.Action("advanceStage")
	if adv == nil || adv.Type != "record" || adv.Path != "tables.applications.actions.advanceStage" ||
		!reflect.DeepEqual(adv.Access.Roles, []string{"hiring-manager"}) {
		t.Fatalf("advanceStage = %+v", adv)
	}
	tr := adv.Transition
	wantFrom := map[string][]string{
		"applied": {"screening", "rejected"}, "screening": {"interview", "rejected"},
		"interview": {"offer", "rejected"}, "offer": {"hired", "rejected"},
	}
	if tr == nil || tr.Field != "stage" || tr.Via != "stage" || tr.To != "" || !reflect.DeepEqual(tr.From, wantFrom) ||
		!reflect.DeepEqual(tr.FromOrder, []string{"applied", "screening", "interview", "offer"}) {
		t.Errorf("transition = %+v", tr)
	}
	if in := adv.Input("stage"); in == nil || !in.Required || in.Type != TypeEnum || len(in.Values) != 6 {
		t.Errorf("input stage = %+v", in)
	}
	if in := adv.Input("note"); in == nil || in.Required || *in.MaxLength != 500 {
		t.Errorf("input note = %+v", in)
	}
	if !reflect.DeepEqual(adv.Set, []Assign{{Column: "stage", Value: Ref{Kind: "input", Field: "stage"}}}) {
		t.Errorf("advanceStage set = %+v", adv.Set)
	}
	sub := apps.Action("submitScore")
	wantIns := []Insert{{Table: "interview_scores", Values: []Assign{
		{Column: "applicationId", Value: Ref{Kind: "record", Field: "id"}},
		{Column: "interviewerId", Value: Ref{Kind: "ctx", Field: "userId"}},
		{Column: "score", Value: Ref{Kind: "input", Field: "score"}},
		{Column: "feedback", Value: Ref{Kind: "input", Field: "feedback"}},
	}}}
	if sub == nil || !reflect.DeepEqual(sub.Inserts, wantIns) {
		t.Errorf("submitScore inserts = %+v", sub)
	}
	if got := []string{apps.Actions[0].Name, apps.Actions[1].Name}; !reflect.DeepEqual(got, []string{"advanceStage", "submitScore"}) {
		t.Errorf("actions order = %v", got)
	}

	scores := cfg.Table("interview_scores")
	if !scores.Internal || scores.CRUD != nil {
		t.Errorf("interview_scores = %+v", scores)
	}
	ats := cfg.Table("ats_imports")
	if !reflect.DeepEqual(ats.UpsertKey, []string{"externalId"}) || ats.Column("rawPayload").Type != TypeJSON {
		t.Errorf("ats_imports = %+v", ats)
	}
}

// base is a small valid config; the broken corpus edits one line of it.
const base = `[tables.items]
label = "Items"
displayColumn = "name"
defaultSort = "-createdAt"
[tables.items.columns]
id = { type = "id" }
organizationId = { type = "text", required = true }
ownerId = { type = "text" }
name = { type = "text", maxLength = 10 }
status = { type = "enum", values = ["new", "done"], default = "new" }
score = { type = "integer", min = 0, max = 10 }
memo = { type = "text" }
[tables.items.firewall]
organization = {}
owner = { mode = "optional" }
[tables.items.guards]
createable = ["name", "score"]
updatable = ["name"]
protected = { status = ["finish"] }
[tables.items.crud]
list.access = { roles = ["viewer+"] }
get.access = { or = [{ roles = ["admin"] }, { roles = ["viewer"], record = { ownerId = { equals = "$ctx.userId" } } }] }
[tables.items.masking]
name = { type = "name", show = { roles = ["editor+"], or = "owner" } }
[tables.items.actions.finish]
type = "record"
access = { roles = ["editor+"] }
input.note = { type = "text", required = false }
transition = { field = "status", to = "done", from = { new = ["done"] } }
set = { name = "$input.note" }
[[tables.items.actions.finish.insert]]
table = "logs"
values = { itemId = "$record.id", who = "$ctx.userId", at = "$now" }
[tables.logs]
internal = true
[tables.logs.columns]
id = { type = "id" }
itemId = { type = "text", required = true, references = "items" }
who = { type = "text" }
at = { type = "timestamp" }
[project]
name = "T"
database = "t.db"
[auth]
roles = ["viewer", "editor", "admin"]
admins = ["admin"]
`

// edit replaces line n (1-based) of base; n = 0 appends text instead.
func edit(n int, text string) string {
	lines := strings.Split(base, "\n")
	if n == 0 {
		return base + text + "\n"
	}
	lines[n-1] = text
	return strings.Join(lines, "\n")
}

// TestAuditSection: [audit] is optional (reads are group-committed by
// default); its keys are read as written, the witness directory resolved
// against the config's directory.
func TestAuditSection(t *testing.T) {
	cfg, err := Parse("base.toml", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg.Audit, Audit{Reads: ReadsGroup}) || cfg.WitnessDir() != "" {
		t.Errorf("default [audit] = %+v, witness dir %q", cfg.Audit, cfg.WitnessDir())
	}
	cfg, err = Parse("/p/base.toml", []byte(base+"\n[audit]\nreads = \"sync\"\nrequireReason = true\nwitness = \"state/witness\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg.Audit, Audit{Reads: ReadsSync, RequireReason: true, Witness: "state/witness"}) || cfg.WitnessDir() != filepath.FromSlash("/p/state/witness") {
		t.Errorf("[audit] = %+v, witness dir %q", cfg.Audit, cfg.WitnessDir())
	}
}

// [audit].inspectInternal is a role list like any other: "x+" expands,
// an unknown role or PUBLIC is a config error; none by default.
func TestAuditInspectInternal(t *testing.T) {
	cfg, err := Parse("base.toml", []byte(base+"\n[audit]\ninspectInternal = [\"editor+\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Audit.InspectInternal; !reflect.DeepEqual(got, []string{"editor", "admin"}) {
		t.Errorf("inspectInternal = %v", got)
	}
	for _, bad := range []string{`["boss"]`, `["PUBLIC"]`, `"admin"`} {
		_, err := Parse("base.toml", []byte(base+"\n[audit]\ninspectInternal = "+bad+"\n"))
		if err == nil || !strings.Contains(err.Error(), "audit.inspectInternal") {
			t.Errorf("inspectInternal = %s: %v", bad, err)
		}
	}
}

func TestBaseIsValid(t *testing.T) {
	cfg, err := Parse("base.toml", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	items := cfg.Table("items")
	if o := items.Firewall.Owner; o.Mode != OwnerOptional || !reflect.DeepEqual(o.Bypass, []string{"admin"}) {
		t.Errorf("owner = %+v (bypass must default to [auth].admins)", o)
	}
	get := items.CRUD[OpGet].Access
	if len(get.Or) != 2 || get.Or[1].Path != "tables.items.crud.get.access.or[1]" ||
		!reflect.DeepEqual(get.Or[1].Record, []Condition{{Column: "ownerId", Op: CondEquals, Value: Ref{Kind: "ctx", Field: "userId"}}}) {
		t.Errorf("get access = %+v", get)
	}
	if m := items.Masking["name"]; !m.ShowOwner || !reflect.DeepEqual(m.ShowRoles, []string{"editor", "admin"}) {
		t.Errorf("mask = %+v", m)
	}
	fin := items.Action("finish")
	if fin.Transition.To != "done" || fin.Inserts[0].Values[2].Value != (Ref{Kind: "now"}) {
		t.Errorf("finish = %+v", fin)
	}
	if items.Label != "Items" || cfg.Table("logs").Label != "logs" {
		t.Errorf("labels %q %q", items.Label, cfg.Table("logs").Label)
	}
}

// TestQuickbackNames: a config can name a Quickback project's database as
// it is — the identity source, a table whose name differs from its key,
// camelCase SQL names, system columns renamed, timestamps stored as epoch
// integers or ISO text without milliseconds.
func TestQuickbackNames(t *testing.T) {
	src := strings.Replace(base, "[tables.logs]\n", "[tables.logs]\ntable = \"auditLogs\"\n", 1)
	src = strings.Replace(src, `at = { type = "timestamp" }`, `at = { type = "timestamp", format = "epoch_ms", column = "loggedAt" }
createdAt = { format = "iso_s" }
deletedAt = { column = "removed_at", format = "epoch_s" }
deletedBy = { column = "removedBy" }`, 1)
	src += "source = \"better-auth\"\n"
	cfg, err := Parse("qb.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Auth.Source != SourceBetterAuth {
		t.Errorf("source = %q", cfg.Auth.Source)
	}
	logs, items := cfg.Table("logs"), cfg.Table("items")
	if logs.SQLName != "auditLogs" || items.SQLName != "items" {
		t.Errorf("SQL names %q %q", logs.SQLName, items.SQLName)
	}
	got := map[string]string{}
	for _, c := range logs.Columns {
		got[c.Name] = c.SQLName + " " + string(c.Format)
	}
	want := map[string]string{
		"id": "id ", "itemId": "item_id ", "who": "who ", "at": "loggedAt epoch_ms",
		"createdAt": "created_at iso_s", "createdBy": "created_by ", "modifiedAt": "modified_at iso_ms",
		"modifiedBy": "modified_by ", "deletedAt": "removed_at epoch_s", "deletedBy": "removedBy ",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("columns of logs:\n got %v\nwant %v", got, want)
	}
	var order []string
	for _, c := range logs.Columns {
		order = append(order, c.Name)
	}
	if want := []string{"id", "itemId", "who", "at", "createdAt", "createdBy", "modifiedAt", "modifiedBy", "deletedAt", "deletedBy"}; !reflect.DeepEqual(order, want) {
		t.Errorf("column order %v: system columns stay last, in their own order", order)
	}
	if base, err := Parse("base.toml", []byte(base)); err != nil || base.Auth.Source != SourceQB || base.Table("items").Column("createdAt").Format != TimeISOMillis {
		t.Errorf("defaults: source %q, createdAt format %q (%v)", base.Auth.Source, base.Table("items").Column("createdAt").Format, err)
	}
}

// brokenCases each make exactly one mistake in base.
var brokenCases = []struct {
	name string
	src  string
	line int
	path string
	msg  string
}{
	{"syntax error", edit(9, `name = { type = "text", maxLength = }`), 9, "", "syntax error"},
	{"unknown table key", edit(2, `lable = "Items"`), 2, "tables.items.lable", `unknown key "lable"; did you mean "label"?`},
	{"unknown top-level section", edit(0, `[extra]`), 47, "extra", `unknown key "extra"`},
	{"unknown auth key", edit(0, `bogus = 1`), 47, "auth.bogus", `unknown key "bogus"`},
	{"unknown audit reads mode", edit(0, "[audit]\nreads = \"synch\""), 48, "audit.reads", `must be "group" or "sync"; did you mean "sync"?`},
	{"unknown audit key", edit(0, "[audit]\nrequireReasons = true"), 48, "audit.requireReasons", `did you mean "requireReason"?`},
	{"audit requireReason not a bool", edit(0, "[audit]\nrequireReason = \"yes\""), 48, "audit.requireReason", "must be true or false"},
	{"empty audit witness", edit(0, "[audit]\nwitness = \"\""), 48, "audit.witness", "must not be empty"},
	{"empty project name", edit(42, `name = ""`), 42, "project.name", "must not be empty"},
	{"project database not a string", edit(43, `database = 3`), 43, "project.database", "must be a string"},
	{"role ending in plus", edit(45, `roles = ["viewer", "editor", "admin", "root+"]`), 45, "auth.roles[3]", `cannot end in "+"`},
	{"unknown column option", edit(9, `name = { type = "text", maxLen = 10 }`), 9, "tables.items.columns.name.maxLen", `unknown key "maxLen"`},
	{"unknown column type", edit(12, `memo = { type = "string" }`), 12, "tables.items.columns.memo.type", `unknown type "string"`},
	{"missing column type", edit(12, `memo = { required = true }`), 12, "tables.items.columns.memo", `missing "type"`},
	{"min on text", edit(12, `memo = { type = "text", min = 1 }`), 12, "tables.items.columns.memo.min", "only allowed on integer and real"},
	{"maxLength on integer", edit(11, `score = { type = "integer", maxLength = 3 }`), 11, "tables.items.columns.score.maxLength", "only allowed on text"},
	{"values on text", edit(12, `memo = { type = "text", values = ["a"] }`), 12, "tables.items.columns.memo.values", "only allowed on enum"},
	{"enum without values", edit(10, `status = { type = "enum" }`), 10, "tables.items.columns.status", `missing "values"`},
	{"enum default outside values", edit(10, `status = { type = "enum", values = ["new", "done"], default = "old" }`), 10, "tables.items.columns.status.default", `"old" is not one of the values`},
	{"default of the wrong type", edit(11, `score = { type = "integer", default = "high" }`), 11, "tables.items.columns.score.default", "must be an integer"},
	{"default outside range", edit(11, `score = { type = "integer", min = 0, max = 10, default = 11 }`), 11, "tables.items.columns.score.default", "above max 10"},
	{"timestamp default", edit(12, `memo = { type = "timestamp", default = "yesterday" }`), 12, "tables.items.columns.memo.default", `"now" or an ISO-8601 timestamp`},
	{"min above max", edit(11, `score = { type = "integer", min = 10, max = 0 }`), 11, "tables.items.columns.score.max", "below min"},
	{"system column declared", edit(12, `createdAt = { type = "timestamp" }`), 12, "tables.items.columns.createdAt.type", `"createdAt" is a system column that every table already has: only "column" and "format" may be given for it`},
	{"duplicate SQL name", edit(12, `memo = { type = "text", column = "owner_id" }`), 12, "tables.items.columns.memo", `SQL column name "owner_id" is already used by "ownerId"`},
	{"unknown auth source", edit(0, `source = "betterauth"`), 47, "auth.source", `must be "qb" or "better-auth"; did you mean "better-auth"?`},
	{"table name not an identifier", edit(2, `table = "my items"`), 2, "tables.items.table", "table name must be a SQL identifier"},
	{"table name reserved", edit(2, `table = "QB_items"`), 2, "tables.items.table", `starting with "qb_" are reserved`},
	{"two tables name one database table", edit(2, `table = "Logs"`), 2, "tables.items.table", "tables.items and tables.logs both name the database table Logs"},
	{"unknown timestamp format", edit(12, `memo = { type = "timestamp", format = "epoch" }`), 12, "tables.items.columns.memo.format", `unknown timestamp format "epoch"`},
	{"format on text", edit(12, `memo = { type = "text", format = "iso_s" }`), 12, "tables.items.columns.memo.format", "format is only allowed on timestamp, not text"},
	{"format on a system text column", edit(12, `createdBy = { format = "iso_s" }`), 12, "tables.items.columns.createdBy.format", `only "column" may be given for it`},
	{"system column renamed onto a column", edit(12, `createdAt = { column = "owner_id" }`), 8, "tables.items.columns.ownerId", `SQL column name "owner_id" is already used by "createdAt"`},
	{"SQL names differ only in case", edit(12, `memo = { type = "text", column = "Owner_Id" }`), 12, "tables.items.columns.memo", `SQL column name "Owner_Id" is already used by "ownerId"`},
	{"column name not an identifier", edit(12, `"memo x" = { type = "text" }`), 12, `tables.items.columns."memo x"`, "must be an identifier"},
	{"second id column", edit(12, `memo = { type = "id" }`), 12, "tables.items.columns.memo", "exactly one column of type id"},
	{"no id column", edit(6, `id = { type = "text" }`), 5, "tables.items.columns", "exactly one column of type id"},
	{"table name not an identifier", edit(0, "[tables.Bad]\ncolumns.id = { type = \"id\" }"), 47, "tables.Bad", "SQL identifier"},
	{"reserved qb_ table", edit(0, "[tables.qb_audit2]\ncolumns.id = { type = \"id\" }"), 47, "tables.qb_audit2", `"qb_" are reserved`},
	{"unknown referenced table", edit(38, `itemId = { type = "text", required = true, references = "item" }`), 38, "tables.logs.columns.itemId.references", `unknown table "item"; did you mean "items"?`},
	{"unknown displayColumn", edit(3, `displayColumn = "title"`), 3, "tables.items.displayColumn", `unknown column "title"`},
	{"unknown defaultSort column", edit(4, `defaultSort = ["name", "-created"]`), 4, "tables.items.defaultSort[1]", `unknown column "created"; did you mean "createdAt"?`},
	{"unknown upsertKey column", edit(2, `upsertKey = ["code"]`), 2, "tables.items.upsertKey[0]", `unknown column "code"`},
	{"unknown unique column", edit(2, `unique = [["name", "nope"]]`), 2, "tables.items.unique[0][1]", `unknown column "nope"`},
	{"unknown firewall key", edit(14, `organisation = {}`), 14, "tables.items.firewall.organisation", `did you mean "organization"?`},
	{"unknown firewall column", edit(14, `organization = { column = "orgId" }`), 14, "tables.items.firewall.organization.column", `unknown column "orgId"`},
	{"firewall default column missing", edit(0, "[tables.x]\ncolumns.id = { type = \"id\" }\nfirewall.organization = {}"), 49, "tables.x.firewall.organization", `no column "organizationId"`},
	{"bad owner mode", edit(15, `owner = { mode = "loose" }`), 15, "tables.items.firewall.owner.mode", `must be "strict" or "optional"`},
	{"optional owner without admins", edit(46, `admins = []`), 15, "tables.items.firewall.owner", "needs bypass roles"},
	{"bypass in strict mode", edit(15, `owner = { mode = "strict", bypass = ["admin"] }`), 15, "tables.items.firewall.owner.bypass", `only applies to mode = "optional"`},
	{"bad errorMode", edit(15, `errorMode = "silent"`), 15, "tables.items.firewall.errorMode", `must be "reveal" or "hide"`},
	{"unknown guard key", edit(18, `updateable = ["name"]`), 18, "tables.items.guards.updateable", `did you mean "updatable"?`},
	{"unknown guard column", edit(17, `createable = ["name", "scor"]`), 17, "tables.items.guards.createable[1]", `unknown column "scor"; did you mean "score"?`},
	{"system-managed guard column", edit(17, `createable = ["name", "organizationId"]`), 17, "tables.items.guards.createable[1]", "system-managed"},
	{"protected also updatable", edit(18, `updatable = ["name", "status"]`), 18, "tables.items.guards.updatable[1]", "is protected"},
	{"protected names unknown action", edit(19, `protected = { status = ["finnish"] }`), 19, "tables.items.guards.protected.status[0]", `unknown action "finnish"; did you mean "finish"?`},
	{"unknown crud operation", edit(21, `lst.access = { roles = ["viewer+"] }`), 21, "tables.items.crud.lst", `unknown operation "lst"`},
	{"crud op without access", edit(21, `list = {}`), 21, "tables.items.crud.list", `missing "access"`},
	{"bad delete mode", edit(21, `delete = { access = { roles = ["admin"] }, mode = "purge" }`), 21, "tables.items.crud.delete.mode", `must be "soft" or "hard"`},
	{"mode on list", edit(21, `list = { access = { roles = ["admin"] }, mode = "hard" }`), 21, "tables.items.crud.list.mode", `unknown key "mode"`},
	{"internal table with crud", edit(0, "[tables.logs.crud]\nlist.access = { roles = [\"admin\"] }"), 47, "tables.logs.crud", "internal table has no CRUD"},
	{"unknown role", edit(21, `list.access = { roles = ["viewr+"] }`), 21, "tables.items.crud.list.access.roles[0]", `unknown role "viewr"; did you mean "viewer"?`},
	{"empty roles list", edit(21, `list.access = { roles = [] }`), 21, "tables.items.crud.list.access.roles", "at least one role"},
	{"empty access rule", edit(21, `list.access = {}`), 21, "tables.items.crud.list.access", "empty rule"},
	{"unknown access key", edit(21, `list.access = { roles = ["viewer"], role = ["admin"] }`), 21, "tables.items.crud.list.access.role", `unknown key "role"`},
	{"sibling beside or", edit(22, `get.access = { roles = ["admin"], or = [{ roles = ["viewer"] }] }`), 22, "tables.items.crud.get.access.roles", `"roles" cannot appear beside "or"`},
	{"empty or", edit(22, `get.access = { or = [] }`), 22, "tables.items.crud.get.access.or", "at least one rule"},
	{"or of a non-table", edit(22, `get.access = { or = ["admin"] }`), 22, "tables.items.crud.get.access.or[0]", "must be a table"},
	{"and not an array", edit(22, `get.access = { and = { roles = ["admin"] } }`), 22, "tables.items.crud.get.access.and", "must be an array of access rules"},
	{"record-only rule", edit(21, `list.access = { record = { status = { equals = "new" } } }`), 21, "tables.items.crud.list.access", `admits callers by "record" alone`},
	{"record-only or branch", edit(22, `get.access = { or = [{ roles = ["admin"] }, { record = { ownerId = { equals = "$ctx.userId" } } }] }`), 22, "tables.items.crud.get.access.or[1]", `admits callers by "record" alone`},
	{"and without a role test", edit(22, `get.access = { and = [{ record = { ownerId = { equals = "$ctx.userId" } } }, { record = { status = { equals = "new" } } }] }`), 22, "tables.items.crud.get.access.and", `no member of this "and" has roles`},
	{"record-only nested or", edit(22, `get.access = { or = [{ roles = ["admin"] }, { or = [{ userRole = ["admin"] }, { record = { status = { equals = "new" } } }] }] }`), 22, "tables.items.crud.get.access.or[1].or[1]", `admits callers by "record" alone`},
	{"record-only action access", edit(27, `access = { record = { status = { equals = "new" } } }`), 27, "tables.items.actions.finish.access", `admits callers by "record" alone`},
	{"unknown record operator", edit(22, `get.access = { roles = ["viewer"], record = { ownerId = { eq = "$ctx.userId" } } }`), 22, "tables.items.crud.get.access.record.ownerId.eq", `unknown operator "eq"`},
	{"unknown record column", edit(22, `get.access = { and = [{ roles = ["viewer"] }, { record = { owner = { equals = "$ctx.userId" } } }] }`), 22, "tables.items.crud.get.access.and[1].record.owner", `unknown column "owner"`},
	{"unknown ctx field", edit(22, `get.access = { roles = ["viewer"], record = { ownerId = { equals = "$ctx.user" } } }`), 22, "tables.items.crud.get.access.record.ownerId.equals", `unknown context field "user"`},
	{"isNull not a bool", edit(22, `get.access = { roles = ["viewer"], record = { deletedBy = { isNull = "yes" } } }`), 22, "tables.items.crud.get.access.record.deletedBy.isNull", "must be true or false"},
	{"input ref in record condition", edit(22, `get.access = { roles = ["viewer"], record = { ownerId = { in = ["a", "$input.x"] } } }`), 22, "tables.items.crud.get.access.record.ownerId.in[1]", `only "$ctx.<field>"`},
	{"masking unknown column", edit(24, `nam = { type = "name" }`), 24, "tables.items.masking.nam", `unknown column "nam"`},
	{"unknown mask type", edit(24, `name = { type = "fullname" }`), 24, "tables.items.masking.name.type", `unknown mask type "fullname"`},
	{"show.or not owner", edit(24, `name = { type = "name", show = { or = "creator" } }`), 24, "tables.items.masking.name.show.or", `must be "owner"`},
	{"PUBLIC in show roles", edit(24, `name = { type = "name", show = { roles = ["PUBLIC"] } }`), 24, "tables.items.masking.name.show.roles[0]", `"PUBLIC" is not allowed here`},
	{"masked primary key", edit(24, `id = { type = "redact", show = { roles = ["admin"] } }`), 24, "tables.items.masking.id", `the primary key "id" cannot be masked`},
	{"unknown action key", edit(26, `kind = "record"`+"\n"+`type = "record"`), 26, "tables.items.actions.finish.kind", `unknown key "kind"`},
	{"bad action type", edit(26, `type = "update"`), 26, "tables.items.actions.finish.type", `must be "record" or "standalone"`},
	{"unknown input option", edit(28, `input.note = { type = "text", required = false, len = 3 }`), 28, "tables.items.actions.finish.input.note.len", `unknown key "len"`},
	{"undeclared input", edit(30, `set = { name = "$input.notes" }`), 30, "tables.items.actions.finish.set.name", `unknown input "notes"; did you mean "note"?`},
	{"unknown set column", edit(30, `set = { title = "x" }`), 30, "tables.items.actions.finish.set.title", `unknown column "title"`},
	{"set system-managed column", edit(30, `set = { organizationId = "$ctx.orgId" }`), 30, "tables.items.actions.finish.set.organizationId", "system-managed"},
	{"set literal of wrong type", edit(30, `set = { score = "ten" }`), 30, "tables.items.actions.finish.set.score", "must be an integer"},
	{"unknown reference kind", edit(30, `set = { name = "$user.name" }`), 30, "tables.items.actions.finish.set.name", `unknown reference "$user.name"`},
	{"transition via unknown input", edit(29, `transition = { field = "status", via = "next", from = { new = ["done"] } }`), 29, "tables.items.actions.finish.transition.via", `unknown input "next"`},
	{"transition via and to", edit(29, `transition = { field = "status", via = "note", to = "done", from = { new = ["done"] } }`), 29, "tables.items.actions.finish.transition.to", `either "via" or "to"`},
	{"transition on integer", edit(29, `transition = { field = "score", to = "done", from = { new = ["done"] } }`), 29, "tables.items.actions.finish.transition.field", "must be an enum or text column"},
	{"transition unknown state", edit(29, `transition = { field = "status", to = "done", from = { new = ["finished"] } }`), 29, "tables.items.actions.finish.transition.from.new[0]", `"finished" is not a value of status`},
	{"transition unknown key", edit(29, `transition = { field = "status", to = "done", from = { new = ["done"] }, when = 1 }`), 29, "tables.items.actions.finish.transition.when", `unknown key "when"`},
	{"insert unknown table", edit(32, `table = "log"`), 32, "tables.items.actions.finish.insert[0].table", `unknown table "log"`},
	{"insert unknown column", edit(33, `values = { itemId = "$record.id", whom = "$ctx.userId", at = "$now" }`), 33, "tables.items.actions.finish.insert[0].values.whom", `unknown column "whom"`},
	{"insert misses required column", edit(33, `values = { who = "$ctx.userId" }`), 31, "tables.items.actions.finish.insert[0]", `misses the required column "itemId"`},
	{"insert unknown ctx field", edit(33, `values = { itemId = "$record.id", who = "$ctx.uid" }`), 33, "tables.items.actions.finish.insert[0].values.who", `unknown context field "uid"`},
}

func TestBrokenConfigs(t *testing.T) {
	if len(brokenCases) < 25 {
		t.Fatalf("only %d broken cases", len(brokenCases))
	}
	for _, tc := range brokenCases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("broken.toml", []byte(tc.src))
			ps := problemsOf(t, err)
			if len(ps) != 1 {
				t.Fatalf("want exactly one problem, got %d:\n%v", len(ps), err)
			}
			p := ps[0]
			if p.File != "broken.toml" || p.Line != tc.line || p.Path != tc.path || !strings.Contains(p.Message, tc.msg) {
				t.Errorf("got  %s\nwant broken.toml:%d: %s: …%s…", p, tc.line, tc.path, tc.msg)
			}
			prefix := fmt.Sprintf("broken.toml:%d: ", tc.line)
			if tc.path != "" {
				prefix += tc.path + ": "
			}
			if !strings.HasPrefix(err.Error(), prefix) {
				t.Errorf("Error() = %q, want prefix %q", err.Error(), prefix)
			}
		})
	}
}

// Rules whose every admitted caller passes a role test (SPEC §3.2) load.
func TestRoleTestedRules(t *testing.T) {
	for _, rule := range []string{
		`{ roles = ["viewer"], record = { status = { equals = "new" } } }`,
		`{ userRole = ["admin"] }`,
		`{ roles = ["PUBLIC"] }`,
		`{ and = [{ roles = ["viewer"] }, { record = { status = { equals = "new" } } }] }`,
		`{ and = [{ or = [{ record = { status = { equals = "new" } } }, { record = { ownerId = { equals = "$ctx.userId" } } }] }, { roles = ["editor+"] }] }`,
		`{ or = [{ userRole = ["admin"] }, { roles = ["viewer"], record = { ownerId = { equals = "$ctx.userId" } } }] }`,
	} {
		if _, err := Parse("ok.toml", []byte(edit(21, "list.access = "+rule))); err != nil {
			t.Errorf("%s: %v", rule, err)
		}
	}
}

func TestAllProblemsInOneRun(t *testing.T) {
	src := `[project]
name = "T"
[auth]
roles = ["a", "b"]
[tables.things]
colour = "red"
[tables.things.columns]
id = { type = "id" }
kind = { type = "enum", values = ["x", "y"], default = "z" }
[tables.things.guards]
createable = ["knd"]
[tables.things.crud]
list.access = { roles = ["c"] }
[tables.things.actions.make]
type = "standalone"
access = { roles = ["a+"] }
set = { kind = "x" }
[[tables.things.actions.make.insert]]
table = "things"
values = { kind = "$record.kind" }
`
	_, err := Parse("multi.toml", []byte(src))
	ps := problemsOf(t, err)
	want := []string{
		`multi.toml:1: project: missing "database"`,
		`multi.toml:6: tables.things.colour: unknown key "colour" (expected one of: label, internal, displayColumn, defaultSort, upsertKey, unique, columns, firewall, guards, crud, masking, actions, table)`,
		`multi.toml:9: tables.things.columns.kind.default: "z" is not one of the values ["x", "y"]`,
		`multi.toml:11: tables.things.guards.createable[0]: unknown column "knd"; did you mean "kind"?`,
		`multi.toml:13: tables.things.crud.list.access.roles[0]: unknown role "c"`,
		`multi.toml:17: tables.things.actions.make.set: a standalone action has no record to set; use insert`,
		`multi.toml:20: tables.things.actions.make.insert[0].values.kind: a standalone action has no record; "$record.kind" is not available`,
	}
	got := strings.Split(err.Error(), "\n")
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for i := 1; i < len(ps); i++ {
		if ps[i].Line < ps[i-1].Line {
			t.Errorf("problems not sorted by line: %v", ps)
		}
	}
}

func TestRoleExpansion(t *testing.T) {
	tests := []struct {
		roles  string
		want   []string
		public bool
	}{
		{`["viewer+"]`, []string{"viewer", "editor", "admin"}, false},
		{`["editor+"]`, []string{"editor", "admin"}, false},
		{`["admin+"]`, []string{"admin"}, false},
		{`["viewer", "admin"]`, []string{"viewer", "admin"}, false},
		{`["admin", "editor+"]`, []string{"admin", "editor"}, false},
		{`["PUBLIC"]`, nil, true},
		{`["PUBLIC", "editor+"]`, []string{"editor", "admin"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.roles, func(t *testing.T) {
			cfg, err := Parse("roles.toml", []byte(edit(21, `list.access = { roles = `+tc.roles+` }`)))
			if err != nil {
				t.Fatal(err)
			}
			a := cfg.Table("items").CRUD[OpList].Access
			if !reflect.DeepEqual(a.Roles, tc.want) || a.Public != tc.public {
				t.Errorf("roles = %v public = %v, want %v %v", a.Roles, a.Public, tc.want, tc.public)
			}
		})
	}
	cfg, err := Parse("roles.toml", []byte(edit(46, `admins = ["editor+"]`)))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Auth.Admins; !reflect.DeepEqual(got, []string{"editor", "admin"}) {
		t.Errorf("admins = %v", got)
	}
	if got := cfg.Table("items").Firewall.Owner.Bypass; !reflect.DeepEqual(got, []string{"editor", "admin"}) {
		t.Errorf("bypass = %v", got)
	}
}

func TestUnknownRoles(t *testing.T) {
	tests := []struct {
		line       int
		text, path string
	}{
		{21, `list.access = { roles = ["manager"] }`, "tables.items.crud.list.access.roles[0]"},
		{21, `list.access = { or = [{ roles = ["viewer"] }, { roles = ["viewer", "boss+"] }] }`, "tables.items.crud.list.access.or[1].roles[1]"},
		{15, `owner = { mode = "optional", bypass = ["root"] }`, "tables.items.firewall.owner.bypass[0]"},
		{46, `admins = ["root"]`, "auth.admins[0]"},
		{24, `name = { type = "name", show = { roles = ["root"] } }`, "tables.items.masking.name.show.roles[0]"},
		{27, `access = { roles = ["root"] }`, "tables.items.actions.finish.access.roles[0]"},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			_, err := Parse("r.toml", []byte(edit(tc.line, tc.text)))
			ps := problemsOf(t, err)
			if len(ps) != 1 || ps[0].Path != tc.path || ps[0].Line != tc.line || !strings.HasPrefix(ps[0].Message, "unknown role") {
				t.Errorf("got %v", err)
			}
		})
	}
}

func TestLines(t *testing.T) {
	src := edit(17, "createable = [\n  \"name\",\n  # a comment, with a ] and a \"\n  'scor',\n]")
	_, err := Parse("l.toml", []byte(src))
	ps := problemsOf(t, err)
	if len(ps) != 1 || ps[0].Line != 20 || ps[0].Path != "tables.items.guards.createable[1]" {
		t.Errorf("got %v", err)
	}

	idx := indexLines(`# c
[a]
"b.c" = { d = [1, { e = """x
y"""}], f.g = 'h' }
[[arr]]
k = 1
[[arr]]
[arr.sub]
k = 2
`)
	want := map[string]int{
		"a": 2, `a."b.c"`: 3, `a."b.c".d`: 3, `a."b.c".d[1]`: 3, `a."b.c".d[1].e`: 3, `a."b.c".f.g`: 4,
		"arr": 5, "arr[0]": 5, "arr[0].k": 6, "arr[1]": 7, "arr[1].sub": 8, "arr[1].sub.k": 9,
	}
	for k, v := range want {
		if idx[k] != v {
			t.Errorf("line of %s = %d, want %d", k, idx[k], v)
		}
	}
}

func TestLoadFile(t *testing.T) {
	_, err := Load("testdata/does-not-exist.toml")
	ps := problemsOf(t, err)
	if len(ps) != 1 || !strings.HasPrefix(err.Error(), "testdata/does-not-exist.toml: cannot read config") {
		t.Errorf("got %v", err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/qb.toml", []byte(base), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := mustLoad(t, dir+"/qb.toml")
	if cfg.Dir != dir || cfg.DatabasePath() != dir+"/t.db" {
		t.Errorf("Dir = %q, DatabasePath = %q", cfg.Dir, cfg.DatabasePath())
	}
}

func TestFileOrder(t *testing.T) {
	src := strings.Replace(base, "memo = { type = \"text\" }", "zeta = { type = \"text\" }\nalpha = { type = \"text\" }", 1)
	cfg, err := Parse("o.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	got := cfg.Table("items").ColumnNames()[:8]
	want := []string{"id", "organizationId", "ownerId", "name", "status", "score", "zeta", "alpha"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("columns = %v, want %v", got, want)
	}
}

// FuzzParse checks that Parse never panics and returns either a config or
// a non-empty *Problems.
func FuzzParse(f *testing.F) {
	// The seeds are whole configs of several KB; the default minimisation
	// budget (60s per interesting input) would spend a short run minimising
	// instead of fuzzing. Keep a -fuzzminimizetime given on the command line.
	if fl := flag.Lookup("test.fuzzminimizetime"); fl != nil && !flagGiven("test.fuzzminimizetime") {
		_ = fl.Value.Set("2s")
	}
	if src, err := os.ReadFile("../quickback.toml"); err == nil {
		f.Add(src)
	}
	f.Add([]byte(base))
	for _, tc := range brokenCases {
		f.Add([]byte(tc.src))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		cfg, err := Parse("fuzz.toml", src)
		if (cfg == nil) == (err == nil) {
			t.Fatalf("want exactly one of config and error: %v %v", cfg, err)
		}
		if err != nil {
			var ps *Problems
			if !errors.As(err, &ps) || len(*ps) == 0 {
				t.Fatalf("error is not a non-empty *Problems: %T %v", err, err)
			}
			for _, p := range *ps {
				if p.Line < 1 {
					t.Fatalf("problem without a line: %v", p)
				}
			}
			_ = err.Error()
		}
	})
}

func flagGiven(name string) bool {
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}

func TestValueForms(t *testing.T) {
	src := edit(0, `[tables.feed]
guards = false
defaultSort = ["name", "-score"]
[tables.feed.columns]
id = { type = "id" }
name = { type = "text", column = "display_name", default = "$x" }
score = { type = "real", min = 0, default = 1 }
at = { type = "timestamp", default = "now" }
flag = { type = "boolean", default = true }
[tables.feed.firewall]
errorMode = "hide"
[tables.feed.crud]
list.access = { roles = ["viewer"], userRole = ["admin"], record = { score = { gte = 1, lt = 9.5 }, name = { in = ["a", "$$b", "$ctx.email"], notEquals = "$$ctx.x" }, deletedAt = { isNull = true } } }
delete = { access = { and = [{ roles = ["admin"] }, { userRole = ["admin"] }] }, mode = "hard" }
[tables.feed.actions.ping]
type = "standalone"
access = { roles = ["PUBLIC"] }
input.n = { type = "integer", default = 3 }
[[tables.feed.actions.ping.insert]]
table = "feed"
values = { name = "$$literal", score = 2, at = "$now", flag = "$input.n" }
[tables.feed2]
[tables.feed2.columns]
id = { type = "id" }
a = { type = "text" }
[tables.feed2.guards]
protected = ["a"]
`)
	cfg, err := Parse("v.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	feed := cfg.Table("feed")
	if !feed.Guards.Disabled || !feed.Hidden() || feed.Firewall.Organization != nil {
		t.Errorf("feed guards/firewall = %+v %+v", feed.Guards, feed.Firewall)
	}
	if !reflect.DeepEqual(feed.DefaultSort, []SortKey{{Column: "name"}, {Column: "score", Desc: true}}) {
		t.Errorf("defaultSort = %v", feed.DefaultSort)
	}
	name := feed.Column("name")
	if name.SQLName != "display_name" || name.Default != "$x" {
		t.Errorf("name = %+v", name)
	}
	if c := feed.Column("score"); c.Default != 1.0 || *c.Min != 0 {
		t.Errorf("score = %+v", c)
	}
	if c := feed.Column("at"); c.Default != "now" || !c.HasDefault {
		t.Errorf("at = %+v", c)
	}
	if c := feed.Column("flag"); c.Default != true {
		t.Errorf("flag = %+v", c)
	}
	list := feed.CRUD[OpList].Access
	wantConds := []Condition{
		{Column: "score", Op: CondGte, Value: int64(1)},
		{Column: "score", Op: CondLt, Value: 9.5},
		{Column: "name", Op: CondIn, Value: []any{"a", "$b", Ref{Kind: "ctx", Field: "email"}}},
		{Column: "name", Op: CondNotEquals, Value: "$ctx.x"},
		{Column: "deletedAt", Op: CondIsNull, Value: true},
	}
	if !reflect.DeepEqual(list.Record, wantConds) || !reflect.DeepEqual(list.UserRoles, []string{"admin"}) {
		t.Errorf("list access = %+v", list)
	}
	del := feed.CRUD[OpDelete]
	if del.DeleteMode != "hard" || len(del.Access.And) != 2 || del.Access.And[1].Path != "tables.feed.crud.delete.access.and[1]" {
		t.Errorf("delete = %+v", del)
	}
	ping := feed.Action("ping")
	if !ping.Access.Public || ping.Access.Roles != nil {
		t.Errorf("ping access = %+v", ping.Access)
	}
	if in := ping.Input("n"); in.Required || in.Default != int64(3) {
		t.Errorf("input n = %+v (a default makes an input optional)", in)
	}
	wantVals := []Assign{
		{Column: "name", Value: "$literal"},
		{Column: "score", Value: 2.0},
		{Column: "at", Value: Ref{Kind: "now"}},
		{Column: "flag", Value: Ref{Kind: "input", Field: "n"}},
	}
	if !reflect.DeepEqual(ping.Inserts[0].Values, wantVals) {
		t.Errorf("insert values = %#v", ping.Inserts[0].Values)
	}
	if p := cfg.Table("feed2").Guards.Protected; !reflect.DeepEqual(p, map[string][]string{"a": nil}) {
		t.Errorf("protected list form = %#v", p)
	}
	if cfg.Table("feed2").CRUD != nil {
		t.Error("a table without crud must have no operations")
	}
}

func TestMissingSections(t *testing.T) {
	_, err := Parse("empty.toml", nil)
	want := "empty.toml:1: project: missing [project] section (name and database)\n" +
		"empty.toml:1: auth: missing [auth] section (roles)\n" +
		"empty.toml:1: tables: no tables declared"
	if err == nil || err.Error() != want {
		t.Errorf("got:\n%v\nwant:\n%s", err, want)
	}
}

// TestLoadUnreadable: a config that cannot be read is one problem naming
// the file, with the operating system's error underneath for errors.Is and
// errors.As.
func TestLoadUnreadable(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.toml")
	_, err := Load(missing)
	if !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), missing+": cannot read config: ") {
		t.Errorf("missing file: %v", err)
	}
	dir := t.TempDir()
	_, err = Load(dir)
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Path != dir || errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a directory: %v", err)
	}
	if _, err := Parse("x.toml", []byte("[project\n")); errors.As(err, &pe) {
		t.Errorf("a syntax error unwraps to a file error: %v", err)
	}
}

// TestParseSortKey: a sort key as --sort and test files give it.
func TestParseSortKey(t *testing.T) {
	for _, c := range []struct {
		in   string
		want SortKey
	}{
		{"name", SortKey{Column: "name"}},
		{"+name", SortKey{Column: "name"}},
		{"-createdAt", SortKey{Column: "createdAt", Desc: true}},
		{"", SortKey{}},
	} {
		if got := ParseSortKey(c.in); got != c.want {
			t.Errorf("ParseSortKey(%q) = %+v, want %+v", c.in, got, c.want)
		}
	}
}
