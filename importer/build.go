package importer

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"quickback.dev/qb/schema"
)

// build turns the recorded exports into tables and actions.
func (im *importer) build() {
	defined := map[string]bool{} // SQL / feature names given a security config
	type drizzleExport struct {
		o     *obj
		names []string
		file  string
	}
	var drizzles []*drizzleExport
	byName := map[string]*drizzleExport{}
	for _, rel := range im.fileOrder {
		exp := im.files[rel]
		for _, key := range exp.keys {
			o, _ := exp.vals[key].(*obj)
			kind := o.str("__qb")
			switch {
			case key == "default" && kind == "defineTable":
				dt, _ := o.val("table").(*obj)
				if dt.str("__qb") != "drizzle" {
					im.add(Skipped, locOf(o), "defineTable", "the first argument is not a sqliteTable(...)")
					continue
				}
				im.newTable(dt.str("name"), "defineTable", locOf(o), o.sub("config"), dt, false, defined)
			case key == "default" && kind == "feature":
				im.newTable(o.str("name"), "feature", locOf(o), o.sub("config"), nil, false, defined)
			case kind == "actions":
				im.actionDefs = append(im.actionDefs, actionDef{file: rel, where: locOf(o), table: o.val("table"), actions: o.sub("actions")})
			case kind == "drizzle":
				name := o.str("name")
				if d := byName[name]; d != nil {
					d.names = append(d.names, key)
					continue
				}
				d := &drizzleExport{o: o, names: []string{key}, file: rel}
				byName[name] = d
				drizzles = append(drizzles, d)
			case key == "default" && o != nil && o.has("actions") && kind == "":
				im.actionDefs = append(im.actionDefs, actionDef{file: rel, where: loc{File: rel, Line: 1}, actions: o.sub("actions")})
			case kind == "config":
				im.add(Skipped, locOf(o), "defineConfig", "a second defineConfig outside quickback.config.ts")
			case o != nil && o.has("__chain"):
				root, calls := chainOf(o)
				line := 0
				if len(calls) > 0 {
					line = calls[0].line
				}
				im.add(Skipped, loc{File: rel, Line: line}, "export "+key, "%s is not modelled", chainText(root, calls))
			}
		}
	}
	// Drizzle tables no defineTable wraps are internal: no API routes.
	for _, d := range drizzles {
		name := d.o.str("name")
		if defined[name] {
			if t := im.bySQL[name]; t != nil {
				for _, n := range d.names {
					im.byJS[n] = t
				}
			}
			continue
		}
		t := im.newTable(name, "internal table", locOf(d.o), nil, d.o, true, defined)
		if t != nil {
			for _, n := range d.names {
				im.byJS[n] = t
			}
			im.add(Imported, t.where, t.subject(), "internal table (no default export: no API routes); only actions insert into it")
		}
	}
	for _, t := range im.tables {
		im.columns(t)
		im.drizzleExtras(t)
		im.firewall(t)
		im.guards(t)
		im.tableOptions(t)
		im.masking(t)
		im.crud(t)
	}
	for _, t := range im.tables {
		for _, c := range t.cols {
			if c.refTable == "" {
				continue
			}
			target := im.bySQL[c.refTable]
			if target == nil {
				target = im.byJS[c.refTable]
			}
			if target == nil {
				im.add(Skipped, c.where, t.subject("columns", c.name), "references %q, which is not a table of the project", c.refTable)
				continue
			}
			if c.typ != "text" {
				im.add(Skipped, c.where, t.subject("columns", c.name), "a reference needs a text column")
				continue
			}
			c.def = insertAfter(c.def, kv{"references", target.name}, "unique", "default", "required", "values", "type")
		}
	}
	im.actionsOf()
}

// insertAfter puts e after the last of the keys present (in order of
// preference), keeping the column's options readable.
func insertAfter(m omap, e kv, after ...string) omap {
	for _, k := range after {
		for i := range m {
			if m[i].k == k {
				out := append(omap{}, m[:i+1]...)
				out = append(out, e)
				return append(out, m[i+1:]...)
			}
		}
	}
	return append(m, e)
}

