package engine_test

// Scale benchmarks (issue 7). They run only under -bench: the shared
// database (1,000,000 candidates and 1,000,000 interview_notes over 100
// organizations and 2,000 users, plus 2,000 jobs and 100,000 applications
// for the action benchmark) is generated with fixtures.Generate on first
// use and cached at $QB_BENCH_DB (default os.TempDir()/qb-bench-1m.db).
// QB_BENCH_ROWS=100000 builds a smaller one (qb-bench-100000.db) for quick
// runs. See BENCHMARKS.md for the commands and the numbers.
//
// Every benchmark alternates, in blocks of benchBlock, the engine call and
// the same page (or write) done with hand-written SQL through database/sql
// on a second connection pool with the same DSN, and reports engine-ns/op,
// raw-ns/op and their ratio x-raw.

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/fixtures"
	"quickback.dev/qb/internal/enginetest"
	"quickback.dev/qb/schema"
)

const (
	benchOrgs = 100
	benchOrg  = "gen-org-001"
	// Users of every generated organization, by role (fixtures.SyntheticIdentities):
	// u01–u08 interviewers, u15–u18 hiring managers.
	benchInterviewer = "gen-org-001-u01"
	benchManager     = "gen-org-001-u15"

	candCols  = "id, organization_id, name, email, phone, resume_url, source, created_at, created_by, modified_at, modified_by, deleted_at, deleted_by"
	notesCols = "id, organization_id, owner_id, candidate_id, content, rating, created_at, created_by, modified_at, modified_by, deleted_at, deleted_by"
)

type benchEnv struct {
	path string
	rows int
	cfg  *schema.Config
	eng  *engine.Engine
	raw  *sql.DB
	// byReads are engines on the same database by [audit].reads: "group"
	// (the default, eng) and "sync" (every read appends its entry before
	// it returns, the behaviour before group commit).
	byReads map[string]*engine.Engine
}

// readModes are the [audit].reads settings the read benchmarks compare
// in the same run: the group commit, and the synchronous append it
// replaced as the default.
var readModes = []string{schema.ReadsGroup, schema.ReadsSync}

var (
	benchOnce sync.Once
	benchE    *benchEnv
	benchErr  error
)

func benchRows() int {
	if s := os.Getenv("QB_BENCH_ROWS"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n >= 1000 {
			return n
		}
	}
	return 1_000_000
}

// benchCounts are the rows the shared database must hold, by table.
func benchCounts(rows int) map[string]int {
	return map[string]int{
		"candidates":      rows,
		"interview_notes": rows,
		"jobs":            2000, // 20 per organization: every one has jobs to apply to
		"applications":    rows / 10,
	}
}

var benchOrder = []string{"candidates", "interview_notes", "jobs", "applications"}

func benchPath(rows int) string {
	if p := os.Getenv("QB_BENCH_DB"); p != "" {
		return p
	}
	if rows == 1_000_000 {
		return filepath.Join(os.TempDir(), "qb-bench-1m.db")
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("qb-bench-%d.db", rows))
}

// benchHas reports whether the database at path holds exactly want rows in
// each table (and the organizations).
func benchHas(path string, want map[string]int) bool {
	if _, err := os.Stat(path); err != nil {
		return false
	}
	db, err := sql.Open("sqlite", engine.DSN(path, true))
	if err != nil {
		return false
	}
	defer db.Close()
	for table, n := range want {
		var got int
		if err := db.QueryRow("SELECT count(*) FROM " + engine.Q(table)).Scan(&got); err != nil || got != n {
			return false
		}
	}
	var orgs int
	if err := db.QueryRow("SELECT count(*) FROM qb_organizations").Scan(&orgs); err != nil || orgs != benchOrgs {
		return false
	}
	return true
}

