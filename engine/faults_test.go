package engine_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"quickback.dev/qb/internal/testkit"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/enginetest"
)

// TestHelperLocker is not a test: the lock holder testkit.HoldLock runs.
func TestHelperLocker(t *testing.T) { testkit.ServeLocker(t) }

// flLock starts a second process holding the write lock of the database at
// path, with a row written and not committed, and returns the function that
// releases it.
func flLock(t *testing.T, path string) (release func()) {
	t.Helper()
	return testkit.HoldLock(t, "TestHelperLocker", path, "UPDATE candidates SET name = 'held by the locker' WHERE id = 'c-tomas'")
}

func flOps(t *testing.T, e *engine.Engine, after int64) []string {
	t.Helper()
	es, err := e.AuditEntries(context.Background(), engine.AuditFilter{AfterSeq: after})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, x := range es {
		out = append(out, x.Operation+":"+x.Outcome)
	}
	return out
}

func flHead(t *testing.T, e *engine.Engine) (int64, string) {
	t.Helper()
	v, err := e.VerifyAudit(context.Background(), "")
	if err != nil || !v.OK {
		t.Fatalf("audit chain: %+v %v", v, err)
	}
	return v.Entries, v.Head
}

// TestFaultLockedDatabase: a second process holds the write lock. A write
// waits the busy timeout, then fails with a message naming the file and
// what to do, and changes nothing; reads keep working (WAL), their audit
// entries kept pending in order; once the lock is released the pending
// entries are appended, chained, before the next one, writes work again,
// and the chain verifies with every entry present.
func TestFaultLockedDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "hiring.db")
	const busy = 300 * time.Millisecond
	e := enginetest.Seeded(t, enginetest.At(path), enginetest.Options(engine.Options{BusyTimeout: busy}))
	rachel := enginetest.Member(t, e, "u-rachel", "acme")
	n0, head0 := flHead(t, e)

	release := flLock(t, path)

	start := time.Now()
	_, err := e.Update(ctx, rachel, "candidates", "c-tomas", map[string]any{"name": "Tomás R."}, engine.WriteOptions{})
	waited := time.Since(start)
	if err == nil {
		t.Fatal("a write under another writer's lock succeeded")
	}
	for _, want := range []string{path, "locked by another writer", "waited 300 ms", "try again"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("locked write: %q lacks %q", err, want)
		}
	}
	if waited < busy-50*time.Millisecond || waited > 4*time.Second {
		t.Errorf("the write waited %v, want about the busy timeout %v", waited, busy)
	}

	// Browsing continues: list and get answer while the lock is held, and
	// the second read does not wait the timeout again.
	page, err := e.List(ctx, rachel, "candidates", engine.ListQuery{})
	if err != nil || len(page.Rows) == 0 {
		t.Fatalf("list under the lock: %v", err)
	}
	start = time.Now()
	row, err := e.Get(ctx, rachel, "candidates", "c-tomas")
	if err != nil {
		t.Fatalf("get under the lock: %v", err)
	}
	if d := time.Since(start); d > busy {
		t.Errorf("a read with entries pending waited %v", d)
	}
	if row.Get("name") == "held by the locker" || row.Get("name") == "Tomás R." {
		t.Errorf("the read saw an uncommitted or failed write: %v", row.Get("name"))
	}
	if n, perr := e.PendingAudit(); n != 3 || perr == nil || !strings.Contains(perr.Error(), "locked") {
		t.Fatalf("pending audit entries under the lock: %d (%v), want 3", n, perr)
	}
	if n, head := flHead(t, e); n != n0 || head != head0 {
		t.Fatalf("the log changed under the lock: %d entries", n)
	}
	// The lock holder is still in charge: flushing now fails, keeping them.
	if err := e.FlushAudit(ctx); err == nil || !strings.Contains(err.Error(), "3 audit entries") {
		t.Fatalf("flush under the lock: %v", err)
	}

	release()

	// The next read appends the pending entries first, in order.
	if _, err := e.List(ctx, rachel, "jobs", engine.ListQuery{}); err != nil {
		t.Fatal(err)
	}
	if n, _ := e.PendingAudit(); n != 0 {
		t.Fatalf("%d entries still pending after the lock was released", n)
	}
	if _, err := e.Update(ctx, rachel, "candidates", "c-tomas", map[string]any{"name": "Tomás R."}, engine.WriteOptions{}); err != nil {
		t.Fatalf("write after the lock was released: %v", err)
	}
	got := flOps(t, e, n0)
	want := []string{"update:error", "list:ok", "get:ok", "list:ok", "update:ok"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("audit entries after the lock: %v, want %v", got, want)
	}
	n, _ := flHead(t, e)
	if n != n0+int64(len(want)) {
		t.Errorf("audit entries: %d, want %d", n, n0+int64(len(want)))
	}
	row, err = e.Get(ctx, rachel, "candidates", "c-tomas")
	if err != nil || row.Get("name") != "Tomás R." {
		t.Fatalf("the write after the lock: %v %v", row, err)
	}
}

