package policytest_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"quickback.dev/qb/internal/enginetest"
	"quickback.dev/qb/internal/testkit"
	"quickback.dev/qb/policytest"
	"quickback.dev/qb/schema"
)

// A valid test around a mistake: the cases below replace one line of it.
const valid = `[[test]]
name = "interviewers see candidates masked"
as = { user = "u-ivan" }
list = { table = "candidates", filter = ["source=linkedin"] }
expect = { count = 4, masked = ["email"], raw = ["name"] }
`

// TestParseReportsEachMistake: each malformed file is reported with the
// line, the key path and the message of every mistake it holds, as the
// config's are (FILE:LINE: key path: message).
func TestParseReportsEachMistake(t *testing.T) {
	cfg := enginetest.Config(t)
	cases := []struct {
		name, src string
		want      []string
	}{
		{"syntax", "[[test]]\nname = \"x\n", []string{"t.toml:2: syntax error: ..."}},
		{"unknown top-level key", valid + "\n[tests]\nx = 1\n", []string{`t.toml:7: tests: unknown key; did you mean "test"? (a test file holds [[test]] entries)`}},
		{"no tests", "# nothing\n", []string{"t.toml:1: no [[test]] entries"}},
		{"test not an array of tables", "test = 1\n", []string{"t.toml:1: test: must be an array of tables ([[test]])"}},
		{"no name", strings.Replace(valid, `name = "interviewers see candidates masked"`, ``, 1), []string{"t.toml:1: test[0]: a test needs a name"}},
		{"empty name", strings.Replace(valid, `"interviewers see candidates masked"`, `" "`, 1), []string{"t.toml:2: test[0].name: must be a non-empty string"}},
		{"duplicate name", valid + "\n" + valid, []string{`t.toml:8: test[1].name: test "interviewers see candidates masked" is already declared at t.toml:1`}},
		{"unknown test key", strings.Replace(valid, "list =", "lst =", 1), []string{
			"t.toml:1: test[0]: a test needs one operation: list, get, create, update, delete, upsert, run",
			`t.toml:4: test[0].lst: unknown key; did you mean "list"? (a test has name, as, one operation of list, get, create, update, delete, upsert, run, and expect)`}},
		{"two operations", strings.Replace(valid, `as = { user = "u-ivan" }`, `as = { user = "u-ivan" }`+"\nget = { table = \"candidates\", id = \"c-jane\" }", 1), []string{
			"t.toml:4: test[0].get: a test runs one operation; this one has list and get"}},
		{"no as", strings.Replace(valid, `as = { user = "u-ivan" }`, ``, 1), []string{
			"t.toml:1: test[0]: a test needs `as`: { user = \"u-ivan\" }, { role = \"interviewer\", org = \"acme\" } or { anonymous = true, org = \"acme\" }"}},
		{"as not a table", strings.Replace(valid, `as = { user = "u-ivan" }`, `as = "u-ivan"`, 1), []string{`t.toml:3: test[0].as: must be a table such as { user = "u-ivan" }`}},
		{"as unknown key", strings.Replace(valid, `{ user = "u-ivan" }`, `{ usr = "u-ivan" }`, 1), []string{
			`t.toml:3: test[0].as.usr: unknown key; did you mean "user"? (as takes user, org, role and anonymous)`}},
		{"as unknown role", strings.Replace(valid, `{ user = "u-ivan" }`, `{ role = "interviewr", org = "acme" }`, 1), []string{
			`t.toml:3: test[0].as.role: unknown role "interviewr"; did you mean "interviewer"? (roles: interviewer, recruiter, hiring-manager, owner)`}},
		{"anonymous with a user", strings.Replace(valid, `{ user = "u-ivan" }`, `{ user = "u-ivan", anonymous = true }`, 1), []string{
			`t.toml:3: test[0].as: an anonymous caller has no user or role: give { anonymous = true, org = "..." }`}},
		{"anonymous not a bool", strings.Replace(valid, `{ user = "u-ivan" }`, `{ anonymous = "yes", org = "acme" }`, 1), []string{
			`t.toml:3: test[0].as.anonymous: must be true or false`}},
		{"user anonymous", strings.Replace(valid, `{ user = "u-ivan" }`, `{ user = "anonymous", org = "acme" }`, 1), []string{
			`t.toml:3: test[0].as.user: write { anonymous = true, org = "..." } for an anonymous caller`}},
		{"unknown table", strings.Replace(valid, `table = "candidates"`, `table = "candidate"`, 1), []string{
			`t.toml:4: test[0].list.table: unknown table "candidate"; did you mean "candidates"?`}},
		{"no table", strings.Replace(valid, `table = "candidates", `, ``, 1), []string{`t.toml:4: test[0].list: list needs a table`}},
		{"unknown operation key", strings.Replace(valid, `filter =`, `filters =`, 1), []string{
			`t.toml:4: test[0].list.filters: unknown key; did you mean "filter"? (list takes table, filter, sort, search)`}},
		{"filter not strings", strings.Replace(valid, `["source=linkedin"]`, `[1]`, 1), []string{`t.toml:4: test[0].list.filter[0]: must be a string`}},
		{"get without id", strings.Replace(valid, `list = { table = "candidates", filter = ["source=linkedin"] }`, `get = { table = "candidates" }`, 1), []string{
			`t.toml:4: test[0].get: get needs the id of a record`}},
		{"update without data", strings.Replace(valid, `list = { table = "candidates", filter = ["source=linkedin"] }`, `update = { table = "candidates", id = "c-jane" }`, 1), []string{
			`t.toml:4: test[0].update: update needs data = { ... }`}},
		{"data not a table", strings.Replace(valid, `list = { table = "candidates", filter = ["source=linkedin"] }`, `create = { table = "candidates", data = "x" }`, 1), []string{
			`t.toml:4: test[0].create.data: must be a table such as { name = "x" }`}},
		{"unknown action", strings.Replace(valid, `list = { table = "candidates", filter = ["source=linkedin"] }`, `run = { table = "applications", action = "advance", id = "a-1001" }`, 1), []string{
			`t.toml:4: test[0].run.action: table applications has no action "advance"; did you mean "advanceStage"?`}},
		{"record action without id", strings.Replace(valid, `list = { table = "candidates", filter = ["source=linkedin"] }`, `run = { table = "applications", action = "advanceStage" }`, 1), []string{
			`t.toml:4: test[0].run: run needs the id of a record`}},
		{"expect unknown key", strings.Replace(valid, `count = 4`, `cont = 4`, 1), []string{
			`t.toml:5: test[0].expect.cont: unknown expectation; did you mean "count"? (expect takes error, fields, ids, count, masked, raw, values)`}},
		{"negative count", strings.Replace(valid, `count = 4`, `count = -1`, 1), []string{`t.toml:5: test[0].expect.count: must be a whole number, at least 0`}},
		{"unknown error code", strings.Replace(valid, `count = 4, masked = ["email"], raw = ["name"]`, `error = "FIREWALL_NOT_FOND"`, 1), []string{
			`t.toml:5: test[0].expect.error: unknown error code "FIREWALL_NOT_FOND"; did you mean "FIREWALL_NOT_FOUND"? (codes: SPEC §6, e.g. ACCESS_ROLE_REQUIRED)`}},
		{"rows with an error", strings.Replace(valid, `count = 4,`, `error = "ACCESS_ROLE_REQUIRED",`, 1), []string{
			`t.toml:5: test[0].expect.masked: a refused operation returns no rows: masked cannot be checked with error`,
			`t.toml:5: test[0].expect.raw: a refused operation returns no rows: raw cannot be checked with error`}},
		{"fields of a list", strings.Replace(valid, `count = 4`, `fields = ["email"]`, 1), []string{
			`t.toml:5: test[0].expect.fields: fields are the fields a refusal names or a write changes: a list changes none (give error too)`}},
		{"unknown column", strings.Replace(valid, `masked = ["email"]`, `masked = ["emial"]`, 1), []string{
			`t.toml:5: test[0].expect.masked[0]: unknown column "emial" of candidates; did you mean "email"?`}},
		{"unknown value column", strings.Replace(valid, `count = 4`, `values = { nmae = "x" }`, 1), []string{
			`t.toml:5: test[0].expect.values.nmae: unknown column "nmae" of candidates; did you mean "name"?`}},
		{"masked and raw", strings.Replace(valid, `raw = ["name"]`, `raw = ["email"]`, 1), []string{`t.toml:5: test[0].expect.raw: email is expected both masked and raw`}},
		{"masked after a delete", strings.Replace(valid, `list = { table = "candidates", filter = ["source=linkedin"] }`, `delete = { table = "candidates", id = "c-jane" }`, 1), []string{
			`t.toml:5: test[0].expect.masked: a delete returns no row to check masked on`,
			`t.toml:5: test[0].expect.raw: a delete returns no row to check raw on`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := policytest.Parse(cfg, "t.toml", []byte(c.src))
			var ps *schema.Problems
			if !errors.As(err, &ps) {
				t.Fatalf("not problems: %v", err)
			}
			var got []string
			for _, p := range *ps {
				got = append(got, p.String())
			}
			if len(got) != len(c.want) {
				t.Fatalf("got %d problems, want %d:\n%s", len(got), len(c.want), strings.Join(got, "\n"))
			}
			for i := range got {
				w := c.want[i]
				if prefix, ok := strings.CutSuffix(w, "..."); ok && strings.HasPrefix(got[i], prefix) {
					continue
				}
				if got[i] != w {
					t.Errorf("problem %d:\n got  %s\n want %s", i, got[i], w)
				}
			}
		})
	}
}

