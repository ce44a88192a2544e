package engine_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/enginetest"
	"quickback.dev/qb/schema"
)

// tfFormats stores ats_imports' timestamps as Better Auth's tables do
// (epoch milliseconds: createdAt, modifiedAt, deletedAt, syncedAt) and jobs'
// createdAt as ISO text without milliseconds.
var tfFormats = []enginetest.Edit{
	{Section: "[tables.ats_imports.columns]", Old: `syncedAt       = { type = "timestamp" }`,
		New: `syncedAt       = { type = "timestamp", format = "epoch_ms" }
createdAt      = { format = "epoch_ms" }
modifiedAt     = { format = "epoch_ms" }
deletedAt      = { format = "epoch_ms" }`},
	{Section: "[tables.jobs.columns]", Old: `salaryMax      = { type = "integer", min = 0 }`,
		New: `salaryMax      = { type = "integer", min = 0 }
createdAt      = { format = "iso_s" }`},
	// A record condition on an epoch column, written in the config as ISO.
	{Section: "[tables.ats_imports.crud]", Old: `list.access   = { roles = ["owner", "hiring-manager"] }`,
		New: `list.access   = { or = [ { roles = ["owner"] }, { roles = ["hiring-manager"], record = { syncedAt = { gte = "2026-01-24T06:25:00Z" } } } ] }`},
}

// tfQueries are lists whose results must not depend on how the columns
// store their timestamps: sorts both ways, filters on each format, paged
// two rows at a time so every page after the first runs from a cursor.
var tfQueries = []struct {
	table string
	q     engine.ListQuery
}{
	{"ats_imports", engine.ListQuery{Limit: 2}},
	{"ats_imports", engine.ListQuery{Limit: 2, Sort: []schema.SortKey{{Column: "syncedAt"}}}},
	{"ats_imports", engine.ListQuery{Limit: 2, Sort: []schema.SortKey{{Column: "syncedAt", Desc: true}}}},
	{"ats_imports", engine.ListQuery{Limit: 2, Sort: []schema.SortKey{{Column: "createdAt"}}}},
	{"ats_imports", engine.ListQuery{Limit: 2, Filters: []engine.Filter{{Column: "createdAt", Op: ">=", Value: "2026-01-24T06:25:00Z"}}}},
	{"ats_imports", engine.ListQuery{Limit: 2, Filters: []engine.Filter{{Column: "syncedAt", Op: "<", Value: "2026-02-21"}}}},
	{"ats_imports", engine.ListQuery{Limit: 2, Filters: []engine.Filter{{Column: "modifiedAt", Op: "=", Value: "2026-02-01T06:00:00.000Z"}}}},
	{"jobs", engine.ListQuery{Limit: 2}},
	{"jobs", engine.ListQuery{Limit: 3, Sort: []schema.SortKey{{Column: "createdAt"}}}},
	{"jobs", engine.ListQuery{Limit: 2, Filters: []engine.Filter{{Column: "createdAt", Op: ">", Value: "2026-01-08T08:45:00.000Z"}}}},
	{"jobs", engine.ListQuery{Limit: 2, Filters: []engine.Filter{{Column: "createdAt", Op: "<=", Value: "2026-01-08T08:45:00Z"}}}},
}

