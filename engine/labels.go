package engine

import (
	"context"
	"slices"
	"strings"

	"quickback.dev/qb/schema"
)

// Label is how a front end names a row beside its id: the row's display
// column as the caller sees it.
type Label struct {
	Text string
	// Masked: Text is the display column masked for the caller.
	Masked bool
}

// maxLabels caps how many ids one Labels call reads.
const maxLabels = MaxLimit

// Labels returns, for the ids of table's rows that id may list, the row's
// display column as id sees it (masking applied), keyed by id. A row the
// caller could not list — outside the firewall, soft-deleted, failing the
// list's record condition, absent — has no label, indistinguishably. A
// table without a display column has no labels (nothing is read). It is a
// read like List (list access, one audit entry per call, operation
// "labels"); a refusal is List's.
func (e *Engine) Labels(ctx context.Context, id Identity, table string, ids []string) (out map[string]Label, err error) {
	read := true
	defer func() {
		if read {
			e.auditRead(ctx, id, "labels", table, "", err)
		}
	}()
	t, err := e.table(table, true)
	if err != nil {
		return nil, err
	}
	out = map[string]Label{}
	ids = distinct(ids)
	if t.DisplayColumn == "" || len(ids) == 0 {
		read = false
		return out, nil
	}
	if len(ids) > maxLabels {
		ids = ids[:maxLabels]
	}
	p, err := e.planList(t, id, ListQuery{Limit: len(ids)})
	if err != nil {
		return nil, err
	}
	pk := t.PrimaryKey()
	marks := strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")
	p.where = append(p.where, Q(pk.SQLName)+" IN ("+marks+")")
	for _, x := range ids {
		p.args = append(p.args, x)
	}
	query, args := p.statement()
	rows, err := e.query(ctx, query, args...)
	if err != nil {
		return nil, e.store.wrapErr(err)
	}
	defer rows.Close()
	n := len(t.Columns)
	disp := slices.IndexFunc(t.Columns, func(c *schema.Column) bool { return c.Name == t.DisplayColumn })
	ptrs := make([]any, n)
	for rows.Next() {
		raw := make([]any, n)
		if err := scanInto(rows, raw, ptrs); err != nil {
			return nil, err
		}
		r := e.presentInPlace(t, p.masks, id, raw, make([]bool, n))
		if v := r.Values[disp]; v != nil {
			out[r.ID()] = Label{Text: ValueString(v), Masked: r.Masked[disp]}
		}
	}
	return out, e.store.wrapErr(rows.Err())
}

func distinct(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, x := range ids {
		if x != "" && !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
