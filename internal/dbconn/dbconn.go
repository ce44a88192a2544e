// Package dbconn names and opens the databases qb works on: a SQLite file
// (modernc's driver, registered by the engine) or a PostgreSQL URL (pgx,
// with the engine's "?" placeholders rebound to $n). The engine opens its
// store through it; tools and tests use it to look at a database behind the
// engine's back.
package dbconn

import (
	"fmt"
	"net/url"
	"strings"
)

// BusyTimeoutMS is how long a statement waits for another writer's lock
// unless told otherwise.
const BusyTimeoutMS = 5000

// IsPostgres reports whether a --db value names a PostgreSQL database (a
// postgres:// or postgresql:// URL) rather than a SQLite file.
func IsPostgres(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// DisplayName is a --db value as messages show it: a PostgreSQL URL
// without its password, a file path as it is.
func DisplayName(db string) string {
	if !IsPostgres(db) {
		return db
	}
	u, err := url.Parse(db)
	if err != nil {
		return "a PostgreSQL URL that does not parse"
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// DSN is SQLiteDSN with the default busy timeout, for tools and tests that
// open a SQLite file behind the engine's back.
func DSN(path string, readOnly bool) string { return SQLiteDSN(path, readOnly, BusyTimeoutMS) }

// SQLiteDSN is the driver connection string for path: WAL, a busy timeout
// of busyMS, foreign keys on, and immediate write transactions so writers
// queue instead of deadlocking on a lock upgrade.
func SQLiteDSN(path string, readOnly bool, busyMS int) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyMS))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	if readOnly {
		q.Add("mode", "ro")
	} else {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode()
}
