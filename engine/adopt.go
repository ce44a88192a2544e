package engine

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"quickback.dev/qb/schema"
)

// Adopting a database qb did not create (SPEC §9.2): a Quickback D1 export
// loaded into SQLite, or a local Wrangler database. qb never alters the
// config's tables there. It checks that each configured table and column
// exists with a compatible type (and, for timestamps and booleans, values
// of the declared form), reports every mismatch at once, ignores columns
// the config does not name, and adds only its own qb_* tables. This check
// is a step of its own, apart from the migration of a database qb created
// (layout.go), so that another database can get its own version of it.

// metaAdopted is the qb_meta key recording that qb adopted the database
// rather than created it.
const metaAdopted = "adopted"

// Mismatch is one way a database differs from what the config says of it:
// the database table and column (Column is "" for the table itself), what
// the config expects there and what the database has.
type Mismatch struct {
	Table    string `json:"table"`
	Column   string `json:"column,omitempty"`
	Expected string `json:"expected"`
	Found    string `json:"found"`
	// Config is where the expectation comes from ("tables.jobs.columns.status").
	Config string `json:"config,omitempty"`
}

func (m Mismatch) String() string {
	where := "table " + m.Table
	if m.Column != "" {
		where += ", column " + m.Column
	}
	if m.Config != "" {
		where += " (" + m.Config + ")"
	}
	return fmt.Sprintf("%s: expected %s, found %s", where, m.Expected, m.Found)
}

// isAdopted reports whether qb did not create this database. A database with
// qb_meta says so there; one without it is new when it holds no table at
// all, and adopted otherwise.
func (s *store) isAdopted(ctx context.Context) (bool, error) {
	var v string
	err := s.db.QueryRowContext(ctx, "SELECT value FROM qb_meta WHERE key = ?", metaAdopted).Scan(&v)
	if err == nil {
		return v == "1", nil
	}
	tables, err := s.d.tables(ctx, s.db)
	if err != nil {
		return false, s.wrapErr(err)
	}
	return !slices.Contains(tables, "qb_meta") && len(tables) > 0, nil
}

// adoption is what checking a database qb did not create found: the
// mismatches that keep it from being opened, and warnings that do not.
type adoption struct {
	Mismatches []Mismatch `json:"mismatches"`
	Warnings   []string   `json:"warnings"`
	// native are the columns kept in the database's own types (dialect.nativeType).
	native map[*schema.Column]bool
}

// sampleRows is how many rows of each table the check reads to learn how
// its timestamps and booleans are stored: enough to see the form, bounded
// so that opening a large database stays fast.
const sampleRows = 1000

// checkAdoption compares the database with the config: the config's tables
// and the identity source's.
func (s *store) checkAdoption(ctx context.Context) (*adoption, error) {
	a := &adoption{Mismatches: []Mismatch{}, Warnings: []string{}, native: map[*schema.Column]bool{}}
	for _, t := range s.cfg.Tables {
		have, err := s.tableColumns(ctx, s.db, t.SQLName)
		if err != nil {
			return nil, s.wrapErr(err)
		}
		if len(have) == 0 {
			a.Mismatches = append(a.Mismatches, Mismatch{Table: t.SQLName, Expected: "a table", Found: "no such table", Config: "tables." + t.Name})
			continue
		}
		if err := s.checkTable(ctx, t, have, a); err != nil {
			return nil, err
		}
	}
	if _, ok := s.ids.(qbIdentities); !ok {
		a.Mismatches = append(a.Mismatches, idMismatches(s.d, s.ids, func(name string) map[string]dbColumn {
			cols, _ := s.tableColumns(ctx, s.db, name)
			return cols
		})...)
	}
	return a, nil
}

