package engine_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"quickback.dev/qb/internal/testkit"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/engine/seed"
	"quickback.dev/qb/internal/enginetest"
	"quickback.dev/qb/schema"
)

// The kill test (issue 8, "Crash safety"): a shell script drives the built
// qb binary through `qb seed --reset`, `qb generate candidates 30000` and an
// endless loop of writes, actions, upserts, deletes, dry runs and refusals;
// the whole process group is killed with SIGKILL at a random moment of a
// chosen phase. After each kill the database must pass SQLite's checks, the
// audit chain must verify (and still hold the head recorded before), and
// every operation must be either fully applied or not at all, judged against
// the audit log: the last seed entry, the generate entries and the ok write
// entries since it explain every row, and every such entry has its row.
// Reads run between the writes: their entries are group-committed, and a
// read process exits only after flushing them, so every read that finished
// is in the log and at most the one killed in flight is missing; a write's
// entry is never missing (the checks above).

// crGenRows is how many rows each run generates; crGenBatch is the batch
// size generate commits (engine.BulkBatchSize, the CLI's default).
const (
	crGenRows  = 30000
	crGenBatch = engine.BulkBatchSize
)

// crApps are live acme applications the write loop cycles through.
var crApps = []string{"a-1001", "a-1002", "a-1003", "a-1004", "a-1005", "a-1006", "a-1007", "a-1008"}

// crScript is the child: phases are announced on stdout ("P seed", "P gen",
// "P writes"); a command exiting 1 (usage or config error) or worse stops
// it, a refusal (exit 2) is expected for some writes.
const crScript = `set -e
q() { "$QB" --config "$CFG" --db "$DB" "$@" >/dev/null 2>>"$ERRLOG"; }
r() { "$QB" --config "$CFG" --db "$DB" "$@" >/dev/null 2>>"$ERRLOG" || [ $? -eq 2 ]; }
echo P seed
q seed --reset
echo P gen
q generate candidates ` + "30000" + ` --seed "$K"
echo P writes
i=0
while :; do
  for A in $APPS; do
    i=$((i+1))
    id=$("$QB" --config "$CFG" --db "$DB" create candidates --as u-rachel --org acme --json --data "{\"name\":\"kill-$i\",\"email\":\"kill-$i@kill.test\",\"phone\":\"555-000-$i\"}" 2>>"$ERRLOG" | sed -n 's/^    "id": "\([^"]*\)",$/\1/p')
    [ -n "$id" ]
    q update applications "$A" --as u-dana --data "{\"notes\":\"upd-$i\"}"
    r run applications submitScore "$A" --as u-dana --input "{\"score\":$((i % 5 + 1)),\"feedback\":\"kill-$i\"}"
    case $((i % 5)) in 0) S=screening;; 1) S=interview;; 2) S=offer;; 3) S=hired;; *) S=rejected;; esac
    r run applications advanceStage "$A" --as u-dana --input "{\"stage\":\"$S\"}"
    q upsert ats_imports --as u-olivia --org acme --data "{\"externalId\":\"kill-$i\",\"candidateName\":\"K $i\"}"
    q upsert ats_imports --as u-olivia --org acme --data "{\"externalId\":\"kill-$i\",\"candidateName\":\"K2 $i\"}"
    q update candidates "$id" --as u-rachel --org acme --data "{\"name\":\"kill-$i-b\"}" --dry-run
    r create candidates --as u-ivan --data "{\"name\":\"nope\",\"email\":\"nope-$i@kill.test\"}"
    q delete candidates "$id" --as u-dana
    q list jobs --as u-ivan --limit 5 && echo list >> "$READS"
    q get candidates c-jane --as u-dana && echo get >> "$READS"
  done
done
`

// crState is what one check leaves for the next.
type crState struct {
	head    string // audit head
	entries int64  // audit entries
	dump    string // hash of every table but qb_audit
	found   string // what the check found, for the log
}

