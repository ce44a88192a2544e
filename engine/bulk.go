package engine

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"quickback.dev/qb/engine/seed"
	"quickback.dev/qb/schema"
)

// BulkOptions tune Loader.Insert.
type BulkOptions struct {
	// BatchSize is the number of rows per transaction; 0 means BulkBatchSize.
	BatchSize int
	// Progress, when set, is called after each committed batch with the
	// number of rows committed so far.
	Progress func(done int)
	// AuditOp, when set, makes the run append system audit entries: the
	// operation AuditOp+":start" before the first batch, and AuditOp with
	// the written columns as fields in the last batch's transaction, so a
	// run that completes commits its last rows and its entry together. Both
	// name the table and carry AuditRecord as the record id.
	AuditOp     string
	AuditRecord string
	// Rows, when set, is how many rows the run will write. A run of at
	// least bulkSearchRows rows, and no fewer than the table holds, builds
	// the table's search index once after the run instead of row by row
	// (bulkSearchIndex).
	Rows int
}

// bulkSearchRows is the smallest run that rebuilds the search index after
// it instead of keeping it up to date row by row: the index's triggers
// make every insert ≈ 4× as costly, while building it for a table in one
// statement costs about a fifth of that per row (BENCHMARKS.md, issue 14).
var bulkSearchRows = 50_000

// bulkCacheKiB is the SQLite page cache Insert gives its connection while
// it runs, so index pages of a large table stay in memory.
const bulkCacheKiB = 64 << 10

// Loader loads rows in bulk past access and guards: the synthetic data
// generator's (fixtures.Generate) way into the database. The database's own
// constraints (NOT NULL, CHECK, UNIQUE, REFERENCES) still apply, and every
// run is audited as the system.
type Loader struct{ e *Engine }

// Loader returns the engine's bulk loader.
func (e *Engine) Loader() *Loader { return &Loader{e: e} }

// table resolves a table name of the loader's config.
func (l *Loader) table(name string) (*schema.Table, error) {
	t := l.e.cfg.Table(name)
	if t == nil {
		return nil, fmt.Errorf("unknown table %q", name)
	}
	return t, nil
}

// Insert writes rows into table on one dedicated connection, through the
// dialect's bulkWriter (SQLite: one prepared INSERT reused for every row;
// PostgreSQL: one COPY per batch), in transactions of opts.BatchSize rows.
// cols are config column names; next fills vals
// (len(cols) values, already in stored form: string, int64, float64 or nil)
// and returns false when there are no more rows. It bypasses access and
// guards; the database's NOT NULL, CHECK, UNIQUE and REFERENCES constraints
// still apply. Each batch commits on its own, so an interrupted run (an
// error, a cancelled ctx, a killed process) leaves complete batches only;
// done is the number of rows committed.
func (l *Loader) Insert(ctx context.Context, table string, cols []string, next func(vals []any) bool, opts BulkOptions) (done int, err error) {
	e, s := l.e, l.e.store
	if s.readOnly {
		return 0, fmt.Errorf("database %s is open read-only", s.path)
	}
	t, err := l.table(table)
	if err != nil {
		return 0, err
	}
	batch := opts.BatchSize
	if batch <= 0 {
		batch = BulkBatchSize
	}
	names := make([]string, len(cols))
	marks := make([]string, len(cols))
	for i, n := range cols {
		c := t.Column(n)
		if c == nil {
			return 0, fmt.Errorf("table %s has no column %q", t.Name, n)
		}
		names[i] = Q(c.SQLName)
		marks[i] = "?"
	}
	q := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", Q(t.SQLName), strings.Join(names, ", "), strings.Join(marks, ", "))
	if opts.AuditOp != "" {
		if err := e.appendSystem(ctx, e.systemEntry(opts.AuditOp+":start", t.Name, opts.AuditRecord, nil)); err != nil {
			return 0, err
		}
	}

	conn, err := s.db.Conn(ctx)
	if err != nil {
		return 0, s.bulkErr(ctx, t, 1, err)
	}
	defer conn.Close()
	restore, err := s.d.bulkConn(ctx, conn)
	if err != nil {
		return 0, s.wrapErr(err)
	}
	defer restore()
	rebuild, err := e.bulkSearchIndex(ctx, conn, t, opts.Rows)
	if err != nil {
		return 0, err
	}
	defer func() {
		if rerr := rebuild(); err == nil {
			err = rerr
		}
	}()
	w, err := s.d.bulkWriter(ctx, conn, q)
	if err != nil {
		return 0, s.wrapErr(err)
	}
	defer w.close()

	vals := make([]any, len(cols))
	has := next(vals)
	for has {
		n, err := e.bulkBatch(ctx, conn, w, t, cols, vals, &has, next, batch, done, opts)
		if err != nil {
			return done, err
		}
		done += n
		if opts.Progress != nil {
			opts.Progress(done)
		}
	}
	if done == 0 && opts.AuditOp != "" {
		if err := e.appendSystem(ctx, e.systemEntry(opts.AuditOp, t.Name, opts.AuditRecord, cols)); err != nil {
			return 0, err
		}
	}
	return done, nil
}

