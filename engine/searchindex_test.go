package engine_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode"

	"pgregory.net/rapid"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/enginetest"
)

// searchAlphabet mixes ASCII of both cases with the characters whose case
// folding differs between SQLite's LIKE, Go's unicode.ToLower and FTS5's
// folding (İ and ı, the Kelvin sign, the long s, ß, final sigma), other
// scripts, an emoji, and what FTS5's query syntax or LIKE would treat
// specially if it were not quoted or escaped.
var searchAlphabet = []rune("aAbBcCiIkKsSeE İıKſßΣσςΩéÉ😀.@-_%\\\"'*:{}()^+")

// ctSearchIDs lists every row id of a search or ~ list, or the error code.
func ctSearchIDs(t *rapid.T, e *engine.Engine, id engine.Identity, q engine.ListQuery) string {
	rows, err := ctListAll(t, e, id, "candidates", q)
	if err != nil {
		return "error " + string(ctErrCode(t, err))
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID()
	}
	return strings.Join(ids, " ")
}

// TestSearchIndexSameRows: a list read through the search index gives
// exactly the rows of the same list without it (the contains tests alone),
// page by page, for search and for ~ on each column, as a caller who sees
// every column and as one for whom email is masked, over random rows and
// needles (substrings of the rows with their case changed, and random
// text), Unicode included — with rows inserted, changed and deleted behind
// the engine's back, so the triggers that keep the index in sync are part
// of the property. Where the needle gives the index something to look up,
// the list does read through it (so the comparison is not vacuous), and
// never over a column masked for the caller.
func TestSearchIndexSameRows(t *testing.T) {
	e := enginetest.Seeded(t)
	db := enginetest.DB(t, e)
	dana := enginetest.Member(t, e, "u-dana", "acme") // sees emails
	ivan := enginetest.Member(t, e, "u-ivan", "acme") // emails masked
	n := 0
	text := rapid.StringOfN(rapid.SampledFrom(searchAlphabet), 1, 12, -1)
	rapid.Check(t, func(rt *rapid.T) {
		var values []string
		for i := range rapid.IntRange(1, 12).Draw(rt, "rows") {
			n++
			name := text.Draw(rt, "name")
			email := text.Draw(rt, "email")
			values = append(values, name, email)
			org := rapid.SampledFrom([]string{"acme", "acme", "globex"}).Draw(rt, "org")
			var deleted any
			if rapid.IntRange(0, 5).Draw(rt, "deleted") == 0 {
				deleted = "2026-03-01T00:00:00.000Z"
			}
			if _, err := db.Exec(`INSERT INTO candidates (id, organization_id, name, email, created_at, deleted_at) VALUES (?, ?, ?, ?, ?, ?)`,
				fmt.Sprintf("c-r%05d", n), org, name, fmt.Sprintf("%s #%d", email, n), fmt.Sprintf("2026-02-%02dT00:00:00.000Z", 1+i%28), deleted); err != nil {
				rt.Fatal(err)
			}
		}
		switch rapid.IntRange(0, 2).Draw(rt, "change") {
		case 1:
			name := text.Draw(rt, "new name")
			values = append(values, name)
			if _, err := db.Exec(`UPDATE candidates SET name = ? WHERE id = ?`, name, fmt.Sprintf("c-r%05d", n)); err != nil {
				rt.Fatal(err)
			}
		case 2:
			if _, err := db.Exec(`DELETE FROM candidates WHERE id = ?`, fmt.Sprintf("c-r%05d", n)); err != nil {
				rt.Fatal(err)
			}
		}
		needle := text.Draw(rt, "random needle")
		if rapid.Bool().Draw(rt, "from a row") {
			v := []rune(rapid.SampledFrom(values).Draw(rt, "value"))
			i := rapid.IntRange(0, len(v)-1).Draw(rt, "from")
			j := rapid.IntRange(i+1, len(v)).Draw(rt, "to")
			needle = string(v[i:j])
			switch rapid.IntRange(0, 2).Draw(rt, "case") {
			case 1:
				needle = strings.ToUpper(needle)
			case 2:
				needle = strings.ToLower(needle)
			}
		}
		var q engine.ListQuery
		switch rapid.IntRange(0, 2).Draw(rt, "query") {
		case 0:
			q.Search = needle
		case 1:
			q.Filters = []engine.Filter{{Column: "name", Op: "~", Value: needle}}
		case 2:
			q.Filters = []engine.Filter{{Column: "email", Op: "~", Value: needle}}
		}
		q.Limit = rapid.IntRange(1, 5).Draw(rt, "limit")
		for _, id := range []engine.Identity{dana, ivan} {
			engine.SetSearchVia(e, -1)
			want := ctSearchIDs(rt, e, id, q)
			engine.SetSearchVia(e, 1)
			got := ctSearchIDs(rt, e, id, q)
			engine.SetSearchVia(e, 0)
			if chosen := ctSearchIDs(rt, e, id, q); got != want || chosen != want {
				rt.Fatalf("%s, %+v: through the index %q, as List chooses %q, without it %q", id.Role, q, got, chosen, want)
			}
			match, err := engine.ListMatch(e, id, "candidates", q)
			if err != nil {
				continue // refused alike both ways (email masked for ivan)
			}
			if id.UserID == "u-ivan" && strings.Contains(match, "email") {
				rt.Fatalf("ivan's list asks the index about the masked email: %s", match)
			}
			lookup := strings.TrimSpace(needle)
			if len(q.Filters) > 0 {
				lookup = needle
			}
			if len(engine.SearchPhrases(lookup)) > 0 && match == "" {
				rt.Fatalf("%+v: needle %q has phrases %q but the list does not use the index", q, lookup, engine.SearchPhrases(lookup))
			}
		}
	})
}

