package engine_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/enginetest"
)

// TestPostgresAuditLockHeldOut: on PostgreSQL a write takes the audit
// chain's lock only before it reads the chain's head. When another
// transaction holds that lock past the lock timeout, the write fails as
// locked, writes nothing, and its attempt is logged (outcome "error") once
// the lock is free — as a write kept out by SQLite's write lock is.
func TestPostgresAuditLockHeldOut(t *testing.T) {
	ctx := context.Background()
	e := enginetest.Seeded(t, enginetest.Postgres(), enginetest.Options(engine.Options{BusyTimeout: 300 * time.Millisecond}))
	dana := enginetest.Member(t, e, "u-dana", "")
	if err := e.FlushAudit(ctx); err != nil {
		t.Fatal(err)
	}
	db := enginetest.DB(t, e)
	holder, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback()
	if _, err := holder.ExecContext(ctx, "SELECT pg_advisory_xact_lock(7190, hashtext(current_schema()))"); err != nil {
		t.Fatal(err)
	}
	_, err = e.Update(ctx, dana, "jobs", "j-firmware", map[string]any{"title": "Kept out"}, engine.WriteOptions{})
	if err == nil || !strings.Contains(err.Error(), "locked") {
		t.Fatalf("update while the audit lock is held: %v, want locked by another writer", err)
	}
	if got := enginetest.Rows(t, db, "SELECT title FROM jobs WHERE id = ?", "j-firmware")[0][0]; got == "Kept out" {
		t.Errorf("the refused update was written")
	}
	if n, lockErr := e.PendingAudit(); n != 1 || lockErr == nil {
		t.Fatalf("pending audit entries %d (%v), want the attempt held out", n, lockErr)
	}
	if err := holder.Rollback(); err != nil {
		t.Fatal(err)
	}
	if err := e.FlushAudit(ctx); err != nil {
		t.Fatal(err)
	}
	rows := enginetest.Rows(t, db, "SELECT operation, record_id, outcome FROM qb_audit ORDER BY seq DESC LIMIT 1")
	if got := fmt.Sprint(rows[0]); got != "[update j-firmware error]" {
		t.Errorf("last audit entry %s, want the update's attempt with outcome error", got)
	}
}
