package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"quickback.dev/qb/engine/access"
	"quickback.dev/qb/schema"
)

// OpExplanation is the decision for one operation.
type OpExplanation struct {
	Operation string        `json:"operation"`
	Decision  access.Effect `json:"decision"`
	// Rule is the config path that decided it.
	Rule string `json:"rule"`
	// Reason is a sentence an operator can read.
	Reason string `json:"reason"`
	// OnRow is the decision for the explained row ("" without a row).
	OnRow string `json:"onRow,omitempty"`
}

// FieldAccess is whether a field may be written on create or update.
type FieldAccess struct {
	Writable bool     `json:"writable"`
	Reason   string   `json:"reason"`
	Rule     string   `json:"rule"`
	Actions  []string `json:"actions,omitempty"`
}

// FieldExplanation is how one column reaches the caller and whether they may
// write it.
type FieldExplanation struct {
	Field      string            `json:"field"`
	Visibility access.Visibility `json:"visibility"`
	MaskType   string            `json:"maskType,omitempty"`
	// Rule is the masking rule (tables.T.masking.col), "" when raw by default.
	Rule   string      `json:"rule,omitempty"`
	Reason string      `json:"reason"`
	Create FieldAccess `json:"create"`
	Update FieldAccess `json:"update"`
	// Value and Masked describe the explained row's value.
	Value  any  `json:"value,omitempty"`
	Masked bool `json:"masked,omitempty"`
}

// Explanation is why a caller sees and may do what they do on a table.
type Explanation struct {
	Table      string             `json:"table"`
	Identity   Identity           `json:"identity"`
	Firewall   []string           `json:"firewall"`
	Operations []OpExplanation    `json:"operations"`
	Fields     []FieldExplanation `json:"fields"`
	Row        *Row               `json:"row,omitempty"`
	// RowError is why the row could not be read, when it could not.
	RowError string `json:"rowError,omitempty"`
}

// describeAccess renders an access rule as text.
func describeAccess(a *schema.Access) string {
	if a == nil {
		return "not declared (denied by default)"
	}
	sub := func(list []*schema.Access, sep string) string {
		var parts []string
		for _, s := range list {
			parts = append(parts, "("+describeAccess(s)+")")
		}
		return strings.Join(parts, sep)
	}
	if len(a.Or) > 0 {
		return sub(a.Or, " or ")
	}
	if len(a.And) > 0 {
		return sub(a.And, " and ")
	}
	var parts []string
	roles := append([]string{}, a.Roles...)
	if a.Public {
		roles = append(roles, "PUBLIC")
	}
	if a.Roles != nil || a.Public {
		parts = append(parts, "role in ["+strings.Join(roles, ", ")+"]")
	}
	if a.UserRoles != nil {
		parts = append(parts, "userRole in ["+strings.Join(a.UserRoles, ", ")+"]")
	}
	for _, c := range a.Record {
		parts = append(parts, describeCondition(c))
	}
	if len(parts) == 0 {
		return "everyone"
	}
	return strings.Join(parts, " and ")
}

// describeCondition renders one record condition as text.
func describeCondition(c schema.Condition) string {
	val := func(v any) string {
		if r, ok := v.(schema.Ref); ok {
			return "$" + r.Kind + "." + r.Field
		}
		if l, ok := v.([]any); ok {
			var s []string
			for _, x := range l {
				s = append(s, fmt.Sprint(x))
			}
			return "[" + strings.Join(s, ", ") + "]"
		}
		return fmt.Sprintf("%v", v)
	}
	return fmt.Sprintf("%s %s %s", c.Column, c.Op, val(c.Value))
}

