package engine

import (
	"container/list"
	"context"
	"database/sql"
	"sync"
)

// maxCachedStmts bounds the statements an engine keeps prepared. List
// statements vary with filters, sort, search and page size, so the set of
// texts is open-ended; the least recently used is closed beyond the cap.
const maxCachedStmts = 256

// stmtCache keeps the engine's statements prepared (on the store's pool,
// and by database/sql once per connection), keyed by their SQL text, so a
// read or write parses its SQL once instead of on every call. It only
// saves the parse: the statements, their arguments, transactions and
// policy checks are exactly those of the uncached path, to which every
// caller falls back when a statement cannot be prepared (the error is then
// the uncached one).
//
// The cache belongs to one *sql.DB: the engines Reload derives from an
// engine share it (they share the connections), and Close closes it before
// the database, after which it prepares nothing.
type stmtCache struct {
	db *sql.DB

	mu     sync.Mutex
	max    int
	byText map[string]*list.Element // of *cachedStmt
	lru    list.List                // front = most recently used
	closed bool
}

type cachedStmt struct {
	query   string
	st      *sql.Stmt
	users   int  // callers between acquire and release
	evicted bool // out of the cache: closed by the last release
}

func newStmtCache(db *sql.DB, max int) *stmtCache {
	return &stmtCache{db: db, max: max, byText: map[string]*list.Element{}}
}

// acquire returns the prepared statement for query (preparing it on first
// use) and the function to call once the statement has been used (its
// Rows, Row or Result obtained; database/sql keeps a statement open while
// its rows are). It returns nil when the statement cannot be prepared or
// the cache is closed.
func (c *stmtCache) acquire(ctx context.Context, query string) (*sql.Stmt, func()) {
	if c == nil {
		return nil, nil
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, nil
	}
	if el, ok := c.byText[query]; ok {
		c.lru.MoveToFront(el)
		cs := el.Value.(*cachedStmt)
		cs.users++
		c.mu.Unlock()
		return cs.st, func() { c.release(cs) }
	}
	c.mu.Unlock()

	// Prepare outside the lock: it takes a connection and may wait for one.
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		st.Close()
		return nil, nil
	}
	if el, ok := c.byText[query]; ok { // prepared concurrently: keep one
		st.Close()
		c.lru.MoveToFront(el)
		cs := el.Value.(*cachedStmt)
		cs.users++
		return cs.st, func() { c.release(cs) }
	}
	cs := &cachedStmt{query: query, st: st, users: 1}
	c.byText[query] = c.lru.PushFront(cs)
	for c.lru.Len() > c.max {
		c.evictLocked(c.lru.Back())
	}
	return st, func() { c.release(cs) }
}

func (c *stmtCache) evictLocked(el *list.Element) {
	cs := el.Value.(*cachedStmt)
	c.lru.Remove(el)
	delete(c.byText, cs.query)
	cs.evicted = true
	if cs.users == 0 {
		cs.st.Close()
	}
}

func (c *stmtCache) release(cs *cachedStmt) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cs.users--
	if cs.users == 0 && cs.evicted {
		cs.st.Close()
	}
}

// len is the number of statements cached.
func (c *stmtCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

// close closes every cached statement (those in use when their user
// releases them) and stops caching.
func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for c.lru.Len() > 0 {
		c.evictLocked(c.lru.Back())
	}
}

// stmtFor returns the cached statement for query bound to q (the pool or a
// transaction), or nil to run query on q directly.
func (c *stmtCache) stmtFor(ctx context.Context, q any, query string) (*sql.Stmt, func()) {
	switch q := q.(type) {
	case *sql.DB:
		if q != c.db {
			return nil, nil
		}
		return c.acquire(ctx, query)
	case *sql.Tx:
		st, release := c.acquire(ctx, query)
		if st == nil {
			return nil, nil
		}
		// The transaction's statement keeps the parent open until the
		// transaction ends, so the parent may be released right away.
		ts := q.StmtContext(ctx, st)
		release()
		return ts, func() {}
	}
	return nil, nil
}

// queryRow is q.QueryRowContext(ctx, query, args...) through the cache.
func (e *Engine) queryRow(ctx context.Context, q querier, query string, args ...any) *sql.Row {
	if st, release := e.stmtCache().stmtFor(ctx, q, query); st != nil {
		defer release()
		return st.QueryRowContext(ctx, args...)
	}
	return q.QueryRowContext(ctx, query, args...)
}

// query is e.store.db.QueryContext(ctx, query, args...) through the cache.
func (e *Engine) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st, release := e.stmtCache().stmtFor(ctx, e.store.db, query); st != nil {
		defer release()
		return st.QueryContext(ctx, args...)
	}
	return e.store.db.QueryContext(ctx, query, args...)
}

// exec is tx.ExecContext(ctx, query, args...) through the cache.
func (e *Engine) exec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	if st, release := e.stmtCache().stmtFor(ctx, tx, query); st != nil {
		defer release()
		return st.ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, query, args...)
}

// stmtCache returns the engine's statement cache.
func (e *Engine) stmtCache() *stmtCache {
	e.stmtMu.Lock()
	defer e.stmtMu.Unlock()
	return e.stmts
}