// buildBenchDB generates the shared database at path with fixtures.Generate.
func buildBenchDB(tb testing.TB, cfg *schema.Config, path string, want map[string]int) error {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(path + suffix)
	}
	st, err := engine.Open(cfg, path, engine.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	for _, table := range benchOrder {
		t0 := time.Now()
		res, err := fixtures.Generate(context.Background(), st, table, fixtures.GenerateOptions{Rows: want[table], Orgs: benchOrgs, Seed: 1})
		if err != nil {
			return fmt.Errorf("generate %s: %w", table, err)
		}
		tb.Logf("generated %d %s in %s (%.0f rows/s)", res.Rows, table, time.Since(t0).Round(time.Millisecond), res.RowsPerSecond())
	}
	return nil
}

// benchSetup opens (building it once when missing) the shared database.
func benchSetup(b *testing.B) *benchEnv {
	b.Helper()
	benchOnce.Do(func() {
		rows := benchRows()
		path := benchPath(rows)
		want := benchCounts(rows)
		cfg := enginetest.Config(b)
		if !benchHas(path, want) {
			b.Logf("building the benchmark database %s (%d rows per table); this takes a while", path, rows)
			if err := buildBenchDB(b, cfg, path, want); err != nil {
				benchErr = err
				return
			}
		}
		eng, err := engine.Open(cfg, path, engine.Options{})
		if err != nil {
			benchErr = err
			return
		}
		sync, err := engine.Open(enginetest.Config(b, enginetest.Edit{New: "[audit]\nreads = \"sync\""}), path, engine.Options{})
		if err != nil {
			benchErr = err
			return
		}
		raw, err := sql.Open("sqlite", engine.DSN(path, false))
		if err != nil {
			benchErr = err
			return
		}
		benchE = &benchEnv{path: path, rows: rows, cfg: cfg, eng: eng, raw: raw,
			byReads: map[string]*engine.Engine{schema.ReadsGroup: eng, schema.ReadsSync: sync}}
	})
	if benchErr != nil {
		b.Fatalf("benchmark database: %v", benchErr)
	}
	return benchE
}

func (env *benchEnv) identity(b *testing.B, user string) engine.Identity {
	b.Helper()
	id, err := env.eng.ResolveIdentity(context.Background(), user, benchOrg, "")
	if err != nil {
		b.Fatalf("identity %s: %v", user, err)
	}
	return id
}

// rawPage runs a hand-written list statement and scans every column of
// every row, the way a hand-written handler would; it returns the ids.
func rawPage(b *testing.B, db *sql.DB, query string, args ...any) []string {
	rows, err := db.Query(query, args...)
	if err != nil {
		b.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var ids []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			b.Fatal(err)
		}
		s, _ := vals[0].(string)
		ids = append(ids, s)
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	return ids
}

func pageIDs(p *engine.Page) []string {
	ids := make([]string, len(p.Rows))
	for i, r := range p.Rows {
		ids[i] = r.ID()
	}
	return ids
}

// benchBlock is how many operations of one kind run back to back before
// the other kind. Every engine read appends an audit entry, and a write to
// the WAL makes SQLite drop the page cache of every other connection on its
// next read; alternating single operations would charge that cold cache to
// the raw side on every iteration. In blocks, each side pays it once per
// block.
const benchBlock = 25

// pair times the engine and the raw operation in alternating blocks, b.N
// times each, and reports both and the ratio.
func pair(b *testing.B, engineOp, rawOp func()) (engNs, rawNs float64) {
	b.Helper()
	engineOp()
	rawOp()
	var de, dr time.Duration
	b.ResetTimer()
	for done := 0; done < b.N; done += benchBlock {
		n := min(benchBlock, b.N-done)
		t0 := time.Now()
		for k := 0; k < n; k++ {
			engineOp()
		}
		t1 := time.Now()
		for k := 0; k < n; k++ {
			rawOp()
		}
		dr += time.Since(t1)
		de += t1.Sub(t0)
	}
	b.StopTimer()
	engNs, rawNs = float64(de.Nanoseconds())/float64(b.N), float64(dr.Nanoseconds())/float64(b.N)
	b.ReportMetric(engNs, "engine-ns/op")
	b.ReportMetric(rawNs, "raw-ns/op")
	b.ReportMetric(engNs/rawNs, "x-raw")
	return engNs, rawNs
}

