package schema

import (
	"math"
	"slices"
	"strings"
)

var tableKeys = []string{"label", "internal", "displayColumn", "defaultSort", "upsertKey", "unique",
	"columns", "firewall", "guards", "crud", "masking", "actions", "table"}

var columnKeys = []string{"type", "required", "default", "min", "max", "maxLength", "unique",
	"references", "searchable", "column", "values", "format"}

// systemColumnKeys are what a table may say about a system column: where it
// is and, for the timestamps, how it is stored.
var systemColumnKeys = []string{"column", "format"}

var inputKeys = []string{"type", "required", "default", "min", "max", "maxLength", "values"}

// fieldSpec is what columns and action inputs have in common.
type fieldSpec struct {
	typ         ColumnType // "" when missing or unknown
	required    bool
	hasRequired bool
	def         any
	hasDef      bool
	min, max    *float64
	maxLength   *int
	values      []string
}

func (l *loader) loadTables(v any, p *kpath) {
	l.tables = map[string]*Table{}
	if v == nil {
		l.errf(p, "no tables declared")
		return
	}
	tm, ok := l.asTable(v, p)
	if !ok {
		return
	}
	raws := map[*Table]map[string]any{}
	paths := map[*Table]*kpath{}
	for _, name := range l.keysOf(tm, p) {
		tp := p.key(name)
		switch {
		case !tableNameRE.MatchString(name):
			l.errf(tp, "table name must be a SQL identifier ([a-z_][a-z0-9_]*)")
		case strings.HasPrefix(name, "qb_"):
			l.errf(tp, `table names starting with "qb_" are reserved for the console`)
		case strings.HasPrefix(name, "sqlite_"):
			l.errf(tp, `table names starting with "sqlite_" are reserved by SQLite`)
		}
		t := &Table{Name: name, SQLName: name, Label: name}
		l.cfg.Tables = append(l.cfg.Tables, t)
		l.tables[name] = t
		paths[t] = tp
		m, ok := l.asTable(tm[name], tp)
		if !ok {
			l.brokenCols[t] = true
			continue
		}
		raws[t] = m
		l.known(m, tp, tableKeys...)
		l.sqlTableName(t, m, tp)
	}
	l.uniqueSQLTableNames(paths)
	// Pass 1: columns of every table, so that references, insert targets
	// and insert values can be checked across tables.
	for _, t := range l.cfg.Tables {
		if m := raws[t]; m != nil {
			l.columns(t, m["columns"], paths[t].key("columns"))
		}
	}
	for _, t := range l.cfg.Tables {
		if m := raws[t]; m != nil {
			l.tableRest(t, m, paths[t])
		}
	}
	// Pass 3: actions, once every table's firewall and guards are known.
	for _, t := range l.cfg.Tables {
		if x, ok := raws[t]["actions"]; ok {
			l.actions(t, x, paths[t].key("actions"))
		}
	}
}

// sqlTableName reads `table`: the table's name in the database when it
// differs from the config key (a Quickback table such as "atsImports").
func (l *loader) sqlTableName(t *Table, m map[string]any, p *kpath) {
	x, ok := m["table"]
	if !ok {
		return
	}
	np := p.key("table")
	s, ok := l.asString(x, np)
	if !ok {
		return
	}
	lower := strings.ToLower(s)
	switch {
	case !sqlNameRE.MatchString(s):
		l.errf(np, "table name must be a SQL identifier ([A-Za-z_][A-Za-z0-9_]*)")
	case strings.HasPrefix(lower, "qb_"):
		l.errf(np, `table names starting with "qb_" are reserved for the console`)
	case strings.HasPrefix(lower, "sqlite_"):
		l.errf(np, `table names starting with "sqlite_" are reserved by SQLite`)
	default:
		t.SQLName = s
	}
}

// uniqueSQLTableNames refuses two config tables naming one database table
// (SQL names compare without case, as SQLite compares them).
func (l *loader) uniqueSQLTableNames(paths map[*Table]*kpath) {
	seen := map[string]*Table{}
	for _, t := range l.cfg.Tables {
		k := strings.ToLower(t.SQLName)
		other := seen[k]
		if other == nil {
			seen[k] = t
			continue
		}
		// The mapping is blamed rather than a table that kept its name.
		blame, kept := t, other
		if t.SQLName == t.Name && other.SQLName != other.Name {
			blame, kept = other, t
		}
		p := paths[blame]
		if blame.SQLName != blame.Name {
			p = p.key("table")
		}
		l.errf(p, "tables.%s and tables.%s both name the database table %s", blame.Name, kept.Name, blame.SQLName)
	}
}

