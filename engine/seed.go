package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"quickback.dev/qb/engine/seed"
	"quickback.dev/qb/schema"
)

// tableCount is the report's entry for table, added on first use.
func tableCount(r *seed.Report, table string) *seed.Count {
	for i := range r.Tables {
		if r.Tables[i].Table == table {
			return &r.Tables[i]
		}
	}
	r.Tables = append(r.Tables, seed.Count{Table: table})
	return &r.Tables[len(r.Tables)-1]
}

// seedOutcome is what writing one row did.
type seedOutcome int

const (
	seedInserted seedOutcome = iota
	seedUpdated
	seedUnchanged
)

// tally counts one row's outcome.
func tally(c *seed.Count, o seedOutcome) {
	switch o {
	case seedInserted:
		c.Inserted++
	case seedUpdated:
		c.Updated++
	default:
		c.Unchanged++
	}
}

// Seed writes identities and rows in one transaction and reports, per
// table, the rows it inserted, updated and found unchanged: existing ids
// are updated, so seeding twice changes nothing (a timestamp the fixtures
// leave out, createdAt or a "now" default, is set when the row is inserted
// and never re-stamped). It bypasses access and guards but not types,
// enums, required fields, references or uniqueness: every bad row is
// reported in one *schema.Problems, and then nothing of the run is
// written. With reset, every identity and feature row is removed first
// (the audit log is kept, and records the reset).
func (e *Engine) Seed(ctx context.Context, data *seed.Data, reset bool) (*seed.Report, error) {
	s := e.store
	tx, err := s.d.begin(ctx, s.db, true)
	if err != nil {
		return nil, s.wrapErr(err)
	}
	defer tx.Rollback()
	rep := &seed.Report{}
	for _, name := range []string{"organizations", "users", "memberships"} {
		tableCount(rep, name)
	}
	for _, st := range data.Tables {
		tableCount(rep, st.Table)
	}
	var probs schema.Problems
	bad := func(file string, line int, where, msg string) {
		probs = append(probs, schema.Problem{File: file, Line: line, Path: where, Message: msg})
	}
	if reset {
		removed := func(report, table string) error {
			res, err := tx.ExecContext(ctx, "DELETE FROM "+table)
			if err != nil {
				return s.wrapErr(err)
			}
			n, _ := res.RowsAffected()
			tableCount(rep, report).Removed = int(n)
			return nil
		}
		for i := len(s.cfg.Tables) - 1; i >= 0; i-- {
			if err := removed(s.cfg.Tables[i].Name, Q(s.cfg.Tables[i].SQLName)); err != nil {
				return nil, err
			}
		}
		idt := s.ids.tables()
		for i := len(idt) - 1; i >= 0; i-- {
			if err := removed(idt[i].report, Q(idt[i].name)); err != nil {
				return nil, err
			}
		}
	}
	w, err := s.identityWriter(ctx, tx, e.clock())
	if err != nil {
		return nil, err
	}
	for _, o := range data.Organizations {
		if o.ID == "" {
			bad(o.File, o.Line, "organizations.id", "is required")
			continue
		}
		out, err := w.org(o.ID, o.Name, true)
		if err != nil {
			bad(o.File, o.Line, "organizations", err.Error())
			continue
		}
		tally(tableCount(rep, "organizations"), out)
	}
	for _, u := range data.Users {
		role := u.UserRole
		if role == "" {
			role = "user"
		}
		if u.ID == "" || u.Email == "" {
			bad(u.File, u.Line, "users", "id and email are required")
			continue
		}
		out, err := w.user(u.ID, u.Name, u.Email, role, true)
		if err != nil {
			bad(u.File, u.Line, "users.email", "duplicate or invalid user")
			continue
		}
		tally(tableCount(rep, "users"), out)
		for _, m := range u.Memberships {
			if s.cfg.RoleIndex(m.Role) < 0 {
				bad(u.File, u.Line, "users.memberships", fmt.Sprintf("unknown role %q", m.Role))
				continue
			}
			if ok, err := w.orgKnown(m.Org); err != nil || !ok {
				bad(u.File, u.Line, "users.memberships", fmt.Sprintf("unknown organization %q", m.Org))
				continue
			}
			out, err := w.member(u.ID, m.Org, m.Role, true)
			if err != nil {
				bad(u.File, u.Line, "users.memberships", fmt.Sprintf("unknown organization %q", m.Org))
				continue
			}
			tally(tableCount(rep, "memberships"), out)
		}
	}
	for _, st := range data.Tables {
		t := s.cfg.Table(st.Table)
		if t == nil {
			for _, r := range st.Rows {
				bad(r.File, r.Line, st.Table, "unknown table")
			}
			continue
		}
		for _, r := range st.Rows {
			out, p := s.seedRow(ctx, tx, t, r, e.now())
			probs = append(probs, p...)
			if len(p) == 0 {
				tally(tableCount(rep, t.Name), out)
			}
		}
	}
	if len(probs) > 0 {
		return nil, &probs
	}
	ent := e.systemEntry("seed", "", "", nil)
	if reset {
		ent.Operation = "seed:reset"
	}
	done, err := e.logInTx(ctx, tx, ent)
	if err != nil {
		return nil, s.wrapErr(err)
	}
	err = tx.Commit()
	done(err == nil)
	if err != nil {
		return nil, s.wrapErr(err)
	}
	return rep, nil
}

