package engine_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/fixtures"
	"quickback.dev/qb/internal/enginetest"
)

// fnStage is a stage a funnel must have: its name, and the WHERE clause
// (written by hand, independently of the engine) counting the rows left
// after it.
type fnStage struct {
	stage, where string
}

// fnCheck compares every stage's count with its hand-written SQL, and the
// last stage with the rows List really pages through.
func fnCheck(t *testing.T, e *engine.Engine, db *sql.DB, id engine.Identity, table string, q engine.ListQuery, want []fnStage) *engine.Funnel {
	t.Helper()
	ctx := context.Background()
	f, err := e.Funnel(ctx, id, table, q)
	if err != nil {
		t.Fatalf("Funnel: %v", err)
	}
	var got, wantStages []string
	for _, s := range f.Stages {
		got = append(got, s.Stage)
	}
	for _, s := range want {
		wantStages = append(wantStages, s.stage)
	}
	if !reflect.DeepEqual(got, wantStages) {
		t.Fatalf("stages %v, want %v", got, wantStages)
	}
	for i, s := range want {
		var n int64
		if err := db.QueryRow(fmt.Sprintf("SELECT count(*) FROM %s WHERE %s", table, s.where)).Scan(&n); err != nil {
			t.Fatalf("%s: %v", s.where, err)
		}
		if f.Stages[i].Rows != n {
			t.Errorf("stage %s (%s): %d rows, independent SQL counts %d (%s)", s.stage, f.Stages[i].Label, f.Stages[i].Rows, n, s.where)
		}
	}
	listed := 0
	q.Limit = engine.MaxLimit
	for {
		p, err := e.List(ctx, id, table, q)
		if err != nil {
			t.Fatal(err)
		}
		listed += len(p.Rows)
		if p.Next == "" {
			break
		}
		q.Cursor = p.Next
	}
	if f.Rows() != int64(listed) {
		t.Errorf("the funnel ends with %d rows, List pages through %d", f.Rows(), listed)
	}
	return f
}

// TestFunnelCountsOnTheDefaultProject: for each identity, table and query,
// every stage's count equals a count written by hand in SQL, and the last
// equals what List returns.
func TestFunnelCountsOnTheDefaultProject(t *testing.T) {
	type tc struct {
		name, variant, user, org, table string
		q                               engine.ListQuery
		want                            []fnStage
		labels                          []string
	}
	acme := "organization_id = 'acme'"
	live := acme + " AND deleted_at IS NULL"
	cases := []tc{
		{name: "strict owner, none of their own", user: "u-ben", table: "interview_notes",
			want:   []fnStage{{"table", "1"}, {"organization", acme}, {"live", live}, {"owner", live + " AND owner_id = 'u-ben'"}},
			labels: []string{"in interview_notes", "in acme", "not deleted", "pass owner scope (strict, ownerId = u-ben)"}},
		{name: "strict owner, own notes", user: "u-ivan", table: "interview_notes",
			want: []fnStage{{"table", "1"}, {"organization", acme}, {"live", live}, {"owner", live + " AND owner_id = 'u-ivan'"}}},
		{name: "optional owner, bypassed", variant: "notesOptional", user: "u-dana", table: "interview_notes",
			want:   []fnStage{{"table", "1"}, {"organization", acme}, {"live", live}, {"owner", live}},
			labels: []string{"in interview_notes", "in acme", "not deleted", "bypass owner scope (optional; role hiring-manager bypasses)"}},
		{name: "optional owner, not bypassed", variant: "notesOptional", user: "u-priya", table: "interview_notes",
			want: []fnStage{{"table", "1"}, {"organization", acme}, {"live", live}, {"owner", live + " AND owner_id = 'u-priya'"}}},
		{name: "filters and search", user: "u-ivan", table: "candidates",
			q:    engine.ListQuery{Filters: []engine.Filter{{Column: "source", Op: "in", Value: "linkedin,referral"}}, Search: "a"},
			want: []fnStage{{"table", "1"}, {"organization", acme}, {"live", live}, {"query", live + " AND source IN ('linkedin','referral') AND (lower(name) LIKE '%a%' OR lower(source) LIKE '%a%')"}}},
		{name: "a filter that matches nothing", user: "u-dana", table: "applications",
			q:      engine.ListQuery{Filters: []engine.Filter{{Column: "stage", Op: "=", Value: "hired"}, {Column: "notes", Op: "~", Value: "zzz"}}},
			want:   []fnStage{{"table", "1"}, {"organization", acme}, {"live", live}, {"query", live + " AND stage = 'hired' AND notes LIKE '%zzz%'"}},
			labels: []string{"in applications", "in acme", "not deleted", "match stage=hired, notes~zzz"}},
		{name: "record condition", variant: "candidatesOrList", user: "u-rachel", table: "candidates",
			want: []fnStage{{"table", "1"}, {"organization", acme}, {"live", live}, {"condition", live + " AND created_by = 'u-rachel'"}}},
		{name: "record condition and a filter", variant: "candidatesOrList", user: "u-rachel", table: "candidates",
			q:    engine.ListQuery{Filters: []engine.Filter{{Column: "source", Op: "!=", Value: "agency"}}},
			want: []fnStage{{"table", "1"}, {"organization", acme}, {"live", live}, {"condition", live + " AND created_by = 'u-rachel'"}, {"query", live + " AND created_by = 'u-rachel' AND source IS NOT 'agency'"}}},
		{name: "another organization", user: "u-marco", org: "globex", table: "applications",
			want: []fnStage{{"table", "1"}, {"organization", "organization_id = 'globex'"}, {"live", "organization_id = 'globex' AND deleted_at IS NULL"}}},
		{name: "anonymous, PUBLIC", variant: "public", user: "anonymous", org: "acme", table: "jobs",
			want: []fnStage{{"table", "1"}, {"organization", acme}, {"live", live}}},
	}
	seen := map[string]bool{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var opts []enginetest.Option
			if c.variant != "" {
				opts = append(opts, ctVariant(t, c.variant))
			}
			e := enginetest.Seeded(t, opts...)
			db := enginetest.DB(t, e)
			id := enginetest.Member(t, e, c.user, c.org)
			f := fnCheck(t, e, db, id, c.table, c.q, c.want)
			if c.labels != nil {
				var got []string
				for _, s := range f.Stages {
					got = append(got, s.Label)
				}
				if !reflect.DeepEqual(got, c.labels) {
					t.Errorf("labels %q, want %q", got, c.labels)
				}
			}
			// The stages must tell something apart: record which
			// narrowed the rows somewhere in the table.
			for i := 1; i < len(f.Stages); i++ {
				if f.Stages[i].Rows < f.Stages[i-1].Rows {
					seen[f.Stages[i].Stage] = true
				}
			}
		})
	}
	for _, s := range []string{"organization", "live", "owner", "condition", "query"} {
		if !seen[s] {
			t.Errorf("no case has the %s stage narrow the rows: the fixtures no longer test it", s)
		}
	}
}