// bulkBatch writes up to batch rows in one transaction, starting with the row
// already in vals. It reads one row ahead, so the last batch knows it is the
// last and can carry the audit entry. The transaction is begun and ended
// with SQL on the connection, so the one writer serves every batch.
func (e *Engine) bulkBatch(ctx context.Context, conn *sql.Conn, w bulkWriter, t *schema.Table, cols []string, vals []any, has *bool, next func([]any) bool, batch, before int, opts BulkOptions) (n int, err error) {
	s := e.store
	if err := w.begin(ctx); err != nil {
		return 0, s.bulkErr(ctx, t, before+1, err)
	}
	committed := false
	defer func() {
		if !committed {
			conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}()
	n, row, err := w.write(ctx, t, cols, vals, has, next, batch)
	if err != nil {
		if row == 0 {
			row = n + 1
		}
		return 0, s.bulkErr(ctx, t, before+row, err)
	}
	done := func(bool) {}
	if !*has && opts.AuditOp != "" {
		if done, err = e.logInTx(ctx, conn, e.systemEntry(opts.AuditOp, t.Name, opts.AuditRecord, cols)); err != nil {
			return 0, s.wrapErr(err)
		}
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		done(false)
		return 0, s.bulkErr(ctx, t, before+n, err)
	}
	done(true)
	committed = true
	return n, nil
}

// A bulkWriter writes a bulk run's rows on the run's one connection, in
// transactions begun and ended with SQL on it (the dialect chooses it:
// SQLite's prepared INSERT, stmtBulkWriter; PostgreSQL's COPY,
// copyBulkWriter).
type bulkWriter interface {
	// begin starts a batch's transaction, holding the write lock.
	begin(ctx context.Context) error
	// write writes the batch's rows: the one already in vals, then next's
	// (len(cols) values each), up to batch of them, reading one row ahead
	// so *has tells whether a row is left (then in vals). n is the rows
	// written; on an error, row is the batch's row that failed (1-based),
	// 0 when not known.
	write(ctx context.Context, t *schema.Table, cols []string, vals []any, has *bool, next func([]any) bool, batch int) (n, row int, err error)
	// close releases what the writer holds on the connection.
	close()
}

// sqliteBulkConn gives the run's connection a larger page cache, so index
// pages of a large table stay in memory; restore puts the connection's
// own back, so it returns to the pool as it came.
func sqliteBulkConn(ctx context.Context, conn *sql.Conn) (restore func(), err error) {
	var cache int64
	if err := conn.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&cache); err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA cache_size = -%d", bulkCacheKiB)); err != nil {
		return nil, err
	}
	return func() {
		conn.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf("PRAGMA cache_size = %d", cache))
	}, nil
}

// stmtBulkWriter is SQLite's bulkWriter: one prepared INSERT, executed per
// row, under BEGIN IMMEDIATE (SQLite's write lock).
type stmtBulkWriter struct {
	conn *sql.Conn
	stmt *sql.Stmt
}

func (w stmtBulkWriter) begin(ctx context.Context) error {
	_, err := w.conn.ExecContext(ctx, "BEGIN IMMEDIATE")
	return err
}

func (w stmtBulkWriter) write(ctx context.Context, _ *schema.Table, _ []string, vals []any, has *bool, next func([]any) bool, batch int) (n, row int, err error) {
	for *has && n < batch {
		if _, err := w.stmt.ExecContext(ctx, vals...); err != nil {
			return n, 0, err
		}
		n++
		*has = next(vals)
	}
	return n, 0, nil
}

func (w stmtBulkWriter) close() { w.stmt.Close() }

func (s *store) bulkErr(ctx context.Context, t *schema.Table, row int, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%s: interrupted at row %d: %w", t.Name, row, context.Cause(ctx))
	}
	msg := err.Error()
	switch st := pgState(err); {
	case strings.HasPrefix(st, "23"):
		return fmt.Errorf("%s: row %d breaks a constraint of the database: %s", t.Name, row, pgSafe{asPG(err)})
	case strings.Contains(msg, "UNIQUE"), strings.Contains(msg, "CHECK"), strings.Contains(msg, "NOT NULL"), strings.Contains(msg, "FOREIGN KEY"):
		return fmt.Errorf("%s: row %d breaks a constraint of the database: %s", t.Name, row, constraintText(msg))
	}
	return s.wrapErr(err)
}

