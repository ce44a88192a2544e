package engine

import (
	"fmt"
	"slices"
	"strings"

	"quickback.dev/qb/schema"
)

// ctxFields are the context fields a rule may reference, in bit order.
var ctxFields = []string{"userId", "orgId", "role", "userRole", "email"}

// policyKey is everything a compiled decision depends on besides the context
// values themselves: rules are compiled once per distinct key and reused.
type policyKey struct {
	table, op string
	role      string
	userRole  string
	anonymous bool
	present   uint8 // bit i set when ctxFields[i] is non-empty
}

func keyFor(t *schema.Table, op string, id Identity) policyKey {
	k := policyKey{table: t.Name, op: op, role: id.Role, userRole: id.UserRole, anonymous: id.Anonymous}
	for i, f := range ctxFields {
		if _, ok := id.CtxValue(f); ok {
			k.present |= 1 << i
		}
	}
	return k
}

// argRef is a bound parameter: a literal, or a context field read per call.
type argRef struct {
	literal any
	ctx     string
}

// predicate is a SQL boolean expression with its bound parameters.
type predicate struct {
	sql  string
	args []argRef
}

// appendBound appends p's arguments for id to args.
func (p predicate) appendBound(args []any, id Identity) []any {
	for _, a := range p.args {
		if a.ctx != "" {
			v, _ := id.CtxValue(a.ctx)
			args = append(args, v)
		} else {
			args = append(args, a.literal)
		}
	}
	return args
}

func (p predicate) bind(id Identity) []any {
	return p.appendBound(make([]any, 0, len(p.args)), id)
}

// nodeKind classifies a partially evaluated access rule.
type nodeKind int

const (
	nodeTrue      nodeKind = iota // passes for every visible row
	nodeRoleFalse                 // the caller's role/userRole fails
	nodeCondFalse                 // roles pass, but a record condition can never hold
	nodeExpr                      // passes where the predicate holds
)

type node struct {
	kind nodeKind
	pred predicate
	// text is the remaining record condition written out (nodeExpr only).
	text string
	// rules are the paths of the rules whose role test the caller passes.
	rules []string
}

// residual is an access rule compiled for one policy key: whether the caller
// may attempt the operation at all, and the record predicate that remains.
type residual struct {
	// Denied: the role/userRole test fails (ACCESS_ROLE_REQUIRED).
	Denied bool
	// Cond is the record predicate; "" means every visible row passes.
	Cond predicate
	// Text is Cond written out for people ("createdBy equals $ctx.userId").
	Text string
	// Rules that admitted the caller (for explanations).
	Rules []string
	// DeniedBy names the rule that refused (the operation's access path).
	DeniedBy string
}

func (e *Engine) access(t *schema.Table, op string, rule *schema.Access, path string, id Identity) *residual {
	k := keyFor(t, op, id)
	e.mu.Lock()
	r, ok := e.compiled[k]
	e.mu.Unlock()
	if ok {
		return r
	}
	r = compileAccess(t, rule, path, id)
	e.mu.Lock()
	e.compiled[k] = r
	e.mu.Unlock()
	return r
}

// crudAccess compiles crud.<op>.access for the caller.
func (e *Engine) crudAccess(t *schema.Table, op schema.Op, id Identity) *residual {
	return e.crudPlan(t, op, id).acc
}

// callerPlan is crud.<op> of a table compiled for one kind of caller (a
// policyKey): the access rule's residual, the firewall, the masking and
// the statement that reads one row under them. It holds no context value
// (each is bound per call: argRef), so every caller with the same key
// shares it; the key is everything the three depend on (TestCallerPlan…).
type callerPlan struct {
	acc  *residual
	fw   firewall
	mask maskPlan
	// fetch is fetchSQL(t, fw, "", acc): one row by id, then the record
	// condition's value.
	fetch string
}