type listCase struct {
	name   string
	q      engine.ListQuery
	where  string // extra raw predicate, after the firewall
	args   []any
	iwhere string // the interviewer's version when it differs (masked columns are not searched)
}

// BenchmarkList: first, deep, filtered and search pages of candidates and
// interview_notes, as an interviewer and as a hiring manager.
func BenchmarkList(b *testing.B) {
	env := benchSetup(b)
	ctx := context.Background()
	tables := []struct {
		table, cols string
		owner       bool // strict owner scope: both roles see their own notes only
		cases       []listCase
	}{
		{"candidates", candCols, false, []listCase{
			{name: "first"},
			{name: "filter", q: engine.ListQuery{Filters: []engine.Filter{{Column: "source", Op: "=", Value: "linkedin"}}}, where: "source = ?", args: []any{"linkedin"}},
			{name: "search", q: engine.ListQuery{Search: "garcia"},
				where: "(name LIKE ? ESCAPE '\\' OR email LIKE ? ESCAPE '\\' OR source LIKE ? ESCAPE '\\')", args: []any{"%garcia%", "%garcia%", "%garcia%"},
				iwhere: "(name LIKE ? ESCAPE '\\' OR source LIKE ? ESCAPE '\\')"},
		}},
		{"interview_notes", notesCols, true, []listCase{
			{name: "first"},
			{name: "filter", q: engine.ListQuery{Filters: []engine.Filter{{Column: "rating", Op: "=", Value: "5"}}}, where: "rating = ?", args: []any{int64(5)}},
			{name: "search", q: engine.ListQuery{Search: "references"}, where: "content LIKE ? ESCAPE '\\'", args: []any{"%references%"}},
		}},
	}
	for _, tb := range tables {
		for _, role := range []struct{ name, user string }{{"interviewer", benchInterviewer}, {"hiring-manager", benchManager}} {
			id := env.identity(b, role.user)
			scope := "organization_id = ?"
			scopeArgs := []any{benchOrg}
			if tb.owner {
				scope += " AND owner_id = ?"
				scopeArgs = append(scopeArgs, role.user)
			}
			base := fmt.Sprintf("SELECT %s FROM %s WHERE %s AND deleted_at IS NULL", tb.cols, tb.table, scope)
			order := " ORDER BY created_at DESC, id DESC LIMIT 51"
			for _, c := range tb.cases {
				c := c
				for _, mode := range readModes {
					eng := env.byReads[mode]
					b.Run(tb.table+"/"+role.name+"/"+c.name+"/reads="+mode, func(b *testing.B) {
						query, args := base, append([]any{}, scopeArgs...)
						if c.where != "" {
							w := c.where
							if role.name == "interviewer" && c.iwhere != "" {
								w = c.iwhere
							}
							query += " AND " + w
							args = append(args, c.args[:strings.Count(w, "?")]...)
						}
						query += order
						q := c.q
						q.Limit = 50
						checkSame(b, env, id, tb.table, q, query, args)
						pair(b, func() {
							if _, err := eng.List(ctx, id, tb.table, q); err != nil {
								b.Fatal(err)
							}
						}, func() { rawPage(b, env.raw, query, args...) })
					})
				}
			}
			for _, mode := range readModes {
				eng := env.byReads[mode]
				b.Run(tb.table+"/"+role.name+"/deep/reads="+mode, func(b *testing.B) {
					benchDeep(b, env, eng, id, tb.table, base, scopeArgs)
				})
			}
		}
	}
}

