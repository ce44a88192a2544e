package main

import (
	"path/filepath"
	"strings"
	"testing"

	"quickback.dev/qb/internal/dbconn"
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

// TestPostgresPolicyTests: qb test on a PostgreSQL database runs every
// test on a copy of it (CREATE DATABASE … TEMPLATE, once for a snapshot,
// then once per test): the default project's tests pass on the seeded
// database, the database itself is not written (its audit log unchanged),
// no copy is left behind, and a test fails on what the PostgreSQL database
// holds (a row soft-deleted behind qb's back), not on the fixtures.
func TestPostgresPolicyTests(t *testing.T) {
	url := pgtest.Get(t).Template(t) // a database no one else is connected to
	cfg := copyProject(t, t.TempDir())
	qb := func(args ...string) (string, string, int) {
		return runQB(append([]string{"--config", cfg, "--db", url}, args...)...)
	}
	if _, errw, code := qb("seed"); code != 0 {
		t.Fatalf("seed: exit %d: %s", code, errw)
	}
	head := func() string {
		out, errw, code := qb("audit", "--verify")
		if code != 0 {
			t.Fatalf("audit --verify: exit %d: %s", code, errw)
		}
		return out
	}
	before := head()
	out, errw, code := qb("test", testsFile(t))
	if code != 0 || !strings.Contains(out+errw, "30 passed, 0 failed") {
		t.Fatalf("qb test: exit %d\n%s%s", code, out, errw)
	}
	if after := head(); after != before {
		t.Errorf("qb test wrote the database: audit before\n%s\nafter\n%s", before, after)
	}
	db, err := dbconn.OpenRaw(url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var left int
	if err := db.QueryRow(`SELECT count(*) FROM pg_database WHERE datname LIKE 'qb\_scratch%'`).Scan(&left); err != nil || left != 0 {
		t.Errorf("%d scratch databases left (%v)", left, err)
	}
	if _, err := db.Exec(`UPDATE candidates SET deleted_at = '2026-01-01T00:00:00.000Z' WHERE id = 'c-emily'`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	out, errw, code = qb("test", testsFile(t))
	if code != 3 || !strings.Contains(out, "FAIL interviewers see every candidate's PII masked") {
		t.Errorf("qb test after a row was soft-deleted: exit %d\n%s%s", code, out, errw)
	}
}
