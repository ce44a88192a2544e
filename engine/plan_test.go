package engine_test

import (
	"context"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/enginetest"
	"quickback.dev/qb/schema"
)

// ctQueryPlan runs EXPLAIN QUERY PLAN on the statement List would run and
// returns the plan's detail lines.
func ctQueryPlan(t *testing.T, e *engine.Engine, id engine.Identity, table string, q engine.ListQuery) (string, []string) {
	t.Helper()
	query, args, err := e.ListSQL(id, table, q)
	if err != nil {
		t.Fatalf("ListSQL: %v", err)
	}
	rows, err := engine.RawDB(e).Query("EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatalf("explain %s: %v", query, err)
	}
	defer rows.Close()
	var details []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		details = append(details, detail)
	}
	return query, details
}

// ctAssertIndexed checks that the plan reads table through index (a SEARCH
// with the firewall's equality constraints, plus extra when given), never
// scans the table, and needs no temporary B-tree to sort.
func ctAssertIndexed(t *testing.T, query string, plan []string, table, index string, eq []string) {
	t.Helper()
	joined := strings.Join(plan, "\n")
	scan := regexp.MustCompile(`(?m)^SCAN ` + table + `$`)
	if scan.MatchString(joined) {
		t.Errorf("full table scan of %s:\n%s\n%s", table, query, joined)
	}
	if strings.Contains(joined, "USE TEMP B-TREE") {
		t.Errorf("the default order is not served by the index (temp B-tree):\n%s\n%s", query, joined)
	}
	want := fmt.Sprintf("SEARCH %s USING INDEX %s (", table, index)
	var line string
	for _, d := range plan {
		if strings.HasPrefix(d, want) || strings.HasPrefix(d, strings.Replace(want, "USING INDEX", "USING COVERING INDEX", 1)) {
			line = d
		}
	}
	if line == "" {
		t.Fatalf("plan does not search %s through %s:\n%s\n%s", table, index, query, joined)
	}
	for _, c := range eq {
		if !strings.Contains(line, c) {
			t.Errorf("index search %q lacks constraint %q", line, c)
		}
	}
}

func TestPlanFirewallListUsesIndex(t *testing.T) {
	e := enginetest.Seeded(t)
	ivan := enginetest.Member(t, e, "u-ivan", "")
	q, plan := ctQueryPlan(t, e, ivan, "candidates", engine.ListQuery{})
	ctAssertIndexed(t, q, plan, "candidates", "qbx_candidates_scope", []string{"organization_id=?"})

	q, plan = ctQueryPlan(t, e, ivan, "interview_notes", engine.ListQuery{})
	ctAssertIndexed(t, q, plan, "interview_notes", "qbx_interview_notes_owner", []string{"organization_id=?", "owner_id=?"})

	q, plan = ctQueryPlan(t, e, enginetest.Member(t, e, "u-dana", ""), "applications", engine.ListQuery{Limit: 5})
	ctAssertIndexed(t, q, plan, "applications", "qbx_applications_scope", []string{"organization_id=?"})
}

// A deep page (after a cursor) seeks in the index instead of reading and
// skipping the rows before it.
func TestPlanDeepPageSeeks(t *testing.T) {
	e := enginetest.Seeded(t)
	ctx := context.Background()
	for _, tc := range []struct{ user, table, index string }{
		{"u-ivan", "candidates", "qbx_candidates_scope"},
		{"u-priya", "interview_notes", "qbx_interview_notes_owner"},
		{"u-hiro", "applications", "qbx_applications_scope"},
	} {
		t.Run(tc.table, func(t *testing.T) {
			id := enginetest.Member(t, e, tc.user, "")
			p, err := e.List(ctx, id, tc.table, engine.ListQuery{Limit: 2})
			if err != nil || p.Next == "" {
				t.Fatalf("first page: %v (next %q)", err, p.Next)
			}
			q, plan := ctQueryPlan(t, e, id, tc.table, engine.ListQuery{Limit: 2, Cursor: p.Next})
			ctAssertIndexed(t, q, plan, tc.table, tc.index, []string{"organization_id=?", "(created_at,id)<(?,?)"})
		})
	}
}

