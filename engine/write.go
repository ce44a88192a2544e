package engine

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"quickback.dev/qb/schema"
)

// WriteOptions tune a write.
type WriteOptions struct {
	// DryRun performs the write inside a transaction, reports it and rolls back.
	DryRun bool
	// IfUnmodifiedSince, when set (an ISO-8601 timestamp), makes an update,
	// a delete or a record action apply only if the row has not changed
	// since: its modifiedAt (createdAt when never modified) is not later,
	// else ROW_CHANGED. A dry run's LastChange passed here writes exactly
	// over the row the dry run previewed.
	IfUnmodifiedSince string
	// NewID is the primary key a create gives the new row instead of a
	// fresh one: a dry run's ID passed back writes the very record its
	// preview showed. Only a create uses it (data still may not set the
	// key unless the guards allow it).
	NewID string
}

// Change is one field a write or action changed, as the caller sees it
// (both sides masked where the caller sees the column masked).
type Change struct {
	Field  string `json:"field"`
	Before any    `json:"before"`
	After  any    `json:"after"`
	Masked bool   `json:"masked,omitempty"`
}

// WriteResult is the outcome of a write.
type WriteResult struct {
	// ID is the written row's primary key.
	ID string
	// Row is the record after the write, masked; nil after a delete and
	// when Withheld.
	Row *Row
	// Changes lists the fields that changed, in column order; nil when
	// Withheld.
	Changes []Change
	// Withheld is set instead of Row and Changes when the caller may not
	// get the written row (access or record condition, SPEC §3.4).
	Withheld *WithheldRow
	// Path is "create" or "update" (upsert reports the path it took).
	Path   string
	DryRun bool
	// LastChange is when the row last changed before this write (see
	// Row.LastChange), for a later write's IfUnmodifiedSince; "" for a
	// create and when the caller may not get the row.
	LastChange string
}

// WithheldRow is a row a write or action changed that the caller may not
// get: its table, id and the names of the fields that changed, never a
// value (SPEC §3.4).
type WithheldRow struct {
	Table  string   `json:"table"`
	ID     string   `json:"id"`
	Fields []string `json:"fields"`
}

// FieldProblem is one offending field of a refused write.
type FieldProblem struct {
	Field    string   `json:"field"`
	Category string   `json:"category"`
	Message  string   `json:"message,omitempty"`
	Actions  []string `json:"actions,omitempty"`
	// DidYouMean is the field (or input) an unknown one is probably a
	// misspelling of.
	DidYouMean string `json:"didYouMean,omitempty"`
}

var guardRank = map[Code]int{GuardSystemManaged: 0, GuardFieldImmutable: 1, GuardFieldProtected: 2, GuardFieldNotCreateable: 3, GuardFieldNotUpdatable: 3}

// protectedBy lists the actions that may set a protected field (nil when the
// field is not protected).
func protectedBy(t *schema.Table, field string) []string {
	acts, ok := t.Guards.Protected[field]
	if !ok {
		return nil
	}
	if acts == nil {
		acts = []string{}
		for _, a := range t.Actions {
			acts = append(acts, a.Name)
		}
	}
	return acts
}

// guardFor returns the guard that refuses a client write of field, or "".
func guardFor(t *schema.Table, field string, create bool) Code {
	g := t.Guards
	pk := t.PrimaryKey()
	switch {
	case t.IsSystemManaged(field):
		return GuardSystemManaged
	case g.Disabled:
		if !create && field == pk.Name {
			return GuardFieldImmutable
		}
		return ""
	case !create && (slices.Contains(g.Immutable, field) || field == pk.Name):
		return GuardFieldImmutable
	}
	if _, ok := g.Protected[field]; ok {
		return GuardFieldProtected
	}
	if create {
		if slices.Contains(g.Createable, field) || slices.Contains(g.Immutable, field) {
			return ""
		}
		return GuardFieldNotCreateable
	}
	if slices.Contains(g.Updatable, field) {
		return ""
	}
	return GuardFieldNotUpdatable
}

var categoryName = map[Code]string{
	GuardSystemManaged: "system-managed", GuardFieldImmutable: "immutable", GuardFieldProtected: "protected",
	GuardFieldNotCreateable: "not-createable", GuardFieldNotUpdatable: "not-updatable",
}