// TestFaultLockedPendingWrittenByWrite: entries kept out by the lock go into
// the next write's own transaction, before the write's entry.
func TestFaultLockedPendingWrittenByWrite(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "hiring.db")
	e := enginetest.Seeded(t, enginetest.At(path), enginetest.Options(engine.Options{BusyTimeout: 200 * time.Millisecond}))
	rachel := enginetest.Member(t, e, "u-rachel", "acme")
	n0, _ := flHead(t, e)
	release := flLock(t, path)
	if _, err := e.List(ctx, rachel, "jobs", engine.ListQuery{}); err != nil {
		t.Fatal(err)
	}
	release()
	if _, err := e.Create(ctx, rachel, "candidates", map[string]any{"name": "After Lock", "email": "after@example.com"}, engine.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(flOps(t, e, n0), " "); got != "list:ok create:ok" {
		t.Errorf("audit entries: %s", got)
	}
	flHead(t, e)
}

// TestFaultLockedClose: an engine closed while the lock is still held says
// which entries could not be written instead of dropping them silently.
func TestFaultLockedClose(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "hiring.db")
	e := enginetest.Seeded(t, enginetest.At(path), enginetest.Options(engine.Options{BusyTimeout: 100 * time.Millisecond}))
	rachel := enginetest.Member(t, e, "u-rachel", "acme")
	flLock(t, path)
	if _, err := e.List(ctx, rachel, "jobs", engine.ListQuery{}); err != nil {
		t.Fatal(err)
	}
	err := e.Close()
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "1 audit entries") {
		t.Fatalf("close under the lock: %v", err)
	}
}

// TestFaultReadOnlyFile: a file with no write permission bits is reported
// read-only (even to root, whom the kernel would let write); opened
// read-only, it reads, refuses writes with a message naming it and what to
// do, and is not modified.
func TestFaultReadOnlyFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "hiring.db")
	enginetest.Seeded(t, enginetest.At(path)).Close()
	if err := os.Chmod(path, 0o444); err != nil {
		t.Fatal(err)
	}
	before := flRead(t, path)
	why := engine.ReadOnlyReason(path)
	if !strings.Contains(why, "mode 0444") {
		t.Fatalf("ReadOnlyReason = %q", why)
	}
	if w := engine.ReadOnlyReason(filepath.Join(dir, "missing.db")); w != "" {
		t.Errorf("a missing file is read-only: %q", w)
	}
	e := enginetest.Open(t, enginetest.At(path), enginetest.Options(engine.Options{ReadOnly: true, ReadOnlyReason: why}))
	rachel := enginetest.Member(t, e, "u-rachel", "acme")
	if p, err := e.List(ctx, rachel, "candidates", engine.ListQuery{}); err != nil || len(p.Rows) == 0 {
		t.Fatalf("read-only list: %v", err)
	}
	_, err := e.Update(ctx, rachel, "candidates", "c-tomas", map[string]any{"name": "x"}, engine.WriteOptions{})
	var ro *engine.ReadOnlyError
	if !errors.As(err, &ro) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "mode 0444") || !strings.Contains(err.Error(), "chmod u+w") {
		t.Fatalf("read-only write: %v", err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytesEqual(before, flRead(t, path)) {
		t.Error("the read-only file was modified")
	}
}

// TestFaultReadOnlyDirectory: as a user who may not create files in the
// database's directory, a read-only open must not need the -wal and -shm
// files. Root may write anywhere, so there it is not meaningful.
func TestFaultReadOnlyDirectory(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root bypasses directory permissions: a 0555 directory does not stop it creating -wal/-shm")
	}
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "hiring.db")
	enginetest.Seeded(t, enginetest.At(path)).Close()
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	why := engine.ReadOnlyReason(path)
	if !strings.Contains(why, "directory") {
		t.Fatalf("ReadOnlyReason = %q", why)
	}
	e, err := engine.Open(enginetest.Config(t), path, engine.Options{ReadOnly: true, ReadOnlyReason: why})
	if err != nil {
		t.Fatalf("read-only open in a read-only directory: %v", err)
	}
	defer e.Close()
	if p, err := e.List(ctx, enginetest.Member(t, e, "u-rachel", "acme"), "jobs", engine.ListQuery{}); err != nil || len(p.Rows) == 0 {
		t.Fatalf("list: %v", err)
	}
}