// checkTable checks one config table that exists: its columns' types, the
// primary key, and a sample of the stored values.
func (s *store) checkTable(ctx context.Context, t *schema.Table, have map[string]dbColumn, a *adoption) error {
	var sampled []*schema.Column
	named := map[string]bool{}
	for _, c := range t.Columns {
		named[strings.ToLower(c.SQLName)] = true
		path := "tables." + t.Name + ".columns." + c.Name
		hc, ok := have[c.SQLName]
		if !ok {
			hc, ok = columnFold(have, c.SQLName)
		}
		if !ok {
			found := "no such column"
			if near := nearColumn(c.SQLName, have, t); near != "" {
				found += fmt.Sprintf(" (the table has %s: column = %q?)", near, near)
			}
			a.Mismatches = append(a.Mismatches, Mismatch{Table: t.SQLName, Column: c.SQLName, Expected: expectedType(c), Found: found, Config: path})
			continue
		}
		if !s.d.compatible(c, hc.typ) {
			a.Mismatches = append(a.Mismatches, Mismatch{Table: t.SQLName, Column: hc.name, Expected: expectedType(c), Found: foundType(hc.typ) + s.d.mismatchHint(c, hc.typ), Config: path})
			continue
		}
		if c.Type == schema.TypeID && !hc.pk {
			a.Mismatches = append(a.Mismatches, Mismatch{Table: t.SQLName, Column: hc.name, Expected: expectedType(c), Found: foundType(hc.typ) + " that is not the primary key", Config: path})
			continue
		}
		if hc.notNull && !hc.hasDefault && !notNull(t, c) && !c.System && c.Type != schema.TypeID {
			a.Warnings = append(a.Warnings, fmt.Sprintf("table %s, column %s: NOT NULL without a default in the database but optional in the config (%s): a write that leaves it empty is refused", t.SQLName, hc.name, path))
		}
		if s.d.nativeType(hc.typ) {
			// Its values are of the database's own type: nothing of
			// their form to sample.
			a.native[c] = true
		} else if c.Type == schema.TypeTimestamp || c.Type == schema.TypeBoolean || c.Type == schema.TypeEnum {
			sampled = append(sampled, c)
		}
	}
	var unnamed []string
	for name, hc := range have {
		if !named[strings.ToLower(name)] && hc.notNull && !hc.hasDefault && !hc.pk {
			unnamed = append(unnamed, name)
		}
	}
	sort.Strings(unnamed)
	for _, name := range unnamed {
		a.Warnings = append(a.Warnings, fmt.Sprintf("table %s, column %s: NOT NULL without a default and not in the config (tables.%s): creates through qb will fail until the config names it", t.SQLName, name, t.Name))
	}
	if err := s.checkUnique(ctx, t, a); err != nil {
		return err
	}
	if len(sampled) == 0 {
		return nil
	}
	return s.sampleValues(ctx, t, sampled, a)
}

// checkUnique warns about each unique constraint of the config that no
// unique index of the database enforces: qb refuses a duplicate through
// the database's constraint (UNIQUE_VIOLATION), so without one such a
// write succeeds.
func (s *store) checkUnique(ctx context.Context, t *schema.Table, a *adoption) error {
	type want struct {
		cols []string // config names
		path string
	}
	var wants []want
	for _, c := range t.Columns {
		if c.Unique {
			wants = append(wants, want{[]string{c.Name}, "tables." + t.Name + ".columns." + c.Name + ".unique"})
		}
	}
	for i, u := range t.Unique {
		wants = append(wants, want{u, fmt.Sprintf("tables.%s.unique[%d]", t.Name, i)})
	}
	if len(wants) == 0 {
		return nil
	}
	have, err := s.uniqueIndexColumns(ctx, t.SQLName)
	if err != nil {
		return err
	}
	for _, w := range wants {
		sqlNames := make([]string, len(w.cols))
		for i, n := range w.cols {
			if c := t.Column(n); c != nil {
				sqlNames[i] = c.SQLName
			}
		}
		if enforced(sqlNames, have) {
			continue
		}
		quoted := make([]string, len(sqlNames))
		for i, n := range sqlNames {
			quoted[i] = Q(n)
		}
		a.Warnings = append(a.Warnings, fmt.Sprintf("table %s: the config declares %s unique (%s) but no unique index of the database enforces it, so qb cannot refuse a duplicate; add one with the project's migrations (CREATE UNIQUE INDEX %s ON %s (%s)) or drop it from the config",
			t.SQLName, strings.Join(sqlNames, ", "), w.path, Q(t.SQLName+"_"+strings.Join(sqlNames, "_")+"_unique"), Q(t.SQLName), strings.Join(quoted, ", ")))
	}
	return nil
}

