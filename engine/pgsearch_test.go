package engine_test

import (
	"context"
	"fmt"
	neturl "net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/fixtures"
	"quickback.dev/qb/internal/dbconn"
	"quickback.dev/qb/internal/enginetest"
	"quickback.dev/qb/internal/pgtest"
)

// TestPostgresSearchIndex: on PostgreSQL, `qb migrate --indexes`
// (CreateIndexes of the suggested search indexes) installs pg_trgm and
// builds a GIN trigram index per searchable text column; the plan of a
// selective search then reads them (a bitmap index scan, not the whole
// organization), and every search and ~ filter gives exactly the rows it
// gives on SQLite for the same generated data — before and after the
// indexes. A table qb creates once pg_trgm is installed gets its indexes
// at once.
func TestPostgresSearchIndex(t *testing.T) {
	ctx := context.Background()
	// A database of its own: an extension is installed database-wide.
	url := pgtest.Get(t).Template(t)
	cfg := enginetest.Config(t)
	pg := enginetest.Open(t, enginetest.WithConfig(cfg), enginetest.At(url))
	lite := enginetest.Open(t, enginetest.WithConfig(cfg))
	for _, e := range []*engine.Engine{pg, lite} {
		if _, err := fixtures.Generate(ctx, e, "candidates", fixtures.GenerateOptions{Rows: 6000, Orgs: 2, Seed: 3}); err != nil {
			t.Fatal(err)
		}
	}
	raw := engine.RawDB(pg)
	var email string
	if err := raw.QueryRow(`SELECT email FROM candidates WHERE organization_id = 'gen-org-001' ORDER BY id LIMIT 1`).Scan(&email); err != nil {
		t.Fatal(err)
	}
	rare := strings.ToUpper(email[:strings.IndexByte(email, '@')])
	queries := []engine.ListQuery{
		{Search: rare}, {Search: "ar"}, {Search: "GARCÍA"}, {Search: "linkedin"}, {Search: "%_"},
		{Filters: []engine.Filter{{Column: "name", Op: "~", Value: "son"}}},
		{Filters: []engine.Filter{{Column: "email", Op: "~", Value: rare}}},
	}
	owner, err := pg.ResolveIdentity(ctx, "", "gen-org-001", "hiring-manager") // sees email raw
	if err != nil {
		t.Fatal(err)
	}
	results := func(e *engine.Engine) [][]string {
		var out [][]string
		for _, q := range queries {
			q.Limit = 1000
			rows, err := ctListAll(t, e, owner, "candidates", q)
			if err != nil {
				t.Fatalf("%+v: %v", q, err)
			}
			out = append(out, ctRowIDs(rows))
		}
		return out
	}
	want := results(lite)
	if len(want[0]) == 0 || len(want[0]) > 5 || len(want[1]) < 100 {
		t.Fatalf("the needles do not select as intended: %d rows for %q, %d for \"ar\"", len(want[0]), rare, len(want[1]))
	}
	same := func(when string) {
		t.Helper()
		for i, got := range results(pg) {
			if !slices.Equal(got, want[i]) {
				t.Errorf("%s, %+v: postgres %d rows, sqlite %d", when, queries[i], len(got), len(want[i]))
			}
		}
	}
	same("without the indexes")

	sugg := pg.SuggestedSearchIndexes()
	var names []string
	for _, s := range sugg {
		names = append(names, s.Name)
	}
	if !slices.Equal(names, []string{"qbx_jobs_trgm", "qbx_candidates_trgm", "qbx_interview_notes_trgm", "qbx_applications_trgm", "qbx_ats_imports_trgm"}) {
		t.Fatalf("suggested %v", names)
	}
	if got := sugg[1].SQL; got != "CREATE EXTENSION IF NOT EXISTS pg_trgm;\n"+
		`CREATE INDEX IF NOT EXISTS "qbx_candidates_name_trgm" ON "candidates" USING gin (lower(CAST("name" AS TEXT)) gin_trgm_ops);`+"\n"+
		`CREATE INDEX IF NOT EXISTS "qbx_candidates_email_trgm" ON "candidates" USING gin (lower(CAST("email" AS TEXT)) gin_trgm_ops);`+"\n"+
		`CREATE INDEX IF NOT EXISTS "qbx_candidates_source_trgm" ON "candidates" USING gin (lower(CAST("source" AS TEXT)) gin_trgm_ops)` {
		t.Errorf("candidates' search index SQL:\n%s", got)
	}
	if err := pg.CreateIndexes(ctx, sugg, nil); err != nil {
		t.Fatal(err)
	}
	if again := pg.SuggestedSearchIndexes(); len(again) != 0 {
		t.Errorf("suggested again after creating them: %+v", again)
	}
	if _, err := raw.Exec("ANALYZE candidates"); err != nil {
		t.Fatal(err)
	}
	same("with the indexes")

	// The plan of the statement List runs: the trigram indexes, ORed.
	query, args, err := pg.ListSQL(owner, "candidates", engine.ListQuery{Search: rare})
	if err != nil {
		t.Fatal(err)
	}
	var plan []string
	enginetest.Each(t, raw, func(v []any) { plan = append(plan, v[0].(string)) }, "EXPLAIN "+query, args...)
	text := strings.Join(plan, "\n")
	for _, want := range []string{"Bitmap Index Scan on qbx_candidates_name_trgm", "Bitmap Index Scan on qbx_candidates_email_trgm", "Bitmap Index Scan on qbx_candidates_source_trgm"} {
		if !strings.Contains(text, want) {
			t.Errorf("the plan lacks %q:\n%s", want, text)
		}
	}

	// With pg_trgm installed (in public), a table qb creates in another
	// schema gets its indexes at once, naming the operator class by its
	// schema.
	if _, err := raw.Exec(`CREATE SCHEMA fresh`); err != nil {
		t.Fatal(err)
	}
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	fresh := enginetest.Open(t, enginetest.WithConfig(cfg), enginetest.At(url+sep+"search_path=fresh"))
	if s := fresh.SuggestedSearchIndexes(); len(s) != 0 {
		t.Errorf("a new database with pg_trgm installed lacks search indexes: %+v", s)
	}
	var n int
	if err := engine.RawDB(fresh).QueryRow(`SELECT count(*) FROM pg_indexes WHERE schemaname = 'fresh' AND indexdef LIKE '%gin_trgm_ops%'`).Scan(&n); err != nil || n < 3 {
		t.Errorf("%d trigram indexes in the new schema (%v)", n, err)
	}
}

