package main

import (
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/enginetest"
	"quickback.dev/qb/internal/testkit"
)

// readmeQuickbackCommands are the commands of README's "Using qb on your
// Quickback project": the lines of its first sh block, comments removed.
func readmeQuickbackCommands(t *testing.T) []string {
	t.Helper()
	src, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(src), "\n## Using qb on your Quickback project\n")
	if !ok {
		t.Fatal(`README has no section "Using qb on your Quickback project"`)
	}
	_, block, ok := strings.Cut(section, "\n```sh\n")
	if !ok {
		t.Fatal("the section has no sh block")
	}
	block, _, _ = strings.Cut(block, "\n```")
	var out []string
	for _, l := range strings.Split(block, "\n") {
		if i := strings.Index(l, " #"); i >= 0 {
			l = l[:i]
		}
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// d1Database is a Quickback project's D1 database as `wrangler d1
// migrations apply` and the project's use leave it: testdata/quickback's
// migrations and rows (enginetest.TheirDB), wrangler's own d1_migrations
// table, and D1's internal _cf_KV table.
func d1Database(t *testing.T, path string) {
	t.Helper()
	enginetest.TheirDB(t, path)
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, st := range []string{
		"CREATE TABLE d1_migrations(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)",
		"INSERT INTO d1_migrations (name) VALUES ('0000_tidy_auth.sql'), ('0000_brisk_pipeline.sql'), ('0001_quiet_followup.sql')",
		"CREATE TABLE _cf_KV (key TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID",
	} {
		if _, err := db.Exec(st); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
	}
}

// d1Export writes what `wrangler d1 export` writes for the database at
// path: PRAGMA defer_foreign_keys, each table's CREATE statement as stored
// followed by an INSERT per row naming every column (D1's internal _cf_
// tables left out, sqlite_sequence emptied and refilled last), then the
// indexes, triggers and views. It follows the format of D1's exporter
// (miniflare's dumpSql), not its code.
func d1Export(t *testing.T, path string) string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var b strings.Builder
	b.WriteString("PRAGMA defer_foreign_keys=TRUE;\n")
	for _, r := range enginetest.Rows(t, db, "SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND sql NOT NULL ORDER BY tbl_name = 'sqlite_sequence', rowid") {
		name, create := r[0].(string), r[1].(string)
		switch {
		case name == "sqlite_sequence":
			b.WriteString("DELETE FROM sqlite_sequence;\n")
		case strings.HasPrefix(name, "_cf_"), strings.HasPrefix(name, "sqlite_"):
			continue
		case strings.HasPrefix(create, `CREATE TABLE "`), strings.HasPrefix(create, "CREATE TABLE '"):
			b.WriteString("CREATE TABLE IF NOT EXISTS " + create[len("CREATE TABLE "):] + ";\n")
		default:
			b.WriteString(create + ";\n")
		}
		var cols, cells []string
		for _, c := range enginetest.Rows(t, db, "SELECT name FROM pragma_table_info(?) ORDER BY cid", name) {
			col := engine.Q(c[0].(string))
			cols = append(cols, col)
			// Each value's SQL literal as SQLite writes it, with its type
			// (the driver would turn a TIMESTAMP column's text into a time).
			cells = append(cells, "typeof("+col+")", "quote("+col+")")
		}
		for _, row := range enginetest.Rows(t, db, fmt.Sprintf("SELECT %s FROM %s", strings.Join(cells, ", "), engine.Q(name))) {
			vals := make([]string, len(cols))
			for i := range vals {
				vals[i] = d1Literal(row[2*i].(string), row[2*i+1].(string))
			}
			fmt.Fprintf(&b, "INSERT INTO %s (%s) VALUES(%s);\n", engine.Q(name), strings.Join(cols, ","), strings.Join(vals, ","))
		}
	}
	for _, r := range enginetest.Rows(t, db, "SELECT sql FROM sqlite_schema WHERE sql NOT NULL AND type IN ('index', 'trigger', 'view') ORDER BY type COLLATE NOCASE") {
		b.WriteString(r[0].(string) + ";\n")
	}
	return b.String()
}

// d1Literal writes a value (its type and SQLite's quote() of it) as D1's
// exporter does: text with newlines and carriage returns spelt out through
// replace().
func d1Literal(typ, quoted string) string {
	if typ != "text" {
		return quoted
	}
	lf, cr := strings.Contains(quoted, "\n"), strings.Contains(quoted, "\r")
	s := strings.NewReplacer("\n", `\n`, "\r", `\r`).Replace(quoted)
	if cr {
		s = `replace(` + s + `,'\r',char(13))`
	}
	if lf {
		s = `replace(` + s + `,'\n',char(10))`
	}
	return s
}

