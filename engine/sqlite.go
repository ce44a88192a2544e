package engine

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"quickback.dev/qb/schema"
)

// sqliteDialect is SQLite's side of the dialect seam.
type sqliteDialect struct{}

func (sqliteDialect) name() string { return "SQLite" }

func (sqliteDialect) intType() string       { return "INTEGER" }
func (sqliteDialect) realType() string      { return "REAL" }
func (sqliteDialect) textCollation() string { return "" }

func (sqliteDialect) indexName(name string) string { return name }

func (sqliteDialect) indexColumn(col string, _ bool) string { return Q(col) }

// sortKey: SQLite compares text as bytes (BINARY), NULLs first ascending.
func (sqliteDialect) sortKey(col string) string { return col }

func (sqliteDialect) byteOrdered(context.Context, queryer) (map[[2]string]bool, error) {
	return nil, nil
}

func (sqliteDialect) nullsOrder(bool) string { return "" }

// contains: SQLite's LIKE folds ASCII letters only, which is exact for an
// ASCII needle; a needle with other characters goes through qb_contains,
// which folds every letter (so "TOMÁS" finds "Tomás").
func (sqliteDialect) contains(col, needle string) (string, any) {
	for i := 0; i < len(needle); i++ {
		if needle[i] >= 0x80 {
			return "qb_contains(" + col + ", ?)", needle
		}
	}
	return col + ` LIKE ? ESCAPE '\'`, likePattern(needle)
}

func (sqliteDialect) unlikely(cond string) string { return "unlikely(" + cond + ")" }

// tableColumns is the one place that asks SQLite for a table's layout.
func (sqliteDialect) tableColumns(ctx context.Context, q queryer, table string) (map[string]dbColumn, error) {
	rows, err := q.QueryContext(ctx, "SELECT name, type, \"notnull\", dflt_value IS NOT NULL, pk FROM pragma_table_info(?)", table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]dbColumn{}
	for rows.Next() {
		var c dbColumn
		var nn, pk int
		if err := rows.Scan(&c.name, &c.typ, &nn, &c.hasDefault, &pk); err != nil {
			return nil, err
		}
		c.notNull, c.pk = nn != 0, pk > 0
		out[c.name] = c
	}
	return out, rows.Err()
}

func (sqliteDialect) indexColumns(ctx context.Context, q queryer, table string, unique bool) ([][]string, error) {
	where := ""
	if unique {
		where = ` WHERE "unique" = 1 AND partial = 0`
	}
	names, err := queryStrings(ctx, q, "SELECT name FROM pragma_index_list(?)"+where, table)
	if err != nil {
		return nil, err
	}
	var out [][]string
	for _, n := range names {
		cols, err := queryStrings(ctx, q, "SELECT COALESCE(name, '') FROM pragma_index_info(?) ORDER BY seqno", n)
		if err != nil {
			return nil, err
		}
		out = append(out, cols)
	}
	return out, nil
}

func (sqliteDialect) exists(ctx context.Context, q queryer, name string) (bool, error) {
	names, err := queryStrings(ctx, q, "SELECT name FROM sqlite_master WHERE name = ?", name)
	return len(names) > 0, err
}

