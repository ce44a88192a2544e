package dbconn

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// StatementTimeout is how long a statement may run on qb's connections
// unless the URL says otherwise (?statement_timeout=). A page, a get or a
// write takes milliseconds with the indexes qb check suggests, and a
// funnel count or an audit verification over millions of rows seconds: a
// statement still running after a minute is a missing index or a runaway
// query, which the console reports rather than waits on. Above
// lock_timeout (the busy timeout, 5 s), so waiting for another writer
// ends as "locked" first. Building an index lifts it (SET LOCAL).
const StatementTimeout = "60s"

// OpenPostgres opens a database/sql pool on the postgres:// URL whose
// connections take the engine's "?" placeholders (rebound to $n), read and
// write PostgreSQL's own boolean, time and JSON types in the engine's
// forms (pgvalues.go), stop a statement after StatementTimeout, wait busyMS
// for a lock (lock_timeout), and refuse
// writes when readOnly (default_transaction_read_only).
func OpenPostgres(url string, readOnly bool, busyMS int) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		// pgx's parse errors show the URL with its password as xxxxx.
		return nil, fmt.Errorf("the PostgreSQL URL does not parse: %w", err)
	}
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	if _, ok := cfg.RuntimeParams["lock_timeout"]; !ok {
		cfg.RuntimeParams["lock_timeout"] = strconv.Itoa(busyMS)
	}
	if _, ok := cfg.RuntimeParams["statement_timeout"]; !ok {
		cfg.RuntimeParams["statement_timeout"] = StatementTimeout
	}
	if readOnly {
		cfg.RuntimeParams["default_transaction_read_only"] = "on"
	}
	return sql.OpenDB(rebindConnector{stdlib.GetConnector(*cfg, stdlib.OptionAfterConnect(pgAfterConnect))}), nil
}

// rebindConnector gives database/sql connections that rewrite "?" to $n.
type rebindConnector struct{ driver.Connector }

func (c rebindConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &rebindConn{conn.(*stdlib.Conn)}, nil
}

// rebindConn is pgx's connection with the engine's SQL rebound.
type rebindConn struct{ *stdlib.Conn }

// PgxConn is the pgx connection under a driver connection of a pool
// OpenPostgres opened (what sql.Conn.Raw hands its function), for what
// database/sql cannot say, such as COPY (pgx.Conn.CopyFrom).
func PgxConn(driverConn any) (*pgx.Conn, bool) {
	c, ok := driverConn.(*rebindConn)
	if !ok {
		return nil, false
	}
	return c.Conn.Conn(), true
}

func (c *rebindConn) Prepare(query string) (driver.Stmt, error) {
	return pgWrapStmt(c.Conn.Prepare(rebind(query)))
}

func (c *rebindConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return pgWrapStmt(c.Conn.PrepareContext(ctx, rebind(query)))
}

func (c *rebindConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return c.Conn.ExecContext(ctx, rebind(query), args)
}

func (c *rebindConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	rows, err := c.Conn.QueryContext(ctx, rebind(query), args)
	if err != nil {
		return nil, err
	}
	return pgWrapRows(rows), nil
}

var rebound sync.Map // query → rebound query

// rebind rewrites "?" placeholders to $1, $2, ... outside string literals,
// quoted identifiers and comments.
func rebind(q string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	if r, ok := rebound.Load(q); ok {
		return r.(string)
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(q) {
				if q[j] == c {
					if j+1 < len(q) && q[j+1] == c {
						j += 2
						continue
					}
					break
				}
				j++
			}
			b.WriteString(q[i:min(j+1, len(q))])
			i = j
		case c == '-' && i+1 < len(q) && q[i+1] == '-':
			j := strings.IndexByte(q[i:], '\n')
			if j < 0 {
				j = len(q) - i
			}
			b.WriteString(q[i : i+j])
			i += j - 1
		case c == '?':
			n++
			b.WriteString("$" + strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	r := b.String()
	rebound.Store(q, r)
	return r
}

// OpenRaw opens a plain connection pool on a PostgreSQL URL that takes the
// engine's SQL ("?" placeholders), for tools and tests that look at the
// database behind the engine's back.
func OpenRaw(url string) (*sql.DB, error) { return OpenPostgres(url, false, BusyTimeoutMS) }

// IsPostgresDB reports whether db is a pool on PostgreSQL.
func IsPostgresDB(db *sql.DB) bool {
	_, ok := db.Driver().(*stdlib.Driver)
	return ok
}
