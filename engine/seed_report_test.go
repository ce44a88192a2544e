package engine_test

import (
	"path/filepath"
	"testing"
	"time"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/engine/seed"
	"quickback.dev/qb/fixtures"
	"quickback.dev/qb/internal/enginetest"
)

// sdReport seeds e from dir and returns the report.
func sdReport(t *testing.T, e *engine.Engine, dir string, reset bool) *seed.Report {
	t.Helper()
	data, err := fixtures.Read(e.Config(), dir)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := e.Seed(t.Context(), data, reset)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func sdCount(t *testing.T, rep *seed.Report, table string) seed.Count {
	t.Helper()
	for _, c := range rep.Tables {
		if c.Table == table {
			return c
		}
	}
	t.Fatalf("no count for %s in %+v", table, rep.Tables)
	return seed.Count{}
}

// TestSeedReport (SPEC §4.1): a seed reports per table what it inserted,
// updated and found unchanged; seeding twice changes nothing, even for a
// row whose createdAt the fixtures leave out (it keeps the time of its
// first seed, the clock having moved on); an edited fixture row is one
// update; a reset reports what it removed.
func TestSeedReport(t *testing.T) {
	dir := sdCopyFixtures(t)
	sdEdit(t, filepath.Join(dir, "jobs.toml"), `id = "j-firmware"`, `createdAt = "2026-01-06T10:30:00Z"`, ``)
	now := time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC)
	e := enginetest.Open(t, enginetest.Clock(func() time.Time {
		now = now.Add(time.Minute)
		return now
	}))
	createdAt := func() string {
		return layStrings(t, engine.RawDB(e), "SELECT created_at FROM jobs WHERE id = 'j-firmware'")[0]
	}

	first := sdReport(t, e, dir, false)
	if c := sdCount(t, first, "jobs"); c.Inserted != 12 || c.Updated+c.Unchanged != 0 {
		t.Errorf("first seed, jobs: %+v", c)
	}
	if c := sdCount(t, first, "users"); c.Inserted != 15 {
		t.Errorf("first seed, users: %+v", c)
	}
	if !first.Changed() {
		t.Error("the first seed reports no change")
	}
	stamped := createdAt()

	second := sdReport(t, e, dir, false)
	if second.Changed() {
		t.Errorf("seeding twice changed something: %+v", second.Tables)
	}
	if c := sdCount(t, second, "jobs"); c.Unchanged != 12 {
		t.Errorf("second seed, jobs: %+v", c)
	}
	if got := createdAt(); got != stamped {
		t.Errorf("a second seed re-stamped createdAt: %s, then %s", stamped, got)
	}

	sdEdit(t, filepath.Join(dir, "jobs.toml"), `id = "j-firmware"`, `status = "open"`, `status = "closed"`)
	sdEdit(t, filepath.Join(dir, "identities.toml"), `id = "u-dana"`, `name = "Dana Reyes"`, `name = "Dana Reyes-Ortiz"`)
	third := sdReport(t, e, dir, false)
	if c := sdCount(t, third, "jobs"); c.Updated != 1 || c.Unchanged != 11 || c.Inserted != 0 {
		t.Errorf("an edited job: %+v", c)
	}
	if c := sdCount(t, third, "users"); c.Updated != 1 || c.Unchanged != 14 {
		t.Errorf("an edited user: %+v", c)
	}
	if got := createdAt(); got != stamped {
		t.Errorf("an updated row was re-stamped: %s, then %s", stamped, got)
	}

	reset := sdReport(t, e, dir, true)
	if c := sdCount(t, reset, "jobs"); c.Removed != 12 || c.Inserted != 12 {
		t.Errorf("reset, jobs: %+v", c)
	}
	if c := sdCount(t, reset, "memberships"); c.Removed != 16 || c.Inserted != 16 {
		t.Errorf("reset, memberships: %+v", c)
	}
}
