package engine_test

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/dbconn"
	"quickback.dev/qb/internal/enginetest"
	"quickback.dev/qb/internal/testkit"
	"quickback.dev/qb/schema"
)

// wiFill appends n entries from several identities (reads, refusals and
// writes), each in its own commit, and returns the number of entries.
func wiFill(t *testing.T, e *engine.Engine, n int) int {
	t.Helper()
	ctx := context.Background()
	ivan := enginetest.Member(t, e, "u-ivan", "acme")
	rachel := enginetest.Member(t, e, "u-rachel", "acme")
	for i := 0; i < n; i++ {
		switch i % 3 {
		case 0:
			_, _ = e.Get(ctx, ivan, "jobs", "nope") // a refusal: its own commit
		case 1:
			_, _ = e.Update(ctx, rachel, "candidates", "c-tomas", map[string]any{"name": fmt.Sprintf("Tomás %d", i)}, engine.WriteOptions{})
		case 2:
			_, _ = e.List(ctx, ivan, "ats_imports", engine.ListQuery{}) // refused
		}
	}
	return auCount(t, e)
}

// TestAuditRehashedHistory (issue 11, item 2): an entry's identity edited
// and every later hash recomputed with the published formula leaves a
// consistent chain. The witness catches it and names that entry (not the
// last one, and not a truncation); a head kept elsewhere catches it too,
// naming the range it can vouch for; with neither, the rewrite cannot be
// seen (the limit of any hash chain).
func TestAuditRehashedHistory(t *testing.T) {
	e := enginetest.Seeded(t)
	total := wiFill(t, e, 30)
	v := auVerify(t, e, "")
	// (The seed's entry came with the template database: not witnessed here.)
	if !v.OK || v.Witness.Heads != int64(total-1) || !v.Witness.Found {
		t.Fatalf("before the edit: %+v", v)
	}
	head := fmt.Sprintf("%d:%s", v.HeadSeq, v.Head)
	const edited = 17
	db := engine.RawDB(e)
	auExec(t, e, "UPDATE qb_audit SET user_id = 'u-olivia', role = 'owner' WHERE seq = ?", edited)
	testkit.RehashAudit(t, db, edited)

	// The chain itself is consistent again: only the evidence outside the
	// database tells.
	moved := e.WitnessPath() + ".moved"
	if err := os.Rename(e.WitnessPath(), moved); err != nil {
		t.Fatal(err)
	}
	if r := auVerify(t, e, ""); !r.OK {
		t.Fatalf("the re-hashed chain alone should be consistent (the attack works without a witness): %+v", r)
	}
	// A head kept elsewhere: the history up to it was rewritten, and it
	// vouches for nothing before it, so the range is named.
	r := auVerify(t, e, head)
	if r.OK || r.Kind != "rewritten" || r.BrokenSeq != 1 || strings.Contains(r.Problem, "truncated") || !strings.Contains(r.Problem, fmt.Sprint(total)) {
		t.Errorf("a rewrite against --head %s: %+v", head, r)
	}
	if err := os.Rename(moved, e.WitnessPath()); err != nil {
		t.Fatal(err)
	}

	// The witness names the edited entry itself.
	r = auVerify(t, e, "")
	if r.OK || r.BrokenSeq != edited || r.Kind != "edited" {
		t.Fatalf("a rewrite against the witness: broken at %d (%s), want %d edited: %s", r.BrokenSeq, r.Kind, edited, r.Problem)
	}
	for _, want := range []string{fmt.Sprintf("entry %d", edited), "recomputed", e.WitnessPath()} {
		if !strings.Contains(r.Problem, want) {
			t.Errorf("the problem %q lacks %q", r.Problem, want)
		}
	}
	if strings.Contains(r.Problem, "truncated") {
		t.Errorf("a rewrite reported as a truncation: %s", r.Problem)
	}
	// And with the head as well, the witness's exact answer stands.
	if r2 := auVerify(t, e, head); r2.BrokenSeq != edited {
		t.Errorf("with the witness and --head: %+v", r2)
	}
}

