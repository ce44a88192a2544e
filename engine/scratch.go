package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"quickback.dev/qb/engine/seed"
	"quickback.dev/qb/internal/dbconn"
	"quickback.dev/qb/schema"
)

// Scratch hands out throwaway copies of one snapshot of a database, for
// running operations whose effects must not reach it (`qb test`, SPEC §10):
// each copy is opened as an engine of its own, with its own audit log (the
// snapshot's log, continued in the copy) and no witness file, and every
// copy is removed with the Scratch. The database itself is never opened
// as the engine's: it is neither migrated nor audited nor witnessed.
type Scratch struct {
	cfg    *schema.Config
	copies scratchCopies

	// mu serialises making a copy with Close (a signal handler's): a copy
	// is never created in a directory being removed.
	mu     sync.Mutex
	n      int
	closed bool
}

// scratchCopies makes and removes the copies of one snapshot: files beside
// a SQLite database's snapshot (fileCopies), or databases of a PostgreSQL
// server (pgScratch, pgscratch.go).
type scratchCopies interface {
	// copy makes copy n of the snapshot and returns its --db name.
	copy(ctx context.Context, n int) (string, error)
	// discard removes the copy named db, whose engine is closed (a name
	// that is not one of its copies is left alone).
	discard(db string)
	// close removes the snapshot and every copy.
	close() error
}

// fileCopies are copies of a SQLite database's snapshot, files in a
// temporary directory of their own.
type fileCopies struct {
	dir string
	// template is the snapshot every copy starts from.
	template string
}

// NewScratch snapshots the database at src into a new temporary directory
// under tmp ("" for the system's). The snapshot is consistent (SQLite's
// VACUUM INTO on a read-only connection: src is not written, and another
// process may be writing it meanwhile). When src does not exist, the
// snapshot is a new database laid out for cfg and seeded with data (nil:
// left empty), as opening the project for the first time would create it.
func NewScratch(ctx context.Context, cfg *schema.Config, src, tmp string, data *seed.Data) (*Scratch, error) {
	if dbconn.IsPostgres(src) {
		pg, err := newPGScratch(ctx, src)
		if err != nil {
			return nil, err
		}
		return &Scratch{cfg: cfg, copies: pg}, nil
	}
	dir, err := os.MkdirTemp(tmp, "qb-scratch-")
	if err != nil {
		return nil, fmt.Errorf("cannot create a scratch directory: %w", err)
	}
	f := &fileCopies{dir: dir, template: filepath.Join(dir, "snapshot.db")}
	if err := f.snapshot(ctx, cfg, src, data); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return &Scratch{cfg: cfg, copies: f}, nil
}

func (s *fileCopies) snapshot(ctx context.Context, cfg *schema.Config, src string, data *seed.Data) error {
	if _, err := os.Stat(src); errors.Is(err, os.ErrNotExist) {
		e, err := open(cfg, s.template, Options{}, "")
		if err != nil {
			return err
		}
		if data != nil {
			if _, err := e.Seed(ctx, data, false); err != nil {
				e.Close()
				return err
			}
		}
		return e.Close()
	}
	if err := checkFile(src); err != nil {
		return err
	}
	// A read-only connection to a WAL database leaves its -wal and -shm
	// files behind (it may not remove them); a plain connection that only
	// reads, closing last, removes them and leaves the file's bytes as
	// they were (unless a crashed writer left committed pages in the -wal:
	// SQLite then checkpoints them, as any open would). Read-only only
	// when the file may not be written.
	conn := "file:" + src + "?" + url.Values{"_pragma": {fmt.Sprintf("busy_timeout(%d)", dbconn.BusyTimeoutMS)}}.Encode()
	if ReadOnlyReason(src) != "" {
		conn = dbconn.SQLiteDSN(src, true, dbconn.BusyTimeoutMS)
	}
	db, err := sql.Open("sqlite", conn)
	if err != nil {
		return fmt.Errorf("database %s: %w", src, err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", s.template); err != nil {
		return fmt.Errorf("cannot copy %w", sqliteDialect{}.wrapErr(src, dbconn.BusyTimeoutMS, err))
	}
	return nil
}

// Open opens a fresh copy of the snapshot, brought in line with the config
// as Open would. Close the engine when done; the copy's file stays until
// the Scratch is closed.
func (s *Scratch) Open(opts Options) (*Engine, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errors.New("the scratch copies were removed")
	}
	s.n++
	db, err := s.copies.copy(context.Background(), s.n)
	if err != nil {
		return nil, err
	}
	opts.ReadOnly, opts.ReadOnlyReason = false, ""
	return open(s.cfg, db, opts, "")
}

// Discard removes a copy whose engine is closed (Close removes every copy
// at the end anyway; a long run frees space as it goes).
func (s *Scratch) Discard(e *Engine) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.copies.discard(e.Path())
}

// Close removes the snapshot and every copy; no copy is made after it.
func (s *Scratch) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return s.copies.close()
}

func (s *fileCopies) copy(_ context.Context, n int) (string, error) {
	path := filepath.Join(s.dir, "copy-"+strconv.Itoa(n)+".db")
	if err := copyFile(s.template, path); err != nil {
		return "", err
	}
	return path, nil
}

// discard removes the copy's file and the -wal and -shm its engine left.
func (s *fileCopies) discard(p string) {
	if filepath.Dir(p) != s.dir {
		return
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(p + suffix)
	}
}

// close removes the directory. A copy's engine still open may create a
// file of its own meanwhile (a connection's -wal or -shm, when a signal
// handler closes the Scratch under a running test): the removal is
// repeated until the directory is gone.
func (s *fileCopies) close() error {
	var err error
	for range 20 {
		if err = os.RemoveAll(s.dir); err == nil {
			if _, serr := os.Stat(s.dir); errors.Is(serr, os.ErrNotExist) {
				return nil
			}
		}
		time.Sleep(time.Millisecond)
	}
	return err
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return fmt.Errorf("cannot copy the scratch snapshot: %w", err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("cannot copy the scratch snapshot: %w", err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("cannot copy the scratch snapshot: %w", err)
	}
	return out.Close()
}