// crudPlan returns the plan of crud.<op> on t for id, compiled on first
// use by a caller of its key. A plan whose firewall refuses the caller
// (ORG_REQUIRED) is not kept: its error is built per call.
func (e *Engine) crudPlan(t *schema.Table, op schema.Op, id Identity) *callerPlan {
	k := keyFor(t, string(op), id)
	e.plansMu.RLock()
	p, ok := e.plans[k]
	e.plansMu.RUnlock()
	if ok {
		return p
	}
	var rule *schema.Access
	if o := t.CRUD[op]; o != nil {
		rule = o.Access
	}
	p = &callerPlan{
		acc:  compileAccess(t, rule, fmt.Sprintf("tables.%s.crud.%s.access", t.Name, op), id),
		fw:   firewallFor(t, id),
		mask: e.maskPlanFor(t, id),
	}
	if p.fw.err != nil {
		return p
	}
	p.fetch = fetchSQL(t, p.fw, "", p.acc)
	e.plansMu.Lock()
	if e.plans == nil {
		e.plans = map[policyKey]*callerPlan{}
	}
	e.plans[k] = p
	e.plansMu.Unlock()
	return p
}

func compileAccess(t *schema.Table, rule *schema.Access, path string, id Identity) *residual {
	if rule == nil {
		return &residual{Denied: true, DeniedBy: path + " (not declared: denied by default)"}
	}
	if !rule.TestsRole() {
		// A config error (SPEC §3.2); one that slipped past the loader
		// must not admit callers on a record condition alone.
		return &residual{Denied: true, DeniedBy: path + " (tests no role: denied)"}
	}
	n := evalRule(t, rule, id)
	switch n.kind {
	case nodeRoleFalse:
		return &residual{Denied: true, DeniedBy: path}
	case nodeCondFalse:
		return &residual{Cond: predicate{sql: sqlFalse}, Rules: n.rules}
	case nodeExpr:
		return &residual{Cond: n.pred, Text: n.text, Rules: n.rules}
	}
	return &residual{Rules: n.rules}
}

// roleAdmits reports whether the caller passes the role tests of a leaf
// rule. A leaf with none (a record condition inside an "and" whose other
// member tests the role) leaves the decision to its siblings; compileAccess
// refuses a rule in which no role is tested at all.
func roleAdmits(a *schema.Access, id Identity) bool {
	if a.Roles == nil && !a.Public && a.UserRoles == nil {
		return true
	}
	if a.Roles != nil || a.Public {
		ok := a.Public || (!id.Anonymous && id.Role != "" && slices.Contains(a.Roles, id.Role))
		if !ok {
			return false
		}
	}
	if a.UserRoles != nil {
		if id.Anonymous || !slices.Contains(a.UserRoles, id.UserRole) {
			return false
		}
	}
	return true
}

func evalRule(t *schema.Table, a *schema.Access, id Identity) node {
	switch {
	case len(a.Or) > 0:
		var exprs []predicate
		var texts, rules []string
		kind := nodeRoleFalse
		for _, sub := range a.Or {
			n := evalRule(t, sub, id)
			switch n.kind {
			case nodeRoleFalse:
				continue
			case nodeTrue:
				kind = nodeTrue
			case nodeCondFalse:
				if kind == nodeRoleFalse {
					kind = nodeCondFalse
				}
			case nodeExpr:
				if kind != nodeTrue {
					kind = nodeExpr
				}
				exprs = append(exprs, n.pred)
				texts = append(texts, n.text)
			}
			rules = append(rules, n.rules...)
		}
		if kind == nodeExpr {
			return node{kind: nodeExpr, pred: join(exprs, " OR "), text: joinText(texts, " or "), rules: rules}
		}
		return node{kind: kind, rules: rules}
	case len(a.And) > 0:
		var exprs []predicate
		var texts, rules []string
		kind := nodeTrue
		for _, sub := range a.And {
			n := evalRule(t, sub, id)
			switch n.kind {
			case nodeRoleFalse:
				return node{kind: nodeRoleFalse}
			case nodeCondFalse:
				kind = nodeCondFalse
			case nodeExpr:
				exprs = append(exprs, n.pred)
				texts = append(texts, n.text)
			}
			rules = append(rules, n.rules...)
		}
		if kind == nodeCondFalse {
			return node{kind: nodeCondFalse, rules: rules}
		}
		if len(exprs) == 0 {
			return node{kind: nodeTrue, rules: rules}
		}
		return node{kind: nodeExpr, pred: join(exprs, " AND "), text: joinText(texts, " and "), rules: rules}
	}
	if !roleAdmits(a, id) {
		return node{kind: nodeRoleFalse}
	}
	rules := []string{a.Path}
	if len(a.Record) == 0 {
		return node{kind: nodeTrue, rules: rules}
	}
	var exprs []predicate
	var texts []string
	for _, c := range a.Record {
		p, ok := conditionSQL(t, c, id)
		if !ok {
			return node{kind: nodeCondFalse, rules: rules}
		}
		exprs = append(exprs, p)
		texts = append(texts, describeCondition(c))
	}
	return node{kind: nodeExpr, pred: join(exprs, " AND "), text: strings.Join(texts, " and "), rules: rules}
}

