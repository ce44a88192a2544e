package schema

import (
	"slices"
	"strings"
	"time"
)

var actionKeys = []string{"type", "description", "access", "input", "transition", "set", "insert"}

func (l *loader) actions(t *Table, v any, p *kpath) {
	m, ok := l.asTable(v, p)
	if !ok {
		return
	}
	for _, name := range l.keysOf(m, p) {
		ap := p.key(name)
		if !configName.MatchString(name) {
			l.errf(ap, "action name must be an identifier ([A-Za-z_][A-Za-z0-9_]*)")
		}
		am, ok := l.asTable(m[name], ap)
		if !ok {
			continue
		}
		l.known(am, ap, actionKeys...)
		a := &Action{Name: name, Path: ap.disp()}
		t.Actions = append(t.Actions, a)
		if x, ok := am["type"]; !ok {
			l.errf(ap, `missing "type" ("record" or "standalone")`)
		} else if s, ok := l.asString(x, ap.key("type")); ok {
			if s != "record" && s != "standalone" {
				l.errf(ap.key("type"), `must be "record" or "standalone", not %q`, s)
			} else {
				a.Type = s
			}
		}
		if x, ok := am["description"]; ok {
			a.Description, _ = l.asString(x, ap.key("description"))
		}
		if x, ok := am["access"]; ok {
			a.Access = l.accessRule(t, x, ap.key("access"))
		} else {
			l.errf(ap, `missing "access"`)
		}
		if x, ok := am["input"]; ok {
			l.inputs(a, x, ap.key("input"))
		}
		standalone := a.Type == "standalone"
		if x, ok := am["transition"]; ok {
			if standalone {
				l.errf(ap.key("transition"), "a standalone action has no record to transition")
			} else {
				a.Transition = l.transition(t, a, x, ap.key("transition"))
			}
		}
		if x, ok := am["set"]; ok {
			if standalone {
				l.errf(ap.key("set"), "a standalone action has no record to set; use insert")
			} else {
				a.Set = l.assigns(t, t, a, x, ap.key("set"), false)
			}
		}
		if x, ok := am["insert"]; ok {
			l.inserts(t, a, x, ap.key("insert"))
		}
		_, hasSet := am["set"]
		_, hasTr := am["transition"]
		_, hasIns := am["insert"]
		if !hasSet && !hasTr && !hasIns {
			l.errf(ap, "the action does nothing; give set, transition or insert")
		}
	}
}

func (l *loader) inputs(a *Action, v any, p *kpath) {
	m, ok := l.asTable(v, p)
	if !ok {
		return
	}
	for _, name := range l.keysOf(m, p) {
		ip := p.key(name)
		if !configName.MatchString(name) {
			l.errf(ip, "input name must be an identifier ([A-Za-z_][A-Za-z0-9_]*)")
		}
		in := &Input{Name: name}
		a.Inputs = append(a.Inputs, in)
		im, ok := l.asTable(m[name], ip)
		if !ok {
			continue
		}
		l.known(im, ip, inputKeys...)
		f := l.field(im, ip, true)
		in.Type, in.Required, in.Default, in.HasDefault = f.typ, f.required, f.def, f.hasDef
		in.Min, in.Max, in.MaxLength, in.Values = f.min, f.max, f.maxLength, f.values
	}
}