// systemOverrides reads the system columns a table declares: only their
// SQL name and, for the timestamps, their format. It returns them by name.
func (l *loader) systemOverrides(m map[string]any, p *kpath) map[string]*Column {
	out := map[string]*Column{}
	for _, name := range l.keysOf(m, p) {
		if !slices.Contains(SystemColumns, name) {
			continue
		}
		cp := p.key(name)
		typ := TypeText
		if strings.HasSuffix(name, "At") {
			typ = TypeTimestamp
		}
		col := &Column{Name: name, SQLName: SnakeCase(name), Type: typ, System: true}
		if typ == TypeTimestamp {
			col.Format = TimeISOMillis
		}
		out[name] = col
		cm, ok := l.asTable(m[name], cp)
		if !ok {
			continue
		}
		allowed := systemColumnKeys
		if typ != TypeTimestamp {
			allowed = []string{"column"}
		}
		for _, k := range l.keysOf(cm, cp) {
			if !slices.Contains(allowed, k) {
				l.errf(cp.key(k), "%q is a system column that every table already has: only %s may be given for it", name, strings.Join(quoted(allowed), " and "))
			}
		}
		l.sqlColumnName(col, cm, cp)
		if typ == TypeTimestamp {
			l.timeFormat(col, cm, cp)
		}
	}
	return out
}

// sqlColumnName reads `column`: the column's name in the database.
func (l *loader) sqlColumnName(col *Column, cm map[string]any, cp *kpath) {
	x, ok := cm["column"]
	if !ok {
		return
	}
	np := cp.key("column")
	if s, ok := l.asString(x, np); ok {
		if !sqlNameRE.MatchString(s) {
			l.errf(np, "column name must be a SQL identifier ([A-Za-z_][A-Za-z0-9_]*)")
			return
		}
		col.SQLName = s
	}
}

// timeFormat reads `format` of a timestamp column (TimeISOMillis when
// absent).
func (l *loader) timeFormat(col *Column, cm map[string]any, cp *kpath) {
	x, ok := cm["format"]
	if !ok {
		return
	}
	fp := cp.key("format")
	s, ok := l.asString(x, fp)
	if !ok {
		return
	}
	names := make([]string, len(TimeFormats))
	for i, f := range TimeFormats {
		names[i] = string(f)
	}
	if !slices.Contains(names, s) {
		l.errf(fp, "unknown timestamp format %q%s", s, hintOrList(s, names))
		return
	}
	col.Format = TimeFormat(s)
}

