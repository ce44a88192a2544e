// Package engine is the embedded policy engine: it compiles a schema.Config
// into SQL predicates and enforces firewall, access, guards, masking and
// actions against a SQLite database. It has no terminal code.
package engine

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	"quickback.dev/qb/internal/dbconn"
	"quickback.dev/qb/schema"

	"modernc.org/sqlite" // the pure-Go SQLite driver
)

func init() {
	sqlite.MustRegisterDeterministicScalarFunction("qb_contains", 2, qbContains)
}

// qbContains is the SQL function qb_contains(haystack, needle): 1 when the
// haystack contains the needle ignoring case (Unicode lower-casing), 0
// otherwise, NULL for a NULL haystack.
func qbContains(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	text := func(v driver.Value) (string, bool) {
		switch x := v.(type) {
		case string:
			return x, true
		case []byte:
			return string(x), true
		case nil:
			return "", false
		}
		return fmt.Sprint(v), true
	}
	h, ok := text(args[0])
	if !ok {
		return nil, nil
	}
	n, _ := text(args[1])
	if strings.Contains(strings.ToLower(h), strings.ToLower(n)) {
		return int64(1), nil
	}
	return int64(0), nil
}

// maxIdleConns is how many idle connections the pool keeps open (more than
// a process uses at once: the console's few concurrent requests).
const maxIdleConns = 64

// store is an open SQLite database laid out for a config.
type store struct {
	db       *sql.DB
	path     string
	cfg      *schema.Config
	readOnly bool
	// roReason says why the store is read-only ("" when it is not, or
	// when the caller asked for it without a reason).
	roReason string
	// busyMS is the busy timeout the connections were opened with.
	busyMS int
	// auditV2 is set when qb_audit has the columns of format 2 (a
	// read-only database of format 1 lacks them).
	auditV2 bool
	// auditKnown: auditV2 was set from the layout record (layoutCurrent).
	auditKnown bool
	// search holds the search indexes by table SQL name: the columns each
	// covers (search.go); replaced whole when an index is built.
	search atomic.Pointer[map[string][]string]
	// adopted: qb did not create the database (adopt.go); it never
	// changes the config's tables there.
	adopted bool
	// ids is where the identities are (idsource.go).
	ids identitySource
	// createdTables are the config tables opening created in an adopted
	// database (Options.CreateTables).
	createdTables []string
	// native are the config columns an adopted PostgreSQL database keeps
	// in its own types rather than text (pgvalues.go): they sort as
	// themselves, not as bytes. Set once while opening.
	native map[*schema.Column]bool
	// byteOrdered are the config's text columns the database keeps in
	// byte order already (dialect.byteOrdered); set once while opening.
	// A column missing from it is sorted with the dialect's sortKey.
	byteOrdered map[*schema.Column]bool
	// d is the database's dialect.
	d dialect
}

// ReadOnlyReason reports whether the database file at path must be opened
// read-only, and why: the operator marked it read-only (no write permission
// bit for anyone, which is honoured even for root, who the kernel would let
// write), or the operating system refuses to let this process write the
// file or create the journal files (-wal, -shm) next to it. A file that
// does not exist is not read-only ("").
func ReadOnlyReason(path string) string {
	fi, err := os.Stat(path)
	if err != nil || fi.IsDir() {
		return ""
	}
	if fi.Mode().Perm()&0o222 == 0 {
		return fmt.Sprintf("the file's permissions allow no writes (mode %04o)", fi.Mode().Perm())
	}
	if err := canWrite(path, false); err != nil {
		return "this user may not write the file (" + err.Error() + ")"
	}
	dir := filepath.Dir(path)
	if err := canWrite(dir, true); err != nil {
		return "this user may not create files in its directory " + dir + " (" + err.Error() + ")"
	}
	return ""
}

// ReadOnlyError refuses a write to a store opened read-only.
type ReadOnlyError struct {
	Path, Reason string
}

func (e *ReadOnlyError) Error() string {
	why := ""
	if e.Reason != "" {
		why = " (" + e.Reason + ")"
	}
	return fmt.Sprintf("database %s is open read-only%s: writes are refused; make it writable (chmod u+w %s) and open it again, or work on a copy", e.Path, why, e.Path)
}

// writable is nil for a writable store and a *ReadOnlyError otherwise.
func (s *store) writable() error {
	if !s.readOnly {
		return nil
	}
	return &ReadOnlyError{Path: s.path, Reason: s.roReason}
}

// sqliteMagic opens every SQLite database file.
const sqliteMagic = "SQLite format 3\x00"

