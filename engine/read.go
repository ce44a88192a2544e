package engine

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"quickback.dev/qb/schema"
)

// Row is one record as a caller sees it: values by column index (masked
// values are already replaced) and which of them are masked.
type Row struct {
	Table  *schema.Table
	Values []any
	Masked []bool
}

// ID is the row's primary key.
func (r Row) ID() string {
	for i, c := range r.Table.Columns {
		if c.Type == schema.TypeID {
			s, _ := r.Values[i].(string)
			return s
		}
	}
	return ""
}

// Get returns the value of a column by config name.
func (r Row) Get(col string) any {
	for i, c := range r.Table.Columns {
		if c.Name == col {
			return r.Values[i]
		}
	}
	return nil
}

// IsMasked reports whether the named column is masked in this row.
func (r Row) IsMasked(col string) bool {
	for i, c := range r.Table.Columns {
		if c.Name == col {
			return r.Masked[i]
		}
	}
	return false
}

// Map returns the row keyed by config column names.
func (r Row) Map() map[string]any {
	m := make(map[string]any, len(r.Values))
	for i, c := range r.Table.Columns {
		m[c.Name] = r.Values[i]
	}
	return m
}

// MarshalJSON writes the row as an object in column order.
// Each key and value is what json.Marshal writes for it; strings, integers
// and null, nearly every value, are written without reflection.
func (r Row) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 64*len(r.Values))
	b = append(b, '{')
	for i, c := range r.Table.Columns {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, c.Name)
		b = append(b, ':')
		switch v := r.Values[i].(type) {
		case string:
			b = appendJSONString(b, v)
		case int64:
			b = strconv.AppendInt(b, v, 10)
		case nil:
			b = append(b, "null"...)
		default:
			j, err := json.Marshal(v)
			if err != nil {
				return nil, err
			}
			b = append(b, j...)
		}
	}
	return append(b, '}'), nil
}

// ListQuery selects a page of a table.
type ListQuery struct {
	Filters []Filter
	// Sort keys, most significant first; the table's defaultSort and the
	// primary key follow as tiebreakers.
	Sort   []schema.SortKey
	Search string
	Limit  int
	Cursor string
	// Inspect reads an internal table, read-only, for an identity whose
	// role is in [audit].inspectInternal (see Inspection); it is refused
	// on any other table.
	Inspect bool
	// Reverse lists in the opposite order — every key, tiebreakers
	// included, reversed — so the first page holds the last rows, last
	// row first; its cursors page on backwards and belong to the reversed
	// query only.
	Reverse bool
}

// Page is one page of a list.
type Page struct {
	Table *schema.Table
	Rows  []Row
	// Next is the cursor of the following page, "" at the end.
	Next string
}

// DefaultLimit is the page size when none is given; MaxLimit caps it.
const (
	DefaultLimit = 50
	MaxLimit     = 1000
)

type sortCol struct {
	col  *schema.Column
	idx  int
	desc bool
	// d is the database's dialect; nullable: the column may hold NULL.
	d        dialect
	nullable bool
	// native: the database keeps the column in its own type (a time,
	// an enum), which has no collation; byteOrdered: in byte order
	// already (store.byteOrdered).
	native, byteOrdered bool
}

// ranked reports whether the key sorts by an enum's rank (see expr).
func (k sortCol) ranked() bool { return k.col.Type == schema.TypeEnum && len(k.col.Values) > 0 }

// expr is the SQL the list orders by for this key: the column, or for an
// enum column its rank among the declared values (SPEC §4: an enum sorts
// in the order its values are declared, not alphabetically). A value the
// config does not declare (a database qb did not write) ranks after every
// declared one; NULL stays NULL, so NULLs sort as they do for any column.
func (k sortCol) expr() string {
	col := Q(k.col.SQLName)
	if !k.ranked() {
		if k.d != nil && isText(k.col) && !k.native && !k.byteOrdered {
			return k.d.sortKey(col)
		}
		return col
	}
	var b strings.Builder
	b.WriteString("(CASE WHEN " + col + " IS NULL THEN NULL")
	for i, v := range k.col.Values {
		fmt.Fprintf(&b, " WHEN %s = %s THEN %d", col, sqlString(v), i)
	}
	fmt.Fprintf(&b, " ELSE %d END)", len(k.col.Values))
	return b.String()
}