// sameValues reports whether the values read back from SQLite equal the
// values about to be written (numbers compared by value, blobs as text).
func sameValues(have, want []any) bool {
	for i := range have {
		if !sameValue(have[i], want[i]) {
			return false
		}
	}
	return true
}

// sameColumnValues is sameValues where a JSON column also compares as the
// JSON it holds: PostgreSQL's jsonb keeps its own text of a document (keys
// ordered, spaced), not the text written.
func sameColumnValues(have, want []any, cols []*schema.Column) bool {
	for i := range have {
		if sameValue(have[i], want[i]) {
			continue
		}
		if cols[i].Type != schema.TypeJSON || !reflect.DeepEqual(fromSQL(cols[i], have[i]), fromSQL(cols[i], want[i])) {
			return false
		}
	}
	return true
}

func sameValue(a, b any) bool {
	norm := func(v any) any {
		switch x := v.(type) {
		case []byte:
			return string(x)
		case int64:
			return float64(x)
		case int:
			return float64(x)
		case bool:
			if x {
				return float64(1)
			}
			return float64(0)
		}
		return v
	}
	return norm(a) == norm(b)
}

// seedRow writes one row; now fills "now" defaults and a missing createdAt
// of a row it inserts (an existing row keeps the time it has).
func (s *store) seedRow(ctx context.Context, tx *sql.Tx, t *schema.Table, r seed.Row, now string) (seedOutcome, []schema.Problem) {
	var out seedOutcome
	var probs []schema.Problem
	// A row the database refuses leaves the transaction usable for the
	// rest of the run, which reports every bad row.
	s.d.attempt(ctx, tx, func() error {
		out, probs = s.seedOne(ctx, tx, t, r, now)
		if len(probs) > 0 {
			return errBadRow
		}
		return nil
	})
	return out, probs
}

// errBadRow ends the savepoint of a seed row that has problems.
var errBadRow = errors.New("bad row")