// TestSearchPhrases: what the index is asked for a needle — the needle
// itself (lower-cased) when it is ASCII and three characters or more;
// otherwise the runs of three or more ASCII characters of its lower-cased
// form other than i and k; nothing (the list scans) when there is none.
func TestSearchPhrases(t *testing.T) {
	for _, tc := range []struct {
		needle string
		want   []string
	}{
		{"ab", nil},
		{"abc", []string{"abc"}},
		{"GarCIA", []string{"garcia"}},
		{`a "b" %_`, []string{`a "b" %_`}},
		{"José García", []string{"jos", " garc"}},
		{"TOMÁS", []string{"tom"}},
		{"İstanbul", []string{"stanbul"}},
		{"Kelvin", []string{"kelvin"}}, // ASCII K: LIKE folds it like FTS5
		{"\u212Aelvin", []string{"elv"}},
		{"ßé", nil},
		{"çaé", nil},
	} {
		if got := engine.SearchPhrases(tc.needle); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("SearchPhrases(%q) = %q, want %q", tc.needle, got, tc.want)
		}
	}
}

// TestSearchPhraseLetters: the only characters outside ASCII that
// unicode.ToLower (which qb_contains applies to both sides) turns into
// ASCII are İ and the Kelvin sign, lowered to i and k: the letters
// searchPhrases leaves out of the phrases of a non-ASCII needle, since a
// row may hold them as İ or K, which the index does not fold to i or k.
func TestSearchPhraseLetters(t *testing.T) {
	got := map[rune]string{}
	for r := rune(0x80); r <= unicode.MaxRune; r++ {
		if l := unicode.ToLower(r); l < 0x80 {
			got[l] += string(r)
		}
		if l := []rune(strings.ToLower(string(r))); len(l) > 0 && l[0] < 0x80 && unicode.ToLower(r) >= 0x80 {
			t.Errorf("strings.ToLower(%U) begins with ASCII %q", r, l[0])
		}
	}
	if want := map[rune]string{'i': "İ", 'k': "\u212A"}; !reflect.DeepEqual(got, want) {
		t.Errorf("characters lowered to ASCII: %q, want %q", got, want)
	}
}

