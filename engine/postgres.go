package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/jackc/pgx/v5/pgconn"

	"quickback.dev/qb/internal/dbconn"
	"quickback.dev/qb/schema"
)

// postgresDialect is PostgreSQL's side of the dialect seam (SPEC §8).
type postgresDialect struct{}

func (postgresDialect) name() string { return "PostgreSQL" }

// intType and realType: INTEGER and REAL are 32-bit there.
func (postgresDialect) intType() string  { return "BIGINT" }
func (postgresDialect) realType() string { return "DOUBLE PRECISION" }

// textCollation: text sorts as bytes, as on SQLite, whatever the
// database's locale.
func (postgresDialect) textCollation() string { return ` COLLATE "C"` }

// pgMaxIdent is PostgreSQL's identifier limit in bytes (NAMEDATALEN-1):
// longer names are silently truncated, so two long index names could meet.
const pgMaxIdent = 63

// indexName: a name over the limit keeps its start and ends in a hash of
// the whole name.
func (postgresDialect) indexName(name string) string { return pgIdent(name) }

func pgIdent(name string) string {
	if len(name) <= pgMaxIdent {
		return name
	}
	h := fnvHash(name)
	cut := pgMaxIdent - len(h) - 1
	for cut > 0 && !utf8Start(name[cut]) {
		cut--
	}
	return name[:cut] + "_" + h
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

func fnvHash(s string) string {
	var h uint64 = 14695981039346656037
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return strconv.FormatUint(h, 36)
}

func (postgresDialect) indexColumn(col string, _ bool) string { return Q(col) }

// sortKey: byte order whatever the column's collation (a database qb did
// not create); on qb's own columns, already "C", indexes still serve it.
func (postgresDialect) sortKey(col string) string { return col + ` COLLATE "C"` }

// byteOrdered: the columns declared COLLATE "C" (every text column qb
// creates) or "POSIX", its synonym. A column in the database's default
// collation is not, whatever that default is: it may change.
func (postgresDialect) byteOrdered(ctx context.Context, q queryer) (map[[2]string]bool, error) {
	rows, err := q.QueryContext(ctx, `SELECT table_name, column_name FROM information_schema.columns
WHERE table_schema = current_schema() AND collation_name IN ('C', 'POSIX')`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[[2]string]bool{}
	for rows.Next() {
		var k [2]string
		if err := rows.Scan(&k[0], &k[1]); err != nil {
			return nil, err
		}
		out[k] = true
	}
	return out, rows.Err()
}

// nullsOrder: SQLite sorts NULLs first ascending, last descending;
// PostgreSQL the other way round unless told.
func (postgresDialect) nullsOrder(desc bool) string {
	if desc {
		return " NULLS LAST"
	}
	return " NULLS FIRST"
}

// contains: ILIKE folds every letter the database's character type knows;
// lower() on both sides makes it independent of the locale.
func (postgresDialect) contains(col, needle string) (string, any) {
	return "lower(CAST(" + col + ` AS TEXT)) LIKE lower(?) ESCAPE '\'`, likePattern(needle)
}

func (postgresDialect) unlikely(cond string) string { return cond }

// tableColumns reads information_schema for a table of the current schema.
func (postgresDialect) tableColumns(ctx context.Context, q queryer, table string) (map[string]dbColumn, error) {
	rows, err := q.QueryContext(ctx, `SELECT c.column_name, upper(c.data_type), c.is_nullable = 'NO', c.column_default IS NOT NULL,
  EXISTS (SELECT 1 FROM information_schema.table_constraints tc JOIN information_schema.key_column_usage k
    ON k.constraint_schema = tc.constraint_schema AND k.constraint_name = tc.constraint_name
    WHERE tc.table_schema = c.table_schema AND tc.table_name = c.table_name AND tc.constraint_type = 'PRIMARY KEY' AND k.column_name = c.column_name)
FROM information_schema.columns c
WHERE c.table_schema = current_schema() AND c.table_name = ?`, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]dbColumn{}
	for rows.Next() {
		var c dbColumn
		if err := rows.Scan(&c.name, &c.typ, &c.notNull, &c.hasDefault, &c.pk); err != nil {
			return nil, err
		}
		out[c.name] = c
	}
	return out, rows.Err()
}

// indexColumns reads pg_index; a text column indexed in another collation
// than "C" (or POSIX) cannot serve byte-order pages, so it reads as "" —
// except among unique indexes, whose uniqueness holds in any collation.
func (postgresDialect) indexColumns(ctx context.Context, q queryer, table string, unique bool) ([][]string, error) {
	where, ordered := "", "k.coll IN (0, 950, 951)"
	if unique {
		// Uniqueness holds in any collation.
		where, ordered = " AND i.indisunique AND i.indpred IS NULL", "TRUE"
	}
	rows, err := q.QueryContext(ctx, `SELECT i.indexrelid, COALESCE(CASE WHEN `+ordered+` THEN a.attname END, '')
FROM pg_index i
CROSS JOIN LATERAL unnest(i.indkey::int2[], i.indcollation::oid[]) WITH ORDINALITY AS k(attnum, coll, n)
LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum AND k.attnum > 0
WHERE i.indrelid = to_regclass(quote_ident(?))`+where+`
ORDER BY i.indexrelid, k.n`, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]string
	last := int64(-1)
	for rows.Next() {
		var id int64
		var col string
		if err := rows.Scan(&id, &col); err != nil {
			return nil, err
		}
		if id != last {
			out = append(out, nil)
			last = id
		}
		out[len(out)-1] = append(out[len(out)-1], col)
	}
	return out, rows.Err()
}

func (postgresDialect) exists(ctx context.Context, q queryer, name string) (bool, error) {
	names, err := queryStrings(ctx, q, "SELECT 'x' WHERE to_regclass(quote_ident(?)) IS NOT NULL", name)
	return len(names) > 0, err
}

func (postgresDialect) tables(ctx context.Context, q queryer) ([]string, error) {
	return queryStrings(ctx, q, `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name COLLATE "C"`)
}

// rowEstimate is the planner's estimate (-1 before the table was first
// analysed).
func (postgresDialect) rowEstimate(ctx context.Context, q queryer, table string) (int64, error) {
	rows, err := q.QueryContext(ctx, "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(quote_ident(?))", table)
	if err != nil {
		return -1, nil
	}
	defer rows.Close()
	n := int64(-1)
	if rows.Next() {
		if err := rows.Scan(&n); err != nil {
			return -1, nil
		}
	}
	return n, rows.Err()
}

// compatible: PostgreSQL's own boolean, time, JSON and enum types hold the
// config's columns of those types (pgNativeCompatible); other type names
// read through SQLite's affinity rules ("BIGINT" has INT, "DOUBLE
// PRECISION" DOUB, "CHARACTER VARYING" CHAR).
func (postgresDialect) compatible(c *schema.Column, decl string) bool {
	if ok, native := pgNativeCompatible(c, decl); native {
		return ok
	}
	switch strings.ToUpper(decl) {
	case "BOOLEAN", "BYTEA", "JSON", "JSONB", "UUID":
		return false
	}
	if strings.HasPrefix(strings.ToUpper(decl), "TIMESTAMP") || strings.HasPrefix(strings.ToUpper(decl), "DATE") {
		return false
	}
	return compatible(c, affinity(decl))
}

func (postgresDialect) isInteger(decl string) bool { return affinity(decl) == affInteger }

// pgLockSQL takes the transaction-scoped advisory lock of one schema's qb
// tables. Every append to the audit chain takes it before reading the
// chain's head, so processes never fork the chain; seeds, bulk loads and
// layout changes take it at their start (begin), which makes them the one
// writer, as SQLite's lock does.
const pgLockSQL = "SELECT pg_advisory_xact_lock(7190, hashtext(current_schema()))"

// pgTryLockSQL tries the lock once.
const pgTryLockSQL = "SELECT pg_try_advisory_xact_lock(7190, hashtext(current_schema()))"

// errPGLockBusy is the advisory lock held by another writer when it was
// tried once.
var errPGLockBusy = errors.New("the write lock is held by another writer (SQLITE_BUSY)")

// begin: READ COMMITTED, then the advisory lock (waiting up to
// lock_timeout, or trying once).
func (postgresDialect) begin(ctx context.Context, db *sql.DB, wait bool) (*sql.Tx, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	if err := pgLock(ctx, tx, wait); err != nil {
		tx.Rollback()
		return nil, err
	}
	return tx, nil
}

// beginWrite: READ COMMITTED and no lock yet. What SQLite's one-writer
// lock kept true until commit is kept by narrower locks: the row a write
// reads is locked (FOR NO KEY UPDATE, FOR UPDATE to delete it), a row a
// reference check finds is locked against deletion (FOR KEY SHARE), an
// upsert whose create meets the key created meanwhile takes the update
// path, and the audit chain's lock comes last, just before the head is
// read, so it is held only while the entry is appended and committed.
func (postgresDialect) beginWrite(ctx context.Context, db *sql.DB) (*sql.Tx, error) {
	tx, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	if err != nil || !pgLockAtBegin.Load() {
		return tx, err
	}
	if err := pgLock(ctx, tx, true); err != nil {
		tx.Rollback()
		return nil, err
	}
	return tx, nil
}

// pgLockAtBegin (benchmarks only) makes every write transaction take the
// advisory lock at its start, as before the lock was narrowed: the floor
// the narrowed lock is measured against.
var pgLockAtBegin atomic.Bool

func (postgresDialect) rowLock(m lockMode) string {
	switch m {
	case lockKeyShare:
		return " FOR KEY SHARE"
	case lockNoKeyUpdate:
		return " FOR NO KEY UPDATE"
	}
	return " FOR UPDATE"
}

func (postgresDialect) auditLock(ctx context.Context, q rowQuerier, wait bool) error {
	return pgLock(ctx, q, wait)
}

// pgLock takes the writers' advisory lock inside an open transaction.
func pgLock(ctx context.Context, q rowQuerier, wait bool) error {
	if wait {
		var v string
		return q.QueryRowContext(ctx, pgLockSQL).Scan(&v)
	}
	var ok bool
	if err := q.QueryRowContext(ctx, pgTryLockSQL).Scan(&ok); err != nil {
		return err
	}
	if !ok {
		return errPGLockBusy
	}
	return nil
}

func (postgresDialect) untimed(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, "SET LOCAL statement_timeout = 0")
	return err
}

// longRead: a read-only transaction without statement_timeout.
func (d postgresDialect) longRead(ctx context.Context, db *sql.DB) (queryer, func(), error) {
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, nil, err
	}
	if err := d.untimed(ctx, tx); err != nil {
		tx.Rollback()
		return nil, nil, err
	}
	return tx, func() { tx.Rollback() }, nil
}

