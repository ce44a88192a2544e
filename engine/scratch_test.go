package engine_test

import (
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/enginetest"
)

// fileSum is the SHA-256 of a file's bytes ("" when it does not exist).
func fileSum(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return string(s[:])
}

// TestScratchCopies: copies of a snapshot start from the database's rows,
// a write in one copy is seen in no other copy nor in the database, each
// copy appends to its own log, and the database's files (and its audit log
// and witness) are left exactly as they were.
func TestScratchCopies(t *testing.T) {
	ctx := context.Background()
	real := enginetest.Seeded(t, enginetest.Fixed())
	cfg := real.Config()
	path := real.Path()
	dana := enginetest.Member(t, real, "u-dana", "")
	if _, err := real.List(ctx, dana, "jobs", engine.ListQuery{}); err != nil {
		t.Fatal(err)
	}
	if err := real.FlushAudit(ctx); err != nil {
		t.Fatal(err)
	}
	before := enginetest.Dump(t, enginetest.DB(t, real))
	sums := map[string]string{}
	for _, f := range []string{path, path + "-wal", real.WitnessPath()} {
		sums[f] = fileSum(t, f)
	}

	s, err := engine.NewScratch(ctx, cfg, path, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a, err := s.Open(engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if filepath.Dir(a.Path()) == filepath.Dir(path) {
		t.Fatalf("the copy %s is beside the database", a.Path())
	}
	if a.WitnessPath() != "" {
		t.Errorf("a scratch copy records a witness at %s", a.WitnessPath())
	}
	if got := enginetest.Dump(t, enginetest.DB(t, a)); got != before {
		t.Fatalf("the copy does not hold the database's rows and log")
	}
	if _, err := a.Update(ctx, dana, "jobs", "j-robotics-eng", map[string]any{"title": "changed in copy a"}, engine.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	s.Discard(a)
	if _, err := os.Stat(a.Path()); !os.IsNotExist(err) {
		t.Errorf("Discard left %s: %v", a.Path(), err)
	}

	b, err := s.Open(engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	row, err := b.Get(ctx, dana, "jobs", "j-robotics-eng")
	if err != nil {
		t.Fatal(err)
	}
	if row.Get("title") == "changed in copy a" {
		t.Fatal("copy b sees copy a's write")
	}
	es, err := b.AuditEntries(ctx, engine.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if last := es[len(es)-1]; last.Operation != "get" {
		t.Errorf("copy b's log ends with %s, want its own get", last.Operation)
	}
	if v, err := b.VerifyAudit(ctx, ""); err != nil || !v.OK {
		t.Errorf("copy b's log does not verify: %+v %v", v, err)
	}

	if got := enginetest.Dump(t, enginetest.DB(t, real)); got != before {
		t.Error("the database changed")
	}
	for f, sum := range sums {
		if fileSum(t, f) != sum {
			t.Errorf("%s changed", f)
		}
	}
	dir := filepath.Dir(a.Path())
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("Close left %s", dir)
	}
}

// TestScratchSnapshotIsConsistent: a snapshot taken while another process
// holds the write lock with an uncommitted change is taken at once and
// holds the committed rows only.
func TestScratchSnapshotIsConsistent(t *testing.T) {
	ctx := context.Background()
	real := enginetest.Seeded(t)
	release := flLock(t, real.Path())
	defer release()
	s, err := engine.NewScratch(ctx, real.Config(), real.Path(), t.TempDir(), nil)
	if err != nil {
		t.Fatalf("snapshot under another writer's lock: %v", err)
	}
	defer s.Close()
	c, err := s.Open(engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	row, err := c.Get(ctx, enginetest.Member(t, c, "u-dana", ""), "candidates", "c-tomas")
	if err != nil {
		t.Fatal(err)
	}
	if got := row.Get("name"); got == "held by the locker" {
		t.Errorf("the snapshot holds an uncommitted change: %v", got)
	}
}

// TestScratchFromNothing: a database that does not exist yet is not
// created; the snapshot is seeded from the data given instead.
func TestScratchFromNothing(t *testing.T) {
	ctx := context.Background()
	cfg := enginetest.Config(t)
	missing := filepath.Join(t.TempDir(), "absent.db")
	s, err := engine.NewScratch(ctx, cfg, missing, t.TempDir(), enginetest.Fixtures(t, cfg))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("the missing database was created: %v", err)
	}
	c, err := s.Open(engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	n, err := c.Count(ctx, enginetest.Member(t, c, "u-dana", ""), "candidates", engine.ListQuery{})
	if err != nil || n == 0 {
		t.Fatalf("the seeded copy lists %d candidates (%v)", n, err)
	}
}

// TestScratchRefusesNotADatabase: a file that is not a database is
// refused as Open refuses it, untouched.
func TestScratchRefusesNotADatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notes.db")
	if err := os.WriteFile(path, []byte("not a database, just some text that is long enough to have a header............................................"), 0o600); err != nil {
		t.Fatal(err)
	}
	sum := fileSum(t, path)
	_, err := engine.NewScratch(context.Background(), enginetest.Config(t), path, t.TempDir(), nil)
	if err == nil {
		t.Fatal("a text file was snapshotted")
	}
	if fileSum(t, path) != sum {
		t.Error("the file changed")
	}
}

// TestScratchLeavesNoJournal: snapshotting a closed database leaves no
// -wal or -shm file beside it, and its bytes as they were.
func TestScratchLeavesNoJournal(t *testing.T) {
	e := enginetest.Seeded(t)
	path, cfg := e.Path(), e.Config()
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	sum := fileSum(t, path)
	s, err := engine.NewScratch(context.Background(), cfg, path, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, f := range []string{path + "-wal", path + "-shm"} {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("%s is left behind (%v)", f, err)
		}
	}
	if fileSum(t, path) != sum {
		t.Error("the database changed")
	}
}

// TestScratchSaysCorruptCopy: a database whose header is sound but whose
// pages are not fails the snapshot's VACUUM INTO, said as SQLite's error
// is said on opening (corrupt, restore it), not as a crash.
func TestScratchSaysCorruptCopy(t *testing.T) {
	e := enginetest.Seeded(t)
	path, cfg := e.Path(), e.Config()
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	page := int(b[16])<<8 | int(b[17])
	if len(b) < 4*page {
		t.Fatalf("the seeded database has %d bytes, fewer than 4 pages", len(b))
	}
	for i := page; i < len(b); i++ {
		b[i] = 0xA5
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = engine.NewScratch(context.Background(), cfg, path, t.TempDir(), nil)
	if err == nil || !strings.Contains(err.Error(), "is not a SQLite database or is corrupt") {
		t.Fatalf("NewScratch of a corrupt database: %v", err)
	}
}
