package engine

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"quickback.dev/qb/schema"
)

// The stages of a funnel, in the order the rows pass them.
const (
	StageTable        = "table"        // every row of the table
	StageOrganization = "organization" // in the caller's organization (deleted rows included)
	StageLive         = "live"         // not soft-deleted
	StageOwner        = "owner"        // the owner scope
	StageCondition    = "condition"    // the list's record condition
	StageQuery        = "query"        // the request's filters and search
)

// FunnelStage is how many rows are left after one stage of a list.
type FunnelStage struct {
	// Stage is one of StageTable ... StageQuery.
	Stage string `json:"stage"`
	// Label says what the rows left have passed, after their count: "in
	// acme", "not deleted", "pass owner scope (strict, ownerId = u-ivan)".
	Label string `json:"label"`
	// Rule is the config path that decides the stage ("" for the table
	// and for the request's own query).
	Rule string `json:"rule,omitempty"`
	Rows int64  `json:"rows"`
}

// Funnel is why a list holds the rows it does: the row count after each
// stage of its WHERE clause, each stage adding its condition to the ones
// before (SPEC §5, `qb explain TABLE --funnel`). A table without an
// organization firewall has no organization stage, one without an owner
// scope no owner stage, a list without a record condition no condition
// stage, a request without filters or search no query stage.
type Funnel struct {
	Table    string        `json:"table"`
	Identity Identity      `json:"identity"`
	Stages   []FunnelStage `json:"stages"`
	// Large is set when the table holds more than LargeTable rows.
	Large bool `json:"large,omitempty"`
}

// Rows is the count after the last stage: what the list holds.
func (f *Funnel) Rows() int64 { return f.Stages[len(f.Stages)-1].Rows }

// Line is the funnel in one line, from the first stage after the whole
// table's to the first that lets no row through: "0 rows: 14 in acme → 13
// not deleted → 0 pass owner scope (strict, ownerId = u-ivan)". It holds
// identifiers read from the config and the database: sanitize it before
// it reaches a terminal.
func (f *Funnel) Line() string {
	n := f.Rows()
	noun := "rows"
	if n == 1 {
		noun = "row"
	}
	parts := []string{}
	for _, s := range f.Stages[1:] {
		parts = append(parts, fmt.Sprintf("%d %s", s.Rows, s.Label))
		if s.Rows == 0 {
			break
		}
	}
	if len(parts) == 0 {
		return fmt.Sprintf("%d %s in %s", n, noun, f.Table)
	}
	return fmt.Sprintf("%d %s: %s", n, noun, strings.Join(parts, " → "))
}

// funnelQuery is one stage's count statement.
type funnelQuery struct {
	stage FunnelStage
	// sql counts the rows left; args are its bound values.
	sql  string
	args []any
}

// RowEstimate is a quick upper bound of the number of rows in table (its
// largest rowid; 0 for an empty table), read without scanning it: whether
// counting its funnel will take a while (LargeTable). A table with no
// rowid gives -1.
func (e *Engine) RowEstimate(ctx context.Context, table string) (int64, error) {
	t, err := e.table(table, false)
	if err != nil {
		return 0, err
	}
	return e.store.d.rowEstimate(ctx, e.store.db, t.SQLName)
}

// Funnel counts, stage by stage, the rows of table that a list by id with
// q (its cursor ignored) lets through: why a list is empty. Each count is
// one SQL statement over the table's firewall indexes; a cancelled ctx
// stops it. It is refused as the list would be (a role that may not list,
// a masked column in a filter, no organization), and audited as one read.
func (e *Engine) Funnel(ctx context.Context, id Identity, table string, q ListQuery) (f *Funnel, err error) {
	defer func() { e.auditRead(ctx, id, "funnel", table, "", err) }()
	qs, err := e.funnelPlan(id, table, q)
	if err != nil {
		return nil, err
	}
	f = &Funnel{Table: table, Identity: id}
	for _, fq := range qs {
		if err := e.queryRow(ctx, e.store.db, fq.sql, fq.args...).Scan(&fq.stage.Rows); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, e.store.wrapErr(err)
		}
		f.Stages = append(f.Stages, fq.stage)
	}
	f.Large = f.Stages[0].Rows > LargeTable
	// The organization's rows are counted as its live rows plus its
	// deleted ones (each read from an index); the first two statements
	// after the table's are those two parts.
	if len(f.Stages) > 1 && f.Stages[1].Stage == StageOrganization {
		f.Stages[1].Rows += f.Stages[2].Rows
	}
	return f, nil
}