// guardProblems collects the fields a write may not touch and the code of
// their highest-precedence category (SPEC 3.3: every offender is reported,
// under one code).
type guardProblems struct {
	probs []FieldProblem
	best  Code
}

func (g *guardProblems) add(p FieldProblem, code Code) {
	p.Category = categoryName[code]
	g.probs = append(g.probs, p)
	if g.best == "" || guardRank[code] < guardRank[g.best] {
		g.best = code
	}
}

// refusal is nil when no field was added, and otherwise the refusal of them
// all under the highest-precedence code: details gain the fields, and the
// message (format and args) is followed by ": " and each field with its
// category (and, with via, the actions that may set a protected one).
func (g *guardProblems) refusal(details map[string]any, via bool, format string, args ...any) error {
	if len(g.probs) == 0 {
		return nil
	}
	parts := make([]string, len(g.probs))
	for i, p := range g.probs {
		s := p.Field + " (" + p.Category
		if via && len(p.Actions) > 0 {
			s += ": only via " + strings.Join(p.Actions, ", ")
		}
		parts[i] = s + ")"
	}
	details["fields"] = g.probs
	return Errf(g.best, details, format+": %s", append(args, strings.Join(parts, ", "))...)
}

// checkFields refuses unknown fields, then every guarded field, reporting
// all offenders under the code of the highest-precedence category.
func checkFields(t *schema.Table, data map[string]any, create bool) error {
	names := slices.Sorted(maps.Keys(data))
	var unknown []FieldProblem
	for _, f := range names {
		if t.Column(f) == nil {
			unknown = append(unknown, FieldProblem{Field: f, Category: "unknown", Message: "unknown field", DidYouMean: closest(f, t.ColumnNames())})
		}
	}
	if len(unknown) > 0 {
		return Errf(ValidationFailed, map[string]any{"table": t.Name, "fields": unknown}, "unknown fields for %s: %s", t.Name, fieldList(unknown))
	}
	var g guardProblems
	for _, f := range names {
		code := guardFor(t, f, create)
		if code == "" {
			continue
		}
		p := FieldProblem{Field: f}
		if code == GuardFieldProtected {
			p.Actions = protectedBy(t, f)
			p.Message = "only actions may set it: " + strings.Join(p.Actions, ", ")
		}
		g.add(p, code)
	}
	return g.refusal(map[string]any{"table": t.Name}, true, "fields not writable on %s", t.Name)
}

func fieldList(ps []FieldProblem) string {
	var s []string
	for _, p := range ps {
		s = append(s, p.Field)
	}
	return strings.Join(s, ", ")
}

// convert turns client values into stored values, checking types, enums,
// ranges and lengths, and (on create) required fields and defaults.
func (e *Engine) convert(t *schema.Table, data map[string]any, create bool, skip func(*schema.Column) bool) (map[string]any, error) {
	out := map[string]any{}
	var probs []FieldProblem
	for _, c := range t.Columns {
		v, given := data[c.Name]
		if skip != nil && skip(c) {
			continue
		}
		if !given && create && c.HasDefault {
			v, given = c.Default, true
			if c.Type == schema.TypeTimestamp && v == "now" {
				v = e.now()
			}
		}
		if !given {
			if create && c.Required && c.Type != schema.TypeID {
				probs = append(probs, FieldProblem{Field: c.Name, Category: "required", Message: "is required"})
			}
			continue
		}
		if v == nil {
			if c.Required || notNull(t, c) {
				probs = append(probs, FieldProblem{Field: c.Name, Category: "required", Message: "is required"})
				continue
			}
			out[c.Name] = nil
			continue
		}
		sv, msg := toSQL(c, v)
		if msg != "" {
			probs = append(probs, FieldProblem{Field: c.Name, Category: "invalid", Message: msg})
			continue
		}
		out[c.Name] = sv
	}
	if len(probs) > 0 {
		var parts []string
		for _, p := range probs {
			parts = append(parts, p.Field+" "+p.Message)
		}
		return nil, Errf(ValidationFailed, map[string]any{"table": t.Name, "fields": probs}, "invalid %s: %s", t.Name, strings.Join(parts, "; "))
	}
	return out, nil
}