// TestFunnelRefusesAsListDoes: a role that may not list, a masked column
// in a filter and an identity without an organization are refused as
// List refuses them, and each attempt is audited once.
func TestFunnelRefusesAsListDoes(t *testing.T) {
	e := enginetest.Seeded(t)
	ctx := context.Background()
	ivan := enginetest.Member(t, e, "u-ivan", "")
	noOrg, err := e.ResolveIdentity(ctx, "anonymous", "", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		id    engine.Identity
		table string
		q     engine.ListQuery
		code  engine.Code
	}{
		{ivan, "ats_imports", engine.ListQuery{}, engine.AccessRoleRequired},
		{ivan, "candidates", engine.ListQuery{Filters: []engine.Filter{{Column: "email", Op: "~", Value: "@"}}}, engine.QueryColumnMasked},
		{ivan, "candidates", engine.ListQuery{Filters: []engine.Filter{{Column: "salary", Op: "=", Value: "1"}}}, engine.ValidationFailed},
		{ivan, "interview_scores", engine.ListQuery{}, engine.InternalTable},
		{noOrg, "jobs", engine.ListQuery{}, engine.AccessRoleRequired},
	} {
		_, listErr := e.List(ctx, c.id, c.table, c.q)
		before, _ := e.AuditEntries(ctx, engine.AuditFilter{})
		_, err := e.Funnel(ctx, c.id, c.table, c.q)
		if got := ctErrCode(t, err); got != c.code || got != ctErrCode(t, listErr) {
			t.Errorf("%s %v: Funnel refuses with %q, List with %v; want %s", c.table, c.q, got, listErr, c.code)
		}
		after, _ := e.AuditEntries(ctx, engine.AuditFilter{})
		if len(after) != len(before)+1 || after[len(after)-1].Operation != "funnel" || after[len(after)-1].Outcome != string(c.code) {
			t.Errorf("%s: the refused funnel is not audited once as a funnel", c.table)
		}
	}
	noOrgVariant := enginetest.Seeded(t, ctVariant(t, "public"))
	_, err = noOrgVariant.Funnel(ctx, noOrg, "jobs", engine.ListQuery{})
	if ctErrCode(t, err) != engine.OrgRequired {
		t.Errorf("PUBLIC list without an organization: %v, want ORG_REQUIRED", err)
	}
}