// cursorValue is the value a cursor keeps for this key from a stored row:
// what expr computes for it.
func (k sortCol) cursorValue(raw any) any {
	if !k.ranked() || raw == nil {
		return raw
	}
	s, _ := raw.(string)
	if i := slices.Index(k.col.Values, s); i >= 0 {
		return int64(i)
	}
	return int64(len(k.col.Values))
}

// sqlString is s as an SQL string literal (the declared values of an enum:
// config text, never request data).
func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// listPlan is a compiled list statement.
type listPlan struct {
	t      *schema.Table
	where  []string
	args   []any
	keys   []sortCol
	limit  int
	masks  maskPlan
	sigKey string
	// where[scoped:] and args[scopedArgs:] are the request's own
	// conditions (filters, search, cursor), after the firewall and the
	// record condition.
	scoped, scopedArgs int
	// match is the search index query every row of the list satisfies
	// ("" when the table has no index or no contains test can use it):
	// List may read through it (search.go).
	match string
}

func (e *Engine) planList(t *schema.Table, id Identity, q ListQuery) (*listPlan, error) {
	cp := e.crudPlan(t, schema.OpList, id)
	acc, fw := cp.acc, cp.fw
	if q.Inspect {
		acc = e.inspectAccess(id)
	}
	if acc.Denied {
		return nil, roleError(t, listOp(q), acc)
	}
	if fw.err != nil {
		return nil, fw.err
	}
	p := &listPlan{t: t, masks: cp.mask}
	p.where = append(p.where, fw.pred.sql)
	p.args = append(p.args, fw.pred.bind(id)...)
	if acc.Cond.sql != "" {
		p.where = append(p.where, "("+acc.Cond.sql+")")
		p.args = append(p.args, acc.Cond.bind(id)...)
	}
	p.scoped, p.scopedArgs = len(p.where), len(p.args)
	var terms []string // search index queries the contains tests imply
	colIdx := func(name string) (int, error) {
		for i, c := range t.Columns {
			if c.Name == name {
				return i, nil
			}
		}
		return -1, Errf(ValidationFailed, suggest(map[string]any{"column": name, "table": t.Name}, name, t.ColumnNames()), "unknown column %q in table %s", name, t.Name)
	}
	masked := func(i int, what string) error {
		if p.masks.maskedForQuery(i) {
			c := t.Columns[i]
			return Errf(QueryColumnMasked, map[string]any{"column": c.Name, "rule": t.Masking[c.Name].Path},
				"cannot %s on %s: the column is masked for this identity (%s)", what, c.Name, t.Masking[c.Name].Path)
		}
		return nil
	}
	for _, f := range q.Filters {
		i, err := colIdx(f.Column)
		if err != nil {
			return nil, err
		}
		if err := masked(i, "filter"); err != nil {
			return nil, err
		}
		c := t.Columns[i]
		col := Q(c.SQLName)
		switch f.Op {
		case "in":
			var marks []string
			for _, part := range strings.Split(f.Value, ",") {
				v, err := e.store.filterLiteral(c, strings.TrimSpace(part))
				if err != nil {
					return nil, err
				}
				marks = append(marks, "?")
				p.args = append(p.args, v)
			}
			p.where = append(p.where, col+" IN ("+strings.Join(marks, ",")+")")
		case "~":
			cond, arg := e.store.d.contains(col, f.Value)
			p.where = append(p.where, cond)
			p.args = append(p.args, arg)
			if idx := e.store.searchIndexFor(t); slices.Contains(idx, c.SQLName) {
				if ph := searchPhrases(f.Value); len(ph) > 0 {
					terms = append(terms, ftsTerm([]string{c.SQLName}, idx, ph))
				}
			}
		case "=", "!=", "<", "<=", ">", ">=":
			v, err := e.store.filterLiteral(c, f.Value)
			if err != nil {
				return nil, err
			}
			op := f.Op
			if op == "!=" {
				op = "IS DISTINCT FROM"
			}
			p.where = append(p.where, col+" "+op+" ?")
			p.args = append(p.args, v)
		default:
			return nil, Errf(ValidationFailed, map[string]any{"operator": f.Op}, "unknown filter operator %q", f.Op)
		}
	}
	if s := strings.TrimSpace(q.Search); s != "" {
		var ors []string
		var maskedCols []string
		idx := e.store.searchIndexFor(t)
		var searched []string // the columns searched, all in the index (else nil)
		indexed := idx != nil
		for _, c := range t.SearchColumns() {
			i, _ := colIdx(c.Name)
			if p.masks.maskedForQuery(i) {
				maskedCols = append(maskedCols, c.Name)
				continue
			}
			cond, arg := e.store.d.contains(Q(c.SQLName), s)
			ors = append(ors, cond)
			p.args = append(p.args, arg)
			indexed = indexed && slices.Contains(idx, c.SQLName)
			searched = append(searched, c.SQLName)
		}
		if ph := searchPhrases(s); indexed && len(searched) > 0 && len(ph) > 0 {
			terms = append(terms, ftsTerm(searched, idx, ph))
		}
		if len(ors) == 0 {
			if len(maskedCols) > 0 {
				return nil, Errf(QueryColumnMasked, map[string]any{"columns": maskedCols}, "cannot search %s: every searchable column is masked for this identity", t.Name)
			}
			return nil, Errf(ValidationFailed, nil, "table %s has no searchable columns", t.Name)
		}
		p.where = append(p.where, "("+strings.Join(ors, " OR ")+")")
	}
	if len(terms) > 0 {
		p.match = strings.Join(terms, " AND ")
	}
	seen := map[string]bool{}
	for _, k := range q.Sort {
		i, err := colIdx(k.Column)
		if err != nil {
			return nil, err
		}
		if err := masked(i, "sort"); err != nil {
			return nil, err
		}
		if !seen[k.Column] {
			seen[k.Column] = true
			p.keys = append(p.keys, e.sortCol(t, i, k.Desc))
		}
	}
	for _, k := range t.DefaultSort {
		i, _ := colIdx(k.Column)
		if i < 0 || seen[k.Column] || p.masks.maskedForQuery(i) {
			continue
		}
		seen[k.Column] = true
		p.keys = append(p.keys, e.sortCol(t, i, k.Desc))
	}
	pk := t.PrimaryKey()
	if !seen[pk.Name] {
		desc := false
		if len(p.keys) > 0 {
			desc = p.keys[0].desc
		}
		i, _ := colIdx(pk.Name)
		p.keys = append(p.keys, e.sortCol(t, i, desc))
	}
	if q.Reverse {
		for i := range p.keys {
			p.keys[i].desc = !p.keys[i].desc
		}
	}
	var sig []string
	for _, k := range p.keys {
		s := k.col.Name
		if k.desc {
			s = "-" + s
		}
		if k.ranked() {
			// A cursor of this key holds a rank, not a value: a cursor
			// that holds a value (made before enums sorted by rank) is
			// refused, never compared with ranks.
			s += "#rank"
		}
		sig = append(sig, s)
	}
	p.sigKey = t.Name + ":" + strings.Join(sig, ",")
	p.limit = q.Limit
	if p.limit <= 0 {
		p.limit = DefaultLimit
	}
	if p.limit > MaxLimit {
		p.limit = MaxLimit
	}
	if q.Cursor != "" {
		vals, err := decodeCursor(q.Cursor, p.sigKey, len(p.keys))
		if err != nil {
			return nil, err
		}
		cond, args := keysetAfter(t, p.keys, vals)
		p.where = append(p.where, cond)
		p.args = append(p.args, args...)
	}
	return p, nil
}