// checkReferences verifies every reference points at a row the caller can
// see through the target's firewall.
func (e *Engine) checkReferences(ctx context.Context, q querier, t *schema.Table, id Identity, vals map[string]any) error {
	var probs []FieldProblem
	for _, c := range t.Columns {
		v, ok := vals[c.Name]
		if !ok || v == nil || c.References == "" {
			continue
		}
		rt := e.cfg.Table(c.References)
		fw := firewallFor(rt, id)
		var one int
		// Locked against deletion until commit: the reference stays true
		// until the row holding it is written and committed.
		err := e.queryRow(ctx, q, fmt.Sprintf("SELECT 1 FROM %s WHERE %s = ? AND %s%s", Q(rt.SQLName), Q(rt.PrimaryKey().SQLName), fw.pred.sql, e.store.d.rowLock(lockKeyShare)),
			append([]any{v}, fw.pred.bind(id)...)...).Scan(&one)
		if isNoRows(err) {
			probs = append(probs, FieldProblem{Field: c.Name, Category: "reference", Message: "no accessible " + rt.Name + " record with that id"})
			continue
		}
		if err != nil {
			return e.store.wrapErr(err)
		}
	}
	if len(probs) > 0 {
		return Errf(FKNotFound, map[string]any{"table": t.Name, "fields": probs}, "%s: referenced record not found: %s", t.Name, fieldList(probs))
	}
	if racePoint != nil {
		racePoint("refs.checked")
	}
	return nil
}

// brokenReference refuses a write that would break a reference between
// records, without naming the rows or tables involved (the caller may not
// see them).
func brokenReference(t *schema.Table) error {
	return Errf(FKNotFound, map[string]any{"table": t.Name}, "%s: the write breaks a reference between records", t.Name)
}

// constraintError maps a SQLite constraint failure to the catalogue without
// echoing any value.
func (e *Engine) constraintError(t *schema.Table, err error) error {
	msg := err.Error()
	switch st := pgState(err); st {
	case "23505":
		msg = "UNIQUE constraint failed: "
		for i, c := range pgUniqueColumns(err) {
			if i > 0 {
				msg += ", "
			}
			msg += t.SQLName + "." + c
		}
	case "23503":
		msg = "FOREIGN KEY constraint failed"
	case "23514", "23502":
		msg = "CHECK constraint failed"
	case "":
	default:
		return e.store.wrapErr(err)
	}
	switch {
	case strings.Contains(msg, "UNIQUE constraint failed"):
		cols := uniqueColumns(t, msg)
		what := "values"
		if len(cols) > 0 {
			what = strings.Join(cols, ", ")
		}
		return Errf(UniqueViolation, map[string]any{"table": t.Name, "fields": cols}, "a %s record with the same %s already exists", t.Name, what)
	case strings.Contains(msg, "FOREIGN KEY constraint failed"):
		return brokenReference(t)
	case strings.Contains(msg, "CHECK constraint failed"), strings.Contains(msg, "NOT NULL constraint failed"):
		return Errf(ValidationFailed, map[string]any{"table": t.Name}, "%s: a value breaks a declared constraint", t.Name)
	}
	return e.store.wrapErr(err)
}

// uniqueColumns names, by config name, the columns of the constraint in a
// SQLite unique failure ("UNIQUE constraint failed: t.a, t.b (2067)"),
// every one of them and nothing else.
func uniqueColumns(t *schema.Table, msg string) []string {
	const marker = "UNIQUE constraint failed: "
	i := strings.Index(msg, marker)
	if i < 0 {
		return nil
	}
	rest := msg[i+len(marker):]
	if j := strings.IndexAny(rest, "(\n"); j >= 0 {
		rest = rest[:j] // the extended result code, e.g. " (2067)"
	}
	cols := []string{}
	for _, part := range strings.Split(rest, ",") {
		part = strings.TrimSpace(part)
		if !strings.HasPrefix(part, t.SQLName+".") {
			continue
		}
		for _, c := range t.Columns {
			if c.SQLName == part[len(t.SQLName)+1:] {
				cols = append(cols, c.Name)
			}
		}
	}
	return cols
}

