package engine_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"
	"testing"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/dbconn"
	"quickback.dev/qb/internal/enginetest"
	"quickback.dev/qb/schema"
)

// TestExtraColumnIgnored (issue 15, defect 2): a column of the database the
// config does not name — added by hand, or left by a config that named it
// once — is ignored: the database opens, reads and writes work, and the
// column keeps its values.
func TestExtraColumnIgnored(t *testing.T) {
	ctx := context.Background()
	path := t.TempDir() + "/hiring.db"
	e := enginetest.Seeded(t, enginetest.At(path))
	for _, stmt := range []string{
		"ALTER TABLE candidates ADD COLUMN remote INTEGER",
		"ALTER TABLE candidates ADD COLUMN tier TEXT NOT NULL DEFAULT 'b'",
		"UPDATE candidates SET remote = 1 WHERE id = 'c-jane'",
	} {
		if _, err := engine.RawDB(e).Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	e.Close()
	for _, ro := range []bool{true, false} {
		e, err := engine.Open(enginetest.Config(t), path, engine.Options{ReadOnly: ro})
		if err != nil {
			t.Fatalf("read-only %v: %v", ro, err)
		}
		dana := enginetest.Member(t, e, "u-dana", "")
		if _, err := e.List(ctx, dana, "candidates", engine.ListQuery{}); err != nil {
			t.Fatal(err)
		}
		if !ro {
			if _, err := e.Update(ctx, dana, "candidates", "c-jane", map[string]any{"phone": "555-000-1111"}, engine.WriteOptions{}); err != nil {
				t.Fatal(err)
			}
			if _, err := e.Create(ctx, dana, "candidates", map[string]any{"name": "Zed", "email": "zed@example.com"}, engine.WriteOptions{}); err != nil {
				t.Fatal(err)
			}
			got := enginetest.Rows(t, engine.RawDB(e), "SELECT remote, tier FROM candidates WHERE id = 'c-jane'")
			if got[0][0] != int64(1) || got[0][1] != "b" {
				t.Errorf("the extra columns changed: %v", got)
			}
		}
		e.Close()
	}
}

// TestPlanReload: PlanReload names exactly the statements a reload would
// run, and writes nothing; a config that changes nothing in the database
// (the same one, or one that no longer names a column) plans nothing.
func TestPlanReload(t *testing.T) {
	ctx := context.Background()
	e := enginetest.Seeded(t)
	db := engine.RawDB(e)
	same := enginetest.Config(t)
	remote := enginetest.Config(t, enginetest.Edit{Section: "[tables.candidates.columns]", Old: `source         = `, New: "remote         = { type = \"boolean\" }\nsource         = "})
	notes := enginetest.Config(t, enginetest.Edit{New: flNotesTable})

	if got, err := e.PlanReload(ctx, same); err != nil || len(got) != 0 {
		t.Fatalf("the same config plans %q, %v", got, err)
	}
	got, err := e.PlanReload(ctx, remote)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !strings.HasPrefix(got[0], `ALTER TABLE "candidates" ADD COLUMN "remote" INTEGER`) {
		t.Fatalf("a new column plans %q", got)
	}
	if cols := enginetest.Rows(t, db, "SELECT name FROM pragma_table_info('candidates') WHERE name = 'remote'"); len(cols) != 0 {
		t.Fatal("planning wrote the column")
	}
	got, err = e.PlanReload(ctx, notes)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) < 2 || !strings.HasPrefix(got[0], `CREATE TABLE IF NOT EXISTS "notes"`) || !strings.Contains(strings.Join(got[1:], "\n"), "CREATE INDEX") {
		t.Fatalf("a new table plans %q", got)
	}

	// Applied, then undone: the column stays in the database, ignored.
	e2, err := e.Reload(ctx, remote)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := e2.PlanReload(ctx, same); err != nil || len(got) != 0 {
		t.Fatalf("restoring the config plans %q, %v", got, err)
	}
	e3, err := e2.Reload(ctx, same)
	if err != nil {
		t.Fatalf("restoring the config: %v", err)
	}
	if _, err := e3.List(ctx, enginetest.Member(t, e3, "u-dana", ""), "candidates", engine.ListQuery{}); err != nil {
		t.Fatal(err)
	}
	// A config the database cannot follow is refused by the plan too.
	retyped := enginetest.Config(t, enginetest.Edit{Section: "[tables.jobs.columns]", Old: `salaryMin      = { type = "integer", min = 0 }`, New: `salaryMin      = { type = "text" }`})
	if _, err := e3.PlanReload(ctx, retyped); err == nil || !strings.Contains(err.Error(), "column salaryMin is INTEGER in the database but TEXT") {
		t.Fatalf("a retyped column: %v", err)
	}
}

