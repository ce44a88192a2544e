package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"quickback.dev/qb/schema"
)

// Group commit of read entries (SPEC §3.7): a read's entry waits in memory
// at most groupWindow, or until groupMax entries wait, and is then appended
// in one transaction with the others.
const (
	groupWindow = 100 * time.Millisecond
	groupMax    = 256
)

// auditLog is the append side of one database's audit log, shared by an
// engine and the engines Reload derives from it. It holds, in order, the
// entries not in the log yet: read entries waiting for their group commit,
// and entries another writer's lock kept out. They are appended, oldest
// first and chained like any other entry, before the next entry this
// process appends (a read's, a refusal's, a write's, a seed's), by the
// group-commit timer, and by FlushAudit and Close.
//
// Lock order: SQLite's write lock (a transaction begun) or PostgreSQL's
// audit lock (auditLock), then appendMu.
// connMu, held by whoever appends outside a write's transaction, comes
// before both.
type auditLog struct {
	db     *sql.DB
	busyMS int
	window time.Duration // how long a read entry may wait (groupWindow)

	// appendMu is held, by a goroutine that already holds SQLite's write
	// lock, from reading the queue to dropping what it committed, so two
	// goroutines never append the same pending entry.
	appendMu sync.Mutex

	mu      sync.Mutex // guards the fields below
	pending []*AuditEntry
	// inflight is how many of the first pending entries a background
	// group commit (started by the count) is appending; 0 when none is.
	inflight int
	flushed  sync.Cond // signalled when a background group commit ends
	// lockErr is the error that kept the last attempt out of the log
	// (another writer's lock); nil while entries only wait for their
	// group commit.
	lockErr error
	timer   *time.Timer
	armed   bool // the timer will fire
	closed  bool
	reason  string

	// connMu is held by the goroutine appending outside a write's own
	// transaction (appendLocked); prepared holds, per pooled driver
	// connection, the append's statements — BEGIN IMMEDIATE, COMMIT,
	// ROLLBACK, the head read, the insert — prepared once (see driverTx).
	connMu   sync.Mutex
	prepared map[any]*preparedAudit

	witness *witness
}

func newAuditLog(db *sql.DB, busyMS int, window time.Duration, w *witness, reason string) *auditLog {
	if window <= 0 {
		window = groupWindow
	}
	q := &auditLog{db: db, busyMS: busyMS, window: window, witness: w, reason: reason}
	q.flushed.L = &q.mu
	return q
}

// add queues ent and returns how many entries wait.
func (q *auditLog) add(ent *AuditEntry, lockErr error) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.pending = append(q.pending, ent)
	if lockErr != nil {
		q.lockErr = lockErr
	}
	return len(q.pending)
}

func (q *auditLog) snapshot() []*AuditEntry {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]*AuditEntry(nil), q.pending...)
}

// drop removes the first n entries, appended by a committed transaction.
func (q *auditLog) drop(n int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.pending = append(q.pending[:0:0], q.pending[n:]...)
	if len(q.pending) == 0 {
		q.lockErr = nil
	}
}

func (q *auditLog) state() (n int, lockErr error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.pending), q.lockErr
}

// SetReason records why the operator acts as the session's identity (a
// ticket, an incident); every entry appended from now on carries it. ""
// clears it.
func (e *Engine) SetReason(reason string) {
	e.audit.mu.Lock()
	defer e.audit.mu.Unlock()
	e.audit.reason = reason
}

// Reason is the session's reason ("" when none was given).
func (e *Engine) Reason() string {
	e.audit.mu.Lock()
	defer e.audit.mu.Unlock()
	return e.audit.reason
}

// ReasonRequired reports whether acting as id needs a reason the session
// does not have yet: [audit].requireReason is set and id is a real user
// (not a synthetic or anonymous identity).
func (e *Engine) ReasonRequired(id Identity) bool {
	return e.cfg.Audit.RequireReason && !id.Synthetic && !id.Anonymous && id.UserID != "" && e.Reason() == ""
}

// PendingAudit is the number of audit entries another writer's lock keeps
// out of the log, and the error that kept the last one out; 0 and nil when
// nothing is held out (read entries waiting for their group commit are not
// held out: they are appended within groupWindow).
func (e *Engine) PendingAudit() (int, error) {
	n, lockErr := e.audit.state()
	if lockErr == nil {
		return 0, nil
	}
	return n, lockErr
}