// insertRow writes vals (config names → stored values) into t.
func (e *Engine) insertRow(ctx context.Context, tx *sql.Tx, t *schema.Table, vals map[string]any) error {
	var cols, marks []string
	var args []any
	for _, c := range t.Columns {
		v, ok := vals[c.Name]
		if !ok {
			continue
		}
		cols = append(cols, Q(c.SQLName))
		marks = append(marks, "?")
		args = append(args, v)
	}
	_, err := e.exec(ctx, tx, fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", Q(t.SQLName), strings.Join(cols, ", "), strings.Join(marks, ", ")), args...)
	if err != nil {
		return e.constraintError(t, err)
	}
	return nil
}

// stamp sets the firewall and audit columns of a new row from the context.
func (e *Engine) stamp(t *schema.Table, id Identity, vals map[string]any) error {
	if pk := t.PrimaryKey(); vals[pk.Name] == nil {
		vals[pk.Name] = freshID()
	}
	if oc := t.OrgColumn(); oc != nil {
		if id.OrgID == "" {
			return Errf(OrgRequired, map[string]any{"table": t.Name}, "table %s is scoped to an organization and the identity has none", t.Name)
		}
		vals[oc.Name] = id.OrgID
	}
	if owc := t.OwnerColumn(); owc != nil {
		if id.UserID == "" || id.Anonymous {
			return Errf(AccessRoleRequired, map[string]any{"table": t.Name}, "table %s is owner-scoped and the identity has no user", t.Name)
		}
		vals[owc.Name] = id.UserID
	}
	now := e.clock()
	user := auditUser(id)
	vals["createdAt"], vals["createdBy"] = StoredTime(t.Column("createdAt"), now), user
	vals["modifiedAt"], vals["modifiedBy"] = StoredTime(t.Column("modifiedAt"), now), user
	return nil
}

func auditUser(id Identity) any {
	if id.UserID == "" || id.Anonymous {
		return nil
	}
	return id.UserID
}

// Create inserts a row as id.
func (e *Engine) Create(ctx context.Context, id Identity, table string, data map[string]any, opts WriteOptions) (*WriteResult, error) {
	var res *WriteResult
	err := e.writeTx(ctx, id, "create", table, opts.DryRun, func(tx *sql.Tx) (string, []string, error) {
		t, err := e.table(table, true)
		if err != nil {
			return "", nil, err
		}
		r, err := e.create(ctx, tx, t, id, data, opts.NewID)
		if err != nil {
			return "", slices.Sorted(maps.Keys(data)), err
		}
		res = r
		return r.ID, r.fields(), nil
	})
	if err != nil {
		return nil, err
	}
	res.DryRun = opts.DryRun
	return res, nil
}

func (e *Engine) create(ctx context.Context, tx *sql.Tx, t *schema.Table, id Identity, data map[string]any, newID string) (*WriteResult, error) {
	acc := e.crudAccess(t, schema.OpCreate, id)
	if acc.Denied {
		return nil, roleError(t, "create", acc)
	}
	fw := firewallFor(t, id)
	if fw.err != nil {
		return nil, fw.err
	}
	if err := checkFields(t, data, true); err != nil {
		return nil, err
	}
	// The key given in the options is set after the guards were checked
	// on the data as the client gave it.
	if pk := t.PrimaryKey(); newID != "" && data[pk.Name] == nil {
		data = maps.Clone(data)
		data[pk.Name] = newID
	}
	rowID, err := e.insertChecked(ctx, tx, t, id, data)
	if err != nil {
		return nil, err
	}
	return e.afterWrite(ctx, tx, t, id, fw, acc, rowID, nil, nil, "create")
}

// insertChecked validates data (types, required, defaults), stamps the
// firewall and audit columns from the context, checks references through
// the caller's firewall and inserts the row; it returns the new row's id.
// Guards and access are the caller's to check first.
func (e *Engine) insertChecked(ctx context.Context, tx *sql.Tx, t *schema.Table, id Identity, data map[string]any) (string, error) {
	vals, err := e.convert(t, data, true, func(c *schema.Column) bool { return t.IsSystemManaged(c.Name) })
	if err != nil {
		return "", err
	}
	if err := e.stamp(t, id, vals); err != nil {
		return "", err
	}
	if err := e.checkReferences(ctx, tx, t, id, vals); err != nil {
		return "", err
	}
	if err := e.insertRow(ctx, tx, t, vals); err != nil {
		return "", err
	}
	rowID, _ := vals[t.PrimaryKey().Name].(string)
	return rowID, nil
}

// afterWrite re-reads the written row, checks the access condition holds on
// it, and reports the masked row and its changes. written holds the fields
// the write set: one the caller sees masked is reported as changed even when
// its value did not change, so the changes never tell whether a value
// written equals a hidden one.
func (e *Engine) afterWrite(ctx context.Context, tx *sql.Tx, t *schema.Table, id Identity, fw firewall, acc *residual, rowID string, before []any, written map[string]any, path string) (*WriteResult, error) {
	accs, get := e.afterConds(t, id, acc)
	raw, pass, found, err := e.fetchConds(ctx, tx, t, id, fw, rowID, "", accs...)
	if err != nil {
		return nil, err
	}
	return e.describeWrite(t, id, acc, rowID, before, written, path, raw, found && pass[0], get && found && pass[1])
}

// afterConds are the conditions a written row is read with: the
// operation's access condition, then get access's unless the caller's role
// is denied get (get false).
func (e *Engine) afterConds(t *schema.Table, id Identity, acc *residual) (accs []*residual, get bool) {
	g := e.crudAccess(t, schema.OpGet, id)
	if g.Denied {
		return []*residual{acc}, false
	}
	return []*residual{acc, g}, true
}

// describeWrite checks that the access condition holds on the written row
// (raw; pass: inside the firewall and the condition holds) and reports it
// masked with its changes, or — when the caller may not get it (mayGet
// false) — by id and field names only.
func (e *Engine) describeWrite(t *schema.Table, id Identity, acc *residual, rowID string, before []any, written map[string]any, path string, raw []any, pass, mayGet bool) (*WriteResult, error) {
	if !pass {
		return nil, Errf(AccessConditionFailed, map[string]any{"table": t.Name, "id": rowID, "operation": path, "rules": acc.Rules},
			"after this %s the record would fail the condition of %s", path, strings.Join(acc.Rules, " / "))
	}
	mp := e.maskPlanFor(t, id)
	row := e.present(t, mp, id, raw)
	res := &WriteResult{Row: &row, Path: path}
	var prev Row
	if before != nil {
		prev = e.present(t, mp, id, before)
	}
	for i, c := range t.Columns {
		var b any
		if before != nil {
			_, set := written[c.Name]
			if equalStored(before[i], raw[i]) && !(set && (row.Masked[i] || prev.Masked[i])) {
				continue
			}
			b = prev.Values[i]
		} else if raw[i] == nil {
			continue
		}
		res.Changes = append(res.Changes, Change{Field: c.Name, Before: b, After: row.Values[i], Masked: row.Masked[i] || (before != nil && prev.Masked[i])})
	}
	res.ID = rowID
	if mayGet {
		return res, nil
	}
	// The caller may not get the row (SPEC §3.4): its id and the names of
	// the fields the write changed or set — every field written is named,
	// so the list never tells whether a value written equals the hidden one.
	changed := map[string]bool{}
	for _, c := range res.Changes {
		changed[c.Field] = true
	}
	w := &WithheldRow{Table: t.Name, ID: rowID, Fields: []string{}}
	for _, c := range t.Columns {
		if _, set := written[c.Name]; set || changed[c.Name] {
			w.Fields = append(w.Fields, c.Name)
		}
	}
	res.Withheld, res.Row, res.Changes = w, nil, nil
	return res, nil
}

// mayGet reports whether id may get the row rowID of t as q sees it now:
// get access admits the caller and its record condition holds on the row
// inside the caller's firewall.
func (e *Engine) mayGet(ctx context.Context, q querier, t *schema.Table, id Identity, rowID string) (bool, error) {
	acc := e.crudAccess(t, schema.OpGet, id)
	if acc.Denied {
		return false, nil
	}
	fw := firewallFor(t, id)
	if fw.err != nil {
		return false, nil
	}
	_, pass, found, err := e.fetch(ctx, q, t, id, fw, acc, rowID)
	return found && pass, err
}

// fields are the names of the fields a write changed, for the audit log.
func (r *WriteResult) fields() []string {
	if r.Withheld != nil {
		return r.Withheld.Fields
	}
	return changedFields(r.Changes)
}

// equalStored reports whether two stored values are the same: of the same
// type and printing the same (so every NaN equals every NaN, and -0 differs
// from 0).
func equalStored(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case int64:
		y, ok := b.(int64)
		return ok && x == y
	case float64:
		y, ok := b.(float64)
		return ok && (math.Float64bits(x) == math.Float64bits(y) || (x != x && y != y))
	}
	return fmt.Sprintf("%T:%v", a, a) == fmt.Sprintf("%T:%v", b, b)
}

