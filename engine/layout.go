package engine

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"

	"quickback.dev/qb/schema"
)

// The database's layout: the DDL of the config's tables and the console's
// own (qb_*), and the migration that brings a database in line with a
// config or refuses a change it cannot make safely.

// formatVersion is the version of the console's own tables (qb_*). A database
// written by a newer version is refused rather than misread. Format 2 added
// the real role, the reason and the hash version to qb_audit; a database of
// format 1 is brought to format 2 when it is opened for writing, its
// entries verifying under the formula they were written with.
const formatVersion = 2

const metaDDL = `CREATE TABLE IF NOT EXISTS qb_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`

// ownDDL creates what the console keeps in every database: qb_meta, the
// audit log and the identity source's tables — Better Auth's only in a
// database qb creates (in one it adopts they are the project's).
func (s *store) ownDDL() []string {
	out := []string{metaDDL}
	if _, isQB := s.ids.(qbIdentities); isQB || !s.adopted {
		out = append(out, s.ids.ddl(s.d)...)
	}
	return append(out, auditDDL(s.d))
}

// sqlType is the declared type qb gives a column on SQLite: integers,
// booleans and epoch timestamps are INTEGER.
func sqlType(c *schema.Column) string { return columnType(sqliteDialect{}, c) }

// notNull reports whether the column is NOT NULL in the database.
func notNull(t *schema.Table, c *schema.Column) bool {
	return c.Type == schema.TypeID || c.Required || c.Name == "createdAt"
}

func columnDDL(d dialect, cfg *schema.Config, t *schema.Table, c *schema.Column) string {
	var b strings.Builder
	typ := columnType(d, c)
	b.WriteString(Q(c.SQLName) + " " + typ)
	if typ == "TEXT" {
		b.WriteString(d.textCollation())
	}
	if c.Type == schema.TypeID {
		b.WriteString(" PRIMARY KEY")
	}
	if notNull(t, c) {
		b.WriteString(" NOT NULL")
	}
	var checks []string
	switch {
	case c.Type == schema.TypeEnum && len(c.Values) > 0:
		vals := make([]string, len(c.Values))
		for i, v := range c.Values {
			vals[i] = "'" + strings.ReplaceAll(v, "'", "''") + "'"
		}
		checks = append(checks, fmt.Sprintf("%s IN (%s)", Q(c.SQLName), strings.Join(vals, ",")))
	case c.Type == schema.TypeBoolean:
		checks = append(checks, fmt.Sprintf("%s IN (0,1)", Q(c.SQLName)))
	}
	if c.Min != nil {
		checks = append(checks, fmt.Sprintf("%s >= %v", Q(c.SQLName), *c.Min))
	}
	if c.Max != nil {
		checks = append(checks, fmt.Sprintf("%s <= %v", Q(c.SQLName), *c.Max))
	}
	if c.MaxLength != nil {
		checks = append(checks, fmt.Sprintf("length(%s) <= %d", Q(c.SQLName), *c.MaxLength))
	}
	for _, ch := range checks {
		b.WriteString(" CHECK (" + ch + ")")
	}
	if c.Unique {
		b.WriteString(" UNIQUE")
	}
	if c.References != "" {
		if rt := cfg.Table(c.References); rt != nil && rt.PrimaryKey() != nil {
			b.WriteString(" REFERENCES " + Q(rt.SQLName) + "(" + Q(rt.PrimaryKey().SQLName) + ")")
		}
	}
	return b.String()
}

// tableDDL is the CREATE TABLE statement of a config table.
func tableDDL(d dialect, cfg *schema.Config, t *schema.Table) string {
	var parts []string
	for _, c := range t.Columns {
		parts = append(parts, columnDDL(d, cfg, t, c))
	}
	for _, u := range t.Unique {
		cols := make([]string, len(u))
		for i, n := range u {
			cols[i] = Q(t.Column(n).SQLName)
		}
		parts = append(parts, "UNIQUE ("+strings.Join(cols, ", ")+")")
	}
	return "CREATE TABLE IF NOT EXISTS " + Q(t.SQLName) + " (\n  " + strings.Join(parts, ",\n  ") + "\n)"
}

