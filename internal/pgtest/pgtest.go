// Package pgtest gives tests a PostgreSQL server without a network: a
// throwaway cluster per test binary, started on first use in a temporary
// directory (initdb, then pg_ctl with a Unix socket only and fsync off) and
// stopped when the binary ends (Main), or the server QB_PG_DSN names. Each
// test gets a schema of its own (Schema), dropped when it ends. When neither
// an initdb nor QB_PG_DSN can be found, the tests that need PostgreSQL skip
// with a message that says how to run them. Only tests import it.
package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
)

// EnvDSN names an external server to use instead of a throwaway cluster:
// a postgres:// URL of a database the tests may create schemas in.
const EnvDSN = "QB_PG_DSN"

// TB is what the package needs of *testing.T, *testing.B and *rapid.T.
type TB interface {
	Helper()
	Skip(args ...any)
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// Server is a PostgreSQL server the tests create schemas in.
type Server struct {
	// base is the postgres:// URL of the database schemas are made in.
	base  string
	admin *sql.DB
	// cluster is the throwaway cluster's directory ("" for QB_PG_DSN).
	cluster string
	pgCtl   string
	owner   *user.User // the user the cluster runs as (nil: this one)
}

var (
	once    sync.Once
	srv     *Server
	srvErr  error
	skipWhy string
	schemas atomic.Int64
)

// Main runs the tests (m.Run) and then stops the cluster if a test started
// one: `func TestMain(m *testing.M) { os.Exit(pgtest.Main(m.Run)) }`.
func Main(run func() int) int {
	code := run()
	Stop()
	return code
}

// Stop stops the throwaway cluster (if one was started) and removes it.
func Stop() {
	if srv == nil {
		return
	}
	if srv.admin != nil {
		srv.admin.Close()
	}
	if srv.cluster != "" {
		stopCluster(srv.pgCtl, srv.cluster, srv.owner)
		os.RemoveAll(srv.cluster)
	}
	srv = nil
}

// Get returns the server, starting the cluster on the first call; it skips
// t (with the reason) when no PostgreSQL is available and fails it when
// one is and does not start.
func Get(t TB) *Server {
	t.Helper()
	if testing.Short() && os.Getenv(EnvDSN) == "" {
		// The edit loop (go test -short) stays quick: a cluster's start
		// and the PostgreSQL suites are the full suite's.
		t.Skip("PostgreSQL tests run in the full suite (go test ./...), or under -short with " + EnvDSN + " set")
	}
	once.Do(func() { srv, skipWhy, srvErr = start() })
	switch {
	case skipWhy != "":
		t.Skip(skipWhy)
	case srvErr != nil:
		t.Fatalf("PostgreSQL: %v", srvErr)
	}
	return srv
}

// Available says whether Get would find a server, without starting one:
// "" when it would, else why not.
func Available() string {
	if os.Getenv(EnvDSN) != "" {
		return ""
	}
	if _, err := findBin("initdb"); err != nil {
		return err.Error()
	}
	return ""
}

// Schema is Get(t).Schema(t).
func Schema(t TB) string {
	t.Helper()
	return Get(t).Schema(t)
}

// Schema creates an empty schema and returns the postgres:// URL whose
// connections work in it (search_path); it is dropped, with everything in
// it, when the test ends (after the cleanups registered later, such as an
// engine's Close).
func (s *Server) Schema(t TB) string {
	t.Helper()
	name := fmt.Sprintf("qbt_%d_%d", os.Getpid(), schemas.Add(1))
	if _, err := s.admin.Exec("CREATE SCHEMA " + name); err != nil {
		t.Fatalf("create schema %s: %v", name, err)
	}
	t.Cleanup(func() {
		if _, err := s.admin.Exec("DROP SCHEMA " + name + " CASCADE"); err != nil {
			t.Fatalf("drop schema %s: %v", name, err)
		}
	})
	return s.WithSchema(name)
}

// Template creates a database for the binary's lifetime and returns its
// URL: fill it once, then Clone it for each test (much faster than
// filling a schema per test). Close every connection to it first.
func (s *Server) Template(t TB) string {
	t.Helper()
	name := fmt.Sprintf("qbtpl_%d_%d", os.Getpid(), schemas.Add(1))
	if _, err := s.admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	return s.withDatabase(name)
}

// Clone creates a copy of the template database (Template's URL) for this
// test, dropped when it ends, and returns its URL.
func (s *Server) Clone(t TB, template string) string {
	t.Helper()
	u, err := url.Parse(template)
	if err != nil {
		t.Fatalf("template URL: %v", err)
	}
	tpl := strings.TrimPrefix(u.Path, "/")
	name := fmt.Sprintf("qbt_%d_%d", os.Getpid(), schemas.Add(1))
	if _, err := s.admin.Exec("CREATE DATABASE " + name + " TEMPLATE " + tpl + " STRATEGY FILE_COPY"); err != nil {
		t.Fatalf("create database %s from %s: %v", name, tpl, err)
	}
	t.Cleanup(func() {
		if _, err := s.admin.Exec("DROP DATABASE " + name + " WITH (FORCE)"); err != nil {
			t.Fatalf("drop database %s: %v", name, err)
		}
	})
	return s.withDatabase(name)
}

// withDatabase is the server's URL on database name.
func (s *Server) withDatabase(name string) string {
	u, _ := url.Parse(s.base)
	u.Path = "/" + name
	return u.String()
}

// WithSchema is the server's URL working in schema name.
func (s *Server) WithSchema(name string) string {
	u, _ := url.Parse(s.base)
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
}

// Admin is a connection pool on the server's database (the public schema),
// for creating and inspecting schemas.
func (s *Server) Admin() *sql.DB { return s.admin }

// URL is the server's database URL (without a schema).
func (s *Server) URL() string { return s.base }

// start finds or starts the server; skip is set instead when there is none.
func start() (s *Server, skip string, err error) {
	if dsn := os.Getenv(EnvDSN); dsn != "" {
		if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
			return nil, "", fmt.Errorf("%s must be a postgres:// URL, not %q", EnvDSN, dsn)
		}
		s = &Server{base: dsn}
		return s, "", s.connect()
	}
	initdb, err := findBin("initdb")
	if err != nil {
		return nil, err.Error(), nil
	}
	pgCtl := filepath.Join(filepath.Dir(initdb), "pg_ctl")
	if _, err := os.Stat(pgCtl); err != nil {
		return nil, "", fmt.Errorf("initdb is %s but %s is missing", initdb, pgCtl)
	}
	reapStale()
	s = &Server{pgCtl: pgCtl}
	if os.Geteuid() == 0 {
		// initdb refuses to run as root: the cluster is an unprivileged
		// user's.
		for _, name := range []string{"postgres", "nobody"} {
			if u, err := user.Lookup(name); err == nil {
				s.owner = u
				break
			}
		}
		if s.owner == nil {
			return nil, "", errors.New("running as root and neither a postgres nor a nobody user exists to own the cluster")
		}
	}
	dir, err := os.MkdirTemp("", "qb-pgtest-")
	if err != nil {
		return nil, "", err
	}
	s.cluster = dir
	if err := os.WriteFile(filepath.Join(dir, "owner.pid"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return nil, "", err
	}
	if err := s.chown(dir); err != nil {
		return nil, "", err
	}
	data := filepath.Join(dir, "data")
	if out, err := s.run(initdb, "-D", data, "-U", "qb", "--auth=trust", "--locale=C.UTF-8", "-E", "UTF8", "-N"); err != nil {
		os.RemoveAll(dir)
		return nil, "", fmt.Errorf("initdb: %v\n%s", err, out)
	}
	opts := fmt.Sprintf("-c listen_addresses='' -k %s -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=32MB -c max_parallel_workers_per_gather=0 -c max_connections=200", dir)
	if out, err := s.run(pgCtl, "-D", data, "-l", filepath.Join(dir, "server.log"), "-w", "-t", "60", "-o", opts, "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
		os.RemoveAll(dir)
		return nil, "", fmt.Errorf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
	s.base = "postgres://qb@/postgres?" + url.Values{"host": {dir}, "sslmode": {"disable"}}.Encode()
	if err := s.connect(); err != nil {
		stopCluster(pgCtl, dir, s.owner)
		os.RemoveAll(dir)
		return nil, "", err
	}
	return s, "", nil
}

func (s *Server) connect() error {
	db, err := sql.Open("pgx", s.base)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return fmt.Errorf("connect to %s: %w", redact(s.base), err)
	}
	s.admin = db
	return nil
}

// redact is a URL without its password.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(an unparsable URL)"
	}
	return u.Redacted()
}