// TestFunnelIsCancellable: a cancelled context stops the counting with the
// context's error.
func TestFunnelIsCancellable(t *testing.T) {
	e := enginetest.Seeded(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := e.Funnel(ctx, enginetest.Member(t, e, "u-dana", ""), "candidates", engine.ListQuery{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Funnel on a cancelled context: %v", err)
	}
}

// fnAssertPlans checks that every count but the whole table's reads an
// index of the firewall (a SEARCH with the organization's equality), never
// a scan of the table.
func fnAssertPlans(t *testing.T, e *engine.Engine, id engine.Identity, table string, q engine.ListQuery) {
	t.Helper()
	stages, stmts, args, err := engine.FunnelSQL(e, id, table, q)
	if err != nil {
		t.Fatal(err)
	}
	scan := regexp.MustCompile(`(?m)^SCAN ` + table + `$`)
	for i, stmt := range stmts {
		var plan []string
		for _, r := range enginetest.Rows(t, engine.RawDB(e), "EXPLAIN QUERY PLAN "+stmt, args[i]...) {
			plan = append(plan, fmt.Sprint(r[3]))
		}
		joined := strings.Join(plan, "\n")
		if scan.MatchString(joined) {
			t.Errorf("stage %s scans %s:\n%s\n%s", stages[i], table, stmt, joined)
		}
		if stages[i] != engine.StageTable && !strings.Contains(joined, "SEARCH "+table+" USING") {
			t.Errorf("stage %s does not search an index:\n%s\n%s", stages[i], stmt, joined)
		}
		if stages[i] == engine.StageOwner && !strings.Contains(joined, "owner_id=?") {
			t.Errorf("stage owner does not search the owner index:\n%s\n%s", stmt, joined)
		}
	}
}

func TestFunnelPlansUseIndexes(t *testing.T) {
	e := enginetest.Seeded(t)
	fnAssertPlans(t, e, enginetest.Member(t, e, "u-ivan", ""), "interview_notes", engine.ListQuery{})
	fnAssertPlans(t, e, enginetest.Member(t, e, "u-ivan", ""), "candidates", engine.ListQuery{Filters: []engine.Filter{{Column: "source", Op: "=", Value: "linkedin"}}})
	fnAssertPlans(t, e, enginetest.Member(t, e, "u-dana", ""), "applications", engine.ListQuery{Search: "x"})
}

// TestFunnelCountsAt200k: the same comparison with hand-written SQL on a
// generated database of 200,000 interview notes over 40 organizations, a
// seventh of them soft-deleted, the plans read indexes, and the size
// estimate says whether the table is large.
func TestFunnelCountsAt200k(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 200,000 rows (about 10 s)")
	}
	ctx := context.Background()
	e := enginetest.Open(t)
	for _, g := range []struct {
		table string
		rows  int
	}{{"candidates", 20_000}, {"interview_notes", 200_000}} {
		if _, err := fixtures.Generate(ctx, e, g.table, fixtures.GenerateOptions{Rows: g.rows, Orgs: 40, Seed: 7}); err != nil {
			t.Fatalf("generate %s: %v", g.table, err)
		}
	}
	db := enginetest.DB(t, e)
	if _, err := db.Exec("UPDATE interview_notes SET deleted_at = '2026-01-01T00:00:00.000Z', deleted_by = owner_id WHERE rowid % 7 = 0"); err != nil {
		t.Fatal(err)
	}
	const org = "gen-org-003"
	iv := enginetest.Member(t, e, org+"-u01", org)
	if iv.Role != "interviewer" {
		t.Fatalf("generated roles changed: %s", iv)
	}
	in := "organization_id = '" + org + "'"
	live := in + " AND deleted_at IS NULL"
	start := time.Now()
	f := fnCheck(t, e, db, iv, "interview_notes", engine.ListQuery{Filters: []engine.Filter{{Column: "rating", Op: ">=", Value: "4"}}}, []fnStage{
		{"table", "1"}, {"organization", in}, {"live", live},
		{"owner", live + " AND owner_id = '" + iv.UserID + "'"},
		{"query", live + " AND owner_id = '" + iv.UserID + "' AND rating >= 4"},
	})
	t.Logf("funnel and its check at 200k: %v; stages %+v", time.Since(start), f.Stages)
	if f.Stages[0].Rows != 200_000 || f.Large {
		t.Errorf("table stage %d rows, large %v", f.Stages[0].Rows, f.Large)
	}
	if n, err := e.RowEstimate(ctx, "interview_notes"); err != nil || n < 200_000 || n > 200_000+1000 {
		t.Errorf("RowEstimate %d, %v", n, err)
	}
	fnAssertPlans(t, e, iv, "interview_notes", engine.ListQuery{Filters: []engine.Filter{{Column: "rating", Op: ">=", Value: "4"}}})
}
