package engine

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"

	"quickback.dev/qb/schema"
)

// Action types.
const (
	actionRecord     = "record"
	actionStandalone = "standalone"
)

// beforeActionUpdate, when set (tests only), runs inside an action's
// transaction after every check and just before the record's conditional
// update: a test uses it to change the record under the action.
var beforeActionUpdate func(ctx context.Context, tx *sql.Tx)

// racePoint, when set (tests only), is called at the named points of a
// write where another writer's race would strike if nothing kept it out:
// "audit.head" (the audit chain's head read, the entries not written yet),
// "upsert.lookup" (an upsert's key looked up and not found, the row not
// created yet), "refs.checked" (a write's references checked, the row not
// written yet), "write.commit" (a write done and logged, not committed).
// A test holds the transaction there to make the race happen every time.
var racePoint func(point string)

// Run runs the action named action of table as id: on the record rowID for a
// record action (rowID is required), on no record for a standalone one
// (rowID must be empty). input holds the action's inputs (JSON numbers may
// arrive as json.Number).
//
// The checks run in the order of SPEC §3.5 and stop at the first refusal:
// unknown table or action (NOT_FOUND); the action's access roles
// (ACCESS_ROLE_REQUIRED, before any row is read); the record through the
// firewall (FIREWALL_NOT_FOUND, or NOT_FOUND in hide mode); the access rule's
// record condition (ACCESS_CONDITION_FAILED); the inputs (VALIDATION_FAILED,
// one problem per field, unknown keys refused); the transition
// (ACCESS_ACTION_NOT_ALLOWED_FOR_STATE, details field/current/target/allowed).
//
// The effects run in one transaction together with the audit entry
// ("action:<name>"): the record's `set` (and the transition's target) is an
// UPDATE conditioned on the firewall, the record condition and the
// transition field's checked value, so a lost race gives
// ACCESS_TRANSITION_LOST with nothing written; then every `insert` row, in
// order, stamped like any insert and with its references checked through the
// caller's firewall. Any failure rolls everything back. "$record.x" values are
// the record as it was before the action.
//
// The result holds the updated record (record actions) and the inserted
// rows, masked for the caller. Changes lists the record's changed fields
// followed by one entry per non-null column of each inserted row, named
// "<table>.<column>" (before is null). A row the caller may not get — the
// record, or a row inserted into an internal table — is in Withheld instead:
// its id and changed field names, never its values (SPEC §3.4). With opts.DryRun everything runs and
// is reported, then rolled back; only the audit entry of the attempt stays.
func (e *Engine) Run(ctx context.Context, id Identity, table, action, rowID string, input map[string]any, opts WriteOptions) (*ActionResult, error) {
	var res *ActionResult
	err := e.writeTx(ctx, id, "action:"+action, table, opts.DryRun, func(tx *sql.Tx) (string, []string, error) {
		r, fields, err := e.runAction(ctx, tx, id, table, action, rowID, input, opts.IfUnmodifiedSince)
		if err != nil {
			return rowID, nil, err
		}
		res = r
		return rowID, fields, nil
	})
	if err != nil {
		return nil, err
	}
	res.DryRun = opts.DryRun
	return res, nil
}

// lookupAction resolves a table and one of its actions (NOT_FOUND for
// either unknown).
func (e *Engine) lookupAction(table, action string) (*schema.Table, *schema.Action, error) {
	t, err := e.table(table, false)
	if err != nil {
		return nil, nil, err
	}
	a := t.Action(action)
	if a == nil {
		return nil, nil, Errf(NotFound, suggest(map[string]any{"table": t.Name, "action": action}, action, t.ActionNames()), "table %s has no action %q", t.Name, action)
	}
	return t, a, nil
}

func (e *Engine) actionAccess(t *schema.Table, a *schema.Action, id Identity) *residual {
	return e.access(t, "action:"+a.Name, a.Access, a.Path+".access", id)
}

func actionRoleError(t *schema.Table, a *schema.Action, acc *residual) error {
	return Errf(AccessRoleRequired, map[string]any{"table": t.Name, "action": a.Name, "operation": "action:" + a.Name, "rule": acc.DeniedBy},
		"this identity's role may not run %s on %s (%s)", a.Name, t.Name, acc.DeniedBy)
}

