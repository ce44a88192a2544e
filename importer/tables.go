package importer

import (
	"path"
	"regexp"
	"strings"

	"quickback.dev/qb/schema"
)

// table is one table of the import, with its TOML as it is built.
type table struct {
	name    string // qb table name (SQL name)
	srcName string // the name the project gives it (SQL or feature name)
	where   loc
	kind    string // "defineTable", "feature" or "internal table"
	config  *obj   // the security config (nil for an internal table)
	drizzle *obj   // the Drizzle table, when there is one

	internal  bool
	cols      []*column
	head      omap // label, internal, displayColumn, defaultSort, unique
	fwOrg     string
	fwOwner   string
	ownerOpt  omap // mode, bypass (beyond the column)
	errMode   string
	guardsOff bool
	guards    omap
	crud      omap
	masking   omap
	actions   []*action
	// scopes are q.scope(...) columns: kind → column.
	scopes map[string]string
}

// column is one declared column.
type column struct {
	name     string
	typ      string
	def      omap
	refTable string // the project's name of a referenced table, resolved later
	where    loc
}

func (t *table) column(name string) *column {
	for _, c := range t.cols {
		if c.name == name {
			return c
		}
	}
	return nil
}

// orgColumn is the declared column holding the organization: the one named
// organizationId, else the one stored in organization_id under another
// name (Drizzle's `tenant: text("organization_id")`).
func (t *table) orgColumn() *column {
	if c := t.column("organizationId"); c != nil {
		return c
	}
	for _, c := range t.cols {
		if sqlName, ok := c.def.get("column"); ok && sqlName == "organization_id" {
			return c
		}
	}
	return nil
}

// hasColumn is true for declared and system columns.
func (t *table) hasColumn(name string) bool {
	return t.column(name) != nil || contains(schema.SystemColumns, name)
}

// systemManaged mirrors schema: audit columns and the firewall's columns.
func (t *table) systemManaged(name string) bool {
	return contains(schema.SystemColumns, name) || (t.fwOrg != "" && name == t.fwOrg) || (t.fwOwner != "" && name == t.fwOwner)
}

func (t *table) subject(rest ...string) string {
	s := "tables." + t.name
	for _, r := range rest {
		s += "." + r
	}
	return s
}

var (
	tableNameOK = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)
	identOK     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// qbTableName turns a project table name into a qb one (snake_case).
func qbTableName(s string) string {
	if tableNameOK.MatchString(s) {
		return s
	}
	out := schema.SnakeCase(strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' || r == '.' {
			return '_'
		}
		return r
	}, s))
	out = strings.ToLower(out)
	if out == "" || !tableNameOK.MatchString(out) {
		out = "t_" + regexp.MustCompile(`[^a-z0-9_]`).ReplaceAllString(out, "_")
	}
	return out
}

// camelIdent turns "advance-stage" into "advanceStage".
func camelIdent(s string) string {
	var b strings.Builder
	up := false
	for _, r := range s {
		switch {
		case r == '-' || r == ' ' || r == '.' || r == '/':
			up = b.Len() > 0
		case up:
			b.WriteString(strings.ToUpper(string(r)))
			up = false
		default:
			b.WriteRune(r)
		}
	}
	out := b.String()
	if !identOK.MatchString(out) {
		out = "_" + regexp.MustCompile(`[^A-Za-z0-9_]`).ReplaceAllString(out, "_")
	}
	return out
}

// chainOf returns the calls of a recorded builder chain, or nil.
func chainOf(v any) (root string, calls []call) {
	o, ok := v.(*obj)
	if !ok || !o.has("__chain") {
		return "", nil
	}
	root = o.str("__chain")
	list, _ := o.vals["calls"].([]any)
	for _, e := range list {
		c, _ := e.(*obj)
		if c == nil {
			continue
		}
		args, hasArgs := c.vals["a"].([]any)
		line, _ := c.vals["line"].(float64)
		calls = append(calls, call{m: c.str("m"), args: args, called: hasArgs, line: int(line)})
	}
	return root, calls
}

// call is one step of a builder chain.
type call struct {
	m      string
	args   []any
	called bool
	line   int
}

