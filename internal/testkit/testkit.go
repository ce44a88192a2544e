// Package testkit is support for tests that run qb as real processes: it
// finds the module, builds the qb binary, and holds a database's write lock
// from a second process. Only tests import it.
package testkit

import (
	"bufio"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/dbconn"
)

// TB is what ModuleRoot needs of a test (*testing.T, *testing.B, *rapid.T).
type TB interface {
	Helper()
	Fatal(args ...any)
}

// ModuleRoot is the nearest directory above the working directory that
// holds go.mod.
func ModuleRoot(t TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		up := filepath.Dir(dir)
		if up == dir {
			t.Fatal("go.mod not found above the working directory")
		}
		dir = up
	}
}

// BuildQB builds the qb command into a temporary directory and returns its
// path; QB_TEST_BIN names a prebuilt binary instead.
func BuildQB(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("QB_TEST_BIN"); p != "" {
		return p
	}
	bin := filepath.Join(t.TempDir(), "qb")
	cmd := exec.Command("go", "build", "-o", bin, "quickback.dev/qb")
	cmd.Dir = ModuleRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// BuildQBImport builds the qb-import program (cmd/qb-import) into dir,
// where `qb import` finds it beside a qb built there, and returns its path.
func BuildQBImport(t testing.TB, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "qb-import")
	cmd := exec.Command("go", "build", "-o", bin, "quickback.dev/qb/cmd/qb-import")
	cmd.Dir = ModuleRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build qb-import: %v\n%s", err, out)
	}
	return bin
}

// CopyTree copies the directory src into dst (created).
func CopyTree(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// lockerDB and lockerSQL carry the lock holder's arguments to the child.
const (
	lockerDB  = "QB_TESTKIT_LOCKER_DB"
	lockerSQL = "QB_TESTKIT_LOCKER_SQL"
)

// ServeLocker is the body of a test package's lock-holder helper:
//
//	func TestHelperLocker(t *testing.T) { testkit.ServeLocker(t) }
//
// Run as a child process by HoldLock, it takes the write lock of the
// database it is given, runs the given statement without committing it,
// prints "locked" and holds the lock until its standard input closes. In a
// normal test run it skips.
func ServeLocker(t *testing.T) {
	path := os.Getenv(lockerDB)
	if path == "" {
		t.Skip("a helper process, run by the lock tests")
	}
	ctx := context.Background()
	db, err := sql.Open("sqlite", dbconn.DSN(path, false))
	var conn *sql.Conn
	if err == nil {
		conn, err = db.Conn(ctx)
	}
	if err == nil {
		_, err = conn.ExecContext(ctx, "BEGIN IMMEDIATE")
	}
	if s := os.Getenv(lockerSQL); err == nil && s != "" {
		_, err = conn.ExecContext(ctx, s)
	}
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(3)
	}
	fmt.Println("locked")
	_, _ = io.Copy(io.Discard, os.Stdin)
	_, _ = conn.ExecContext(ctx, "ROLLBACK")
	conn.Close()
	db.Close()
	os.Exit(0)
}

// HoldLock starts the test binary again as helper (a test whose body is
// ServeLocker) holding the write lock of the database at path, with stmt
// (may be empty) run uncommitted inside it. It returns once the lock is
// held; release (also run at cleanup) lets go and waits for the process.
func HoldLock(t testing.TB, helper, path, stmt string) (release func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+helper+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), lockerDB+"="+path, lockerSQL+"="+stmt)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- strings.TrimSpace(s)
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case s := <-line:
		if s != "locked" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("the locker did not take the lock: %q", s)
		}
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal("the locker did not start")
	}
	done := false
	release = func() {
		if done {
			return
		}
		done = true
		stdin.Close()
		errc := make(chan error, 1)
		go func() { errc <- cmd.Wait() }()
		select {
		case err := <-errc:
			if err != nil {
				t.Errorf("locker: %v", err)
			}
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-errc
			t.Error("the locker did not exit")
		}
	}
	t.Cleanup(release)
	return release
}

// isolatedWitness marks a witness directory IsolateWitness made, so that a
// test binary started by a test (a helper process) keeps its parent's.
const isolatedWitness = "QB_TESTKIT_WITNESS_DIR"

// IsolateWitness points engine.WitnessDirEnv at a fresh temporary directory
// for the rest of the test binary and the processes it starts (qb, helper
// processes, which keep it), so that no test records audit heads in the
// user's state directory. Call it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(testkit.IsolateWitness(m.Run)) }
func IsolateWitness(run func() int) int {
	if dir := os.Getenv(isolatedWitness); dir != "" && dir == os.Getenv(engine.WitnessDirEnv) {
		return run() // a helper process of a test: its parent's directory
	}
	dir, err := os.MkdirTemp("", "qb-witness-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "testkit:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	os.Setenv(engine.WitnessDirEnv, dir)
	os.Setenv(isolatedWitness, dir)
	return run()
}

// PublishedAuditHash is an audit entry's hash computed from the formula as
// the engine documents it (engine.entryHash), written again here so that
// tests check the documentation, and play the attacker who knows it:
// sha256(prev + "\n" + json(content)), content by the entry's HashVersion.
func PublishedAuditHash(prev string, e engine.AuditEntry) string {
	var content []any
	if e.HashVersion >= 2 {
		content = []any{"qb-audit-v2", e.Seq, e.At, e.OSUser, e.UserID, e.OrgID, e.Role, e.RealRole, e.Operation, e.Table, e.RecordID, e.Outcome, e.Fields, e.Reason}
	} else {
		content = []any{e.Seq, e.At, e.OSUser, e.UserID, e.OrgID, e.Role, e.Operation, e.Table, e.RecordID, e.Outcome, e.Fields}
	}
	b, _ := json.Marshal(content)
	sum := sha256.Sum256(append([]byte(prev+"\n"), b...))
	return hex.EncodeToString(sum[:])
}

// RehashAudit does what an attacker who edited audit entries does to keep
// the chain consistent: from entry from on, it recomputes every hash (and
// previous hash) in db with the published formula.
func RehashAudit(t testing.TB, db *sql.DB, from int64) {
	t.Helper()
	rows, err := db.Query(`SELECT seq, at, os_user, user_id, org_id, role, real_role, operation, table_name, record_id, outcome, fields, reason, hash_version FROM qb_audit WHERE seq >= ? ORDER BY seq`, from)
	if err != nil {
		t.Fatal(err)
	}
	var ents []engine.AuditEntry
	for rows.Next() {
		var e engine.AuditEntry
		var fields string
		if err := rows.Scan(&e.Seq, &e.At, &e.OSUser, &e.UserID, &e.OrgID, &e.Role, &e.RealRole, &e.Operation, &e.Table, &e.RecordID, &e.Outcome, &fields, &e.Reason, &e.HashVersion); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(fields), &e.Fields); err != nil {
			t.Fatal(err)
		}
		ents = append(ents, e)
	}
	rows.Close()
	prev := engine.GenesisHash
	if err := db.QueryRow("SELECT hash FROM qb_audit WHERE seq = ?", from-1).Scan(&prev); err != nil && from > 1 {
		t.Fatal(err)
	}
	for _, e := range ents {
		h := PublishedAuditHash(prev, e)
		if _, err := db.Exec("UPDATE qb_audit SET prev_hash = ?, hash = ? WHERE seq = ?", prev, h, e.Seq); err != nil {
			t.Fatal(err)
		}
		prev = h
	}
}