// Unaudited reports why this engine's operations are not audited at all
// ("" when they are): the database cannot be written.
func (e *Engine) Unaudited() string {
	if err := e.store.writable(); err != nil {
		return err.Error()
	}
	return ""
}

// FlushAudit appends every entry not in the log yet, waiting up to the busy
// timeout for another writer's lock. It fails, keeping them, while the lock
// is still held.
func (e *Engine) FlushAudit(ctx context.Context) error {
	if n, _ := e.audit.state(); n == 0 || e.store.readOnly {
		return nil
	}
	if err := e.appendNow(context.WithoutCancel(ctx), nil, true); err != nil {
		n, _ := e.audit.state()
		return fmt.Errorf("%w\n%d audit entries of this session are not in the log yet", err, n)
	}
	return nil
}

// Session events a console appends (SPEC §3.7).
const (
	SessionStart   = "session.start"
	SessionEnd     = "session.end"
	IdentitySwitch = "identity.switch"
)

// LogSession logs a console session's event as id: SessionStart when it
// opens, IdentitySwitch when it starts acting as id (from, the identity it
// acted as before, is recorded as the entry's record), SessionEnd when it
// closes. The entry joins the queue at once — so it is in order with the
// operations around it, and a caller on a user interface's goroutine never
// waits for the database — and is appended right away in the background
// (by Close at the latest). A read-only database logs nothing.
func (e *Engine) LogSession(ctx context.Context, event string, id Identity, from *Identity) error {
	if e.store.readOnly {
		return nil
	}
	record := ""
	if from != nil {
		record = from.String()
	}
	e.audit.add(e.entry(id, event, "", record, nil, nil), nil)
	go func() {
		_, lockErr := e.audit.state()
		if err := e.tryFlush(context.WithoutCancel(ctx), lockErr == nil); errors.Is(err, errConnBusy) {
			e.armTimer()
		}
	}()
	return nil
}

// auditRead logs a read (list, get, explain, the action listing, a policy
// diff). An allowed read's entry is group-committed (or appended at once
// with [audit].reads = "sync"); a refused read's is appended at once, like
// every refusal. A read-only store logs nothing (it cannot).
func (e *Engine) auditRead(ctx context.Context, id Identity, op, table, record string, err error) {
	if e.store.readOnly {
		return
	}
	ent := e.entry(id, op, table, record, nil, err)
	if err != nil || e.cfg.Audit.Reads == schema.ReadsSync {
		e.appendEntry(ctx, ent)
		return
	}
	q := e.audit
	n := q.add(ent, nil)
	_, lockErr := q.state()
	switch {
	case lockErr != nil:
		// Entries are held out by another writer's lock: try it once, so
		// that browsing stays responsive while the lock lasts. (Whoever
		// holds the audit connection meanwhile only tries once too.)
		_ = e.appendNow(context.WithoutCancel(ctx), nil, false)
	case n >= 2*groupMax:
		// The background commits do not keep up: this reader appends
		// everything waiting, so the queue (and what a crash could lose)
		// stays bounded.
		_ = e.appendNow(context.WithoutCancel(ctx), nil, true)
	case n >= groupMax:
		e.commitGroup()
	case n == 1:
		e.armTimer()
	}
}

// commitGroup starts the group commit of the groupMax entries waiting (and
// no later ones) on a goroutine of its own, unless one is running: the
// reader that completed the group does not wait for its commit (≈ 3 ms for
// 256 entries), which the next read would otherwise have paid as latency.
func (e *Engine) commitGroup() {
	q := e.audit
	q.mu.Lock()
	if q.inflight > 0 || q.closed || len(q.pending) < groupMax {
		q.mu.Unlock()
		return
	}
	n := len(q.pending)
	last := q.pending[n-1]
	q.inflight = n
	q.mu.Unlock()
	go func() {
		defer func() {
			q.mu.Lock()
			q.inflight = 0
			q.flushed.Broadcast()
			q.mu.Unlock()
		}()
		q.connMu.Lock()
		defer q.connMu.Unlock()
		_ = e.appendThrough(context.Background(), last)
	}()
}