// TestParseValid: a file using every operation and expectation reads into
// the tests it declares.
func TestParseValid(t *testing.T) {
	cfg := enginetest.Config(t)
	src := valid + `
[[test]]
name = "stage only moves through advanceStage"
as = { user = "u-rachel", org = "acme", role = "recruiter" }
update = { table = "applications", id = "a-1001", data = { stage = "hired" } }
expect = { error = "GUARD_FIELD_PROTECTED", fields = ["stage"] }

[[test]]
name = "anonymous"
as = { anonymous = true, org = "acme" }
run = { table = "applications", action = "submitScore", id = "a-1001", input = { score = 4 } }
[test.expect]
ids = []
values = { stage = "interview" }
`
	tests, err := policytest.Parse(cfg, "t.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(tests) != 3 {
		t.Fatalf("%d tests", len(tests))
	}
	a, b, c := tests[0], tests[1], tests[2]
	if a.Op.Kind != "list" || a.Op.Filter[0] != "source=linkedin" || *a.Expect.Count != 4 || a.Line != 1 || a.As.User != "u-ivan" {
		t.Errorf("first test: %+v", a)
	}
	if b.Op.Kind != "update" || b.Op.Data["stage"] != "hired" || b.Expect.Error != "GUARD_FIELD_PROTECTED" || b.Line != 7 || b.As.Role != "recruiter" {
		t.Errorf("second test: %+v", b)
	}
	if c.Op.Action != "submitScore" || !c.As.Anonymous || !c.Expect.Set["ids"] || len(c.Expect.IDs) != 0 || c.Expect.Values["stage"] != "interview" {
		t.Errorf("third test: %+v", c)
	}
}