// sortCol is the i-th column of t as a sort key.
func (e *Engine) sortCol(t *schema.Table, i int, desc bool) sortCol {
	c := t.Columns[i]
	return sortCol{col: c, idx: i, desc: desc, d: e.store.d, nullable: !notNull(t, c), native: e.store.native[c], byteOrdered: e.store.byteOrdered[c]}
}

// isText reports whether a column holds text as the database stores it
// (so sorts and compares in a collation).
func isText(c *schema.Column) bool {
	switch c.Type {
	case schema.TypeID, schema.TypeText, schema.TypeEnum, schema.TypeJSON:
		return true
	case schema.TypeTimestamp:
		return !c.Format.Epoch()
	}
	return false
}

func roleError(t *schema.Table, op string, acc *residual) error {
	return Errf(AccessRoleRequired, map[string]any{"table": t.Name, "operation": op, "rule": acc.DeniedBy},
		"this identity's role may not %s %s (%s)", op, t.Name, acc.DeniedBy)
}

// statement is the SELECT a list runs: one row more than the page, to know
// whether another page follows.
func (p *listPlan) statement() (string, []any) { return p.statementFrom("") }

// statementFrom is the list's SELECT; given rowids (a JSON array, from
// the search index: searchRowids) it reads only those rows and keeps every
// condition of the list.
func (p *listPlan) statementFrom(rowids string) (string, []any) {
	var b strings.Builder
	b.Grow(512)
	b.WriteString("SELECT ")
	b.WriteString(sqlCols(p.t))
	b.WriteString(" FROM ")
	args := p.args
	if rowids != "" {
		// CROSS JOIN keeps the rowids as the outer loop: each row is
		// fetched by rowid, then filtered and sorted.
		b.WriteString("(SELECT value AS qb_r FROM json_each(?)) CROSS JOIN ")
		args = append([]any{rowids}, p.args...)
	}
	b.WriteString(Q(p.t.SQLName))
	if rowids != "" {
		b.WriteString(" ON " + Q(p.t.SQLName) + ".rowid = qb_r")
	}
	b.WriteString(" WHERE ")
	for i, w := range p.where {
		if i > 0 {
			b.WriteString(" AND ")
		}
		b.WriteString(w)
	}
	b.WriteString(" ORDER BY ")
	for i, k := range p.keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k.expr())
		if k.desc {
			b.WriteString(" DESC")
		} else {
			b.WriteString(" ASC")
		}
		if k.nullable {
			b.WriteString(k.d.nullsOrder(k.desc))
		}
	}
	b.WriteString(" LIMIT ")
	b.WriteString(strconv.Itoa(p.limit + 1))
	return b.String(), args
}