// enforced reports whether one of the unique indexes (each its columns)
// keeps cols unique: its columns are among them, in any order.
func enforced(cols []string, uniques [][]string) bool {
	for _, ix := range uniques {
		if len(ix) > 0 && !slices.ContainsFunc(ix, func(c string) bool {
			return !slices.ContainsFunc(cols, func(w string) bool { return strings.EqualFold(c, w) })
		}) {
			return true
		}
	}
	return false
}

// nearColumn is the column of the table, not named by the config, that a
// missing one is called instead: the same name spelt another way
// (organizationId for organization_id); "" for none. A merely similar
// name is no evidence (salary_max is not salary_min).
func nearColumn(name string, have map[string]dbColumn, t *schema.Table) string {
	squash := func(s string) string { return strings.ToLower(strings.ReplaceAll(s, "_", "")) }
	var free []string
	for n := range have {
		if !slices.ContainsFunc(t.Columns, func(c *schema.Column) bool { return strings.EqualFold(c.SQLName, n) }) {
			free = append(free, n)
		}
	}
	sort.Strings(free)
	for _, n := range free {
		if squash(n) == squash(name) {
			return n
		}
	}
	return ""
}

// columnFold finds a column by name regardless of case (SQLite compares
// names so).
func columnFold(have map[string]dbColumn, name string) (dbColumn, bool) {
	for n, c := range have {
		if strings.EqualFold(n, name) {
			return c, true
		}
	}
	return dbColumn{}, false
}

// sampleValues reads the first rows of t and checks the form of the
// values of cols: timestamps in the declared format, booleans 0 or 1,
// enum values among the declared ones.
func (s *store) sampleValues(ctx context.Context, t *schema.Table, cols []*schema.Column, a *adoption) error {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = Q(c.SQLName)
	}
	rows, err := s.db.QueryContext(ctx, fmt.Sprintf("SELECT %s FROM %s LIMIT %d", strings.Join(names, ", "), Q(t.SQLName), sampleRows))
	if err != nil {
		return s.wrapErr(err)
	}
	defer rows.Close()
	// Per column: the kinds of values seen, each with its first example.
	seen := make([]map[string]any, len(cols))
	for i := range seen {
		seen[i] = map[string]any{}
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return s.wrapErr(err)
		}
		for i, c := range cols {
			v := vals[i]
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			if v == nil {
				continue
			}
			if k := sampleKind(c, v); seen[i][k] == nil {
				seen[i][k] = v
			}
		}
	}
	if err := rows.Err(); err != nil {
		return s.wrapErr(err)
	}
	for i, c := range cols {
		s.judgeSample(t, c, seen[i], a)
	}
	return nil
}

// Kinds of a sampled value, besides the timestamp formats.
const (
	kindOK    = "ok"    // a boolean 0/1, an enum value the config lists
	kindOther = "other" // anything else
)

var (
	isoMillisRE  = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
	isoSecondsRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)
)

// sampleKind classifies a stored value of c: for a timestamp, the format it
// is in (kindOther when none); for a boolean or an enum, kindOK when it is
// a value the column may hold.
func sampleKind(c *schema.Column, v any) string {
	switch c.Type {
	case schema.TypeTimestamp:
		switch x := v.(type) {
		case int64:
			return string(epochFormat(x))
		case float64:
			return string(epochFormat(int64(x)))
		case string:
			switch {
			case isoMillisRE.MatchString(x):
				return string(schema.TimeISOMillis)
			case isoSecondsRE.MatchString(x):
				return string(schema.TimeISOSeconds)
			}
		}
	case schema.TypeBoolean:
		if x, ok := v.(int64); ok && (x == 0 || x == 1) {
			return kindOK
		}
	case schema.TypeEnum:
		if x, ok := v.(string); ok && slices.Contains(c.Values, x) {
			return kindOK
		}
	}
	return kindOther
}

// epochFormat tells epoch milliseconds from seconds by size: seconds reach
// 1e11 only in the year 5138.
func epochFormat(n int64) schema.TimeFormat {
	if n >= 1e11 || n <= -1e11 {
		return schema.TimeEpochMillis
	}
	return schema.TimeEpochSeconds
}