func TestCrashKillSequence(t *testing.T) {
	if testing.Short() {
		t.Skip("builds qb and kills child processes")
	}
	t.Parallel() // with the other slow tests, after the package's quick ones
	root := testkit.ModuleRoot(t)
	bin := testkit.BuildQB(t)
	cfgPath := filepath.Join(root, "quickback.toml")
	cfg := enginetest.Config(t)
	data := enginetest.Fixtures(t, cfg)
	dir := crFastDir(t)
	dbPath := filepath.Join(dir, "kill.db")
	errLog := filepath.Join(dir, "stderr.log")
	readsLog := filepath.Join(dir, "reads.log") // one line per read that finished

	// The starting point: a seeded database (`qb seed` creates it).
	if out, err := exec.Command(bin, "--config", cfgPath, "--db", dbPath, "seed").CombinedOutput(); err != nil {
		t.Fatalf("qb seed: %v\n%s", err, out)
	}
	prev := crCheck(t, cfg, data, dbPath, nil, 0)

	rngSeed := uint64(time.Now().UnixNano())
	t.Logf("random seed %d", rngSeed)
	rng := rand.New(rand.NewPCG(rngSeed, 0x5eed))
	phases := []string{"seed", "gen", "writes"}
	// The random delay after a phase starts, up to about its length here.
	window := map[string]time.Duration{"seed": 450 * time.Millisecond, "gen": 800 * time.Millisecond, "writes": 1200 * time.Millisecond}
	const runs = 21
	start := time.Now()
	for i := 0; i < runs; i++ {
		phase := phases[i%len(phases)]
		delay := time.Duration(rng.Int64N(int64(window[phase])))
		cmd := exec.Command("/bin/sh", "-c", crScript)
		cmd.Env = append(os.Environ(), "QB="+bin, "CFG="+cfgPath, "DB="+dbPath, "ERRLOG="+errLog, "READS="+readsLog,
			fmt.Sprintf("K=%d", i+1), "APPS="+strings.Join(crApps, " "))
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		marks := make(chan string, 8)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				marks <- strings.TrimPrefix(sc.Text(), "P ")
			}
			close(marks)
		}()
		reached := false
		timeout := time.After(60 * time.Second)
	wait:
		for {
			select {
			case m, ok := <-marks:
				if !ok {
					break wait
				}
				if m == phase {
					reached = true
					break wait
				}
			case <-timeout:
				break wait
			}
		}
		if reached {
			time.Sleep(delay)
		}
		pgid := cmd.Process.Pid
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		werr := cmd.Wait()
		crReap(t, pgid)
		var ee *exec.ExitError
		if !reached || !errors.As(werr, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			b, _ := os.ReadFile(errLog)
			t.Fatalf("run %d: the child did not run until killed in phase %s (wait: %v)\nstderr:\n%s", i, phase, werr, b)
		}
		t0 := time.Now()
		prev = crCheck(t, cfg, data, dbPath, prev, i+1)
		crCheckReads(t, dbPath, cfg, readsLog, i+1)
		t.Logf("run %d: killed %v into phase %s: %s (checked in %v)", i+1, delay.Round(time.Millisecond), phase, prev.found, time.Since(t0).Round(time.Millisecond))
	}
	t.Logf("%d kills in %v", runs, time.Since(start).Round(time.Millisecond))
}

// crFastDir is a temp dir in memory (/dev/shm) when there is one: a kill
// tests the process, not the disk, and the page cache survives SIGKILL.
func crFastDir(t *testing.T) string {
	t.Helper()
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if d, err := os.MkdirTemp("/dev/shm", "qbkill"); err == nil {
			t.Cleanup(func() { os.RemoveAll(d) })
			return d
		}
	}
	return t.TempDir()
}