// attempt: a failed statement aborts a PostgreSQL transaction, so it runs
// under a savepoint that is rolled back on failure.

func (postgresDialect) attempt(ctx context.Context, tx *sql.Tx, fn func() error) error {
	if _, err := tx.ExecContext(ctx, "SAVEPOINT qb_attempt"); err != nil {
		return err
	}
	if err := fn(); err != nil {
		if _, rerr := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT qb_attempt"); rerr != nil {
			return rerr
		}
		return err
	}
	_, err := tx.ExecContext(ctx, "RELEASE SAVEPOINT qb_attempt")
	return err
}

// pgState is the SQLSTATE of a PostgreSQL error ("" for any other error).
func pgState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// pgUniqueColumns are the columns of a unique violation, read from the
// error's detail ("Key (a, b)=(...)"); the detail itself, which holds the
// values, is never shown.
func pgUniqueColumns(err error) []string {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || !strings.HasPrefix(pe.Detail, "Key (") {
		return nil
	}
	rest := pe.Detail[len("Key ("):]
	j := strings.Index(rest, ")=(")
	if j < 0 {
		return nil
	}
	var out []string
	for _, c := range strings.Split(rest[:j], ",") {
		out = append(out, strings.Trim(strings.TrimSpace(c), `"`))
	}
	return out
}