// tableIndex is an index qb gives a config table.
type tableIndex struct {
	name, table string
	// cols are SQL column names, in order, and specs their terms in the
	// DDL; where is a partial index's condition ("" for none).
	cols, specs []string
	where       string
	// seek marks the indexes that make the firewall's scope and keyset
	// pages an index seek: the ones suggested for a database qb adopts.
	seek bool
}

func (x tableIndex) ddl() string {
	s := fmt.Sprintf("CREATE INDEX IF NOT EXISTS %s ON %s (%s)", Q(x.name), Q(x.table), strings.Join(x.specs, ", "))
	if x.where != "" {
		s += " WHERE " + x.where
	}
	return s
}

// tableIndexes lists the indexes of a config table: the firewall scope in
// default-sort order (partial on live rows, so keyset pages seek instead of
// scanning), the owner scope, references, and the soft-delete column.
func tableIndexes(d dialect, t *schema.Table) []tableIndex {
	var out []tableIndex
	nullable := map[string]bool{}
	for _, c := range t.Columns {
		nullable[c.SQLName] = !notNull(t, c)
	}
	idx := func(name string, cols []string, where string, seek bool) {
		specs := make([]string, len(cols))
		for i, c := range cols {
			specs[i] = d.indexColumn(c, nullable[c])
		}
		out = append(out, tableIndex{name: d.indexName("qbx_" + t.Name + "_" + name), table: t.SQLName, cols: cols, specs: specs, where: where, seek: seek})
	}
	deleted := t.Column("deletedAt").SQLName
	live := Q(deleted) + " IS NULL"
	var scope []string
	if oc := t.OrgColumn(); oc != nil {
		scope = append(scope, oc.SQLName)
	}
	order := sortColumnNames(t)
	idx("scope", append(append([]string{}, scope...), order...), live, true)
	if owc := t.OwnerColumn(); owc != nil {
		idx("owner", append(append(append([]string{}, scope...), owc.SQLName), order...), live, true)
	}
	for _, c := range t.Columns {
		if c.References != "" {
			idx("ref_"+c.SQLName, []string{c.SQLName}, "", false)
		}
	}
	idx("deleted", []string{deleted}, "", false)
	return out
}

// indexDDL lists the CREATE INDEX statements of a config table's indexes.
func indexDDL(d dialect, t *schema.Table) []string {
	var out []string
	for _, x := range tableIndexes(d, t) {
		out = append(out, x.ddl())
	}
	return out
}

// sortColumnNames are the SQL names of the default sort keys and the
// primary key, the order a default list reads in.
func sortColumnNames(t *schema.Table) []string {
	var out []string
	seen := map[string]bool{}
	for _, k := range t.DefaultSort {
		if c := t.Column(k.Column); c != nil && !seen[c.Name] {
			seen[c.Name] = true
			out = append(out, c.SQLName)
		}
	}
	if pk := t.PrimaryKey(); pk != nil && !seen[pk.Name] {
		out = append(out, pk.SQLName)
	}
	return out
}

// LayoutError is a difference between the config and the database that
// cannot be applied without losing data, or (Adopted) any mismatch of a
// database qb did not create, which qb never changes.
type LayoutError struct {
	Path        string
	Differences []string
	// Mismatches are those of an adopted database, each named by table,
	// column, expected and found.
	Mismatches []Mismatch
	Adopted    bool
}

