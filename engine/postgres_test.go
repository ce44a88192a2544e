package engine_test

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/enginetest"
	"quickback.dev/qb/internal/pgtest"
	"quickback.dev/qb/schema"
)

// pgEngines opens n engines on one seeded PostgreSQL database, each with a
// connection pool of its own, as n processes would (the first is the
// kit's, made with opts, such as a config's edits).
func pgEngines(t testing.TB, n int, opts ...enginetest.Option) []*engine.Engine {
	t.Helper()
	first := enginetest.Seeded(t, append([]enginetest.Option{enginetest.Postgres()}, opts...)...)
	out := []*engine.Engine{first}
	for len(out) < n {
		e, err := engine.Open(first.Config(), first.Path(), engine.Options{})
		if err != nil {
			t.Fatalf("open engine %d: %v", len(out), err)
		}
		t.Cleanup(func() { e.Close() })
		out = append(out, e)
	}
	return out
}

// together runs fn(i) for i in [0, n) in goroutines released at once and
// returns their errors.
func together(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := 0; i < n; i++ {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			errs[i] = fn(i)
		}()
	}
	start.Done()
	done.Wait()
	return errs
}

// pgRaceGate holds a transaction at a race point (engine.SetRacePoint)
// until the race is certain to be run: n transactions are at the point
// together (nothing kept them apart), or another transaction on the
// test's schema waits for a lock (the protection under test works: it
// would wait for ever for the held one), or until timeout.
type pgRaceGate struct {
	db      *sql.DB // on the test's schema
	n       int
	timeout time.Duration

	mu     sync.Mutex
	inside int  // transactions held now
	open   bool // n were held together; stays open until none is
}

func (g *pgRaceGate) hold() {
	g.mu.Lock()
	g.inside++
	if g.inside >= g.n {
		g.open = true
	}
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		if g.inside--; g.inside == 0 {
			g.open = false
		}
		g.mu.Unlock()
	}()
	for end := time.Now().Add(g.timeout); time.Now().Before(end); time.Sleep(time.Millisecond) {
		g.mu.Lock()
		open := g.open
		g.mu.Unlock()
		if open || pgLockWaiter(g.db) {
			return
		}
	}
}

// pgLockWaiter reports whether a backend holding a lock on a table of db's
// schema waits for another lock (a row's, or the audit chain's).
func pgLockWaiter(db *sql.DB) bool {
	var waiting bool
	err := db.QueryRow(`SELECT EXISTS (SELECT 1 FROM pg_locks w WHERE NOT w.granted AND w.pid IN (
  SELECT l.pid FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relnamespace = current_schema()::regnamespace))`).Scan(&waiting)
	return err == nil && waiting
}

// pgAtPoint installs, for the test, a race-point hook calling hold at point.
func pgAtPoint(t *testing.T, point string, hold func()) {
	restore := engine.SetRacePoint(func(p string) {
		if p == point {
			hold()
		}
	})
	t.Cleanup(restore)
}

