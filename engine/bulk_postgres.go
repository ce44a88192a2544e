package engine

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"quickback.dev/qb/internal/dbconn"
	"quickback.dev/qb/schema"
)

// copyBulkWriter is PostgreSQL's bulkWriter: each batch is one COPY
// (copyBatch) in a transaction that holds the writers' advisory lock.
type copyBulkWriter struct{ conn *sql.Conn }

func (w copyBulkWriter) begin(ctx context.Context) error {
	if _, err := w.conn.ExecContext(ctx, "BEGIN"); err != nil {
		return err
	}
	if err := pgLock(ctx, w.conn, true); err != nil {
		w.conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		return err
	}
	return nil
}

func (w copyBulkWriter) write(ctx context.Context, t *schema.Table, cols []string, vals []any, has *bool, next func([]any) bool, batch int) (n, row int, err error) {
	return copyBatch(ctx, w.conn, t, cols, vals, has, next, batch)
}

func (copyBulkWriter) close() {}

// copyBatch is bulkBatch's row loop on PostgreSQL: the batch's rows go to
// the server in one COPY … FROM STDIN (pgx's CopyFrom, binary format) on
// the run's connection, inside the batch's transaction, instead of one
// INSERT round trip per row. The same rows reach the same table under the
// same constraints; the database maintains every index as it would for
// the INSERTs. On an error, row is the batch's row that failed (1-based,
// from the server's "COPY …, line N" context; 0 when it is not known).
func copyBatch(ctx context.Context, conn *sql.Conn, t *schema.Table, cols []string, vals []any, has *bool, next func([]any) bool, batch int) (n, row int, err error) {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = t.Column(c).SQLName
	}
	src := &copyRows{vals: vals, has: has, next: next, max: batch}
	err = conn.Raw(func(dc any) error {
		pc, ok := dbconn.PgxConn(dc)
		if !ok {
			return fmt.Errorf("bulk load: a %T is not a PostgreSQL connection of qb's", dc)
		}
		_, err := pc.CopyFrom(ctx, pgx.Identifier{t.SQLName}, names, src)
		return err
	})
	if err != nil {
		return 0, copyLine(err), err
	}
	return src.n, 0, nil
}

// copyRows is one batch as CopyFrom reads it: the row already in vals,
// then next's rows, up to max. Like bulkBatch's loop it reads one row
// ahead, so *has tells whether a row is left for the next batch (then in
// vals). pgx encodes each row before it asks for the next, so one vals
// serves every row.
type copyRows struct {
	vals          []any
	has           *bool
	next          func([]any) bool
	n, max        int
	started, done bool
}

func (c *copyRows) Next() bool {
	if c.done {
		return false
	}
	if c.started {
		c.n++
		*c.has = c.next(c.vals)
	}
	c.started = true
	c.done = !*c.has || c.n >= c.max
	return !c.done
}

func (c *copyRows) Values() ([]any, error) { return c.vals, nil }

func (c *copyRows) Err() error { return nil }

// copyLine is the line of a COPY that a server error names in its context
// ("COPY candidates, line 17[, column …]"), 0 when there is none. Only
// the number is read: the context can quote the row's value.
func copyLine(err error) int {
	pe := asPG(err)
	if pe == nil {
		return 0
	}
	_, rest, ok := strings.Cut(pe.Where, ", line ")
	if !ok {
		return 0
	}
	if i := strings.IndexByte(rest, ','); i >= 0 {
		rest = rest[:i]
	}
	n, err := strconv.Atoi(strings.TrimSpace(rest))
	if err != nil {
		return 0
	}
	return n
}