// waitGroupCommits waits until no background group commit is running.
func (q *auditLog) waitGroupCommits() {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.inflight > 0 {
		q.flushed.Wait()
	}
}

// auditRefusal logs an operation that wrote nothing and is not a read: a
// refused or failed write, a dry run. Its entry is appended at once, after
// the pending ones.
func (e *Engine) auditRefusal(ctx context.Context, id Identity, op, table, record string, fields []string, err error) {
	if e.store.readOnly {
		return
	}
	e.appendEntry(ctx, e.entry(id, op, table, record, fields, err))
}

// appendEntry appends ent at once, after the pending entries. When another
// process holds the write lock past the busy timeout (or, while entries
// are already held out, at the first try), the operation is not failed:
// ent joins the pending entries, in order.
func (e *Engine) appendEntry(ctx context.Context, ent *AuditEntry) {
	q := e.audit
	ctx = context.WithoutCancel(ctx)
	if _, lockErr := q.state(); lockErr != nil {
		// Held out already: try once, and do not wait for a group commit
		// that is itself waiting for the lock.
		if !q.connMu.TryLock() {
			q.add(ent, lockErr)
			return
		}
		defer q.connMu.Unlock()
		_ = e.appendLocked(ctx, ent, false)
		return
	}
	_ = e.appendNow(ctx, ent, true)
}

// holdOutIfBusy says a failed write's database error as messages show it.
// When the error is another writer's lock held past the timeout, the
// attempt is logged, once the lock is released, with the outcome "error"
// (held is true); the caller logs any other failure itself.
func (e *Engine) holdOutIfBusy(err error, id Identity, op, table, record string, fields []string) (held bool, wrapped error) {
	busy := isBusy(err)
	err = e.store.wrapErr(err)
	if busy {
		e.holdOut(e.entry(id, op, table, record, fields, err), err)
	}
	return busy, err
}

// holdOut queues the entry of an operation another writer's lock kept out
// of the database; the group commit tries the lock again each window.
func (e *Engine) holdOut(ent *AuditEntry, lockErr error) {
	e.audit.add(ent, lockErr)
	e.armTimer()
}

// armTimer schedules the group commit of the entries just queued.
func (e *Engine) armTimer() {
	q := e.audit
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed || q.armed {
		return
	}
	q.armed = true
	if q.timer == nil {
		q.timer = time.AfterFunc(q.window, e.groupCommit)
	} else {
		q.timer.Reset(q.window)
	}
}

// groupCommit is the timer's flush. When another writer's lock keeps the
// entries out, it tries again after the next window.
func (e *Engine) groupCommit() {
	q := e.audit
	q.mu.Lock()
	closed := q.closed
	q.armed = false
	q.mu.Unlock()
	if closed {
		return
	}
	// While another writer's lock keeps entries out, each window tries the
	// lock once, so the audit connection is never held for long.
	_, lockErr := q.state()
	if err := e.tryFlush(context.Background(), lockErr == nil); errors.Is(err, errConnBusy) {
		// Another goroutine is appending; whatever it leaves is taken by
		// the next window.
		e.armTimer()
	}
}

// errConnBusy is tryFlush's answer when another goroutine is appending on
// the dedicated connection (and will take the queued entries with it, or
// leave them for the timer).
var errConnBusy = errors.New("audit connection busy")

// tryFlush appends the pending entries unless another goroutine is already
// using the audit connection.
func (e *Engine) tryFlush(ctx context.Context, wait bool) error {
	q := e.audit
	if !q.connMu.TryLock() {
		return errConnBusy
	}
	defer q.connMu.Unlock()
	return e.appendLocked(context.WithoutCancel(ctx), nil, wait)
}

// appendNow appends the pending entries and then ent (when not nil) in one
// short transaction on the audit connection. With wait false it does not
// wait for another writer's lock. On failure ent joins the pending
// entries.
func (e *Engine) appendNow(ctx context.Context, ent *AuditEntry, wait bool) error {
	q := e.audit
	q.connMu.Lock()
	defer q.connMu.Unlock()
	return e.appendLocked(ctx, ent, wait)
}