// constraintText is the driver message from "constraint failed" on, without
// the driver's error code prefix.
func constraintText(msg string) string {
	if i := strings.Index(msg, "constraint failed"); i >= 0 {
		j := strings.LastIndex(msg[:i], "(")
		if j < 0 {
			j = i
		}
		return strings.TrimSpace(msg[j:])
	}
	return msg
}

// appendSystem appends one system entry in a short transaction of its own.
func (e *Engine) appendSystem(ctx context.Context, ent *AuditEntry) error {
	s := e.store
	tx, err := s.d.begin(ctx, s.db, true)
	if err != nil {
		return s.wrapErr(err)
	}
	defer tx.Rollback()
	done, err := e.logInTx(ctx, tx, ent)
	if err != nil {
		return s.wrapErr(err)
	}
	err = tx.Commit()
	done(err == nil)
	return s.wrapErr(err)
}

// EnsureIdentities adds the organizations, users and memberships that do not
// exist yet, in one transaction; existing ones (by id) are left as they are.
// It reports how many organizations and users it created.
func (l *Loader) EnsureIdentities(ctx context.Context, orgs []seed.Org, users []seed.User) (newOrgs, newUsers int, err error) {
	s := l.e.store
	tx, err := s.d.begin(ctx, s.db, true)
	if err != nil {
		return 0, 0, s.wrapErr(err)
	}
	defer tx.Rollback()
	w, err := s.identityWriter(ctx, tx, l.e.clock())
	if err != nil {
		return 0, 0, err
	}
	for _, o := range orgs {
		out, err := w.org(o.ID, o.Name, false)
		if err != nil {
			return 0, 0, fmt.Errorf("organization %s: %w", o.ID, s.wrapErr(err))
		}
		if out == seedInserted {
			newOrgs++
		}
	}
	for _, u := range users {
		role := u.UserRole
		if role == "" {
			role = "user"
		}
		out, err := w.user(u.ID, u.Name, u.Email, role, false)
		if err != nil {
			return 0, 0, fmt.Errorf("user %s: %w", u.ID, s.wrapErr(err))
		}
		if out == seedInserted {
			newUsers++
		}
		for _, m := range u.Memberships {
			if _, err := w.member(u.ID, m.Org, m.Role, false); err != nil {
				return 0, 0, fmt.Errorf("membership of %s in %s: %w", u.ID, m.Org, s.wrapErr(err))
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, 0, s.wrapErr(err)
	}
	return newOrgs, newUsers, nil
}

// LiveIDs returns the primary keys of table's live (not soft-deleted) rows,
// sorted, grouped by organization. When the table has no organization
// column every id is under the key "". With orgs non-empty, only those
// organizations are read.
func (l *Loader) LiveIDs(ctx context.Context, table string, orgs []string) (map[string][]string, error) {
	s := l.e.store
	t, err := l.table(table)
	if err != nil {
		return nil, err
	}
	pk := t.PrimaryKey()
	if pk == nil {
		return nil, fmt.Errorf("table %s has no primary key", t.Name)
	}
	live := Q(t.Column("deletedAt").SQLName) + " IS NULL"
	out := map[string][]string{}
	oc := t.OrgColumn()
	if oc == nil {
		rows, err := s.db.QueryContext(ctx, fmt.Sprintf("SELECT %s FROM %s WHERE %s ORDER BY 1", Q(pk.SQLName), Q(t.SQLName), live))
		if err != nil {
			return nil, s.wrapErr(err)
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return nil, err
			}
			out[""] = append(out[""], id)
		}
		return out, rows.Err()
	}
	want := map[string]bool{}
	for _, o := range orgs {
		want[o] = true
	}
	rows, err := s.db.QueryContext(ctx, fmt.Sprintf("SELECT %s, %s FROM %s WHERE %s ORDER BY 1, 2", Q(oc.SQLName), Q(pk.SQLName), Q(t.SQLName), live))
	if err != nil {
		return nil, s.wrapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var org, id string
		if err := rows.Scan(&org, &id); err != nil {
			return nil, err
		}
		if len(want) > 0 && !want[org] {
			continue
		}
		out[org] = append(out[org], id)
	}
	return out, rows.Err()
}

// HasRow reports whether table holds a row (live or soft-deleted) with
// primary key id.
func (l *Loader) HasRow(ctx context.Context, table, id string) (bool, error) {
	s := l.e.store
	t, err := l.table(table)
	if err != nil {
		return false, err
	}
	pk := t.PrimaryKey()
	if pk == nil {
		return false, fmt.Errorf("table %s has no primary key", t.Name)
	}
	var one int
	err = s.db.QueryRowContext(ctx, fmt.Sprintf("SELECT 1 FROM %s WHERE %s = ?", Q(t.SQLName), Q(pk.SQLName)), id).Scan(&one)
	if isNoRows(err) {
		return false, nil
	}
	if err != nil {
		return false, s.wrapErr(err)
	}
	return true, nil
}

// MaxInt is the largest value of an integer column (ok false when the
// table has no value in it).
func (l *Loader) MaxInt(ctx context.Context, table, col string) (max int64, ok bool, err error) {
	s := l.e.store
	t, err := l.table(table)
	if err != nil {
		return 0, false, err
	}
	c := t.Column(col)
	if c == nil {
		return 0, false, fmt.Errorf("table %s has no column %q", t.Name, col)
	}
	var v sql.NullInt64
	if err := s.db.QueryRowContext(ctx, fmt.Sprintf("SELECT max(%s) FROM %s", Q(c.SQLName), Q(t.SQLName))).Scan(&v); err != nil {
		return 0, false, s.wrapErr(err)
	}
	return v.Int64, v.Valid, nil
}

// MakeID builds an id in freshID's format (time-ordered, 24 characters) from
// a millisecond timestamp and nine random bytes, for callers that derive
// both deterministically (generate).
func MakeID(ms int64, random [9]byte) string {
	var b [15]byte
	for i := 0; i < 6; i++ {
		b[i] = byte(uint64(ms) >> (40 - 8*i))
	}
	copy(b[6:], random[:])
	return idEncoding.EncodeToString(b[:])
}

// CreatorRoles are the roles that may create rows of table: the roles of
// its create access, or for an internal table those of the actions
// inserting into it (PUBLIC left out). all is true when any role may: no
// rule restricts creation, or a rule names no roles.
func (l *Loader) CreatorRoles(table string) (roles []string, all bool) {
	cfg := l.e.cfg
	t := cfg.Table(table)
	if t == nil {
		return nil, true
	}
	var rules []*schema.Access
	if op := t.CRUD[schema.OpCreate]; op != nil && op.Access != nil {
		rules = append(rules, op.Access)
	}
	for _, ot := range cfg.Tables {
		for _, a := range ot.Actions {
			for _, ins := range a.Inserts {
				if ins.Table == t.Name && a.Access != nil {
					rules = append(rules, a.Access)
				}
			}
		}
	}
	if len(rules) == 0 {
		return nil, true
	}
	seen := map[string]bool{}
	var walk func(a *schema.Access)
	walk = func(a *schema.Access) {
		if a == nil {
			return
		}
		for _, x := range append(append([]*schema.Access{}, a.Or...), a.And...) {
			walk(x)
		}
		if len(a.Or) == 0 && len(a.And) == 0 {
			if a.Roles == nil {
				all = true
			}
			for _, r := range a.Roles {
				if r != "PUBLIC" && !seen[r] {
					seen[r] = true
					roles = append(roles, r)
				}
			}
		}
	}
	for _, r := range rules {
		walk(r)
	}
	return roles, all || len(roles) == 0
}

// bulkSearchIndex drops t's search index for a run of rows rows when the run
// is large (bulkSearchRows, and no smaller than the table) and returns the
// function that builds it again from every row of the table, to call when
// the run ends — completed or not (a cancelled ctx does not stop it). Lists
// stay correct meanwhile: without its index a search scans (search.go); a
// process killed before the rebuild leaves the index missing, which
// `qb check --db` reports and `qb migrate --indexes` builds.
func (e *Engine) bulkSearchIndex(ctx context.Context, conn *sql.Conn, t *schema.Table, rows int) (rebuild func() error, err error) {
	s := e.store
	none := func() error { return nil }
	if rows < bulkSearchRows || s.searchIndexFor(t) == nil {
		return none, nil
	}
	var have int
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM "+Q(t.SQLName)).Scan(&have); err != nil {
		return nil, s.wrapErr(err)
	}
	if have > rows {
		return none, nil
	}
	inTx := func(ctx context.Context, f func() error) error {
		if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
			return s.wrapErr(err)
		}
		if err := f(); err != nil {
			conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
			return err
		}
		_, err := conn.ExecContext(ctx, "COMMIT")
		return s.wrapErr(err)
	}
	err = inTx(ctx, func() error {
		for _, st := range sqliteDropSearchIndex(t) {
			if _, err := conn.ExecContext(ctx, st); err != nil {
				return s.wrapErr(err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.withoutSearchIndex(t)
	return func() error {
		ctx := context.WithoutCancel(ctx)
		var use func()
		if err := inTx(ctx, func() (err error) {
			use, err = s.createSearchIndex(ctx, conn, t)
			return err
		}); err != nil {
			return fmt.Errorf("%s: building its search index after loading: %w", t.Name, err)
		}
		use()
		return nil
	}, nil
}