// TestSearchIndexPlan: a selective search or ~ reads through the table's
// search index — the index yields row ids, each row is fetched by rowid —
// and the statement keeps the firewall and the contains tests; a needle
// of fewer than three characters, or one that gives no phrase, scans as
// before; the interviewer's search asks the index about the columns it
// may search only (email is masked for interviewers).
func TestSearchIndexPlan(t *testing.T) {
	e := enginetest.Seeded(t)
	dana := enginetest.Member(t, e, "u-dana", "acme")
	ivan := enginetest.Member(t, e, "u-ivan", "acme")
	for _, tc := range []struct {
		id      engine.Identity
		q       engine.ListQuery
		match   string // "" = no index
		columns []string
	}{
		{dana, engine.ListQuery{Search: "garcia"}, `("garcia")`, []string{"name", "email", "source"}}, // every column of the index: no column filter
		{ivan, engine.ListQuery{Search: "garcia"}, `{"name" "source"} : ("garcia")`, []string{"name", "source"}},
		{dana, engine.ListQuery{Search: "ga"}, "", nil},
		{dana, engine.ListQuery{Search: "çaé"}, "", nil},
		{dana, engine.ListQuery{Filters: []engine.Filter{{Column: "name", Op: "~", Value: "José"}, {Column: "email", Op: "~", Value: `x"y`}}}, `{"name"} : ("jos") AND {"email"} : ("x""y")`, []string{"name", "email"}},
		{dana, engine.ListQuery{Filters: []engine.Filter{{Column: "phone", Op: "~", Value: "555"}}}, "", nil}, // not searchable: not indexed
	} {
		match, err := engine.ListMatch(e, tc.id, "candidates", tc.q)
		if err != nil || match != tc.match {
			t.Errorf("%s %+v: index query %q (%v), want %q", tc.id.UserID, tc.q, match, err, tc.match)
			continue
		}
		engine.SetSearchVia(e, 1)
		query, args, err := e.ListSQL(tc.id, "candidates", tc.q)
		engine.SetSearchVia(e, 0)
		if err != nil {
			t.Fatal(err)
		}
		plan := strings.Join(ctPlanOf(t, e, query, args), "\n")
		if tc.match == "" {
			if strings.Contains(query, "json_each") || strings.Contains(plan, "VIRTUAL TABLE") {
				t.Errorf("%+v reads an index without a phrase:\n%s\n%s", tc.q, query, plan)
			}
			continue
		}
		if !strings.Contains(query, "FROM (SELECT value AS qb_r FROM json_each(?)) CROSS JOIN") || !strings.Contains(plan, "SCAN json_each VIRTUAL TABLE") || !strings.Contains(plan, "SEARCH candidates USING INTEGER PRIMARY KEY (rowid=?)") {
			t.Errorf("%+v does not read through the index:\n%s\n%s", tc.q, query, plan)
		}
		if !strings.Contains(query, `"organization_id" = ?`) || !strings.Contains(query, `"deleted_at" IS NULL`) {
			t.Errorf("%+v: the firewall is not in the statement: %s", tc.q, query)
		}
		for _, c := range tc.columns {
			if !strings.Contains(query, `"`+c+`" LIKE ?`) && !strings.Contains(query, `qb_contains("`+c+`"`) {
				t.Errorf("%+v: the contains test of %s is not in the statement: %s", tc.q, c, query)
			}
		}
	}
	// As List decides: the fixtures' few rows are all below the limit.
	if query, _, _ := e.ListSQL(dana, "candidates", engine.ListQuery{Search: "garcia"}); !strings.Contains(query, "FROM json_each(?)) CROSS JOIN") {
		t.Errorf("a selective search does not read through the index: %s", query)
	}
}