// appendLocked is appendNow with connMu held. Whatever stays pending
// (entries queued meanwhile, or all of them when another writer's lock
// kept them out) is taken by the next group commit.
func (e *Engine) appendLocked(ctx context.Context, ent *AuditEntry, wait bool) (err error) {
	return e.appendUpTo(ctx, ent, wait, nil)
}

// appendThrough appends the pending entries up to and including last
// (none when another append took last meanwhile), waiting for another
// writer's lock; connMu held.
func (e *Engine) appendThrough(ctx context.Context, last *AuditEntry) error {
	return e.appendUpTo(ctx, nil, true, last)
}

// pendingThrough is the index after last in the pending entries (0 when it
// is not pending).
func pendingThrough(pend []*AuditEntry, last *AuditEntry) int {
	for i, p := range pend {
		if p == last {
			return i + 1
		}
	}
	return 0
}

// appendUpTo is appendLocked appending the pending entries only up to and
// including last (all of them when last is nil) before ent.
func (e *Engine) appendUpTo(ctx context.Context, ent *AuditEntry, wait bool, last *AuditEntry) (err error) {
	q := e.audit
	if last != nil && pendingThrough(q.snapshot(), last) == 0 {
		return nil
	}
	defer func() {
		if err != nil && ent != nil {
			q.add(ent, err)
		} else if err != nil && isLockErr(err) {
			q.mu.Lock()
			q.lockErr = err
			q.mu.Unlock()
		}
		if n, _ := q.state(); n > 0 && !errors.Is(err, errLogClosed) {
			e.armTimer()
		}
	}()
	if n, _ := q.state(); n == 0 && ent == nil {
		return nil
	}
	q.mu.Lock()
	closed := q.closed
	q.mu.Unlock()
	if closed {
		return errLogClosed
	}
	return e.store.d.appendPending(ctx, e, ent, wait, last)
}

// appendOnConn is appendUpTo on SQLite: the entries are appended in an
// audit transaction on a pooled driver connection, through its prepared
// statements (driverTx).
func (e *Engine) appendOnConn(ctx context.Context, ent *AuditEntry, wait bool, last *AuditEntry) error {
	q := e.audit
	// A pooled connection: the one the last read released, whose page
	// cache an append on another connection would make SQLite drop.
	conn, err := e.store.db.Conn(ctx)
	if err != nil {
		return e.store.wrapErr(err)
	}
	defer conn.Close()
	var batch []*AuditEntry
	var pending int
	err = conn.Raw(func(dc any) error {
		t, err := q.driverTx(ctx, dc)
		if err != nil {
			return err
		}
		if err := t.begin(ctx, wait); err != nil {
			return err
		}
		q.appendMu.Lock()
		defer q.appendMu.Unlock()
		pend := q.snapshot()
		if last != nil {
			pend = pend[:pendingThrough(pend, last)]
		}
		batch = pend
		if ent != nil {
			batch = append(batch, ent)
		}
		if len(batch) == 0 {
			t.rollback()
			return nil
		}
		if err := appendAudit(ctx, t, batch...); err != nil {
			t.rollback()
			return err
		}
		if err := t.commit(ctx); err != nil {
			t.rollback()
			return err
		}
		pending = len(pend)
		q.drop(pending)
		return nil
	})
	if err != nil {
		return e.store.wrapErr(err)
	}
	q.witness.record(batch)
	return nil
}

// isLockErr reports whether err is another writer's lock (as wrapped by
// store.wrapErr or as SQLite gives it).
func isLockErr(err error) bool {
	return err != nil && (isBusy(err) || strings.Contains(err.Error(), "locked by another writer"))
}

// errLogClosed refuses an append after Close.
var errLogClosed = errors.New("the engine is closed")

// close stops the timer and forgets the prepared statements (the pool's
// connections, which own them, are closed with the database). The caller
// has flushed what it could.
func (q *auditLog) close() {
	q.mu.Lock()
	q.closed = true
	if q.timer != nil {
		q.timer.Stop()
	}
	q.mu.Unlock()
	q.connMu.Lock()
	defer q.connMu.Unlock()
	for dc, p := range q.prepared {
		if validConn(dc) {
			p.close()
		}
	}
	q.prepared = nil
	q.witness.close()
}