// The layout record (issue 14): once the open-time check has passed, qb_meta
// records it with the schema version, and the next open of the same config
// reads that record instead of checking again — unless the schema changed
// since (anyone's DDL) or the config did.
func TestLayoutRecord(t *testing.T) {
	path := t.TempDir() + "/hiring.db"
	e := enginetest.Seeded(t, enginetest.At(path))
	cfg := e.Config()
	e.Close()
	raw := func(t *testing.T) *sql.DB {
		db, err := sql.Open("sqlite", dbconn.DSN(path, false))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	hasIndex := func(t *testing.T) bool {
		var n int
		if err := raw(t).QueryRow("SELECT count(*) FROM sqlite_master WHERE name = 'qbx_candidates_scope'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 1
	}
	record := func(t *testing.T) string {
		var v string
		raw(t).QueryRow("SELECT value FROM qb_meta WHERE key = 'layout'").Scan(&v)
		return v
	}
	reopen := func(t *testing.T, cfg *schema.Config) {
		e, err := engine.Open(cfg, path, engine.Options{})
		if err != nil {
			t.Fatal(err)
		}
		e.Close()
	}
	if record(t) == "" {
		t.Fatal("no layout record after the check passed")
	}

	// Someone drops an index: the schema version moves on, so the next open
	// checks again and puts it back.
	if _, err := raw(t).Exec("DROP INDEX qbx_candidates_scope"); err != nil {
		t.Fatal(err)
	}
	reopen(t, cfg)
	if !hasIndex(t) {
		t.Fatal("the open after a schema change did not check the layout (the dropped index is missing)")
	}

	// A record that matches is trusted: with the index dropped and the
	// record rewritten for the new schema version, opening does not check.
	db := raw(t)
	if _, err := db.Exec("DROP INDEX qbx_candidates_scope"); err != nil {
		t.Fatal(err)
	}
	var version int64
	if err := db.QueryRow("PRAGMA schema_version").Scan(&version); err != nil {
		t.Fatal(err)
	}
	hash, _, _ := strings.Cut(record(t), " ")
	if _, err := db.Exec("UPDATE qb_meta SET value = ? WHERE key = 'layout'", fmt.Sprintf("%s %d", hash, version)); err != nil {
		t.Fatal(err)
	}
	reopen(t, cfg)
	if hasIndex(t) {
		t.Fatal("a matching layout record did not spare the check")
	}

	// Another config is checked (and recorded) whatever the record says.
	other := enginetest.Config(t, enginetest.Edit{Section: "[tables.candidates.columns]", Old: "source", New: "nickname = { type = \"text\" }\nsource"})
	reopen(t, other)
	var n int
	if err := raw(t).QueryRow("SELECT count(*) FROM pragma_table_info('candidates') WHERE name = 'nickname'").Scan(&n); err != nil || n != 1 {
		t.Fatalf("a changed config was not checked: the new column is missing (%v)", err)
	}
	if !hasIndex(t) {
		t.Fatal("a changed config was not checked: the dropped index is missing")
	}
	if h, _, _ := strings.Cut(record(t), " "); h == hash {
		t.Fatal("the record still holds the other config's hash")
	}
}

// KeepWAL (issue 14): a process that exits after Close leaves a small
// write-ahead log for the next one instead of checkpointing it; whatever
// it committed is read by the next opener. A log past the bound is
// checkpointed and removed by Close as usual.
func TestKeepWAL(t *testing.T) {
	ctx := context.Background()
	path := t.TempDir() + "/hiring.db"
	base := enginetest.Seeded(t, enginetest.At(path))
	cfg := base.Config()
	base.Close()
	e, err := engine.Open(cfg, path, engine.Options{KeepWAL: true})
	if err != nil {
		t.Fatal(err)
	}
	dana := enginetest.Member(t, e, "u-dana", "acme")
	if _, err := e.Update(ctx, dana, "candidates", "c-jane", map[string]any{"phone": "555-000-1111"}, engine.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path + "-wal")
	if err != nil || fi.Size() == 0 {
		t.Fatalf("Close with KeepWAL left no write-ahead log (%v)", err)
	}
	next, err := engine.Open(cfg, path, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	row, err := next.Get(ctx, dana, "candidates", "c-jane")
	if err != nil {
		t.Fatal(err)
	}
	if got := row.Get("phone"); got != "555-000-1111" {
		t.Fatalf("the next process reads phone %v, want the update left in the log", got)
	}
	if err := next.Close(); err != nil {
		t.Fatal(err)
	}

	// A log past the bound is checkpointed (on another file: e's
	// connections stay open in this process, as they would until it
	// exits, and keep any checkpoint of path from removing its log).
	path = t.TempDir() + "/hiring.db"
	enginetest.Seeded(t, enginetest.At(path)).Close()
	big, err := engine.Open(cfg, path, engine.Options{KeepWAL: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 400; i++ {
		if _, err := big.Update(ctx, dana, "candidates", "c-jane", map[string]any{"phone": fmt.Sprintf("555-%07d", i)}, engine.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := big.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + "-wal"); err == nil {
		t.Fatal("Close with KeepWAL left a write-ahead log past its bound")
	}
}
