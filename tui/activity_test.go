package tui

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/dbconn"
	"quickback.dev/qb/internal/enginetest"
)

// lockedFlow is the console as Ivan on his interview notes over a
// database whose write lock another connection holds: every refusal's
// audit entry waits the busy timeout, so a compare (every synthetic role
// is refused his notes) takes about two of them.
func lockedFlow(t *testing.T) *flow {
	t.Helper()
	const busy = 600 * time.Millisecond
	path := filepath.Join(t.TempDir(), "hiring.db")
	e := enginetest.Seeded(t, enginetest.At(path), enginetest.Options(engine.Options{BusyTimeout: busy}), enginetest.Fixed())
	f := startFlow(t, e, Options{Identity: identity(t, e, "u-ivan", ""), Table: "interview_notes"})
	f.waitFor("row 1 of")
	raw, err := sql.Open("sqlite", dbconn.DSN(path, false))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	conn, err := raw.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.ExecContext(ctx, "ROLLBACK")
		conn.Close()
		raw.Close()
	})
	return f
}

// waitBusy waits until the view contains every string, requests in flight
// or not.
func (f *flow) waitBusy(subs ...string) string {
	f.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		v, _ := f.snapshot()
		ok := true
		for _, s := range subs {
			ok = ok && strings.Contains(v, s)
		}
		if ok {
			return v
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("timed out waiting for %q; the screen is:\n%s", subs, v)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestSlowCompareShowsSpinnerAndStops (issue 15, defect 6): a slow engine
// call shows a spinner naming what it waits for, and esc stops waiting:
// its answer, when it comes, opens nothing.
func TestSlowCompareShowsSpinnerAndStops(t *testing.T) {
	t.Parallel()
	f := lockedFlow(t)
	f.key("c")
	f.waitBusy("reading interview_notes", "as every role…", "esc stops waiting")
	f.key("esc")
	f.waitFor("stopped waiting: reading interview_notes")
	time.Sleep(1500 * time.Millisecond) // the compare's answer comes and is dropped
	v := f.waitFor("row 1 of")
	if strings.Contains(v, "Compare interview_notes") {
		t.Fatalf("the compare opened after esc:\n%s", v)
	}
}

// TestSlowCompareForAnotherRow: a compare whose answer comes after the
// operator moved to another row does not open (the status line says so).
func TestSlowCompareForAnotherRow(t *testing.T) {
	t.Parallel()
	f := lockedFlow(t)
	f.key("c")
	f.waitBusy("as every role…")
	f.key("j")
	v := f.waitFor("the compare of interview_notes", "not shown: another row is selected now", "row 2 of")
	if strings.Contains(v, "Compare interview_notes") {
		t.Fatalf("the compare of the row left opened:\n%s", v)
	}
}
