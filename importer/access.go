package importer

import (
	"strings"
)

// condOps maps Quickback's record-condition operators to qb's.
var condOps = map[string]string{
	"equals": "equals", "eq": "equals",
	"notEquals": "notEquals", "ne": "notEquals",
	"in": "in", "notIn": "notIn",
	"isNull": "isNull",
	"lt":     "lt", "lessThan": "lt",
	"lte": "lte", "lessThanOrEqual": "lte",
	"gt": "gt", "greaterThan": "gt",
	"gte": "gte", "greaterThanOrEqual": "gte",
}

// ctxRefs maps Quickback's $ctx fields to qb's.
var ctxRefs = map[string]string{
	"userId": "userId", "activeOrgId": "orgId", "orgId": "orgId", "organizationId": "orgId",
	"role": "role", "userRole": "userRole", "email": "email",
}

// access converts an access rule. ok is false when the rule cannot be
// imported: the operation or action is then left out, which qb denies to
// everyone (never more than Quickback would allow).
func (im *importer) access(t *table, v any, subject string, where loc) (omap, bool) {
	if isFn(v) {
		im.add(Skipped, where, subject, "function-form access is code; not imported, so qb denies it to everyone")
		return nil, false
	}
	o, _ := v.(*obj)
	if o == nil {
		im.add(Skipped, where, subject, "not an access rule; denied to everyone")
		return nil, false
	}
	rule, ok := im.rule(t, o, subject, where, true)
	if !ok {
		return nil, false
	}
	return rule, true
}

func (im *importer) rule(t *table, o *obj, subject string, where loc, top bool) (omap, bool) {
	var leaf omap
	var combos omap
	for _, k := range o.keys {
		v := o.vals[k]
		switch k {
		case "roles":
			roles, ok := asStrings(v)
			if !ok {
				im.add(Skipped, where, subject, "roles is not a list of strings; denied to everyone")
				return nil, false
			}
			kept := im.knownRoles(roles, subject, where)
			if len(kept) == 0 {
				im.add(Skipped, where, subject, "no role of the hierarchy is listed; denied to everyone")
				return nil, false
			}
			leaf = append(leaf, kv{"roles", kept})
		case "userRole", "userRoles":
			roles, ok := asStrings(v)
			if !ok || len(roles) == 0 {
				im.add(Skipped, where, subject, "userRole is not a list of strings; denied to everyone")
				return nil, false
			}
			leaf = append(leaf, kv{"userRole", roles})
		case "record":
			rec, ok := im.recordConds(t, v, subject, where)
			if !ok {
				return nil, false
			}
			leaf = append(leaf, kv{"record", rec})
		case "or", "and":
			list, _ := v.([]any)
			var out []any
			for _, e := range list {
				eo, _ := e.(*obj)
				if eo == nil {
					if isFn(e) {
						im.add(Skipped, where, subject, "a function-form rule inside %s is code; not imported", k)
					}
					if k == "and" {
						return nil, false
					}
					continue
				}
				r, ok := im.rule(t, eo, subject, where, false)
				if !ok {
					if k == "and" {
						return nil, false
					}
					continue // an or branch left out only narrows the rule
				}
				out = append(out, r)
			}
			if len(out) == 0 {
				im.add(Skipped, where, subject, "no branch of %s could be imported; denied to everyone", k)
				return nil, false
			}
			if len(out) == 1 {
				combos = append(combos, kv{"_one", out[0]})
			} else {
				combos = append(combos, kv{k, out})
			}
		default:
			im.add(Skipped, where, subject, "access key %q is not modelled; denied to everyone", k)
			return nil, false
		}
	}
	admits := false
	for _, e := range leaf {
		if e.k == "roles" || e.k == "userRole" {
			admits = true
		}
	}
	if !admits && len(leaf) > 0 {
		lowest := im.roles[0] + "+"
		leaf = append(omap{{"roles", []string{lowest}}}, leaf...)
		im.add(Approximated, where, subject, "a rule with only a record condition admits every member in Quickback; imported as roles = [%q]", lowest)
	}
	parts := []any{}
	if len(leaf) > 0 {
		parts = append(parts, leaf)
	}
	for _, c := range combos {
		if c.k == "_one" {
			parts = append(parts, c.v)
		} else {
			parts = append(parts, omap{c})
		}
	}
	switch len(parts) {
	case 0:
		im.add(Skipped, where, subject, "an empty rule; denied to everyone")
		return nil, false
	case 1:
		return parts[0].(omap), true
	}
	return omap{{"and", parts}}, true
}

// recordConds converts record = { col: { op: value } }.
func (im *importer) recordConds(t *table, v any, subject string, where loc) (omap, bool) {
	rec, _ := v.(*obj)
	if rec == nil {
		im.add(Skipped, where, subject, "record is not an object; denied to everyone")
		return nil, false
	}
	var out omap
	for _, col := range rec.keys {
		if !t.hasColumn(col) {
			im.add(Skipped, where, subject, "record condition on unknown column %q; denied to everyone", col)
			return nil, false
		}
		cv := rec.vals[col]
		co, isObj := cv.(*obj)
		if !isObj {
			// { col: value } is equality.
			val, ok := im.condValue(cv, subject, where)
			if !ok {
				return nil, false
			}
			out = append(out, kv{col, omap{{"equals", val}}})
			continue
		}
		var ops omap
		for _, op := range co.keys {
			q, ok := condOps[op]
			if !ok {
				im.add(Skipped, where, subject, "record operator %q is not modelled; denied to everyone", op)
				return nil, false
			}
			val, ok := im.condValue(co.vals[op], subject, where)
			if !ok {
				return nil, false
			}
			if q == "isNull" {
				if _, isBool := val.(bool); !isBool {
					im.add(Skipped, where, subject, "isNull needs true or false; denied to everyone")
					return nil, false
				}
			}
			ops = append(ops, kv{q, val})
		}
		out = append(out, kv{col, ops})
	}
	return out, true
}

// condValue converts a condition value: literals, lists of literals, and
// "$ctx.x" references.
func (im *importer) condValue(v any, subject string, where loc) (any, bool) {
	switch x := v.(type) {
	case string:
		if strings.HasPrefix(x, "$ctx.") || strings.HasPrefix(x, "ctx.") {
			f := strings.TrimPrefix(strings.TrimPrefix(x, "$"), "ctx.")
			if q, ok := ctxRefs[f]; ok {
				return "$ctx." + q, true
			}
			im.add(Skipped, where, subject, "context value %q is not available in qb; denied to everyone", x)
			return nil, false
		}
		if strings.HasPrefix(x, "$") {
			return "$" + x, true
		}
		return x, true
	case bool, float64:
		return x, true
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			ev, ok := im.condValue(e, subject, where)
			if !ok {
				return nil, false
			}
			out = append(out, ev)
		}
		return out, true
	}
	im.add(Skipped, where, subject, "a condition value that is not a literal or $ctx reference; denied to everyone")
	return nil, false
}
