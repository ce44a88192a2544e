package engine

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"fmt"
	"strings"
	"sync"
	"time"

	"quickback.dev/qb/schema"
)

// Identity is the context an operation runs as (SPEC §2).
type Identity struct {
	UserID   string `json:"userId"`
	OrgID    string `json:"orgId"`
	Role     string `json:"role"`
	UserRole string `json:"userRole"`
	Email    string `json:"email"`
	// Name is the user's display name (not part of the policy context).
	Name string `json:"name,omitempty"`
	// Anonymous is a caller with no identity (PUBLIC access).
	Anonymous bool `json:"anonymous,omitempty"`
	// Synthetic is "any user of role R in organization O".
	Synthetic bool `json:"synthetic,omitempty"`
}

// CtxValue returns the context field named in a "$ctx.<field>" reference;
// ok is false when the value is missing.
func (id Identity) CtxValue(field string) (string, bool) {
	var v string
	switch field {
	case "userId":
		v = id.UserID
	case "orgId":
		v = id.OrgID
	case "role":
		v = id.Role
	case "userRole":
		v = id.UserRole
	case "email":
		v = id.Email
	}
	return v, v != ""
}

// String is a short label: "dana@acme (hiring-manager)".
func (id Identity) String() string {
	switch {
	case id.Anonymous:
		return "anonymous@" + id.OrgID
	case id.Synthetic:
		return fmt.Sprintf("any %s@%s", id.Role, id.OrgID)
	}
	return fmt.Sprintf("%s@%s (%s)", id.UserID, id.OrgID, id.Role)
}

// Engine enforces a config's policies on one database. Open one with Open;
// it is safe for concurrent use.
type Engine struct {
	store  *store
	cfg    *schema.Config
	osUser string
	clock  func() time.Time

	mu       sync.Mutex
	compiled map[policyKey]*residual

	// stmts caches the prepared statements of reads, writes and the audit
	// append, keyed by their SQL (see stmtCache); shared with the engines
	// Reload derives from this one.
	stmtMu sync.Mutex
	stmts  *stmtCache

	// audit holds the entries another writer's lock kept out of the log
	// (shared with the engines Reload derives from this one).
	audit *auditQueue
}

// Options tune Open.
type Options struct {
	// ReadOnly opens the file without write access and creates nothing.
	ReadOnly bool
	// ReadOnlyReason is why (see ReadOnlyReason); it is shown with the
	// refusal of a write.
	ReadOnlyReason string
	// BusyTimeout is how long a statement waits for another writer's lock
	// before failing; 0 means BusyTimeoutMS.
	BusyTimeout time.Duration
	// Clock is the time written into rows and audit entries; nil means
	// time.Now.
	Clock func() time.Time
	// OSUser is the operator recorded in every audit entry; "" means the
	// operating-system user running this process.
	OSUser string
}

// Open opens (or creates) the database at path — the config's database
// path when path is "" — and brings its tables in line with the config:
// missing tables and nullable columns are added; any change that cannot be
// applied safely is refused with the difference named (*LayoutError). A
// file that is not a database, or is truncated, is refused untouched.
func Open(cfg *schema.Config, path string, opts Options) (*Engine, error) {
	if path == "" {
		path = cfg.DatabasePath()
	}
	st, err := openStore(cfg, path, opts)
	if err != nil {
		return nil, err
	}
	e := &Engine{store: st, cfg: cfg, osUser: opts.OSUser, clock: opts.Clock, compiled: map[policyKey]*residual{}, audit: &auditQueue{},
		stmts: newStmtCache(st.db, maxCachedStmts)}
	if e.osUser == "" {
		e.osUser = currentOSUser()
	}
	if e.clock == nil {
		e.clock = time.Now
	}
	return e, nil
}

// Config is the config the engine enforces.
func (e *Engine) Config() *schema.Config { return e.cfg }

// Path is the database file the engine opened.
func (e *Engine) Path() string { return e.store.path }

// Writable is nil when the database accepts writes and a *ReadOnlyError
// saying why not when it was opened read-only.
func (e *Engine) Writable() error { return e.store.writable() }

// Reload returns an engine for a new config over the same database: it is
// brought in line with cfg (or, read-only, checked against it) exactly as
// opening it would, and a config it cannot apply safely is refused with the
// difference named, leaving e as it was. The new engine shares e's
// connections, clock, audit queue and prepared statements (keyed by their
// SQL, so a statement of the old config is simply never asked for again,
// and evicted) and starts with an empty policy cache; e stays valid for
// requests already in flight. Close only one of them (either closes the
// database).
func (e *Engine) Reload(ctx context.Context, cfg *schema.Config) (*Engine, error) {
	old := e.store
	st := &store{db: old.db, path: old.path, cfg: cfg, readOnly: old.readOnly, roReason: old.roReason, busyMS: old.busyMS}
	var err error
	if st.readOnly {
		err = st.checkLayout(ctx)
	} else {
		err = st.migrate(ctx)
	}
	if err != nil {
		return nil, err
	}
	return &Engine{store: st, cfg: cfg, osUser: e.osUser, clock: e.clock, compiled: map[policyKey]*residual{}, audit: e.audit, stmts: e.stmtCache()}, nil
}