// joinText joins condition texts, parenthesising each when there are several.
func joinText(texts []string, sep string) string {
	if len(texts) == 1 {
		return texts[0]
	}
	parts := make([]string, len(texts))
	for i, s := range texts {
		parts[i] = "(" + s + ")"
	}
	return strings.Join(parts, sep)
}

func join(ps []predicate, sep string) predicate {
	if len(ps) == 1 {
		return ps[0]
	}
	var parts []string
	var args []argRef
	for _, p := range ps {
		parts = append(parts, "("+p.sql+")")
		args = append(args, p.args...)
	}
	return predicate{sql: strings.Join(parts, sep), args: args}
}

func valueArg(v any, id Identity) (argRef, bool) {
	if r, ok := v.(schema.Ref); ok {
		if r.Kind != "ctx" {
			return argRef{}, false
		}
		if _, ok := id.CtxValue(r.Field); !ok {
			return argRef{}, false
		}
		return argRef{ctx: r.Field}, true
	}
	if b, ok := v.(bool); ok {
		if b {
			return argRef{literal: int64(1)}, true
		}
		return argRef{literal: int64(0)}, true
	}
	return argRef{literal: v}, true
}

// storedLiteral is a condition's literal as column c stores it: a
// timestamp written in the config as ISO text compares with an epoch
// column as its integer (and with an ISO column in that column's form).
func storedLiteral(c *schema.Column, v any) any {
	if c.Type != schema.TypeTimestamp || v == nil {
		return v
	}
	if t, ok := timeOf(c, v); ok {
		return StoredTime(c, t)
	}
	return v
}

// conditionSQL compiles one record condition; ok is false when it can never
// hold (a "$ctx" value the caller lacks).
func conditionSQL(t *schema.Table, c schema.Condition, id Identity) (predicate, bool) {
	col := Q(t.Column(c.Column).SQLName)
	switch c.Op {
	case schema.CondIsNull:
		if b, _ := c.Value.(bool); b {
			return predicate{sql: col + " IS NULL"}, true
		}
		return predicate{sql: col + " IS NOT NULL"}, true
	case schema.CondIn, schema.CondNotIn:
		list, _ := c.Value.([]any)
		var args []argRef
		var marks []string
		for _, v := range list {
			a, ok := valueArg(v, id)
			a.literal = storedLiteral(t.Column(c.Column), a.literal)
			if !ok {
				if c.Op == schema.CondNotIn {
					// A missing context value fails the condition (SPEC
					// §3.2); dropping it would widen notIn.
					return predicate{}, false
				}
				continue // in: a missing context value matches nothing
			}
			args = append(args, a)
			marks = append(marks, "?")
		}
		if c.Op == schema.CondIn {
			if len(args) == 0 {
				return predicate{}, false
			}
			return predicate{sql: col + " IN (" + strings.Join(marks, ",") + ")", args: args}, true
		}
		if len(args) == 0 {
			return predicate{sql: sqlTrue}, true
		}
		return predicate{sql: "(" + col + " IS NULL OR " + col + " NOT IN (" + strings.Join(marks, ",") + "))", args: args}, true
	}
	a, ok := valueArg(c.Value, id)
	if !ok {
		return predicate{}, false
	}
	a.literal = storedLiteral(t.Column(c.Column), a.literal)
	op := map[schema.CondOp]string{schema.CondEquals: "=", schema.CondNotEquals: "IS DISTINCT FROM", schema.CondLt: "<", schema.CondLte: "<=", schema.CondGt: ">", schema.CondGte: ">="}[c.Op]
	return predicate{sql: col + " " + op + " ?", args: []argRef{a}}, true
}