// TestPostgresSearchWithoutExtension: a user who may not create pg_trgm
// (no CREATE on the database) gets no search index suggested, a check
// warning that says why searches scan and whom to ask, and a clear error
// if it asks for the index anyway; searches still work.
func TestPostgresSearchWithoutExtension(t *testing.T) {
	ctx := context.Background()
	base := pgtest.Get(t).Template(t)
	admin, err := dbconn.OpenRaw(base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	role := fmt.Sprintf("qb_noext_%d", os.Getpid())
	if _, err := admin.Exec("CREATE ROLE " + role + " LOGIN"); err != nil {
		t.Skipf("cannot create a role on this server: %v", err)
	}
	t.Cleanup(func() {
		for _, st := range []string{"DROP SCHEMA app CASCADE", "DROP OWNED BY " + role, "DROP ROLE " + role} {
			if _, err := admin.Exec(st); err != nil {
				t.Errorf("%s: %v", st, err)
			}
		}
	})
	if _, err := admin.Exec("CREATE SCHEMA app AUTHORIZATION " + role); err != nil {
		t.Fatal(err)
	}
	u, err := neturl.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.User = neturl.User(role)
	q := u.Query()
	q.Set("search_path", "app")
	u.RawQuery = q.Encode()
	e := enginetest.Open(t, enginetest.At(u.String()))
	if _, err := e.Seed(ctx, enginetest.Fixtures(t, e.Config()), false); err != nil {
		t.Fatal(err)
	}
	if s := e.SuggestedSearchIndexes(); len(s) != 0 {
		t.Errorf("suggested without the extension: %+v", s)
	}
	chk, err := e.CheckDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if w := strings.Join(chk.Warnings, "\n"); !strings.Contains(w, "searches and ~ filters scan their rows: the pg_trgm extension is not installed and this user may not create it") || !strings.Contains(w, "CREATE EXTENSION pg_trgm") {
		t.Errorf("check warnings:\n%s", w)
	}
	err = e.CreateIndexes(ctx, []engine.IndexSuggestion{{Table: "candidates", Name: "qbx_candidates_trgm", Search: true}}, nil)
	if err == nil || !strings.Contains(err.Error(), "search indexes use pg_trgm") {
		t.Errorf("asked for anyway: %v", err)
	}
	rows, err := ctListAll(t, e, enginetest.Member(t, e, "u-dana", ""), "candidates", engine.ListQuery{Search: "jane"})
	if err != nil || !slices.Contains(ctRowIDs(rows), "c-jane") {
		t.Errorf("search without the index: %v (%v)", ctRowIDs(rows), err)
	}
}