// Explain tells, for id on table (and optionally one row), the decision of
// every operation and field and the rule behind each.
func (e *Engine) Explain(ctx context.Context, id Identity, table, rowID string) (ex *Explanation, err error) {
	defer func() { e.auditRead(ctx, id, "explain", table, rowID, err) }()
	t, err := e.table(table, false)
	if err != nil {
		return nil, err
	}
	ex = &Explanation{Table: t.Name, Identity: id}
	fw := firewallFor(t, id)
	ex.Firewall = describeFirewall(t, id, fw)

	// The row is shown only as Get would return it: a caller who may not get
	// it sees the refusal Get would give, never its values (nor, when the
	// role fails or errors hide, whether it exists).
	var raw []any
	if rowID != "" && !t.Internal {
		getAcc := e.crudAccess(t, schema.OpGet, id)
		switch {
		case getAcc.Denied:
			ex.RowError = FormatError(roleError(t, "get", getAcc))
		case fw.err != nil:
			ex.RowError = FormatError(fw.err)
		default:
			r, pass, found, ferr := e.fetch(ctx, e.store.db, t, id, fw, getAcc, rowID)
			switch {
			case ferr != nil:
				return nil, ferr
			case !found:
				ex.RowError = FormatError(notFound(t, rowID))
			case !pass:
				ex.RowError = FormatError(conditionFailed(t, rowID, "get", getAcc))
				if !t.Hidden() {
					raw = r // its existence is no secret: explain the operations on it
				}
			default:
				raw = r
				row := e.present(t, e.maskPlanFor(t, id), id, raw)
				ex.Row = &row
			}
		}
	}
	for _, op := range schema.Ops {
		ex.Operations = append(ex.Operations, e.explainOp(ctx, t, op, id, fw, raw, rowID))
	}
	createAllowed := ex.Operations[2].Decision != access.Denied
	updateAllowed := ex.Operations[3].Decision != access.Denied
	mp := e.maskPlanFor(t, id)
	for i, c := range t.Columns {
		f := FieldExplanation{Field: c.Name, Visibility: access.VisibilityRaw, Reason: "no masking rule"}
		if m := t.Masking[c.Name]; m != nil {
			f.MaskType, f.Rule = m.Type, m.Path
			switch mp.modes[i] {
			case showRaw:
				f.Reason = fmt.Sprintf("role %s is in show.roles of %s", id.Role, m.Path)
			case showMasked:
				f.Visibility = access.VisibilityMasked
				f.Reason = fmt.Sprintf("masked as %s by %s (shown to %s)", m.Type, m.Path, showList(m))
			case showIfOwner:
				f.Visibility = access.VisibilityMaskedUnlessOwner
				f.Reason = fmt.Sprintf("masked as %s by %s except on rows this user owns", m.Type, m.Path)
			}
		}
		f.Create = fieldAccess(t, c, true, createAllowed)
		f.Update = fieldAccess(t, c, false, updateAllowed)
		if ex.Row != nil {
			f.Value, f.Masked = ex.Row.Values[i], ex.Row.Masked[i]
		}
		ex.Fields = append(ex.Fields, f)
	}
	return ex, nil
}

func showList(m *schema.Mask) string {
	s := strings.Join(m.ShowRoles, ", ")
	if m.ShowOwner {
		if s != "" {
			s += " and "
		}
		s += "the row's owner"
	}
	if s == "" {
		s = "nobody"
	}
	return s
}

func describeFirewall(t *schema.Table, id Identity, fw firewall) []string {
	var out []string
	if o := t.Firewall.Organization; o != nil {
		if id.OrgID == "" {
			out = append(out, fmt.Sprintf("tables.%s.firewall.organization: the identity has no organization: every operation is refused (ORG_REQUIRED)", t.Name))
		} else {
			out = append(out, fmt.Sprintf("tables.%s.firewall.organization: only rows whose %s is %s", t.Name, o.Column, id.OrgID))
		}
	}
	if o := t.Firewall.Owner; o != nil {
		path := fmt.Sprintf("tables.%s.firewall.owner", t.Name)
		switch {
		case !fw.ownerScoped:
			out = append(out, fmt.Sprintf("%s (%s): role %s bypasses the owner scope: every row of the organization", path, o.Mode, id.Role))
		case id.UserID == "" || id.Anonymous:
			out = append(out, fmt.Sprintf("%s (%s): the identity has no user: no rows", path, o.Mode))
		default:
			out = append(out, fmt.Sprintf("%s (%s): only rows whose %s is %s", path, o.Mode, o.Column, id.UserID))
		}
	}
	out = append(out, "soft-deleted rows (deletedAt set) are outside the firewall")
	if len(out) == 1 {
		out = append([]string{fmt.Sprintf("tables.%s.firewall: none declared: every row of the table", t.Name)}, out...)
	}
	return out
}