// Optional owner scope: a bypassing hiring manager reads the organization's
// scope index; a record-condition list (compiled into the WHERE) still
// reads through the firewall index.
func TestPlanVariantsUseIndex(t *testing.T) {
	e := enginetest.Seeded(t, ctVariant(t, "notesOptional"))
	q, plan := ctQueryPlan(t, e, enginetest.Member(t, e, "u-dana", ""), "interview_notes", engine.ListQuery{})
	ctAssertIndexed(t, q, plan, "interview_notes", "qbx_interview_notes_scope", []string{"organization_id=?"})
	q, plan = ctQueryPlan(t, e, enginetest.Member(t, e, "u-ivan", ""), "interview_notes", engine.ListQuery{})
	ctAssertIndexed(t, q, plan, "interview_notes", "qbx_interview_notes_owner", []string{"organization_id=?", "owner_id=?"})

	e = enginetest.Seeded(t, ctVariant(t, "candidatesOrList"))
	q, plan = ctQueryPlan(t, e, enginetest.Member(t, e, "u-rachel", ""), "candidates", engine.ListQuery{})
	ctAssertIndexed(t, q, plan, "candidates", "qbx_candidates_scope", []string{"organization_id=?"})
}

// ListSQL is the statement List runs: executed directly, it returns the
// rows of List's page (plus the one look-ahead row), firewall included.
func TestPlanListSQLIsTheRealStatement(t *testing.T) {
	e := enginetest.Seeded(t)
	ctx := context.Background()
	for _, tc := range []struct {
		user, table string
		q           engine.ListQuery
	}{
		{"u-ivan", "candidates", engine.ListQuery{Limit: 3}},
		{"u-ivan", "interview_notes", engine.ListQuery{Limit: 2}},
		{"u-dana", "applications", engine.ListQuery{Limit: 4, Sort: []schema.SortKey{{Column: "stage"}}, Filters: []engine.Filter{{Column: "notes", Op: "~", Value: "e"}}}},
	} {
		id := enginetest.Member(t, e, tc.user, "")
		q := tc.q
		for page := 0; page < 3; page++ {
			p, err := e.List(ctx, id, tc.table, q)
			if err != nil {
				t.Fatal(err)
			}
			query, args, err := e.ListSQL(id, tc.table, q)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, vals := range enginetest.Rows(t, engine.RawDB(e), query, args...) {
				ids = append(ids, fmt.Sprint(vals[0])) // id is the first column
			}
			want := make([]string, len(p.Rows))
			for i, r := range p.Rows {
				want[i] = r.ID()
			}
			if len(ids) < len(want) || !reflect.DeepEqual(ids[:len(want)], want) || (p.Next != "") != (len(ids) > len(want)) {
				t.Errorf("%s page %d: ListSQL gives %v, List %v (next %q)", tc.table, page, ids, want, p.Next)
			}
			if p.Next == "" {
				break
			}
			q.Cursor = p.Next
		}
	}
	// Refusals are the same as List's.
	if _, _, err := e.ListSQL(enginetest.Member(t, e, "u-ivan", ""), "ats_imports", engine.ListQuery{}); ctErrCode(t, err) != engine.AccessRoleRequired {
		t.Errorf("ListSQL as interviewer on ats_imports: %v", err)
	}
	if _, _, err := e.ListSQL(enginetest.Member(t, e, "u-ivan", ""), "candidates", engine.ListQuery{Sort: []schema.SortKey{{Column: "email"}}}); ctErrCode(t, err) != engine.QueryColumnMasked {
		t.Errorf("ListSQL sorting on a masked column: %v", err)
	}
}
