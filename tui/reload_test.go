package tui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

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

	// Valid: a new table appears in the sidebar, the current table stays.
	tuWriteConfig(t, cfgPath, tuNotesTable)
	f.key("R")
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
