package engine

import (
	"context"
	"database/sql"

	"quickback.dev/qb/schema"
)

// A dialect is what differs between the SQL databases the engine runs on
// (SQLite, PostgreSQL): the SQL is otherwise one text for both — bound
// parameters written "?" (PostgreSQL's connections rewrite them to $n),
// TRUE/FALSE, IS DISTINCT FROM — so every rule is compiled once. The
// dialect is chosen by the database's name: a postgres:// or
// postgresql:// URL is PostgreSQL, anything else a SQLite file. Engine code
// outside the dialects' files (sqlite.go; postgres.go, pg*.go,
// *_postgres.go) never asks which one it runs on (TestDialectSeam): what
// differs is a method here, or, where a whole mechanism differs, a
// strategy the dialect hands out (searchIndexer, layoutRecord, bulkWriter).
type dialect interface {
	// name is the database's name in messages ("SQLite", "PostgreSQL").
	name() string

	// ping checks that db answers and is a database of this kind; wrapErr
	// says a database error as messages show it, classified (another
	// writer's lock, a read-only or unreachable database) and naming the
	// database at path, whose lock waits up to busyMS.
	ping(db *sql.DB, path string, busyMS int) error
	wrapErr(path string, busyMS int, err error) error

	// intType is the type of a 64-bit integer column (integers, 0/1
	// booleans, epoch timestamps, qb's own counters); realType of a
	// double-precision one. columnType derives a config column's type
	// from them.
	intType() string
	realType() string
	// textCollation follows the type of every text column qb creates
	// (" COLLATE \"C\"" where text must sort as bytes; "" otherwise).
	textCollation() string
	// indexName is the name an index of qb gets (shortened where the
	// database limits identifiers); indexColumn a column of its DDL.
	indexName(name string) string
	indexColumn(col string, nullable bool) string

	// sortKey is a text column as lists order and page by it, in byte
	// order; nullsOrder follows an ORDER BY term of a nullable key so
	// NULLs sort first ascending and last descending, as on SQLite.
	sortKey(col string) string
	nullsOrder(desc bool) string
	// byteOrdered lists the text columns of the current schema that the
	// database keeps in byte order already (their own collation), by
	// table and column name: sortKey adds nothing to them (the lists of
	// a table qb created need no per-row COLLATE). SQLite's text is
	// always in byte order, and its sortKey adds nothing: nil.
	byteOrdered(ctx context.Context, q queryer) (map[[2]string]bool, error)
	// contains is a case-insensitive "col contains needle" test with its
	// bound argument.
	contains(col, needle string) (string, any)
	// searchIndexer keeps the indexes that spare contains a scan.
	searchIndexer() searchIndexer
	// unlikely marks a condition the planner should expect to be false.
	unlikely(cond string) string

	// tableColumns reads the columns of a table by name (none when there
	// is no such table); indexColumns the column names of each of its
	// indexes ("" for an expression, or for a text column not in byte
	// order), with unique only those of its unique indexes that cover
	// every row (not partial); exists whether a table or index has the name; tables the
	// names of every table.
	tableColumns(ctx context.Context, q queryer, table string) (map[string]dbColumn, error)
	indexColumns(ctx context.Context, q queryer, table string, unique bool) ([][]string, error)
	exists(ctx context.Context, q queryer, name string) (bool, error)
	tables(ctx context.Context, q queryer) ([]string, error)
	// foreignKeysSQL lists the foreign keys declared on any table of the
	// database that reference the table bound to its one parameter: one
	// row per column, (referencing table, key id, column, referenced
	// column or "" for the primary key), ordered by table, key and the
	// key's column order.
	foreignKeysSQL() string
	// rowEstimate is a quick upper bound of the rows of a table, read
	// without scanning it.
	rowEstimate(ctx context.Context, q queryer, table string) (int64, error)
	// compatible reports whether a column the database declares as decl
	// holds the config column c as qb reads and writes it.
	compatible(c *schema.Column, decl string) bool
	// isInteger reports whether a column declared as decl holds integers.
	isInteger(decl string) bool
	// nativeType reports whether a column declared as decl keeps its
	// values in a type of the database's own (a time, JSON, an enum),
	// which the connection reads and writes in qb's forms: nothing of
	// their form to sample. mismatchHint is what a mismatch of config
	// column c with such a column adds to say how to fix it ("" for
	// nothing).
	nativeType(decl string) bool
	mismatchHint(c *schema.Column, decl string) string

	// layoutRecord is how the database records that it passed the
	// layout check, so the next open can skip it.
	layoutRecord() layoutRecord

	// begin starts a write transaction that excludes every other writer
	// from its start (SQLite's write lock, or PostgreSQL's advisory lock of
	// the qb tables, the one auditLock takes): seeds, bulk loads and
	// layout changes, which read and write much. On PostgreSQL an engine
	// write holding a row such a transaction writes, while it waits for
	// the advisory lock, is a deadlock the server ends by failing one of
	// the two (40P01, reported as another writer's lock). With wait false
	// it tries the lock once.
	begin(ctx context.Context, db *sql.DB, wait bool) (*sql.Tx, error)
	// untimed lifts the connection's statement limit for the rest of tx,
	// whose work is long by nature (an index build, reading the whole
	// audit log); PostgreSQL's statement_timeout is there for pages.
	untimed(ctx context.Context, tx *sql.Tx) error
	// longRead is where one long read (the whole audit log) runs free of
	// that limit; end releases it.
	longRead(ctx context.Context, db *sql.DB) (q queryer, end func(), err error)
	// attempt runs fn, a statement inside tx that may fail without ending
	// the transaction (a seed reports every bad row in one run).
	attempt(ctx context.Context, tx *sql.Tx, fn func() error) error

	// bulkConn readies conn, a bulk run's own connection, for the run;
	// restore gives it back as it came. bulkWriter is how the run writes
	// its rows on conn (insert is their INSERT, one ? per column).
	bulkConn(ctx context.Context, conn *sql.Conn) (restore func(), err error)
	bulkWriter(ctx context.Context, conn *sql.Conn, insert string) (bulkWriter, error)

	// beginWrite starts the transaction of one write through the engine
	// (create, update, delete, upsert, action). On SQLite it holds the
	// write lock, as begin does. On PostgreSQL it holds nothing yet (READ
	// COMMITTED): the rows it reads are locked as they are read
	// (rowLock), and the audit chain's lock is taken just before the
	// chain's head is read (auditLock), so writers to different rows
	// overlap until their audit entries.
	beginWrite(ctx context.Context, db *sql.DB) (*sql.Tx, error)
	// rowLock is the clause a SELECT of a beginWrite transaction ends
	// with to lock the rows it reads until commit ("" on a database whose
	// write transactions already exclude each other).
	rowLock(m lockMode) string
	// appendPending appends the engine's pending audit entries (only up
	// to and including last when it is not nil), then ent when it is not
	// nil, in a transaction of their own; with wait false it tries
	// another writer's lock once.
	appendPending(ctx context.Context, e *Engine, ent *AuditEntry, wait bool, last *AuditEntry) error
	// auditWriter runs the append's statements on q, a transaction that
	// holds the audit chain's lock.
	auditWriter(q execQuerier) auditWriter
	// auditLock takes, inside a transaction begun by beginWrite, the lock
	// that serializes appends to the audit chain, before its head is
	// read; held until commit. With wait false it tries the lock once.
	auditLock(ctx context.Context, q rowQuerier, wait bool) error
}

// lockMode is how a write locks a row it read (PostgreSQL's row-level lock
// modes).
type lockMode int

const (
	// lockKeyShare: the row's key may not change nor the row be deleted
	// (a row a reference check found, until the referencing row is
	// written).
	lockKeyShare lockMode = iota
	// lockNoKeyUpdate: the row is about to be updated (its key is not).
	lockNoKeyUpdate
	// lockUpdate: the row is about to be deleted.
	lockUpdate
)

// rowQuerier runs a statement that returns one row.
type rowQuerier interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}

// columnType is the declared type of config column c in a table qb creates
// on d: booleans stay 0/1 integers on every database (with a CHECK), so
// values, predicates and the audit's canonical form are the same on all.
func columnType(d dialect, c *schema.Column) string {
	switch c.Type {
	case schema.TypeInteger, schema.TypeBoolean:
		return d.intType()
	case schema.TypeTimestamp:
		if c.Format.Epoch() {
			return d.intType()
		}
		return "TEXT"
	case schema.TypeReal:
		return d.realType()
	default:
		return "TEXT"
	}
}

// SQL's boolean constants, as conditions compiled into predicates.
const (
	sqlTrue  = "TRUE"
	sqlFalse = "FALSE"
)
