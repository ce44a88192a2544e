package main

import (
	"path/filepath"
	"strings"
	"testing"

	"quickback.dev/qb/internal/pgtest"
)

// TestPostgresCommands: the command line on a postgres:// --db (SPEC §8):
// seed, list, get, run, audit --verify and check work as on a file; the
// database is not seeded on first use.
func TestPostgresCommands(t *testing.T) {
	url := pgtest.Schema(t)
	cfg := copyProject(t, t.TempDir())
	qb := func(args ...string) (string, string, int) {
		return runQB(append([]string{"--config", cfg, "--db", url}, args...)...)
	}
	if out, errw, code := qb("list", "jobs", "--as", "u-dana"); code == 0 || strings.Contains(out, "j-firmware") {
		t.Errorf("list on an empty database: exit %d, %s%s (want a refusal: no identities yet)", code, out, errw)
	}
	if _, errw, code := qb("seed"); code != 0 {
		t.Fatalf("seed: exit %d: %s", code, errw)
	}
	steps := []struct {
		args []string
		want string
	}{
		{[]string{"list", "jobs", "--as", "u-dana"}, "j-firmware"},
		{[]string{"get", "jobs", "j-firmware", "--as", "u-dana"}, "Embedded Firmware Engineer"},
		{[]string{"run", "applications", "advanceStage", "a-1004", "--as", "u-dana", "--input", `{"stage":"hired"}`}, "hired"},
		{[]string{"audit", "--verify"}, "audit log verified"},
		{[]string{"check"}, "ok, created by qb"},
	}
	for _, s := range steps {
		out, errw, code := qb(s.args...)
		if code != 0 || !strings.Contains(out+errw, s.want) {
			t.Errorf("qb %s: exit %d, want %q in\n%s%s", strings.Join(s.args, " "), code, s.want, out, errw)
		}
	}
	if _, errw, code := qb("run", "applications", "advanceStage", "a-1004", "--as", "u-dana", "--input", `{"stage":"rejected"}`); code == 0 {
		t.Errorf("hired → rejected was allowed: %s", errw)
	}
	// qb test has no scratch copy of a PostgreSQL database: refused
	// (it ran on a SQLite copy seeded from the fixtures, saying the
	// database did not exist), never run on the database itself.
	if out, errw, code := qb("test", testsFile(t)); code != 1 || !strings.Contains(errw, "cannot copy a PostgreSQL one") || strings.Contains(out, "passed") {
		t.Errorf("qb test on PostgreSQL: exit %d\n%s%s", code, out, errw)
	}
}

// testsFile is the repository's policy test file, by absolute path.
func testsFile(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("tests", "hiring.toml"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}