// logInTx appends the pending entries and then own inside tx, a write
// transaction (holding SQLite's write lock; on PostgreSQL it takes the
// audit chain's lock here, if it does not hold it yet). Call done once tx
// is committed (true) or abandoned (false): after a commit it drops the pending entries it appended and
// records the batch in the witness. Until done, other goroutines of this
// process cannot append (appendMu), so no entry is appended twice. On an
// error there is nothing to call.
func (e *Engine) logInTx(ctx context.Context, tx execQuerier, own ...*AuditEntry) (done func(committed bool), err error) {
	q := e.audit
	// The chain's lock before appendMu (the lock order), and before the
	// head is read.
	if err := e.store.d.auditLock(ctx, tx, true); err != nil {
		return nil, err
	}
	q.appendMu.Lock()
	pending := q.snapshot()
	batch := append(pending, own...)
	if err := appendAudit(ctx, e.store.d.auditWriter(tx), batch...); err != nil {
		q.appendMu.Unlock()
		return nil, err
	}
	return func(committed bool) {
		if committed {
			q.drop(len(pending))
		}
		q.appendMu.Unlock()
		if committed {
			q.witness.record(batch)
		}
	}, nil
}

// auditTx runs appendAudit's statements inside tx through the engine's
// prepared statements (stmtCache) instead of parsing them again for every
// write. The statements, the transaction and the chain are unchanged.
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

// entry is the audit entry of an operation by id; err is its refusal or
// failure (nil: "ok").
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
	return &AuditEntry{At: e.now(), OSUser: e.osUser, UserID: user, OrgID: id.OrgID, Role: id.Role, RealRole: id.RealRole,
		Operation: op, Table: table, RecordID: record, Outcome: outcome, Fields: fields, Reason: e.Reason()}
}

// systemEntry is an entry by the system (no identity is impersonated): a
// seed or a bulk load. fields may be nil.
func (e *Engine) systemEntry(op, table, record string, fields []string) *AuditEntry {
	return &AuditEntry{At: e.now(), OSUser: e.osUser, UserID: "system", Operation: op, Table: table, RecordID: record, Outcome: "ok", Fields: fields, Reason: e.Reason()}
}

// writeTx runs fn in a write transaction and appends the audit entry inside
// it, after the pending ones; on a refusal the transaction is rolled back
// and the refusal is logged in a transaction of its own. With dryRun the
// work is rolled back and only the attempt is logged.
func (e *Engine) writeTx(ctx context.Context, id Identity, op, table string, dryRun bool, fn func(tx *sql.Tx) (record string, fields []string, err error)) error {
	if e.store.readOnly {
		return e.store.writable()
	}
	tx, err := e.store.d.beginWrite(ctx, e.store.db)
	if err != nil {
		name := op
		if dryRun {
			name += ":dry-run"
		}
		_, err = e.holdOutIfBusy(err, id, name, table, "", nil)
		return err
	}
	defer tx.Rollback()
	record, fields, err := fn(tx)
	if err != nil {
		tx.Rollback()
		if dryRun {
			// A refused dry run is logged as a dry run, like an allowed one.
			op += ":dry-run"
		}
		if _, ok := AsError(err); ok {
			e.auditRefusal(ctx, id, op, table, record, fields, err)
			return err
		}
		// A failure that is not a refusal is still an operation: it is
		// logged with the outcome "error" (SPEC §3.7).
		held, err := e.holdOutIfBusy(err, id, op, table, record, fields)
		if !held {
			e.auditRefusal(ctx, id, op, table, record, fields, err)
		}
		return err
	}
	if dryRun {
		tx.Rollback()
		e.auditRefusal(ctx, id, op+":dry-run", table, record, fields, nil)
		return nil
	}
	// Entries not in the log yet go first: they happened before this write.
	done, err := e.logInTx(ctx, e.auditTx(tx), e.entry(id, op, table, record, fields, nil))
	if err != nil {
		// PostgreSQL: the audit chain's lock may have stayed held past
		// the timeout; nothing was written.
		tx.Rollback()
		_, err = e.holdOutIfBusy(err, id, op, table, record, fields)
		return err
	}
	if racePoint != nil {
		racePoint("write.commit")
	}
	err = tx.Commit()
	done(err == nil)
	return e.store.wrapErr(err)
}
