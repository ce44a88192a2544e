package engine_test

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/fixtures"
	"quickback.dev/qb/internal/enginetest"
	"quickback.dev/qb/schema"
)

// sdSeed reads dir and seeds st from it; the error is Read's or Seed's.
func sdSeed(t testing.TB, cfg *schema.Config, st *engine.Engine, dir string, reset bool) error {
	t.Helper()
	data, err := fixtures.Read(cfg, dir)
	if err != nil {
		return err
	}
	_, err = st.Seed(t.Context(), data, reset)
	return err
}

// sdCopyFixtures copies the project's fixture files into a temp dir.
func sdCopyFixtures(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join("..", "fixtures")
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if filepath.Ext(e.Name()) != ".toml" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// sdEdit replaces the first line equal to old after the line `after` in
// file, and returns the 1-based line of the [[rows]] (or other [[…]])
// header above `after`, found independently of the fixtures package.
func sdEdit(t testing.TB, file, after, old, new string) int {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	at := -1
	for i, l := range lines {
		if strings.TrimSpace(l) == after {
			at = i
			break
		}
	}
	if at < 0 {
		t.Fatalf("%s: no line %q", file, after)
	}
	header := 0
	for i := at; i >= 0; i-- {
		if strings.HasPrefix(strings.TrimSpace(lines[i]), "[[") {
			header = i + 1
			break
		}
	}
	done := false
	for i := at; i < len(lines) && !done; i++ {
		if i > at && strings.HasPrefix(strings.TrimSpace(lines[i]), "[[") {
			break
		}
		if strings.TrimSpace(lines[i]) == old {
			lines[i] = new
			done = true
		}
	}
	if !done || header == 0 {
		t.Fatalf("%s: no %q in the entry of %q", file, old, after)
	}
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	return header
}

func TestSeedTwiceIsIdentical(t *testing.T) {
	cfg := enginetest.Config(t)
	dir := filepath.Join("..", "fixtures")
	a := enginetest.Open(t, enginetest.At(filepath.Join(t.TempDir(), "a.db")))
	defer a.Close()
	b := enginetest.Open(t, enginetest.At(filepath.Join(t.TempDir(), "b.db")))
	defer b.Close()
	if err := sdSeed(t, cfg, a, dir, false); err != nil {
		t.Fatal(err)
	}
	once := enginetest.Dump(t, engine.RawDB(a), "qb_audit")
	if !strings.Contains(once, "t6:c-jane|t4:acme|") || !strings.Contains(once, "t6:u-dana|t10:Dana Reyes|") {
		t.Fatalf("fixtures not loaded:\n%.500s", once)
	}
	if err := sdSeed(t, cfg, a, dir, false); err != nil {
		t.Fatal(err)
	}
	if twice := enginetest.Dump(t, engine.RawDB(a), "qb_audit"); twice != once {
		t.Fatalf("seeding twice changed rows:\n%s", sdFirstDiff(once, twice))
	}
	// Another database seeded once holds the very same rows.
	if err := sdSeed(t, cfg, b, dir, false); err != nil {
		t.Fatal(err)
	}
	if other := enginetest.Dump(t, engine.RawDB(b), "qb_audit"); other != once {
		t.Fatalf("two databases seeded from the same fixtures differ:\n%s", sdFirstDiff(once, other))
	}
	// Each run is one audit entry.
	if n := layStrings(t, engine.RawDB(a), "SELECT count(*) FROM qb_audit WHERE operation = 'seed'"); n[0] != "2" {
		t.Errorf("%s seed entries, want 2", n[0])
	}
}

func sdFirstDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return "line " + strconv.Itoa(i+1) + ":\n  " + la[i] + "\n  " + lb[i]
		}
	}
	return "lengths " + strconv.Itoa(len(la)) + " and " + strconv.Itoa(len(lb))
}

// TestSeedBadRowWritesNothing seeds a copy of the fixtures in which one row
// has a bad enum (and identities changed too): the problem names the file
// and the line of that row's [[rows]] header, and the database, identities
// and audit log included, is unchanged.
func TestSeedBadRowWritesNothing(t *testing.T) {
	cfg := enginetest.Config(t)
	for _, preSeeded := range []bool{false, true} {
		t.Run("preseeded="+strconv.FormatBool(preSeeded), func(t *testing.T) {
			st := enginetest.Open(t, enginetest.At(filepath.Join(t.TempDir(), "bad.db")))
			defer st.Close()
			if preSeeded {
				if err := sdSeed(t, cfg, st, filepath.Join("..", "fixtures"), false); err != nil {
					t.Fatal(err)
				}
			}
			dir := sdCopyFixtures(t)
			apps := filepath.Join(dir, "applications.toml")
			line := sdEdit(t, apps, `id = "a-1003"`, `stage = "screening"`, `stage = "promoted"`)
			// Changes that would be written if the run went through.
			sdEdit(t, filepath.Join(dir, "identities.toml"), `id = "initech"`, `name = "Initech"`, `name = "Initrode"`)
			sdEdit(t, filepath.Join(dir, "identities.toml"), `id = "u-dana"`, `name = "Dana Reyes"`, `name = "Dana Changed"`)
			sdEdit(t, filepath.Join(dir, "jobs.toml"), `id = "j-firmware"`, `status = "open"`, `status = "closed"`)

			before := enginetest.Dump(t, engine.RawDB(st))
			err := sdSeed(t, cfg, st, dir, false)
			if err == nil {
				t.Fatal("a bad enum was seeded")
			}
			want := apps + ":" + strconv.Itoa(line) + ": applications.stage: "
			var se *schema.Problems
			if !errors.As(err, &se) {
				t.Fatalf("err = %T %v, want *schema.Problems", err, err)
			}
			if len(*se) != 1 || !strings.HasPrefix((*se)[0].String(), want) || !strings.Contains((*se)[0].String(), "must be one of applied, screening") {
				t.Fatalf("problems = %q, want one starting %q", se.Error(), want)
			}
			if strings.Contains(err.Error(), "promoted") {
				t.Errorf("the message echoes the bad value: %v", err)
			}
			if after := enginetest.Dump(t, engine.RawDB(st)); after != before {
				t.Fatalf("a failed seed wrote something:\n%s", sdFirstDiff(before, after))
			}
		})
	}
}

