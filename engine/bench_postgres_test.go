package engine_test

import (
	"context"
	"database/sql"
	"os"
	"strconv"
	"sync"
	"testing"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/dbconn"
	"quickback.dev/qb/internal/enginetest"
	"quickback.dev/qb/internal/pgtest"
)

// PostgreSQL benchmarks (SPEC §8, issue 18): list pages and get through
// the engine on PostgreSQL against the same statements prepared on a raw
// pool (dbconn.OpenRaw: pgx's database/sql driver) on the same server, in
// alternating blocks (pair). The database is generated once per run into
// a database of the throwaway cluster (or QB_PG_DSN's server):
// QB_PG_BENCH_ROWS rows per table (default 20,000).

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

// pgBenchSetup generates the benchmark database once and returns its URL.
func pgBenchSetup(b *testing.B) string {
	b.Helper()
	srv := pgtest.Get(b)
	pgBenchOnce.Do(func() {
		pgBenchURL = srv.Template(b)
		rows := pgBenchRows()
		b.Logf("generating %d rows per table into PostgreSQL", rows)
		pgBenchErr = buildBenchDB(b, enginetest.Config(b), pgBenchURL, benchOrder, benchCounts(rows), benchOrgs)
		if pgBenchErr == nil {
			// Fresh statistics, as a server that has run autovacuum has.
			var db *sql.DB
			if db, pgBenchErr = dbconn.OpenRaw(pgBenchURL); pgBenchErr == nil {
				_, pgBenchErr = db.Exec("ANALYZE")
				db.Close()
			}
		}
	})
	if pgBenchErr != nil {
		b.Fatalf("PostgreSQL benchmark database: %v", pgBenchErr)
	}
	return pgBenchURL
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

// BenchmarkPostgresList: the first page and a filtered page of candidates
// and interview_notes, as an interviewer and as a hiring manager.
// (Search compares case-insensitively, lower() LIKE, where the SQLite
// benchmark's raw LIKE folds case by itself: it is left out here.)
func BenchmarkPostgresList(b *testing.B) {
	url := pgBenchSetup(b)
	ctx := context.Background()
	for _, tb := range listTables {
		for _, role := range benchRoles {
			for _, c := range tb.cases {
				if c.name == "search" {
					continue
				}
				b.Run(tb.table+"/"+role.name+"/"+c.name, func(b *testing.B) {
					s := pgSide(b, url)
					id := s.identity(b, role.user)
					query, args := rawList(tb, role.user, c)
					st := s.prepare(b, query)
					q := c.q
					q.Limit = 50
					checkSame(b, s, id, tb.table, q, st, args)
					pair(b, func() {
						if _, err := s.eng.List(ctx, id, tb.table, q); err != nil {
							b.Fatal(err)
						}
					}, func() { rawPage(b, st, args...) })
				})
			}
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
