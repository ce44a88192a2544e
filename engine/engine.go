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

// Engine enforces a config's policies on a store.
type Engine struct {
	Store  *Store
	Config *schema.Config
	// OSUser is recorded in every audit entry.
	OSUser string
	// Now is the clock (tests pin it).
	Now func() time.Time

	mu       sync.Mutex
	compiled map[policyKey]*residual

	// stmts caches the prepared statements of the audit append (see
	// auditTx), keyed by their SQL.
	stmtMu sync.Mutex
	stmts  map[string]*sql.Stmt
}

// New builds an engine over an open store.
func New(store *Store) *Engine {
	return &Engine{Store: store, Config: store.Config, OSUser: OSUser(), Now: time.Now, compiled: map[policyKey]*residual{}}
}

// Open loads nothing: it opens the store at the config's database path (or
// path when not empty) and returns an engine over it.
func Open(cfg *schema.Config, path string, opts OpenOptions) (*Engine, error) {
	if path == "" {
		path = cfg.DatabasePath()
	}
	st, err := OpenStore(cfg, path, opts)
	if err != nil {
		return nil, err
	}
	return New(st), nil
}

// Close closes the store.
func (e *Engine) Close() error { return e.Store.Close() }

func (e *Engine) now() string { return FormatTime(e.Now()) }

var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// NewID returns a fresh time-ordered random id.
func NewID() string {
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
	t := e.Config.Table(name)
	if t == nil {
		return nil, Errf(NotFound, map[string]any{"table": name}, "unknown table %q", name)
	}
	if crud && t.Internal {
		return nil, Errf(InternalTable, map[string]any{"table": name}, "table %q is internal: it has no CRUD; only actions write to it", name)
	}
	return t, nil
}

// auditRecord appends the entry for an operation that wrote nothing: a read
// or a refusal, in a short transaction of its own. A read-only store logs
// nothing (it cannot).
func (e *Engine) auditRecord(ctx context.Context, id Identity, op, table, record string, fields []string, err error) {
	if e.Store.ReadOnly {
		return
	}
	tx, terr := e.Store.DB.BeginTx(ctx, nil)
	if terr != nil {
		return
	}
	defer tx.Rollback()
	if appendAudit(ctx, e.auditTx(tx), e.entry(id, op, table, record, fields, err)) == nil {
		_ = tx.Commit()
	}
}

// auditTx runs appendAudit's statements inside tx through statements
// prepared once per engine (and, by database/sql, once per connection)
// instead of parsed again for every entry: every read appends an entry, so
// this is on the path of every list and get. The statements, the
// transaction and the chain are unchanged.
func (e *Engine) auditTx(tx *sql.Tx) execQuerier { return stmtTx{tx: tx, e: e} }

type stmtTx struct {
	tx *sql.Tx
	e  *Engine
}

// prepared returns the cached statement for query, preparing it on first
// use; nil when it cannot be prepared (the caller falls back to tx).
func (e *Engine) prepared(ctx context.Context, query string) *sql.Stmt {
	e.stmtMu.Lock()
	defer e.stmtMu.Unlock()
	if st, ok := e.stmts[query]; ok {
		return st
	}
	st, err := e.Store.DB.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	if e.stmts == nil {
		e.stmts = map[string]*sql.Stmt{}
	}
	e.stmts[query] = st
	return st
}

func (t stmtTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := t.e.prepared(ctx, query); st != nil {
		return t.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, query, args...)
}

func (t stmtTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := t.e.prepared(ctx, query); st != nil {
		return t.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, query, args...)
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
	return &AuditEntry{At: e.now(), OSUser: e.OSUser, UserID: user, OrgID: id.OrgID, Role: id.Role,
		Operation: op, Table: table, RecordID: record, Outcome: outcome, Fields: fields}
}

// writeTx runs fn in a write transaction and appends the audit entry inside
// it; on a refusal the transaction is rolled back and the refusal is logged
// in a transaction of its own. With dryRun the work is rolled back and only
// the attempt is logged.
func (e *Engine) writeTx(ctx context.Context, id Identity, op, table string, dryRun bool, fn func(tx *sql.Tx) (record string, fields []string, err error)) error {
	if e.Store.ReadOnly {
		err := Errf(ValidationFailed, nil, "the database %s is open read-only", e.Store.Path)
		return err
	}
	tx, err := e.Store.DB.BeginTx(ctx, nil)
	if err != nil {
		return e.Store.wrapErr(err)
	}
	defer tx.Rollback()
	record, fields, err := fn(tx)
	if err != nil {
		tx.Rollback()
		if _, ok := AsError(err); ok {
			e.auditRecord(ctx, id, op, table, record, fields, err)
			return err
		}
		return e.Store.wrapErr(err)
	}
	if dryRun {
		tx.Rollback()
		e.auditRecord(ctx, id, op+":dry-run", table, record, fields, nil)
		return nil
	}
	if err := appendAudit(ctx, e.auditTx(tx), e.entry(id, op, table, record, fields, nil)); err != nil {
		return e.Store.wrapErr(err)
	}
	return e.Store.wrapErr(tx.Commit())
}

// sqlCols lists "t"."col" for every column of t.
func sqlCols(t *schema.Table) string {
	parts := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		parts[i] = Q(c.SQLName)
	}
	return strings.Join(parts, ", ")
}