// TestAuditWitnessGapsNameARange: entries the witness did not record (a
// process killed between its commit and the witness write, an older qb)
// leave a range: the first entry a witnessed head contradicts and the last
// one a head vouches for bound it.
func TestAuditWitnessGapsNameARange(t *testing.T) {
	e := enginetest.Seeded(t)
	wiFill(t, e, 20)
	// Forget what the witness recorded for entries 8 to 11.
	b, err := os.ReadFile(e.WitnessPath())
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		var seq int
		if _, err := fmt.Sscanf(line, "%d ", &seq); err == nil && seq >= 8 && seq <= 11 {
			continue
		}
		kept = append(kept, line)
	}
	if err := os.WriteFile(e.WitnessPath(), []byte(strings.Join(kept, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	auExec(t, e, "UPDATE qb_audit SET user_id = 'u-olivia' WHERE seq = 9")
	testkit.RehashAudit(t, engine.RawDB(e), 9)
	r := auVerify(t, e, "")
	if r.OK || r.Kind != "rewritten" || r.BrokenSeq != 8 || !strings.Contains(r.Problem, "one of 8 to 12") {
		t.Errorf("a rewrite inside an unwitnessed stretch: %+v", r)
	}
}

// TestAuditWitnessFile: the witness lives outside the database, in the
// directory QB_WITNESS_DIR (tests) or [audit].witness names, one file per
// database; each commit adds its entries, in one write.
func TestAuditWitnessFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hiring.db")
	e := enginetest.Seeded(t, enginetest.At(path))
	wp := e.WitnessPath()
	if !strings.HasPrefix(wp, os.Getenv(engine.WitnessDirEnv)+string(filepath.Separator)) || strings.HasPrefix(wp, dir) {
		t.Errorf("witness %s: not in %s=%s", wp, engine.WitnessDirEnv, os.Getenv(engine.WitnessDirEnv))
	}
	if other := engine.WitnessPath(e.Config(), filepath.Join(dir, "other.db")); other == wp {
		t.Error("two databases share a witness file")
	}
	if again := engine.WitnessPath(e.Config(), filepath.Join(dir, ".", "hiring.db")); again != wp {
		t.Errorf("the same database by another path: %s, want %s", again, wp)
	}
	cfg, err := schema.Parse(filepath.Join(dir, "q.toml"), []byte(enginetest.ConfigText(t, enginetest.Edit{New: "[audit]\nwitness = \"w\""})))
	if err != nil {
		t.Fatal(err)
	}
	if got := engine.WitnessPath(cfg, path); filepath.Dir(got) != filepath.Join(dir, "w") {
		t.Errorf("[audit].witness = \"w\": witness %s", got)
	}

	// A group commit of many reads is one commit (one "@" line) holding
	// every entry.
	ctx := context.Background()
	ivan := enginetest.Member(t, e, "u-ivan", "acme")
	before := wiCommits(t, wp)
	for i := 0; i < 40; i++ {
		if _, err := e.List(ctx, ivan, "jobs", engine.ListQuery{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.FlushAudit(ctx); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(wp); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("witness file: %v %v", fi, err)
	}
	after := wiCommits(t, wp)
	if len(after) != len(before)+1 || after[len(after)-1] != 40 {
		t.Errorf("40 group-committed reads: commits %v, then %v; want one more of 40 entries", before, after)
	}
}

// wiCommits lists how many entries each commit recorded in the witness.
func wiCommits(t *testing.T, path string) []int {
	t.Helper()
	var out []int
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return out
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		switch line := sc.Text(); {
		case strings.HasPrefix(line, "@ "):
			out = append(out, 0)
		case strings.HasPrefix(line, "#"):
		default:
			out[len(out)-1]++
		}
	}
	return out
}

// wiFormat1Head is the head of testdata/format1.db: a database written by
// qb before format 2 (commit 858c3f7: seed, a list, an update, a refused
// create, an action, a get with --role overriding the membership).
const wiFormat1Head = "162c19fc92080bd552a83719b3fb2b7f1d10aab92d59cf0d3a0a7d343f4e074d"

// wiCopyFormat1 copies testdata/format1.db into a temporary directory.
func wiCopyFormat1(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("testdata/format1.db")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "format1.db")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestAuditFormat1DatabaseStillVerifies: a database whose log was written
// in format 1 (no real role, no reason, one hash formula) verifies read-only
// as it is, and opened for writing it gains the columns of format 2, its
// old entries verifying under their own formula beside new ones; an edit of
// an old entry is still named.
func TestAuditFormat1DatabaseStillVerifies(t *testing.T) {
	ctx := context.Background()
	path := wiCopyFormat1(t)
	cfg, err := schema.Load("../quickback.toml")
	if err != nil {
		t.Fatal(err)
	}

	ro, err := engine.Open(cfg, path, engine.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if r := auVerify(t, ro, ""); !r.OK || r.Entries != 6 || r.Head != wiFormat1Head {
		t.Errorf("format 1, read-only: %+v", r)
	}
	old, err := ro.AuditEntries(ctx, engine.AuditFilter{})
	if err != nil || len(old) != 6 {
		t.Fatalf("format 1 entries: %v %v", old, err)
	}
	prev := engine.GenesisHash
	for _, x := range old {
		if x.HashVersion != 1 || x.RealRole != "" || x.Reason != "" {
			t.Errorf("format 1 entry %d: %+v", x.Seq, x)
		}
		// The documented formula of version 1 is the one they were written with.
		if h := testkit.PublishedAuditHash(prev, x); h != x.Hash {
			t.Errorf("entry %d: the published version 1 formula gives %s, the log holds %s", x.Seq, h, x.Hash)
		}
		prev = x.Hash
	}
	ro.Close()
	if v := layStrings(t, wiRawDB(t, path), "SELECT value FROM qb_meta WHERE key = 'format'"); v[0] != "1" {
		t.Errorf("a read-only open changed the format to %v", v)
	}

	e, err := engine.Open(cfg, path, engine.Options{Reason: "INC-7"})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if v := layStrings(t, engine.RawDB(e), "SELECT value FROM qb_meta WHERE key = 'format'"); v[0] != fmt.Sprint(engine.FormatVersion) {
		t.Errorf("opened for writing, the format is %v", v)
	}
	if r := auVerify(t, e, "6:"+wiFormat1Head); !r.OK || r.Entries != 6 {
		t.Errorf("format 1 after the upgrade: %+v", r)
	}
	ivanAsRecruiter, err := e.ResolveIdentity(ctx, "u-ivan", "acme", "recruiter")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Get(ctx, ivanAsRecruiter, "candidates", "c-jane"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Update(ctx, enginetest.Member(t, e, "u-rachel", "acme"), "candidates", "c-tomas", map[string]any{"name": "Tomás Q."}, engine.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	r := auVerify(t, e, "6:"+wiFormat1Head)
	if !r.OK || r.Entries != 8 {
		t.Fatalf("format 1 entries followed by format 2 ones: %+v", r)
	}
	all, _ := e.AuditEntries(ctx, engine.AuditFilter{})
	if got := all[6]; got.HashVersion != 2 || got.Role != "recruiter" || got.RealRole != "interviewer" || got.Reason != "INC-7" {
		t.Errorf("the first format 2 entry: %+v", got)
	}
	if all[6].PrevHash != wiFormat1Head {
		t.Errorf("the first format 2 entry does not chain to the format 1 head")
	}
	auExec(t, e, "UPDATE qb_audit SET user_id = 'u-ben' WHERE seq = 4")
	if r := auVerify(t, e, ""); r.OK || r.BrokenSeq != 4 || r.Kind != "edited" {
		t.Errorf("an edited format 1 entry: %+v", r)
	}
}

// wiRawDB opens the database at path directly (closed with the test).
func wiRawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", dbconn.DSN(path, false))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