// pgSafe is a PostgreSQL error as messages may show it: its SQLSTATE and
// message, never its detail (which can contain values).
type pgSafe struct{ pe *pgconn.PgError }

func (e pgSafe) Error() string {
	msg := e.pe.Message
	if strings.HasPrefix(e.pe.Code, "22") {
		// A data exception quotes the value it could not take in its
		// message too ("invalid input syntax for type integer: \"…\"").
		msg = pgQuoted.ReplaceAllString(msg, `"…"`)
	}
	return fmt.Sprintf("%s (SQLSTATE %s)", msg, e.pe.Code)
}

// pgQuoted is a double-quoted string in a server message.
var pgQuoted = regexp.MustCompile(`"[^"]*"`)

// ping: SELECT 1 (the connection's parameters were checked as it opened).
func (d postgresDialect) ping(db *sql.DB, path string, busyMS int) error {
	var n int
	if err := db.QueryRow("SELECT 1").Scan(&n); err != nil {
		return d.wrapErr(path, busyMS, err)
	}
	return nil
}

// wrapErr classifies by SQLSTATE, and shows a server error without its
// detail.
func (postgresDialect) wrapErr(path string, busyMS int, err error) error {
	switch st := pgState(err); {
	case isBusy(err):
		return fmt.Errorf("database %s is locked by another writer (waited %d ms); try again when it finishes (SQLSTATE %s)", path, busyMS, st)
	case st == "57014":
		// 57014 is also a cancelled statement (a bulk load's COPY that
		// failed in the client): said as both, never with the server's
		// message, which can hold a value.
		return fmt.Errorf("database %s stopped a statement: it ran longer than its statement_timeout (%s unless the URL sets ?statement_timeout=), or it was cancelled; narrow a slow query with a filter, add the indexes `qb check --db` suggests, or raise the timeout in the URL (SQLSTATE 57014)", path, dbconn.StatementTimeout)
	case st == "25006":
		return fmt.Errorf("database %s is read-only; open it with --read-only or connect as a user who may write", path)
	case st == "28000" || st == "28P01" || st == "3D000":
		return fmt.Errorf("database %s cannot be opened (%s); check the URL's user, password and database", path, pgSafe{asPG(err)})
	case st != "":
		return fmt.Errorf("database %s: %w", path, pgSafe{asPG(err)})
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return fmt.Errorf("database %s cannot be reached; check the URL's host and port and that the server runs", path)
	}
	return fmt.Errorf("database %s: %w", path, err)
}