func (e *LayoutError) Error() string {
	if e.Adopted {
		lines := make([]string, len(e.Mismatches))
		for i, m := range e.Mismatches {
			lines[i] = m.String()
		}
		return fmt.Sprintf("database %s was not created by qb and does not match the config (%d mismatches; qb never changes its tables):\n  %s\nchange the config to describe the database as it is (column = \"...\", table = \"...\", format = \"...\"), or change the database with the project's own migrations",
			e.Path, len(e.Mismatches), strings.Join(lines, "\n  "))
	}
	return fmt.Sprintf("database %s does not match the config and cannot be changed safely:\n  %s\nrestore the config, or migrate the database by hand", e.Path, strings.Join(e.Differences, "\n  "))
}

// dbColumn is a column as the database declares it.
type dbColumn struct {
	name, typ string
	notNull   bool
	// hasDefault: the column has a DEFAULT; pk: it is (part of) the
	// primary key.
	hasDefault, pk bool
}

// tableColumns reads the columns of a table by name (none when there is no
// such table).
func (s *store) tableColumns(ctx context.Context, q queryer, table string) (map[string]dbColumn, error) {
	return s.d.tableColumns(ctx, q, table)
}

// plan compares the config with the database and returns the statements that
// bring the database in line, or a LayoutError.
func (s *store) plan(ctx context.Context) ([]string, error) {
	var stmts, diffs []string
	if _, isQB := s.ids.(qbIdentities); !isQB {
		// Identity tables the database has already must read as the
		// source reads them; missing ones are created with the rest.
		for _, m := range idMismatches(s.d, s.ids, func(name string) map[string]dbColumn {
			cols, _ := s.tableColumns(ctx, s.db, name)
			return cols
		}) {
			if m.Found != "no such table" {
				diffs = append(diffs, m.String())
			}
		}
	}
	for _, t := range s.cfg.Tables {
		have, err := s.tableColumns(ctx, s.db, t.SQLName)
		if err != nil {
			return nil, fmt.Errorf("database %s: %w", s.path, err)
		}
		if len(have) == 0 {
			stmts = append(stmts, tableDDL(s.d, s.cfg, t))
			stmts = append(stmts, indexDDL(s.d, t)...)
			if !t.Internal {
				stmts = append(stmts, s.d.searchIndexer().newTableDDL(ctx, s, t)...)
			}
			continue
		}
		// A column of the database the config does not name is left
		// alone: every statement names its columns, so it is never read or
		// written (qb opens databases it did not create).
		for _, c := range t.Columns {
			hc, ok := have[c.SQLName]
			if !ok {
				if notNull(t, c) {
					diffs = append(diffs, fmt.Sprintf("table %s: new column %s is required and the table has rows; make it optional first", t.Name, c.Name))
					continue
				}
				stmts = append(stmts, "ALTER TABLE "+Q(t.SQLName)+" ADD COLUMN "+columnDDL(s.d, s.cfg, t, c))
				continue
			}
			if want := columnType(s.d, c); !strings.EqualFold(hc.typ, want) {
				diffs = append(diffs, fmt.Sprintf("table %s: column %s is %s in the database but %s (%s) in the config", t.Name, c.Name, hc.typ, want, c.Type))
			}
		}
		stmts = append(stmts, indexDDL(s.d, t)...)
	}
	if len(diffs) > 0 {
		return nil, &LayoutError{Path: s.path, Differences: diffs}
	}
	return stmts, nil
}

// checkFormat refuses a database written by a newer version of the console.
func (s *store) checkFormat(ctx context.Context) error {
	var version string
	if err := s.db.QueryRowContext(ctx, "SELECT value FROM qb_meta WHERE key = 'format'").Scan(&version); err == nil {
		var v int
		fmt.Sscan(version, &v)
		if v > formatVersion {
			return fmt.Errorf("database %s was written by a newer Quickback Console (format %d; this one reads %d): upgrade qb, or open a copy made for this version", s.path, v, formatVersion)
		}
	}
	return nil
}