// checkSame fails when the engine's page and the raw page differ.
func checkSame(b *testing.B, env *benchEnv, id engine.Identity, table string, q engine.ListQuery, query string, args []any) {
	b.Helper()
	p, err := env.eng.List(context.Background(), id, table, q)
	if err != nil {
		b.Fatal(err)
	}
	got, want := pageIDs(p), rawPage(b, env.raw, query, args...)
	if len(want) > 50 {
		want = want[:50]
	}
	if len(got) == 0 || !reflect.DeepEqual(got, want) {
		b.Fatalf("engine page %v\nraw page %v\n%s", got, want, query)
	}
}

// benchDeep walks the engine's cursor to the deepest page it can reach (up
// to 10,000 pages; an organization of the 1M database has 200 pages of
// candidates, a user 10 pages of notes), then times the page after that
// cursor against the raw keyset page (created_at, id) < (?, ?) whose start
// values come from one raw OFFSET query in setup, and against the engine's
// first page (x-first = deep/first).
func benchDeep(b *testing.B, env *benchEnv, eng *engine.Engine, id engine.Identity, table, base string, scopeArgs []any) {
	ctx := context.Background()
	q := engine.ListQuery{Limit: 50}
	pages := 0
	var prevCursor string
	for pages < 10000 {
		p, err := eng.List(ctx, id, table, q)
		if err != nil {
			b.Fatal(err)
		}
		if p.Next == "" {
			break
		}
		pages++
		prevCursor = q.Cursor
		q.Cursor = p.Next
	}
	// Time the last full page (the one before the tail), pages-1 pages in.
	depth := pages - 1
	deepQ := engine.ListQuery{Limit: 50, Cursor: prevCursor}
	if depth < 1 {
		b.Skipf("only %d pages", pages)
	}
	var at, rid string
	keyQuery := strings.Replace(base, "SELECT "+tbCols(table)+" FROM", "SELECT created_at, id FROM", 1) + " ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET ?"
	if err := env.raw.QueryRow(keyQuery, append(append([]any{}, scopeArgs...), depth*50-1)...).Scan(&at, &rid); err != nil {
		b.Fatal(err)
	}
	query := base + " AND (created_at, id) < (?, ?) ORDER BY created_at DESC, id DESC LIMIT 51"
	args := append(append([]any{}, scopeArgs...), at, rid)
	checkSame(b, env, id, table, deepQ, query, args)
	first := engine.ListQuery{Limit: 50}
	list := func(q engine.ListQuery) {
		if _, err := eng.List(ctx, id, table, q); err != nil {
			b.Fatal(err)
		}
	}
	var dd, df, dr time.Duration
	b.ResetTimer()
	for done := 0; done < b.N; done += benchBlock {
		n := min(benchBlock, b.N-done)
		t0 := time.Now()
		for k := 0; k < n; k++ {
			list(deepQ)
		}
		t1 := time.Now()
		for k := 0; k < n; k++ {
			rawPage(b, env.raw, query, args...)
		}
		t2 := time.Now()
		for k := 0; k < n; k++ {
			list(first)
		}
		df += time.Since(t2)
		dd += t1.Sub(t0)
		dr += t2.Sub(t1)
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(float64(dd.Nanoseconds())/n, "engine-ns/op")
	b.ReportMetric(float64(dr.Nanoseconds())/n, "raw-ns/op")
	b.ReportMetric(float64(df.Nanoseconds())/n, "first-ns/op")
	b.ReportMetric(float64(dd)/float64(dr), "x-raw")
	b.ReportMetric(float64(dd)/float64(df), "x-first")
	b.ReportMetric(float64(depth), "pages-deep")
}

func tbCols(table string) string {
	if table == "candidates" {
		return candCols
	}
	return notesCols
}

// benchIDs returns n ids of live rows of table in the benchmark organization.
func benchIDs(b *testing.B, env *benchEnv, table string, n int) []string {
	b.Helper()
	rows, err := env.raw.Query("SELECT id FROM "+table+" WHERE organization_id = ? AND deleted_at IS NULL ORDER BY created_at DESC, id DESC LIMIT ?", benchOrg, n)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, s)
	}
	if len(ids) == 0 {
		b.Fatalf("no %s in %s", table, benchOrg)
	}
	return ids
}