// TestSeedReset: rows (and identities) that are not in the fixtures are
// removed, the fixtures reloaded, and the audit log is kept and records the
// reset.
func TestSeedReset(t *testing.T) {
	cfg := enginetest.Config(t)
	dir := filepath.Join("..", "fixtures")
	fresh := enginetest.Open(t, enginetest.At(filepath.Join(t.TempDir(), "fresh.db")))
	defer fresh.Close()
	if err := sdSeed(t, cfg, fresh, dir, false); err != nil {
		t.Fatal(err)
	}
	want := enginetest.Dump(t, engine.RawDB(fresh), "qb_audit")

	st := enginetest.Open(t, enginetest.At(filepath.Join(t.TempDir(), "reset.db")))
	defer st.Close()
	if err := sdSeed(t, cfg, st, dir, false); err != nil {
		t.Fatal(err)
	}
	// Drift: an extra org, user, candidate and note; a changed job; a
	// soft-deleted application revived; an audit entry of a read.
	for _, q := range []string{
		`INSERT INTO qb_organizations (id, name) VALUES ('hooli', 'Hooli')`,
		`INSERT INTO qb_users (id, name, email) VALUES ('u-gavin', 'Gavin', 'gavin@hooli.test')`,
		`INSERT INTO qb_members (user_id, organization_id, role) VALUES ('u-gavin', 'hooli', 'owner')`,
		`INSERT INTO candidates (id, organization_id, name, email, created_at) VALUES ('c-extra', 'acme', 'Extra', 'extra@x.test', '2026-03-01T00:00:00.000Z')`,
		`INSERT INTO interview_notes (id, organization_id, owner_id, candidate_id, content, created_at) VALUES ('n-extra', 'acme', 'u-dana', 'c-extra', 'x', '2026-03-01T00:00:00.000Z')`,
		`UPDATE jobs SET title = 'Renamed' WHERE id = 'j-firmware'`,
		`UPDATE applications SET deleted_at = NULL, deleted_by = NULL WHERE id = 'a-1024'`,
	} {
		if _, err := engine.RawDB(st).Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	eng := st
	dana, err := eng.ResolveIdentity(t.Context(), "u-dana", "acme", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.List(t.Context(), dana, "jobs", engine.ListQuery{Limit: 5}); err != nil {
		t.Fatal(err)
	}
	auditBefore, err := st.AuditEntries(t.Context(), engine.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}

	if err := sdSeed(t, cfg, st, dir, true); err != nil {
		t.Fatal(err)
	}
	if got := enginetest.Dump(t, engine.RawDB(st), "qb_audit"); got != want {
		t.Fatalf("after --reset the database differs from a fresh seed:\n%s", sdFirstDiff(want, got))
	}
	auditAfter, err := st.AuditEntries(t.Context(), engine.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(auditAfter) != len(auditBefore)+1 {
		t.Fatalf("%d audit entries after the reset, %d before: want one more", len(auditAfter), len(auditBefore))
	}
	for i := range auditBefore {
		if auditAfter[i].Hash != auditBefore[i].Hash {
			t.Fatalf("audit entry %d changed by the reset", auditBefore[i].Seq)
		}
	}
	last := auditAfter[len(auditAfter)-1]
	if last.Operation != "seed:reset" || last.Outcome != "ok" {
		t.Fatalf("last audit entry %+v, want the seed:reset", last)
	}
	if v, err := st.VerifyAudit(t.Context(), auditBefore[len(auditBefore)-1].Hash); err != nil || !v.OK {
		t.Fatalf("audit chain after the reset: %+v %v", v, err)
	}

	// A reset whose fixtures are bad removes nothing either.
	bad := sdCopyFixtures(t)
	sdEdit(t, filepath.Join(bad, "applications.toml"), `id = "a-1003"`, `stage = "screening"`, `stage = "promoted"`)
	before := enginetest.Dump(t, engine.RawDB(st))
	if err := sdSeed(t, cfg, st, bad, true); err == nil {
		t.Fatal("a bad reset went through")
	}
	if enginetest.Dump(t, engine.RawDB(st)) != before {
		t.Fatal("a failed reset changed the database")
	}
}