func (sqliteDialect) tables(ctx context.Context, q queryer) ([]string, error) {
	return queryStrings(ctx, q, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`)
}

// rowEstimate is the table's largest rowid (-1 for a table without one).
func (sqliteDialect) rowEstimate(ctx context.Context, q queryer, table string) (int64, error) {
	rows, err := q.QueryContext(ctx, "SELECT max(rowid) FROM "+Q(table))
	if err != nil {
		return -1, nil
	}
	defer rows.Close()
	var n sql.NullInt64
	if rows.Next() {
		if err := rows.Scan(&n); err != nil {
			return -1, nil
		}
	}
	return n.Int64, rows.Err()
}

func (sqliteDialect) compatible(c *schema.Column, decl string) bool {
	return compatible(c, affinity(decl))
}

func (sqliteDialect) isInteger(decl string) bool { return affinity(decl) == affInteger }

// nativeType: SQLite keeps every value as an integer, real, text or blob.
func (sqliteDialect) nativeType(string) bool { return false }

func (sqliteDialect) mismatchHint(*schema.Column, string) string { return "" }

// begin: the pool's connections begin IMMEDIATE (the DSN's _txlock), which
// takes SQLite's write lock, waiting up to the busy timeout.
func (sqliteDialect) begin(ctx context.Context, db *sql.DB, _ bool) (*sql.Tx, error) {
	return db.BeginTx(ctx, nil)
}

// beginWrite: SQLite has one writer at a time; the write holds its lock
// from the start, which keeps every row it read unchanged until commit.
func (d sqliteDialect) beginWrite(ctx context.Context, db *sql.DB) (*sql.Tx, error) {
	return d.begin(ctx, db, true)
}

// rowLock: the transaction already holds the database's only write lock.
func (sqliteDialect) rowLock(lockMode) string { return "" }

// auditLock: the transaction already holds the database's only write lock.
func (sqliteDialect) auditLock(context.Context, rowQuerier, bool) error { return nil }

// untimed: SQLite has no statement limit.
func (sqliteDialect) untimed(context.Context, *sql.Tx) error { return nil }

// longRead: the pool, as every read.
func (sqliteDialect) longRead(_ context.Context, db *sql.DB) (queryer, func(), error) {
	return db, func() {}, nil
}

// attempt: a failed statement leaves a SQLite transaction usable.
func (sqliteDialect) attempt(_ context.Context, _ *sql.Tx, fn func() error) error { return fn() }

func (sqliteDialect) searchIndexer() searchIndexer { return ftsIndexer{} }

func (sqliteDialect) layoutRecord() layoutRecord { return schemaVersionRecord{} }

func (sqliteDialect) bulkConn(ctx context.Context, conn *sql.Conn) (func(), error) {
	return sqliteBulkConn(ctx, conn)
}

func (sqliteDialect) bulkWriter(ctx context.Context, conn *sql.Conn, insert string) (bulkWriter, error) {
	stmt, err := conn.PrepareContext(ctx, insert)
	if err != nil {
		return nil, err
	}
	return stmtBulkWriter{conn: conn, stmt: stmt}, nil
}

// appendPending: on a pooled driver connection, through its prepared
// statements (appendOnConn).
func (sqliteDialect) appendPending(ctx context.Context, e *Engine, ent *AuditEntry, wait bool, last *AuditEntry) error {
	return e.appendOnConn(ctx, ent, wait, last)
}

// auditWriter: one INSERT per entry, each a call into the library.
func (sqliteDialect) auditWriter(q execQuerier) auditWriter { return sqlWriter{q} }

// foreignKeysSQL reads every table's foreign keys from pragma_foreign_key_list.
func (sqliteDialect) foreignKeysSQL() string { return sqliteForeignKeysSQL }

const sqliteForeignKeysSQL = `SELECT m.name, f.id, f."from", COALESCE(f."to", '')
FROM sqlite_master m, pragma_foreign_key_list(m.name) f
WHERE m.type = 'table' AND f."table" = ? COLLATE NOCASE
ORDER BY m.name, f.id, f.seq`

// ping reads sqlite_master, which a file that is not a SQLite database
// (or is truncated) fails.
func (d sqliteDialect) ping(db *sql.DB, path string, busyMS int) error {
	var n int
	if err := db.QueryRow("SELECT count(*) FROM sqlite_master").Scan(&n); err != nil {
		if w := d.wrapErr(path, busyMS, err); !strings.HasPrefix(w.Error(), "database "+path+": ") {
			return w
		}
		return fmt.Errorf("database %s: cannot be read as SQLite (%v); check the path or restore it from a backup", path, err)
	}
	return nil
}

// wrapErr classifies SQLite's errors by their text.
func (sqliteDialect) wrapErr(path string, busyMS int, err error) error {
	msg := err.Error()
	switch {
	case isBusy(err):
		return fmt.Errorf("database %s is locked by another writer (waited %d ms); try again when it finishes, or find the process holding it (fuser %s)", path, busyMS, path)
	case strings.Contains(msg, "readonly") || strings.Contains(msg, "read-only"):
		return fmt.Errorf("database %s is read-only; open it with --read-only or fix its permissions", path)
	case strings.Contains(msg, "unable to open") || strings.Contains(msg, "SQLITE_CANTOPEN"):
		return fmt.Errorf("database %s cannot be opened (%v); check the path and the permissions of the file and its directory", path, err)
	case strings.Contains(msg, "not a database") || strings.Contains(msg, "malformed"):
		return fmt.Errorf("database %s is not a SQLite database or is corrupt; restore it from a backup or start over with `qb seed --reset`", path)
	}
	return fmt.Errorf("database %s: %w", path, err)
}

// queryStrings runs a query of one text column and returns its values.
func queryStrings(ctx context.Context, q queryer, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