// newTable registers a table; nil when its name is taken.
func (im *importer) newTable(srcName, kind string, where loc, cfg, drizzle *obj, internal bool, defined map[string]bool) *table {
	if srcName == "" {
		im.add(Skipped, where, kind, "a table without a name")
		return nil
	}
	name := qbTableName(srcName)
	if im.bySQL[srcName] != nil || tableNamed(im.tables, name) != nil {
		im.add(Skipped, where, "tables."+name, "defined twice; the first definition is kept")
		return nil
	}
	t := &table{name: name, srcName: srcName, where: where, kind: kind, config: cfg, drizzle: drizzle, internal: internal}
	im.tables = append(im.tables, t)
	im.bySQL[srcName] = t
	for _, n := range []string{srcName, name, lowerCamel(name)} {
		if im.byJS[n] == nil {
			im.byJS[n] = t
		}
	}
	defined[srcName] = true
	switch {
	case name == srcName:
	case sqlTableName.MatchString(srcName):
		// The config key is snake_case; the database keeps its name.
		t.head.set("table", srcName)
		im.add(Imported, where, t.subject(), "the database table %q, as tables.%s (table = %q)", srcName, name, srcName)
	default:
		im.add(Approximated, where, t.subject(), "table %q is named %q (qb table names are SQL identifiers; a database that has %q needs renaming)", srcName, name, srcName)
	}
	if !internal {
		im.add(Imported, where, t.subject(), "%s", kind)
	}
	return t
}

// sqlTableName is a table name `table = "..."` accepts.
var sqlTableName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func tableNamed(ts []*table, name string) *table {
	for _, t := range ts {
		if t.name == name {
			return t
		}
	}
	return nil
}

