package policytest_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/enginetest"
	"quickback.dev/qb/internal/testkit"
	"quickback.dev/qb/policytest"
	"quickback.dev/qb/schema"
)

func TestMain(m *testing.M) { os.Exit(testkit.IsolateWitness(m.Run)) }

// scratchOf is a scratch snapshot of e's database.
func scratchOf(t *testing.T, e *engine.Engine) *engine.Scratch {
	t.Helper()
	if err := e.FlushAudit(context.Background()); err != nil {
		t.Fatal(err)
	}
	s, err := engine.NewScratch(context.Background(), e.Config(), e.Path(), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func parse(t *testing.T, cfg *schema.Config, src string) []*policytest.Test {
	t.Helper()
	tests, err := policytest.Parse(cfg, "t.toml", []byte(src))
	if err != nil {
		t.Fatalf("parse:\n%v", err)
	}
	return tests
}

func run(t *testing.T, s *engine.Scratch, tests []*policytest.Test) []policytest.Result {
	t.Helper()
	rs, err := policytest.Run(context.Background(), s, tests, nil)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// TestShippedTestsPassAndLeaveTheDatabaseAlone: the default project's
// tests pass on its seeded database, and the database — every table, the
// audit log included — is exactly as it was, though tests wrote.
func TestShippedTestsPassAndLeaveTheDatabaseAlone(t *testing.T) {
	e := enginetest.Seeded(t)
	files, _ := filepath.Glob(filepath.Join(testkit.ModuleRoot(t), "tests", "*.toml"))
	tests, err := policytest.Load(e.Config(), files)
	if err != nil {
		t.Fatal(err)
	}
	before := enginetest.Dump(t, enginetest.DB(t, e))
	s := scratchOf(t, e)
	var reported int
	rs, err := policytest.Run(context.Background(), s, tests, func(policytest.Result) { reported++ })
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != len(tests) || reported != len(tests) {
		t.Fatalf("%d results, %d reported, for %d tests", len(rs), reported, len(tests))
	}
	for _, r := range rs {
		if !r.OK() {
			t.Errorf("%s: %s: %v", r.Test.Where(), r.Test.Name, r.Failures)
		}
	}
	if enginetest.Dump(t, enginetest.DB(t, e)) != before {
		t.Error("running the tests changed the database")
	}
}

// TestRunReportsWhatFailed: each expectation, when it does not hold, fails
// the test with what was expected and what came.
func TestRunReportsWhatFailed(t *testing.T) {
	t.Parallel()
	e := enginetest.Seeded(t)
	s := scratchOf(t, e)
	cases := []struct {
		name, src string
		want      []string
	}{
		{"count", `as = { user = "u-ivan" }
list = { table = "candidates", filter = ["source=linkedin"] }
expect = { count = 3 }`, []string{"expected count 3, got count 4"}},
		{"ids", `as = { user = "u-ivan" }
list = { table = "interview_notes" }
expect = { ids = ["n-01", "n-02", "n-05"] }`, []string{`expected ids ["n-01", "n-02", "n-05"], got missing ["n-02"] and unexpected ["n-10"]`}},
		{"masked", `as = { user = "u-dana" }
get = { table = "candidates", id = "c-jane" }
expect = { masked = ["email"] }`, []string{"expected email masked, got raw on c-jane"}},
		{"raw", `as = { user = "u-ivan" }
get = { table = "candidates", id = "c-jane" }
expect = { raw = ["name", "phone"] }`, []string{"expected phone raw, got masked on c-jane"}},
		{"masked with no rows", `as = { user = "u-ben" }
list = { table = "interview_notes" }
expect = { masked = ["content"] }`, []string{`expected masked ["content"], got no rows to check`}},
		{"values", `as = { user = "u-ivan" }
get = { table = "candidates", id = "c-jane" }
expect = { values = { email = "jane@example.com", source = "referral" } }`, []string{`expected email = "jane@example.com", got email = "j***@e******.com" on c-jane`}},
		{"values of a number", `as = { user = "u-ivan" }
get = { table = "interview_notes", id = "n-01" }
expect = { values = { rating = "4" } }`, []string{`expected rating = "4", got rating = 4 on n-01`}},
		{"ok expected, refused", `as = { user = "u-ivan" }
list = { table = "ats_imports" }`, []string{"expected ok, got ACCESS_ROLE_REQUIRED (this identity's role may not list ats_imports (tables.ats_imports.crud.list.access))"}},
		{"refusal expected, ok", `as = { user = "u-dana" }
update = { table = "applications", id = "a-1001", data = { notes = "x" } }
expect = { error = "GUARD_FIELD_PROTECTED" }`, []string{"expected error GUARD_FIELD_PROTECTED, got ok"}},
		{"another refusal", `as = { user = "u-rachel" }
update = { table = "applications", id = "a-1001", data = { stage = "hired", createdBy = "u-ivan" } }
expect = { error = "GUARD_FIELD_PROTECTED", fields = ["stage"] }`, []string{
			"expected error GUARD_FIELD_PROTECTED, got GUARD_SYSTEM_MANAGED (fields not writable on applications: createdBy (system-managed), stage (protected: only via advanceStage))",
			`expected fields ["stage"], got fields ["createdBy", "stage"]`}},
		{"changed fields", `as = { user = "u-dana" }
update = { table = "jobs", id = "j-firmware", data = { title = "Firmware lead" } }
expect = { fields = ["title"] }`, []string{`expected changed fields ["title"], got changed fields ["modifiedAt", "modifiedBy", "title"]`}},
		{"all of them", `as = { user = "u-ivan" }
list = { table = "candidates", filter = ["source=linkedin"] }
expect = { count = 5, ids = ["c-emily", "c-john", "c-layla", "c-tomas"], masked = ["email"], raw = ["phone"] }`, []string{
			"expected count 5, got count 4", "expected phone raw, got masked on c-layla"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rs := run(t, s, parse(t, e.Config(), "[[test]]\nname = \"x\"\n"+c.src+"\n"))
			var got []string
			for _, f := range rs[0].Failures {
				got = append(got, f.String())
			}
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("failures:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
}

// TestRunEachTestStartsFromTheSameData: what a test writes is not seen by
// the next one, and a read after a write sees the snapshot.
func TestRunEachTestStartsFromTheSameData(t *testing.T) {
	e := enginetest.Seeded(t)
	s := scratchOf(t, e)
	rs := run(t, s, parse(t, e.Config(), `
[[test]]
name = "delete jane"
as = { user = "u-dana" }
delete = { table = "candidates", id = "c-jane" }
expect = { ids = ["c-jane"] }

[[test]]
name = "jane is still there"
as = { user = "u-dana" }
get = { table = "candidates", id = "c-jane" }

[[test]]
name = "post a job"
as = { user = "u-dana" }
create = { table = "jobs", data = { title = "Intern" } }

[[test]]
name = "advance a-1001"
as = { user = "u-dana" }
run = { table = "applications", action = "advanceStage", id = "a-1001", input = { stage = "offer" } }

[[test]]
name = "advance a-1001 again from the same state"
as = { user = "u-dana" }
run = { table = "applications", action = "advanceStage", id = "a-1001", input = { stage = "offer" } }
expect = { values = { stage = "offer" } }

[[test]]
name = "the job list is the snapshot's"
as = { user = "u-dana" }
list = { table = "jobs" }
expect = { count = 7 }
`))
	for _, r := range rs {
		if !r.OK() {
			t.Errorf("%s: %v", r.Test.Name, r.Failures)
		}
	}
}

// TestRunUnknownIdentity: an identity that does not resolve is reported at
// its `as`, with every other one, before any test runs.
func TestRunUnknownIdentity(t *testing.T) {
	e := enginetest.Seeded(t)
	s := scratchOf(t, e)
	tests := parse(t, e.Config(), `[[test]]
name = "a"
as = { user = "u-nobody" }
list = { table = "jobs" }

[[test]]
name = "b"
as = { user = "u-marco" }
list = { table = "jobs" }

[[test]]
name = "c"
as = { role = "owner", org = "umbrella" }
list = { table = "jobs" }
`)
	ran := 0
	_, err := policytest.Run(context.Background(), s, tests, func(policytest.Result) { ran++ })
	var ps *schema.Problems
	if !errors.As(err, &ps) || len(*ps) != 3 {
		t.Fatalf("want three problems, got %v", err)
	}
	for i, want := range []string{`t.toml:3: test[0].as: unknown user "u-nobody"`, "t.toml:8: test[1].as: user u-marco belongs to ", "t.toml:13: test[2].as: unknown organization "} {
		if got := (*ps)[i].String(); !strings.HasPrefix(got, want) {
			t.Errorf("problem %d: %s, want %s...", i, got, want)
		}
	}
	if ran != 0 {
		t.Errorf("%d tests ran", ran)
	}
}

// TestRecordThenRun: a recording of identities of every kind (a member of
// each role, of a second organization, a synthetic user, a role override,
// anonymous callers with and without an organization) on every table
// passes when run on the same snapshot; and it pins the decisions: changing
// any recorded expectation makes that test fail.
func TestRecordThenRun(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := enginetest.Seeded(t)
	cfg := e.Config()
	s := scratchOf(t, e)
	var ids []engine.Identity
	for _, m := range [][2]string{{"u-ivan", "acme"}, {"u-rachel", "acme"}, {"u-dana", "acme"}, {"u-ben", "acme"}, {"u-marco", "globex"}} {
		ids = append(ids, enginetest.Member(t, e, m[0], m[1]))
	}
	synthetic, err := e.ResolveIdentity(ctx, "", "acme", "recruiter")
	if err != nil {
		t.Fatal(err)
	}
	ids = append(ids, synthetic)
	override, err := e.ResolveIdentity(ctx, "u-dana", "", "interviewer")
	if err != nil {
		t.Fatal(err)
	}
	anon, _ := e.ResolveIdentity(ctx, "anonymous", "acme", "")
	noOrg, _ := e.ResolveIdentity(ctx, "anonymous", "", "")
	ids = append(ids, override, anon, noOrg)
	rec, err := policytest.Record(ctx, s, cfg, ids, cfg.TableNames(), "a recording\nof everyone")
	if err != nil {
		t.Fatal(err)
	}
	tests := parse(t, cfg, string(rec.File))
	if len(tests) != rec.Tests || rec.Tests < 100 {
		t.Fatalf("%d tests parsed, %d recorded", len(tests), rec.Tests)
	}
	kinds := map[string]int{}
	for _, x := range tests {
		switch {
		case x.Expect.Error != "":
			kinds["refused "+x.Expect.Error]++
		case len(x.Expect.Masked) > 0:
			kinds["masked"]++
		case x.Op.Kind != "list":
			kinds["allowed "+x.Op.Kind]++
		}
	}
	for _, k := range []string{"refused ACCESS_ROLE_REQUIRED", "refused VALIDATION_FAILED", "refused INTERNAL_TABLE", "masked", "allowed update", "allowed delete"} {
		if kinds[k] == 0 {
			t.Errorf("the recording has no %q test (%v)", k, kinds)
		}
	}
	for _, r := range run(t, s, tests) {
		if !r.OK() {
			t.Errorf("recorded test fails: %s: %v", r.Test.Name, r.Failures)
		}
	}

	// Change each test's expectation: every one must fail.
	for _, x := range tests {
		switch {
		case x.Expect.Error == "ACCESS_ROLE_REQUIRED":
			x.Expect.Error = "NOT_FOUND"
		case x.Expect.Error != "":
			x.Expect.Error = "ACCESS_ROLE_REQUIRED"
		case x.Expect.Count != nil:
			n := *x.Expect.Count + 1
			x.Expect.Count = &n
		default:
			x.Expect.Error = "VALIDATION_FAILED"
		}
	}
	for _, r := range run(t, s, tests) {
		if r.OK() {
			t.Errorf("a changed expectation still passes: %s", r.Test.Name)
		}
	}
}

// TestRecordEscapes: ids and names that hold controls, quotes and bidi
// characters are written as escapes a TOML reader reads back exactly.
func TestRecordEscapes(t *testing.T) {
	ctx := context.Background()
	e := enginetest.Seeded(t)
	db := enginetest.DB(t, e)
	hostile := "c-\"evil\"\u202e\x1b]52;c;x\x07\\"
	if _, err := db.Exec(`INSERT INTO candidates (id, organization_id, name, email, created_at, created_by) VALUES (?, 'acme', 'Hostile', 'h@example.com', '2026-01-01T00:00:00.000Z', 'u-dana')`, hostile); err != nil {
		t.Fatal(err)
	}
	s := scratchOf(t, e)
	dana := enginetest.Member(t, e, "u-dana", "")
	rec, err := policytest.Record(ctx, s, e.Config(), []engine.Identity{dana}, []string{"candidates"}, "heading with \x1b[2J and\nnewline")
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(string(rec.File), "\x1b\x07\u202e") {
		t.Errorf("the recording holds raw controls:\n%q", rec.File)
	}
	tests := parse(t, e.Config(), string(rec.File))
	found := false
	for _, id := range tests[0].Expect.IDs {
		found = found || id == hostile
	}
	if !found {
		t.Errorf("the hostile id does not read back: %q", tests[0].Expect.IDs)
	}
	for _, r := range run(t, s, tests) {
		if !r.OK() {
			t.Errorf("%s: %v", r.Test.Name, r.Failures)
		}
	}
}