func changedFields(cs []Change) []string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.Field)
	}
	return out
}

// Update changes fields of a row as id.
func (e *Engine) Update(ctx context.Context, id Identity, table, rowID string, data map[string]any, opts WriteOptions) (*WriteResult, error) {
	var res *WriteResult
	err := e.writeTx(ctx, id, "update", table, opts.DryRun, func(tx *sql.Tx) (string, []string, error) {
		t, err := e.table(table, true)
		if err != nil {
			return rowID, nil, err
		}
		r, err := e.update(ctx, tx, t, id, rowID, data, opts.IfUnmodifiedSince)
		if err != nil {
			return rowID, slices.Sorted(maps.Keys(data)), err
		}
		res = r
		return rowID, r.fields(), nil
	})
	if err != nil {
		return nil, err
	}
	res.DryRun = opts.DryRun
	return res, nil
}

// loadForWrite applies the checks every write on an existing row starts with:
// role, firewall, record condition, and (since set) that the row has not
// changed since.
func (e *Engine) loadForWrite(ctx context.Context, tx *sql.Tx, t *schema.Table, id Identity, op schema.Op, rowID, since string) ([]any, firewall, *residual, error) {
	since, err := parseSince(since)
	if err != nil {
		return nil, firewall{}, nil, err
	}
	acc := e.crudAccess(t, op, id)
	if acc.Denied {
		return nil, firewall{}, nil, roleError(t, string(op), acc)
	}
	fw := firewallFor(t, id)
	if fw.err != nil {
		return nil, fw, nil, fw.err
	}
	// Locked until commit, so what the checks read stays true (a delete
	// locks the key too: a row being made to reference it waits, or is
	// seen by the delete's reference check).
	mode := lockNoKeyUpdate
	if op == schema.OpDelete {
		mode = lockUpdate
	}
	raw, passes, found, err := e.fetchConds(ctx, tx, t, id, fw, rowID, e.store.d.rowLock(mode), acc)
	if err != nil {
		return nil, fw, nil, err
	}
	if !found {
		return nil, fw, nil, notFound(t, rowID)
	}
	if !passes[0] {
		return nil, fw, nil, conditionFailed(t, rowID, string(op), acc)
	}
	if err := e.checkUnmodified(ctx, tx, t, id, rowID, raw, since); err != nil {
		return nil, fw, nil, err
	}
	return raw, fw, acc, nil
}