// prepare reads what the layout depends on before anything is written: the
// format (a newer one is refused), whether qb created the database, and the
// identity source over it.
func (s *store) prepare(ctx context.Context) error {
	if err := s.checkFormat(ctx); err != nil {
		return err
	}
	adopted, err := s.isAdopted(ctx)
	if err != nil {
		return err
	}
	s.adopted = adopted
	s.ids, err = identitySourceFor(ctx, s.cfg, s.d, s.db)
	return s.wrapErr(err)
}

// identitiesMissing is why identities cannot be read: a read-only database
// qb adopted keeps them in qb_* tables it has not added yet (nil when they
// can be read).
func (s *store) identitiesMissing(ctx context.Context) error {
	if _, isQB := s.ids.(qbIdentities); !isQB || !s.adopted {
		return nil
	}
	if cols, err := s.tableColumns(ctx, s.db, "qb_users"); err != nil || len(cols) > 0 {
		return s.wrapErr(err)
	}
	return fmt.Errorf("database %s has no identities yet: qb adds its qb_users, qb_organizations and qb_members tables when it may write the database (set [auth].source = \"better-auth\" when the project's identities are in Better Auth's tables)", s.path)
}

// migrate brings the database in line with the config in one transaction.
// The plan is made first, so a database that cannot be changed safely (or
// was written by a newer version) is refused before anything is written.
// A database qb did not create is only checked (checkAdoption): qb adds its
// own tables to it and nothing else, unless createTables asks it to create
// the config's tables the database lacks (`qb migrate`).
func (s *store) migrate(ctx context.Context, createTables bool) error {
	if !createTables {
		if ok, err := s.layoutCurrent(ctx); ok || err != nil {
			return err
		}
	}
	if err := s.migrateAll(ctx, createTables); err != nil {
		return err
	}
	return s.readOrdering(ctx)
}

// migrateAll is migrate's full check and migration.
func (s *store) migrateAll(ctx context.Context, createTables bool) error {
	if err := s.prepare(ctx); err != nil {
		return err
	}
	var stmts []string
	var err error
	if s.adopted {
		stmts, err = s.refuseMismatches(ctx, createTables)
	} else {
		stmts, err = s.plan(ctx)
	}
	if err != nil {
		return err
	}
	own := s.ownDDL()
	if s.upToDate(ctx, own, stmts) {
		// Nothing to write: opening needs no write lock, so a database
		// another process is writing can still be opened and read. The
		// layout is recorded if the lock is free at once.
		s.recordLayout(ctx)
		return nil
	}
	tx, err := s.d.begin(ctx, s.db, true)
	if err != nil {
		return s.wrapErr(err)
	}
	defer tx.Rollback()
	for _, st := range own {
		if _, err := tx.ExecContext(ctx, st); err != nil {
			return s.wrapErr(err)
		}
	}
	alter, err := s.missingAuditColumns(ctx, tx)
	if err != nil {
		return s.wrapErr(err)
	}
	for _, st := range alter {
		if _, err := tx.ExecContext(ctx, st); err != nil {
			return s.wrapErr(err)
		}
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO qb_meta(key, value) VALUES ('format', ?) ON CONFLICT (key) DO NOTHING", fmt.Sprint(formatVersion)); err != nil {
		return s.wrapErr(err)
	}
	if _, err := tx.ExecContext(ctx, "UPDATE qb_meta SET value = ? WHERE key = 'format' AND CAST(value AS INTEGER) < ?", fmt.Sprint(formatVersion), formatVersion); err != nil {
		return s.wrapErr(err)
	}
	if s.adopted {
		if _, err := tx.ExecContext(ctx, "INSERT INTO qb_meta(key, value) VALUES (?, '1') ON CONFLICT (key) DO NOTHING", metaAdopted); err != nil {
			return s.wrapErr(err)
		}
	}
	for _, st := range stmts {
		if _, err := tx.ExecContext(ctx, st); err != nil {
			return fmt.Errorf("database %s: %s: %w", s.path, firstLine(st), err)
		}
	}
	if !createTables {
		if err := s.writeLayout(ctx, tx); err != nil {
			return s.wrapErr(err)
		}
	}
	if err := tx.Commit(); err != nil {
		return s.wrapErr(err)
	}
	// The source reads the columns of tables this transaction may have
	// created.
	s.ids, err = identitySourceFor(ctx, s.cfg, s.d, s.db)
	return s.wrapErr(err)
}