// ctPlanOf is EXPLAIN QUERY PLAN's detail lines for a statement.
func ctPlanOf(t *testing.T, e *engine.Engine, query string, args []any) []string {
	t.Helper()
	var out []string
	for _, r := range enginetest.Rows(t, engine.RawDB(e), "EXPLAIN QUERY PLAN "+query, args...) {
		out = append(out, fmt.Sprint(r[3]))
	}
	return out
}

// TestSearchIndexMigrate: a database without search indexes (here a
// Quickback project's, which qb adopted) is suggested one per table with
// searchable text columns; CreateIndexes builds them (progress, audit
// entry), after which none is suggested, lists read through them with the
// rows they had, and a reopened engine still uses them. An index whose
// trigger was dropped by hand is no longer used (its rows would drift from
// the table's) and is suggested again.
func TestSearchIndexMigrate(t *testing.T) {
	ctx := context.Background()
	e := enginetest.Seeded(t, enginetest.Quickback())
	sugg := e.SuggestedSearchIndexes()
	var names []string
	for _, s := range sugg {
		names = append(names, s.Name)
		if !s.Search || !strings.Contains(s.SQL, "USING fts5(") || !strings.Contains(s.SQL, "tokenize='trigram'") {
			t.Errorf("%s: %s", s.Name, s.SQL)
		}
	}
	if len(names) == 0 || names[0] != "qb_fts_jobs" || !strings.Contains(strings.Join(names, " "), "qb_fts_candidates") {
		t.Fatalf("suggested %v", names)
	}
	dana := enginetest.Member(t, e, "u-dana", "acme")
	q := engine.ListQuery{Search: "john", Limit: 1}
	before := ctSearchIDsT(t, e, dana, q)
	if m, _ := engine.ListMatch(e, dana, "candidates", q); m != "" {
		t.Fatalf("without an index, the list asks one: %s", m)
	}
	var steps []string
	err := e.CreateIndexes(ctx, sugg, func(p engine.IndexProgress) {
		steps = append(steps, fmt.Sprintf("%d/%d %s done=%v", p.N, p.Of, p.Index.Name, p.Done))
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 2*len(sugg) || steps[1] != fmt.Sprintf("1/%d qb_fts_jobs done=true", len(sugg)) {
		t.Errorf("progress %v", steps)
	}
	var logged int
	if err := engine.RawDB(e).QueryRow(`SELECT count(*) FROM qb_audit WHERE operation = 'migrate:search-index'`).Scan(&logged); err != nil || logged != len(sugg) {
		t.Errorf("%d audit entries for %d search indexes (%v)", logged, len(sugg), err)
	}
	if again := e.SuggestedSearchIndexes(); len(again) != 0 {
		t.Errorf("still suggested: %v", again)
	}
	uses := func(e *engine.Engine) bool {
		query, _, err := e.ListSQL(dana, "candidates", q)
		return err == nil && strings.Contains(query, "FROM json_each(?)) CROSS JOIN")
	}
	if !uses(e) {
		t.Error("after migrating, the list does not read through the index")
	}
	if after := ctSearchIDsT(t, e, dana, q); after != before || before == "" {
		t.Errorf("with the index %q, without %q", after, before)
	}
	path, cfg := e.Path(), e.Config()
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	reopen := func() *engine.Engine {
		e, err := engine.Open(cfg, path, engine.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { e.Close() })
		return e
	}
	e = reopen() // the full check, which records the layout
	if !uses(e) {
		t.Error("reopened: the list does not read through the index")
	}
	e.Close()
	e = reopen() // the layout record
	if !uses(e) {
		t.Error("reopened from the layout record: the list does not read through the index")
	}
	if _, err := engine.RawDB(e).Exec(`DROP TRIGGER qb_fts_candidates_au`); err != nil {
		t.Fatal(err)
	}
	e.Close()
	e = reopen()
	if uses(e) {
		t.Error("an index without its update trigger is still used")
	}
	if s := e.SuggestedSearchIndexes(); len(s) != 1 || s[0].Name != "qb_fts_candidates" {
		t.Errorf("suggested after dropping a trigger: %v", s)
	}
}

// ctSearchIDsT is ctSearchIDs for a *testing.T.
func ctSearchIDsT(t *testing.T, e *engine.Engine, id engine.Identity, q engine.ListQuery) string {
	t.Helper()
	rows, err := ctListAll(t, e, id, "candidates", q)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID()
	}
	return strings.Join(ids, " ")
}

// TestBulkSearchIndex: a large bulk run (the generator's) drops the table's
// search index while it loads and builds it again from every row after it
// — also when the run stops at a bad row — so the index then names the
// loaded rows and search reads through it with the rows the scan gives; a
// small run, or one into a table that holds more rows than it loads, keeps
// the index up to date row by row.
func TestBulkSearchIndex(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	defer engine.SetBulkSearchRows(100)()
	e := enginetest.Seeded(t)
	dana := enginetest.Member(t, e, "u-dana", "acme")
	q := engine.ListQuery{Search: "bulkname", Limit: 7}
	hasIndex := func() bool {
		var n int
		if err := engine.RawDB(e).QueryRow(`SELECT count(*) FROM sqlite_master WHERE name = 'qb_fts_candidates'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 1
	}
	load := func(rows, bad int) (during bool, err error) {
		i := 0
		_, err = e.Loader().Insert(ctx, "candidates", []string{"id", "organizationId", "name", "email", "createdAt"}, func(v []any) bool {
			if i == rows/2 {
				during = hasIndex()
			}
			if i == rows {
				return false
			}
			i++
			v[0], v[1], v[2], v[3], v[4] = fmt.Sprintf("c-bulk-%d-%d", rows, i), "acme", fmt.Sprintf("BulkName %d", i), fmt.Sprintf("b%d-%d@example.com", rows, i), "2026-02-01T00:00:00.000Z"
			if i == bad {
				v[3] = fmt.Sprintf("b%d-%d@example.com", rows, i-1) // breaks UNIQUE (organizationId, email)
			}
			return true
		}, engine.BulkOptions{Rows: rows, BatchSize: 50})
		return during, err
	}
	same := func(what string) {
		t.Helper()
		query, _, err := e.ListSQL(dana, "candidates", q)
		if err != nil || !strings.Contains(query, "FROM json_each(?)) CROSS JOIN") {
			t.Errorf("%s: search does not read through the index (%v): %s", what, err, query)
		}
		got := ctSearchIDsT(t, e, dana, q)
		engine.SetSearchVia(e, -1)
		want := ctSearchIDsT(t, e, dana, q)
		engine.SetSearchVia(e, 0)
		if got != want || want == "" {
			t.Errorf("%s: through the index %q, scanning %q", what, got, want)
		}
	}
	if during, err := load(300, 0); err != nil || during {
		t.Fatalf("a run of 300 rows into 22: index kept during the run %v (%v)", during, err)
	}
	if !hasIndex() || len(e.SuggestedSearchIndexes()) != 0 {
		t.Fatal("the index was not built again after the run")
	}
	same("after a large run")
	if during, err := load(400, 170); err == nil || during {
		t.Fatalf("a run stopped at row 170: index kept %v, error %v", during, err)
	}
	if !hasIndex() {
		t.Fatal("the index was not built again after a run that stopped")
	}
	same("after a run that stopped at a bad row")
	if during, err := load(90, 0); err != nil || !during {
		t.Fatalf("a run of 90 rows (under the threshold): index dropped %v (%v)", !during, err)
	}
	if during, err := load(200, 0); err != nil || !during {
		t.Fatalf("a run of 200 rows into a table of 562: index dropped %v (%v)", !during, err)
	}
	same("after small runs")
}