// Close writes the audit entries still pending (waiting up to the busy
// timeout for another writer's lock) and closes the store. It reports the
// entries it could not write.
func (e *Engine) Close() error {
	ferr := e.FlushAudit(context.Background())
	e.stmtCache().close()
	cerr := e.store.db.Close()
	if ferr != nil {
		return ferr
	}
	return cerr
}

func (e *Engine) now() string { return FormatTime(e.clock()) }

var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// freshID returns a fresh time-ordered random id.
func freshID() string {
	var b [15]byte
	ms := uint64(time.Now().UnixMilli())
	for i := 0; i < 6; i++ {
		b[i] = byte(ms >> (40 - 8*i))
	}
	_, _ = rand.Read(b[6:])
	return idEncoding.EncodeToString(b[:])
}

// table resolves a table name for a CRUD operation.
func (e *Engine) table(name string, crud bool) (*schema.Table, error) {
	t := e.cfg.Table(name)
	if t == nil {
		return nil, Errf(NotFound, suggest(map[string]any{"table": name}, name, e.cfg.TableNames()), "unknown table %q", name)
	}
	if crud && t.Internal {
		return nil, Errf(InternalTable, map[string]any{"table": name}, "table %q is internal: it has no CRUD; only actions write to it", name)
	}
	return t, nil
}

// auditQueue keeps, in order, the audit entries of reads and refusals that
// could not be appended because another process held the database's write
// lock past the busy timeout. They are appended, oldest first and chained
// like any other entry, at the start of the next audit transaction of this
// process (a read's, a refusal's or a write's), or by FlushAudit and Close.
type auditQueue struct {
	// appendMu is held, by a goroutine that already holds SQLite's write
	// lock, from reading the queue to dropping what it committed, so two
	// goroutines never append the same pending entry.
	appendMu sync.Mutex
	mu       sync.Mutex // guards the fields below
	pending  []*AuditEntry
	lastErr  error
}

func (q *auditQueue) add(ent *AuditEntry, err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.pending = append(q.pending, ent)
	q.lastErr = err
}

func (q *auditQueue) snapshot() []*AuditEntry {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]*AuditEntry(nil), q.pending...)
}

// drop removes the first n entries, appended by a committed transaction.
func (q *auditQueue) drop(n int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.pending = append(q.pending[:0:0], q.pending[n:]...)
	if len(q.pending) == 0 {
		q.lastErr = nil
	}
}

// PendingAudit is the number of audit entries waiting for another writer's
// lock to be released (0 when the log is complete), and the error that kept
// the last one out.
func (e *Engine) PendingAudit() (int, error) {
	q := e.audit
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.pending), q.lastErr
}

// FlushAudit appends the pending audit entries, waiting up to the busy
// timeout for the write lock. It fails, keeping them, while the lock is
// still held.
func (e *Engine) FlushAudit(ctx context.Context) error {
	if n, _ := e.PendingAudit(); n == 0 || e.store.readOnly {
		return nil
	}
	err := e.appendEntries(ctx, nil, true)
	if err != nil {
		n, _ := e.PendingAudit()
		return fmt.Errorf("%w\n%d audit entries of this session are not in the log yet", err, n)
	}
	return nil
}

// appendEntries appends the pending entries and then ent (when not nil) in
// one short transaction. With wait false it does not wait for another
// writer's lock. On failure ent joins the pending entries.
func (e *Engine) appendEntries(ctx context.Context, ent *AuditEntry, wait bool) (err error) {
	q := e.audit
	defer func() {
		if err != nil && ent != nil {
			q.add(ent, err)
		}
	}()
	var conn *sql.Conn
	var tx *sql.Tx
	if wait {
		tx, err = e.store.db.BeginTx(ctx, nil)
	} else {
		// Try once: a dedicated connection with no busy timeout.
		conn, err = e.store.db.Conn(ctx)
		if err != nil {
			return e.store.wrapErr(err)
		}
		defer func() {
			_, _ = conn.ExecContext(context.Background(), fmt.Sprintf("PRAGMA busy_timeout = %d", e.store.busyTimeout()))
			conn.Close()
		}()
		if _, err = conn.ExecContext(ctx, "PRAGMA busy_timeout = 0"); err == nil {
			tx, err = conn.BeginTx(ctx, nil)
		}
	}
	if err != nil {
		return e.store.wrapErr(err)
	}
	defer tx.Rollback()
	n, err := e.appendPending(ctx, tx)
	if err == nil && ent != nil {
		err = appendAudit(ctx, e.auditTx(tx), ent)
	}
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		q.appendMu.Unlock()
		return e.store.wrapErr(err)
	}
	q.drop(n)
	q.appendMu.Unlock()
	return nil
}

