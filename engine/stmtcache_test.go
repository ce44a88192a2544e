package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/enginetest"
	"quickback.dev/qb/schema"
)

// TestStmtCache runs the same reads and writes on two copies of the seeded
// database, one through a statement cache capped at 4 (so statements are
// evicted, some while in use by another goroutine counting rows) and one with no cache:
// the results, the refusals, the data and the audit log's shape must be
// identical, and the cache must stay within its cap.
func TestStmtCache(t *testing.T) {
	ctx := context.Background()
	const capN = 4
	pinned := func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }
	run := func(e *engine.Engine, check func()) []string {
		var out []string
		rec := func(label string, v any, err error) {
			if err != nil {
				ee, ok := engine.AsError(err)
				if !ok {
					t.Fatalf("%s: not an engine error: %v", label, err)
				}
				out = append(out, label+" -> "+string(ee.Code))
			} else {
				b, _ := json.Marshal(v)
				out = append(out, label+" -> "+string(b))
			}
			check()
		}
		ids := map[string]engine.Identity{}
		for _, u := range []string{"u-ivan", "u-rachel", "u-dana"} {
			ids[u] = enginetest.Member(t, e, u, "acme")
		}
		queries := []engine.ListQuery{
			{Limit: 2}, {Limit: 3}, {},
			{Limit: 2, Sort: []schema.SortKey{{Column: "name"}}},
			{Limit: 2, Sort: []schema.SortKey{{Column: "createdAt", Desc: true}}},
			{Filters: []engine.Filter{{Column: "source", Op: "=", Value: "referral"}}},
			{Filters: []engine.Filter{{Column: "email", Op: "~", Value: "example"}}},
			{Search: "a", Limit: 2},
		}
		for _, u := range []string{"u-ivan", "u-rachel", "u-dana"} {
			id := ids[u]
			for _, table := range []string{"candidates", "interview_notes", "applications", "ats_imports"} {
				for qi, q := range queries {
					for page := 0; page < 20; page++ {
						p, err := e.List(ctx, id, table, q)
						var rows []engine.Row
						if p != nil {
							rows = p.Rows
						}
						rec(fmt.Sprintf("%s list %s q%d p%d", u, table, qi, page), rows, err)
						if err != nil || p.Next == "" {
							break
						}
						q.Cursor = p.Next
					}
				}
			}
			for _, rid := range []string{"c-jane", "c-tomas", "c-gx-john", "c-zoe", "nope"} {
				r, err := e.Get(ctx, id, "candidates", rid)
				rec(u+" get "+rid, r, err)
			}
			r, err := e.Update(ctx, id, "candidates", "c-tomas", map[string]any{"source": "website-" + u}, engine.WriteOptions{})
			rec(u+" update c-tomas", r, err)
			r, err = e.Update(ctx, id, "candidates", "c-gx-john", map[string]any{"source": "x"}, engine.WriteOptions{})
			rec(u+" update c-gx-john", r, err)
		}
		return out
	}

	cached := enginetest.Seeded(t, enginetest.Options(engine.Options{Clock: pinned}))
	engine.SetStmtCacheMax(cached, capN)
	var maxSeen int
	// Another goroutine keeps using (and evicting) statements meanwhile.
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		id := enginetest.Member(t, cached, "u-dana", "acme")
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			// Count reads through the cache without appending to the
			// audit log (a tight loop of audited reads would starve the
			// writes below of SQLite's write lock); the growing IN list
			// gives 7 statement texts, so statements are evicted.
			vals := strings.Repeat("referral,", i%7) + "website"
			if _, err := cached.Count(ctx, id, "candidates", engine.ListQuery{Filters: []engine.Filter{{Column: "source", Op: "in", Value: vals}}}); err != nil {
				t.Errorf("count: %v", err)
				return
			}
		}
	}()
	got := run(cached, func() {
		n := engine.StmtCacheLen(cached)
		if n > capN {
			t.Fatalf("statement cache holds %d statements, cap %d", n, capN)
		}
		maxSeen = max(maxSeen, n)
	})
	close(stop)
	<-done
	if maxSeen == 0 {
		t.Fatal("the statement cache was never used")
	}

	plain := enginetest.Seeded(t, enginetest.Options(engine.Options{Clock: pinned}))
	engine.SetStmtCacheMax(plain, -1)
	want := run(plain, func() {
		if n := engine.StmtCacheLen(plain); n != 0 {
			t.Fatalf("closed cache holds %d statements", n)
		}
	})
	var withRows, refused int
	for _, r := range got {
		switch {
		case strings.Contains(r, "-> [{") || strings.Contains(r, "-> {"):
			withRows++
		case !strings.Contains(r, "-> null"):
			refused++
		}
	}
	if withRows < 50 || refused < 5 {
		t.Fatalf("too few results to compare: %d with rows, %d refusals of %d", withRows, refused, len(got))
	}
	if len(got) != len(want) {
		t.Fatalf("%d results with the cache, %d without", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("result %d differs\n cached: %s\n  plain: %s", i, got[i], want[i])
		}
	}
	if a, b := enginetest.Dump(t, engine.RawDB(cached), "qb_audit"), enginetest.Dump(t, engine.RawDB(plain), "qb_audit"); a != b {
		t.Fatal("the databases differ after the same operations")
	}
	for _, e := range []*engine.Engine{cached, plain} {
		res, err := e.VerifyAudit(ctx, "")
		if err != nil || !res.OK {
			t.Fatalf("audit: %+v %v", res, err)
		}
	}

	// A reloaded engine shares the cache; closing either closes it.
	re, err := cached.Reload(ctx, cached.Config())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := re.Get(ctx, enginetest.Member(t, re, "u-dana", "acme"), "candidates", "c-jane"); err != nil {
		t.Fatal(err)
	}
	if engine.StmtCacheLen(re) != engine.StmtCacheLen(cached) || engine.StmtCacheLen(re) == 0 {
		t.Fatalf("reloaded engine does not share the cache: %d vs %d", engine.StmtCacheLen(re), engine.StmtCacheLen(cached))
	}
	if err := re.Close(); err != nil {
		t.Fatal(err)
	}
	if n := engine.StmtCacheLen(cached); n != 0 {
		t.Fatalf("%d statements left cached after Close", n)
	}
}