// TestREADMEQuickbackCommands runs the five commands of README's "Using qb
// on your Quickback project" in a checkout of a Quickback project
// (testdata/quickback as its quickback/ folder): the export is a dump in
// wrangler's format of a D1 database built from the project's migrations,
// loaded with sqlite3; the project's definitions are imported; check --db
// passes and prints index SQL that runs; the console opens as a Better
// Auth identity. None of the project's tables or rows changes.
func TestREADMEQuickbackCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binaries")
	}
	if _, err := exec.LookPath("sqlite3"); err != nil {
		t.Skip("sqlite3 is not installed (.ci/run installs it)")
	}
	cmds := readmeQuickbackCommands(t)
	if len(cmds) != 5 || !strings.HasPrefix(cmds[0], "npx wrangler d1 export ") || !strings.Contains(cmds[0], "--output dump.sql") {
		t.Fatalf("README's commands are not the five this test runs (an export to dump.sql first):\n%s", strings.Join(cmds, "\n"))
	}
	bin := testkit.BuildQB(t)
	testkit.BuildQBImport(t, filepath.Dir(bin))
	dir := t.TempDir()
	testkit.CopyTree(t, filepath.Join("testdata", "quickback"), filepath.Join(dir, "quickback"))
	d1 := filepath.Join(t.TempDir(), "d1.db")
	d1Database(t, d1)
	if err := os.WriteFile(filepath.Join(dir, "dump.sql"), []byte(d1Export(t, d1)), 0o644); err != nil {
		t.Fatal(err)
	}

	theirs := func() string {
		raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "their.db")+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		var b strings.Builder
		for _, r := range enginetest.Rows(t, raw, `SELECT type, name, COALESCE(sql, '') FROM sqlite_master WHERE tbl_name NOT LIKE 'qb\_%' ESCAPE '\' ORDER BY type, name`) {
			fmt.Fprintln(&b, r...)
		}
		return b.String() + enginetest.Dump(t, raw, "qb_meta", "qb_audit", "qb_users", "qb_organizations", "qb_members")
	}
	var before string
	for i, cmd := range cmds[1:4] {
		out, code := shell(t, dir, bin, cmd)
		if code != 0 {
			t.Fatalf("$ %s: exit %d\n%s", cmd, code, out)
		}
		if i == 0 {
			before = theirs()
			for _, want := range []string{"== user\n", "== atsImports\n", "== d1_migrations\n", "greenhouse-1001"} {
				if !strings.Contains(before, want) {
					t.Fatalf("the loaded dump lacks %q", want)
				}
			}
		}
	}
	indexes, err := os.ReadFile(filepath.Join(dir, "indexes.sql"))
	if err != nil {
		t.Fatal(err)
	}
	// 7 indexes, and the 9 statements of each of 5 search indexes.
	if n := strings.Count(string(indexes), "CREATE INDEX IF NOT EXISTS "); n != 7 || strings.Count(string(indexes), "CREATE VIRTUAL TABLE ") != 5 || strings.Count(string(indexes), "\n") != 7+5*9 {
		t.Errorf("indexes.sql is not 7 index statements and 5 search indexes:\n%s", indexes)
	}
	if after := theirs(); after != before {
		t.Errorf("import and check changed the project's database")
	}

	s := startConsoleIn(t, dir, bin, strings.Fields(cmds[4])[1:]...)
	s.waitFor("project Hiring", "db their.db", "org acme (Acme Robotics)", "role owner", "Benjamin Adler (u-ben)", "a-1001 │ c-jane · Jane Doe")
	s.keys("i")
	s.waitFor("Act as", "dana@acme.test", "hiring-manager", "globex")
	s.keys("Escape")
	// Escape and q sent together would read as alt+q: wait for the picker to close.
	s.waitGone("Act as")
	s.keys("q")
	s.ended("q")
	if after := theirs(); after != before {
		t.Errorf("a console session changed the project's database")
	}
	// The printed SQL runs as it is.
	if out, code := shell(t, dir, bin, "sqlite3 their.db < indexes.sql && qb check --db their.db"); code != 0 || !strings.Contains(out, "every firewall scope and keyset page is an index seek already") || strings.Contains(out, "search index") {
		t.Errorf("indexes.sql through sqlite3, then check --db: exit %d\n%s", code, out)
	}
}