func (l *loader) columns(t *Table, v any, p *kpath) {
	defer t.index()
	if v == nil {
		l.errf(p.parent, `missing "columns"`)
		l.brokenCols[t] = true
		return
	}
	m, ok := l.asTable(v, p)
	if !ok {
		l.brokenCols[t] = true
		return
	}
	system := l.systemOverrides(m, p)
	// SQL names are compared without case, as SQLite compares them.
	sqlNames := map[string]string{}
	for _, s := range SystemColumns {
		name := SnakeCase(s)
		if c := system[s]; c != nil {
			name = c.SQLName
		}
		if other, dup := sqlNames[strings.ToLower(name)]; dup {
			l.errf(p.key(s), "SQL column name %q is already used by %q", name, other)
			continue
		}
		sqlNames[strings.ToLower(name)] = s
	}
	var ids []*kpath
	for _, name := range l.keysOf(m, p) {
		cp := p.key(name)
		col := &Column{Name: name, SQLName: SnakeCase(name)}
		switch {
		case slices.Contains(SystemColumns, name):
			continue // read by systemOverrides
		case !configName.MatchString(name):
			l.errf(cp, "column name must be an identifier ([A-Za-z_][A-Za-z0-9_]*)")
		}
		t.Columns = append(t.Columns, col)
		cm, ok := l.asTable(m[name], cp)
		if !ok {
			continue
		}
		l.known(cm, cp, columnKeys...)
		f := l.field(cm, cp, false)
		col.Type, col.Required, col.Default, col.HasDefault = f.typ, f.required, f.def, f.hasDef
		col.Min, col.Max, col.MaxLength, col.Values = f.min, f.max, f.maxLength, f.values
		if f.typ == TypeID {
			ids = append(ids, cp)
		}
		if x, ok := cm["unique"]; ok {
			col.Unique, _ = l.asBool(x, cp.key("unique"))
		}
		if x, ok := cm["searchable"]; ok {
			sp := cp.key("searchable")
			if b, ok := l.asBool(x, sp); ok {
				col.Searchable = b
				if b && f.typ != "" && f.typ != TypeText && f.typ != TypeEnum && f.typ != TypeID {
					l.errf(sp, "only text, enum and id columns can be searchable")
				}
			}
		}
		if x, ok := cm["references"]; ok {
			rp := cp.key("references")
			if s, ok := l.asString(x, rp); ok {
				col.References = s
				switch {
				case l.tables[s] == nil:
					l.errf(rp, "unknown table %q%s", s, hint(s, l.tableNames()))
				case f.typ != "" && f.typ != TypeText:
					l.errf(rp, "a reference needs a text column (ids are text), not %s", f.typ)
				}
			}
		}
		l.sqlColumnName(col, cm, cp)
		if f.typ == TypeTimestamp {
			col.Format = TimeISOMillis
			l.timeFormat(col, cm, cp)
		} else if _, ok := cm["format"]; ok && f.typ != "" {
			l.errf(cp.key("format"), "format is only allowed on timestamp, not %s", f.typ)
		}
		if other, dup := sqlNames[strings.ToLower(col.SQLName)]; dup {
			l.errf(cp, "SQL column name %q is already used by %q", col.SQLName, other)
		} else {
			sqlNames[strings.ToLower(col.SQLName)] = name
		}
	}
	switch {
	case len(ids) == 0:
		l.errf(p, "a table needs exactly one column of type id; there is none")
	case len(ids) > 1:
		for _, ip := range ids[1:] {
			l.errf(ip, "a table needs exactly one column of type id; this is another one")
		}
	}
	for _, s := range SystemColumns {
		if c := system[s]; c != nil {
			t.Columns = append(t.Columns, c)
			continue
		}
		c := &Column{Name: s, SQLName: SnakeCase(s), Type: TypeText, System: true}
		if strings.HasSuffix(s, "At") {
			c.Type, c.Format = TypeTimestamp, TimeISOMillis
		}
		t.Columns = append(t.Columns, c)
	}
}

func (l *loader) tableNames() []string { return l.cfg.TableNames() }

// field reads the type and type-dependent options of a column or input.
func (l *loader) field(m map[string]any, p *kpath, input bool) *fieldSpec {
	f := &fieldSpec{}
	if x, ok := m["type"]; !ok {
		l.errf(p, `missing "type"`)
	} else if s, ok := l.asString(x, p.key("type")); ok {
		switch {
		case !slices.Contains(columnTypes, s):
			l.errf(p.key("type"), "unknown type %q%s", s, hintOrList(s, columnTypes))
		case input && s == string(TypeID):
			l.errf(p.key("type"), `an input cannot be of type id; use "text"`)
		default:
			f.typ = ColumnType(s)
		}
	}
	known := f.typ != ""
	if x, ok := m["required"]; ok {
		f.required, f.hasRequired = l.asBool(x, p.key("required"))
	}
	if x, ok := m["values"]; ok {
		vp := p.key("values")
		if known && f.typ != TypeEnum {
			l.errf(vp, "values is only allowed on enum, not %s", f.typ)
		} else if vals, ok := l.asStrings(x, vp); ok {
			if len(vals) == 0 {
				l.errf(vp, "must list at least one value")
			}
			for i, s := range vals {
				if slices.Contains(vals[:i], s) {
					l.errf(vp.idx(i), "value %q is listed twice", s)
				}
			}
			f.values = vals
		}
	} else if f.typ == TypeEnum {
		l.errf(p, `missing "values" (an enum needs its values)`)
	}
	num := func(k string) *float64 {
		x, ok := m[k]
		if !ok {
			return nil
		}
		kp := p.key(k)
		if known && f.typ != TypeInteger && f.typ != TypeReal {
			l.errf(kp, "%s is only allowed on integer and real, not %s", k, f.typ)
			return nil
		}
		n, ok := l.asNumber(x, kp)
		if !ok {
			return nil
		}
		if f.typ == TypeInteger && n != math.Trunc(n) {
			l.errf(kp, "must be a whole number for an integer")
			return nil
		}
		return &n
	}
	f.min, f.max = num("min"), num("max")
	if f.min != nil && f.max != nil && *f.min > *f.max {
		l.errf(p.key("max"), "max %v is below min %v", *f.max, *f.min)
	}
	if x, ok := m["maxLength"]; ok {
		kp := p.key("maxLength")
		if known && f.typ != TypeText {
			l.errf(kp, "maxLength is only allowed on text, not %s", f.typ)
		} else if n, ok := x.(int64); !ok || n < 1 || n > math.MaxInt32 {
			l.errf(kp, "must be a positive integer")
		} else {
			ml := int(n)
			f.maxLength = &ml
		}
	}
	if x, ok := m["default"]; ok {
		dp := p.key("default")
		switch {
		case f.typ == TypeID:
			l.errf(dp, "an id column cannot have a default (ids are generated)")
		case known:
			if v, ok := l.literal(f, x, dp, true); ok {
				f.def, f.hasDef = v, true
			}
		}
	}
	if input {
		switch {
		case !f.hasRequired:
			f.required = !f.hasDef
		case f.required && f.hasDef:
			l.errf(p.key("default"), "a required input never uses its default")
		}
	}
	return f
}

