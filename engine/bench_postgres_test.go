package engine_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/dbconn"
	"quickback.dev/qb/internal/enginetest"
	"quickback.dev/qb/internal/pgtest"
)

// PostgreSQL benchmarks (SPEC §8, issue 18): list pages and get through
// the engine on PostgreSQL against the same statements prepared on a raw
// pool (dbconn.OpenRaw: pgx's database/sql driver) on the same server, in
// alternating blocks (pair). The database, QB_PG_BENCH_ROWS rows per
// table (default 20,000; 1000000 for the scale figures), is generated
// once into the database qb_bench_ROWS of the throwaway cluster (gone
// when the run ends) or of QB_PG_DSN's server, where a later run reuses it
// when it holds the same rows (as the SQLite benchmarks reuse their file).

var (
	pgBenchOnce sync.Once
	pgBenchURL  string
	pgBenchErr  error
)

func pgBenchRows() int {
	if n, err := strconv.Atoi(os.Getenv("QB_PG_BENCH_ROWS")); err == nil && n > 0 {
		return n
	}
	return 20000
}

// pgBenchSetup finds or generates the benchmark database and returns its
// URL.
func pgBenchSetup(b *testing.B) string {
	b.Helper()
	srv := pgtest.Get(b)
	pgBenchOnce.Do(func() {
		rows := pgBenchRows()
		name := fmt.Sprintf("qb_bench_%d", rows)
		u, err := url.Parse(srv.URL())
		if err != nil {
			pgBenchErr = err
			return
		}
		u.Path = "/" + name
		pgBenchURL = u.String()
		want := benchCounts(rows)
		if pgBenchHas(pgBenchURL, want, benchOrgs) {
			b.Logf("reusing %s (%d rows per table)", name, rows)
			return
		}
		if _, pgBenchErr = srv.Admin().Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); pgBenchErr != nil {
			return
		}
		if _, pgBenchErr = srv.Admin().Exec("CREATE DATABASE " + name); pgBenchErr != nil {
			return
		}
		b.Logf("generating %d rows per table into PostgreSQL database %s", rows, name)
		pgBenchErr = buildBenchDB(b, enginetest.Config(b), pgBenchURL, benchOrder, want, benchOrgs)
		if pgBenchErr == nil {
			// Fresh statistics, as a server that has run autovacuum has.
			var db *sql.DB
			if db, pgBenchErr = dbconn.OpenRaw(pgBenchURL); pgBenchErr == nil {
				_, pgBenchErr = db.Exec("VACUUM ANALYZE")
				db.Close()
			}
		}
	})
	if pgBenchErr != nil {
		b.Fatalf("PostgreSQL benchmark database: %v", pgBenchErr)
	}
	return pgBenchURL
}

// pgBenchHas reports whether the database at url holds exactly want rows in
// each table and orgs organizations.
func pgBenchHas(url string, want map[string]int, orgs int) bool {
	db, err := dbconn.OpenRaw(url)
	if err != nil {
		return false
	}
	defer db.Close()
	want["qb_organizations"] = orgs
	defer delete(want, "qb_organizations")
	for table, n := range want {
		var got int
		if err := db.QueryRow("SELECT count(*) FROM " + engine.Q(table)).Scan(&got); err != nil || got != n {
			return false
		}
	}
	return true
}

// pgSide opens an engine and a raw pool on url for one benchmark.
func pgSide(b *testing.B, url string) *side {
	b.Helper()
	eng, err := engine.Open(enginetest.Config(b), url, engine.Options{})
	if err != nil {
		b.Fatal(err)
	}
	raw, err := dbconn.OpenRaw(url)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		raw.Close()
		if err := eng.Close(); err != nil {
			b.Error(err)
		}
	})
	return &side{eng: eng, raw: raw}
}

