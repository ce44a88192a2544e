package engine

// Test-only access to the engine's internals, compiled into its tests only.

import (
	"context"
	"database/sql"
	"time"

	"quickback.dev/qb/schema"
)

// RawDB is e's connection pool, for tests that read or tamper with the
// database behind the engine's back.
func RawDB(e *Engine) *sql.DB { return e.store.db }

// IndexDDL, FormatVersion, NewID and FormatTime expose what the layout and audit tests
// check against (DiffConfigs and GenesisHash are exported for good).
var (
	IndexDDL   = func(t *schema.Table) []string { return indexDDL(sqliteDialect{}, t) }
	NewID      = freshID
	FormatTime = formatTime
)

const FormatVersion = formatVersion

// Redacted, WitnessPath and DidYouMean keep the tests' names for what the
// package keeps to itself.
const (
	Redacted   = redacted
	DidYouMean = didYouMeanKey
)

var WitnessPath = witnessFile

// SetIndexTick makes CreateIndexes report an index still being built every
// d; it returns a function restoring the previous interval.
func SetIndexTick(d time.Duration) (restore func()) {
	prev := indexTick
	indexTick = d
	return func() { indexTick = prev }
}

// UserLookupSQL is the statement that finds a user by id or email as given
// (what --as resolves first), for a query-plan test.
func UserLookupSQL(e *Engine) string { return e.store.membersSQL(membersByIDOrEmail) }

// SetBeforeActionUpdate installs f to run inside an action's transaction
// just before the record's conditional update (a test changes the record
// under the action with it). It returns a function restoring the previous
// hook. Compiled into tests only.
func SetBeforeActionUpdate(f func(ctx context.Context, tx *sql.Tx)) (restore func()) {
	prev := beforeActionUpdate
	beforeActionUpdate = f
	return func() { beforeActionUpdate = prev }
}

// EntryHash is the hash the engine gives an audit entry (its content and
// its previous hash), so a test can verify new entries chain onto a head it
// verified before without re-reading the whole log. Compiled into tests
// only.
func EntryHash(e *AuditEntry) string { return entryHash(e) }

// SetStmtCacheMax replaces e's statement cache with an empty one holding at
// most n statements; n < 0 closes it (every statement is then run
// unprepared, the path taken when a statement cannot be prepared).
// Compiled into tests only.
func SetStmtCacheMax(e *Engine, n int) {
	c := newStmtCache(e.store.db, max(n, 0))
	if n < 0 {
		c.close()
	}
	e.stmtCache().close()
	e.stmtMu.Lock()
	e.stmts = c
	e.stmtMu.Unlock()
}

// StmtCacheLen is the number of statements e keeps prepared.
func StmtCacheLen(e *Engine) int { return e.stmtCache().len() }

// FunnelSQL is the count statements Funnel runs for id on table with q, by
// stage, with their arguments (the organization stage's statement counts
// its deleted rows only: Funnel adds the live ones).
func FunnelSQL(e *Engine, id Identity, table string, q ListQuery) (stages, stmts []string, args [][]any, err error) {
	qs, err := e.funnelPlan(id, table, q)
	for _, fq := range qs {
		stages = append(stages, fq.stage.Stage)
		stmts = append(stmts, fq.sql)
		args = append(args, fq.args)
	}
	return stages, stmts, args, err
}

// WaitGroupCommits waits until no background group commit of e is running.
func WaitGroupCommits(e *Engine) { e.audit.waitGroupCommits() }

// SetSearchVia makes List read through a table's search index always (1),
// never (-1), or as it decides (0).
func SetSearchVia(e *Engine, via int) { e.searchVia = via }

// ListMatch is the search index query of a list ("" when it uses none).
func ListMatch(e *Engine, id Identity, table string, q ListQuery) (string, error) {
	t, err := e.table(table, true)
	if err != nil {
		return "", err
	}
	p, err := e.planList(t, id, q)
	if err != nil {
		return "", err
	}
	return p.match, nil
}

// SearchPhrases exposes searchPhrases.
func SearchPhrases(needle string) []string { return searchPhrases(needle) }

// SetBulkSearchRows sets the smallest bulk run that rebuilds the search
// index after it (bulkSearchRows).
func SetBulkSearchRows(n int) (restore func()) {
	old := bulkSearchRows
	bulkSearchRows = n
	return func() { bulkSearchRows = old }
}

// SetRacePoint installs f to be called at the race points of a write (see
// racePoint); a test holds a transaction there. It returns a function
// restoring the previous hook. Compiled into tests only.
func SetRacePoint(f func(point string)) (restore func()) {
	prev := racePoint
	racePoint = f
	return func() { racePoint = prev }
}

// SetPGLockAtBegin makes every PostgreSQL write transaction take the
// advisory lock at its start (on) or only before the audit head (off, the
// engine's way), for a benchmark's floor.
func SetPGLockAtBegin(on bool) { pgLockAtBegin.Store(on) }
