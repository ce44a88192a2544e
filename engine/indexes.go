package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Indexes for a database qb did not create: qb never creates them silently
// there (SPEC §9.2). `qb check --db` prints the ones that would make each
// firewall scope and keyset page an index seek; `qb migrate --indexes`
// creates them. Lists are correct without them, only slower.

// IndexSuggestion is an index a table lacks: its config table, name and
// CREATE statement — or, for a search index (Search, search.go), the
// statements that build it.
type IndexSuggestion struct {
	Table  string `json:"table"`
	Name   string `json:"name"`
	SQL    string `json:"sql"`
	Search bool   `json:"search,omitempty"`
}

// SuggestedIndexes lists the scope and owner indexes of the config's tables
// that the database has no equivalent of: no index on the table whose
// leading columns are the same, in the same order (under any name).
func (e *Engine) SuggestedIndexes(ctx context.Context) ([]IndexSuggestion, error) {
	s := e.store
	out := []IndexSuggestion{}
	for _, t := range s.cfg.Tables {
		have, err := s.d.indexColumns(ctx, s.db, t.SQLName, false)
		if err != nil {
			return nil, s.wrapErr(err)
		}
		for _, x := range tableIndexes(s.d, t) {
			if !x.seek || coveredBy(x.cols, have) {
				continue
			}
			out = append(out, IndexSuggestion{Table: t.Name, Name: x.name, SQL: x.ddl()})
		}
	}
	return out, nil
}

// coveredBy reports whether one of the indexes (each its column names)
// starts with cols, so it serves the same seeks and order.
func coveredBy(cols []string, indexes [][]string) bool {
	for _, ix := range indexes {
		if len(ix) >= len(cols) && slices.EqualFunc(ix[:len(cols)], cols, strings.EqualFold) {
			return true
		}
	}
	return false
}

// uniqueIndexColumns lists the column names of every unique index of a
// table that covers all of its rows (the primary key's included; a partial
// one is not).
func (s *store) uniqueIndexColumns(ctx context.Context, table string) ([][]string, error) {
	cols, err := s.d.indexColumns(ctx, s.db, table, true)
	return cols, s.wrapErr(err)
}

// IndexProgress reports the creation of one index: before it starts (Done
// false, Took 0, Rows the table's size), every indexTick while it is being
// built (Done false, Took the time so far), and when it is built (Done,
// Took).
type IndexProgress struct {
	Index IndexSuggestion
	N, Of int // this is index N of Of (from 1)
	Rows  int64
	Done  bool
	Took  time.Duration
}

// indexTick is how often CreateIndexes reports an index still being built:
// SQLite builds it in one statement, which on a large table takes a while.
var indexTick = 2 * time.Second

// reportWhile calls progress with the time elapsed every indexTick until
// the returned stop is called; stop returns once no call is running.
func reportWhile(p IndexProgress, start time.Time, progress func(IndexProgress)) (stop func()) {
	if progress == nil {
		return func() {}
	}
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(indexTick)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				p.Took = time.Since(start)
				progress(p)
			}
		}
	}()
	return func() { close(done); <-finished }
}

// CreateIndexes creates the suggested indexes, each in a transaction of
// its own (SQLite builds an index in one statement: a large table holds
// the write lock while it is built), calling progress before each, while
// it is built and after it, and records each in the audit log as the
// system. progress is called from one goroutine at a time. It stops at the
// first failure or when ctx is done; the indexes built so far stay.
func (e *Engine) CreateIndexes(ctx context.Context, list []IndexSuggestion, progress func(IndexProgress)) error {
	s := e.store
	if err := s.writable(); err != nil {
		return err
	}
	for i, x := range list {
		t := s.cfg.Table(x.Table)
		if t == nil {
			return fmt.Errorf("unknown table %q", x.Table)
		}
		p := IndexProgress{Index: x, N: i + 1, Of: len(list)}
		if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM "+Q(t.SQLName)).Scan(&p.Rows); err != nil {
			return s.wrapErr(err)
		}
		if progress != nil {
			progress(p)
		}
		start := time.Now()
		tx, err := s.d.begin(ctx, s.db, true)
		if err != nil {
			return s.wrapErr(err)
		}
		if err := s.d.untimed(ctx, tx); err != nil { // an index over a large table takes minutes
			tx.Rollback()
			return s.wrapErr(err)
		}
		stop := reportWhile(p, start, progress)
		op, use := "migrate:index", func() {}
		if x.Search {
			op = "migrate:search-index"
			use, err = s.createSearchIndex(ctx, tx, t)
		} else {
			_, err = tx.ExecContext(ctx, x.SQL)
		}
		stop()
		if err != nil {
			tx.Rollback()
			return fmt.Errorf("%s: %w", x.Name, s.wrapErr(err))
		}
		done, err := e.logInTx(ctx, tx, e.systemEntry(op, t.Name, x.Name, nil))
		if err != nil {
			tx.Rollback()
			return s.wrapErr(err)
		}
		err = tx.Commit()
		done(err == nil)
		if err != nil {
			return s.wrapErr(err)
		}
		use()
		p.Done, p.Took = true, time.Since(start)
		if progress != nil {
			progress(p)
		}
	}
	return nil
}
