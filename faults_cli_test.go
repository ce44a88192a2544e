package main

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"quickback.dev/qb/internal/dbconn"
	"quickback.dev/qb/internal/enginetest"
	"quickback.dev/qb/internal/testkit"
)

// fcSeeded is a project with a seeded database; it returns the project and
// the database's path.
func fcSeeded(t *testing.T) (*project, string) {
	t.Helper()
	p := newProject(t)
	db := filepath.Join(t.TempDir(), "hiring.db")
	enginetest.Seeded(t, enginetest.At(db)).Close()
	return p, db
}

func fcRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// fcExpect runs qb and checks the exit status and that stderr holds every
// string of want.
func fcExpect(t *testing.T, p *project, code int, want []string, args ...string) (string, string) {
	t.Helper()
	out, errs, got := p.run(args...)
	if got != code {
		t.Errorf("qb %v: exit %d, want %d\nstdout: %s\nstderr: %s", args, got, code, out, errs)
	}
	for _, w := range want {
		if !strings.Contains(errs, w) {
			t.Errorf("qb %v: stderr lacks %q:\n%s", args, w, errs)
		}
	}
	if strings.Contains(errs, "panic") || strings.Contains(errs, "goroutine ") {
		t.Errorf("qb %v panicked:\n%s", args, errs)
	}
	return out, errs
}

// TestCLIFaultReadOnlyFile: a database file with no write permission is
// opened read-only, and says so: reads work, writes (create/update/delete,
// actions, seed, generate) are refused with exit 1 naming the file and what
// to do, and the file is not modified.
func TestCLIFaultReadOnlyFile(t *testing.T) {
	p, db := fcSeeded(t)
	if err := os.Chmod(db, 0o444); err != nil {
		t.Fatal(err)
	}
	before := fcRead(t, db)
	note := "database " + db + " is read-only (the file's permissions allow no writes (mode 0444)): opened read-only; writes are refused and reads are UNAUDITED"
	out, _ := fcExpect(t, p, 0, []string{note}, "get", "candidates", "c-tomas", "--as", "u-rachel", "--db", db, "--json")
	if !strings.Contains(out, `"row"`) {
		t.Errorf("read-only get printed %q", out)
	}
	refused := []string{"database " + db + " is open read-only", "writes are refused", "chmod u+w " + db}
	fcExpect(t, p, 1, refused, "update", "candidates", "c-tomas", "--as", "u-rachel", "--db", db, "--data", `{"name":"x"}`)
	fcExpect(t, p, 1, refused, "create", "candidates", "--as", "u-rachel", "--db", db, "--data", `{"name":"x","email":"x@example.com"}`)
	fcExpect(t, p, 1, refused, "seed", "--db", db)
	fcExpect(t, p, 1, refused, "generate", "candidates", "5", "--db", db)
	if fcRead(t, db) != before {
		t.Error("the read-only database was modified")
	}
}

// TestCLIFaultNotADatabase: a text file, random bytes and a truncated copy
// of a seeded database are refused, by commands and by the console, with
// exit 1 and a message naming the file and what to do; the file is not
// modified and nothing is created next to it.
func TestCLIFaultNotADatabase(t *testing.T) {
	p, seeded := fcSeeded(t)
	full := fcRead(t, seeded)
	random := make([]byte, 4096)
	for i := range random {
		random[i] = byte(i*31 + 7)
	}
	for name, c := range map[string]struct {
		data, want string
	}{
		"text":      {"hello, I am a text file\n", "is not a SQLite database"},
		"random":    {string(random), "is not a SQLite database"},
		"truncated": {full[:len(full)/2], "is truncated"},
	} {
		t.Run(name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), name+".db")
			if err := os.WriteFile(db, []byte(c.data), 0o644); err != nil {
				t.Fatal(err)
			}
			want := []string{"qb: database " + db + " " + c.want, "restore it from a backup"}
			fcExpect(t, p, 1, want, "list", "jobs", "--as", "u-rachel", "--db", db)
			fcExpect(t, p, 1, want, "update", "jobs", "j-1", "--as", "u-rachel", "--db", db, "--data", `{"title":"x"}`)
			fcExpect(t, p, 1, want, "seed", "--db", db)
			fcExpect(t, p, 1, want, "--db", db) // the console
			if fcRead(t, db) != c.data {
				t.Error("the file was modified")
			}
			if extra, _ := filepath.Glob(db + "-*"); len(extra) > 0 {
				t.Errorf("files created next to it: %v", extra)
			}
		})
	}
}