// run runs a PostgreSQL program as the cluster's owner.
func (s *Server) run(name string, args ...string) ([]byte, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8")
	if s.owner != nil {
		uid, _ := strconv.Atoi(s.owner.Uid)
		gid, _ := strconv.Atoi(s.owner.Gid)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
		cmd.Dir = s.cluster
		cmd.Env = append(cmd.Env, "HOME="+s.cluster)
	}
	return cmd.CombinedOutput()
}

func (s *Server) chown(path string) error {
	if s.owner == nil {
		return nil
	}
	uid, _ := strconv.Atoi(s.owner.Uid)
	gid, _ := strconv.Atoi(s.owner.Gid)
	return os.Chown(path, uid, gid)
}

func stopCluster(pgCtl, dir string, owner *user.User) {
	s := &Server{cluster: dir, owner: owner}
	s.run(pgCtl, "-D", filepath.Join(dir, "data"), "-m", "immediate", "-w", "stop")
}

// reapStale stops and removes the clusters of test binaries that died
// without stopping theirs (killed by a timeout, say).
func reapStale() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "qb-pgtest-*"))
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, "owner.pid"))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 0 || !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
			continue // its binary is still running (or the file is not ours)
		}
		fi, err := os.Stat(dir)
		if err != nil {
			continue
		}
		var owner *user.User
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && os.Geteuid() == 0 {
			owner, _ = user.LookupId(strconv.Itoa(int(st.Uid)))
		}
		if initdb, err := findBin("initdb"); err == nil {
			stopCluster(filepath.Join(filepath.Dir(initdb), "pg_ctl"), dir, owner)
		}
		os.RemoveAll(dir)
	}
}

// findBin finds a PostgreSQL program on PATH or where Debian installs it
// (/usr/lib/postgresql/VERSION/bin, the newest version first).
func findBin(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("PostgreSQL is not installed (no %s on PATH or in /usr/lib/postgresql/*/bin): install it (apt-get install postgresql) or set %s to a postgres:// URL to run the PostgreSQL tests", name, EnvDSN)
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}