// judgeSample turns what a column's sample holds into mismatches (no value
// of the declared form) and warnings (some values of another form).
func (s *store) judgeSample(t *schema.Table, c *schema.Column, seen map[string]any, a *adoption) {
	want := kindOK
	if c.Type == schema.TypeTimestamp {
		want = string(c.Format)
	}
	var others []string
	for k := range seen {
		if k != want {
			others = append(others, k)
		}
	}
	if len(others) == 0 {
		return
	}
	sort.Strings(others)
	path := "tables." + t.Name + ".columns." + c.Name
	example := seen[others[0]]
	switch {
	case c.Type == schema.TypeEnum:
		a.Warnings = append(a.Warnings, fmt.Sprintf("table %s, column %s (%s): holds values the config does not list, for example %s; they sort after the listed ones", t.SQLName, c.SQLName, path, sampleText(example)))
	case seen[want] == nil:
		a.Mismatches = append(a.Mismatches, Mismatch{Table: t.SQLName, Column: c.SQLName, Expected: expectedType(c), Found: describeSample(c, others, example), Config: path})
	default:
		what := "other values"
		if c.Type == schema.TypeTimestamp && others[0] != kindOther {
			what = formatText(schema.TimeFormat(others[0]))
		}
		a.Warnings = append(a.Warnings, fmt.Sprintf("table %s, column %s (%s): holds %s as well as the declared %s, for example %s; sorting and range filters compare them as stored",
			t.SQLName, c.SQLName, path, what, expectedType(c), sampleText(example)))
	}
}

// describeSample says what a sample holds instead of the declared form,
// and for a timestamp in another known format, how to declare it.
func describeSample(c *schema.Column, kinds []string, example any) string {
	if c.Type != schema.TypeTimestamp {
		return "other values, for example " + sampleText(example)
	}
	if len(kinds) == 1 && kinds[0] != kindOther {
		f := schema.TimeFormat(kinds[0])
		return fmt.Sprintf("%s, for example %s: declare format = %q", formatText(f), sampleText(example), f)
	}
	return "values in no single timestamp format, for example " + sampleText(example)
}

// sampleText quotes a sampled value, cut short.
func sampleText(v any) string {
	s, ok := v.(string)
	if !ok {
		return fmt.Sprint(v)
	}
	if r := []rune(s); len(r) > 40 {
		s = string(r[:40]) + "…"
	}
	return fmt.Sprintf("%q", s)
}

// formatText describes a timestamp format.
func formatText(f schema.TimeFormat) string {
	switch f {
	case schema.TimeISOSeconds:
		return "ISO-8601 text without milliseconds (2026-01-18T11:30:00Z)"
	case schema.TimeEpochMillis:
		return "integers of epoch milliseconds"
	case schema.TimeEpochSeconds:
		return "integers of epoch seconds"
	}
	return "ISO-8601 text with milliseconds (2026-01-18T11:30:00.000Z)"
}

// The type affinities of SQLite (https://sqlite.org/datatype3.html §3.1),
// which decide what a declared type may hold.
const (
	affText    = "TEXT"
	affInteger = "INTEGER"
	affReal    = "REAL"
	affNumeric = "NUMERIC"
	affNone    = "" // no declared type: any value, as given
	affBlob    = "BLOB"
)

// affinity is the affinity of a declared column type.
func affinity(decl string) string {
	d := strings.ToUpper(decl)
	switch {
	case strings.TrimSpace(d) == "":
		return affNone
	case strings.Contains(d, "INT"):
		return affInteger
	case strings.Contains(d, "CHAR"), strings.Contains(d, "CLOB"), strings.Contains(d, "TEXT"):
		return affText
	case strings.Contains(d, "BLOB"):
		return affBlob
	case strings.Contains(d, "REAL"), strings.Contains(d, "FLOA"), strings.Contains(d, "DOUB"):
		return affReal
	}
	return affNumeric
}

// compatibleAffinity reports whether a column of affinity have holds what
// qb stores with affinity want. A column without a declared type holds
// anything as given.
func compatibleAffinity(have, want string) bool {
	switch {
	case have == affNone || have == want:
		return true
	case want == affInteger:
		return have == affNumeric
	case want == affReal:
		return have == affNumeric
	}
	return false
}

// compatible reports whether a database column of affinity aff can hold
// the config column c as qb stores it. JSON and ISO timestamps are text no
// number parses from, so a NUMERIC column ("json", "datetime") keeps them.
func compatible(c *schema.Column, aff string) bool {
	if aff == affNumeric && (c.Type == schema.TypeJSON || c.Type == schema.TypeTimestamp) {
		return true
	}
	return compatibleAffinity(aff, affinity(sqlType(c)))
}

