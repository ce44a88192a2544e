package importer

import (
	"path"
	"path/filepath"
	"strings"
)

// actionDef is one defineActions(table, {...}) (or a tableless
// `{ actions }`) as recorded.
type actionDef struct {
	file    string
	where   loc
	table   any // the recorded table value, nil when tableless
	actions *obj
}

// action is one imported action.
type action struct {
	name       string // qb name (an identifier)
	orig       string // the project's name
	where      loc
	standalone bool
	def        omap // type, description, access, input.*, transition, set
	inputNames []string
	inputs     omap // name → inline table
	transition omap
	inserts    []insertOut
	// noEffects says why effects were not imported ("" when they were).
	noEffects string
	// dropped: the action cannot be expressed at all and is written as a
	// comment.
	dropped string
}

// tableFor resolves a recorded table value to an imported table.
func (im *importer) tableFor(v any) *table {
	o, _ := v.(*obj)
	if o == nil {
		return nil
	}
	switch o.str("__qb") {
	case "drizzle", "feature":
		return im.bySQL[o.str("name")]
	case "defineTable":
		return im.tableFor(o.val("table"))
	}
	return nil
}

// actionsOf converts every recorded defineActions.
func (im *importer) actionsOf() {
	for _, d := range im.actionDefs {
		t := im.tableFor(d.table)
		for _, name := range d.actions.keysOrNil() {
			where := d.where
			if l := im.keyLine(d.file, name, d.where.Line); l > 0 {
				where.Line = l
			}
			if t == nil {
				subject := "actions." + name
				if d.table == nil {
					im.add(Skipped, where, subject, "a tableless action: qb actions belong to a table")
				} else {
					im.add(Skipped, where, subject, "defineActions on something that is not a table of this project")
				}
				continue
			}
			cfg, _ := d.actions.vals[name].(*obj)
			if cfg == nil {
				im.add(Skipped, where, t.subject("actions", name), "not an action object")
				continue
			}
			if a := im.action(t, d, name, cfg, where); a != nil {
				t.actions = append(t.actions, a)
			}
		}
	}
	// A protected map may name only actions the table has.
	for _, t := range im.tables {
		p, ok := t.guards.get("protected")
		m, isMap := p.(omap)
		if !ok || !isMap {
			continue
		}
		var out omap
		for _, e := range m {
			var keep []string
			for _, n := range e.v.([]string) {
				if a := t.actionByOrig(n); a != nil && a.dropped == "" {
					keep = append(keep, a.name)
				} else {
					im.add(Approximated, t.where, t.subject("guards", "protected", e.k), "action %q is not imported; left out of the list", n)
				}
			}
			if len(keep) == 0 {
				im.add(Approximated, t.where, t.subject("guards", "protected", e.k), "no action that may set it was imported; the field stays out of createable and updatable, and no action may set it")
				continue
			}
			out = append(out, kv{e.k, keep})
		}
		if len(out) == 0 {
			t.guards = removeKey(t.guards, "protected")
			// keep the field out of client writes
			for _, e := range m {
				for _, k := range []string{"createable", "updatable"} {
					if l, ok := t.guards.get(k); ok {
						t.guards.set(k, without(l.([]string), e.k))
					}
				}
			}
		} else {
			t.guards.set("protected", out)
		}
	}
}

func removeKey(m omap, k string) omap {
	var out omap
	for _, e := range m {
		if e.k != k {
			out = append(out, e)
		}
	}
	return out
}

func without(list []string, s string) []string {
	out := []string{}
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}

func (t *table) actionByOrig(name string) *action {
	for _, a := range t.actions {
		if a.orig == name || a.name == name {
			return a
		}
	}
	return nil
}

// keyLine finds the line of `name:` at or after line from in a source file.
func (im *importer) keyLine(rel, name string, from int) int {
	src, err := im.sb.readSourceQuiet(filepath.Join(im.root, filepath.FromSlash(rel)))
	if err != nil {
		return 0
	}
	lines := strings.Split(src, "\n")
	for i := max(from-1, 0); i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		for _, q := range []string{name, `"` + name + `"`, `'` + name + `'`} {
			if strings.HasPrefix(l, q) && strings.HasPrefix(strings.TrimSpace(l[len(q):]), ":") {
				return i + 1
			}
		}
	}
	return 0
}