func (l *loader) transition(t *Table, a *Action, v any, p *kpath) *Transition {
	m, ok := l.asTable(v, p)
	if !ok {
		return nil
	}
	l.known(m, p, "field", "via", "to", "from")
	tr := &Transition{}
	var col *Column
	if x, ok := m["field"]; !ok {
		l.errf(p, `missing "field"`)
	} else if s, ok := l.asString(x, p.key("field")); ok {
		tr.Field = s
		fp := p.key("field")
		if col = l.colRef(t, s, fp); col != nil {
			switch {
			case col.Type != TypeEnum && col.Type != TypeText:
				l.errf(fp, "a transition field must be an enum or text column, not %s", col.Type)
				col = nil
			case t.IsSystemManaged(s):
				l.errf(fp, "column %q is system-managed; no action may set it", s)
				col = nil
			default:
				l.mayActionSet(t, a, s, fp)
			}
		}
	}
	var states []string // nil: any state is acceptable
	if col != nil && col.Type == TypeEnum {
		states = col.Values
	}
	state := func(s string, sp *kpath) {
		if states != nil && !slices.Contains(states, s) {
			l.errf(sp, "%q is not a value of %s %s", s, tr.Field, quoteList(states))
		}
	}
	via, hasVia := m["via"]
	to, hasTo := m["to"]
	switch {
	case hasVia && hasTo:
		l.errf(p.key("to"), `give either "via" or "to", not both`)
	case !hasVia && !hasTo:
		l.errf(p, `missing "via" (an input naming the target) or "to" (a fixed target)`)
	case hasVia:
		vp := p.key("via")
		if s, ok := l.asString(via, vp); ok {
			tr.Via = s
			if in := a.Input(s); in == nil {
				l.errf(vp, "unknown input %q%s", s, hint(s, inputNames(a)))
			} else if in.Type != "" && in.Type != TypeText && in.Type != TypeEnum {
				l.errf(vp, "the input %q must be of type enum or text, not %s", s, in.Type)
			}
		}
	case hasTo:
		tp := p.key("to")
		if s, ok := l.asString(to, tp); ok {
			tr.To = s
			state(s, tp)
		}
	}
	fx, ok := m["from"]
	if !ok {
		l.errf(p, `missing "from" (current state = [allowed targets])`)
		return tr
	}
	fp := p.key("from")
	fm, ok := l.asTable(fx, fp)
	if !ok {
		return tr
	}
	if len(fm) == 0 {
		l.errf(fp, "must list at least one state")
	}
	tr.From = map[string][]string{}
	for _, s := range l.keysOf(fm, fp) {
		sp := fp.key(s)
		state(s, sp)
		targets, ok := l.asStrings(fm[s], sp)
		if !ok {
			continue
		}
		if len(targets) == 0 {
			l.errf(sp, "must list at least one target (leave a terminal state out of from)")
		}
		for i, x := range targets {
			state(x, sp.idx(i))
		}
		tr.From[s] = targets
		tr.FromOrder = append(tr.FromOrder, s)
	}
	return tr
}

func inputNames(a *Action) []string {
	out := make([]string, len(a.Inputs))
	for i, in := range a.Inputs {
		out[i] = in.Name
	}
	return out
}

// mayActionSet reports a protected-map field that does not name action a.
func (l *loader) mayActionSet(t *Table, a *Action, col string, p *kpath) {
	if names, ok := t.Guards.Protected[col]; ok && names != nil && !slices.Contains(names, a.Name) && !l.brokenProt[t.Name+"\x00"+col] {
		l.errf(p, "guards.protected lets only %s set %q", quoteList(names), col)
	}
}

// assigns reads `set` or insert `values`: column = literal or reference.
// target owns the columns; t is the action's table (for "$record.x").
func (l *loader) assigns(t, target *Table, a *Action, v any, p *kpath, insert bool) []Assign {
	m, ok := l.asTable(v, p)
	if !ok {
		return nil
	}
	if len(m) == 0 && !insert {
		l.errf(p, "must set at least one column")
	}
	var out []Assign
	for _, name := range l.keysOf(m, p) {
		cp := p.key(name)
		col := l.colRef(target, name, cp)
		switch {
		case col == nil:
		case target.IsSystemManaged(name):
			l.errf(cp, "column %q is system-managed; no action may set it", name)
			col = nil
		case !insert && col.Type == TypeID:
			l.errf(cp, "the id of a record cannot be changed")
			col = nil
		case !insert:
			l.mayActionSet(target, a, name, cp)
		}
		val, ok := l.assignValue(t, a, col, m[name], cp)
		if ok {
			out = append(out, Assign{Column: name, Value: val})
		}
	}
	return out
}