func (s *store) seedOne(ctx context.Context, tx *sql.Tx, t *schema.Table, r seed.Row, now string) (seedOutcome, []schema.Problem) {
	var probs []schema.Problem
	stamped := map[string]bool{}
	bad := func(col, msg string) {
		probs = append(probs, schema.Problem{File: r.File, Line: r.Line, Path: t.Name + "." + col, Message: msg})
	}
	vals := map[string]any{}
	for _, name := range slices.Sorted(maps.Keys(r.Values)) {
		if t.Column(name) == nil {
			bad(name, "unknown column")
		}
	}
	for _, c := range t.Columns {
		v, ok := r.Values[c.Name]
		if !ok && c.HasDefault {
			v, ok = c.Default, true
			if c.Type == schema.TypeTimestamp && v == "now" {
				v, stamped[c.Name] = now, true
			}
		}
		if !ok && c.Name == "createdAt" {
			v, ok, stamped[c.Name] = now, true, true
		}
		if !ok || v == nil {
			if notNull(t, c) {
				bad(c.Name, "is required")
			}
			continue
		}
		sv, msg := toSQL(c, v)
		if msg != "" {
			bad(c.Name, msg)
			continue
		}
		vals[c.Name] = sv
	}
	if len(probs) > 0 {
		return 0, probs
	}
	orgCol := t.OrgColumn()
	for _, c := range t.Columns {
		v := vals[c.Name]
		if c.References == "" || v == nil {
			continue
		}
		rt := s.cfg.Table(c.References)
		q := fmt.Sprintf("SELECT 1 FROM %s WHERE %s = ?", Q(rt.SQLName), Q(rt.PrimaryKey().SQLName))
		args := []any{v}
		if rc := rt.OrgColumn(); rc != nil && orgCol != nil {
			q += " AND " + Q(rc.SQLName) + " = ?"
			args = append(args, vals[orgCol.Name])
		}
		var one int
		if err := tx.QueryRowContext(ctx, q, args...).Scan(&one); err != nil {
			bad(c.Name, fmt.Sprintf("references a %s row that does not exist in this organization", rt.Name))
		}
	}
	if len(probs) > 0 {
		return 0, probs
	}
	var cols, marks, sets, kept []string
	var args, keptArgs []any
	var keptCols []*schema.Column
	pk := t.PrimaryKey()
	for _, c := range t.Columns {
		v, ok := vals[c.Name]
		if !ok {
			continue
		}
		cols = append(cols, Q(c.SQLName))
		marks = append(marks, "?")
		args = append(args, v)
		if c != pk && !stamped[c.Name] {
			sets = append(sets, Q(c.SQLName)+" = excluded."+Q(c.SQLName))
			kept, keptArgs, keptCols = append(kept, Q(c.SQLName)), append(keptArgs, v), append(keptCols, c)
		}
	}
	out := seedInserted
	if id, ok := vals[pk.Name]; ok && len(kept) > 0 {
		cur := make([]any, len(kept))
		ptrs := make([]any, len(kept))
		for i := range cur {
			ptrs[i] = &cur[i]
		}
		err := tx.QueryRowContext(ctx, "SELECT "+strings.Join(kept, ", ")+" FROM "+Q(t.SQLName)+" WHERE "+Q(pk.SQLName)+" = ?", id).Scan(ptrs...)
		switch {
		case err == nil && sameColumnValues(cur, keptArgs, keptCols):
			return seedUnchanged, nil
		case err == nil:
			out = seedUpdated
		case err != sql.ErrNoRows:
			bad(pk.Name, "cannot be read back: "+err.Error())
			return 0, probs
		}
	}
	q := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s) ON CONFLICT(%s) DO UPDATE SET %s", Q(t.SQLName), strings.Join(cols, ", "), strings.Join(marks, ", "), Q(pk.SQLName), strings.Join(sets, ", "))
	if len(sets) == 0 {
		q = fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s) ON CONFLICT(%s) DO NOTHING", Q(t.SQLName), strings.Join(cols, ", "), strings.Join(marks, ", "), Q(pk.SQLName))
	}
	if _, err := tx.ExecContext(ctx, q, args...); err != nil {
		msg := err.Error()
		col := pk.Name
		if i := strings.Index(msg, "constraint failed: "); i >= 0 {
			rest := msg[i+len("constraint failed: "):]
			if j := strings.LastIndexByte(strings.Fields(rest)[0], '.'); j >= 0 {
				sqlName := strings.TrimRight(strings.Fields(rest)[0][j+1:], ",)")
				for _, c := range t.Columns {
					if c.SQLName == sqlName {
						col = c.Name
					}
				}
			}
		}
		switch {
		case strings.Contains(msg, "UNIQUE") || pgState(err) == "23505":
			bad(col, "duplicate value (unique)")
		default:
			bad(col, "breaks a constraint")
		}
	}
	return out, probs
}