func (e *Engine) update(ctx context.Context, tx *sql.Tx, t *schema.Table, id Identity, rowID string, data map[string]any, since string) (*WriteResult, error) {
	before, fw, acc, err := e.loadForWrite(ctx, tx, t, id, schema.OpUpdate, rowID, since)
	if err != nil {
		return nil, err
	}
	if err := checkFields(t, data, false); err != nil {
		return nil, err
	}
	vals, err := e.convert(t, data, false, nil)
	if err != nil {
		return nil, err
	}
	if err := e.checkReferences(ctx, tx, t, id, vals); err != nil {
		return nil, err
	}
	vals["modifiedAt"], vals["modifiedBy"] = e.stampTime(t, "modifiedAt"), auditUser(id)
	accs, get := e.afterConds(t, id, acc)
	after, pass, err := e.updateReturning(ctx, tx, t, id, fw, rowID, vals, accs)
	if err != nil {
		return nil, err
	}
	res, err := e.describeWrite(t, id, acc, rowID, before, vals, "update", after, pass[0] && pass[1], get && pass[0] && pass[2])
	if err == nil && res.Withheld == nil {
		res.LastChange = lastChange(t, before)
	}
	return res, err
}

// updateReturning sets vals on the row, inside the firewall, and reads the
// row as written in the same statement (UPDATE … RETURNING) with, on the
// new row, whether it is still inside the firewall (pass[0]) and the value
// of each condition of accs (pass[1:]) — what re-reading it would give.
func (e *Engine) updateReturning(ctx context.Context, tx *sql.Tx, t *schema.Table, id Identity, fw firewall, rowID string, vals map[string]any, accs []*residual) (raw []any, pass []bool, err error) {
	var b strings.Builder
	var args []any
	b.WriteString("UPDATE " + Q(t.SQLName) + " SET ")
	n := 0
	for _, c := range t.Columns {
		if v, ok := vals[c.Name]; ok {
			if n > 0 {
				b.WriteString(", ")
			}
			b.WriteString(Q(c.SQLName) + " = ?")
			args = append(args, v)
			n++
		}
	}
	b.WriteString(" WHERE " + Q(t.PrimaryKey().SQLName) + " = ? AND " + fw.pred.sql)
	args = append(args, rowID)
	args = append(args, fw.pred.bind(id)...)
	b.WriteString(" RETURNING " + sqlCols(t) + ", (" + fw.pred.sql + ")")
	args = append(args, fw.pred.bind(id)...)
	for _, acc := range accs {
		b.WriteString(", (" + condSQL(acc) + ")")
		if acc != nil {
			args = acc.Cond.appendBound(args, id)
		}
	}
	raw, extra, err := e.scanRowConds(e.queryRow(ctx, tx, b.String(), args...), t, 1+len(accs))
	if isNoRows(err) {
		return nil, nil, notFound(t, rowID)
	}
	if err != nil {
		return nil, nil, e.constraintError(t, err)
	}
	pass = make([]bool, len(extra))
	for i, v := range extra {
		pass[i] = truthy(v)
	}
	return raw, pass, nil
}