// crReap waits until no process of the killed group is left (a killed qb
// whose shell died first is reparented and may still be exiting).
func crReap(t *testing.T, pgid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for syscall.Kill(-pgid, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("processes of group %d survive SIGKILL", pgid)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// crCheck opens the database left by a kill and checks it; prev is the
// state after the previous check (nil for the first).
func crCheck(t *testing.T, c *schema.Config, data *seed.Data, dbPath string, prev *crState, run int) *crState {
	t.Helper()
	ctx := context.Background()
	st, err := engine.Open(c, dbPath, engine.Options{})
	if err != nil {
		t.Fatalf("run %d: open after kill: %v", run, err)
	}
	defer st.Close()
	db := engine.RawDB(st)
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("run %d: "+format, append([]any{run}, args...)...)
	}

	// SQLite's own checks.
	var ic string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&ic); err != nil || ic != "ok" {
		fail("integrity_check: %q %v", ic, err)
	}
	rows, err := db.Query("PRAGMA foreign_key_check")
	if err != nil {
		fail("foreign_key_check: %v", err)
	}
	if rows.Next() {
		rows.Close()
		fail("foreign_key_check reports violations")
	}
	rows.Close()

	// The audit chain, still holding the previous head.
	head := ""
	if prev != nil {
		head = prev.head
	}
	vr, err := st.VerifyAudit(ctx, head)
	if err != nil || !vr.OK || vr.BrokenSeq != 0 {
		fail("audit chain: %+v %v", vr, err)
	}
	now := &crState{head: vr.Head, entries: vr.Entries, dump: crDumpHash(t, db)}
	if prev != nil && now.entries == prev.entries {
		// Killed before anything committed (in seed, normally): the
		// database is exactly as before.
		if now.dump != prev.dump {
			fail("no audit entry was added but the database changed")
		}
		now.found = "nothing committed"
		return now
	}

	// The last seed: every fixture row and identity is present.
	var seedSeq int64
	var seedAt string
	if err := db.QueryRow("SELECT seq, at FROM qb_audit WHERE operation IN ('seed', 'seed:reset') ORDER BY seq DESC LIMIT 1").Scan(&seedSeq, &seedAt); err != nil {
		fail("no seed entry: %v", err)
	}
	crCount := func(q string, args ...any) int {
		t.Helper()
		var n int
		if err := db.QueryRow(q, args...).Scan(&n); err != nil {
			fail("%s: %v", q, err)
		}
		return n
	}
	if n := crCount("SELECT count(*) FROM qb_organizations"); n != len(data.Organizations) {
		fail("%d organizations, want the fixtures' %d", n, len(data.Organizations))
	}
	if n := crCount("SELECT count(*) FROM qb_users"); n != len(data.Users) {
		fail("%d users, want the fixtures' %d", n, len(data.Users))
	}
	fixtureRows := map[string]int{}
	for _, tb := range data.Tables {
		fixtureRows[tb.Table] = len(tb.Rows)
		for _, r := range tb.Rows {
			if crCount(fmt.Sprintf("SELECT count(*) FROM %s WHERE %s = ?", engine.Q(tb.Table), crCol(c.Table(tb.Table), "id")), r.Values["id"]) != 1 {
				fail("fixture row %s %v is missing after the seed", tb.Table, r.Values["id"])
			}
		}
	}

	// Entries since the seed.
	ents, err := st.AuditEntries(ctx, engine.AuditFilter{AfterSeq: seedSeq})
	if err != nil {
		fail("audit entries: %v", err)
	}
	genStart, genEnd := false, false
	type key struct{ table, id string }
	writes := map[key][]engine.AuditEntry{} // ok writes changing the record
	scores := map[string]int{}              // ok submitScore runs per application
	for _, e := range ents {
		if e.Outcome != "ok" {
			continue
		}
		switch e.Operation {
		case "generate:start":
			genStart = true
		case "generate":
			genEnd = true
		case "create", "update", "upsert", "delete", "action:advanceStage":
			writes[key{e.Table, e.RecordID}] = append(writes[key{e.Table, e.RecordID}], e)
		case "action:submitScore":
			scores[e.RecordID]++
		}
	}

	// Every row stamped after the seed has the ok write entry that stamped
	// it, as the latest entry on that record (and the one before it, if
	// any, is older than the stamp); a row untouched since the seed has no
	// such entry.
	loopCreated := map[string]int{}
	seen := map[key]bool{}
	for _, tb := range c.Tables {
		if tb.Internal {
			continue
		}
		rs, err := db.Query(fmt.Sprintf(`SELECT %s, %s, coalesce(%s, ''), coalesce(%s, '') FROM %s`,
			crCol(tb, "id"), crCol(tb, "createdAt"), crCol(tb, "modifiedAt"), crCol(tb, "deletedAt"), engine.Q(tb.Name)))
		if err != nil {
			fail("read %s: %v", tb.Name, err)
		}
		for rs.Next() {
			var id, created, modified, deleted string
			if err := rs.Scan(&id, &created, &modified, &deleted); err != nil {
				fail("scan %s: %v", tb.Name, err)
			}
			k := key{tb.Name, id}
			seen[k] = true
			stamp := max(created, modified, deleted)
			ws := writes[k]
			if stamp <= seedAt {
				if len(ws) > 0 {
					fail("%s %s: %d ok write entries since the seed (first %s at %s) but the row is unchanged", tb.Name, id, len(ws), ws[0].Operation, ws[0].At)
				}
				continue
			}
			if created > seedAt {
				loopCreated[tb.Name]++
				if len(ws) == 0 || (ws[0].Operation != "create" && ws[0].Operation != "upsert") {
					fail("%s %s was created after the seed without its create entry", tb.Name, id)
				}
			}
			if len(ws) == 0 {
				fail("%s %s was written at %s after the seed without an audit entry", tb.Name, id, stamp)
			}
			last := ws[len(ws)-1]
			if last.At < stamp {
				fail("%s %s: stamped %s, after its latest write entry %d (%s at %s): a write without its entry", tb.Name, id, stamp, last.Seq, last.Operation, last.At)
			}
			if len(ws) > 1 && ws[len(ws)-2].At >= stamp {
				fail("%s %s: its latest write entry %d (%s) has no effect on the row (stamp %s)", tb.Name, id, last.Seq, last.Operation, stamp)
			}
		}
		rs.Close()
	}
	for k, ws := range writes {
		if !seen[k] {
			fail("entry %d (%s %s %s) has no row", ws[0].Seq, ws[0].Operation, k.table, k.id)
		}
	}
	// Inserted scores match the ok submitScore entries one for one.
	got := map[string]int{}
	sc := c.Table("interview_scores")
	rs, err := db.Query(fmt.Sprintf(`SELECT %s, count(*) FROM interview_scores WHERE %s > ? GROUP BY 1`, crCol(sc, "applicationId"), crCol(sc, "createdAt")), seedAt)
	if err != nil {
		fail("scores: %v", err)
	}
	for rs.Next() {
		var app string
		var n int
		if err := rs.Scan(&app, &n); err != nil {
			fail("scan scores: %v", err)
		}
		got[app] = n
	}
	rs.Close()
	for app := range mergeKeys(got, scores) {
		if got[app] != scores[app] {
			fail("application %s: %d scores inserted since the seed, %d ok submitScore entries", app, got[app], scores[app])
		}
	}
	// Tables the loop does not create rows in hold exactly the fixtures.
	for _, tb := range c.Tables {
		n := crCount(fmt.Sprintf("SELECT count(*) FROM %s WHERE %s <= ?", engine.Q(tb.Name), crCol(tb, "createdAt")), seedAt)
		if tb.Name == "candidates" {
			continue
		}
		if n != fixtureRows[tb.Name] {
			fail("%s holds %d rows from before the seed, want the fixtures' %d", tb.Name, n, fixtureRows[tb.Name])
		}
	}
	// Generated candidates: complete batches only; all of them once the
	// final entry is there; none before generate:start.
	gen := crCount("SELECT count(*) FROM candidates") - fixtureRows["candidates"] - loopCreated["candidates"]
	switch {
	case !genStart && gen != 0:
		fail("%d generated rows without a generate:start entry", gen)
	case genEnd && gen != crGenRows:
		fail("generate's final entry is there but %d rows are, want %d", gen, crGenRows)
	case !genEnd && (gen%crGenBatch != 0 || gen >= crGenRows):
		fail("%d generated rows after a killed generate: want complete batches of %d, fewer than %d", gen, crGenBatch, crGenRows)
	}
	nw := 0
	for _, ws := range writes {
		nw += len(ws)
	}
	now.found = fmt.Sprintf("seed committed (entry %d), %d generated rows (final entry %v), %d ok writes and %d scores since", seedSeq, gen, genEnd, nw, len(scores))
	return now
}