func asPG(err error) *pgconn.PgError {
	var pe *pgconn.PgError
	errors.As(err, &pe)
	return pe
}

// openPostgresStore opens the PostgreSQL database the URL names (SPEC §8).
func openPostgresStore(cfg *schema.Config, url string, opts Options) (*store, error) {
	busy := opts.busyMS()
	name := dbconn.DisplayName(url)
	if err := pgLongNames(cfg); err != nil {
		return nil, fmt.Errorf("database %s: %w", name, err)
	}
	db, err := dbconn.OpenPostgres(url, opts.ReadOnly, busy)
	if err != nil {
		return nil, fmt.Errorf("database %s: %w", name, err)
	}
	db.SetMaxIdleConns(maxIdleConns)
	s := &store{db: db, path: name, cfg: cfg, readOnly: opts.ReadOnly, roReason: opts.ReadOnlyReason, busyMS: busy, d: postgresDialect{}}
	if err := s.ping(); err != nil {
		db.Close()
		return nil, err
	}
	return s.open(opts)
}

// appendInTx is appendUpTo on PostgreSQL: the entries are appended in a
// transaction of their own that takes the audit chain's advisory lock
// before the head is read, so processes never fork the chain.
func (e *Engine) appendInTx(ctx context.Context, ent *AuditEntry, wait bool, last *AuditEntry) error {
	q := e.audit
	d := e.store.d
	tx, err := d.beginWrite(ctx, e.store.db)
	if err != nil {
		return e.store.wrapErr(err)
	}
	defer tx.Rollback()
	if err := d.auditLock(ctx, tx, wait); err != nil {
		return e.store.wrapErr(err)
	}
	q.appendMu.Lock()
	defer q.appendMu.Unlock()
	pend := q.snapshot()
	if last != nil {
		pend = pend[:pendingThrough(pend, last)]
	}
	batch := pend
	if ent != nil {
		batch = append(batch, ent)
	}
	if len(batch) == 0 {
		return nil
	}
	if err := appendAudit(ctx, d.auditWriter(tx), batch...); err != nil {
		return e.store.wrapErr(err)
	}
	if err := tx.Commit(); err != nil {
		return e.store.wrapErr(err)
	}
	q.drop(len(pend))
	q.witness.record(batch)
	return nil
}