func (e *Engine) explainOp(ctx context.Context, t *schema.Table, op schema.Op, id Identity, fw firewall, raw []any, rowID string) OpExplanation {
	path := fmt.Sprintf("tables.%s.crud.%s.access", t.Name, op)
	x := OpExplanation{Operation: string(op), Rule: path}
	if t.Internal {
		x.Decision, x.Rule = access.Denied, fmt.Sprintf("tables.%s.internal", t.Name)
		x.Reason = "internal table: no CRUD for anyone; only actions write to it"
		return x
	}
	var rule *schema.Access
	if o := t.CRUD[op]; o != nil {
		rule = o.Access
	}
	acc := e.crudAccess(t, op, id)
	switch {
	case acc.Denied:
		x.Decision = access.Denied
		if rule == nil {
			x.Reason = "not declared under crud: denied by default"
		} else {
			x.Reason = "requires " + describeAccess(rule)
		}
	case fw.err != nil:
		x.Decision = access.Denied
		x.Reason = "the identity has no organization (ORG_REQUIRED)"
	case acc.Cond.sql != "" || fw.ownerScoped:
		x.Decision = access.Conditional
		var why []string
		if fw.ownerScoped {
			why = append(why, fmt.Sprintf("own rows only (tables.%s.firewall.owner)", t.Name))
		}
		if acc.Cond.sql != "" {
			why = append(why, "rows matching "+acc.Text)
			if len(acc.Rules) > 0 {
				x.Rule = strings.Join(acc.Rules, " / ")
			}
		}
		x.Reason = strings.Join(why, "; ")
	default:
		x.Decision = access.Allowed
		x.Reason = "admitted by " + describeAccess(rule)
		if len(acc.Rules) > 0 {
			x.Rule = acc.Rules[0]
		}
	}
	if raw != nil && op != schema.OpCreate && op != schema.OpList {
		switch {
		case x.Decision == access.Denied:
			x.OnRow = string(access.Denied)
		case acc.Cond.sql == "":
			x.OnRow = string(access.Allowed)
		default:
			_, pass, found, err := e.fetch(ctx, e.store.db, t, id, fw, acc, rowID)
			if err == nil && found && pass {
				x.OnRow = string(access.Allowed)
			} else {
				x.OnRow = string(access.Denied) + ": the record condition fails on this row"
			}
		}
	}
	return x
}

func fieldAccess(t *schema.Table, c *schema.Column, create, opAllowed bool) FieldAccess {
	op := "update"
	if create {
		op = "create"
	}
	code := guardFor(t, c.Name, create)
	g := fmt.Sprintf("tables.%s.guards", t.Name)
	fa := FieldAccess{}
	switch code {
	case GuardSystemManaged:
		fa.Rule = "system-managed"
		switch {
		case c.System:
			fa.Reason = "system-managed audit column: set by the engine"
		case t.Firewall.Organization != nil && t.Firewall.Organization.Column == c.Name:
			fa.Rule = fmt.Sprintf("tables.%s.firewall.organization", t.Name)
			fa.Reason = "system-managed: set from the identity's organization"
		default:
			fa.Rule = fmt.Sprintf("tables.%s.firewall.owner", t.Name)
			fa.Reason = "system-managed: set from the identity's user"
		}
	case GuardFieldImmutable:
		fa.Rule = g + ".immutable"
		fa.Reason = "immutable: set on create only"
		if c.Type == schema.TypeID {
			fa.Rule, fa.Reason = "primary key", "the primary key never changes"
		}
	case GuardFieldProtected:
		fa.Rule = g + ".protected." + c.Name
		fa.Actions = protectedBy(t, c.Name)
		fa.Reason = "protected: only actions " + strings.Join(fa.Actions, ", ") + " may set it"
	case GuardFieldNotCreateable:
		fa.Rule = g + ".createable"
		fa.Reason = "not in the createable list"
	case GuardFieldNotUpdatable:
		fa.Rule = g + ".updatable"
		fa.Reason = "not in the updatable list"
	default:
		fa.Writable = true
		switch {
		case t.Guards.Disabled:
			fa.Rule, fa.Reason = g, "guards = false: every non-system column is writable"
		case create && slices.Contains(t.Guards.Immutable, c.Name):
			fa.Rule, fa.Reason = g+".immutable", "immutable: settable on create"
		case create:
			fa.Rule, fa.Reason = g+".createable", "in the createable list"
		default:
			fa.Rule, fa.Reason = g+".updatable", "in the updatable list"
		}
	}
	if !opAllowed {
		// The operation itself is refused: that decides every field, and
		// the field's own guard, if any, is kept as a second reason.
		reason := fmt.Sprintf("%s is denied to this identity", op)
		if !fa.Writable {
			reason += " (and: " + fa.Reason + ")"
		}
		fa.Writable = false
		fa.Reason = reason
		fa.Rule = fmt.Sprintf("tables.%s.crud.%s.access", t.Name, op)
	}
	return fa
}
