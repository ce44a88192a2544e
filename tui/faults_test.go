package tui

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/enginetest"
	"quickback.dev/qb/internal/testkit"
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
	return enginetest.Open(t, enginetest.At(base.Path()), enginetest.Options(opts), enginetest.Fixed())
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
	t.Parallel()
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
	reason := "read-only: " + why + "; the keys that write are disabled and nothing is audited (UNAUDITED)"
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