// BenchmarkGet: one candidate by id, as an interviewer (masked) and as a
// hiring manager, against SELECT … WHERE id = ? AND firewall.
func BenchmarkGet(b *testing.B) {
	env := benchSetup(b)
	ctx := context.Background()
	ids := benchIDs(b, env, "candidates", 1000)
	query := "SELECT " + candCols + " FROM candidates WHERE id = ? AND organization_id = ? AND deleted_at IS NULL"
	for _, role := range []struct{ name, user string }{{"interviewer", benchInterviewer}, {"hiring-manager", benchManager}} {
		for _, mode := range readModes {
			eng := env.byReads[mode]
			b.Run("candidates/"+role.name+"/reads="+mode, func(b *testing.B) {
				id := env.identity(b, role.user)
				i, j := 0, 0
				pair(b, func() {
					if _, err := eng.Get(ctx, id, "candidates", ids[i%len(ids)]); err != nil {
						b.Fatal(err)
					}
					i++
				}, func() {
					if got := rawPage(b, env.raw, query, ids[j%len(ids)], benchOrg); len(got) != 1 {
						b.Fatalf("raw get: %v", got)
					}
					j++
				})
			})
		}
	}
}

// BenchmarkUpdate: a guarded update (hiring manager sets a candidate's
// phone: access, guards, firewall, diff and the audit entry in the same
// transaction) against BEGIN; UPDATE … WHERE id AND firewall; COMMIT.
func BenchmarkUpdate(b *testing.B) {
	env := benchSetup(b)
	ctx := context.Background()
	ids := benchIDs(b, env, "candidates", 1000)
	id := env.identity(b, benchManager)
	i, j := 0, 0
	pair(b, func() {
		phone := fmt.Sprintf("+1 555 %07d", i)
		if _, err := env.eng.Update(ctx, id, "candidates", ids[i%len(ids)], map[string]any{"phone": phone}, engine.WriteOptions{}); err != nil {
			b.Fatal(err)
		}
		i++
	}, func() {
		tx, err := env.raw.Begin()
		if err != nil {
			b.Fatal(err)
		}
		now := engine.FormatTime(time.Now())
		res, err := tx.Exec("UPDATE candidates SET phone = ?, modified_at = ?, modified_by = ? WHERE id = ? AND organization_id = ? AND deleted_at IS NULL",
			fmt.Sprintf("+1 555 %07d", j), now, benchManager, ids[j%len(ids)], benchOrg)
		if err != nil {
			b.Fatal(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			b.Fatalf("raw update touched %d rows", n)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		j++
	})
}

// BenchmarkAction: submitScore on an application as an interviewer (record
// fetched through the firewall, access, input validation, an insert into
// interview_scores and the audit entry in one transaction) against BEGIN;
// SELECT the application through the firewall; INSERT the score; COMMIT.
// (advanceStage is one-way — terminal stages — so it cannot repeat b.N times.)
func BenchmarkAction(b *testing.B) {
	env := benchSetup(b)
	ctx := context.Background()
	ids := benchIDs(b, env, "applications", 500)
	id := env.identity(b, benchInterviewer)
	i, j := 0, 0
	pair(b, func() {
		if _, err := env.eng.Run(ctx, id, "applications", "submitScore", ids[i%len(ids)], map[string]any{"score": 4, "feedback": "solid"}, engine.WriteOptions{}); err != nil {
			b.Fatal(err)
		}
		i++
	}, func() {
		tx, err := env.raw.Begin()
		if err != nil {
			b.Fatal(err)
		}
		var app string
		if err := tx.QueryRow("SELECT id FROM applications WHERE id = ? AND organization_id = ? AND deleted_at IS NULL", ids[j%len(ids)], benchOrg).Scan(&app); err != nil {
			b.Fatal(err)
		}
		now := engine.FormatTime(time.Now())
		if _, err := tx.Exec("INSERT INTO interview_scores (id, organization_id, application_id, interviewer_id, score, feedback, created_at, created_by) VALUES (?,?,?,?,?,?,?,?)",
			engine.NewID(), benchOrg, app, benchInterviewer, 4, "solid", now, benchInterviewer); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		j++
	})
}

// peakRSS reads the process's peak resident set (VmHWM) in bytes;
// resetPeakRSS starts a new peak (Linux: clear_refs 5).
func peakRSS() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, ln := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(ln, "VmHWM:") {
			f := strings.Fields(ln)
			if len(f) >= 2 {
				kb, _ := strconv.ParseFloat(f[1], 64)
				return kb * 1024
			}
		}
	}
	return 0
}