// runAction is Run inside its transaction; fields are the audit's changed
// field names.
func (e *Engine) runAction(ctx context.Context, tx *sql.Tx, id Identity, table, action, rowID string, input map[string]any, since string) (*ActionResult, []string, error) {
	t, a, err := e.lookupAction(table, action)
	if err != nil {
		return nil, nil, err
	}
	since, err = parseSince(since)
	if err != nil {
		return nil, nil, err
	}
	acc := e.actionAccess(t, a, id)
	if acc.Denied {
		return nil, nil, actionRoleError(t, a, acc)
	}
	record := a.Type != actionStandalone
	switch {
	case record && rowID == "":
		return nil, nil, Errf(ValidationFailed, map[string]any{"table": t.Name, "action": a.Name, "id": "required"},
			"%s is a record action: give the id of the %s record to run it on", a.Name, t.Name)
	case !record && rowID != "":
		return nil, nil, Errf(ValidationFailed, map[string]any{"table": t.Name, "action": a.Name, "id": "not allowed"},
			"%s is a standalone action: it takes no record id", a.Name)
	}
	res := &ActionResult{Action: a.Name}
	var fields []string

	// The record, through the firewall, then the record condition.
	var fw firewall
	var before []any
	var rec map[string]any
	// mayGetBefore: the caller may get the record as it was read.
	var mayGetBefore bool
	if record {
		fw = firewallFor(t, id)
		if fw.err != nil {
			return nil, nil, fw.err
		}
		accs, get := e.afterConds(t, id, acc)
		// Locked until commit: a concurrent action on the record waits,
		// then reads the record as this one left it.
		raw, pass, found, err := e.fetchConds(ctx, tx, t, id, fw, rowID, e.store.d.rowLock(lockNoKeyUpdate), accs...)
		if err != nil {
			return nil, nil, err
		}
		if !found {
			return nil, nil, notFound(t, rowID)
		}
		if !pass[0] {
			return nil, nil, conditionFailed(t, rowID, "action:"+a.Name, acc)
		}
		mayGetBefore = get && pass[1]
		if err := e.checkUnmodified(ctx, tx, t, id, rowID, raw, since); err != nil {
			return nil, nil, err
		}
		before = raw
		rec = make(map[string]any, len(t.Columns))
		for i, c := range t.Columns {
			rec[c.Name] = fromSQL(c, raw[i])
		}
	}

	// Inputs.
	inputs, err := e.actionInputs(t, a, input)
	if err != nil {
		return nil, nil, err
	}

	// Transition.
	var trCol *schema.Column
	var current any
	var target string
	if tr := a.Transition; record && tr != nil {
		trCol = t.Column(tr.Field)
		idx := columnIndex(t, tr.Field)
		current = before[idx]
		target = tr.To
		if tr.Via != "" {
			s, ok := inputs[tr.Via].(string)
			if !ok {
				return nil, nil, Errf(ValidationFailed, map[string]any{"table": t.Name, "action": a.Name,
					"fields": []FieldProblem{{Field: tr.Via, Category: "required", Message: "is required: it names the target state"}}},
					"invalid input for %s: %s is required: it names the target state", a.Name, tr.Via)
			}
			target = s
		}
		cur := ValueString(fromSQL(trCol, current))
		allowed := tr.From[cur]
		if !slices.Contains(allowed, target) {
			return nil, nil, e.stateError(t, a, id, before, idx, cur, target, allowed)
		}
	}

	// The record's update.
	assigns := map[string]any{}
	for _, as := range a.Set {
		assigns[as.Column] = e.resolveRef(as.Value, id, inputs, rec)
	}
	if trCol != nil {
		assigns[trCol.Name] = target
	}
	if record && len(assigns) > 0 {
		if err := e.checkActionSet(t, a, assigns); err != nil {
			return nil, nil, err
		}
		vals, err := e.convert(t, assigns, false, nil)
		if err != nil {
			return nil, nil, err
		}
		if err := e.checkReferences(ctx, tx, t, id, vals); err != nil {
			return nil, nil, err
		}
		vals["modifiedAt"], vals["modifiedBy"] = e.stampTime(t, "modifiedAt"), auditUser(id)
		if beforeActionUpdate != nil {
			beforeActionUpdate(ctx, tx)
		}
		if err := e.conditionalUpdate(ctx, tx, t, a, id, fw, acc, rowID, vals, trCol, current); err != nil {
			return nil, nil, err
		}
		wr, err := e.afterWrite(ctx, tx, t, id, fw, &residual{}, rowID, before, vals, "action:"+a.Name)
		if err != nil {
			return nil, nil, err
		}
		res.Row, res.Changes = wr.Row, wr.Changes
		if wr.Withheld != nil {
			res.Withheld = append(res.Withheld, *wr.Withheld)
		}
		fields = wr.fields()
	} else if record {
		// Nothing of the record changed since it was read.
		if mayGetBefore {
			row := e.present(t, e.maskPlanFor(t, id), id, before)
			res.Row = &row
		} else {
			res.Withheld = append(res.Withheld, WithheldRow{Table: t.Name, ID: rowID, Fields: []string{}})
		}
	}

	if record && res.Row != nil {
		res.LastChange = lastChange(t, before)
	}

	// Inserted rows; one the caller may not get (an internal table's, say)
	// is reported by id and field names only.
	for i, ins := range a.Inserts {
		row, ok, err := e.actionInsert(ctx, tx, t, a, i, ins, id, inputs, rec)
		if err != nil {
			return nil, nil, err
		}
		if row == nil {
			continue
		}
		var set []string
		for j, c := range row.Table.Columns {
			if row.Values[j] == nil {
				continue
			}
			set = append(set, c.Name)
			name := row.Table.Name + "." + c.Name
			fields = append(fields, name)
			if ok {
				res.Changes = append(res.Changes, Change{Field: name, After: row.Values[j], Masked: row.Masked[j]})
			}
		}
		if ok {
			res.Inserted = append(res.Inserted, *row)
		} else {
			res.Withheld = append(res.Withheld, WithheldRow{Table: row.Table.Name, ID: row.ID(), Fields: set})
		}
	}
	return res, fields, nil
}