// ListSQL returns the statement List runs for id on table with q, with its
// bound arguments, or the refusal List would give. Nothing is read or
// audited; it exists for query-plan checks and explanations.
func (e *Engine) ListSQL(id Identity, table string, q ListQuery) (string, []any, error) {
	t, err := e.table(table, true)
	if err != nil {
		return "", nil, err
	}
	p, err := e.planList(t, id, q)
	if err != nil {
		return "", nil, err
	}
	query, args := e.listStatement(context.Background(), t, p)
	return query, args, nil
}

// listStatement is the SELECT List runs for p: through t's search index
// when p has a search index query that few rows match (search.go), else
// the plan's own statement.
func (e *Engine) listStatement(ctx context.Context, t *schema.Table, p *listPlan) (string, []any) {
	if p.match != "" && e.searchVia >= 0 {
		max := searchDriveMax
		if e.searchVia > 0 {
			max = -1
		}
		if rowids, n, err := e.searchRowids(ctx, t, p.match, max); err == nil && (max < 0 || n <= max) {
			return p.statementFrom(rowids)
		}
	}
	return p.statement()
}

// List returns one page of table as id sees it.
func (e *Engine) List(ctx context.Context, id Identity, table string, q ListQuery) (page *Page, err error) {
	defer func() { e.auditRead(ctx, id, listOp(q), table, "", err) }()
	t, err := e.listedTable(table, q)
	if err != nil {
		return nil, err
	}
	p, err := e.planList(t, id, q)
	if err != nil {
		return nil, err
	}
	query, args := e.listStatement(ctx, t, p)
	rows, err := e.query(ctx, query, args...)
	if err != nil {
		return nil, e.store.wrapErr(err)
	}
	defer rows.Close()
	page = &Page{Table: t}
	// Slabs of values for the page (each row's slice of one becomes the
	// row's Values) and one set of scan destinations reused for every row.
	// The first slab holds slabRows rows, the next ones the rest of the
	// page up to DefaultLimit+1 rows each: a page of a few rows (a
	// user's own notes) does not allocate, and collect, a full page's
	// worth.
	n := len(t.Columns)
	slab := make([]any, 0, n*min(p.limit+1, slabRows))
	ptrs := make([]any, n)
	raws := make([][]any, 0, min(p.limit+1, slabRows))
	for rows.Next() {
		if cap(slab)-len(slab) < n {
			slab = make([]any, 0, n*min(max(p.limit+1-len(raws), slabRows), DefaultLimit+1))
		}
		raw := slab[len(slab) : len(slab)+n : len(slab)+n]
		slab = slab[:len(slab)+n]
		if err := scanInto(rows, raw, ptrs); err != nil {
			return nil, err
		}
		raws = append(raws, raw)
	}
	if err := rows.Err(); err != nil {
		return nil, e.store.wrapErr(err)
	}
	if len(raws) > p.limit {
		raws = raws[:p.limit]
		last := raws[len(raws)-1]
		vals := make([]any, len(p.keys))
		for i, k := range p.keys {
			vals[i] = k.cursorValue(last[k.idx])
		}
		page.Next = encodeCursor(p.sigKey, vals)
	}
	page.Rows = make([]Row, len(raws))
	masked := make([]bool, n*len(raws))
	for i, raw := range raws {
		page.Rows[i] = e.presentInPlace(t, p.masks, id, raw, masked[i*n:(i+1)*n:(i+1)*n])
	}
	return page, nil
}