// appendPending appends the pending entries inside tx, which holds the
// write lock, and returns how many; it leaves the queue's appendMu locked
// for the caller to unlock once tx is committed (or abandoned) and the
// committed entries are dropped.
func (e *Engine) appendPending(ctx context.Context, tx *sql.Tx) (int, error) {
	q := e.audit
	q.appendMu.Lock()
	pending := q.snapshot()
	for i, p := range pending {
		if err := appendAudit(ctx, e.auditTx(tx), p); err != nil {
			return i, err
		}
	}
	return len(pending), nil
}

// auditRecord appends the entry for an operation that wrote nothing: a read
// or a refusal, in a short transaction of its own. A read-only store logs
// nothing (it cannot).
//
// When another process holds the write lock past the busy timeout, the
// operation is not failed: its entry is kept pending, in order, and
// appended by the next audit transaction (see auditQueue). While entries
// are pending, further reads try the lock once instead of waiting again, so
// browsing stays responsive under a long lock.
func (e *Engine) auditRecord(ctx context.Context, id Identity, op, table, record string, fields []string, err error) {
	if e.store.readOnly {
		return
	}
	n, _ := e.PendingAudit()
	_ = e.appendEntries(context.WithoutCancel(ctx), e.entry(id, op, table, record, fields, err), n == 0)
}

// auditTx runs appendAudit's statements inside tx through the engine's
// prepared statements (stmtCache) instead of parsing them again for every
// entry: every read appends an entry, so
// this is on the path of every list and get. The statements, the
// transaction and the chain are unchanged.
func (e *Engine) auditTx(tx *sql.Tx) execQuerier { return stmtTx{tx: tx, e: e} }

type stmtTx struct {
	tx *sql.Tx
	e  *Engine
}

func (t stmtTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.e.exec(ctx, t.tx, query, args...)
}

func (t stmtTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return t.e.queryRow(ctx, t.tx, query, args...)
}

func (e *Engine) entry(id Identity, op, table, record string, fields []string, err error) *AuditEntry {
	outcome := "ok"
	if err != nil {
		if ee, ok := AsError(err); ok {
			outcome = string(ee.Code)
		} else {
			outcome = "error"
		}
	}
	user := id.UserID
	if id.Anonymous {
		user = "anonymous"
	}
	return &AuditEntry{At: e.now(), OSUser: e.osUser, UserID: user, OrgID: id.OrgID, Role: id.Role,
		Operation: op, Table: table, RecordID: record, Outcome: outcome, Fields: fields}
}

// systemEntry is an entry by the system (no identity is impersonated): a
// seed or a bulk load. fields may be nil.
func (e *Engine) systemEntry(op, table, record string, fields []string) *AuditEntry {
	return &AuditEntry{At: e.now(), OSUser: e.osUser, UserID: "system", Operation: op, Table: table, RecordID: record, Outcome: "ok", Fields: fields}
}

// writeTx runs fn in a write transaction and appends the audit entry inside
// it; on a refusal the transaction is rolled back and the refusal is logged
// in a transaction of its own. With dryRun the work is rolled back and only
// the attempt is logged.
func (e *Engine) writeTx(ctx context.Context, id Identity, op, table string, dryRun bool, fn func(tx *sql.Tx) (record string, fields []string, err error)) error {
	if e.store.readOnly {
		return e.store.writable()
	}
	tx, err := e.store.db.BeginTx(ctx, nil)
	if err != nil {
		busy := isBusy(err)
		err = e.store.wrapErr(err)
		if busy {
			// Another writer kept the lock past the timeout: the attempt is
			// logged, once the lock is released, with the outcome "error".
			name := op
			if dryRun {
				name += ":dry-run"
			}
			e.audit.add(e.entry(id, name, table, "", nil, err), err)
		}
		return err
	}
	defer tx.Rollback()
	record, fields, err := fn(tx)
	if err != nil {
		tx.Rollback()
		if _, ok := AsError(err); ok {
			e.auditRecord(ctx, id, op, table, record, fields, err)
			return err
		}
		// A failure that is not a refusal is still an operation: it is
		// logged with the outcome "error" (SPEC §3.7).
		busy := isBusy(err)
		err = e.store.wrapErr(err)
		if busy {
			e.audit.add(e.entry(id, op, table, record, fields, err), err)
		} else {
			e.auditRecord(ctx, id, op, table, record, fields, err)
		}
		return err
	}
	if dryRun {
		tx.Rollback()
		e.auditRecord(ctx, id, op+":dry-run", table, record, fields, nil)
		return nil
	}
	// Entries kept out by another writer's lock go first: they happened
	// before this write.
	q := e.audit
	n, err := e.appendPending(ctx, tx)
	defer q.appendMu.Unlock()
	if err != nil {
		return e.store.wrapErr(err)
	}
	if err := appendAudit(ctx, e.auditTx(tx), e.entry(id, op, table, record, fields, nil)); err != nil {
		return e.store.wrapErr(err)
	}
	if err := tx.Commit(); err != nil {
		return e.store.wrapErr(err)
	}
	q.drop(n)
	return nil
}

// sqlCols lists "t"."col" for every column of t.
func sqlCols(t *schema.Table) string {
	parts := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		parts[i] = Q(c.SQLName)
	}
	return strings.Join(parts, ", ")
}