func columnIndex(t *schema.Table, name string) int {
	for i, c := range t.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// inputColumn is the column an input's values are checked as.
func inputColumn(in *schema.Input) *schema.Column {
	return &schema.Column{Name: in.Name, Type: in.Type, Required: in.Required, Min: in.Min, Max: in.Max, MaxLength: in.MaxLength, Values: in.Values}
}

// actionInputs validates input against the action's declared inputs and
// returns every input's value (API form: int64, float64, bool, string, …),
// defaults applied and optional inputs not given as nil. Every problem is
// reported, one per field; unknown keys are refused.
func (e *Engine) actionInputs(t *schema.Table, a *schema.Action, input map[string]any) (map[string]any, error) {
	var probs []FieldProblem
	for _, k := range slices.Sorted(maps.Keys(input)) {
		if a.Input(k) == nil {
			probs = append(probs, FieldProblem{Field: k, Category: "unknown", Message: "is not an input of " + a.Name, DidYouMean: closest(k, a.InputNames())})
		}
	}
	vals := map[string]any{}
	for _, in := range a.Inputs {
		v, given := input[in.Name]
		if !given && in.HasDefault {
			v, given = in.Default, true
			if in.Type == schema.TypeTimestamp && v == "now" {
				v = e.now()
			}
		}
		if !given || v == nil {
			if in.Required {
				probs = append(probs, FieldProblem{Field: in.Name, Category: "required", Message: "is required"})
			}
			vals[in.Name] = nil
			continue
		}
		col := inputColumn(in)
		sv, msg := toSQL(col, v)
		if msg != "" {
			probs = append(probs, FieldProblem{Field: in.Name, Category: "invalid", Message: msg})
			continue
		}
		vals[in.Name] = fromSQL(col, sv)
	}
	if len(probs) > 0 {
		var parts []string
		for _, p := range probs {
			parts = append(parts, p.Field+" "+p.Message)
		}
		return nil, Errf(ValidationFailed, map[string]any{"table": t.Name, "action": a.Name, "fields": probs},
			"invalid input for %s: %s", a.Name, strings.Join(parts, "; "))
	}
	return vals, nil
}

// stateError is ACCESS_ACTION_NOT_ALLOWED_FOR_STATE. When the transition
// field is masked for the caller, its value stays masked and the allowed
// targets (which would reveal it) are left out.
func (e *Engine) stateError(t *schema.Table, a *schema.Action, id Identity, before []any, idx int, cur, target string, allowed []string) error {
	tr := a.Transition
	rule := a.Path + ".transition.from"
	row := e.present(t, e.maskPlanFor(t, id), id, before)
	details := map[string]any{"table": t.Name, "action": a.Name, "field": tr.Field, "target": target, "rule": rule}
	if row.Masked[idx] {
		details["current"] = row.Values[idx]
		return Errf(ActionNotAllowedForState, details, "%s cannot move %s to %q from its current state (%s)", a.Name, tr.Field, target, rule)
	}
	if allowed == nil {
		allowed = []string{}
	}
	details["current"], details["allowed"] = cur, allowed
	from := "none: it is a terminal state"
	if len(allowed) > 0 {
		from = strings.Join(allowed, ", ")
	}
	return Errf(ActionNotAllowedForState, details, "%s cannot move %s from %q to %q; allowed from %q: %s (%s)", a.Name, tr.Field, cur, target, cur, from, rule)
}

// resolveRef evaluates a set/insert value: a literal, or "$input.x",
// "$record.x", "$ctx.x", "$now".
func (e *Engine) resolveRef(v any, id Identity, inputs, rec map[string]any) any {
	r, ok := v.(schema.Ref)
	if !ok {
		return v
	}
	switch r.Kind {
	case "input":
		return inputs[r.Field]
	case "record":
		return rec[r.Field]
	case "ctx":
		if s, ok := id.CtxValue(r.Field); ok {
			return s
		}
	case "now":
		return e.now()
	}
	return nil
}

// checkActionSet refuses, with every offending field, a `set` of a column the
// action may not write: system-managed columns, the primary key, immutable
// columns and protected columns reserved for other actions.
func (e *Engine) checkActionSet(t *schema.Table, a *schema.Action, assigns map[string]any) error {
	var g guardProblems
	for _, f := range slices.Sorted(maps.Keys(assigns)) {
		c := t.Column(f)
		if c == nil {
			return Errf(ValidationFailed, map[string]any{"table": t.Name, "action": a.Name, "fields": []FieldProblem{{Field: f, Category: "unknown", Message: "unknown field"}}},
				"action %s sets the unknown field %s", a.Name, f)
		}
		var code Code
		p := FieldProblem{Field: f}
		switch {
		case t.IsSystemManaged(f):
			code = GuardSystemManaged
		case c.Type == schema.TypeID || (!t.Guards.Disabled && slices.Contains(t.Guards.Immutable, f)):
			code = GuardFieldImmutable
		default:
			if acts := protectedBy(t, f); acts != nil && !slices.Contains(acts, a.Name) {
				code = GuardFieldProtected
				p.Actions = acts
				p.Message = "only actions may set it: " + strings.Join(acts, ", ")
			}
		}
		if code == "" {
			continue
		}
		g.add(p, code)
	}
	return g.refusal(map[string]any{"table": t.Name, "action": a.Name}, false, "action %s may not set these fields of %s", a.Name, t.Name)
}

// conditionalUpdate writes vals on the record only if it is still inside the
// firewall, still passes the record condition and, with a transition, its
// field still holds the value the transition was checked against. No row
// updated means the record changed under the action: ACCESS_TRANSITION_LOST.
func (e *Engine) conditionalUpdate(ctx context.Context, tx *sql.Tx, t *schema.Table, a *schema.Action, id Identity, fw firewall, acc *residual, rowID string, vals map[string]any, trCol *schema.Column, current any) error {
	var sets []string
	var args []any
	for _, c := range t.Columns {
		if v, ok := vals[c.Name]; ok {
			sets = append(sets, Q(c.SQLName)+" = ?")
			args = append(args, v)
		}
	}
	where := []string{Q(t.PrimaryKey().SQLName) + " = ?", fw.pred.sql}
	args = append(args, rowID)
	args = append(args, fw.pred.bind(id)...)
	if acc.Cond.sql != "" {
		where = append(where, "("+acc.Cond.sql+")")
		args = append(args, acc.Cond.bind(id)...)
	}
	if trCol != nil {
		if current == nil {
			where = append(where, Q(trCol.SQLName)+" IS NULL")
		} else {
			where = append(where, Q(trCol.SQLName)+" = ?")
			args = append(args, current)
		}
	}
	r, err := e.exec(ctx, tx, fmt.Sprintf("UPDATE %s SET %s WHERE %s", Q(t.SQLName), strings.Join(sets, ", "), strings.Join(where, " AND ")), args...)
	if err != nil {
		return e.constraintError(t, err)
	}
	if n, _ := r.RowsAffected(); n != 1 {
		details := map[string]any{"table": t.Name, "id": rowID, "action": a.Name}
		if trCol != nil {
			details["field"] = trCol.Name
		}
		return Errf(TransitionLost, details, "the %s record %q changed while %s ran; nothing was written: reload it and try again", t.Name, rowID, a.Name)
	}
	return nil
}

// actionInsert writes the i-th insert row of an action and returns it as the
// caller sees it (nil if the target's firewall hides it from the caller),
// and whether the caller may get it.
func (e *Engine) actionInsert(ctx context.Context, tx *sql.Tx, t *schema.Table, a *schema.Action, i int, ins schema.Insert, id Identity, inputs, rec map[string]any) (*Row, bool, error) {
	tt := e.cfg.Table(ins.Table)
	if tt == nil {
		return nil, false, Errf(NotFound, map[string]any{"table": ins.Table, "action": a.Name}, "action %s inserts into the unknown table %q", a.Name, ins.Table)
	}
	data := map[string]any{}
	var probs []FieldProblem
	for _, as := range ins.Values {
		if tt.Column(as.Column) == nil {
			return nil, false, Errf(ValidationFailed, map[string]any{"table": tt.Name, "action": a.Name, "fields": []FieldProblem{{Field: as.Column, Category: "unknown", Message: "unknown field"}}},
				"action %s inserts the unknown field %s into %s", a.Name, as.Column, tt.Name)
		}
		if tt.IsSystemManaged(as.Column) {
			probs = append(probs, FieldProblem{Field: as.Column, Category: categoryName[GuardSystemManaged]})
			continue
		}
		data[as.Column] = e.resolveRef(as.Value, id, inputs, rec)
	}
	if len(probs) > 0 {
		return nil, false, Errf(GuardSystemManaged, map[string]any{"table": tt.Name, "action": a.Name, "fields": probs},
			"action %s may not set the system-managed fields of %s: %s", a.Name, tt.Name, fieldList(probs))
	}
	newID, err := e.insertChecked(ctx, tx, tt, id, data)
	if err != nil {
		return nil, false, err
	}
	fw := firewallFor(tt, id)
	if fw.err != nil {
		return nil, false, nil
	}
	accs, get := e.afterConds(tt, id, &residual{})
	raw, pass, found, err := e.fetchConds(ctx, tx, tt, id, fw, newID, "", accs...)
	if err != nil || !found {
		return nil, false, err
	}
	row := e.present(tt, e.maskPlanFor(tt, id), id, raw)
	return &row, get && pass[1], nil
}

// Actions lists every action of table for id with whether it is available
// now and, if not, the refusal an attempt would get (Code), a sentence
// (Reason) and the rule that decides (Rule). With rowID, record actions are
// evaluated on that record (firewall, record condition, transition from its
// current state: available only if some target is allowed, or the fixed
// `to` is); without, standalone actions are evaluated and record actions are
// reported as needing a record. The listing is a read and is audited as
// "actions".
func (e *Engine) Actions(ctx context.Context, id Identity, table, rowID string) (out []ActionInfo, err error) {
	defer func() { e.auditRead(ctx, id, "actions", table, rowID, err) }()
	t, err := e.table(table, false)
	if err != nil {
		return nil, err
	}
	fw := firewallFor(t, id)
	mp := e.maskPlanFor(t, id)
	out = make([]ActionInfo, 0, len(t.Actions))
	for _, a := range t.Actions {
		info := ActionInfo{Name: a.Name, Type: a.Type, Description: a.Description, Inputs: a.Inputs}
		if err := e.actionInfo(ctx, &info, t, a, id, fw, mp, rowID); err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	return out, nil
}

func (e *Engine) actionInfo(ctx context.Context, info *ActionInfo, t *schema.Table, a *schema.Action, id Identity, fw firewall, mp maskPlan, rowID string) error {
	refuse := func(err error, rule string) {
		ee, _ := AsError(err)
		info.Code, info.Reason, info.Rule = ee.Code, ee.Message, rule
	}
	acc := e.actionAccess(t, a, id)
	if acc.Denied {
		info.Code, info.Rule = AccessRoleRequired, acc.DeniedBy
		info.Reason = fmt.Sprintf("%s is not admitted by %s", roleLabel(id), acc.DeniedBy)
		if a.Access != nil && len(a.Access.Roles) > 0 {
			info.Reason += " (roles: " + strings.Join(a.Access.Roles, ", ") + ")"
		}
		return nil
	}
	admitted := "admitted by " + strings.Join(acc.Rules, " / ")
	if a.Type == actionStandalone {
		info.Available, info.Reason, info.Rule = true, admitted, strings.Join(acc.Rules, " / ")
		return nil
	}
	if tr := a.Transition; tr != nil {
		info.Field = tr.Field
	}
	if rowID == "" {
		info.Code, info.Rule = ValidationFailed, a.Path+".type"
		info.Reason = "a record action: choose a record to run it on"
		return nil
	}
	if fw.err != nil {
		refuse(fw.err, strings.Join(fw.Rules, " / "))
		return nil
	}
	raw, pass, found, err := e.fetch(ctx, e.store.db, t, id, fw, acc, rowID)
	if err != nil {
		return err
	}
	if !found {
		refuse(notFound(t, rowID), strings.Join(fw.Rules, " / "))
		return nil
	}
	if !pass {
		refuse(conditionFailed(t, rowID, "action:"+a.Name, acc), strings.Join(acc.Rules, " / "))
		return nil
	}
	tr := a.Transition
	if tr == nil {
		info.Available, info.Reason, info.Rule = true, admitted, strings.Join(acc.Rules, " / ")
		return nil
	}
	idx := columnIndex(t, tr.Field)
	row := e.present(t, mp, id, raw)
	cur := ValueString(fromSQL(t.Columns[idx], raw[idx]))
	allowed := tr.From[cur]
	info.Current = ValueString(row.Values[idx])
	rule := a.Path + ".transition.from"
	if row.Masked[idx] {
		// The allowed targets would reveal the masked state (as in
		// stateError): say only whether the action is available.
		switch {
		case (tr.To != "" && slices.Contains(allowed, tr.To)) || (tr.To == "" && len(allowed) > 0):
			info.Available, info.Rule = true, rule
			info.Reason = fmt.Sprintf("%s; %s is masked for this identity", admitted, tr.Field)
		default:
			info.Code, info.Rule = ActionNotAllowedForState, rule
			info.Reason = fmt.Sprintf("%s is masked for this identity: %s allows no such transition from its current state", tr.Field, rule)
		}
		return nil
	}
	info.Allowed = append([]string(nil), allowed...)
	switch {
	case tr.To != "" && slices.Contains(allowed, tr.To):
		info.Available, info.Rule = true, rule
		info.Reason = fmt.Sprintf("%s; %s may move from %q to %q", admitted, tr.Field, info.Current, tr.To)
	case tr.To == "" && len(allowed) > 0:
		info.Available, info.Rule = true, rule
		info.Reason = fmt.Sprintf("%s; %s may move from %q to %s", admitted, tr.Field, info.Current, strings.Join(allowed, ", "))
	case tr.To != "":
		info.Code, info.Rule = ActionNotAllowedForState, rule
		info.Reason = fmt.Sprintf("%s is %q: %s does not allow moving it to %q", tr.Field, info.Current, rule, tr.To)
	default:
		info.Code, info.Rule = ActionNotAllowedForState, rule
		info.Reason = fmt.Sprintf("%s is %q: %s allows no transition from it", tr.Field, info.Current, rule)
	}
	return nil
}

// roleLabel names the caller's role for a reason sentence.
func roleLabel(id Identity) string {
	switch {
	case id.Anonymous:
		return "an anonymous caller"
	case id.Role == "":
		return "an identity without a role"
	}
	return "role " + id.Role
}
