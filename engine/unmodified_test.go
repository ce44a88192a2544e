package engine_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/enginetest"
)

// stepClock is a test clock that moves one minute per write asked of it.
type stepClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Minute)
	return c.now
}

// TestIfUnmodifiedSince: an update, a delete and a record action conditioned
// on the row as last seen are refused with ROW_CHANGED (409) once another
// write changed the row, write nothing, and are logged with that outcome;
// conditioned on the row as it is, or on a later time, they go through.
func TestIfUnmodifiedSince(t *testing.T) {
	ctx := context.Background()
	type write func(e *engine.Engine, id engine.Identity, since string, dry bool) error
	update := func(e *engine.Engine, id engine.Identity, since string, dry bool) error {
		_, err := e.Update(ctx, id, "applications", "a-1001", map[string]any{"notes": "Dana's note"}, engine.WriteOptions{IfUnmodifiedSince: since, DryRun: dry})
		return err
	}
	del := func(e *engine.Engine, id engine.Identity, since string, dry bool) error {
		_, err := e.Delete(ctx, id, "applications", "a-1001", engine.WriteOptions{IfUnmodifiedSince: since, DryRun: dry})
		return err
	}
	advance := func(e *engine.Engine, id engine.Identity, since string, dry bool) error {
		_, err := e.Run(ctx, id, "applications", "advanceStage", "a-1001", map[string]any{"stage": "offer"}, engine.WriteOptions{IfUnmodifiedSince: since, DryRun: dry})
		return err
	}
	cases := []struct {
		name, op string
		w        write
	}{
		{"update", "update", update},
		{"delete", "delete", del},
		{"action", "action:advanceStage", advance},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clk := &stepClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
			e := enginetest.Seeded(t, enginetest.Clock(clk.Now))
			db := enginetest.DB(t, e)
			dana := enginetest.Member(t, e, "u-dana", "")
			rachel := enginetest.Member(t, e, "u-rachel", "")
			row, err := e.Get(ctx, dana, "applications", "a-1001")
			if err != nil {
				t.Fatal(err)
			}
			seen := row.LastChange()
			if seen != "2026-02-12T15:00:00.000Z" {
				t.Fatalf("LastChange of a-1001 = %q, want its modifiedAt", seen)
			}
			// The row as seen: a dry run goes through and reports what it saw.
			if err := tc.w(e, dana, seen, true); err != nil {
				t.Fatalf("dry run on the row as seen: %v", err)
			}
			// Rachel writes in between.
			if _, err := e.Update(ctx, rachel, "applications", "a-1001", map[string]any{"notes": "CLI note"}, engine.WriteOptions{}); err != nil {
				t.Fatal(err)
			}
			before := enginetest.Dump(t, db, "qb_audit")
			for _, dry := range []bool{true, false} {
				err := tc.w(e, dana, seen, dry)
				ee := actErr(t, err, engine.RowChanged)
				if ee.Status != 409 {
					t.Errorf("status %d, want 409", ee.Status)
				}
				if ee.Details["modifiedBy"] != "u-rachel" || ee.Details["modifiedAt"] == nil || ee.Details["ifUnmodifiedSince"] != seen {
					t.Errorf("details %v: want who changed it and when, and the time given", ee.Details)
				}
				if got := enginetest.Dump(t, db, "qb_audit"); got != before {
					t.Fatalf("a refused write changed the database")
				}
				op := tc.op
				if dry {
					op += ":dry-run"
				}
				last := enginetest.Rows(t, db, "SELECT operation, outcome FROM qb_audit ORDER BY seq DESC LIMIT 1")
				if last[0][0] != op || last[0][1] != string(engine.RowChanged) {
					t.Errorf("audit entry %v, want %s ROW_CHANGED", last[0], op)
				}
			}
			notes := enginetest.Rows(t, db, "SELECT notes FROM applications WHERE id = 'a-1001'")
			if notes[0][0] != "CLI note" {
				t.Fatalf("Rachel's note is gone: %v", notes)
			}
			// Read again: the write goes through on the row as it is now.
			row, err = e.Get(ctx, dana, "applications", "a-1001")
			if err != nil {
				t.Fatal(err)
			}
			if row.LastChange() <= seen {
				t.Fatalf("LastChange did not move: %q", row.LastChange())
			}
			if err := tc.w(e, dana, row.LastChange(), false); err != nil {
				t.Fatalf("write on the row as it is now: %v", err)
			}
		})
	}
}

// TestIfUnmodifiedSinceEdges: a later time passes (the row did not change
// since then), any ISO-8601 form is accepted, a row never modified is
// judged by its createdAt, a value that is not a time is a validation
// error, and a caller who may not get the row learns neither when nor by
// whom it changed.
func TestIfUnmodifiedSinceEdges(t *testing.T) {
	ctx := context.Background()
	e := enginetest.Seeded(t, enginetest.Fixed())
	dana := enginetest.Member(t, e, "u-dana", "")
	upd := func(id engine.Identity, rowID, since string) error {
		_, err := e.Update(ctx, id, "applications", rowID, map[string]any{"notes": "x"}, engine.WriteOptions{IfUnmodifiedSince: since, DryRun: true})
		return err
	}
	cases := []struct {
		name, row, since string
		code             engine.Code
	}{
		{"a later time", "a-1001", "2026-02-13T00:00:00Z", ""},
		{"the same instant, another form", "a-1001", "2026-02-12T15:00:00Z", ""},
		{"with an offset", "a-1001", "2026-02-12T16:00:00+01:00", ""},
		{"a date", "a-1001", "2026-02-13", ""},
		{"one millisecond before", "a-1001", "2026-02-12T14:59:59.999Z", engine.RowChanged},
		{"never modified: createdAt decides (after)", "a-1002", "2026-02-01T11:00:00Z", ""},
		{"never modified: createdAt decides (before)", "a-1002", "2026-01-31", engine.RowChanged},
		{"not a time", "a-1001", "yesterday", engine.ValidationFailed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := ctErrCode(t, upd(dana, tc.row, tc.since)); got != tc.code {
				t.Fatalf("code %q, want %q", got, tc.code)
			}
		})
	}
	t.Run("a caller who may not get the row", func(t *testing.T) {
		e := enginetest.Seeded(t, enginetest.Fixed(), enginetest.Edits(ctVariants["appsNoGetForHM"]...))
		dana := enginetest.Member(t, e, "u-dana", "")
		_, err := e.Run(ctx, dana, "applications", "advanceStage", "a-1001", map[string]any{"stage": "offer"}, engine.WriteOptions{IfUnmodifiedSince: "2026-01-01", DryRun: true})
		ee := actErr(t, err, engine.RowChanged)
		if _, ok := ee.Details["modifiedAt"]; ok {
			t.Errorf("details %v name when the row changed to a caller who may not get it", ee.Details)
		}
		if _, ok := ee.Details["modifiedBy"]; ok {
			t.Errorf("details %v name who changed the row to a caller who may not get it", ee.Details)
		}
	})
}
