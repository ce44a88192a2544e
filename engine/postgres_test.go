package engine_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/dbconn"
	"quickback.dev/qb/internal/enginetest"
	"quickback.dev/qb/internal/pgtest"
	"quickback.dev/qb/schema"
)

// pgEngines opens n engines on one seeded PostgreSQL database, each with a
// connection pool of its own, as n processes would (the first is the
// kit's).
func pgEngines(t *testing.T, n int) []*engine.Engine {
	t.Helper()
	first := enginetest.Seeded(t, enginetest.Postgres())
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

// TestPostgresConcurrentAuditChain: six engines (six processes' pools)
// writing at once append to one chain: every write succeeds, the entries
// are contiguous and the chain verifies — the advisory lock is taken
// before the head is read.
func TestPostgresConcurrentAuditChain(t *testing.T) {
	const writers, each = 6, 8
	es := pgEngines(t, writers)
	ctx := context.Background()
	before, err := es[0].VerifyAudit(ctx, "")
	if err != nil || !before.OK {
		t.Fatalf("verify before: %+v %v", before, err)
	}
	dana := enginetest.Member(t, es[0], "u-dana", "")
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

// TestPostgresConcurrentUpsert: six engines upserting one new key at once:
// exactly one creates the row, the others update it, none fails.
func TestPostgresConcurrentUpsert(t *testing.T) {
	const writers, rounds = 6, 10
	es := pgEngines(t, writers)
	ctx := context.Background()
	olivia := enginetest.Member(t, es[0], "u-olivia", "")
	for round := 0; round < rounds; round++ {
		key := fmt.Sprintf("race-%d", round)
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
		rows := enginetest.Rows(t, enginetest.DB(t, es[0]), "SELECT count(*) FROM ats_imports WHERE external_id = ?", key)
		if rows[0][0] != int64(1) {
			t.Errorf("%s: %v rows with the key, want 1", key, rows[0][0])
		}
	}
}

// TestPostgresTransitionRace: an application in "offer" moved to "hired"
// and to "rejected" at once by two engines: exactly one wins, the other is
// refused by the transition rule (hired and rejected are terminal) — the
// loser reads the winner's stage, never the stale one.
func TestPostgresTransitionRace(t *testing.T) {
	es := pgEngines(t, 2)
	ctx := context.Background()
	dana := enginetest.Member(t, es[0], "u-dana", "")
	// Every application of acme in "offer", behind the engine's back.
	if _, err := enginetest.DB(t, es[0]).Exec("UPDATE applications SET stage = 'offer' WHERE organization_id = 'acme' AND deleted_at IS NULL"); err != nil {
		t.Fatal(err)
	}
	for _, app := range ctAcmeApps {
		targets := []string{"hired", "rejected"}
		errs := together(2, func(i int) error {
			_, err := es[i].Run(ctx, dana, "applications", "advanceStage", app, map[string]any{"stage": targets[i]}, engine.WriteOptions{})
			return err
		})
		wins := 0
		for _, err := range errs {
			if err == nil {
				wins++
			}
		}
		if wins != 1 {
			t.Errorf("%s: %d of 2 transitions won (%v), want exactly 1", app, wins, errs)
		}
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

// TestPostgresKilledWriter: a process killed in the middle of a write
// transaction — holding the writers' lock, a row and an audit entry
// written, not committed — leaves nothing half-written: the row and the
// entry are gone, the lock is free (the next write does not wait for
// lock_timeout), and the chain verifies.
func TestPostgresKilledWriter(t *testing.T) {
	if os.Getenv("QB_PG_KILLED_WRITER") != "" {
		pgKilledWriterChild(t)
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
	// The child says "holding" once its transaction has written.
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
		t.Fatal("the child never reached its transaction")
	}
	cmd.Process.Kill()
	cmd.Wait()

	dana := enginetest.Member(t, e, "u-dana", "")
	if _, err := e.Update(ctx, dana, "jobs", "j-firmware", map[string]any{"title": "After the crash"}, engine.WriteOptions{}); err != nil {
		t.Fatalf("write after the killed writer: %v", err)
	}
	db := enginetest.DB(t, e)
	if n := enginetest.Rows(t, db, "SELECT count(*) FROM jobs WHERE id = ?", "j-half-written")[0][0]; n != int64(0) {
		t.Errorf("the killed transaction's row is there (%v)", n)
	}
	if n := enginetest.Rows(t, db, "SELECT count(*) FROM qb_audit WHERE record_id = ?", "j-half-written")[0][0]; n != int64(0) {
		t.Errorf("the killed transaction's audit entry is there (%v)", n)
	}
	if err := e.FlushAudit(ctx); err != nil {
		t.Fatal(err)
	}
	after, err := e.VerifyAudit(ctx, "")
	if err != nil || !after.OK || after.Entries <= before.Entries {
		t.Fatalf("verify after: %+v %v (before %d entries)", after, err, before.Entries)
	}
}

// pgKilledWriterChild is the process TestPostgresKilledWriter kills: it
// does what a write transaction does up to its commit, then waits.
func pgKilledWriterChild(t *testing.T) {
	db, err := dbconn.OpenRaw(os.Getenv("QB_PG_KILLED_WRITER"))
	if err != nil {
		t.Fatal(err)
	}
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	var locked string
	if err := tx.QueryRow("SELECT pg_advisory_xact_lock(7190, hashtext(current_schema()))").Scan(&locked); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec("INSERT INTO jobs (id, organization_id, title, status, created_at, created_by) VALUES (?, 'acme', 'Half', 'draft', '2026-03-02T09:00:00.000Z', 'u-dana')", "j-half-written"); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec("INSERT INTO qb_audit (seq, at, os_user, user_id, org_id, role, operation, table_name, record_id, outcome, fields, prev_hash, hash) SELECT max(seq) + 1, 'x', 'x', 'x', 'x', 'x', 'create', 'jobs', 'j-half-written', 'ok', '[]', 'x', 'x' FROM qb_audit"); err != nil {
		t.Fatal(err)
	}
	fmt.Println("holding")
	time.Sleep(time.Minute)
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