// crCheckReads compares the reads the scripts finished (one line each in
// readsLog) with the read entries of the loop in the log: each finished
// read is there; beyond them, at most one per kill (a read killed after its
// entry was flushed, before the script noted it).
func crCheckReads(t *testing.T, dbPath string, c *schema.Config, readsLog string, runs int) {
	t.Helper()
	b, _ := os.ReadFile(readsLog)
	finished := map[string]int{}
	for _, line := range strings.Fields(string(b)) {
		finished[line]++
	}
	st, err := engine.Open(c, dbPath, engine.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	logged := map[string]int{}
	for _, f := range []engine.AuditFilter{{Operation: "list", Table: "jobs", UserID: "u-ivan"}, {Operation: "get", Table: "candidates", UserID: "u-dana"}} {
		es, err := st.AuditEntries(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		logged[f.Operation] = len(es)
	}
	for _, op := range []string{"list", "get"} {
		if logged[op] < finished[op] || logged[op] > finished[op]+runs {
			t.Fatalf("run %d: %d %s entries in the log, %d %s reads finished: a finished read's entry is missing, or more were logged than ran", runs, logged[op], op, finished[op], op)
		}
	}
}

// crCol is the quoted SQL name of a column given by its config name.
func crCol(t *schema.Table, name string) string { return engine.Q(t.Column(name).SQLName) }

func mergeKeys(a, b map[string]int) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// crDumpHash hashes every table but the audit log.
func crDumpHash(t *testing.T, db *sql.DB) string {
	t.Helper()
	h := sha256.Sum256([]byte(enginetest.Dump(t, db, "qb_audit")))
	return hex.EncodeToString(h[:])
}