// TestPostgresConcurrentAuditChain: six engines (six processes' pools)
// writing to six rows at once append to one chain: every write succeeds,
// the entries are contiguous and the chain verifies. Each append is held
// after reading the chain's head until another append reads it too, or
// waits for the audit lock: without the lock taken before the head is
// read, appends chain onto the same head (and the writes fail on the
// entries' unique seq).
func TestPostgresConcurrentAuditChain(t *testing.T) {
	const writers, each = 6, 8
	es := pgEngines(t, writers)
	ctx := context.Background()
	before, err := es[0].VerifyAudit(ctx, "")
	if err != nil || !before.OK {
		t.Fatalf("verify before: %+v %v", before, err)
	}
	dana := enginetest.Member(t, es[0], "u-dana", "")
	gate := &pgRaceGate{db: enginetest.DB(t, es[0]), n: 2, timeout: 100 * time.Millisecond}
	pgAtPoint(t, "audit.head", gate.hold)
	// Each writer its own row: no row lock orders them, only the chain's.
	errs := together(writers, func(i int) error {
		for k := 0; k < each; k++ {
			if _, err := es[i].Update(ctx, dana, "jobs", ctAcmeJobs[i], map[string]any{"title": fmt.Sprintf("Job %d.%d", i, k)}, engine.WriteOptions{}); err != nil {
				return err
			}
		}
		return nil
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	for _, e := range es {
		if err := e.FlushAudit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	after, err := es[0].VerifyAudit(ctx, "")
	if err != nil || !after.OK {
		t.Fatalf("verify after: %+v %v", after, err)
	}
	// Each update logs one entry; each engine's identity lookups log none.
	if got, want := after.Entries, before.Entries+writers*each; got < want {
		t.Errorf("entries = %d, want at least %d", got, want)
	}
	if after.HeadSeq != after.Entries {
		t.Errorf("head seq %d with %d entries: the chain has a gap", after.HeadSeq, after.Entries)
	}
}

// TestPostgresAuditProcesses: six processes (the group commit tests'
// worker, on PostgreSQL) run writes, refusals and group-committed reads on
// one database at once, each holding every append 5 ms after reading the
// chain's head. Every process ends cleanly, the chain is contiguous and
// verifies (every witnessed head included), and each process's entries are
// in the order of its operations.
func TestPostgresAuditProcesses(t *testing.T) {
	first := enginetest.Seeded(t, enginetest.Postgres())
	before := auVerify(t, first, "")
	scripts := []string{
		"w*6,r*20,x,g*5,w*4",
		"x,w*5,r*30,x,w*3",
		"g*20,w*8,x*2",
		"w,x,w,r*10,w,x,w*5",
		"r*40,w*6,x",
		"w*5,x*5,r*20,w*2",
	}
	var workers []*gcWorker
	for i, s := range scripts {
		w := gcStartEnv(t, first.Path(), fmt.Sprintf("pg-worker-%d", i), s, "", false, "QB_GC_HEAD_PAUSE=5ms")
		workers = append(workers, w)
	}
	gcWaitClosed(t, workers)
	r := auVerify(t, first, "")
	if !r.OK || r.HeadSeq != r.Entries || !r.Witness.Found {
		t.Fatalf("the chain after six processes: %+v", r)
	}
	total := 0
	for _, w := range workers {
		total += len(w.ops)
		if got := gcLogged(t, first, w.name); got != w.ops {
			t.Errorf("%s: the log holds\n %s\nits operations were\n %s", w.name, got, w.ops)
		}
	}
	if r.Entries < before.Entries+int64(total) {
		t.Errorf("%d entries after %d operations on %d", r.Entries, total, before.Entries)
	}
}

// TestPostgresConcurrentUpsert: six engines upserting one new key at once,
// each held after its lookup found no row until all six have looked: one
// creates the row, the other five meet it in the unique index and take the
// update path; none fails.
func TestPostgresConcurrentUpsert(t *testing.T) {
	const writers, rounds = 6, 5
	es := pgEngines(t, writers)
	ctx := context.Background()
	olivia := enginetest.Member(t, es[0], "u-olivia", "")
	db := enginetest.DB(t, es[0])
	for round := 0; round < rounds; round++ {
		key := fmt.Sprintf("race-%d", round)
		gate := &pgRaceGate{db: db, n: writers, timeout: 5 * time.Second}
		var looked atomic.Int32
		pgAtPoint(t, "upsert.lookup", func() { looked.Add(1); gate.hold() })
		paths := make([]string, writers)
		errs := together(writers, func(i int) error {
			r, err := es[i].Upsert(ctx, olivia, "ats_imports", map[string]any{"externalId": key, "candidateName": fmt.Sprintf("Racer %d", i)}, engine.WriteOptions{})
			if err == nil {
				paths[i] = r.Path
			}
			return err
		})
		creates := 0
		for i, err := range errs {
			if err != nil {
				t.Errorf("%s: upsert %d: %v", key, i, err)
			}
			if paths[i] == "create" {
				creates++
			}
		}
		if creates != 1 {
			t.Errorf("%s: paths %v: want exactly one create", key, paths)
		}
		if n := looked.Load(); n != writers {
			t.Errorf("%s: %d of %d upserts found no row: the race was not run", key, n, writers)
		}
		rows := enginetest.Rows(t, db, "SELECT count(*) FROM ats_imports WHERE external_id = ?", key)
		if rows[0][0] != int64(1) {
			t.Errorf("%s: %v rows with the key, want 1", key, rows[0][0])
		}
	}
}

// TestPostgresTransitionRace: an application in "offer" moved to "hired"
// and to "rejected" at once by two engines, the first to have read the
// record held before its update until the other has read it too or waits
// for it: exactly one wins, and the other reads the winner's stage and is
// refused by the transition rule (hired and rejected are terminal), as on
// SQLite — the record is locked from its read to the commit.
func TestPostgresTransitionRace(t *testing.T) {
	es := pgEngines(t, 2)
	ctx := context.Background()
	dana := enginetest.Member(t, es[0], "u-dana", "")
	db := enginetest.DB(t, es[0])
	// Every application of acme in "offer", behind the engine's back.
	if _, err := db.Exec("UPDATE applications SET stage = 'offer' WHERE organization_id = 'acme' AND deleted_at IS NULL"); err != nil {
		t.Fatal(err)
	}
	gate := &pgRaceGate{db: db, n: 2, timeout: 5 * time.Second}
	t.Cleanup(engine.SetBeforeActionUpdate(func(context.Context, *sql.Tx) { gate.hold() }))
	for _, app := range ctAcmeApps {
		targets := []string{"hired", "rejected"}
		errs := together(2, func(i int) error {
			_, err := es[i].Run(ctx, dana, "applications", "advanceStage", app, map[string]any{"stage": targets[i]}, engine.WriteOptions{})
			return err
		})
		var wins, refused int
		for _, err := range errs {
			if err == nil {
				wins++
			} else if ee, ok := engine.AsError(err); ok && ee.Code == engine.ActionNotAllowedForState {
				refused++
			}
		}
		if wins != 1 || refused != 1 {
			t.Errorf("%s: %d of 2 transitions won, %d refused for the state (%v); want one of each", app, wins, refused, errs)
		}
	}
}

// TestPostgresReferenceRace: an application created for a new candidate
// while the candidate is hard-deleted, the create held after its reference
// check until the delete has ended or waits: the reference the create
// checked holds until it commits (the candidate is locked against
// deletion), so the create succeeds and the delete is refused by the
// application now referencing the candidate — as on SQLite, where the
// create's transaction would have excluded the delete.
func TestPostgresReferenceRace(t *testing.T) {
	es := pgEngines(t, 2, enginetest.Edits(adHardDelete))
	ctx := context.Background()
	dana := enginetest.Member(t, es[0], "u-dana", "")
	db := enginetest.DB(t, es[0])
	for round := 0; round < 3; round++ {
		cand, err := es[0].Create(ctx, dana, "candidates", map[string]any{"name": "Racer", "email": fmt.Sprintf("racer%d@example.com", round)}, engine.WriteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		checked := make(chan struct{})
		deleted := make(chan error, 1)
		restore := engine.SetRacePoint(func(p string) {
			if p != "refs.checked" {
				return
			}
			close(checked)
			for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(time.Millisecond) {
				if len(deleted) > 0 || pgLockWaiter(db) {
					return
				}
			}
		})
		go func() {
			<-checked
			_, err := es[1].Delete(ctx, dana, "candidates", cand.ID, engine.WriteOptions{})
			deleted <- err
		}()
		_, cerr := es[0].Create(ctx, dana, "applications", map[string]any{"candidateId": cand.ID, "jobId": "j-firmware"}, engine.WriteOptions{})
		derr := <-deleted
		restore()
		if cerr != nil {
			t.Errorf("round %d: the create, whose reference check came first, failed: %v", round, cerr)
		}
		if ee, ok := engine.AsError(derr); !ok || ee.Code != engine.FKNotFound {
			t.Errorf("round %d: the delete of the candidate now referenced = %v, want %s", round, derr, engine.FKNotFound)
		}
		n := enginetest.Rows(t, db, "SELECT count(*) FROM applications a JOIN candidates c ON c.id = a.candidate_id WHERE c.id = ?", cand.ID)[0][0]
		if n != int64(1) {
			t.Errorf("round %d: %v applications of the candidate, want 1", round, n)
		}
	}
}

// TestPostgresWritersOverlap: writers to different rows do not wait for
// each other's whole transaction. An update of one job is held after its
// reference check (its row locked, nothing logged yet) while an update of
// another job runs start to finish, audit entry and commit included; then
// the held one commits too, and the chain verifies. With a lock taken at
// the start of every write transaction the second update would wait for
// the first (and the hold end only at its timeout).
func TestPostgresWritersOverlap(t *testing.T) {
	es := pgEngines(t, 2)
	ctx := context.Background()
	dana := enginetest.Member(t, es[0], "u-dana", "")
	other := make(chan error, 1)
	var overlapped, held atomic.Bool
	pgAtPoint(t, "refs.checked", func() {
		if !held.CompareAndSwap(false, true) {
			return // the other writer's own check
		}
		go func() {
			_, err := es[1].Update(ctx, dana, "jobs", "j-field-tech", map[string]any{"title": "Second"}, engine.WriteOptions{})
			other <- err
		}()
		select {
		case err := <-other:
			overlapped.Store(true)
			other <- err
		case <-time.After(5 * time.Second):
		}
	})
	if _, err := es[0].Update(ctx, dana, "jobs", "j-firmware", map[string]any{"title": "First"}, engine.WriteOptions{}); err != nil {
		t.Fatalf("the held update: %v", err)
	}
	if err := <-other; err != nil {
		t.Fatalf("the other update: %v", err)
	}
	if !overlapped.Load() {
		t.Error("the update of another row waited for the held write's transaction")
	}
	for _, e := range es {
		if err := e.FlushAudit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if r := auVerify(t, es[0], ""); !r.OK || r.HeadSeq != r.Entries {
		t.Errorf("chain after the overlapping writes: %+v", r)
	}
}

// TestPostgresOrderMatchesSQLite: lists sorted by a nullable column (NULLs
// first ascending, last descending, as SQLite orders them) and by text in
// byte order ("Z" before "a"), paged two rows at a time through keyset
// cursors, give the same ids in the same order on both backends.
func TestPostgresOrderMatchesSQLite(t *testing.T) {
	sorts := []engine.ListQuery{
		{Sort: []schema.SortKey{{Column: "salaryMin"}}, Limit: 2},
		{Sort: []schema.SortKey{{Column: "salaryMin", Desc: true}}, Limit: 2},
		{Sort: []schema.SortKey{{Column: "title"}}, Limit: 2},
		{Sort: []schema.SortKey{{Column: "department", Desc: true}}, Limit: 3},
	}
	order := map[string][][]string{}
	for _, b := range enginetest.Backends {
		e := enginetest.Seeded(t, b.Opts...)
		dana := enginetest.Member(t, e, "u-dana", "")
		olivia := enginetest.Member(t, e, "u-olivia", "")
		// Byte order: a lower-case title sorts after every capital.
		if _, err := e.Create(context.Background(), olivia, "jobs", map[string]any{"title": "apprentice", "status": "draft"}, engine.WriteOptions{}); err != nil {
			t.Fatalf("%s: %v", b.Name, err)
		}
		for _, q := range sorts {
			rows, err := ctListAll(t, e, dana, "jobs", q)
			if err != nil {
				t.Fatalf("%s: %v", b.Name, err)
			}
			ids := ctRowIDs(rows)
			// Created ids differ between runs: compare titles.
			for i, r := range rows {
				ids[i] = fmt.Sprint(r.Get("title"))
			}
			order[b.Name] = append(order[b.Name], ids)
		}
	}
	if len(order["postgres"]) == 0 {
		t.Skip("no PostgreSQL")
	}
	for i := range sorts {
		if !slices.Equal(order["sqlite"][i], order["postgres"][i]) {
			t.Errorf("sort %+v:\n sqlite   %v\n postgres %v", sorts[i].Sort, order["sqlite"][i], order["postgres"][i])
		}
	}
}

// TestPostgresErrorsHideDetail: a unique violation on PostgreSQL maps to
// the catalogue's code by SQLSTATE, and neither the message nor the details
// carry the conflicting value (PostgreSQL's DETAIL does).
func TestPostgresErrorsHideDetail(t *testing.T) {
	e := enginetest.Seeded(t, enginetest.Postgres())
	ctx := context.Background()
	olivia := enginetest.Member(t, e, "u-olivia", "")
	// lever-5001 belongs to a soft-deleted import: the upsert cannot
	// revive it, and the insert meets the unique index.
	if _, err := e.Delete(ctx, olivia, "ats_imports", "x-acme-4", engine.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err := e.Upsert(ctx, olivia, "ats_imports", map[string]any{"externalId": "lever-5001", "candidateName": "Y"}, engine.WriteOptions{})
	if code := ctErrCode(t, err); code != engine.UniqueViolation {
		t.Fatalf("code %s (%v), want %s", code, err, engine.UniqueViolation)
	}
	ee, _ := engine.AsError(err)
	if text := ee.Error() + ctMustJSON(t, ee.Details); strings.Contains(text, "lever-5001") || strings.Contains(text, "Key (") {
		t.Errorf("the error shows the value: %s", text)
	}
}

// TestPostgresServerErrorHidesDetail: a server error the engine does not
// classify (here a trigger's, P0001) is shown with its message and
// SQLSTATE, never its DETAIL, which can hold a row's values.
func TestPostgresServerErrorHidesDetail(t *testing.T) {
	e := enginetest.Seeded(t, enginetest.Postgres())
	for _, st := range []string{
		`CREATE FUNCTION refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by a trigger' USING DETAIL = 'title was ' || OLD.title; END $$`,
		`CREATE TRIGGER refuse BEFORE UPDATE ON jobs FOR EACH ROW EXECUTE FUNCTION refuse_update()`,
	} {
		if _, err := engine.RawDB(e).Exec(st); err != nil {
			t.Fatal(err)
		}
	}
	dana := enginetest.Member(t, e, "u-dana", "")
	_, err := e.Update(context.Background(), dana, "jobs", ctAcmeJobs[0], map[string]any{"title": "Never"}, engine.WriteOptions{})
	if err == nil || !strings.Contains(err.Error(), "refused by a trigger (SQLSTATE P0001)") || strings.Contains(err.Error(), "title was") {
		t.Errorf("update refused by a trigger: %v, want its message and SQLSTATE without its detail", err)
	}
}

// TestPostgresKilledWriter: a process killed with SIGKILL in the middle of
// an engine write — the row inserted, its audit entry appended, the audit
// chain's lock held, nothing committed — leaves nothing half-written: the
// row and the entry are gone, the lock is free (the next write does not
// wait for lock_timeout), and the chain verifies.
func TestPostgresKilledWriter(t *testing.T) {
	if url := os.Getenv("QB_PG_KILLED_WRITER"); url != "" {
		pgKilledWriterChild(t, url)
		return
	}
	e := enginetest.Seeded(t, enginetest.Postgres())
	ctx := context.Background()
	before, err := e.VerifyAudit(ctx, "")
	if err != nil || !before.OK {
		t.Fatalf("verify before: %+v %v", before, err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestPostgresKilledWriter$", "-test.v")
	cmd.Env = append(os.Environ(), "QB_PG_KILLED_WRITER="+e.Path())
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The child says "holding" once its write is logged, not committed.
	sc := bufio.NewScanner(stdout)
	holding := false
	for sc.Scan() {
		if strings.Contains(sc.Text(), "holding") {
			holding = true
			break
		}
	}
	if !holding {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal("the child never reached its commit")
	}
	db := enginetest.DB(t, e)
	// The child's transaction holds the audit chain's lock now.
	if !pgAdvisoryHeld(t, db) {
		t.Error("the child holds no advisory lock at its commit")
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("the child ended with %v, want killed", err)
	}

	// A lock the dead transaction still held would fail this write after
	// lock_timeout.
	dana := enginetest.Member(t, e, "u-dana", "")
	if _, err := e.Update(ctx, dana, "jobs", "j-firmware", map[string]any{"title": "After the crash"}, engine.WriteOptions{}); err != nil {
		t.Fatalf("write after the killed writer: %v", err)
	}
	if n := enginetest.Rows(t, db, "SELECT count(*) FROM jobs WHERE id = ?", "j-half-written")[0][0]; n != int64(0) {
		t.Errorf("the killed transaction's row is there (%v)", n)
	}
	if n := enginetest.Rows(t, db, "SELECT count(*) FROM qb_audit WHERE record_id = ?", "j-half-written")[0][0]; n != int64(0) {
		t.Errorf("the killed transaction's audit entry is there (%v)", n)
	}
	if err := e.FlushAudit(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := e.VerifyAudit(ctx, "")
	if err != nil || !res.OK || res.Entries <= before.Entries || res.HeadSeq != res.Entries {
		t.Fatalf("verify after: %+v %v (before %d entries)", res, err, before.Entries)
	}
}

// pgAdvisoryHeld reports whether a backend other than db's holds the audit
// chain's advisory lock of db's schema.
func pgAdvisoryHeld(t *testing.T, db *sql.DB) bool {
	t.Helper()
	rows := enginetest.Rows(t, db, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = 7190 AND objid = hashtext(current_schema())::oid AND pid <> pg_backend_pid()")
	return rows[0][0] != int64(0)
}

// pgKilledWriterChild is the process TestPostgresKilledWriter kills: an
// engine on the database at url creating the job j-half-written, stopped
// between its audit entry and its commit.
func pgKilledWriterChild(t *testing.T, url string) {
	cfg, err := schema.Load("../quickback.toml")
	if err != nil {
		t.Fatal(err)
	}
	e, err := engine.Open(cfg, url, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	engine.SetRacePoint(func(p string) {
		if p == "write.commit" {
			fmt.Println("holding")
			time.Sleep(time.Minute)
		}
	})
	olivia := engine.Identity{UserID: "u-olivia", OrgID: "acme", Role: "owner"}
	_, err = e.Create(context.Background(), olivia, "jobs", map[string]any{"title": "Half", "status": "draft"}, engine.WriteOptions{NewID: "j-half-written"})
	t.Fatalf("the write was not stopped before its commit: %v", err)
}

// TestPostgresRefusesLongNames: a config naming a column PostgreSQL would
// cut to 63 bytes is refused when the engine opens on PostgreSQL, with the
// config path of the name; SQLite takes it.
func TestPostgresRefusesLongNames(t *testing.T) {
	long := strings.Repeat("x", 64)
	cfg := enginetest.Config(t, enginetest.Edit{Section: "[tables.jobs.columns]", Old: `department     = { type = "text", maxLength = 100, searchable = true }`,
		New: `department     = { type = "text", maxLength = 100, searchable = true, column = "` + long + `" }`})
	enginetest.Open(t, enginetest.WithConfig(cfg)) // SQLite: fine
	url := pgtest.Schema(t)
	_, err := engine.Open(cfg, url, engine.Options{})
	if err == nil || !strings.Contains(err.Error(), "tables.jobs.columns.department") || !strings.Contains(err.Error(), "63 bytes") {
		t.Fatalf("open = %v, want a refusal naming tables.jobs.columns.department", err)
	}
}

// TestPostgresLongIndexNames: the indexes qb creates for two columns whose
// names share their first 50 bytes have names over PostgreSQL's 63 bytes
// that agree in those 63: each is hashed to a name of its own
// (indexName), so both are created, where PostgreSQL's own truncation
// would make the second CREATE INDEX IF NOT EXISTS find the first and
// skip.
func TestPostgresLongIndexNames(t *testing.T) {
	prefix := strings.Repeat("referringjob", 4) + "fromtheli"
	cols := []string{prefix + "stone", prefix + "sttwo"}
	e := enginetest.Open(t, enginetest.Postgres(), enginetest.Edits(enginetest.Edit{Section: "[tables.applications.columns]",
		Old: `jobId       = { type = "text", required = true, references = "jobs" }`,
		New: `jobId       = { type = "text", required = true, references = "jobs" }
` + cols[0] + ` = { type = "text", references = "jobs" }
` + cols[1] + ` = { type = "text", references = "jobs" }`}))
	for _, c := range cols {
		rows := enginetest.Rows(t, engine.RawDB(e), `SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'applications' AND indexdef LIKE ?`, "%("+c+")%")
		if len(rows) != 1 {
			t.Errorf("indexes on %s: %v, want one", c, rows)
		}
	}
}

// TestPostgresReadOnlyConnections: an engine opened read-only on
// PostgreSQL refuses writes in the database itself
// (default_transaction_read_only), not only in the engine: a statement
// that bypasses the engine's checks on its connections fails with 25006.
func TestPostgresReadOnlyConnections(t *testing.T) {
	e := enginetest.Seeded(t, enginetest.Postgres())
	ro, err := engine.Open(e.Config(), e.Path(), engine.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	_, err = engine.RawDB(ro).Exec("UPDATE jobs SET title = 'Never'")
	if err == nil || !strings.Contains(err.Error(), "SQLSTATE 25006") {
		t.Errorf("an update on a read-only engine's connection: %v, want SQLSTATE 25006", err)
	}
}

// TestPostgresContainsOnNumbers: "contains" on an integer column finds the
// rows whose digits contain the needle on both backends (SQLite's LIKE
// takes a number as its text; PostgreSQL's lower() needs the cast).
func TestPostgresContainsOnNumbers(t *testing.T) {
	got := map[string][]string{}
	for _, b := range enginetest.Backends {
		e := enginetest.Seeded(t, b.Opts...)
		dana := enginetest.Member(t, e, "u-dana", "")
		rows, err := ctListAll(t, e, dana, "jobs", engine.ListQuery{Filters: []engine.Filter{{Column: "salaryMin", Op: "~", Value: "20"}}})
		if err != nil {
			t.Fatalf("%s: %v", b.Name, err)
		}
		got[b.Name] = ctRowIDs(rows)
	}
	if len(got["sqlite"]) == 0 {
		t.Fatalf("no job's salaryMin contains 20 on SQLite: the case tests nothing")
	}
	if _, ok := got["postgres"]; ok && !slices.Equal(got["sqlite"], got["postgres"]) {
		t.Errorf("sqlite %v, postgres %v", got["sqlite"], got["postgres"])
	}
}