// checkFile refuses, before SQLite touches it, a file that is not a SQLite
// database or is shorter than its header says (truncated): SQLite would
// otherwise fail later, half-way through a query, or write to it.
func checkFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if fi, serr := os.Stat(path); serr == nil && fi.Mode().Perm()&0o444 == 0 {
			return fmt.Errorf("database %s cannot be read (%v); fix its permissions (chmod u+r %s)", path, err, path)
		}
		return fmt.Errorf("database %s cannot be opened (%v); check the path and its permissions", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("database %s: %w", path, err)
	}
	if fi.IsDir() {
		return fmt.Errorf("database %s is a directory, not a database file; pass the file with --db FILE", path)
	}
	size := fi.Size()
	if size == 0 {
		return nil // SQLite treats an empty file as an empty database
	}
	var h [100]byte
	n, err := io.ReadFull(f, h[:])
	notDB := fmt.Errorf("database %s is not a SQLite database (it does not start with the SQLite header); check --db and the config's database path, or restore it from a backup", path)
	if err != nil || n < len(h) || string(h[:16]) != sqliteMagic {
		return notDB
	}
	pageSize := int64(binary.BigEndian.Uint16(h[16:18]))
	if pageSize == 1 {
		pageSize = 65536
	}
	if pageSize < 512 || pageSize&(pageSize-1) != 0 {
		return notDB
	}
	// The page count in the header is valid when its version matches the
	// change counter (SQLite 3.7.0 and later).
	// A write-ahead log that is not empty may hold pages a checkpoint was
	// copying when the process died; SQLite recovers from it, so the sizes
	// are only compared without one.
	if wi, err := os.Stat(path + "-wal"); err == nil && wi.Size() > 0 {
		return nil
	}
	pages := int64(binary.BigEndian.Uint32(h[28:32]))
	if pages > 0 && binary.BigEndian.Uint32(h[92:96]) == binary.BigEndian.Uint32(h[24:28]) && size < pages*pageSize {
		return fmt.Errorf("database %s is truncated (%d of %d bytes) or corrupt; restore it from a backup, or start over with `qb seed --reset` on a new file", path, size, pages*pageSize)
	}
	if size%pageSize != 0 {
		return fmt.Errorf("database %s is truncated or corrupt (%d bytes is not a whole number of %d-byte pages); restore it from a backup", path, size, pageSize)
	}
	return nil
}

// openStore opens (or creates) the database at path and brings its tables in
// line with the config: missing tables and nullable columns are added; any
// change that cannot be applied safely is refused with the difference named.
// A file that is not a database, or is truncated, is refused untouched.
func openStore(cfg *schema.Config, path string, opts Options) (*store, error) {
	if dbconn.IsPostgres(path) {
		return openPostgresStore(cfg, path, opts)
	}
	if opts.ReadOnly {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("database %s: %w", path, err)
		}
	}
	if err := checkFile(path); err != nil {
		return nil, err
	}
	busy := opts.busyMS()
	db, err := sql.Open("sqlite", dbconn.SQLiteDSN(path, opts.ReadOnly, busy))
	if err != nil {
		return nil, fmt.Errorf("database %s: %w", path, err)
	}
	// Idle connections are kept, not closed: the audit path keeps its
	// statements prepared on them (auditconn.go).
	db.SetMaxIdleConns(maxIdleConns)
	s := &store{db: db, path: path, cfg: cfg, readOnly: opts.ReadOnly, roReason: opts.ReadOnlyReason, busyMS: busy, d: sqliteDialect{}}
	if err := s.ping(); err != nil {
		db.Close()
		// Read-only in a directory this user may not write, a WAL database
		// cannot create its -shm file. Without a -wal file there is nothing
		// beyond the main file to read, so it is opened as immutable.
		_, walErr := os.Stat(path + "-wal")
		if !opts.ReadOnly || !errors.Is(walErr, os.ErrNotExist) || canWrite(filepath.Dir(path), true) == nil {
			return nil, err
		}
		if s.db, err = sql.Open("sqlite", dbconn.SQLiteDSN(path, true, busy)+"&immutable=1"); err != nil {
			return nil, fmt.Errorf("database %s: %w", path, err)
		}
		if err := s.ping(); err != nil {
			s.db.Close()
			return nil, err
		}
	}
	return s.open(opts)
}

// open brings the open database in line with the config (or, read-only,
// checks it) and reads the audit log's format.
func (s *store) open(opts Options) (*store, error) {
	if !opts.ReadOnly {
		if err := s.migrate(context.Background(), opts.CreateTables); err != nil {
			s.db.Close()
			return nil, err
		}
	} else if err := s.checkLayout(context.Background()); err != nil {
		s.db.Close()
		return nil, err
	}
	if err := s.readAuditFormat(context.Background()); err != nil {
		s.db.Close()
		return nil, err
	}
	return s, nil
}

// ping checks that the database answers and is one of its dialect's.
func (s *store) ping() error { return s.d.ping(s.db, s.path, s.busyTimeout()) }

// Q quotes an SQL identifier. Identifiers come only from a validated config.
func Q(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

// wrapErr says a database error as messages show it: classified (a lock,
// a read-only or unreadable database) by the dialect, naming the database.
func (s *store) wrapErr(err error) error {
	var said saidErr
	if err == nil || errors.As(err, &said) {
		return err
	}
	return saidErr{s.d.wrapErr(s.path, s.busyTimeout(), err)}
}

// saidErr is a database error wrapErr has said already: a caller further
// up that wraps what it got again leaves it as it is, so the message names
// the database once.
type saidErr struct{ error }

func (e saidErr) Unwrap() error { return e.error }

// isBusy reports whether err is SQLite's "another connection holds the lock".
func isBusy(err error) bool {
	if err == nil {
		return false
	}
	switch pgState(err) {
	case "55P03", "40001", "40P01":
		return true
	}
	if errors.Is(err, errPGLockBusy) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "SQLITE_BUSY") || strings.Contains(msg, "database is locked")
}

func (s *store) busyTimeout() int {
	if s.busyMS > 0 {
		return s.busyMS
	}
	return dbconn.BusyTimeoutMS
}

var errNoRows = sql.ErrNoRows

func isNoRows(err error) bool { return errors.Is(err, errNoRows) }