// TestFaultNotADatabase: a text file, random bytes and a truncated copy of
// a seeded database are refused with a message naming the file and what to
// do, writable or read-only, without a panic and without touching the file.
func TestFaultNotADatabase(t *testing.T) {
	dir := t.TempDir()
	seeded := filepath.Join(dir, "seeded.db")
	enginetest.Seeded(t, enginetest.At(seeded)).Close()
	full := flRead(t, seeded)
	random := make([]byte, 8192)
	for i := range random {
		random[i] = byte(i*7919 + i/13)
	}
	cases := map[string]struct {
		data []byte
		want string
	}{
		"text":      {[]byte("[project]\nname = \"not a database\"\n"), "is not a SQLite database"},
		"random":    {random, "is not a SQLite database"},
		"truncated": {full[:len(full)/2], "is truncated"},
		"header":    {full[:60], "is not a SQLite database"},
	}
	cfg := enginetest.Config(t)
	for name, c := range cases {
		for _, ro := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/readonly=%v", name, ro), func(t *testing.T) {
				path := filepath.Join(t.TempDir(), name+".db")
				if err := os.WriteFile(path, c.data, 0o644); err != nil {
					t.Fatal(err)
				}
				e, err := engine.Open(cfg, path, engine.Options{ReadOnly: ro})
				if err == nil {
					e.Close()
					t.Fatal("opened")
				}
				for _, w := range []string{path, c.want, "restore it from a backup"} {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("%q lacks %q", err, w)
					}
				}
				if !bytesEqual(c.data, flRead(t, path)) {
					t.Error("the file was modified")
				}
				if ents, _ := filepath.Glob(path + "-*"); len(ents) > 0 {
					t.Errorf("files created next to it: %v", ents)
				}
			})
		}
	}
}

// TestFaultNewerDatabase: a database written by a newer format, or lacking
// a required column of the config (renamed), is refused with the difference named, before
// anything is written.
func TestFaultNewerDatabase(t *testing.T) {
	cfg := enginetest.Config(t)
	for name, c := range map[string]struct {
		sql  string
		want []string
	}{
		"format": {"UPDATE qb_meta SET value = '99' WHERE key = 'format'", []string{"newer Quickback Console", "format 99", "upgrade qb"}},
		"column": {"ALTER TABLE candidates RENAME COLUMN name TO nickname", []string{"table candidates: new column name is required and the table has rows", "restore the config"}},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "hiring.db")
			e := enginetest.Seeded(t, enginetest.At(path))
			if _, err := engine.RawDB(e).Exec(c.sql); err != nil {
				t.Fatal(err)
			}
			e.Close()
			before := flRead(t, path)
			for _, ro := range []bool{false, true} {
				_, err := engine.Open(cfg, path, engine.Options{ReadOnly: ro})
				if err == nil {
					t.Fatal("opened")
				}
				for _, w := range append([]string{path}, c.want...) {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("read-only %v: %q lacks %q", ro, err, w)
					}
				}
			}
			if !bytesEqual(before, flRead(t, path)) {
				t.Error("the database was modified")
			}
		})
	}
}

// TestFaultReload: Reload applies a config that adds a table over the same
// store, refuses one that cannot be applied, and shares the audit queue.
func TestFaultReload(t *testing.T) {
	ctx := context.Background()
	e := enginetest.Seeded(t)
	rachel := enginetest.Member(t, e, "u-rachel", "acme")
	cfg2 := enginetest.Config(t, enginetest.Edit{New: flNotesTable})
	e2, err := e.Reload(ctx, cfg2)
	if err != nil {
		t.Fatal(err)
	}
	if e2.Config().Table("notes") == nil || e.Config().Table("notes") != nil {
		t.Fatal("the reloaded engine does not have the new table, or the old one changed")
	}
	if _, err := e2.List(ctx, rachel, "candidates", engine.ListQuery{}); err != nil {
		t.Fatal(err)
	}
	flHead(t, e2)

	// A config that changes a column's type is refused, and the
	// engine keeps working on the old one.
	cfg3 := enginetest.Config(t, enginetest.Edit{Old: `salaryMin      = { type = "integer", min = 0 }`, New: `salaryMin      = { type = "text" }`})
	if _, err := e.Reload(ctx, cfg3); err == nil || !strings.Contains(err.Error(), "column salaryMin is INTEGER in the database but TEXT") {
		t.Fatalf("reload changing a column's type: %v", err)
	}
	if _, err := e.List(ctx, rachel, "jobs", engine.ListQuery{}); err != nil {
		t.Fatal(err)
	}
}

// flNotesTable is a table added to the default project's config.
const flNotesTable = `
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

func flRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func bytesEqual(a, b []byte) bool { return string(a) == string(b) }