// BenchmarkPostgresList: the first page, a filtered page and the deepest
// page (benchDeep: against the raw keyset page and the engine's first page)
// of candidates and interview_notes, as an interviewer and as a hiring
// manager.
// (Search compares case-insensitively, lower() LIKE, where the SQLite
// benchmark's raw LIKE folds case by itself: it is left out here.)
func BenchmarkPostgresList(b *testing.B) {
	url := pgBenchSetup(b)
	for _, tb := range listTables {
		for _, role := range benchRoles {
			for _, c := range tb.cases {
				if c.name == "search" {
					continue
				}
				b.Run(tb.table+"/"+role.name+"/"+c.name, func(b *testing.B) {
					benchListPage(b, pgSide(b, url), tb, role.user, c)
				})
			}
			b.Run(tb.table+"/"+role.name+"/deep", func(b *testing.B) {
				s := pgSide(b, url)
				benchDeep(b, s, s.identity(b, role.user), tb, role.user)
			})
		}
	}
}

// BenchmarkPostgresGet: one candidate by id against SELECT … WHERE id = ?
// AND firewall.
func BenchmarkPostgresGet(b *testing.B) {
	url := pgBenchSetup(b)
	query := "SELECT " + candCols + " FROM candidates WHERE id = ? AND organization_id = ? AND deleted_at IS NULL"
	for _, role := range benchRoles {
		b.Run("candidates/"+role.name, func(b *testing.B) {
			s := pgSide(b, url)
			id := s.identity(b, role.user)
			ids := pgBenchIDs(b, s.raw, "candidates", 1000)
			pairGets(b, s, id, s.prepare(b, query), ids)
		})
	}
}

func pgBenchIDs(b *testing.B, db *sql.DB, table string, n int) []string {
	b.Helper()
	rows := enginetest.Rows(b, db, "SELECT id FROM "+table+" WHERE organization_id = ? AND deleted_at IS NULL ORDER BY created_at DESC, id DESC LIMIT ?", benchOrg, n)
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r[0].(string)
	}
	if len(ids) == 0 {
		b.Fatalf("no %s in %s", table, benchOrg)
	}
	return ids
}

// BenchmarkPostgresConcurrentWrites: six engines (six processes' pools)
// each updating a row of its own, all at once, one op being one round of
// six updates. Blocks of rounds alternate between the engine as it is (the
// advisory lock taken only before the audit chain's head is read, rows
// locked as they are read) and the floor it replaced: every write
// transaction taking the lock at its start, so writers to different rows
// run one at a time. x-lock-at-begin is the engine's time over the
// floor's (below 1: the writers overlap).
func BenchmarkPostgresConcurrentWrites(b *testing.B) {
	const writers = 6
	es := pgEngines(b, writers)
	ctx := context.Background()
	dana := enginetest.Member(b, es[0], "u-dana", "")
	k := 0
	round := func() {
		k++
		errs := together(writers, func(i int) error {
			_, err := es[i].Update(ctx, dana, "jobs", ctAcmeJobs[i], map[string]any{"title": "Bench " + strconv.Itoa(k)}, engine.WriteOptions{})
			return err
		})
		for _, err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	defer engine.SetPGLockAtBegin(false)
	round()
	var narrow, whole time.Duration
	b.ResetTimer()
	for done := 0; done < b.N; done += benchBlock {
		n := min(benchBlock, b.N-done)
		t0 := time.Now()
		for j := 0; j < n; j++ {
			round()
		}
		t1 := time.Now()
		engine.SetPGLockAtBegin(true)
		for j := 0; j < n; j++ {
			round()
		}
		engine.SetPGLockAtBegin(false)
		narrow += t1.Sub(t0)
		whole += time.Since(t1)
	}
	b.StopTimer()
	b.ReportMetric(float64(narrow.Nanoseconds())/float64(b.N), "engine-ns/round")
	b.ReportMetric(float64(whole.Nanoseconds())/float64(b.N), "lock-at-begin-ns/round")
	b.ReportMetric(float64(narrow)/float64(whole), "x-lock-at-begin")
}
