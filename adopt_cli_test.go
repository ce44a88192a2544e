package main

import (
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/enginetest"
)

// quickbackProject makes a project in a temporary directory whose config
// names the Quickback-shaped database of testdata/quickback as it is, and
// that database (migrations only, no rows: nothing qb wrote). It returns
// the config's and the database's paths.
func quickbackProject(t *testing.T) (cfg, db string) {
	t.Helper()
	dir := t.TempDir()
	cfg = copyProject(t, dir)
	if err := os.WriteFile(cfg, []byte(enginetest.ConfigText(t, enginetest.QuickbackEdits...)), 0o644); err != nil {
		t.Fatal(err)
	}
	db = filepath.Join(dir, "their.db")
	enginetest.QuickbackDB(t, db)
	return cfg, db
}

// TestCLIQuickbackProject: the command line on a Quickback project's
// database — seed writes the identities into Better Auth's tables, users
// and --as read them, check --db prints the suggested indexes as SQL on
// stdout (notes on stderr) and migrate --indexes creates them with
// progress, after which none is suggested.
func TestCLIQuickbackProject(t *testing.T) {
	t.Parallel()
	cfg, db := quickbackProject(t)
	qb := func(args ...string) (string, string, int) {
		return runQB(append([]string{"--config", cfg, "--db", db}, args...)...)
	}
	if out, errw, code := qb("seed"); code != 0 || !strings.Contains(out, "memberships") {
		t.Fatalf("seed: %d %s %s", code, out, errw)
	}
	raw, err := sql.Open("sqlite", "file:"+db)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var users int
	if err := raw.QueryRow(`SELECT count(*) FROM "user"`).Scan(&users); err != nil || users == 0 {
		t.Fatalf("Better Auth's user table holds %d rows (%v)", users, err)
	}
	out, _, code := qb("users")
	if code != 0 || !strings.Contains(out, "u-dana") || !strings.Contains(out, "dana@acme.test") {
		t.Errorf("users: %d\n%s", code, out)
	}
	out, errw, code := qb("list", "ats_imports", "--as", "DANA@acme.test", "--sort", "externalId")
	if code != 0 || !strings.Contains(out, "greenhouse-1001") {
		t.Errorf("list ats_imports as dana: %d\n%s%s", code, out, errw)
	}

	out, errw, code = qb("check")
	if code != 0 {
		t.Fatalf("check --db: %d %s", code, errw)
	}
	stmts := strings.Split(strings.TrimSpace(out), "\n")
	// The 7 indexes, then the statements of 5 search indexes (9 each).
	if len(stmts) != 7+5*9 || stmts[0] != `CREATE INDEX IF NOT EXISTS "qbx_jobs_scope" ON "jobs" ("organization_id", "created_at", "id") WHERE "deleted_at" IS NULL;` ||
		!strings.HasPrefix(stmts[7], `DROP TRIGGER IF EXISTS "qb_fts_jobs_ai";`) || !strings.Contains(out, `CREATE VIRTUAL TABLE "qb_fts_candidates" USING fts5("name", "email", "source", content='', tokenize='trigram');`) {
		t.Errorf("check --db stdout is not the 7 index statements and the 5 search indexes':\n%s", out)
	}
	for _, want := range []string{"quickback.toml: ok (6 tables)", "their.db: ok, adopted: qb did not create it and never changes its tables; identities from Better Auth tables", "7 indexes would make firewall scopes and keyset pages index seeks", "5 search indexes would let search and ~ read only the rows that can match"} {
		if !strings.Contains(errw, want) {
			t.Errorf("check --db stderr lacks %q:\n%s", want, errw)
		}
	}
	// The SQL runs as printed.
	for _, st := range stmts[:1] {
		if _, err := raw.Exec(st); err != nil {
			t.Errorf("%s: %v", st, err)
		}
	}

	out, errw, code = qb("migrate", "--indexes")
	if code != 0 {
		t.Fatalf("migrate --indexes: %d %s", code, errw)
	}
	if !strings.Contains(out, "created index qbx_candidates_scope on candidates") || strings.Contains(out, "qbx_jobs_scope") ||
		!regexp.MustCompile(`created search index qb_fts_candidates on candidates \(built in \d+\.\ds\)`).MatchString(out) {
		t.Errorf("migrate --indexes created:\n%s", out)
	}
	if !strings.Contains(errw, "[1/11] creating qbx_candidates_scope on candidates (22 rows)…") || !strings.Contains(errw, "[6/11] created qbx_ats_imports_scope in ") ||
		!strings.Contains(errw, "[8/11] creating qb_fts_candidates on candidates (22 rows)…") || !strings.Contains(errw, "[11/11] created qb_fts_atsImports in ") {
		t.Errorf("migrate --indexes progress:\n%s", errw)
	}
	// Search now reads through the index, with the rows it had.
	if out, errw, code := qb("list", "candidates", "--as", "u-dana", "--search", "JOHN", "--json"); code != 0 || strings.Count(out, `"id":`) != 1 || !strings.Contains(out, `"id": "c-john"`) {
		t.Errorf("search after migrate --indexes: %d %s %s", code, out, errw)
	}
	out, errw, code = qb("check")
	if code != 0 || out != "" || !strings.Contains(errw, "every firewall scope and keyset page is an index seek already") {
		t.Errorf("check --db after migrate: %d %q\n%s", code, out, errw)
	}

	// A membership whose role the config does not know: a warning, and a
	// failure under --strict.
	if _, err := raw.Exec(`INSERT INTO member (id, organization_id, user_id, role, created_at) VALUES ('m-x', 'acme', 'u-sam', 'member', 0)`); err != nil {
		t.Fatal(err)
	}
	_, errw, code = qb("check")
	if code != 0 || !strings.Contains(errw, `their.db: warning: 1 membership has the role "member", which [auth].roles does not list`) {
		t.Errorf("check --db with an unknown role: %d\n%s", code, errw)
	}
	if _, errw, code = qb("check", "--strict"); code != exitUsage || !strings.Contains(errw, "1 warnings (check --strict)") {
		t.Errorf("check --db --strict: %d\n%s", code, errw)
	}
}

