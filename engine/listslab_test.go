package engine_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/enginetest"
)

// TestListPagesAcrossSlabs: List scans a page into slabs of values (a
// small one first, then the rest of the page); every row of a page of any
// size, on either side of a slab's end, is the row Get returns for its
// id, masked alike, and pages follow each other without a gap or repeat.
func TestListPagesAcrossSlabs(t *testing.T) {
	ctx := context.Background()
	e := enginetest.Seeded(t, enginetest.Fixed())
	dana := enginetest.Member(t, e, "u-dana", "")
	for i := 0; i < 70; i++ {
		data := map[string]any{"name": fmt.Sprintf("Slab %02d", i), "email": fmt.Sprintf("slab%02d@example.com", i), "source": "website"}
		if _, err := e.Create(ctx, dana, "candidates", data, engine.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	interviewer := enginetest.Member(t, e, "u-ivan", "")
	for _, who := range []engine.Identity{dana, interviewer} {
		var first []string
		for _, limit := range []int{1, 15, 16, 17, 40, 50, 51, 75, 1000} {
			var ids []string
			q := engine.ListQuery{Limit: limit}
			for {
				page, err := e.List(ctx, who, "candidates", q)
				if err != nil {
					t.Fatal(err)
				}
				if len(page.Rows) > limit {
					t.Fatalf("limit %d: a page of %d rows", limit, len(page.Rows))
				}
				for _, r := range page.Rows {
					got, err := e.Get(ctx, who, "candidates", r.ID())
					if err != nil {
						t.Fatal(err)
					}
					if !reflect.DeepEqual(r.Map(), got.Map()) || !reflect.DeepEqual(r.Masked, got.Masked) {
						t.Fatalf("%s, limit %d, row %s:\n list %v %v\n get  %v %v", who, limit, r.ID(), r.Map(), r.Masked, got.Map(), got.Masked)
					}
					ids = append(ids, r.ID())
				}
				if page.Next == "" {
					break
				}
				q.Cursor = page.Next
			}
			if first == nil {
				first = ids
				if len(first) < 70 {
					t.Fatalf("%s sees %d candidates, want at least the 70 created", who, len(first))
				}
			} else if !reflect.DeepEqual(ids, first) {
				t.Errorf("%s, limit %d: %d ids, not the %d of limit 1 in order", who, limit, len(ids), len(first))
			}
		}
	}
}
