package engine_test

import (
	"context"
	"strings"
	"testing"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/enginetest"
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