// TestCLIFaultConfig: a missing or unreadable config exits 1 naming the
// file and what to do.
func TestCLIFaultConfig(t *testing.T) {
	var out, errw strings.Builder
	missing := filepath.Join(t.TempDir(), "nope.toml")
	code := run(context.Background(), []string{"--config", missing, "list", "jobs"}, &out, &errw)
	if code != 1 || !strings.Contains(errw.String(), missing+": cannot read config") || !strings.Contains(errw.String(), "pass the config with --config FILE") {
		t.Errorf("missing config: exit %d\n%s", code, errw.String())
	}
	errw.Reset()
	dir := t.TempDir() // a directory cannot be read as a config
	code = run(context.Background(), []string{"--config", dir, "check"}, &out, &errw)
	if code != 1 || !strings.Contains(errw.String(), dir+": cannot read config") {
		t.Errorf("unreadable config: exit %d\n%s", code, errw.String())
	}
	if os.Geteuid() != 0 {
		f := filepath.Join(t.TempDir(), "secret.toml")
		if err := os.WriteFile(f, []byte("[project]\n"), 0o000); err != nil {
			t.Fatal(err)
		}
		errw.Reset()
		code = run(context.Background(), []string{"--config", f, "check"}, &out, &errw)
		if code != 1 || !strings.Contains(errw.String(), "permission denied") {
			t.Errorf("unreadable config: exit %d\n%s", code, errw.String())
		}
	}
}

// TestCLIFaultNewerDatabase: a database written by a newer format, or
// lacking a required column of the config (renamed), exits 1 naming the difference and the file,
// and is not changed.
func TestCLIFaultNewerDatabase(t *testing.T) {
	for name, c := range map[string]struct {
		sql  string
		want []string
	}{
		"format": {"UPDATE qb_meta SET value = '7' WHERE key = 'format'", []string{"was written by a newer Quickback Console (format 7", "upgrade qb"}},
		"column": {"ALTER TABLE jobs RENAME COLUMN title TO heading", []string{"does not match the config", "table jobs: new column title is required and the table has rows", "restore the config, or migrate the database by hand"}},
	} {
		t.Run(name, func(t *testing.T) {
			p, db := fcSeeded(t)
			raw, err := sql.Open("sqlite", dbconn.DSN(db, false))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := raw.Exec(c.sql); err != nil {
				t.Fatal(err)
			}
			raw.Close()
			before := fcRead(t, db)
			want := append([]string{"qb: database " + db}, c.want...)
			fcExpect(t, p, 1, want, "list", "jobs", "--as", "u-rachel", "--db", db)
			fcExpect(t, p, 1, want, "seed", "--db", db)
			fcExpect(t, p, 1, want, "--db", db, "--read-only")
			if fcRead(t, db) != before {
				t.Error("the database was modified")
			}
		})
	}
}

// TestCLIExtraColumnIgnored (issue 15, defect 2): a column of the database
// the config does not name (a config that named it was reloaded, then
// restored) is ignored: reads, writes and the console's start work.
func TestCLIExtraColumnIgnored(t *testing.T) {
	p, db := fcSeeded(t)
	raw, err := sql.Open("sqlite", dbconn.DSN(db, false))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec("ALTER TABLE jobs ADD COLUMN remote INTEGER"); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	fcExpect(t, p, 0, nil, "list", "jobs", "--as", "u-rachel", "--db", db)
	fcExpect(t, p, 0, nil, "update", "jobs", "j-firmware", "--as", "u-dana", "--data", `{"title":"Firmware lead"}`, "--db", db)
	fcExpect(t, p, 0, nil, "seed", "--db", db)
}

// TestHelperCLILocker is not a test: the lock holder testkit.HoldLock runs.
func TestHelperCLILocker(t *testing.T) { testkit.ServeLocker(t) }

// fcLock starts a second process holding the database's write lock and
// returns the function that releases it.
func fcLock(t *testing.T, path string) func() {
	t.Helper()
	return testkit.HoldLock(t, "TestHelperCLILocker", path, "")
}

// TestCLIFaultLocked: with another process holding the write lock, a write
// exits 1 after the busy timeout naming the file and what to do, and
// changes nothing; a read is answered but, its audit entry kept out of the
// log, exits 1 saying so. Once the lock is released everything works and
// the audit chain verifies.
func TestCLIFaultLocked(t *testing.T) {
	openBusyTimeout = 200 * time.Millisecond
	t.Cleanup(func() { openBusyTimeout = 0 })
	p, db := fcSeeded(t)
	release := fcLock(t, db)
	locked := []string{"qb: database " + db + " is locked by another writer (waited 200 ms)", "try again when it finishes"}
	fcExpect(t, p, 1, append(locked, "1 audit entries of this session are not in the log yet"), "update", "candidates", "c-tomas", "--as", "u-rachel", "--db", db, "--data", `{"name":"Locked Out"}`)
	out, _ := fcExpect(t, p, 1, append(locked, "1 audit entries of this session are not in the log yet"), "get", "candidates", "c-tomas", "--as", "u-rachel", "--db", db, "--json")
	if !strings.Contains(out, `"row"`) {
		t.Errorf("the read under the lock printed %q", out)
	}
	release()
	out, _ = fcExpect(t, p, 0, nil, "get", "candidates", "c-tomas", "--as", "u-rachel", "--db", db, "--json")
	if strings.Contains(out, "Locked Out") {
		t.Error("the write refused under the lock was applied")
	}
	fcExpect(t, p, 0, nil, "update", "candidates", "c-tomas", "--as", "u-rachel", "--db", db, "--data", `{"name":"After"}`)
	out, _ = fcExpect(t, p, 0, nil, "audit", "--verify", "--db", db)
	if !strings.Contains(out, "audit log verified") {
		t.Errorf("audit --verify: %s", out)
	}
}
