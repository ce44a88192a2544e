package engine_test

// Query-plan guards for the scale benchmarks (issue 7), on a small database
// generated with fixtures.Generate (the benchmarks' data shape: many
// organizations, generated users, no ANALYZE statistics — and again after
// ANALYZE, which a user may run). plan_test.go covers the seeded fixtures;
// these cover the statements BenchmarkList times: first and cursor pages,
// filtered and search pages, candidates as an interviewer and a hiring
// manager, interview_notes (strict owner) as both.

import (
	"context"
	"strings"
	"testing"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/fixtures"
	"quickback.dev/qb/internal/enginetest"
)

func scaleEngine(t *testing.T) *engine.Engine {
	t.Helper()
	e := enginetest.Open(t)
	for _, g := range []struct {
		table string
		rows  int
	}{{"candidates", 3000}, {"interview_notes", 3000}} {
		if _, err := fixtures.Generate(context.Background(), e, g.table, fixtures.GenerateOptions{Rows: g.rows, Orgs: 5, Seed: 1}); err != nil {
			t.Fatalf("generate %s: %v", g.table, err)
		}
	}
	return e
}

func TestScaleListPlansUseIndexes(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 6,000 rows")
	}
	t.Parallel() // with the other slow tests, after the package's quick ones
	e := scaleEngine(t)
	ctx := context.Background()
	const org = "gen-org-001"
	iv := enginetest.Member(t, e, org+"-u01", org)
	hm := enginetest.Member(t, e, org+"-u15", org)
	if iv.Role != "interviewer" || hm.Role != "hiring-manager" {
		t.Fatalf("generated roles changed: %s, %s", iv, hm)
	}
	cases := []struct {
		name  string
		id    engine.Identity
		table string
		q     engine.ListQuery
		index string
		eq    []string
	}{
		{"candidates/interviewer", iv, "candidates", engine.ListQuery{}, "qbx_candidates_scope", []string{"organization_id=?"}},
		{"candidates/hiring-manager", hm, "candidates", engine.ListQuery{}, "qbx_candidates_scope", []string{"organization_id=?"}},
		{"candidates/interviewer/filter", iv, "candidates", engine.ListQuery{Filters: []engine.Filter{{Column: "source", Op: "=", Value: "linkedin"}}}, "qbx_candidates_scope", []string{"organization_id=?"}},
		{"candidates/interviewer/search", iv, "candidates", engine.ListQuery{Search: "garcia"}, "qbx_candidates_scope", []string{"organization_id=?"}},
		{"candidates/hiring-manager/search", hm, "candidates", engine.ListQuery{Search: "garcia"}, "qbx_candidates_scope", []string{"organization_id=?"}},
		{"interview_notes/interviewer", iv, "interview_notes", engine.ListQuery{}, "qbx_interview_notes_owner", []string{"organization_id=?", "owner_id=?"}},
		{"interview_notes/hiring-manager", hm, "interview_notes", engine.ListQuery{}, "qbx_interview_notes_owner", []string{"organization_id=?", "owner_id=?"}},
		{"interview_notes/interviewer/filter", iv, "interview_notes", engine.ListQuery{Filters: []engine.Filter{{Column: "rating", Op: "=", Value: "5"}}}, "qbx_interview_notes_owner", []string{"organization_id=?", "owner_id=?"}},
	}
	check := func(t *testing.T) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				if c.q.Search != "" {
					// The scan a search falls back to when its needle is
					// common (TestScaleSearchIndexPlans: the index's).
					engine.SetSearchVia(e, -1)
					defer engine.SetSearchVia(e, 0)
				}
				q := c.q
				q.Limit = 5
				query, plan := ctQueryPlan(t, e, c.id, c.table, q)
				ctAssertIndexed(t, query, plan, c.table, c.index, c.eq)
				p, err := e.List(ctx, c.id, c.table, q)
				if err != nil {
					t.Fatal(err)
				}
				if p.Next == "" {
					t.Fatalf("the generated data gives a single page; the cursor plan is untested")
				}
				q.Cursor = p.Next
				query, plan = ctQueryPlan(t, e, c.id, c.table, q)
				ctAssertIndexed(t, query, plan, c.table, c.index, append(append([]string{}, c.eq...), "(created_at,id)<(?,?)"))
			})
		}
	}
	t.Run("no-stats", check)
	if _, err := engine.RawDB(e).Exec("ANALYZE"); err != nil {
		t.Fatal(err)
	}
	t.Run("analyzed", check)
}

// TestScaleSearchIndexPlans: on the benchmarks' data shape, a selective
// search (a name that ≈ 1 row in 400 holds) reads through the search index
// — the rows it names, each by rowid, sorted — with the firewall in the
// statement, on the first page and after a cursor, before and after
// ANALYZE.
func TestScaleSearchIndexPlans(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 6,000 rows")
	}
	t.Parallel()
	e := scaleEngine(t)
	const org = "gen-org-001"
	hm := enginetest.Member(t, e, org+"-u15", org)
	check := func(t *testing.T) {
		q := engine.ListQuery{Search: "garcia", Limit: 2}
		for page := 0; page < 2; page++ {
			query, plan := ctQueryPlan(t, e, hm, "candidates", q)
			p := strings.Join(plan, "\n")
			if !strings.Contains(query, "FROM (SELECT value AS qb_r FROM json_each(?)) CROSS JOIN") || !strings.Contains(p, "SEARCH candidates USING INTEGER PRIMARY KEY (rowid=?)") || strings.Contains(p, "SCAN candidates") {
				t.Errorf("page %d does not read through the search index:\n%s\n%s", page, query, p)
			}
			if !strings.Contains(query, `"organization_id" = ?`) {
				t.Errorf("page %d: no firewall: %s", page, query)
			}
			l, err := e.List(context.Background(), hm, "candidates", q)
			if err != nil || l.Next == "" {
				t.Fatalf("page %d: %v, next %q", page, err, l.Next)
			}
			q.Cursor = l.Next
		}
	}
	t.Run("no-stats", check)
	if _, err := engine.RawDB(e).Exec("ANALYZE"); err != nil {
		t.Fatal(err)
	}
	t.Run("analyzed", check)
}