func (c call) arg(i int) any {
	if i < len(c.args) {
		return c.args[i]
	}
	return nil
}

// chainText renders a chain for messages: q.text().required().
func chainText(root string, calls []call) string {
	var b strings.Builder
	b.WriteString(root)
	for _, c := range calls {
		b.WriteString("." + c.m)
		if c.called {
			b.WriteString("(")
			if len(c.args) > 0 {
				b.WriteString("…")
			}
			b.WriteString(")")
		}
	}
	return b.String()
}

func isFn(v any) bool {
	o, ok := v.(*obj)
	return ok && o.has("__fn")
}

func asStrings(v any) ([]string, bool) {
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, ok := e.(string)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

func asNumber(v any) (float64, bool) {
	f, ok := v.(float64)
	return f, ok
}

// literal converts a recorded default value into a TOML literal.
func literal(v any) (any, bool) {
	switch x := v.(type) {
	case string, bool, float64:
		return x, true
	}
	return nil, false
}

// drizzleColumn converts one column of a sqliteTable.
func (im *importer) drizzleColumn(t *table, key string, v any) *column {
	sub := t.subject("columns", key)
	root, calls := chainOf(v)
	if root != "col" || len(calls) == 0 || !calls[0].called {
		im.add(Skipped, t.where, sub, "not a Drizzle column builder")
		return nil
	}
	first := calls[0]
	where := loc{File: t.where.File, Line: first.line}
	c := &column{name: key, where: where}
	sqlName := schema.SnakeCase(key)
	var opts *obj
	for _, a := range first.args {
		switch x := a.(type) {
		case string:
			sqlName = x
		case *obj:
			opts = x
		}
	}
	mode := opts.str("mode")
	switch first.m {
	case "text":
		c.typ = "text"
		if vals, ok := asStrings(opts.val("enum")); ok {
			c.typ = "enum"
			c.def.set("values", vals)
		} else if mode == "json" {
			c.typ = "json"
		}
		if n, ok := asNumber(opts.val("length")); ok && c.typ == "text" {
			c.def.set("maxLength", n)
		}
	case "integer", "int":
		switch mode {
		case "boolean":
			c.typ = "boolean"
		case "timestamp":
			// Drizzle stores mode "timestamp" as epoch seconds and
			// "timestamp_ms" as epoch milliseconds: the database holds
			// integers, read and written in that format.
			c.typ = "timestamp"
			c.def.set("format", string(schema.TimeEpochSeconds))
		case "timestamp_ms":
			c.typ = "timestamp"
			c.def.set("format", string(schema.TimeEpochMillis))
		default:
			c.typ = "integer"
		}
	case "real", "doublePrecision":
		c.typ = "real"
	case "numeric":
		c.typ = "real"
		im.add(Approximated, where, sub, "numeric imported as real")
	case "blob":
		if mode == "json" {
			c.typ = "json"
		} else if mode == "bigint" {
			c.typ = "integer"
			im.add(Approximated, where, sub, "blob (bigint) imported as integer")
		} else {
			im.add(Skipped, where, sub, "binary blob columns have no qb type")
			return nil
		}
	default:
		im.add(Skipped, where, sub, "unknown Drizzle column type %s()", first.m)
		return nil
	}
	required := false
	for _, m := range calls[1:] {
		switch m.m {
		case "primaryKey":
			if c.typ != "text" {
				im.add(Approximated, where, sub, "%s primary key imported as qb's text id", c.typ)
			}
			c.typ = "id"
		case "notNull":
			required = true
		case "default":
			if d, ok := literal(m.arg(0)); ok {
				c.def.set("default", d)
			} else if c.typ == "timestamp" {
				c.def.set("default", "now")
				im.add(Approximated, where, sub, "SQL default imported as \"now\"")
			} else {
				im.add(Skipped, where, sub, "default: not a literal")
			}
		case "$default", "$defaultFn", "$onUpdate", "$onUpdateFn":
			im.add(Skipped, where, sub, "%s: computed defaults are code; not imported", m.m)
		case "unique":
			c.def.set("unique", true)
		case "references":
			c.refTable = refTarget(m.arg(0))
			if opts, ok := m.arg(1).(*obj); ok && (opts.has("onDelete") || opts.has("onUpdate")) {
				im.add(Skipped, where, sub, "references: onDelete/onUpdate are not modelled (qb soft-deletes and checks references on write)")
			}
		case "$type", "$inferSelect":
		default:
			im.add(Skipped, where, sub, ".%s() is not modelled", m.m)
		}
	}
	if c.typ == "id" {
		required = false
	}
	c.finish(sqlName, required)
	return c
}

// refTarget reads the table a references() target names.
func refTarget(v any) string {
	o, ok := v.(*obj)
	if !ok {
		return ""
	}
	if o.str("__qb") == "colref" {
		return o.str("table")
	}
	return ""
}

// finish puts the column's type first and its options in a stable order.
func (c *column) finish(sqlName string, required bool) {
	out := omap{{"type", c.typ}}
	if v, ok := c.def.get("values"); ok {
		out = append(out, kv{"values", v})
	}
	if v, ok := c.def.get("format"); ok {
		out = append(out, kv{"format", v})
	}
	if required {
		out = append(out, kv{"required", true})
	}
	for _, k := range []string{"default", "min", "max", "maxLength", "unique", "searchable"} {
		if v, ok := c.def.get(k); ok {
			out = append(out, kv{k, v})
		}
	}
	if sqlName != "" && sqlName != schema.SnakeCase(c.name) {
		out = append(out, kv{"column", sqlName})
	}
	c.def = out
}

// qColumn converts one column of feature(name, { columns: { key: q... } }).
func (im *importer) qColumn(t *table, key string, v any) *column {
	sub := t.subject("columns", key)
	root, calls := chainOf(v)
	if root != "q" || len(calls) == 0 || !calls[0].called {
		im.add(Skipped, t.where, sub, "not a q column builder")
		return nil
	}
	first := calls[0]
	where := loc{File: t.where.File, Line: first.line}
	c := &column{name: key, where: where}
	required := false
	switch first.m {
	case "id":
		c.typ = "id"
	case "text", "string", "email", "url":
		c.typ = "text"
	case "int", "integer":
		c.typ = "integer"
	case "number", "real", "float", "decimal":
		c.typ = "real"
	case "boolean", "bool":
		c.typ = "boolean"
	case "timestamp", "datetime", "date":
		c.typ = "timestamp"
	case "json":
		c.typ = "json"
	case "enum":
		vals, ok := asStrings(first.arg(0))
		if !ok || len(vals) == 0 {
			im.add(Skipped, where, sub, "q.enum() without a list of string values")
			return nil
		}
		c.typ = "enum"
		c.def.set("values", vals)
	case "scope":
		kind, _ := first.arg(0).(string)
		if kind != "organization" && kind != "owner" {
			im.add(Skipped, where, sub, "q.scope(%q): qb scopes rows by organization or owner only", kind)
			return nil
		}
		c.typ = "text"
		required = true
		if t.scopes == nil {
			t.scopes = map[string]string{}
		}
		t.scopes[kind] = key
	default:
		c.typ = "text"
		im.add(Approximated, where, sub, "q.%s() imported as text", first.m)
	}
	if opts, ok := first.arg(0).(*obj); ok {
		for _, k := range []string{"maxLength", "min", "max"} {
			if n, ok := asNumber(opts.vals[k]); ok {
				c.def.set(k, n)
			}
		}
		if d, ok := literal(opts.vals["default"]); ok {
			c.def.set("default", d)
		}
	}
	for _, m := range calls[1:] {
		switch m.m {
		case "required", "notNull":
			required = true
		case "optional", "nullable":
			required = false
		case "default":
			if d, ok := literal(m.arg(0)); ok {
				c.def.set("default", d)
			} else {
				im.add(Skipped, where, sub, "default: not a literal")
			}
		case "searchable":
			if c.typ == "text" || c.typ == "enum" || c.typ == "id" {
				c.def.set("searchable", true)
			} else {
				im.add(Skipped, where, sub, "searchable: qb searches text and enum columns only")
			}
		case "unique":
			c.def.set("unique", true)
		case "maxLength", "min", "max":
			if n, ok := asNumber(m.arg(0)); ok {
				c.def.set(m.m, n)
			}
		case "references":
			c.refTable = refTarget(m.arg(0))
			if opts, ok := m.arg(1).(*obj); ok && (opts.has("onDelete") || opts.has("onUpdate")) {
				im.add(Skipped, where, sub, "references: onDelete/onUpdate are not modelled (qb soft-deletes and checks references on write)")
			}
		case "filterable", "sortable":
			im.add(Approximated, where, sub, ".%s(): qb lets every column be filtered and sorted (masked columns excepted)", m.m)
		case "index":
			im.add(Skipped, where, sub, ".index(): indexes are not part of the policy (qb check --db suggests them)")
		case "label", "description", "hidden", "placeholder":
		default:
			im.add(Skipped, where, sub, ".%s() is not modelled", m.m)
		}
	}
	if c.typ == "id" {
		required = false
	}
	c.finish(schema.SnakeCase(key), required)
	return c
}

// columns reads the table's columns: Drizzle's or feature()'s.
func (im *importer) columns(t *table) {
	var src *obj
	drizzle := t.drizzle != nil
	if drizzle {
		src = t.drizzle.sub("columns")
	} else {
		src = t.config.sub("columns")
	}
	if src == nil {
		im.add(Skipped, t.where, t.subject("columns"), "no columns found")
	}
	for _, key := range src.keysOrNil() {
		if contains(schema.SystemColumns, key) {
			im.add(Imported, t.where, t.subject("columns", key), "an audit column qb manages itself")
			continue
		}
		if !identOK.MatchString(key) {
			im.add(Skipped, t.where, t.subject("columns", key), "not an identifier")
			continue
		}
		var c *column
		if drizzle {
			c = im.drizzleColumn(t, key, src.vals[key])
		} else {
			c = im.qColumn(t, key, src.vals[key])
		}
		if c != nil {
			t.cols = append(t.cols, c)
		}
	}
	ids := 0
	for _, c := range t.cols {
		if c.typ == "id" {
			ids++
		}
	}
	switch {
	case ids == 0 && t.column("id") == nil:
		t.cols = append([]*column{{name: "id", typ: "id", def: omap{{"type", "id"}}}}, t.cols...)
		im.add(Approximated, t.where, t.subject("columns", "id"), "the table has no primary key; qb needs one, so an id column was added")
	case ids == 0:
		c := t.column("id")
		c.typ = "id"
		c.def = omap{{"type", "id"}}
		im.add(Approximated, t.where, t.subject("columns", "id"), "no primary key declared; id is taken as the primary key")
	case ids > 1:
		for _, c := range t.cols[1:] {
			if c.typ == "id" {
				c.typ = "text"
				c.def.set("type", "text")
				im.add(Approximated, c.where, t.subject("columns", c.name), "a second primary key column; imported as text")
			}
		}
	}
}

func (o *obj) keysOrNil() []string {
	if o == nil {
		return nil
	}
	return o.keys
}

// firewall reads firewall (object or clause-list form), firewallErrorMode
// and the q.scope columns.
func (im *importer) firewall(t *table) {
	sub := t.subject("firewall")
	fv, declared := t.config.get("firewall")
	if t.config == nil {
		declared = false
	}
	switch x := fv.(type) {
	case *obj:
		for _, k := range x.keys {
			switch k {
			case "organization":
				t.fwOrg = "organizationId"
				if col := x.sub(k).str("column"); col != "" {
					t.fwOrg = col
				}
			case "owner":
				o := x.sub(k)
				t.fwOwner = "ownerId"
				if col := o.str("column"); col != "" {
					t.fwOwner = col
				}
				switch mode := o.str("mode"); mode {
				case "", "strict", "required":
					t.ownerOpt.set("mode", "strict")
				case "optional":
					t.ownerOpt.set("mode", "optional")
					if roles, ok := asStrings(o.val("bypass")); ok {
						t.ownerOpt.set("bypass", im.knownRoles(roles, t.subject("firewall", "owner", "bypass"), t.where))
					}
				default:
					im.add(Approximated, t.where, t.subject("firewall", "owner"), "mode %q imported as strict", mode)
					t.ownerOpt.set("mode", "strict")
				}
			case "softDelete":
				im.add(Imported, t.where, t.subject("firewall", "softDelete"), "qb soft-deletes every table (deletedAt)")
			case "errorMode":
				if m := x.str(k); m == "hide" || m == "reveal" {
					t.errMode = m
				}
			case "exception":
				if b, _ := x.vals[k].(bool); b {
					im.add(Approximated, t.where, t.subject("firewall", "exception"), "no firewall: every organization's rows are visible to whoever the access rules admit")
				}
			default:
				im.add(Skipped, t.where, t.subject("firewall", k), "qb scopes rows by organization and owner only")
			}
		}
	case []any:
		for _, e := range x {
			cl, _ := e.(*obj)
			field := cl.str("field")
			eq := cl.str("equals")
			switch {
			case cl == nil || field == "":
				im.add(Skipped, t.where, sub, "a firewall clause without a field")
			case eq == "ctx.activeOrgId" || eq == "$ctx.activeOrgId" || eq == "ctx.orgId":
				t.fwOrg = field
			case eq == "ctx.userId" || eq == "$ctx.userId":
				t.fwOwner = field
				t.ownerOpt.set("mode", "strict")
			case field == "deletedAt" && cl.val("isNull") == true:
				im.add(Imported, t.where, t.subject("firewall", "deletedAt"), "qb soft-deletes every table (deletedAt)")
			default:
				im.add(Skipped, t.where, sub, "clause on %q: qb's firewall scopes by organization and owner only", field)
			}
		}
	case nil:
	default:
		if isFn(fv) {
			im.add(Skipped, t.where, sub, "a function firewall is code; not imported")
		}
	}
	if m := t.config.str("firewallErrorMode"); m == "hide" || m == "reveal" {
		t.errMode = m
	}
	if !declared {
		if col := t.scopes["organization"]; col != "" {
			t.fwOrg = col
			im.add(Imported, t.where, sub, "organization scope from q.scope(\"organization\") on %s", col)
		} else if c := t.orgColumn(); c != nil {
			t.fwOrg = c.name
			im.add(Approximated, t.where, sub, "no firewall declared; scoped by its %s column, as Quickback's isolation auto-detection does", c.name)
		} else if p := im.orgScopedParent(t); p != nil {
			t.fwOrg = "organizationId"
			im.add(Approximated, t.where, sub, "internal table beside the organization-scoped %s: Quickback adds organizationId to it and scopes its rows by organization, so qb does too", p.name)
		}
		if col := t.scopes["owner"]; col != "" && t.scopes["organization"] == "" {
			t.fwOwner = col
			t.ownerOpt.set("mode", "strict")
			im.add(Imported, t.where, sub, "owner scope from q.scope(\"owner\") on %s", col)
		}
	}
	for kind, col := range t.scopes {
		if (kind == "organization" && t.fwOrg != col) || (kind == "owner" && t.fwOwner != col) {
			im.add(Approximated, t.where, t.subject("columns", col), "q.scope(%q) outside the firewall: a plain column in qb (Quickback stamps it; qb does not)", kind)
		}
	}
	if t.fwOrg == "" && t.fwOwner == "" && !t.internal {
		im.add(Approximated, t.where, sub, "no firewall: rows of every organization are visible to whoever the access rules admit")
	}
	for _, col := range []string{t.fwOrg, t.fwOwner} {
		if col != "" && t.column(col) == nil && !contains(schema.SystemColumns, col) {
			t.cols = append(t.cols, &column{name: col, typ: "text", def: omap{{"type", "text"}, {"required", true}}})
			im.add(Approximated, t.where, t.subject("columns", col), "the firewall's column is not declared (Quickback adds it); declared as required text")
		}
	}
	if t.fwOrg != "" && t.fwOrg == t.fwOwner {
		im.add(Skipped, t.where, t.subject("firewall", "owner"), "the owner scope uses the organization's column")
		t.fwOwner = ""
	}
}

// orgScopedParent is, for an internal table, an organization-scoped table
// with an API in the same feature folder: Quickback gives the internal
// tables of such a feature an organizationId and tenants them the same way.
func (im *importer) orgScopedParent(t *table) *table {
	if !t.internal {
		return nil
	}
	dir := path.Dir(t.where.File)
	for _, p := range im.tables {
		if !p.internal && p.fwOrg != "" && path.Dir(p.where.File) == dir {
			return p
		}
	}
	return nil
}

// knownRoles keeps the roles of the hierarchy (and "x+" forms of them),
// reporting the others.
func (im *importer) knownRoles(roles []string, subject string, where loc) []string {
	var out []string
	for _, r := range roles {
		base := strings.TrimSuffix(r, "+")
		if contains(im.roles, base) || r == "PUBLIC" {
			if !contains(out, r) {
				out = append(out, r)
			}
			continue
		}
		im.add(Approximated, where, subject, "role %q is not in auth.roleHierarchy; left out (qb grants nothing to an undeclared role)", r)
	}
	return out
}

// guards reads createable / updatable / immutable / protected, or false.
func (im *importer) guards(t *table) {
	gv, ok := t.config.get("guards")
	if !ok || t.config == nil {
		return
	}
	if b, isBool := gv.(bool); isBool {
		if !b {
			t.guardsOff = true
			im.add(Imported, t.where, t.subject("guards"), "guards = false: every non-system column is writable")
		}
		return
	}
	g, _ := gv.(*obj)
	if g == nil {
		im.add(Skipped, t.where, t.subject("guards"), "not an object")
		return
	}
	for _, k := range g.keys {
		sub := t.subject("guards", k)
		switch k {
		case "createable", "creatable", "updatable", "updateable", "immutable":
			list, ok := asStrings(g.vals[k])
			if !ok {
				im.add(Skipped, t.where, sub, "not a list of column names")
				continue
			}
			key := map[string]string{"creatable": "createable", "updateable": "updatable"}[k]
			if key == "" {
				key = k
			}
			t.guards.set(key, im.guardColumns(t, list, sub))
		case "protected":
			switch p := g.vals[k].(type) {
			case []any:
				list, _ := asStrings(p)
				t.guards.set("protected", im.guardColumns(t, list, sub))
			case *obj:
				var m omap
				for _, col := range p.keys {
					if !t.hasColumn(col) || t.systemManaged(col) {
						im.add(Skipped, t.where, sub+"."+col, "not a column a write may set")
						continue
					}
					names, ok := asStrings(p.vals[col])
					if !ok {
						im.add(Skipped, t.where, sub+"."+col, "not a list of action names")
						continue
					}
					m = append(m, kv{col, names})
				}
				t.guards.set("protected", m)
			}
		case "systemManaged":
			im.add(Approximated, t.where, sub, "qb's system-managed columns are the audit and firewall columns")
		default:
			im.add(Skipped, t.where, sub, "unknown guard")
		}
	}
	im.reconcileGuards(t)
}

// reconcileGuards removes what qb calls a contradiction: a protected field
// in a client list (only actions set it) or an immutable one in updatable.
func (im *importer) reconcileGuards(t *table) {
	var protected []string
	switch p, _ := t.guards.get("protected"); x := p.(type) {
	case []string:
		protected = x
	case omap:
		for _, e := range x {
			protected = append(protected, e.k)
		}
	}
	immutable, _ := t.guards.get("immutable")
	imm, _ := immutable.([]string)
	for _, k := range []string{"createable", "updatable", "immutable"} {
		v, ok := t.guards.get(k)
		if !ok {
			continue
		}
		var keep []string
		for _, c := range v.([]string) {
			switch {
			case contains(protected, c):
				im.add(Approximated, t.where, t.subject("guards", k), "%q is protected: only actions set it, so it is left out", c)
			case k == "updatable" && contains(imm, c):
				im.add(Approximated, t.where, t.subject("guards", k), "%q is immutable: no update sets it, so it is left out", c)
			default:
				keep = append(keep, c)
			}
		}
		if keep == nil {
			keep = []string{}
		}
		t.guards.set(k, keep)
	}
}

// guardColumns keeps the columns a guard list may name.
func (im *importer) guardColumns(t *table, cols []string, subject string) []string {
	out := []string{}
	for _, c := range cols {
		switch {
		case !t.hasColumn(c):
			im.add(Skipped, t.where, subject, "unknown column %q", c)
		case t.systemManaged(c):
			im.add(Approximated, t.where, subject, "%q is system-managed in qb (stamped by the engine); left out", c)
		default:
			out = append(out, c)
		}
	}
	return out
}

// tableOptions reads displayColumn, defaultSort, unique and references.
func (im *importer) tableOptions(t *table) {
	if t.internal {
		t.head.set("internal", true)
	}
	cfg := t.config
	if cfg == nil {
		return
	}
	for _, k := range cfg.keys {
		sub := t.subject(k)
		v := cfg.vals[k]
		switch k {
		case "columns", "firewall", "firewallErrorMode", "guards", "crud", "read", "masking":
		case "displayColumn":
			if s, ok := v.(string); ok && t.hasColumn(s) {
				t.head.set("displayColumn", s)
			} else {
				im.add(Skipped, t.where, sub, "not a column of the table")
			}
		case "defaultSort":
			var field string
			desc := false
			switch x := v.(type) {
			case string:
				field = strings.TrimPrefix(x, "-")
				desc = strings.HasPrefix(x, "-")
			case *obj:
				field = x.str("field")
				desc = strings.EqualFold(x.str("order"), "desc")
			}
			if field == "" || !t.hasColumn(field) {
				im.add(Skipped, t.where, sub, "not a column of the table")
				continue
			}
			if desc {
				field = "-" + field
			}
			t.head.set("defaultSort", field)
		case "unique":
			list, _ := v.([]any)
			var out [][]string
			for _, e := range list {
				var cols []string
				switch x := e.(type) {
				case *obj:
					cols, _ = asStrings(x.vals["columns"])
				case []any:
					cols, _ = asStrings(x)
				}
				if len(cols) == 0 || !allColumns(t, cols) {
					im.add(Skipped, t.where, sub, "a unique constraint over unknown columns")
					continue
				}
				out = append(out, cols)
			}
			if len(out) > 0 {
				t.head.set("unique", out)
			}
		case "references":
			refs, _ := v.(*obj)
			for _, col := range refs.keysOrNil() {
				target, _ := refs.vals[col].(string)
				if c := t.column(col); c != nil && c.refTable == "" && target != "" {
					c.refTable = target
				}
			}
		case "label":
			if s, ok := v.(string); ok {
				t.head.set("label", s)
			}
		case "inputHints":
			im.add(Skipped, t.where, sub, "form hints of Quickback's CMS; the console picks its own widgets")
		default:
			im.add(Skipped, t.where, sub, "not modelled in quickback.toml")
		}
	}
}

func allColumns(t *table, cols []string) bool {
	for _, c := range cols {
		if !t.hasColumn(c) {
			return false
		}
	}
	return true
}

// drizzleExtras reads unique() / uniqueIndex() constraints of a sqliteTable's
// third argument.
func (im *importer) drizzleExtras(t *table) {
	if t.drizzle == nil {
		return
	}
	ex, ok := t.drizzle.get("extra")
	if !ok || ex == nil {
		return
	}
	var items []any
	switch x := ex.(type) {
	case []any:
		items = x
	case *obj:
		for _, k := range x.keys {
			items = append(items, x.vals[k])
		}
	}
	var uniq [][]string
	for _, it := range items {
		root, calls := chainOf(it)
		if root != "col" || len(calls) == 0 {
			continue
		}
		kind := calls[0].m
		var on []string
		for _, c := range calls[1:] {
			if c.m == "on" {
				for _, a := range c.args {
					if o, ok := a.(*obj); ok && o.str("__qb") == "colref" {
						on = append(on, o.str("column"))
					}
				}
			}
		}
		switch kind {
		case "unique", "uniqueIndex":
			if len(on) > 0 {
				uniq = append(uniq, on)
			}
		case "index":
		default:
			im.add(Skipped, t.where, t.subject(), "%s(...) table constraint is not modelled", kind)
		}
	}
	if len(uniq) > 0 {
		if prev, ok := t.head.get("unique"); ok {
			uniq = append(prev.([][]string), uniq...)
		}
		t.head.set("unique", uniq)
	}
}

// masking reads masking rules.
func (im *importer) masking(t *table) {
	mv := t.config.sub("masking")
	for _, col := range mv.keysOrNil() {
		sub := t.subject("masking", col)
		m, _ := mv.vals[col].(*obj)
		c := t.column(col)
		if c == nil || m == nil || c.typ == "id" {
			im.add(Skipped, t.where, sub, "not a maskable column of the table")
			continue
		}
		typ := m.str("type")
		switch typ {
		case "email", "phone", "ssn", "creditCard", "name", "redact":
		case "":
			typ = "redact"
			im.add(Approximated, t.where, sub, "no mask type; imported as redact")
		default:
			im.add(Approximated, t.where, sub, "mask %q imported as redact (it reveals nothing)", typ)
			typ = "redact"
		}
		if isFn(m.vals["mask"]) || isFn(m.vals["fn"]) {
			im.add(Approximated, t.where, sub, "a custom mask function is code; imported as redact (it reveals nothing)")
			typ = "redact"
		}
		out := omap{{"type", typ}}
		if show := m.sub("show"); show != nil {
			var s omap
			if roles, ok := asStrings(show.vals["roles"]); ok {
				if r := im.knownRoles(roles, sub, t.where); len(r) > 0 {
					s = append(s, kv{"roles", r})
				}
			}
			if show.str("or") == "owner" {
				s = append(s, kv{"or", "owner"})
			}
			if len(s) > 0 {
				out = append(out, kv{"show", s})
			}
		}
		if m.has("query") {
			im.add(Approximated, t.where, sub, "query roles: qb refuses filter, sort and search on a column masked for the caller")
		}
		t.masking = append(t.masking, kv{col, out})
	}
}

// crud reads crud and read (→ list and get).
func (im *importer) crud(t *table) {
	cfg := t.config
	if cfg == nil {
		return
	}
	ops := map[string]*obj{}
	addOp := func(op string, o *obj) {
		if _, dup := ops[op]; !dup {
			ops[op] = o
		}
	}
	crud := cfg.sub("crud")
	for _, k := range crud.keysOrNil() {
		o, _ := crud.vals[k].(*obj)
		switch k {
		case "list", "get", "create", "update", "delete":
			addOp(k, o)
		case "read":
			addOp("list", o)
			addOp("get", o)
		case "put", "upsert":
			im.add(Skipped, t.where, t.subject("crud", k), "qb's upsert uses the create and update access of the table")
		default:
			im.add(Skipped, t.where, t.subject("crud", k), "batch and other operations are not modelled; qb has list, get, create, update and delete")
		}
	}
	if read := cfg.sub("read"); read != nil {
		addOp("list", read)
		addOp("get", read)
		for _, k := range read.keys {
			switch k {
			case "access":
			case "views":
				im.add(Skipped, t.where, t.subject("read", "views"), "views (column projections) are not modelled; read access applies to every column")
			default:
				im.add(Skipped, t.where, t.subject("read", k), "not modelled")
			}
		}
	}
	for _, op := range schema.Ops {
		o, ok := ops[string(op)]
		if !ok {
			continue
		}
		sub := t.subject("crud", string(op))
		if t.internal {
			im.add(Skipped, t.where, sub, "an internal table has no CRUD")
			continue
		}
		var entry omap
		av, has := o.get("access")
		if !has {
			im.add(Skipped, t.where, sub, "no access rule: denied to everyone")
			continue
		}
		acc, ok := im.access(t, av, sub+".access", t.where)
		if !ok {
			continue
		}
		entry = append(entry, kv{"access", acc})
		for _, k := range o.keys {
			switch k {
			case "access":
			case "mode":
				if op == schema.OpDelete {
					if m := o.str(k); m == "soft" || m == "hard" {
						entry = append(entry, kv{"mode", m})
					}
				}
			case "views":
			default:
				im.add(Skipped, t.where, sub+"."+k, "not modelled")
			}
		}
		t.crud = append(t.crud, kv{string(op), entry})
	}
}
