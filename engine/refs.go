package engine

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"quickback.dev/qb/schema"
)

// A hard delete removes one row and nothing else. The foreign keys qb
// declares refuse the delete of a referenced row; a database qb did not
// create may declare them ON DELETE CASCADE or SET NULL (Quickback's
// migrations do), or not at all, and SQLite would then change rows the
// caller never asked about — and may not see. So before a hard delete qb
// looks for any row that references the one to delete, through the
// database's foreign keys and the config's references alike, and refuses
// as the constraint would.

// reference is one way rows of a table point at rows of another: the
// referencing table and columns, and the referenced columns (the primary
// key when none are named).
type reference struct {
	table    string
	cols, to []string
}

// referencesTo lists every reference to the table named sqlName: the
// foreign keys the database declares on any table (read from its catalogue:
// dialect.foreignKeysSQL), and the config's references columns.
func referencesTo(ctx context.Context, d dialect, q queryer, cfg *schema.Config, sqlName string) ([]reference, error) {
	rows, err := q.QueryContext(ctx, d.foreignKeysSQL(), sqlName)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []reference
	lastTable, lastID := "", -1
	for rows.Next() {
		var table, from, to string
		var id int
		if err := rows.Scan(&table, &id, &from, &to); err != nil {
			return nil, err
		}
		if table != lastTable || id != lastID {
			out = append(out, reference{table: table})
			lastTable, lastID = table, id
		}
		r := &out[len(out)-1]
		r.cols = append(r.cols, from)
		if to != "" {
			r.to = append(r.to, to)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	target := cfg.TableBySQLName(sqlName)
	for _, t := range cfg.Tables {
		for _, c := range t.Columns {
			if c.References == "" || target == nil || c.References != target.Name {
				continue
			}
			out = append(out, reference{table: t.SQLName, cols: []string{c.SQLName}})
		}
	}
	return out, nil
}

// referenced reports whether any row, live or soft-deleted, references the
// row of t whose primary key is rowID.
func (e *Engine) referenced(ctx context.Context, tx *sql.Tx, t *schema.Table, rowID string) (bool, error) {
	refs, err := referencesTo(ctx, e.store.d, tx, e.cfg, t.SQLName)
	if err != nil {
		return false, err
	}
	pk := t.PrimaryKey().SQLName
	for _, r := range refs {
		to := r.to
		if len(to) == 0 {
			to = []string{pk}
		}
		if len(to) != len(r.cols) {
			continue
		}
		// The referenced values of the row, then any row holding them.
		vals := make([]any, len(to))
		ptrs := make([]any, len(to))
		sel := make([]string, len(to))
		for i, c := range to {
			ptrs[i], sel[i] = &vals[i], Q(c)
		}
		err := tx.QueryRowContext(ctx, fmt.Sprintf("SELECT %s FROM %s WHERE %s = ?", strings.Join(sel, ", "), Q(t.SQLName), Q(pk)), rowID).Scan(ptrs...)
		if isNoRows(err) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		where := make([]string, len(r.cols))
		for i, c := range r.cols {
			where[i] = Q(c) + " = ?"
		}
		if strings.EqualFold(r.table, t.SQLName) {
			// A row referencing itself goes with itself.
			where = append(where, Q(pk)+" <> ?")
			vals = append(vals, rowID)
		}
		var one int
		err = tx.QueryRowContext(ctx, fmt.Sprintf("SELECT 1 FROM %s WHERE %s LIMIT 1", Q(r.table), strings.Join(where, " AND ")), vals...).Scan(&one)
		if err == nil {
			return true, nil
		}
		if !isNoRows(err) {
			return false, err
		}
	}
	return false, nil
}