// refuseMismatches checks an adopted database (checkAdoption) and refuses
// it with every mismatch. With createTables, a config table the database
// lacks is not a mismatch: its CREATE statements are returned.
func (s *store) refuseMismatches(ctx context.Context, createTables bool) ([]string, error) {
	a, err := s.checkAdoption(ctx)
	if err != nil {
		return nil, err
	}
	s.native = a.native
	var stmts []string
	var mm []Mismatch
	for _, m := range a.Mismatches {
		if t := s.cfg.TableBySQLName(m.Table); createTables && t != nil && m.Column == "" {
			stmts = append(stmts, tableDDL(s.d, s.cfg, t))
			s.createdTables = append(s.createdTables, t.Name)
			continue
		}
		mm = append(mm, m)
	}
	if len(mm) > 0 {
		return nil, &LayoutError{Path: s.path, Mismatches: mm, Adopted: true}
	}
	return stmts, nil
}

// upToDate reports whether the database already holds everything migrate
// would create: the console's tables and format, and every object of stmts
// (which must all be CREATE … IF NOT EXISTS).
func (s *store) upToDate(ctx context.Context, own, stmts []string) bool {
	var format string
	if err := s.db.QueryRowContext(ctx, "SELECT value FROM qb_meta WHERE key = 'format'").Scan(&format); err != nil || format != fmt.Sprint(formatVersion) {
		return false
	}
	if s.adopted {
		var v string
		if err := s.db.QueryRowContext(ctx, "SELECT value FROM qb_meta WHERE key = ?", metaAdopted).Scan(&v); err != nil {
			return false
		}
	}
	if alter, err := s.missingAuditColumns(ctx, s.db); err != nil || len(alter) > 0 {
		return false
	}
	return len(s.pending(ctx, append(append([]string{}, own...), stmts...))) == 0
}

// pending lists the statements of stmts that would change the database:
// every one but a CREATE … IF NOT EXISTS of an object that exists.
func (s *store) pending(ctx context.Context, stmts []string) []string {
	var out []string
	for _, st := range stmts {
		if name, ok := createdName(st); ok {
			if found, err := s.d.exists(ctx, s.db, name); err == nil && found {
				continue
			}
		}
		out = append(out, st)
	}
	return out
}

// createdName is the name of the object a CREATE … IF NOT EXISTS statement
// creates; ok is false for any other statement.
func createdName(st string) (string, bool) {
	const marker = " IF NOT EXISTS "
	if !strings.HasPrefix(st, "CREATE ") {
		return "", false
	}
	i := strings.Index(st, marker)
	if i < 0 {
		return "", false
	}
	rest := st[i+len(marker):]
	if strings.HasPrefix(rest, `"`) {
		for j := 1; j < len(rest); j++ {
			if rest[j] == '"' {
				if j+1 < len(rest) && rest[j+1] == '"' {
					j++
					continue
				}
				return strings.ReplaceAll(rest[1:j], `""`, `"`), true
			}
		}
		return "", false
	}
	if j := strings.IndexAny(rest, " ("); j > 0 {
		return rest[:j], true
	}
	return "", false
}

// checkLayout verifies a read-only database already matches the config.
func (s *store) checkLayout(ctx context.Context) error {
	if ok, err := s.layoutCurrent(ctx); ok || err != nil {
		return err
	}
	if err := s.checkAll(ctx); err != nil {
		return err
	}
	return s.readOrdering(ctx)
}

