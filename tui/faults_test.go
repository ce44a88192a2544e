package tui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"quickback.dev/qb/internal/testkit"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/schema"
)

// TestHelperTUILocker is not a test: the lock holder testkit.HoldLock runs.
func TestHelperTUILocker(t *testing.T) { testkit.ServeLocker(t) }

// tuLock starts a second process holding the database's write lock and
// returns the function that releases it.
func tuLock(t *testing.T, path string) func() {
	t.Helper()
	return testkit.HoldLock(t, "TestHelperTUILocker", path, "")
}

// tuReopen opens a second engine on a seeded engine's database with opts.
func tuReopen(t *testing.T, base *engine.Engine, opts engine.Options) *engine.Engine {
	t.Helper()
	opts.Clock, opts.OSUser = func() time.Time { return fixedNow }, "tester"
	e, err := engine.Open(base.Config(), base.Path(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func tuVerify(t *testing.T, e *engine.Engine) int64 {
	t.Helper()
	v, err := e.VerifyAudit(context.Background(), "")
	if err != nil || !v.OK {
		t.Fatalf("audit chain: %+v %v", v, err)
	}
	return v.Entries
}

// TestLockedDatabase: another process holds the write lock. A write shows
// the locked error, naming the file, in the status line; browsing goes on
// (other tables, other rows), the status line saying audit entries are
// pending; once the lock is released they are written and writes work.
func TestLockedDatabase(t *testing.T) {
	base := newEngine(t)
	path := base.Path()
	e := tuReopen(t, base, engine.Options{BusyTimeout: 200 * time.Millisecond})
	f := startFlow(t, e, Options{Identity: identity(t, e, "u-dana", ""), Table: "jobs", DBPath: path})
	f.waitFor("Jobs (jobs)", "row 1 of")
	n0 := tuVerify(t, e)

	release := tuLock(t, path)
	f.key("d")
	v := f.waitFor("is locked by another writer")
	if !strings.Contains(v, path) {
		t.Errorf("the locked error does not name the file:\n%s", v)
	}
	f.key("j")
	f.waitFor("row 2 of", "audit log locked by another writer: 1 entry pending")
	f.key("2")
	f.waitFor("Candidates (candidates)", "row 1 of", "Jane Doe", "entries pending")
	if n := tuVerify(t, e); n != n0 {
		t.Fatalf("the log changed under the lock: %d entries, had %d", n, n0)
	}

	release()
	f.key("1") // back on jobs, on the row it was left on
	f.waitView("the pending entries written", func(v string) bool {
		return strings.Contains(v, "Jobs (jobs)") && strings.Contains(v, "row 2 of") && !strings.Contains(v, "pending")
	})
	if n, _ := e.PendingAudit(); n != 0 {
		t.Fatalf("%d audit entries still pending", n)
	}
	f.key("d")
	f.waitFor("Delete it?")
	f.key("y")
	f.waitFor("deleted jobs")
	es, err := e.AuditEntries(context.Background(), engine.AuditFilter{AfterSeq: n0})
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, x := range es {
		ops = append(ops, x.Operation+":"+x.Outcome)
	}
	got := strings.Join(ops, " ")
	// The dry run the lock refused first, then the reads made under the
	// lock, in order, then what followed.
	if !strings.HasPrefix(got, "delete:dry-run:error list:ok ") || !strings.Contains(got, " delete:dry-run:ok delete:ok") {
		t.Errorf("audit entries after the lock: %s", got)
	}
	tuVerify(t, e)
}

// TestReadOnlyFileConsole: a database file with no write permission opens
// read-only; the header says READ-ONLY, the status line why, and the keys
// that write do nothing.
func TestReadOnlyFileConsole(t *testing.T) {
	base := newEngine(t)
	path := base.Path()
	base.Close()
	if err := os.Chmod(path, 0o444); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	why := engine.ReadOnlyReason(path)
	if why == "" {
		t.Fatal("a 0444 file is not read-only")
	}
	e := tuReopen(t, base, engine.Options{ReadOnly: true, ReadOnlyReason: why})
	reason := "read-only: " + why + "; the keys that write are disabled"
	f := startFlow(t, e, Options{Identity: identity(t, e, "u-dana", ""), Table: "jobs", DBPath: path, ReadOnly: true, ReadOnlyReason: reason})
	f.waitFor("READ-ONLY", "row 1 of", "mode 0444")
	f.key("d", "e", "n")
	v := f.waitFor("row 1 of", "mode 0444")
	if strings.Contains(v, "Delete it?") || strings.Contains(v, "Edit jobs") {
		t.Fatalf("a write key worked read-only:\n%s", v)
	}
	e.Close()
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Error("the read-only file was modified")
	}
}

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
