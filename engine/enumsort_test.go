package engine_test

import (
	"context"
	"encoding/base64"
	"reflect"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/enginetest"
	"quickback.dev/qb/schema"
)

// candidates.source in declared order (quickback.toml), not alphabetical.
var sourceOrder = []string{"referral", "linkedin", "website", "agency", "ats"}

// sourceRank is where a source sorts: NULL first, the declared values in
// their order, then a value the config does not declare.
func sourceRank(v any) int {
	if v == nil {
		return -1
	}
	if i := slices.Index(sourceOrder, v.(string)); i >= 0 {
		return i
	}
	return len(sourceOrder)
}

// TestPropertyEnumSortKeyset: sorting by an enum column follows its
// declared values in either direction, and paging through the result with
// keyset cursors of any page size yields exactly the rows of one big page,
// in the same order — with NULLs, ties, values the config does not declare
// (written behind the engine's back) and a second sort key.
func TestPropertyEnumSortKeyset(t *testing.T) {
	ctx := context.Background()
	rapid.Check(t, func(rt *rapid.T) {
		e := enginetest.Open(rt)
		g := ctDrawData(rt)
		if _, err := e.Seed(ctx, g.seed, false); err != nil {
			rt.Fatalf("seed: %v", err)
		}
		// A database qb did not create may hold values the config does
		// not declare (qb's own tables refuse them with a CHECK).
		conn, err := engine.RawDB(e).Conn(ctx)
		if err != nil {
			rt.Fatal(err)
		}
		if _, err := conn.ExecContext(ctx, "PRAGMA ignore_check_constraints = 1"); err != nil {
			rt.Fatal(err)
		}
		for _, id := range g.candidates {
			if rapid.IntRange(0, 5).Draw(rt, "undeclared") == 0 {
				if _, err := conn.ExecContext(ctx, `UPDATE candidates SET source = ? WHERE id = ?`, rapid.SampledFrom([]string{"aaa", "zzz"}).Draw(rt, "value"), id); err != nil {
					rt.Fatal(err)
				}
			}
		}
		if _, err := conn.ExecContext(ctx, "PRAGMA ignore_check_constraints = 0"); err != nil {
			rt.Fatal(err)
		}
		conn.Close()
		id := engine.Identity{UserID: "u-1", OrgID: "acme", Role: "owner", UserRole: "user"}
		desc := rapid.Bool().Draw(rt, "desc")
		q := engine.ListQuery{Sort: []schema.SortKey{{Column: "source", Desc: desc}}}
		if second := rapid.SampledFrom([]string{"", "name", "createdAt", "createdBy"}).Draw(rt, "second"); second != "" {
			q.Sort = append(q.Sort, schema.SortKey{Column: second, Desc: rapid.Bool().Draw(rt, "desc2")})
		}
		whole := q
		whole.Limit = engine.MaxLimit
		want, err := e.List(ctx, id, "candidates", whole)
		if err != nil {
			rt.Fatal(err)
		}
		for i := 1; i < len(want.Rows); i++ {
			a, b := sourceRank(want.Rows[i-1].Get("source")), sourceRank(want.Rows[i].Get("source"))
			if !desc && a > b || desc && a < b {
				rt.Fatalf("sort %v: %v before %v", q.Sort, want.Rows[i-1].Get("source"), want.Rows[i].Get("source"))
			}
		}
		q.Limit = rapid.IntRange(1, 4).Draw(rt, "limit")
		got, err := ctListAll(rt, e, id, "candidates", q)
		if err != nil {
			rt.Fatal(err)
		}
		ids := func(rows []engine.Row) []string {
			var out []string
			for _, r := range rows {
				out = append(out, r.ID())
			}
			return out
		}
		if !reflect.DeepEqual(ids(got), ids(want.Rows)) {
			rt.Fatalf("sort %v, pages of %d:\n  paged %v\n  whole %v", q.Sort, q.Limit, ids(got), ids(want.Rows))
		}
	})
}

// The declared order on a required enum of the default project, and a
// cursor that holds a value instead of a rank (as cursors did before enums
// sorted by rank) is refused rather than compared with ranks.
func TestEnumSortDeclaredOrder(t *testing.T) {
	ctx := context.Background()
	e := enginetest.Seeded(t)
	dana := enginetest.Member(t, e, "u-dana", "")
	for _, desc := range []bool{false, true} {
		var stages []string
		q := engine.ListQuery{Sort: []schema.SortKey{{Column: "stage", Desc: desc}}, Limit: 3}
		rows, err := ctListAll(t, e, dana, "applications", q)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if s := r.Get("stage").(string); len(stages) == 0 || stages[len(stages)-1] != s {
				stages = append(stages, s)
			}
		}
		want := []string{"applied", "screening", "interview", "offer", "hired", "rejected"}
		if desc {
			slices.Reverse(want)
		}
		// Every stage the seed holds, each once, in declared order.
		var seen []string
		for _, s := range want {
			if slices.Contains(stages, s) {
				seen = append(seen, s)
			}
		}
		if !reflect.DeepEqual(stages, seen) || len(stages) < 4 {
			t.Errorf("desc %v: stages in list order %v, want the declared order %v", desc, stages, seen)
		}
	}
	page, err := e.List(ctx, dana, "applications", engine.ListQuery{Sort: []schema.SortKey{{Column: "stage"}}, Limit: 2})
	if err != nil || page.Next == "" {
		t.Fatalf("first page: %v", err)
	}
	sql, args, err := e.ListSQL(dana, "applications", engine.ListQuery{Sort: []schema.SortKey{{Column: "stage"}}, Cursor: page.Next})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sql, "WHEN \"stage\" = 'applied' THEN 0") || !strings.Contains(sql, "ORDER BY (CASE") {
		t.Errorf("statement does not order by rank: %s", sql)
	}
	for _, a := range args {
		if a == "applied" || a == "interview" {
			t.Errorf("cursor bound a stage value %v, not its rank (args %v)", a, args)
		}
	}
	old := oldStyleCursor(t, page.Next)
	if _, err := e.List(ctx, dana, "applications", engine.ListQuery{Sort: []schema.SortKey{{Column: "stage"}}, Cursor: old}); ctErrCode(t, err) != engine.ValidationFailed {
		t.Errorf("a cursor without the rank marker: %v, want VALIDATION_FAILED", err)
	}
}

// oldStyleCursor is c with the "#rank" marker taken out of its signature.
func oldStyleCursor(t *testing.T, c string) string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		t.Fatal(err)
	}
	body := string(raw)
	if !strings.Contains(body, "#rank") {
		t.Fatalf("cursor %s does not mark its rank key", body)
	}
	return base64.RawURLEncoding.EncodeToString([]byte(strings.ReplaceAll(body, "#rank", "")))
}