// TestTimestampFormats: a column that stores its timestamps as epoch
// milliseconds or as ISO text without milliseconds is read, sorted,
// filtered, paged and conditioned exactly like qb's own ISO column — the
// same rows in the same order, the same values shown — and written in its
// own format.
func TestTimestampFormats(t *testing.T) {
	ctx := context.Background()
	iso := enginetest.Seeded(t, enginetest.Fixed(), enginetest.Edits(tfFormats[2]))
	fmtd := enginetest.Seeded(t, enginetest.Fixed(), enginetest.Edits(tfFormats...))

	var typ string
	var ms int64
	if err := engine.RawDB(fmtd).QueryRow(`SELECT typeof(created_at), created_at FROM ats_imports WHERE id = 'x-acme-2'`).Scan(&typ, &ms); err != nil {
		t.Fatal(err)
	}
	if typ != "integer" || ms != 1769235900000 {
		t.Errorf("stored created_at of x-acme-2 = %s %d, want the integer 1769235900000 (2026-01-24T06:25:00Z)", typ, ms)
	}
	var text string
	if err := engine.RawDB(fmtd).QueryRow(`SELECT created_at FROM jobs WHERE id = 'j-firmware'`).Scan(&text); err != nil {
		t.Fatal(err)
	}
	if text != "2026-01-06T10:30:00Z" {
		t.Errorf("stored created_at of j-firmware = %q, want ISO without milliseconds", text)
	}

	for _, who := range []string{"u-olivia", "u-dana"} {
		for _, tq := range tfQueries {
			name := fmt.Sprintf("%s %s %+v", who, tq.table, tq.q)
			want, werr := ctListAll(t, iso, enginetest.Member(t, iso, who, "acme"), tq.table, tq.q)
			got, gerr := ctListAll(t, fmtd, enginetest.Member(t, fmtd, who, "acme"), tq.table, tq.q)
			if werr != nil || gerr != nil {
				t.Fatalf("%s: %v / %v", name, werr, gerr)
			}
			if len(want) == 0 {
				t.Fatalf("%s: no rows: the query tests nothing", name)
			}
			if a, b := tfShown(want), tfShown(got); a != b {
				t.Errorf("%s:\n iso  %s\n fmtd %s", name, a, b)
			}
		}
	}
	// The record condition holds for a hiring manager on epoch values too.
	dana := enginetest.Member(t, fmtd, "u-dana", "acme")
	rows, err := ctListAll(t, fmtd, dana, "ats_imports", engine.ListQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ctRowIDs(rows), []string{"x-acme-2", "x-acme-3", "x-acme-4"}; !reflect.DeepEqual(got, want) {
		t.Errorf("condition syncedAt >= 2026-01-24T06:25:00Z admits %v, want %v", got, want)
	}

	// Writes take ISO text or (epoch columns) the integer, and store each
	// column's format; what they return is ISO text.
	olivia := enginetest.Member(t, fmtd, "u-olivia", "acme")
	res, err := fmtd.Create(ctx, olivia, "ats_imports", map[string]any{"externalId": "tf-1", "candidateName": "T F"}, engine.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Row.Get("createdAt"); got != "2026-03-02T09:00:00.000Z" {
		t.Errorf("created row shows createdAt %v", got)
	}
	for _, in := range []any{"2026-02-03T04:05:06.789Z", int64(1770091506789)} {
		if _, err := fmtd.Update(ctx, olivia, "ats_imports", res.ID, map[string]any{"syncedAt": in}, engine.WriteOptions{}); err != nil {
			t.Fatalf("syncedAt = %v: %v", in, err)
		}
		var synced, modified any
		if err := engine.RawDB(fmtd).QueryRow(`SELECT synced_at, modified_at FROM ats_imports WHERE id = ?`, res.ID).Scan(&synced, &modified); err != nil {
			t.Fatal(err)
		}
		if synced != int64(1770091506789) || modified != enginetest.Now.UnixMilli() {
			t.Errorf("syncedAt = %v stored synced_at %T %v, modified_at %T %v", in, synced, synced, modified, modified)
		}
	}
	if _, err := fmtd.Update(ctx, olivia, "ats_imports", res.ID, map[string]any{"syncedAt": "last tuesday"}, engine.WriteOptions{}); ctErrCode(t, err) != engine.ValidationFailed ||
		!strings.Contains(err.Error(), "syncedAt must be an ISO-8601 timestamp or epoch milliseconds") {
		t.Errorf("a bad timestamp: %v", err)
	}
	if _, err := fmtd.List(ctx, olivia, "ats_imports", engine.ListQuery{Filters: []engine.Filter{{Column: "syncedAt", Op: ">", Value: "2026-01"}}}); ctErrCode(t, err) != engine.ValidationFailed {
		t.Errorf("a partial date on an epoch column: %v, want VALIDATION_FAILED (it has no text to compare with)", err)
	}
	// A write conditioned on the row as last seen compares the epoch
	// modifiedAt as a time.
	if _, err := fmtd.Update(ctx, olivia, "ats_imports", "x-acme-2", map[string]any{"candidateName": "K"}, engine.WriteOptions{IfUnmodifiedSince: "2026-01-31T00:00:00Z"}); ctErrCode(t, err) != engine.RowChanged {
		t.Errorf("update of a row modified 2026-02-01 if unmodified since 2026-01-31: %v, want ROW_CHANGED", err)
	}
	if _, err := fmtd.Update(ctx, olivia, "ats_imports", "x-acme-2", map[string]any{"candidateName": "K"}, engine.WriteOptions{IfUnmodifiedSince: "2026-02-01T06:00:00.000Z"}); err != nil {
		t.Errorf("update if unmodified since its modifiedAt: %v", err)
	}
	del, err := fmtd.Delete(ctx, olivia, "ats_imports", res.ID, engine.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var deleted any
	if err := engine.RawDB(fmtd).QueryRow(`SELECT deleted_at FROM ats_imports WHERE id = ?`, res.ID).Scan(&deleted); err != nil {
		t.Fatal(err)
	}
	if deleted != enginetest.Now.UnixMilli() || del.Changes[0].After != "2026-03-02T09:00:00.000Z" {
		t.Errorf("soft delete stored %v and reported %v", deleted, del.Changes[0].After)
	}
}

// tfShown renders listed rows as shown: ids in order with their
// timestamps, milliseconds dropped (a column without them shows none).
func tfShown(rows []engine.Row) string {
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(r.ID())
		for _, c := range []string{"createdAt", "modifiedAt", "syncedAt"} {
			if r.Table.Column(c) != nil {
				fmt.Fprintf(&b, " %v", strings.Replace(engine.ValueString(r.Get(c)), ".000Z", "Z", 1))
			}
		}
		b.WriteString("; ")
	}
	return b.String()
}