func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// BenchmarkPagingMemory pages through 1,000 pages of 50 candidates as a
// hiring manager (all 200 pages of each of the first 5 organizations of
// the 1M database) and reports the peak RSS of the process (reset after
// setup) and the peak Go heap. Run it alone, in its own process (see
// BENCHMARKS.md), and compare with QB_BENCH_SMALL=1, which pages through
// every page of a 10,000-row table instead.
func BenchmarkPagingMemory(b *testing.B) {
	var path string
	var orgs []string
	var cfg *schema.Config
	if os.Getenv("QB_BENCH_SMALL") != "" {
		cfg = enginetest.Config(b)
		path = filepath.Join(os.TempDir(), "qb-bench-10k.db")
		if !benchHas1(path, "candidates", 10000) {
			os.Remove(path)
			st, err := engine.Open(cfg, path, engine.Options{})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := fixtures.Generate(context.Background(), st, "candidates", fixtures.GenerateOptions{Rows: 10000, Orgs: 1, Seed: 1}); err != nil {
				b.Fatal(err)
			}
			st.Close()
		}
		orgs = []string{"gen-org-001"}
	} else {
		env := benchSetup(b)
		cfg, path = env.cfg, env.path
		for o := 1; o <= 5; o++ {
			orgs = append(orgs, fmt.Sprintf("gen-org-%03d", o))
		}
	}
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		e, err := engine.Open(cfg, path, engine.Options{})
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		resetPeakRSS()
		var ms runtime.MemStats
		var peakHeap uint64
		pages, rows := 0, 0
		for _, org := range orgs {
			id, err := e.ResolveIdentity(ctx, strings.Replace(benchManager, benchOrg, org, 1), org, "")
			if err != nil {
				b.Fatal(err)
			}
			q := engine.ListQuery{Limit: 50}
			for pages < 1000 {
				p, err := e.List(ctx, id, "candidates", q)
				if err != nil {
					b.Fatal(err)
				}
				pages++
				rows += len(p.Rows)
				if pages%50 == 0 {
					runtime.ReadMemStats(&ms)
					peakHeap = max(peakHeap, ms.HeapInuse)
				}
				if p.Next == "" {
					break
				}
				q.Cursor = p.Next
			}
		}
		b.ReportMetric(peakRSS()/(1<<20), "peak-RSS-MB")
		b.ReportMetric(float64(peakHeap)/(1<<20), "peak-heap-MB")
		b.ReportMetric(float64(pages), "pages")
		b.ReportMetric(float64(rows), "rows")
		e.Close()
	}
}

func benchHas1(path, table string, n int) bool {
	if _, err := os.Stat(path); err != nil {
		return false
	}
	db, err := sql.Open("sqlite", engine.DSN(path, true))
	if err != nil {
		return false
	}
	defer db.Close()
	var got int
	return db.QueryRow("SELECT count(*) FROM "+engine.Q(table)).Scan(&got) == nil && got == n
}