// lowerCamel turns interview_scores into interviewScores.
func lowerCamel(s string) string {
	parts := strings.Split(s, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

// admins picks [auth].admins, the default bypass of optional owner scopes
// (a qb notion): the roles from "admin" up, else the highest role.
func (im *importer) admins() []string {
	for i, r := range im.roles {
		if r == "admin" {
			return append([]string(nil), im.roles[i:]...)
		}
	}
	return []string{im.roles[len(im.roles)-1]}
}

// emit writes the TOML.
func (im *importer) emit() string {
	var b strings.Builder
	imp, appr, skip := (&Result{Report: im.report}).Counts()
	comment(&b, "Imported by `qb import` from a Quickback project; positions are relative to its quickback/ folder.")
	comment(&b, fmt.Sprintf("Report: %d imported, %d approximated, %d skipped (run `qb import` again to see it).", imp, appr, skip))
	b.WriteString("\n[project]\n")
	name := im.projectName
	if name == "" {
		name = filepath.Base(filepath.Dir(im.root))
	}
	fmt.Fprintf(&b, "name = %s\n", tomlString(name))
	fmt.Fprintf(&b, "database = %s\n", tomlString(dbName(name)))
	b.WriteString("\n[auth]\n")
	comment(&b, "quickback.config.ts: auth.roleHierarchy, lowest to highest")
	fmt.Fprintf(&b, "roles = %s\n", tomlValue(im.roles))
	comment(&b, "admins is qb's default bypass of optional owner scopes (Quickback has no such list)")
	fmt.Fprintf(&b, "admins = %s\n", tomlValue(im.admins()))
	comment(&b, "a Quickback project's identities are Better Auth's user, organization and member tables")
	fmt.Fprintf(&b, "source = %s\n", tomlString(schema.SourceBetterAuth))
	for _, t := range im.tables {
		im.emitTable(&b, t)
	}
	return b.String()
}

func dbName(project string) string {
	s := qbTableName(project)
	if s == "" || strings.HasPrefix(s, "t_") {
		s = "quickback"
	}
	return s + ".db"
}

// notesFor lists the approximated and skipped items of a subject (and, for
// a table, not of its actions).
func (im *importer) notesFor(subject string, actions bool) []string {
	var out []string
	for _, it := range im.report {
		if it.Status == Imported {
			continue
		}
		if it.Subject != subject && !strings.HasPrefix(it.Subject, subject+".") {
			continue
		}
		if !actions && strings.HasPrefix(it.Subject, subject+".actions.") {
			continue
		}
		rest := strings.TrimPrefix(strings.TrimPrefix(it.Subject, subject), ".")
		line := string(it.Status) + ": "
		if rest != "" {
			line += rest + ": "
		}
		line += it.Note
		if it.Where != "" {
			line += " (" + it.Where + ")"
		}
		out = append(out, line)
	}
	return out
}

func (im *importer) emitTable(b *strings.Builder, t *table) {
	b.WriteString("\n")
	comment(b, fmt.Sprintf("%s — %s at %s", t.name, t.kind, t.where))
	for _, n := range im.notesFor(t.subject(), false) {
		comment(b, n)
	}
	fmt.Fprintf(b, "[tables.%s]\n", tomlKey(t.name))
	for _, e := range t.head {
		fmt.Fprintf(b, "%s = %s\n", tomlKey(e.k), tomlValue(e.v))
	}
	if t.guardsOff {
		b.WriteString("guards = false\n")
	}
	fmt.Fprintf(b, "\n[tables.%s.columns]\n", tomlKey(t.name))
	for _, c := range t.cols {
		fmt.Fprintf(b, "%s = %s\n", tomlKey(c.name), tomlValue(c.def))
	}
	var fw omap
	if t.fwOrg != "" {
		o := omap{}
		if t.fwOrg != "organizationId" {
			o = omap{{"column", t.fwOrg}}
		}
		fw = append(fw, kv{"organization", o})
	}
	if t.fwOwner != "" {
		o := append(omap{}, t.ownerOpt...)
		if t.fwOwner != "ownerId" {
			o = append(o, kv{"column", t.fwOwner})
		}
		fw = append(fw, kv{"owner", o})
	}
	if t.errMode == "hide" {
		fw = append(fw, kv{"errorMode", "hide"})
	}
	im.section(b, t, "firewall", fw, "")
	if !t.guardsOff {
		im.section(b, t, "guards", t.guards, "")
	}
	if len(t.crud) > 0 {
		fmt.Fprintf(b, "\n[tables.%s.crud]\n", tomlKey(t.name))
		for _, e := range t.crud {
			for _, f := range e.v.(omap) {
				fmt.Fprintf(b, "%s.%s = %s\n", e.k, f.k, tomlValue(f.v))
			}
		}
	}
	im.section(b, t, "masking", t.masking, "")
	for _, a := range t.actions {
		im.emitAction(b, t, a)
	}
}

func (im *importer) section(b *strings.Builder, t *table, name string, m omap, prefix string) {
	if len(m) == 0 {
		return
	}
	fmt.Fprintf(b, "\n%s[tables.%s.%s]\n", prefix, tomlKey(t.name), name)
	for _, e := range m {
		fmt.Fprintf(b, "%s%s = %s\n", prefix, tomlKey(e.k), tomlValue(e.v))
	}
}

func (im *importer) emitAction(b *strings.Builder, t *table, a *action) {
	b.WriteString("\n")
	sub := t.subject("actions", a.name)
	comment(b, fmt.Sprintf("action %s at %s", a.orig, a.where))
	for _, n := range im.notesFor(sub, true) {
		comment(b, n)
	}
	p := ""
	if a.dropped != "" {
		comment(b, "NOT IMPORTED: "+a.dropped+"; as far as it could be read:")
		p = "# "
	} else if a.noEffects != "" {
		comment(b, "EFFECTS NOT IMPORTED: "+a.noEffects+"; the action only runs its transition")
	}
	fmt.Fprintf(b, "%s[tables.%s.actions.%s]\n", p, tomlKey(t.name), tomlKey(a.name))
	for _, e := range a.def {
		if e.k == "set" {
			continue
		}
		fmt.Fprintf(b, "%s%s = %s\n", p, tomlKey(e.k), tomlValue(e.v))
	}
	for _, in := range a.inputs {
		fmt.Fprintf(b, "%sinput.%s = %s\n", p, tomlKey(in.k), tomlValue(in.v))
	}
	if a.transition != nil {
		fmt.Fprintf(b, "%stransition = %s\n", p, tomlValue(a.transition))
	}
	if s, ok := a.def.get("set"); ok {
		fmt.Fprintf(b, "%sset = %s\n", p, tomlValue(s))
	}
	for _, ins := range a.inserts {
		fmt.Fprintf(b, "\n%s[[tables.%s.actions.%s.insert]]\n", p, tomlKey(t.name), tomlKey(a.name))
		fmt.Fprintf(b, "%stable = %s\n", p, tomlString(ins.table))
		fmt.Fprintf(b, "%svalues = %s\n", p, tomlValue(ins.values))
	}
}
