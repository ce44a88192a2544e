package engine

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
