package engine

import (
	"context"
	"database/sql/driver"
	"fmt"
	"io"
)

// The audit transaction outside a write's own runs on a pooled connection
// — normally the one the last read released: an append on any other
// connection makes SQLite drop that read connection's page cache, which
// measured twice the cost of the append itself — with its statements
// prepared once per driver connection (database/sql offers no way to keep
// BEGIN and COMMIT prepared on a pooled connection). The pool keeps its
// idle connections (store.maxIdleConns), so a connection holding these
// statements is closed only with the database, after auditLog.close has
// finalized them.

// preparedAudit is the append path's statements, prepared once on one
// pooled driver connection: the transaction's BEGIN IMMEDIATE, COMMIT and
// ROLLBACK, the head read and the insert, and the busy-timeout switch of a
// try-once append.
type preparedAudit struct {
	begin, commit, rollback, head, insert, busyOff, busyOn driver.Stmt
}

func (p *preparedAudit) close() {
	for _, st := range []driver.Stmt{p.begin, p.commit, p.rollback, p.head, p.insert, p.busyOff, p.busyOn} {
		if st != nil {
			st.Close()
		}
	}
}

// driverTx returns the append's statements on the driver connection dc
// (connMu held), preparing them on its first use.
func (q *auditLog) driverTx(ctx context.Context, dc any) (*driverTx, error) {
	if p := q.prepared[dc]; p != nil {
		if validConn(dc) {
			return &driverTx{p: p}, nil
		}
		delete(q.prepared, dc) // closed by the pool: its statements went with it
	}
	pc, ok := dc.(driver.ConnPrepareContext)
	if !ok {
		return nil, fmt.Errorf("the SQLite driver cannot prepare statements")
	}
	p := &preparedAudit{}
	for _, s := range []struct {
		st  *driver.Stmt
		sql string
	}{
		{&p.begin, "BEGIN IMMEDIATE"}, {&p.commit, "COMMIT"}, {&p.rollback, "ROLLBACK"},
		{&p.head, auditHeadSQL}, {&p.insert, auditInsertSQL},
		{&p.busyOff, "PRAGMA busy_timeout = 0"}, {&p.busyOn, fmt.Sprintf("PRAGMA busy_timeout = %d", q.busyMS)},
	} {
		st, err := pc.PrepareContext(ctx, s.sql)
		if err != nil {
			p.close()
			return nil, err
		}
		*s.st = st
	}
	if q.prepared == nil {
		q.prepared = map[any]*preparedAudit{}
	}
	q.prepared[dc] = p
	return &driverTx{p: p}, nil
}

// validConn reports whether the driver connection is still open.
func validConn(dc any) bool {
	v, ok := dc.(driver.Validator)
	return !ok || v.IsValid()
}

// driverTx is one audit transaction on a driver connection through its
// prepared statements; it is appendAudit's writer.
type driverTx struct{ p *preparedAudit }

func execStmt(ctx context.Context, st driver.Stmt, args ...driver.NamedValue) error {
	if ec, ok := st.(driver.StmtExecContext); ok {
		_, err := ec.ExecContext(ctx, args)
		return err
	}
	return fmt.Errorf("the SQLite driver cannot execute a prepared statement")
}

// begin starts the write transaction. With wait, BEGIN IMMEDIATE waits for
// another writer's lock up to the connection's busy timeout; without, it
// tries once.
func (t *driverTx) begin(ctx context.Context, wait bool) error {
	if !wait {
		if err := execStmt(ctx, t.p.busyOff); err != nil {
			return err
		}
		defer execStmt(context.Background(), t.p.busyOn)
	}
	return execStmt(ctx, t.p.begin)
}

func (t *driverTx) commit(ctx context.Context) error { return execStmt(ctx, t.p.commit) }

func (t *driverTx) rollback() { _ = execStmt(context.Background(), t.p.rollback) }

// head reads the chain's last entry (ok false for an empty log).
func (t *driverTx) head(ctx context.Context) (seq int64, hash string, ok bool, err error) {
	qc, isQ := t.p.head.(driver.StmtQueryContext)
	if !isQ {
		return 0, "", false, fmt.Errorf("the SQLite driver cannot query a prepared statement")
	}
	rows, err := qc.QueryContext(ctx, nil)
	if err != nil {
		return 0, "", false, err
	}
	defer rows.Close()
	dest := make([]driver.Value, 2)
	if err := rows.Next(dest); err == io.EOF {
		return 0, "", false, nil
	} else if err != nil {
		return 0, "", false, err
	}
	seq, _ = dest[0].(int64)
	switch h := dest[1].(type) {
	case string:
		hash = h
	case []byte:
		hash = string(h)
	}
	return seq, hash, true, nil
}

func (t *driverTx) insert(ctx context.Context, args ...any) error {
	named := make([]driver.NamedValue, len(args))
	for i, a := range args {
		named[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	return execStmt(ctx, t.p.insert, named...)
}