// action converts one action.
func (im *importer) action(t *table, d actionDef, orig string, cfg *obj, where loc) *action {
	name := orig
	if !identOK.MatchString(name) {
		name = camelIdent(orig)
		im.add(Approximated, where, t.subject("actions", name), "action %q renamed %q (qb action names are identifiers)", orig, name)
	}
	a := &action{name: name, orig: orig, where: where}
	sub := t.subject("actions", name)
	typ := "record"
	if cfg.str("type") == "standalone" || cfg.val("standalone") == true || cfg.has("path") {
		typ = "standalone"
		a.standalone = true
	}
	a.def = omap{{"type", typ}}
	if desc := cfg.str("description"); desc != "" {
		a.def = append(a.def, kv{"description", desc})
	}
	for _, k := range cfg.keys {
		switch k {
		case "type", "standalone", "description", "access", "guard", "input", "transition", "handler", "execute":
		case "path", "method", "responseType":
			im.add(Skipped, where, sub+"."+k, "HTTP routing is not modelled; the console runs actions by name")
		default:
			im.add(Skipped, where, sub+"."+k, "not modelled")
		}
	}
	acc := cfg.val("access")
	if acc == nil {
		acc = cfg.val("guard")
	}
	if acc == nil {
		a.dropped = "no access rule"
		im.add(Skipped, where, sub, "no access rule; the action is left out")
		return a
	}
	rule, ok := im.access(t, acc, sub+".access", where)
	if !ok {
		a.dropped = "its access rule could not be imported"
		im.add(Skipped, where, sub, "left out (written as a comment): %s", a.dropped)
		return a
	}
	a.def = append(a.def, kv{"access", rule})
	im.inputs(t, a, cfg.val("input"), sub, where)
	if tr := cfg.sub("transition"); tr != nil {
		if a.standalone {
			im.add(Skipped, where, sub+".transition", "a standalone action has no record to transition")
		} else {
			a.transition = im.transition(t, a, tr, sub+".transition", where)
		}
	}
	// Effects.
	var eff *effects
	switch {
	case cfg.has("handler"):
		hp, _ := cfg.val("handler").(string)
		eff = im.handlerFile(t, a, d.file, hp, where)
	case isFn(cfg.val("execute")):
		eff = im.inlineHandler(t, a, d.file, orig, where)
	default:
		eff = &effects{skip: "no handler or execute function", skipWhere: where}
	}
	im.report = append(im.report, eff.notes...)
	if eff.skip != "" {
		a.noEffects = eff.skip
		im.add(Skipped, eff.skipWhere, sub, "effects not imported: %s", eff.skip)
	} else {
		for f, v := range eff.inputDefaults {
			im.applyInputDefault(a, f, v, sub, where)
		}
		if len(eff.set) > 0 {
			a.def = append(a.def, kv{"set", eff.set})
		}
		a.inserts = eff.inserts
	}
	if len(eff.set) == 0 && len(a.inserts) == 0 && a.transition == nil {
		a.dropped = "it has no transition and no effect qb can express"
		if a.noEffects != "" {
			a.dropped += " (" + a.noEffects + ")"
		}
		im.add(Skipped, where, sub, "left out (written as a comment): %s", a.dropped)
		return a
	}
	status := Imported
	note := "action"
	if a.noEffects != "" {
		status = Approximated
		note = "imported without its handler's effects (only its transition)"
	}
	im.add(status, where, sub, "%s", note)
	return a
}

