package tui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/enginetest"
	"quickback.dev/qb/schema"
)

// tuWriteConfig writes the default project's config, with extra appended
// and the replacements applied, to path.
func tuWriteConfig(t *testing.T, path, extra string, replace ...string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "quickback.toml"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for i := 0; i+1 < len(replace); i += 2 {
		if !strings.Contains(s, replace[i]) {
			t.Fatalf("%q is not in the config", replace[i])
		}
		s = strings.Replace(s, replace[i], replace[i+1], 1)
	}
	if err := os.WriteFile(path, []byte(s+extra), 0o644); err != nil {
		t.Fatal(err)
	}
}

const tuNotesTable = `
[tables.notes]
label = "Notes"

[tables.notes.columns]
id             = { type = "id" }
organizationId = { type = "text", required = true }
body           = { type = "text" }

[tables.notes.firewall]
organization = {}

[tables.notes.crud]
list.access = { roles = ["interviewer+"] }
get.access  = { roles = ["interviewer+"] }
`

// TestReloadConfig: R reads the config again. An invalid config, or one
// the database cannot follow safely, is refused with its problems shown and
// the current config kept; a valid one is applied over the same database.
func TestReloadConfig(t *testing.T) {
	e := newEngine(t)
	cfgPath := filepath.Join(t.TempDir(), "quickback.toml")
	tuWriteConfig(t, cfgPath, "")
	f := startFlow(t, e, Options{Identity: identity(t, e, "u-dana", ""), Table: "jobs", ConfigPath: cfgPath})
	f.waitFor("Jobs (jobs)", "row 1 of")

	// Invalid: an unknown column type. Refused, problems shown, old kept.
	tuWriteConfig(t, cfgPath, "", `salaryMin      = { type = "integer", min = 0 }`, `salaryMin      = { type = "money" }`)
	f.key("R")
	v := f.waitFor("was not reloaded", "Fix these problems")
	if !strings.Contains(v, "salaryMin") || !strings.Contains(v, cfgPath) {
		t.Errorf("the refusal does not show the problem and the file:\n%s", v)
	}
	f.key("esc")
	f.waitFor("Jobs (jobs)", "row 1 of")

	// Valid, but the database cannot follow: a column's type changed.
	tuWriteConfig(t, cfgPath, "", `salaryMin      = { type = "integer", min = 0 }`, `salaryMin      = { type = "text" }`)
	f.key("R")
	v = f.waitFor("was not reloaded", "column salaryMin is INTEGER in the database but TEXT")
	f.key("esc")
	f.key("j")
	f.waitFor("Jobs (jobs)", "row 2 of")
	if strings.Contains(v, "Notes") {
		t.Fatal("a refused config was applied")
	}

	// Valid: a new table changes the database, so the statements are
	// shown and the reload asked first. No keeps everything as it is.
	tuWriteConfig(t, cfgPath, tuNotesTable)
	f.key("R")
	f.waitFor("Reload the config?", `CREATE TABLE IF NOT EXISTS "notes"`, "CREATE INDEX", "Change the database and reload? (y/N)")
	f.key("n")
	v = f.waitFor("not written: the database changes of", "Jobs (jobs)")
	if strings.Contains(v, "Notes") || f.m.s.eng.Config().Table("notes") != nil {
		t.Fatalf("No reloaded the config:\n%s", v)
	}
	if n := tuCount(t, e, "SELECT count(*) FROM sqlite_master WHERE name = 'notes'"); n != 0 {
		t.Fatal("No created the table")
	}
	// Yes: the table appears in the sidebar, the current table stays.
	f.key("R")
	f.waitFor("Change the database and reload? (y/N)")
	f.key("y")
	f.waitFor("reloaded config", "7 tables", "Notes", "Jobs (jobs)", "row 1 of")
	f.key("7")
	f.waitFor("Notes (notes)")
	if f.m.s.eng.Config().Table("notes") == nil {
		t.Fatal("the engine was not rebuilt on the new config")
	}
	f.key("1")
	f.waitFor("Jobs (jobs)", "row 1 of")
	tuVerify(t, e)
	cfg, err := schema.Load(cfgPath)
	if err != nil || cfg.Table("notes") == nil {
		t.Fatalf("config: %v", err)
	}
}

func tuCount(t *testing.T, e *engine.Engine, query string) int64 {
	t.Helper()
	rows := enginetest.Rows(t, enginetest.DB(t, e), query)
	n, _ := rows[0][0].(int64)
	return n
}

// TestReloadAsksAndUndoes (issue 15, defect 2): a config that adds a
// column asks before altering the table (showing the statement); the
// config restored afterwards reloads without a question and without an
// error — the column left in the database is ignored.
func TestReloadAsksAndUndoes(t *testing.T) {
	e := newEngine(t)
	cfgPath := filepath.Join(t.TempDir(), "quickback.toml")
	tuWriteConfig(t, cfgPath, "")
	f := startFlow(t, e, Options{Identity: identity(t, e, "u-dana", ""), Table: "jobs", ConfigPath: cfgPath})
	f.waitFor("Jobs (jobs)", "row 1 of")
	remote := []string{`salaryMin      = { type = "integer", min = 0 }`, "salaryMin      = { type = \"integer\", min = 0 }\nremote         = { type = \"boolean\" }"}
	tuWriteConfig(t, cfgPath, "", remote...)
	f.key("R")
	f.waitFor(`ALTER TABLE "jobs" ADD COLUMN "remote" INTEGER`, "(y/N)")
	if n := tuCount(t, e, "SELECT count(*) FROM pragma_table_info('jobs') WHERE name = 'remote'"); n != 0 {
		t.Fatal("the table was altered before the answer")
	}
	f.key("y")
	f.waitFor("reloaded config", "row 1 of")
	if n := tuCount(t, e, "SELECT count(*) FROM pragma_table_info('jobs') WHERE name = 'remote'"); n != 1 {
		t.Fatal("Yes did not alter the table")
	}
	tuWriteConfig(t, cfgPath, "")
	f.key("R")
	v := f.waitFor("reloaded config", "6 tables", "Jobs (jobs)", "row 1 of")
	if strings.Contains(v, "(y/N)") || strings.Contains(v, "not reloaded") {
		t.Fatalf("restoring the config:\n%s", v)
	}
}