func (postgresDialect) searchIndexer() searchIndexer { return trgmIndexer{} }

func (postgresDialect) layoutRecord() layoutRecord { return noLayoutRecord{} }

// noLayoutRecord records nothing: PostgreSQL has no schema version to tie
// a record to, so every open runs the layout check.
type noLayoutRecord struct{}

func (noLayoutRecord) current(context.Context, *store) (bool, error)    { return false, nil }
func (noLayoutRecord) write(context.Context, *store, queryExecer) error { return nil }
func (noLayoutRecord) record(context.Context, *store)                   {}

// bulkConn: the connection needs nothing of its own for a run.
func (postgresDialect) bulkConn(context.Context, *sql.Conn) (func(), error) { return func() {}, nil }

// bulkWriter: COPY, not the INSERT (bulk_postgres.go).
func (postgresDialect) bulkWriter(_ context.Context, conn *sql.Conn, _ string) (bulkWriter, error) {
	return copyBulkWriter{conn: conn}, nil
}

// appendPending: in a transaction of its own that takes the audit chain's
// lock (appendInTx).
func (postgresDialect) appendPending(ctx context.Context, e *Engine, ent *AuditEntry, wait bool, last *AuditEntry) error {
	return e.appendInTx(ctx, ent, wait, last)
}

// foreignKeysSQL reads the current schema's foreign keys from pg_constraint.
func (postgresDialect) foreignKeysSQL() string { return pgForeignKeysSQL }

const pgForeignKeysSQL = `SELECT cl.relname::text, con.oid::bigint, a.attname::text, COALESCE(af.attname::text, '')
FROM pg_constraint con
JOIN pg_class cl ON cl.oid = con.conrelid
CROSS JOIN LATERAL unnest(con.conkey, con.confkey) WITH ORDINALITY AS k(from_att, to_att, n)
JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.from_att
LEFT JOIN pg_attribute af ON af.attrelid = con.confrelid AND af.attnum = k.to_att
WHERE con.contype = 'f' AND con.confrelid = to_regclass(quote_ident(?)) AND cl.relnamespace = current_schema()::regnamespace
ORDER BY cl.relname, con.oid, k.n`

// pgLongNames refuses a config whose table or column names PostgreSQL
// would cut to 63 bytes (silently: two long names could become one, or a
// table be created under a name the config does not use).
func pgLongNames(cfg *schema.Config) error {
	var long []string
	for _, t := range cfg.Tables {
		if len(t.SQLName) > pgMaxIdent {
			long = append(long, fmt.Sprintf("tables.%s: table name %q is %d bytes", t.Name, t.SQLName, len(t.SQLName)))
		}
		for _, c := range t.Columns {
			if len(c.SQLName) > pgMaxIdent {
				long = append(long, fmt.Sprintf("tables.%s.columns.%s: column name %q is %d bytes", t.Name, c.Name, c.SQLName, len(c.SQLName)))
			}
		}
	}
	if len(long) == 0 {
		return nil
	}
	return fmt.Errorf("PostgreSQL cuts names to %d bytes, and these are longer (shorten them, or give a shorter table = / column = name):\n  %s", pgMaxIdent, strings.Join(long, "\n  "))
}