// assignValue reads one set/insert value: "$input.x", "$record.x",
// "$ctx.x", "$now", "$$literal" or a literal checked against col (when
// known).
func (l *loader) assignValue(t *Table, a *Action, col *Column, v any, p *kpath) (any, bool) {
	s, isStr := v.(string)
	if isStr && strings.HasPrefix(s, "$") && !strings.HasPrefix(s, "$$") {
		kind, field, _ := strings.Cut(s[1:], ".")
		switch {
		case s == "$now":
			if col != nil && col.Type != TypeTimestamp && col.Type != TypeText {
				l.errf(p, `"$now" needs a timestamp or text column, not %s`, col.Type)
			}
			return Ref{Kind: "now"}, true
		case kind == "input":
			if in := a.Input(field); in == nil {
				l.errf(p, "unknown input %q%s", field, hint(field, inputNames(a)))
				return nil, false
			}
		case kind == "record":
			if a.Type == "standalone" {
				l.errf(p, `a standalone action has no record; "$record.%s" is not available`, field)
				return nil, false
			}
			if l.colRef(t, field, p) == nil {
				return nil, false
			}
		case kind == "ctx":
			if !slices.Contains(ctxFields, field) {
				l.errf(p, "unknown context field %q%s", field, hintOrList(field, ctxFields))
				return nil, false
			}
		default:
			l.errf(p, `unknown reference %q (use "$input.x", "$record.x", "$ctx.x", "$now", or "$$" for a literal "$")`, s)
			return nil, false
		}
		return Ref{Kind: kind, Field: field}, true
	}
	if isStr && strings.HasPrefix(s, "$$") {
		v = s[1:]
	}
	switch v.(type) {
	case string, int64, float64, bool, time.Time:
	default:
		l.errf(p, "must be a literal (string, number, boolean) or a reference")
		return nil, false
	}
	if col == nil || col.Type == "" {
		if tm, ok := v.(time.Time); ok {
			v = tm.UTC().Format("2006-01-02T15:04:05.000Z")
		}
		return v, true
	}
	f := &fieldSpec{typ: col.Type, min: col.Min, max: col.Max, maxLength: col.MaxLength, values: col.Values}
	return l.literal(f, v, p, false)
}

func (l *loader) inserts(t *Table, a *Action, v any, p *kpath) {
	list, ok := l.asList(v, p, "tables ([[...insert]] or [{ table, values }])")
	if !ok {
		return
	}
	if len(list) == 0 {
		l.errf(p, "must list at least one row")
	}
	for i, e := range list {
		ep := p.idx(i)
		m, ok := l.asTable(e, ep)
		if !ok {
			continue
		}
		l.known(m, ep, "table", "values")
		ins := Insert{}
		var target *Table
		if x, ok := m["table"]; !ok {
			l.errf(ep, `missing "table"`)
		} else if s, ok := l.asString(x, ep.key("table")); ok {
			ins.Table = s
			if target = l.tables[s]; target == nil {
				l.errf(ep.key("table"), "unknown table %q%s", s, hint(s, l.tableNames()))
			}
		}
		x, hasValues := m["values"]
		if !hasValues {
			l.errf(ep, `missing "values"`)
		}
		if target == nil {
			a.Inserts = append(a.Inserts, ins)
			continue
		}
		if hasValues {
			ins.Values = l.assigns(t, target, a, x, ep.key("values"), true)
		}
		if !l.brokenCols[target] {
			if vm, ok := x.(map[string]any); ok || !hasValues {
				for _, c := range target.Columns {
					if _, given := vm[c.Name]; given || !c.Required || c.HasDefault || c.Type == TypeID || target.IsSystemManaged(c.Name) {
						continue
					}
					l.errf(ep, "the row misses the required column %q of %s", c.Name, target.Name)
				}
			}
		}
		a.Inserts = append(a.Inserts, ins)
	}
}