// updateRow sets vals on the row, inside the firewall.
func (e *Engine) updateRow(ctx context.Context, tx *sql.Tx, t *schema.Table, id Identity, fw firewall, rowID string, vals map[string]any) error {
	var sets []string
	var args []any
	for _, c := range t.Columns {
		if v, ok := vals[c.Name]; ok {
			sets = append(sets, Q(c.SQLName)+" = ?")
			args = append(args, v)
		}
	}
	args = append(args, rowID)
	args = append(args, fw.pred.bind(id)...)
	res, err := e.exec(ctx, tx, fmt.Sprintf("UPDATE %s SET %s WHERE %s = ? AND %s", Q(t.SQLName), strings.Join(sets, ", "), Q(t.PrimaryKey().SQLName), fw.pred.sql), args...)
	if err != nil {
		return e.constraintError(t, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return notFound(t, rowID)
	}
	return nil
}

// Delete removes a row as id: soft (deletedAt) or hard per crud.delete.mode.
func (e *Engine) Delete(ctx context.Context, id Identity, table, rowID string, opts WriteOptions) (*WriteResult, error) {
	res := &WriteResult{ID: rowID, Path: "delete", DryRun: opts.DryRun}
	err := e.writeTx(ctx, id, "delete", table, opts.DryRun, func(tx *sql.Tx) (string, []string, error) {
		t, err := e.table(table, true)
		if err != nil {
			return rowID, nil, err
		}
		raw, fw, _, err := e.loadForWrite(ctx, tx, t, id, schema.OpDelete, rowID, opts.IfUnmodifiedSince)
		if err != nil {
			return rowID, nil, err
		}
		if ok, err := e.mayGet(ctx, tx, t, id, rowID); err != nil {
			return rowID, nil, err
		} else if ok {
			res.LastChange = lastChange(t, raw)
		}
		if t.CRUD[schema.OpDelete].DeleteMode == "hard" {
			if ref, err := e.referenced(ctx, tx, t, rowID); err != nil {
				return rowID, nil, e.store.wrapErr(err)
			} else if ref {
				return rowID, nil, brokenReference(t)
			}
			r, err := e.exec(ctx, tx, fmt.Sprintf("DELETE FROM %s WHERE %s = ? AND %s", Q(t.SQLName), Q(t.PrimaryKey().SQLName), fw.pred.sql), append([]any{rowID}, fw.pred.bind(id)...)...)
			if err != nil {
				return rowID, nil, e.constraintError(t, err)
			}
			if n, _ := r.RowsAffected(); n != 1 {
				return rowID, nil, notFound(t, rowID)
			}
			return rowID, nil, nil
		}
		now := e.stampTime(t, "deletedAt")
		vals := map[string]any{"deletedAt": now, "deletedBy": auditUser(id)}
		if err := e.updateRow(ctx, tx, t, id, fw, rowID, vals); err != nil {
			return rowID, nil, err
		}
		res.Changes = []Change{{Field: "deletedAt", After: fromSQL(t.Column("deletedAt"), now)}, {Field: "deletedBy", After: auditUser(id)}}
		return rowID, []string{"deletedAt", "deletedBy"}, nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// Upsert creates or updates by the table's upsert key, looked up inside the
// caller's firewall: found → the update path, not found → the create path; a
// soft-deleted row with the key is a conflict, never revived.
func (e *Engine) Upsert(ctx context.Context, id Identity, table string, data map[string]any, opts WriteOptions) (*WriteResult, error) {
	var res *WriteResult
	var rowID string
	err := e.writeTx(ctx, id, "upsert", table, opts.DryRun, func(tx *sql.Tx) (string, []string, error) {
		t, err := e.table(table, true)
		if err != nil {
			return "", nil, err
		}
		if c, u := e.crudAccess(t, schema.OpCreate, id), e.crudAccess(t, schema.OpUpdate, id); c.Denied && u.Denied {
			return "", nil, roleError(t, "upsert", u)
		}
		fw := firewallFor(t, id)
		if fw.err != nil {
			return "", nil, fw.err
		}
		var conds []string
		var args []any
		var missing []FieldProblem
		for _, k := range t.UpsertKey {
			c := t.Column(k)
			v, ok := data[k]
			if !ok || v == nil {
				missing = append(missing, FieldProblem{Field: k, Category: "required", Message: "is required: it is the upsert key"})
				continue
			}
			sv, msg := toSQL(c, v)
			if msg != "" {
				missing = append(missing, FieldProblem{Field: k, Category: "invalid", Message: msg})
				continue
			}
			conds = append(conds, Q(c.SQLName)+" = ?")
			args = append(args, sv)
		}
		if len(missing) > 0 {
			return "", nil, Errf(ValidationFailed, map[string]any{"table": t.Name, "fields": missing}, "upsert on %s needs its key: %s", t.Name, fieldList(missing))
		}
		pk := t.PrimaryKey()
		var deleted any
		args = append(args, fw.scope.bind(id)...)
		lookup := func() error {
			return e.queryRow(ctx, tx, fmt.Sprintf("SELECT %s, %s FROM %s WHERE %s AND %s", Q(pk.SQLName), Q(t.Column("deletedAt").SQLName), Q(t.SQLName), strings.Join(conds, " AND "), fw.scope.sql), args...).Scan(&rowID, &deleted)
		}
		err = lookup()
		if isNoRows(err) {
			rowID = ""
			if racePoint != nil {
				racePoint("upsert.lookup")
			}
			var r *WriteResult
			cerr := e.store.d.attempt(ctx, tx, func() (err error) {
				r, err = e.create(ctx, tx, t, id, data, "")
				return err
			})
			if cerr == nil {
				res = r
				return r.ID, r.fields(), nil
			}
			// Another upsert may have created the key since the lookup
			// (PostgreSQL, READ COMMITTED: its commit is what the unique
			// index made this insert wait for; under SQLite's one writer
			// the lookup again finds nothing new). The key, looked up
			// again, takes the update path; a conflict on another unique
			// column, or with a row outside the firewall, stays a refusal.
			if ee, ok := AsError(cerr); !ok || ee.Code != UniqueViolation {
				return "", slices.Sorted(maps.Keys(data)), cerr
			}
			if err = lookup(); isNoRows(err) {
				rowID = ""
				return "", slices.Sorted(maps.Keys(data)), cerr
			}
		}
		switch {
		case err != nil:
			return "", nil, e.store.wrapErr(err)
		case deleted != nil:
			return rowID, nil, Errf(UniqueViolation, map[string]any{"table": t.Name, "fields": t.UpsertKey},
				"a deleted %s record has the same %s; it is not revived by upsert", t.Name, strings.Join(t.UpsertKey, ", "))
		}
		upd := map[string]any{}
		for k, v := range data {
			if !slices.Contains(t.UpsertKey, k) {
				upd[k] = v
			}
		}
		r, err := e.update(ctx, tx, t, id, rowID, upd, "")
		if err != nil {
			return rowID, slices.Sorted(maps.Keys(upd)), err
		}
		res = r
		return rowID, r.fields(), nil
	})
	if err != nil {
		return nil, err
	}
	res.DryRun = opts.DryRun
	return res, nil
}