// checkAll is checkLayout's full check.
func (s *store) checkAll(ctx context.Context) error {
	if err := s.prepare(ctx); err != nil {
		return err
	}
	if s.adopted {
		_, err := s.refuseMismatches(ctx, false)
		return err
	}
	stmts, err := s.plan(ctx)
	if err != nil {
		return err
	}
	for _, st := range stmts {
		if !strings.HasPrefix(st, "CREATE INDEX") {
			return fmt.Errorf("database %s is read-only and lacks what the config declares (%s)", s.path, firstLine(st))
		}
	}
	return nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// The layout record: opening a database checks it against the config (the
// tables and columns, their types and formats, the console's own tables)
// with a few dozen reads of the schema. Once a check has passed, qb_meta
// records a hash of everything that check depends on in the config,
// together with the database's schema version (which SQLite changes with
// every CREATE, ALTER or DROP, whoever runs it). While both still match,
// opening reads that one row instead of checking again.

// metaLayout is the qb_meta key of the layout record.
const metaLayout = "layout"

// layoutHash is the hash of everything in the config the layout check
// depends on: the format, the identity source, and each table's DDL,
// indexes and timestamp formats.
func (s *store) layoutHash() string {
	h := sha256.New()
	fmt.Fprintf(h, "qb layout\nformat %d\nauth %s\n", formatVersion, s.cfg.Auth.Source)
	for _, t := range s.cfg.Tables {
		fmt.Fprintf(h, "table %s\n%s\n", t.Name, tableDDL(s.d, s.cfg, t))
		for _, x := range indexDDL(s.d, t) {
			fmt.Fprintf(h, "%s\n", x)
		}
		for _, c := range t.Columns {
			fmt.Fprintf(h, "column %s %s %s %s\n", c.Name, c.SQLName, c.Type, c.Format)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// A layoutRecord lets an open skip the layout check: the database records
// that it passed the check for this config at a version of its schema
// (SQLite's schema_version, which every DDL statement changes). The
// dialect chooses it; PostgreSQL has no schema version to tie a record to,
// so its databases are always checked (noLayoutRecord).
type layoutRecord interface {
	// current reports whether the database records that it passed the
	// layout check for this config and its schema has not changed
	// since; it then sets what the check would have (adopted, the
	// identity source, the audit format, the search indexes).
	current(ctx context.Context, s *store) (bool, error)
	// write records, inside tx (which holds the write lock), that the
	// database passed the layout check at its current schema version.
	write(ctx context.Context, s *store, tx queryExecer) error
	// record writes the record after a check that changed nothing, when
	// it is missing or stale and no other writer holds the lock at this
	// moment (opening never waits for it: the next open records it).
	record(ctx context.Context, s *store)
}

// layoutCurrent reports whether the database records that it passed the
// layout check for this config (layoutRecord.current).
func (s *store) layoutCurrent(ctx context.Context) (bool, error) {
	return s.d.layoutRecord().current(ctx, s)
}

// writeLayout records in tx that the database passed the layout check.
func (s *store) writeLayout(ctx context.Context, tx queryExecer) error {
	return s.d.layoutRecord().write(ctx, s, tx)
}

// recordLayout records a passed check if the lock is free at once.
func (s *store) recordLayout(ctx context.Context) {
	if !s.readOnly {
		s.d.layoutRecord().record(ctx, s)
	}
}

// schemaVersionRecord is SQLite's layoutRecord: qb_meta's layout key holds
// the config's layout hash and the schema_version it was checked at. One
// read.
type schemaVersionRecord struct{}

func (schemaVersionRecord) current(ctx context.Context, s *store) (bool, error) {
	var format, adopted, layout, search sql.NullString
	var version int64
	err := s.db.QueryRowContext(ctx, `SELECT
  (SELECT value FROM qb_meta WHERE key = 'format'),
  (SELECT value FROM qb_meta WHERE key = ?),
  (SELECT value FROM qb_meta WHERE key = ?),
  `+searchSchemaSQL+`,
  (SELECT schema_version FROM pragma_schema_version)`, metaAdopted, metaLayout).Scan(&format, &adopted, &layout, &search, &version)
	if err != nil || format.String != fmt.Sprint(formatVersion) || layout.String != s.layoutHash()+" "+fmt.Sprint(version) {
		// No record (a new database, one without qb_meta, an older qb's)
		// or a stale one: the full check decides.
		return false, nil
	}
	s.adopted = adopted.String == "1"
	m := s.searchIndexesIn(search.String)
	s.search.Store(&m)
	s.auditV2 = true // format 2
	s.auditKnown = true
	ids, err := identitySourceFor(ctx, s.cfg, s.d, s.db)
	if err != nil {
		return false, s.wrapErr(err)
	}
	s.ids = ids
	return true, nil
}

func (schemaVersionRecord) write(ctx context.Context, s *store, tx queryExecer) error {
	var version int64
	if err := tx.QueryRowContext(ctx, "SELECT schema_version FROM pragma_schema_version").Scan(&version); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, "INSERT OR REPLACE INTO qb_meta(key, value) VALUES (?, ?)", metaLayout, s.layoutHash()+" "+fmt.Sprint(version))
	return err
}

func (r schemaVersionRecord) record(ctx context.Context, s *store) {
	var have string
	var version int64
	if err := s.db.QueryRowContext(ctx, "SELECT (SELECT value FROM qb_meta WHERE key = ?), (SELECT schema_version FROM pragma_schema_version)", metaLayout).Scan(&have, &version); err == nil && have == s.layoutHash()+" "+fmt.Sprint(version) {
		return
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "PRAGMA busy_timeout = 0"); err != nil {
		return
	}
	defer conn.ExecContext(context.Background(), fmt.Sprintf("PRAGMA busy_timeout = %d", s.busyTimeout()))
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return
	}
	defer tx.Rollback()
	if r.write(ctx, s, tx) == nil {
		_ = tx.Commit()
	}
}

// queryExecer is a transaction (or anything that reads and writes).
type queryExecer interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}

// readAuditFormat sets auditV2 from the columns qb_audit has.
func (s *store) readAuditFormat(ctx context.Context) error {
	if s.auditKnown {
		return nil
	}
	have, err := s.tableColumns(ctx, s.db, "qb_audit")
	if err != nil {
		return s.wrapErr(err)
	}
	_, s.auditV2 = have["hash_version"]
	return nil
}

// missingAuditColumns lists the ALTER TABLE statements that bring a
// qb_audit of format 1 to format 2 (none for a new or current one).
func (s *store) missingAuditColumns(ctx context.Context, q queryer) ([]string, error) {
	have, err := s.tableColumns(ctx, q, "qb_audit")
	if err != nil || len(have) == 0 {
		return nil, err
	}
	var out []string
	for _, c := range auditColumnsV2 {
		if _, ok := have[c.name]; !ok {
			out = append(out, "ALTER TABLE qb_audit ADD COLUMN "+c.ddl)
		}
	}
	return out, nil
}

// readOrdering reads, once the layout passed its check, what lists order
// and search by as the database has it: the columns already in byte order
// and the search indexes.
func (s *store) readOrdering(ctx context.Context) error {
	if err := s.readByteOrdered(ctx); err != nil {
		return err
	}
	return s.readSearchIndexes(ctx)
}

// readByteOrdered sets the store's byteOrdered from the database.
func (s *store) readByteOrdered(ctx context.Context) error {
	cols, err := s.d.byteOrdered(ctx, s.db)
	if err != nil || cols == nil {
		return s.wrapErr(err)
	}
	m := map[*schema.Column]bool{}
	for _, t := range s.cfg.Tables {
		for _, c := range t.Columns {
			if cols[[2]string{t.SQLName, c.SQLName}] {
				m[c] = true
			}
		}
	}
	s.byteOrdered = m
	return nil
}