// funnelPlan compiles the count statements of a funnel. The organization
// stage is counted in two parts (deleted rows, then live ones: Funnel adds
// them), so that both read an index: the scope index holds live rows only.
func (e *Engine) funnelPlan(id Identity, table string, q ListQuery) ([]funnelQuery, error) {
	t, err := e.table(table, true)
	if err != nil {
		return nil, err
	}
	q.Cursor = ""
	p, err := e.planList(t, id, q)
	if err != nil {
		return nil, err
	}
	fw := firewallFor(t, id)
	acc := e.crudAccess(t, schema.OpList, id)
	count := func(where []string) string {
		if len(where) == 0 {
			return "SELECT count(*) FROM " + Q(t.SQLName)
		}
		return "SELECT count(*) FROM " + Q(t.SQLName) + " WHERE " + strings.Join(where, " AND ")
	}
	var out []funnelQuery
	add := func(st FunnelStage, where []string, args []any) {
		out = append(out, funnelQuery{stage: st, sql: count(where), args: args})
	}
	add(FunnelStage{Stage: StageTable, Label: "in " + t.Name}, nil, nil)

	deleted := Q(t.Column("deletedAt").SQLName)
	where := []string{fw.live}
	var args []any
	if o := t.Firewall.Organization; o != nil {
		orgArgs := fw.org.bind(id)
		add(FunnelStage{Stage: StageOrganization, Label: "in " + id.OrgID, Rule: fmt.Sprintf("tables.%s.firewall.organization", t.Name)},
			// unlikely(): soft-deleted rows are few, so SQLite reads them
			// through the soft-delete index rather than scanning the table.
			[]string{e.store.d.unlikely(deleted + " IS NOT NULL"), fw.org.sql}, orgArgs)
		where = append(where, fw.org.sql)
		args = append(args, orgArgs...)
	}
	add(FunnelStage{Stage: StageLive, Label: "not deleted", Rule: "soft delete (" + t.Column("deletedAt").Name + " set)"}, slices.Clone(where), slices.Clone(args))
	if o := t.Firewall.Owner; o != nil {
		st := FunnelStage{Stage: StageOwner, Rule: fmt.Sprintf("tables.%s.firewall.owner", t.Name)}
		switch {
		case !fw.ownerScoped:
			st.Label = fmt.Sprintf("bypass owner scope (%s; role %s bypasses)", o.Mode, id.Role)
		case fw.owner.sql == sqlFalse:
			st.Label = fmt.Sprintf("pass owner scope (%s; no user: none)", o.Mode)
		default:
			st.Label = fmt.Sprintf("pass owner scope (%s, %s = %s)", o.Mode, o.Column, id.UserID)
		}
		if fw.owner.sql != "" {
			where = append(where, fw.owner.sql)
			args = append(args, fw.owner.bind(id)...)
		}
		add(st, slices.Clone(where), slices.Clone(args))
	}
	if acc.Cond.sql != "" {
		rule := fmt.Sprintf("tables.%s.crud.list.access", t.Name)
		if len(acc.Rules) > 0 {
			rule = strings.Join(acc.Rules, " / ")
		}
		where = append(where, "("+acc.Cond.sql+")")
		args = append(args, acc.Cond.bind(id)...)
		add(FunnelStage{Stage: StageCondition, Label: "pass the record condition (" + acc.Text + ")", Rule: rule}, slices.Clone(where), slices.Clone(args))
	}
	if len(p.where) > p.scoped {
		where = append(where, p.where[p.scoped:]...)
		args = append(args, p.args[p.scopedArgs:]...)
		add(FunnelStage{Stage: StageQuery, Label: "match " + describeQuery(q)}, slices.Clone(where), slices.Clone(args))
	}
	return out, nil
}

// describeQuery writes a list's filters and search for people:
// `stage=interview, search "jane"`.
func describeQuery(q ListQuery) string {
	var parts []string
	for _, f := range q.Filters {
		op := f.Op
		if op == "in" {
			op = " in "
		}
		parts = append(parts, f.Column+op+f.Value)
	}
	if s := strings.TrimSpace(q.Search); s != "" {
		parts = append(parts, "search "+strconv.Quote(s))
	}
	return strings.Join(parts, ", ")
}