// firewall is the row scope of a table for a caller.
type firewall struct {
	// pred is the scope of live rows; scope is the same without the
	// soft-delete test (used to find deleted rows for upsert conflicts).
	pred, scope predicate
	// Err is set when the context lacks what the firewall needs and the
	// operation must be refused outright (ORG_REQUIRED).
	err error
	// ownerScoped: the caller sees only their own rows.
	ownerScoped bool
	// live, org and owner are the parts of pred, apart (org and owner ""
	// when the table has no such scope or the caller bypasses it), for
	// counting the rows each lets through (Funnel).
	live       string
	org, owner predicate
	// Rules are the config paths that decided the scope.
	Rules []string
}

// firewallFor compiles the firewall of t for id. It always returns a
// predicate: a missing user denies (matches nothing) rather than dropping the
// owner condition.
func firewallFor(t *schema.Table, id Identity) firewall {
	fw := t.Firewall
	deleted := Q(t.Column("deletedAt").SQLName)
	var parts []string
	var args []argRef
	var rules []string
	parts = append(parts, deleted+" IS NULL")
	f := firewall{}
	if fw.Organization != nil {
		rules = append(rules, fmt.Sprintf("tables.%s.firewall.organization", t.Name))
		if id.OrgID == "" {
			f.err = Errf(OrgRequired, map[string]any{"table": t.Name}, "table %s is scoped to an organization and the identity has none", t.Name)
			parts = append(parts, sqlFalse)
		} else {
			parts = append(parts, Q(t.OrgColumn().SQLName)+" = ?")
			args = append(args, argRef{ctx: "orgId"})
			f.org = predicate{sql: parts[len(parts)-1], args: []argRef{{ctx: "orgId"}}}
		}
	}
	if o := fw.Owner; o != nil {
		rules = append(rules, fmt.Sprintf("tables.%s.firewall.owner", t.Name))
		bypass := o.Mode == schema.OwnerOptional && !id.Anonymous && slices.Contains(o.Bypass, id.Role)
		if !bypass {
			f.ownerScoped = true
			if id.UserID == "" || id.Anonymous {
				parts = append(parts, sqlFalse)
				f.owner = predicate{sql: sqlFalse}
			} else {
				parts = append(parts, Q(t.OwnerColumn().SQLName)+" = ?")
				args = append(args, argRef{ctx: "userId"})
				f.owner = predicate{sql: parts[len(parts)-1], args: []argRef{{ctx: "userId"}}}
			}
		}
	}
	f.live = parts[0]
	f.pred = predicate{sql: strings.Join(parts, " AND "), args: args}
	f.scope = predicate{sql: strings.Join(parts[1:], " AND "), args: args}
	if f.scope.sql == "" {
		f.scope.sql = sqlTrue
	}
	f.Rules = rules
	return f
}

// maskMode is how a column's values reach a caller.
type maskMode int

const (
	showRaw     maskMode = iota
	showMasked           // always masked
	showIfOwner          // raw on the caller's own rows, masked elsewhere
)

// maskPlan is the masking of every column of a table for one caller.
type maskPlan struct {
	modes    []maskMode // by column index
	types    []string   // the mask type of each masked column, by column index
	ownerIdx int        // index of the owner column for showIfOwner, or -1
}

func (e *Engine) maskPlanFor(t *schema.Table, id Identity) maskPlan {
	p := maskPlan{modes: make([]maskMode, len(t.Columns)), types: make([]string, len(t.Columns)), ownerIdx: -1}
	ownerCol := "createdBy"
	if t.Firewall.Owner != nil {
		ownerCol = t.Firewall.Owner.Column
	}
	for i, c := range t.Columns {
		if c.Name == ownerCol {
			p.ownerIdx = i
		}
	}
	for i, c := range t.Columns {
		m := t.Masking[c.Name]
		if m == nil {
			continue
		}
		p.types[i] = m.Type
		switch {
		case !id.Anonymous && id.Role != "" && slices.Contains(m.ShowRoles, id.Role):
			p.modes[i] = showRaw
		case m.ShowOwner && id.UserID != "" && !id.Anonymous:
			p.modes[i] = showIfOwner
		default:
			p.modes[i] = showMasked
		}
	}
	return p
}

// maskedForQuery reports whether a column is masked on any row for the
// caller: such a column may not be filtered, sorted or searched.
func (p maskPlan) maskedForQuery(i int) bool { return p.modes[i] != showRaw }