// colRef checks that name is a column of t; it reports an unknown column
// at p and returns nil. Tables whose columns are broken report nothing.
func (l *loader) colRef(t *Table, name string, p *kpath) *Column {
	if c := t.Column(name); c != nil {
		return c
	}
	if !l.brokenCols[t] {
		l.errf(p, "unknown column %q%s", name, hint(name, t.ColumnNames()))
	}
	return nil
}

// colList reads an array of column names of t.
func (l *loader) colList(t *Table, v any, p *kpath, nonEmpty bool) []string {
	list, ok := l.asStrings(v, p)
	if !ok {
		return nil
	}
	if nonEmpty && len(list) == 0 {
		l.errf(p, "must list at least one column")
	}
	for i, s := range list {
		if l.colRef(t, s, p.idx(i)) != nil && slices.Contains(list[:i], s) {
			l.errf(p.idx(i), "column %q is listed twice", s)
		}
	}
	return list
}

func (l *loader) tableRest(t *Table, m map[string]any, p *kpath) {
	if x, ok := m["label"]; ok {
		if s, ok := l.asString(x, p.key("label")); ok && s != "" {
			t.Label = s
		}
	}
	if x, ok := m["internal"]; ok {
		t.Internal, _ = l.asBool(x, p.key("internal"))
	}
	if x, ok := m["displayColumn"]; ok {
		dp := p.key("displayColumn")
		if s, ok := l.asString(x, dp); ok && l.colRef(t, s, dp) != nil {
			t.DisplayColumn = s
		}
	}
	if x, ok := m["defaultSort"]; ok {
		t.DefaultSort = l.sortKeys(t, x, p.key("defaultSort"))
	}
	if pk := t.PrimaryKey(); pk != nil {
		t.UpsertKey = []string{pk.Name}
	}
	if x, ok := m["upsertKey"]; ok {
		t.UpsertKey = l.colList(t, x, p.key("upsertKey"), true)
	}
	if x, ok := m["unique"]; ok {
		up := p.key("unique")
		if list, ok := l.asList(x, up, "column lists"); ok {
			for i, e := range list {
				if cols := l.colList(t, e, up.idx(i), true); cols != nil {
					t.Unique = append(t.Unique, cols)
				}
			}
		}
	}
	var actionNames []string
	if x, ok := m["actions"]; ok {
		if am, ok := x.(map[string]any); ok {
			actionNames = l.keysOf(am, p.key("actions"))
		}
	}
	l.firewall(t, m["firewall"], p.key("firewall"))
	l.guards(t, m["guards"], p.key("guards"), actionNames)
	if x, ok := m["crud"]; ok {
		l.crud(t, x, p.key("crud"))
	}
	if x, ok := m["masking"]; ok {
		l.masking(t, x, p.key("masking"))
	}
}

func (l *loader) sortKeys(t *Table, v any, p *kpath) []SortKey {
	one := func(s string, ep *kpath) (SortKey, bool) {
		k := SortKey{Column: s}
		if strings.HasPrefix(s, "-") {
			k = SortKey{Column: s[1:], Desc: true}
		}
		return k, l.colRef(t, k.Column, ep) != nil
	}
	if s, ok := v.(string); ok {
		if k, ok := one(s, p); ok {
			return []SortKey{k}
		}
		return nil
	}
	list, ok := l.asList(v, p, `sort keys ("col" or "-col")`)
	if !ok {
		return nil
	}
	var out []SortKey
	for i, e := range list {
		ep := p.idx(i)
		s, ok := l.asString(e, ep)
		if !ok {
			continue
		}
		if k, ok := one(s, ep); ok {
			out = append(out, k)
		}
	}
	return out
}
