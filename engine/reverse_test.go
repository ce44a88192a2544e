package engine_test

import (
	"context"
	"slices"
	"testing"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/enginetest"
	"quickback.dev/qb/schema"
)

// TestListReverse: a reversed list, paged to its end, is the forward list
// backwards — for the default sort, ascending and descending sorts on
// columns with NULLs and ties, an enum sorted by rank, with a filter — and
// its cursors are refused by the forward query (and the other way round).
func TestListReverse(t *testing.T) {
	ctx := context.Background()
	e := enginetest.Seeded(t, enginetest.Fixed())
	dana := enginetest.Member(t, e, "u-dana", "")
	all := func(table string, q engine.ListQuery) []string {
		t.Helper()
		var ids []string
		q.Limit = 3
		for {
			page, err := e.List(ctx, dana, table, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range page.Rows {
				ids = append(ids, r.ID())
			}
			if page.Next == "" {
				return ids
			}
			q.Cursor = page.Next
		}
	}
	cases := []struct {
		name, table string
		q           engine.ListQuery
	}{
		{"default sort", "applications", engine.ListQuery{}},
		{"nullable ascending", "applications", engine.ListQuery{Sort: []schema.SortKey{{Column: "notes"}}}},
		{"nullable descending", "applications", engine.ListQuery{Sort: []schema.SortKey{{Column: "modifiedAt", Desc: true}}}},
		{"enum by rank", "applications", engine.ListQuery{Sort: []schema.SortKey{{Column: "stage"}}}},
		{"ties then a second key", "applications", engine.ListQuery{Sort: []schema.SortKey{{Column: "candidateId"}, {Column: "jobId", Desc: true}}}},
		{"filtered", "candidates", engine.ListQuery{Filters: []engine.Filter{{Column: "source", Op: "!=", Value: "linkedin"}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fwd := all(c.table, c.q)
			rq := c.q
			rq.Reverse = true
			rev := all(c.table, rq)
			if len(fwd) < 4 {
				t.Fatalf("only %d rows: the test needs several pages", len(fwd))
			}
			slices.Reverse(rev)
			if !slices.Equal(fwd, rev) {
				t.Fatalf("reversed, backwards:\n%v\nforward:\n%v", rev, fwd)
			}
		})
	}
	q := engine.ListQuery{Limit: 2}
	page, err := e.List(ctx, dana, "applications", q)
	if err != nil {
		t.Fatal(err)
	}
	q.Reverse, q.Cursor = true, page.Next
	if _, err := e.List(ctx, dana, "applications", q); ctErrCode(t, err) != engine.ValidationFailed {
		t.Errorf("a forward cursor in a reversed query: %v", err)
	}
}