// applyInputDefault makes input.x ?? literal exact by giving the input
// that default.
func (im *importer) applyInputDefault(a *action, field string, v any, sub string, where loc) {
	for i, e := range a.inputs {
		if e.k != field {
			continue
		}
		in := e.v.(omap)
		if _, has := in.get("default"); has {
			im.add(Approximated, where, sub+".input."+field, "the handler's fallback differs from the input's default; the input's default is kept")
			return
		}
		in.set("required", false)
		in.set("default", v)
		a.inputs[i].v = in
	}
}

// inputs converts input: z.object({...}).
func (im *importer) inputs(t *table, a *action, v any, sub string, where loc) {
	if v == nil {
		return
	}
	root, calls := chainOf(v)
	if root != "z" || len(calls) == 0 || calls[0].m != "object" {
		im.add(Skipped, where, sub+".input", "not a z.object({...}); the action takes no input")
		return
	}
	shape, _ := calls[0].arg(0).(*obj)
	for _, c := range calls[1:] {
		if c.m != "strict" && c.m != "describe" {
			im.add(Skipped, where, sub+".input", ".%s() on the input object is not modelled", c.m)
		}
	}
	for _, name := range shape.keysOrNil() {
		isub := sub + ".input." + name
		if !identOK.MatchString(name) {
			im.add(Skipped, where, isub, "not an identifier")
			continue
		}
		in := im.zodField(shape.vals[name], isub, where)
		if in == nil {
			continue
		}
		a.inputs = append(a.inputs, kv{name, in})
		a.inputNames = append(a.inputNames, name)
	}
}

// zodField converts one zod schema to a qb input.
func (im *importer) zodField(v any, sub string, where loc) omap {
	root, calls := chainOf(v)
	if root != "z" || len(calls) == 0 {
		im.add(Skipped, where, sub, "not a zod schema")
		return nil
	}
	for len(calls) > 0 && !calls[0].called {
		calls = calls[1:] // z.coerce.number()
	}
	if len(calls) == 0 {
		im.add(Skipped, where, sub, "not a zod schema")
		return nil
	}
	first := calls[0]
	in := omap{}
	typ := ""
	switch first.m {
	case "string":
		typ = "text"
	case "number":
		typ = "real"
	case "bigint":
		typ = "integer"
	case "boolean":
		typ = "boolean"
	case "date":
		typ = "timestamp"
	case "enum":
		vals, ok := asStrings(first.arg(0))
		if !ok || len(vals) == 0 {
			im.add(Skipped, where, sub, "z.enum() without string values")
			return nil
		}
		typ = "enum"
		in.set("values", vals)
	case "literal":
		s, ok := first.arg(0).(string)
		if !ok {
			im.add(Skipped, where, sub, "z.literal() of a non-string")
			return nil
		}
		typ = "enum"
		in.set("values", []string{s})
	case "array", "object", "record", "union", "any", "unknown", "tuple", "discriminatedUnion":
		typ = "json"
		im.add(Approximated, where, sub, "z.%s() imported as json (its inner shape is not checked)", first.m)
	default:
		typ = "json"
		im.add(Approximated, where, sub, "z.%s() imported as json", first.m)
	}
	required := true
	for _, c := range calls[1:] {
		switch c.m {
		case "optional", "nullable", "nullish":
			required = false
		case "default":
			if d, ok := literal(c.arg(0)); ok {
				in.set("default", d)
				required = false
			}
		case "int":
			if typ == "real" {
				typ = "integer"
			}
		case "min", "max", "gte", "lte", "positive", "nonnegative":
			n, _ := asNumber(c.arg(0))
			switch {
			case typ == "text" && (c.m == "max" || c.m == "lte"):
				in.set("maxLength", n)
			case typ == "text":
				im.add(Approximated, where, sub, "a minimum length is not modelled for text inputs")
			case typ == "integer" || typ == "real":
				switch c.m {
				case "min", "gte":
					in.set("min", n)
				case "max", "lte":
					in.set("max", n)
				case "positive", "nonnegative":
					in.set("min", 0.0)
				}
			}
		case "datetime":
			if typ == "text" {
				typ = "timestamp"
			}
		case "describe", "trim":
		default:
			im.add(Approximated, where, sub, ".%s() is not checked by qb", c.m)
		}
	}
	out := omap{{"type", typ}}
	if vals, ok := in.get("values"); ok {
		out = append(out, kv{"values", vals})
	}
	if !required {
		out = append(out, kv{"required", false})
	}
	for _, k := range []string{"default", "min", "max", "maxLength"} {
		if v, ok := in.get(k); ok {
			out = append(out, kv{k, v})
		}
	}
	return out
}