// TestShippedTestsLoad: the default project's tests read without a problem.
func TestShippedTestsLoad(t *testing.T) {
	cfg := enginetest.Config(t)
	files, err := filepath.Glob(filepath.Join(testkit.ModuleRoot(t), "tests", "*.toml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no shipped tests: %v", err)
	}
	tests, err := policytest.Load(cfg, files)
	if err != nil {
		t.Fatal(err)
	}
	if len(tests) < 20 {
		t.Errorf("only %d shipped tests", len(tests))
	}
}

// TestFiles: no paths means tests/*.toml beside the config; a directory
// means its *.toml files; none found is an error that says where.
func TestFiles(t *testing.T) {
	dir := t.TempDir()
	cfg := &schema.Config{Dir: dir}
	if _, err := policytest.Files(cfg, nil); err == nil || !strings.Contains(err.Error(), "no test files") {
		t.Errorf("no tests directory: %v", err)
	}
	os.MkdirAll(filepath.Join(dir, "tests"), 0o755)
	for _, n := range []string{"b.toml", "a.toml", "notes.txt"} {
		os.WriteFile(filepath.Join(dir, "tests", n), nil, 0o644)
	}
	files, err := policytest.Files(cfg, nil)
	if err != nil || len(files) != 2 || filepath.Base(files[0]) != "a.toml" || filepath.Base(files[1]) != "b.toml" {
		t.Errorf("default files %v, %v", files, err)
	}
	files, err = policytest.Files(cfg, []string{filepath.Join(dir, "tests"), filepath.Join(dir, "tests", "a.toml")})
	if err != nil || len(files) != 3 {
		t.Errorf("a directory and a file: %v, %v", files, err)
	}
	if _, err := policytest.Files(cfg, []string{filepath.Join(dir, "missing.toml")}); err == nil {
		t.Error("a missing file is accepted")
	}
}

// FuzzParse: no test file makes the reader panic or accept a test without
// a name, an identity and one operation on a known table.
func FuzzParse(f *testing.F) {
	f.Add([]byte(valid))
	f.Add([]byte("[[test]]\nname = \"x\"\nas = { anonymous = true }\nrun = { table = \"applications\", action = \"advanceStage\", id = \"a\" }\n[test.expect]\nvalues = { stage = 1 }\n"))
	f.Add([]byte("test = [{ name = \"x\", as = { role = \"owner\", org = \"acme\" }, delete = { table = \"jobs\", id = \"j\" } }]"))
	if b, err := os.ReadFile("../tests/hiring.toml"); err == nil {
		f.Add(b)
	}
	cfg := enginetest.Config(f)
	f.Fuzz(func(t *testing.T, src []byte) {
		tests, err := policytest.Parse(cfg, "f.toml", src)
		if err != nil {
			var ps *schema.Problems
			if !errors.As(err, &ps) || len(*ps) == 0 {
				t.Fatalf("an error that is not problems: %v", err)
			}
			for _, p := range *ps {
				if p.Line < 1 {
					t.Fatalf("a problem without a line: %s", p)
				}
			}
			return
		}
		for _, x := range tests {
			if x.Name == "" || cfg.Table(x.Op.Table) == nil || x.Op.Kind == "" || (!x.As.Anonymous && x.As.User == "" && x.As.Role == "") {
				t.Fatalf("accepted an incomplete test: %+v", x)
			}
		}
	})
}