// Count returns how many rows a list query matches for id (cursor ignored).
// It scans the matching rows, so callers should run it lazily.
func (e *Engine) Count(ctx context.Context, id Identity, table string, q ListQuery) (int64, error) {
	t, err := e.listedTable(table, q)
	if err != nil {
		return 0, err
	}
	q.Cursor = ""
	p, err := e.planList(t, id, q)
	if err != nil {
		return 0, err
	}
	var n int64
	err = e.queryRow(ctx, e.store.db, fmt.Sprintf("SELECT count(*) FROM %s WHERE %s", Q(t.SQLName), strings.Join(p.where, " AND ")), p.args...).Scan(&n)
	return n, e.store.wrapErr(err)
}

// scanInto scans the current row into raw through ptrs (scratch of the
// same length, reused across rows); []byte values become strings.
func scanInto(rows *sql.Rows, raw, ptrs []any) error {
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return err
	}
	for i, v := range raw {
		if b, ok := v.([]byte); ok {
			raw[i] = string(b)
		}
	}
	return nil
}

// present converts stored values to API values and applies the mask plan.
func (e *Engine) present(t *schema.Table, mp maskPlan, id Identity, raw []any) Row {
	return e.presentInPlace(t, mp, id, append([]any(nil), raw...), make([]bool, len(raw)))
}

// presentInPlace is present converting raw itself into the row's Values
// (raw is not usable as stored values afterwards), with masked (all false,
// len(raw)) as the row's Masked.
func (e *Engine) presentInPlace(t *schema.Table, mp maskPlan, id Identity, raw []any, masked []bool) Row {
	r := Row{Table: t, Values: raw, Masked: masked}
	// The owner is read before any value is converted or masked in place.
	isOwner := false
	if mp.ownerIdx >= 0 {
		owner, _ := raw[mp.ownerIdx].(string)
		isOwner = owner != "" && owner == id.UserID
	}
	for i, c := range t.Columns {
		v := fromSQL(c, raw[i])
		mode := mp.modes[i]
		if mode == showIfOwner {
			if isOwner {
				mode = showRaw
			} else {
				mode = showMasked
			}
		}
		if mode == showMasked && v != nil {
			v = maskValue(mp.types[i], ValueString(v))
			r.Masked[i] = true
		}
		r.Values[i] = v
	}
	return r
}

// slabRows is the rows List's first slab of values holds.
const slabRows = 16

// notFound is the one error for a row outside the firewall, soft-deleted or
// absent: identical in code, message and details for all three.
func notFound(t *schema.Table, rowID string) error {
	details := map[string]any{"table": t.Name, "id": rowID}
	if t.Hidden() {
		return Errf(NotFound, details, "%s %q not found", t.Name, rowID)
	}
	return Errf(FirewallNotFound, details, "%s %q is not accessible to this identity", t.Name, rowID)
}

func conditionFailed(t *schema.Table, rowID, op string, acc *residual) error {
	if t.Hidden() {
		return notFound(t, rowID)
	}
	return Errf(AccessConditionFailed, map[string]any{"table": t.Name, "id": rowID, "operation": op, "rules": acc.Rules},
		"the record condition of %s fails on %s %q", strings.Join(acc.Rules, " / "), t.Name, rowID)
}

type querier interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}

// fetch reads one row through the firewall together with the value of the
// access condition on it. found is false when the firewall hides it.
func (e *Engine) fetch(ctx context.Context, q querier, t *schema.Table, id Identity, fw firewall, acc *residual, rowID string) (raw []any, pass, found bool, err error) {
	raw, passes, found, err := e.fetchConds(ctx, q, t, id, fw, rowID, "", acc)
	if !found || err != nil {
		return nil, false, found, err
	}
	return raw, passes[0], true, nil
}