// transition converts { field, via | to, fromTo }.
func (im *importer) transition(t *table, a *action, tr *obj, sub string, where loc) omap {
	field := tr.str("field")
	col := t.column(field)
	if col == nil || (col.typ != "enum" && col.typ != "text") {
		im.add(Skipped, where, sub, "the transition field is not an enum or text column")
		return nil
	}
	out := omap{{"field", field}}
	via, to := tr.str("via"), tr.str("to")
	switch {
	case via != "":
		if !contains(a.inputNames, via) {
			im.add(Skipped, where, sub, "via names an input the action does not declare")
			return nil
		}
		out = append(out, kv{"via", via})
	case to != "":
		out = append(out, kv{"to", to})
	default:
		im.add(Skipped, where, sub, "neither via nor to")
		return nil
	}
	from := tr.sub("fromTo")
	if from == nil {
		from = tr.sub("from")
	}
	var fm omap
	for _, s := range from.keysOrNil() {
		targets, ok := asStrings(from.vals[s])
		if !ok || len(targets) == 0 {
			continue
		}
		fm = append(fm, kv{s, targets})
	}
	if len(fm) == 0 {
		vals, _ := col.def.get("values")
		states, _ := vals.([]string)
		if len(states) == 0 || to == "" {
			im.add(Skipped, where, sub, "no fromTo states, and qb needs them")
			return nil
		}
		for _, s := range states {
			if s != to {
				fm = append(fm, kv{s, []string{to}})
			}
		}
		im.add(Approximated, where, sub, "no fromTo: every other state may move to %q", to)
	}
	out = append(out, kv{"from", fm})
	return out
}

// handlerFile analyses handler: "./handlers/x".
func (im *importer) handlerFile(t *table, a *action, fromFile, spec string, where loc) *effects {
	abs, err := im.sb.resolve(path.Dir(fromFile), spec)
	if err != nil {
		return &effects{skip: "handler " + spec + ": " + err.Error(), skipWhere: where}
	}
	rel := im.sb.rel(abs)
	pf, err := im.parsed(abs)
	if err != nil {
		return &effects{skip: err.Error(), skipWhere: loc{File: rel}}
	}
	fn := pf.handlerFunction()
	if fn == nil {
		return &effects{skip: "no execute function found in " + rel, skipWhere: loc{File: rel}}
	}
	return im.analyze(pf, fn, t, a)
}

// inlineHandler analyses execute: async (...) => {...} in the actions file.
func (im *importer) inlineHandler(t *table, a *action, file, name string, where loc) *effects {
	pf, err := im.parsed(filepath.Join(im.root, filepath.FromSlash(file)))
	if err != nil {
		return &effects{skip: err.Error(), skipWhere: where}
	}
	fn := pf.inlineExecute(name)
	if fn == nil {
		return &effects{skip: "the execute function could not be found", skipWhere: where}
	}
	return im.analyze(pf, fn, t, a)
}

// parsed parses a project file (cached).
func (im *importer) parsed(abs string) (*parsedFile, error) {
	if im.parsedFiles == nil {
		im.parsedFiles = map[string]*parsedFile{}
	}
	if pf, ok := im.parsedFiles[abs]; ok {
		return pf, nil
	}
	rel := im.sb.rel(abs)
	src, err := im.sb.readSource(abs)
	if err != nil {
		return nil, &ImportError{Where: loc{File: rel}, Msg: err.Error()}
	}
	pf, err := parseJS(rel, src)
	if err != nil {
		return nil, err
	}
	im.parsedFiles[abs] = pf
	return pf, nil
}