// TestCLIQuickbackMismatch: a database that does not match the config is
// refused by every command with every mismatch (exit 1; under --json the
// mismatches in details), and nothing is written to it.
func TestCLIQuickbackMismatch(t *testing.T) {
	cfg, db := quickbackProject(t)
	raw, err := sql.Open("sqlite", "file:"+db)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, st := range []string{"ALTER TABLE candidates DROP COLUMN phone", "ALTER TABLE jobs RENAME COLUMN organization_id TO organizationId"} {
		if _, err := raw.Exec(st); err != nil {
			t.Fatal(err)
		}
	}
	snapshot := func() string {
		var b strings.Builder
		for _, r := range enginetest.Rows(t, raw, "SELECT type, name, COALESCE(sql, '') FROM sqlite_master ORDER BY name") {
			b.WriteString(strings.Join([]string{r[0].(string), r[1].(string), r[2].(string)}, " ") + "\n")
		}
		return b.String() + enginetest.Dump(t, raw)
	}
	before := snapshot()
	for _, args := range [][]string{{"check"}, {"users"}, {"seed"}, {"migrate", "--indexes"}, {"list", "jobs", "--role", "owner", "--org", "acme"}} {
		_, errw, code := runQB(append([]string{"--config", cfg, "--db", db}, args...)...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want 1", args, code)
		}
		for _, want := range []string{
			"was not created by qb and does not match the config (2 mismatches; qb never changes its tables)",
			"table jobs, column organization_id (tables.jobs.columns.organizationId): expected text, found no such column (the table has organizationId: column = \"organizationId\"?)",
			"table candidates, column phone (tables.candidates.columns.phone): expected text, found no such column",
		} {
			if !strings.Contains(errw, want) {
				t.Errorf("%v: stderr lacks %q:\n%s", args, want, errw)
			}
		}
	}
	out, _, code := runQB("--config", cfg, "--db", db, "--json", "check")
	var resp struct {
		Error struct {
			Code    string `json:"code"`
			Details struct {
				Mismatches []map[string]string `json:"mismatches"`
			} `json:"details"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(out), &resp); err != nil || code != exitUsage || resp.Error.Code != "CONFIG_ERROR" || len(resp.Error.Details.Mismatches) != 2 ||
		resp.Error.Details.Mismatches[1]["column"] != "phone" || resp.Error.Details.Mismatches[1]["found"] != "no such column" {
		t.Errorf("check --json: %d %v\n%s", code, err, out)
	}
	if after := snapshot(); after != before {
		t.Errorf("the refused commands changed the database:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// TestIndexProgressLine: what qb migrate --indexes prints at each step of
// an index's creation, the ticks of a large table's build included.
func TestIndexProgressLine(t *testing.T) {
	x := engine.IndexSuggestion{Table: "candidates", Name: "qbx_candidates_scope"}
	for _, c := range []struct {
		p    engine.IndexProgress
		want string
	}{
		{engine.IndexProgress{Index: x, N: 2, Of: 6, Rows: 4200000}, "[2/6] creating qbx_candidates_scope on candidates (4,200,000 rows)…"},
		{engine.IndexProgress{Index: x, N: 2, Of: 6, Rows: 4200000, Took: 12400 * time.Millisecond}, "[2/6] building qbx_candidates_scope on candidates: 12s so far (4,200,000 rows; the table is locked for writing until it is built)"},
		{engine.IndexProgress{Index: x, N: 2, Of: 6, Rows: 4200000, Took: 31250 * time.Millisecond, Done: true}, "[2/6] created qbx_candidates_scope in 31.2s"},
	} {
		if got := indexProgressLine(c.p); got != c.want {
			t.Errorf("%+v:\n got %s\nwant %s", c.p, got, c.want)
		}
	}
}

// TestCLISeedResetRefusedOnTheirData: `seed --reset` deletes every row and
// identity; on a database qb did not create, or with identities in Better
// Auth's tables, those are a team's real data, so it is a usage error
// (exit 1) that changes nothing unless --force is given. On qb's own
// database it needs no --force.
func TestCLISeedResetRefusedOnTheirData(t *testing.T) {
	t.Parallel()
	adoptedQB := func(t *testing.T) (string, string) {
		dir := t.TempDir()
		cfg := copyProject(t, dir)
		if err := os.WriteFile(cfg, []byte(enginetest.ConfigText(t, enginetest.QuickbackEdits[1:]...)), 0o644); err != nil {
			t.Fatal(err)
		}
		db := filepath.Join(dir, "their.db")
		enginetest.QuickbackDB(t, db)
		return cfg, db
	}
	ownDB := func(t *testing.T) (string, string) {
		dir := t.TempDir()
		return copyProject(t, dir), filepath.Join(dir, "own.db")
	}
	for _, tc := range []struct {
		name    string
		project func(*testing.T) (string, string)
		refused []string // what the refusal names; nil: not refused
	}{
		{"adopted, Better Auth identities", quickbackProject, []string{"qb did not create this database", `[auth].source = "better-auth"`}},
		{"adopted, qb identities", adoptedQB, []string{"qb did not create this database"}},
		{"qb's own database", ownDB, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, db := tc.project(t)
			qb := func(args ...string) (string, string, int) {
				return runQB(append([]string{"--config", cfg, "--db", db}, args...)...)
			}
			if _, errw, code := qb("seed"); code != 0 {
				t.Fatalf("seed: %d %s", code, errw)
			}
			raw, err := sql.Open("sqlite", "file:"+db)
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			if _, err := raw.Exec(`UPDATE jobs SET title = 'their own title' WHERE id = 'j-robotics-eng'`); err != nil {
				t.Fatal(err)
			}
			titled := func() int {
				var n int
				if err := raw.QueryRow(`SELECT count(*) FROM jobs WHERE title = 'their own title'`).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			before := enginetest.Dump(t, raw)
			_, errw, code := qb("seed", "--reset")
			if tc.refused == nil {
				if code != 0 || titled() != 0 {
					t.Fatalf("seed --reset on qb's own database: exit %d, %d rows kept their title\n%s", code, titled(), errw)
				}
				return
			}
			if code != exitUsage || !strings.Contains(errw, "add --force") {
				t.Errorf("seed --reset: exit %d, want 1 with a hint at --force:\n%s", code, errw)
			}
			for _, want := range tc.refused {
				if !strings.Contains(errw, want) {
					t.Errorf("seed --reset: stderr lacks %q:\n%s", want, errw)
				}
			}
			out, _, code := qb("--json", "seed", "--reset")
			var resp struct {
				Error struct {
					Code    string         `json:"code"`
					Details map[string]any `json:"details"`
				} `json:"error"`
			}
			if err := json.Unmarshal([]byte(out), &resp); err != nil || code != exitUsage || resp.Error.Code != "USAGE_ERROR" || resp.Error.Details["flag"] != "--force" {
				t.Errorf("--json seed --reset: exit %d (%v)\n%s", code, err, out)
			}
			if after := enginetest.Dump(t, raw); after != before {
				t.Errorf("the refused reset changed the database:\nbefore:\n%s\nafter:\n%s", before, after)
			}
			if _, errw, code := qb("seed", "--reset", "--force"); code != 0 || titled() != 0 {
				t.Errorf("seed --reset --force: exit %d, %d rows kept their title\n%s", code, titled(), errw)
			}
		})
	}
}
