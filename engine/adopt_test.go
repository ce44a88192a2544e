package engine_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/engine/seed"
	"quickback.dev/qb/internal/enginetest"
	"quickback.dev/qb/schema"
)

// adQuickbackConfig is the default config naming testdata/quickback's
// database as it is (enginetest.QuickbackEdits), with more edits.
func adQuickbackConfig(t *testing.T, edits ...enginetest.Edit) *schema.Config {
	return enginetest.OwnConfig(t, append(append([]enginetest.Edit{}, enginetest.QuickbackEdits...), edits...)...)
}

// adTheirDB builds a database qb never opened (enginetest.TheirDB) and
// returns its path.
func adTheirDB(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "their.db")
	enginetest.TheirDB(t, path)
	return path
}

// adRaw opens a database file behind qb's back (closed at the end).
func adRaw(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

// adTheirs renders everything of a database that is not qb's: the schema
// (sqlite_master) and every row of every table but the qb_* ones.
func adTheirs(t *testing.T, path string) string {
	t.Helper()
	db := adRaw(t, path)
	var b strings.Builder
	for _, r := range enginetest.Rows(t, db, `SELECT type, name, tbl_name, COALESCE(sql, '') FROM sqlite_master WHERE tbl_name NOT LIKE 'qb\_%' ESCAPE '\' ORDER BY type, name`) {
		fmt.Fprintln(&b, r...)
	}
	var skip []string
	for _, r := range enginetest.Rows(t, db, `SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'qb\_%' ESCAPE '\'`) {
		skip = append(skip, r[0].(string))
	}
	b.WriteString(enginetest.Dump(t, db, skip...))
	db.Close()
	return b.String()
}

// TestAdoptionChangesNothingOfTheirs: qb opens a Quickback project's
// database it did not create, adds only its own qb_* tables, and a session
// of reads (every table as several identities, gets, explanations, the
// identity list, the policy diff), refused writes and dry runs changes no
// table, index or row of the project's.
func TestAdoptionChangesNothingOfTheirs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := adTheirDB(t)
	before := adTheirs(t, path)
	if !strings.Contains(before, "== atsImports\n") || !strings.Contains(before, "== user\n") {
		t.Fatalf("their database lacks the tables the session reads:\n%.400s", before)
	}
	cfg := adQuickbackConfig(t)
	e, err := engine.Open(cfg, path, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Members(ctx); err != nil {
		t.Fatal(err)
	}
	refusals, dryRuns := 0, 0
	for _, who := range []string{"u-olivia", "u-dana", "u-rachel", "u-ivan", "u-sam"} {
		id := enginetest.Member(t, e, who, "acme")
		for _, table := range cfg.TableNames() {
			rows, err := ctListAll(t, e, id, table, engine.ListQuery{Limit: 3})
			if err != nil {
				refusals++
				continue
			}
			for _, r := range rows {
				if _, err := e.Get(ctx, id, table, r.ID()); err != nil {
					t.Errorf("get %s %s as %s: %v", table, r.ID(), who, err)
				}
				if _, err := e.Explain(ctx, id, table, r.ID()); err != nil {
					t.Errorf("explain %s %s as %s: %v", table, r.ID(), who, err)
				}
			}
			if len(rows) > 0 {
				// An update of every column: refused by a guard, or a
				// dry run.
				if _, err := e.Update(ctx, id, table, rows[0].ID(), map[string]any{"id": "x"}, engine.WriteOptions{}); err == nil {
					t.Errorf("update of %s's id as %s was allowed", table, who)
				} else {
					refusals++
				}
				if _, err := e.Delete(ctx, id, table, rows[0].ID(), engine.WriteOptions{DryRun: true}); err == nil {
					dryRuns++
				}
			}
		}
		if _, err := e.Create(ctx, id, "jobs", map[string]any{"title": "Dry"}, engine.WriteOptions{DryRun: true}); err == nil {
			dryRuns++
		}
		if _, err := e.Run(ctx, id, "applications", "advanceStage", "a-1001", map[string]any{"stage": "screening"}, engine.WriteOptions{DryRun: true}); err == nil {
			dryRuns++
		}
		if _, err := e.Upsert(ctx, id, "ats_imports", map[string]any{"externalId": "greenhouse-1001", "source": "x"}, engine.WriteOptions{}); err == nil {
			t.Errorf("upsert of a not-updatable field as %s was allowed", who)
		}
	}
	if _, err := e.Diff(ctx, enginetest.Config(t, enginetest.QuickbackEdits...)); err != nil {
		t.Errorf("diff: %v", err)
	}
	if refusals < 10 || dryRuns < 5 {
		t.Fatalf("the session refused %d writes and dry-ran %d: too few to show anything", refusals, dryRuns)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if after := adTheirs(t, path); after != before {
		t.Errorf("qb changed their database:\n%s", enginetest.FirstDiff(before, after))
	}
	db := adRaw(t, path)
	var qbTables []string
	for _, r := range enginetest.Rows(t, db, `SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'qb\_%' ESCAPE '\' ORDER BY name`) {
		qbTables = append(qbTables, r[0].(string))
	}
	if want := []string{"qb_audit", "qb_meta"}; !reflect.DeepEqual(qbTables, want) {
		t.Errorf("qb added %v, want only %v (identities stay in Better Auth's tables)", qbTables, want)
	}
}

// TestAdoptionReportsEveryMismatch: a database qb did not create that
// differs from the config is refused with every mismatch named (table,
// column, expected, found) in one error, and left exactly as it was: no
// column added or retyped, no qb_* table created.
func TestAdoptionReportsEveryMismatch(t *testing.T) {
	t.Parallel()
	path := adTheirDB(t)
	db := adRaw(t, path)
	for _, st := range []string{
		"ALTER TABLE `candidates` DROP COLUMN `phone`",
		"ALTER TABLE `jobs` RENAME COLUMN `salary_min` TO `min_salary`",
		"ALTER TABLE `jobs` RENAME COLUMN `salary_max` TO `salaryMax`",
		"ALTER TABLE `interview_notes` DROP COLUMN `rating`",
		"ALTER TABLE `interview_notes` ADD `rating` text",
		"UPDATE `applications` SET `created_at` = strftime('%Y-%m-%dT%H:%M:%SZ', `created_at`)",
		"DROP TABLE `interview_scores`",
	} {
		if _, err := db.Exec(st); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
	}
	db.Close()
	before := adTheirs(t, path) + adQBObjects(t, path)
	_, err := engine.Open(adQuickbackConfig(t), path, engine.Options{})
	var le *engine.LayoutError
	if !errors.As(err, &le) || !le.Adopted {
		t.Fatalf("open: %v, want an adopted LayoutError", err)
	}
	want := []engine.Mismatch{
		{Table: "jobs", Column: "salary_min", Expected: "integer", Found: "no such column", Config: "tables.jobs.columns.salaryMin"},
		{Table: "jobs", Column: "salary_max", Expected: "integer", Found: `no such column (the table has salaryMax: column = "salaryMax"?)`, Config: "tables.jobs.columns.salaryMax"},
		{Table: "candidates", Column: "phone", Expected: "text", Found: "no such column", Config: "tables.candidates.columns.phone"},
		{Table: "interview_notes", Column: "rating", Expected: "integer", Found: "text", Config: "tables.interview_notes.columns.rating"},
		{Table: "applications", Column: "created_at", Expected: "text (ISO-8601 text with milliseconds (2026-01-18T11:30:00.000Z))",
			Found: `ISO-8601 text without milliseconds (2026-01-18T11:30:00Z), for example "2026-01-10T09:30:00Z": declare format = "iso_s"`, Config: "tables.applications.columns.createdAt"},
		{Table: "interview_scores", Expected: "a table", Found: "no such table", Config: "tables.interview_scores"},
	}
	if !reflect.DeepEqual(le.Mismatches, want) {
		t.Errorf("mismatches:\n got %v\nwant %v", le.Mismatches, want)
	}
	for _, m := range want {
		if !strings.Contains(le.Error(), m.String()) {
			t.Errorf("the error does not name %q:\n%s", m, le.Error())
		}
	}
	if after := adTheirs(t, path) + adQBObjects(t, path); after != before {
		t.Errorf("a refused adoption changed the database:\n%s", enginetest.FirstDiff(before, after))
	}
	if got := adQBObjects(t, path); got != "" {
		t.Errorf("a refused adoption created %s", got)
	}
	// Read-only, the same mismatches.
	_, err = engine.Open(adQuickbackConfig(t), path, engine.Options{ReadOnly: true})
	var ro *engine.LayoutError
	if !errors.As(err, &ro) || !reflect.DeepEqual(ro.Mismatches, want) {
		t.Errorf("read-only open: %v", err)
	}
}

// adQBObjects lists the database's qb_* objects.
func adQBObjects(t *testing.T, path string) string {
	t.Helper()
	var out []string
	for _, r := range enginetest.Rows(t, adRaw(t, path), `SELECT name FROM sqlite_master WHERE tbl_name LIKE 'qb\_%' ESCAPE '\' ORDER BY name`) {
		out = append(out, r[0].(string))
	}
	return strings.Join(out, " ")
}

// TestQuickbackIdentities: with [auth].source = "better-auth", the
// identities seeded into Better Auth's tables are the same as the default
// project's in qb_* tables, everywhere identities are listed or resolved;
// qb keeps none of its own.
func TestQuickbackIdentities(t *testing.T) {
	ctx := context.Background()
	qb := enginetest.Seeded(t)
	ba := enginetest.Seeded(t, enginetest.Quickback())
	want, err := qb.Members(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ba.Members(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("members differ:\n got %v\nwant %v", got, want)
	}
	wantOrgs, _ := qb.Organizations(ctx)
	if gotOrgs, err := ba.Organizations(ctx); err != nil || !reflect.DeepEqual(gotOrgs, wantOrgs) {
		t.Errorf("organizations %v (%v), want %v", gotOrgs, err, wantOrgs)
	}
	for _, as := range [][3]string{{"u-marco", "globex", ""}, {"MARCO@ACME.TEST", "acme", ""}, {"u-dana", "", "interviewer"}, {"", "acme", "recruiter"}, {"u-sam", "", ""}} {
		a, aerr := qb.ResolveIdentity(ctx, as[0], as[1], as[2])
		b, berr := ba.ResolveIdentity(ctx, as[0], as[1], as[2])
		if !reflect.DeepEqual(a, b) || fmt.Sprint(aerr) != fmt.Sprint(berr) {
			t.Errorf("resolve %v: qb %+v (%v), better-auth %+v (%v)", as, a, aerr, b, berr)
		}
	}
	for _, as := range [][3]string{{"u-nobody", "", ""}, {"u-marco", "", ""}, {"u-dana", "globex", ""}, {"", "", "owner"}, {"", "nowhere", "owner"}} {
		_, aerr := qb.ResolveIdentity(ctx, as[0], as[1], as[2])
		_, berr := ba.ResolveIdentity(ctx, as[0], as[1], as[2])
		if aerr == nil || fmt.Sprint(aerr) != fmt.Sprint(berr) {
			t.Errorf("resolve %v: qb %v, better-auth %v", as, aerr, berr)
		}
	}
	db := engine.RawDB(ba)
	var users, members, qbTables int
	var created any
	if err := db.QueryRow(`SELECT (SELECT count(*) FROM "user"), (SELECT count(*) FROM member), (SELECT count(*) FROM sqlite_master WHERE name IN ('qb_users', 'qb_members', 'qb_organizations')), (SELECT created_at FROM member LIMIT 1)`).Scan(&users, &members, &qbTables, &created); err != nil {
		t.Fatal(err)
	}
	if users == 0 || members < users || qbTables != 0 {
		t.Errorf("Better Auth tables hold %d users and %d members; %d qb identity tables exist", users, members, qbTables)
	}
	if _, ok := created.(int64); !ok {
		t.Errorf("member.created_at = %T %v, want epoch milliseconds as the column's integer type", created, created)
	}
	// Seeding again changes nothing.
	rep, err := ba.Seed(ctx, enginetest.Fixtures(t, ba.Config()), false)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Changed() {
		t.Errorf("a second seed into Better Auth's tables changed %+v", rep.Tables)
	}
}

// TestBetterAuthSpellings: Better Auth's own default schema spells its
// columns in camelCase (organizationId, userId, createdAt) and may lack the
// admin plugin's role column; both are read as they are, and seeding
// writes into them.
func TestBetterAuthSpellings(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "camel.db")
	db := adRaw(t, path)
	for _, st := range []string{
		`CREATE TABLE "user" ("id" text NOT NULL PRIMARY KEY, "name" text NOT NULL, "email" text NOT NULL UNIQUE, "emailVerified" integer NOT NULL, "image" text, "createdAt" date NOT NULL, "updatedAt" date NOT NULL)`,
		`CREATE TABLE "organization" ("id" text NOT NULL PRIMARY KEY, "name" text NOT NULL, "slug" text NOT NULL UNIQUE, "logo" text, "createdAt" date NOT NULL, "metadata" text)`,
		`CREATE TABLE "member" ("id" text NOT NULL PRIMARY KEY, "organizationId" text NOT NULL REFERENCES "organization" ("id") ON DELETE CASCADE, "userId" text NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE, "role" text NOT NULL, "createdAt" date NOT NULL)`,
		`INSERT INTO "user" VALUES ('u1', 'Ada', 'ada@example.com', 1, NULL, '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z')`,
		`INSERT INTO "organization" VALUES ('o1', 'One', 'one', NULL, '2025-01-01T00:00:00.000Z', NULL)`,
		`INSERT INTO "member" VALUES ('m1', 'o1', 'u1', 'owner', '2025-01-01T00:00:00.000Z')`,
		`INSERT INTO "member" VALUES ('m2', 'o1', 'u1', 'member', '2025-01-01T00:00:00.000Z')`,
	} {
		if _, err := db.Exec(st); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
	}
	db.Close()
	cfg, err := schema.Parse(filepath.Join(t.TempDir(), "qb.toml"), []byte(`[project]
name = "camel"
database = "camel.db"
[auth]
roles = ["viewer", "owner"]
source = "better-auth"
[tables.notes]
[tables.notes.columns]
id = { type = "id" }
organizationId = { type = "text", required = true }
body = { type = "text" }
[tables.notes.firewall]
organization = {}
[tables.notes.crud]
list.access = { roles = ["viewer+"] }
`))
	if err != nil {
		t.Fatal(err)
	}
	// The notes table is not theirs: qb migrate creates it.
	if _, err := engine.Open(cfg, path, engine.Options{}); err == nil || !strings.Contains(err.Error(), "table notes (tables.notes): expected a table, found no such table") {
		t.Fatalf("open without the notes table: %v", err)
	}
	e, err := engine.Open(cfg, path, engine.Options{CreateTables: true})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ms, err := e.Members(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []engine.Member{{UserID: "u1", Name: "Ada", Email: "ada@example.com", UserRole: "user", OrgID: "o1", OrgName: "One", Role: "member"}, {UserID: "u1", Name: "Ada", Email: "ada@example.com", UserRole: "user", OrgID: "o1", OrgName: "One", Role: "owner"}}
	if !reflect.DeepEqual(ms, want) {
		t.Errorf("members %+v", ms)
	}
	chk, err := e.CheckDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !chk.Adopted || len(chk.Warnings) != 1 || !strings.Contains(chk.Warnings[0], `1 membership has the role "member", which [auth].roles does not list (viewer, owner)`) {
		t.Errorf("check: %+v", chk)
	}
	rep, err := e.Seed(ctx, &seed.Data{
		Organizations: []seed.Org{{ID: "o2", Name: "Two"}},
		Users:         []seed.User{{ID: "u2", Name: "Bo", Email: "bo@example.com", Memberships: []seed.Membership{{Org: "o2", Role: "viewer"}}}},
	}, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(rep.Tables); got != "[{organizations 1 0 0 0} {users 1 0 0 0} {memberships 1 0 0 0}]" {
		t.Errorf("seed report %s", got)
	}
	id, err := e.ResolveIdentity(ctx, "bo@example.com", "", "")
	if err != nil || id.OrgID != "o2" || id.Role != "viewer" || id.UserRole != "user" {
		t.Errorf("seeded user resolves to %+v (%v)", id, err)
	}
	var orgID, created string
	if err := engine.RawDB(e).QueryRow(`SELECT "organizationId", "createdAt" FROM member WHERE "userId" = 'u2'`).Scan(&orgID, &created); err != nil || orgID != "o2" || !strings.HasSuffix(created, "Z") {
		t.Errorf("seeded member: org %q createdAt %q (%v): the date column holds ISO text", orgID, created, err)
	}
}

// TestAdoptionSamplesValueForms: a timestamp column's values show which
// format it holds — all of another format is a mismatch naming the format
// to declare, some of another a warning — and a boolean holding values
// other than 0 and 1 is a mismatch.
func TestAdoptionSamplesValueForms(t *testing.T) {
	path := filepath.Join(t.TempDir(), "forms.db")
	db := adRaw(t, path)
	for _, st := range []string{
		"CREATE TABLE `events` (`id` text PRIMARY KEY NOT NULL, `at` integer, `seen` text, `done` integer DEFAULT false NOT NULL, `kind` text, `created_at` text NOT NULL, `created_by` text, `modified_at` text, `modified_by` text, `deleted_at` text, `deleted_by` text)",
		"INSERT INTO `events` VALUES ('e1', 1737199800, '2025-01-18T11:30:00Z', 'true', 'a', '2025-01-18T11:30:00.000Z', NULL, NULL, NULL, NULL, NULL)",
		"INSERT INTO `events` VALUES ('e2', 1737199900, '2025-01-18T11:31:00.250Z', 'false', 'zzz', '2025-01-18T11:31:00Z', NULL, NULL, NULL, NULL, NULL)",
		"INSERT INTO `events` VALUES ('e3', NULL, NULL, 'yes', 'b', '2025-01-18T11:32:00.000Z', NULL, NULL, NULL, NULL, NULL)",
	} {
		if _, err := db.Exec(st); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
	}
	db.Close()
	cfgText := `[project]
name = "forms"
database = "forms.db"
[auth]
roles = ["viewer"]
[tables.events]
[tables.events.columns]
id = { type = "id" }
at = { type = "timestamp", format = "epoch_ms" }
seen = { type = "timestamp", format = "iso_s" }
done = { type = "boolean" }
kind = { type = "enum", values = ["a", "b"] }
`
	cfg, err := schema.Parse(filepath.Join(t.TempDir(), "qb.toml"), []byte(cfgText))
	if err != nil {
		t.Fatal(err)
	}
	_, err = engine.Open(cfg, path, engine.Options{ReadOnly: true})
	var le *engine.LayoutError
	if !errors.As(err, &le) {
		t.Fatalf("open: %v", err)
	}
	got := fmt.Sprint(le.Mismatches)
	for _, want := range []string{
		`table events, column at (tables.events.columns.at): expected integer (epoch milliseconds), found integers of epoch seconds, for example 1737199800: declare format = "epoch_s"`,
		`table events, column done (tables.events.columns.done): expected integer (0 or 1), found other values, for example "true"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("mismatches lack %q:\n%s", want, got)
		}
	}
	if len(le.Mismatches) != 2 {
		t.Errorf("%d mismatches, want 2 (mixed formats and unlisted enum values only warn): %s", len(le.Mismatches), got)
	}
	// Declared as stored, the database opens; what is mixed is a warning.
	fixed := strings.Replace(strings.Replace(cfgText, `format = "epoch_ms"`, `format = "epoch_s"`, 1), `done = { type = "boolean" }`, "", 1)
	if cfg, err = schema.Parse(filepath.Join(t.TempDir(), "qb.toml"), []byte(fixed)); err != nil {
		t.Fatal(err)
	}
	e, err := engine.Open(cfg, path, engine.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	chk, err := e.CheckDatabase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	warnings := strings.Join(chk.Warnings, "\n")
	for _, want := range []string{
		`table events, column seen (tables.events.columns.seen): holds ISO-8601 text with milliseconds (2026-01-18T11:30:00.000Z) as well as the declared text (ISO-8601 text without milliseconds (2026-01-18T11:30:00Z)), for example "2025-01-18T11:31:00.250Z"`,
		`table events, column kind (tables.events.columns.kind): holds values the config does not list, for example "zzz"`,
		`table events, column created_at (tables.events.columns.createdAt): holds ISO-8601 text without milliseconds (2026-01-18T11:30:00Z) as well as the declared`,
	} {
		if !strings.Contains(warnings, want) {
			t.Errorf("warnings lack %q:\n%s", want, warnings)
		}
	}
}

// TestConformanceQuickback runs the conformance cases on a Quickback
// project's database (testdata/quickback: Quickback's migrations, Better
// Auth identities, a camelCase table, a renamed column, columns the config
// does not name), seeded through qb: every rule of SPEC §3 holds there as
// on a database qb created.
func TestConformanceQuickback(t *testing.T) {
	if testing.Short() {
		t.Skip("the whole conformance suite again")
	}
	for _, c := range ctConformanceCases() {
		t.Run(c.name, func(t *testing.T) { c.runOn(t, enginetest.Quickback()) })
	}
	t.Run("firewall-indistinguishable", func(t *testing.T) { ctIndistinguishable(t, enginetest.Quickback()) })
	// Actions (SPEC §3.5): check order, transitions, stamped inserts into a
	// table whose column is renamed, dry runs.
	for name, f := range map[string]func(*testing.T, ...enginetest.Option){
		"action-role-required": actRoleRequiredBeforeAnyRow, "action-input": actInputValidation,
		"action-transition-refused": actTransitionRefused, "action-pipeline": actPipelineTransitions,
		"action-submit-score": actSubmitScoreInserts, "action-dry-run": actDryRun,
	} {
		t.Run(name, func(t *testing.T) { f(t, enginetest.Quickback()) })
	}
}

// TestAdoptionIndexes: on a Quickback project's database (whose own
// indexes scope by organization and soft delete but keep no order), qb
// suggests the indexes that make each firewall scope and keyset page an
// index seek, creates them only when asked (with progress, audited), and
// lists give the same rows before and after; afterwards EXPLAIN QUERY PLAN
// shows a seek through them for first and later pages, with no sort.
func TestAdoptionIndexes(t *testing.T) {
	ctx := context.Background()
	e := enginetest.Seeded(t, enginetest.Quickback())
	sugg, err := e.SuggestedIndexes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range sugg {
		names = append(names, s.Name)
	}
	want := []string{"qbx_jobs_scope", "qbx_candidates_scope", "qbx_interview_notes_scope", "qbx_interview_notes_owner", "qbx_applications_scope", "qbx_interview_scores_scope", "qbx_ats_imports_scope"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("suggested %v, want %v", names, want)
	}
	if got := sugg[6].SQL; got != `CREATE INDEX IF NOT EXISTS "qbx_ats_imports_scope" ON "atsImports" ("organization_id", "created_at", "id") WHERE "deleted_at" IS NULL` {
		t.Errorf("ats_imports index: %s", got)
	}
	cases := []struct{ user, table, index string }{
		{"u-ivan", "candidates", "qbx_candidates_scope"},
		{"u-priya", "interview_notes", "qbx_interview_notes_owner"},
		{"u-hiro", "applications", "qbx_applications_scope"},
		{"u-olivia", "ats_imports", "qbx_ats_imports_scope"},
	}
	lists := func() string {
		var b strings.Builder
		for _, c := range cases {
			rows, err := ctListAll(t, e, enginetest.Member(t, e, c.user, "acme"), c.table, engine.ListQuery{Limit: 2})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				b.WriteString(r.ID() + " ")
			}
			b.WriteString("\n")
		}
		return b.String()
	}
	before := lists()
	// Without them, a default page of candidates is sorted in a temporary
	// B-tree: what the suggestion is for.
	_, plan := ctQueryPlan(t, e, enginetest.Member(t, e, "u-ivan", "acme"), "candidates", engine.ListQuery{})
	if !strings.Contains(strings.Join(plan, "\n"), "USE TEMP B-TREE") {
		t.Errorf("without the suggested index the plan already avoids a sort:\n%s", strings.Join(plan, "\n"))
	}

	var steps []string
	defer engine.SetIndexTick(time.Hour)() // no report while building: these are small
	err = e.CreateIndexes(ctx, sugg, func(p engine.IndexProgress) {
		steps = append(steps, fmt.Sprintf("%d/%d %s rows=%d done=%v", p.N, p.Of, p.Index.Name, p.Rows, p.Done))
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 2*len(sugg) || steps[0] != "1/7 qbx_jobs_scope rows=12 done=false" || steps[1] != "1/7 qbx_jobs_scope rows=12 done=true" {
		t.Errorf("progress %v", steps)
	}
	if after := lists(); after != before {
		t.Errorf("lists differ with the indexes:\n%s\nwithout:\n%s", after, before)
	}
	if again, err := e.SuggestedIndexes(ctx); err != nil || len(again) != 0 {
		t.Errorf("after creating them, still suggested: %v (%v)", again, err)
	}
	for _, c := range cases {
		id := enginetest.Member(t, e, c.user, "acme")
		q, plan := ctQueryPlan(t, e, id, c.table, engine.ListQuery{Limit: 2})
		sqlName := e.Config().Table(c.table).SQLName
		ctAssertIndexed(t, q, plan, sqlName, c.index, []string{"organization_id=?"})
		p, err := e.List(ctx, id, c.table, engine.ListQuery{Limit: 2})
		if err != nil || p.Next == "" {
			t.Fatalf("first page of %s: %v (next %q)", c.table, err, p.Next)
		}
		q, plan = ctQueryPlan(t, e, id, c.table, engine.ListQuery{Limit: 2, Cursor: p.Next})
		ctAssertIndexed(t, q, plan, sqlName, c.index, []string{"organization_id=?", "(created_at,id)<(?,?)"})
	}
	var logged int
	if err := engine.RawDB(e).QueryRow(`SELECT count(*) FROM qb_audit WHERE operation = 'migrate:index' AND user_id = 'system'`).Scan(&logged); err != nil || logged != len(sugg) {
		t.Errorf("%d migrate:index audit entries (%v), want %d", logged, err, len(sugg))
	}
}

// TestReloadAdopted: reloading the config of a database qb did not create
// plans nothing to run when the config still matches it, and refuses one
// that names a column it lacks with that mismatch — nothing is ever
// planned against the project's tables.
func TestReloadAdopted(t *testing.T) {
	ctx := context.Background()
	e := enginetest.Seeded(t, enginetest.Quickback())
	same := adQuickbackConfig(t)
	stmts, err := e.PlanReload(ctx, same)
	if err != nil || len(stmts) != 0 {
		t.Errorf("plan for the same config: %v (%v)", stmts, err)
	}
	more := adQuickbackConfig(t, enginetest.Edit{Section: "[tables.jobs.columns]", Old: `salaryMax      = { type = "integer", min = 0 }`,
		New: `salaryMax      = { type = "integer", min = 0 }` + "\nbudget = { type = \"integer\" }"})
	_, err = e.PlanReload(ctx, more)
	var le *engine.LayoutError
	if !errors.As(err, &le) || len(le.Mismatches) != 1 || le.Mismatches[0].Column != "budget" {
		t.Errorf("plan for a config naming a missing column: %v", err)
	}
	if _, err := e.Reload(ctx, more); !errors.As(err, &le) {
		t.Errorf("reload onto a missing column: %v", err)
	}
	r, err := e.Reload(ctx, same)
	if err != nil {
		t.Fatal(err)
	}
	if ms, err := r.Members(ctx); err != nil || len(ms) == 0 {
		t.Errorf("members after reload: %d (%v)", len(ms), err)
	}
}

// TestSeedResetBetterAuth: seed --reset with Better Auth identities removes
// the project's users, organizations and memberships (and what the
// database cascades from them, such as sessions) before loading the
// fixtures again — the reset SPEC §4.1 describes, on their tables.
func TestSeedResetBetterAuth(t *testing.T) {
	ctx := context.Background()
	e := enginetest.Seeded(t, enginetest.Quickback())
	db := engine.RawDB(e)
	for _, st := range []string{
		`INSERT INTO "user" (id, name, email, created_at, updated_at) VALUES ('u-extra', 'Extra', 'extra@example.com', 0, 0)`,
		`INSERT INTO session (id, expires_at, token, created_at, updated_at, user_id) VALUES ('s-1', 0, 't-1', 0, 0, 'u-dana')`,
	} {
		if _, err := db.Exec(st); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := e.Seed(ctx, enginetest.Fixtures(t, e.Config()), true)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]seed.Count{}
	for _, c := range rep.Tables {
		counts[c.Table] = c
	}
	if u := counts["users"]; u.Removed != 16 || u.Inserted != 15 {
		t.Errorf("users: %+v (15 seeded and one more removed, 15 inserted)", u)
	}
	var extra, sessions int
	if err := db.QueryRow(`SELECT (SELECT count(*) FROM "user" WHERE id = 'u-extra'), (SELECT count(*) FROM session)`).Scan(&extra, &sessions); err != nil || extra != 0 || sessions != 0 {
		t.Errorf("after reset: %d extra users, %d sessions (%v)", extra, sessions, err)
	}
}

// TestAdoptedQBIdentitiesReadOnly: a database qb did not create, opened
// read-only with identities in qb's own tables (not added yet), says so
// where identities are read instead of failing on a missing table.
func TestAdoptedQBIdentitiesReadOnly(t *testing.T) {
	path := adTheirDB(t)
	cfg := enginetest.OwnConfig(t, enginetest.QuickbackEdits[1:]...) // identities in qb_* tables
	e, err := engine.Open(cfg, path, engine.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	_, err = e.Members(context.Background())
	if err == nil || !strings.Contains(err.Error(), "has no identities yet: qb adds its qb_users, qb_organizations and qb_members tables when it may write the database") {
		t.Errorf("members: %v", err)
	}
	if _, err := e.ResolveIdentity(context.Background(), "u-dana", "", ""); err == nil || !strings.Contains(err.Error(), "no identities yet") {
		t.Errorf("resolve: %v", err)
	}
	if chk, err := e.CheckDatabase(context.Background()); err != nil || !chk.Adopted || chk.Source != "qb_* identity tables" {
		t.Errorf("check: %+v (%v)", chk, err)
	}
}

// TestFunnelQuickback: the funnel of a list (why it is empty) counts the
// same on a Quickback project's database, its camelCase table included.
func TestFunnelQuickback(t *testing.T) {
	ctx := context.Background()
	qb := enginetest.Seeded(t)
	ba := enginetest.Seeded(t, enginetest.Quickback())
	for _, table := range []string{"ats_imports", "interview_notes", "candidates"} {
		a, aerr := qb.Funnel(ctx, enginetest.Member(t, qb, "u-olivia", ""), table, engine.ListQuery{})
		b, berr := ba.Funnel(ctx, enginetest.Member(t, ba, "u-olivia", ""), table, engine.ListQuery{})
		if aerr != nil || berr != nil || ctMustJSON(t, a) != ctMustJSON(t, b) {
			t.Errorf("funnel of %s:\n qb          %s (%v)\n better-auth %s (%v)", table, ctMustJSON(t, a), aerr, ctMustJSON(t, b), berr)
		}
	}
}

// adHardDelete makes a candidate's delete hard.
var adHardDelete = enginetest.Edit{Section: "[tables.candidates.crud]", Old: `delete.access = { roles = ["hiring-manager"] }`,
	New: `delete.access = { roles = ["hiring-manager"] }` + "\ndelete.mode = \"hard\""}

// TestHardDeleteNeverCascades: Quickback's migrations declare their
// references ON DELETE cascade, so SQLite would take every application and
// interview note of a hard-deleted candidate with it — rows the caller may
// not see, in tables the config may not even name. A hard delete of a row
// that any row references is refused there as it is on a database qb
// created (FK_NOT_FOUND, nothing changed); a row nothing references is
// deleted, and only that row.
func TestHardDeleteNeverCascades(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name string
		opts []enginetest.Option
	}{
		{"qb", []enginetest.Option{enginetest.Edits(adHardDelete)}},
		{"quickback", []enginetest.Option{enginetest.Edits(adHardDelete), enginetest.Quickback()}},
		{"quickback-postgres", []enginetest.Option{enginetest.Edits(adHardDelete), enginetest.Quickback(), enginetest.Postgres()}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := enginetest.Seeded(t, c.opts...)
			db := engine.RawDB(e)
			// A table of theirs the config does not name, cascading too
			// (created behind qb's back on a database qb created as well,
			// where qb leaves an unnamed table alone just the same).
			if _, err := db.Exec(`CREATE TABLE "candidate_tags" ("candidate_id" text NOT NULL, "tag" text NOT NULL, FOREIGN KEY ("candidate_id") REFERENCES "candidates"("id") ON UPDATE no action ON DELETE cascade)`); err != nil {
				t.Fatal(err)
			}
			dana := enginetest.Member(t, e, "u-dana", "acme")
			fresh := func() string {
				t.Helper()
				res, err := e.Create(ctx, dana, "candidates", map[string]any{"name": "Tess Tag", "email": fmt.Sprintf("tess-%d@example.com", len(enginetest.Rows(t, db, "SELECT id FROM candidates")))}, engine.WriteOptions{})
				if err != nil {
					t.Fatal(err)
				}
				return res.ID
			}
			tagged := fresh()
			if _, err := db.Exec("INSERT INTO candidate_tags VALUES (?, 'vip')", tagged); err != nil {
				t.Fatal(err)
			}
			before := enginetest.Dump(t, db, "qb_audit")
			// c-jane has applications and interview notes (other
			// interviewers' among them); the tagged one only a row of a
			// table the config does not name.
			for _, id := range []string{"c-jane", tagged} {
				_, err := e.Delete(ctx, dana, "candidates", id, engine.WriteOptions{})
				if code := ctErrCode(t, err); code != engine.FKNotFound {
					t.Errorf("hard delete of %s: %v, want FK_NOT_FOUND", id, err)
				}
				if after := enginetest.Dump(t, db, "qb_audit"); after != before {
					t.Fatalf("a refused hard delete of %s changed the database:\n%s", id, enginetest.FirstDiff(before, after))
				}
			}
			lone := fresh()
			want := strings.Replace(enginetest.Dump(t, db, "qb_audit"), adDumpLine(t, db, "candidates", lone), "", 1)
			if _, err := e.Delete(ctx, dana, "candidates", lone, engine.WriteOptions{}); err != nil {
				t.Fatalf("hard delete of a candidate nothing references: %v", err)
			}
			if after := enginetest.Dump(t, db, "qb_audit"); after != want {
				t.Errorf("a hard delete changed more than its row:\n%s", enginetest.FirstDiff(want, after))
			}
		})
	}
}

// adDumpLine is the line of enginetest.Dump that holds a row.
func adDumpLine(t *testing.T, db *sql.DB, table, id string) string {
	t.Helper()
	rows := enginetest.Rows(t, db, "SELECT * FROM "+engine.Q(table)+" WHERE id = ?", id)
	if len(rows) != 1 {
		t.Fatalf("%s %s: %d rows", table, id, len(rows))
	}
	return string(enginetest.AppendRow(nil, rows[0]))
}

// TestAdoptionUniqueNotEnforced: qb refuses a duplicate through the
// database's unique constraint, so a unique constraint of the config that
// no unique index of the database enforces is warned about by qb check
// --db, with the SQL that would add it; one enforced by an index on the
// same columns in another order is not.
func TestAdoptionUniqueNotEnforced(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := adTheirDB(t)
	db := adRaw(t, path)
	for _, st := range []string{
		"DROP INDEX `candidates_organizationId_email_unique`",
		"DROP INDEX `atsImports_organizationId_externalId_unique`",
		"CREATE UNIQUE INDEX `atsImports_externalId_organizationId_unique` ON `atsImports` (`external_id`,`organization_id`)",
	} {
		if _, err := db.Exec(st); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
	}
	db.Close()
	e, err := engine.Open(adQuickbackConfig(t), path, engine.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	chk, err := e.CheckDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var unique []string
	for _, w := range chk.Warnings {
		if strings.Contains(w, "unique") {
			unique = append(unique, w)
		}
	}
	want := []string{"table candidates: the config declares organization_id, email unique (tables.candidates.unique[0]) but no unique index of the database enforces it, so qb cannot refuse a duplicate; add one with the project's migrations (CREATE UNIQUE INDEX \"candidates_organization_id_email_unique\" ON \"candidates\" (\"organization_id\", \"email\")) or drop it from the config"}
	if !reflect.DeepEqual(unique, want) {
		t.Errorf("unique warnings:\n got %q\nwant %q", unique, want)
	}
	// The intact database has no such warning.
	whole, err := engine.Open(adQuickbackConfig(t), adTheirDB(t), engine.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer whole.Close()
	if chk, err := whole.CheckDatabase(ctx); err != nil || strings.Contains(strings.Join(chk.Warnings, "\n"), "unique") {
		t.Errorf("intact database: %v (%v)", chk.Warnings, err)
	}
}

// TestCreateIndexReportsWhileBuilding: an index on a large table takes a
// while to build in its one statement, and progress hears of it at every
// tick until it is built — start, ticks with the time so far, done.
func TestCreateIndexReportsWhileBuilding(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := enginetest.Seeded(t, enginetest.Quickback())
	if _, err := engine.RawDB(e).Exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50000)
INSERT INTO candidates (id, name, email, organization_id, created_at, modified_at) SELECT 'big-' || i, 'Big ' || i, 'big' || i || '@example.com', 'acme', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now') FROM n`); err != nil {
		t.Fatal(err)
	}
	sugg, err := e.SuggestedIndexes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var cand []engine.IndexSuggestion
	for _, s := range sugg {
		if s.Table == "candidates" {
			cand = append(cand, s)
		}
	}
	if len(cand) != 1 {
		t.Fatalf("suggestions for candidates: %v", cand)
	}
	// Building an index over 50,000 rows takes far longer than a
	// millisecond.
	defer engine.SetIndexTick(time.Millisecond)()
	var got []engine.IndexProgress
	if err := e.CreateIndexes(ctx, cand, func(p engine.IndexProgress) { got = append(got, p) }); err != nil {
		t.Fatal(err)
	}
	if len(got) < 3 {
		t.Fatalf("progress %+v: want the start, at least one tick and the end", got)
	}
	first, last := got[0], got[len(got)-1]
	if first.Done || first.Took != 0 || first.Rows != 50022 || !last.Done {
		t.Errorf("start %+v, end %+v", first, last)
	}
	for i, p := range got[1 : len(got)-1] {
		if p.Done || p.Took <= 0 || p.Took < got[i].Took || p.Index.Name != "qbx_candidates_scope" {
			t.Errorf("tick %d: %+v after %+v", i+1, p, got[i])
		}
	}
}

// TestUserLookupSeeks: resolving --as by id or by an email as stored reads
// the user table through its primary key and its unique email index, for
// qb's identity tables and Better Auth's alike — a project with a million
// users pays a lookup, not a scan, on every command. Another case of the
// address still resolves.
func TestUserLookupSeeks(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name, users string
		opts        []enginetest.Option
	}{
		{"qb", "qb_users", nil},
		{"better-auth", "user", []enginetest.Option{enginetest.Quickback()}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := enginetest.Seeded(t, c.opts...)
			rows, err := engine.RawDB(e).Query("EXPLAIN QUERY PLAN "+engine.UserLookupSQL(e), "u-dana", "u-dana")
			if err != nil {
				t.Fatal(err)
			}
			var plan []string
			for rows.Next() {
				var id, parent, notused int
				var detail string
				if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			rows.Close()
			joined := strings.Join(plan, "\n")
			if strings.Contains(joined, "SCAN "+c.users) || strings.Count(joined, "SEARCH "+c.users+" USING") != 2 {
				t.Errorf("the user lookup does not seek %s by id and by email:\n%s", c.users, joined)
			}
			for _, as := range []string{"u-dana", "dana@acme.test", "DANA@Acme.TEST"} {
				if id, err := e.ResolveIdentity(ctx, as, "", ""); err != nil || id.UserID != "u-dana" {
					t.Errorf("--as %s: %+v (%v)", as, id, err)
				}
			}
		})
	}
}