// fetchConds is fetch with the value of each of several access conditions
// on the row (one statement, one row read); lock (a dialect's rowLock, or
// "") locks the row read until the transaction ends.
func (e *Engine) fetchConds(ctx context.Context, q querier, t *schema.Table, id Identity, fw firewall, rowID, lock string, accs ...*residual) (raw []any, pass []bool, found bool, err error) {
	return e.fetchWith(ctx, q, t, fetchSQL(t, fw, lock, accs...), fetchArgs(id, fw, rowID, accs...), len(accs))
}

// fetchSQL reads one row of t by id through fw, followed by the value of
// each access condition on it.
func fetchSQL(t *schema.Table, fw firewall, lock string, accs ...*residual) string {
	var b strings.Builder
	b.WriteString("SELECT ")
	b.WriteString(sqlCols(t))
	for _, acc := range accs {
		b.WriteString(", (")
		b.WriteString(condSQL(acc))
		b.WriteString(")")
	}
	b.WriteString(" FROM " + Q(t.SQLName) + " WHERE " + Q(t.PrimaryKey().SQLName) + " = ? AND " + fw.pred.sql + lock)
	return b.String()
}

// fetchArgs are fetchSQL's arguments for id.
func fetchArgs(id Identity, fw firewall, rowID string, accs ...*residual) []any {
	n := 1 + len(fw.pred.args)
	for _, acc := range accs {
		if acc != nil {
			n += len(acc.Cond.args)
		}
	}
	args := make([]any, 0, n)
	for _, acc := range accs {
		if acc != nil {
			args = acc.Cond.appendBound(args, id)
		}
	}
	args = append(args, rowID)
	return fw.pred.appendBound(args, id)
}

// fetchWith runs a fetchSQL statement with n access conditions.
func (e *Engine) fetchWith(ctx context.Context, q querier, t *schema.Table, query string, args []any, n int) (raw []any, pass []bool, found bool, err error) {
	raw, conds, err := e.scanRowConds(e.queryRow(ctx, q, query, args...), t, n)
	if isNoRows(err) {
		return nil, nil, false, nil
	}
	if err != nil {
		return nil, nil, false, e.store.wrapErr(err)
	}
	pass = make([]bool, len(conds))
	for i, c := range conds {
		pass[i] = truthy(c)
	}
	return raw, pass, true, nil
}

// condSQL is an access condition as an SQL expression (TRUE for a rule
// without a record condition); its arguments are acc.Cond's.
func condSQL(acc *residual) string {
	if acc == nil || acc.Cond.sql == "" {
		return sqlTrue
	}
	return acc.Cond.sql
}

// scanRowConds scans a row of t's columns followed by n more values;
// []byte values become strings.
func (e *Engine) scanRowConds(row *sql.Row, t *schema.Table, n int) (raw, extra []any, err error) {
	vals := make([]any, len(t.Columns)+n)
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := row.Scan(ptrs...); err != nil {
		return nil, nil, err
	}
	for i, v := range vals {
		if b, ok := v.([]byte); ok {
			vals[i] = string(b)
		}
	}
	return vals[:len(t.Columns):len(t.Columns)], vals[len(t.Columns):], nil
}

func truthy(v any) bool {
	switch x := v.(type) {
	case int64:
		return x != 0
	case float64:
		return x != 0
	case bool:
		return x
	}
	return false
}

// Get returns one row as id sees it.
func (e *Engine) Get(ctx context.Context, id Identity, table, rowID string) (row *Row, err error) {
	defer func() { e.auditRead(ctx, id, "get", table, rowID, err) }()
	t, err := e.table(table, true)
	if err != nil {
		return nil, err
	}
	p := e.crudPlan(t, schema.OpGet, id)
	if p.acc.Denied {
		return nil, roleError(t, "get", p.acc)
	}
	if p.fw.err != nil {
		return nil, p.fw.err
	}
	raw, pass, found, err := e.fetchWith(ctx, e.store.db, t, p.fetch, fetchArgs(id, p.fw, rowID, p.acc), 1)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, notFound(t, rowID)
	}
	if !pass[0] {
		return nil, conditionFailed(t, rowID, "get", p.acc)
	}
	r := e.presentInPlace(t, p.mask, id, raw, make([]bool, len(raw)))
	return &r, nil
}