// expectedType says what the config expects of a column's database type.
func expectedType(c *schema.Column) string {
	switch c.Type {
	case schema.TypeID:
		return "text primary key"
	case schema.TypeInteger:
		return "integer"
	case schema.TypeReal:
		return "real"
	case schema.TypeBoolean:
		return "integer (0 or 1)"
	case schema.TypeTimestamp:
		switch c.Format {
		case schema.TimeEpochMillis:
			return "integer (epoch milliseconds)"
		case schema.TimeEpochSeconds:
			return "integer (epoch seconds)"
		}
		return "text (" + formatText(c.Format) + ")"
	}
	return "text"
}

// foundType names a declared type as the database declares it.
func foundType(decl string) string {
	if strings.TrimSpace(decl) == "" {
		return "a column without a type"
	}
	return strings.ToLower(decl)
}

// Adopted reports whether qb did not create the database: it checks the
// config's tables there and never changes them.
func (e *Engine) Adopted() bool { return e.store.adopted }

// CreatedTables are the config tables Open created in a database qb did
// not create (Options.CreateTables), by config name.
func (e *Engine) CreatedTables() []string { return e.store.createdTables }

// DatabaseCheck is what `qb check --db` reports of a database beyond the
// config: whether qb created it, where identities come from, warnings that
// do not keep it from being opened, and the indexes qb would add.
type DatabaseCheck struct {
	Path string `json:"path"`
	// Adopted: qb did not create the database and never changes its tables.
	Adopted  bool              `json:"adopted"`
	Source   string            `json:"identities"`
	Warnings []string          `json:"warnings"`
	Indexes  []IndexSuggestion `json:"indexes"`
	// SearchIndexes are the search indexes the database lacks (search.go).
	SearchIndexes []IndexSuggestion `json:"searchIndexes"`
}

// CheckDatabase checks the open database against the config: on one qb
// adopted, the warnings of its adoption check (mismatches keep it from
// opening at all); on any, memberships whose role the config does not
// know, and the indexes that would make the firewall's scans seeks.
func (e *Engine) CheckDatabase(ctx context.Context) (*DatabaseCheck, error) {
	s := e.store
	c := &DatabaseCheck{Path: s.path, Adopted: s.adopted, Source: s.ids.describe(), Warnings: []string{}}
	if s.adopted {
		a, err := s.checkAdoption(ctx)
		if err != nil {
			return nil, err
		}
		c.Warnings = append(c.Warnings, a.Warnings...)
	}
	roles, err := s.unknownRoles(ctx)
	if err != nil {
		return nil, err
	}
	c.Warnings = append(c.Warnings, roles...)
	if c.Indexes, err = e.SuggestedIndexes(ctx); err != nil {
		return nil, err
	}
	sugg, why, err := s.d.searchIndexer().missing(ctx, s)
	if err != nil {
		return nil, err
	}
	c.SearchIndexes = sugg
	if why != "" {
		c.Warnings = append(c.Warnings, "searches and ~ filters scan their rows: "+why)
	}
	return c, nil
}

// unknownRoles warns about memberships whose role is not in [auth].roles:
// such a member is listed but can do nothing (SPEC §2.1).
func (s *store) unknownRoles(ctx context.Context) ([]string, error) {
	if s.identitiesMissing(ctx) != nil {
		return nil, nil
	}
	rows, err := s.db.QueryContext(ctx, "SELECT role, count(*) FROM ("+s.ids.membersRel()+") m GROUP BY role ORDER BY role")
	if err != nil {
		return nil, s.wrapErr(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var role string
		var n int
		if err := rows.Scan(&role, &n); err != nil {
			return nil, s.wrapErr(err)
		}
		if s.cfg.RoleIndex(role) >= 0 {
			continue
		}
		what := "1 membership has"
		if n != 1 {
			what = fmt.Sprintf("%d memberships have", n)
		}
		out = append(out, fmt.Sprintf("%s the role %q, which [auth].roles does not list (%s): those members can do nothing until it does", what, role, strings.Join(s.cfg.Auth.Roles, ", ")))
	}
	return out, s.wrapErr(rows.Err())
}
