// Package engine is the embedded policy engine: it compiles a schema.Config
// into SQL predicates and enforces firewall, access, guards, masking and
// actions against a SQLite database. It has no terminal code.
package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strings"

	"quickback.dev/qb/schema"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver
)

// FormatVersion is the version of the console's own tables (qb_*). A database
// written by a newer version is refused rather than misread.
const FormatVersion = 1

// BusyTimeoutMS is how long a statement waits for another writer's lock.
const BusyTimeoutMS = 5000

// Store is an open SQLite database laid out for a config.
type Store struct {
	DB       *sql.DB
	Path     string
	Config   *schema.Config
	ReadOnly bool
}

// OpenOptions tune OpenStore.
type OpenOptions struct {
	// ReadOnly opens the file without write access and creates nothing.
	ReadOnly bool
}

// DSN is the driver connection string for path: WAL, a busy timeout, foreign
// keys on, and immediate write transactions so writers queue instead of
// deadlocking on a lock upgrade.
func DSN(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", BusyTimeoutMS))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	if readOnly {
		q.Add("mode", "ro")
	} else {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode()
}

// OpenStore opens (or creates) the database at path and brings its tables in
// line with the config: missing tables and nullable columns are added; any
// change that cannot be applied safely is refused with the difference named.
func OpenStore(cfg *schema.Config, path string, opts OpenOptions) (*Store, error) {
	if opts.ReadOnly {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("database %s: %w", path, err)
		}
	}
	db, err := sql.Open("sqlite", DSN(path, opts.ReadOnly))
	if err != nil {
		return nil, fmt.Errorf("database %s: %w", path, err)
	}
	s := &Store{DB: db, Path: path, Config: cfg, ReadOnly: opts.ReadOnly}
	if err := s.ping(); err != nil {
		db.Close()
		return nil, err
	}
	if !opts.ReadOnly {
		if err := s.migrate(context.Background()); err != nil {
			db.Close()
			return nil, err
		}
	} else if err := s.checkLayout(context.Background()); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) ping() error {
	var n int
	if err := s.DB.QueryRow("SELECT count(*) FROM sqlite_master").Scan(&n); err != nil {
		return fmt.Errorf("database %s: cannot be read as SQLite (%v); check the path or restore it from a backup", s.Path, err)
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error { return s.DB.Close() }

// Q quotes an SQL identifier. Identifiers come only from a validated config.
func Q(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

var identityDDL = []string{
	`CREATE TABLE IF NOT EXISTS qb_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS qb_organizations (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS qb_users (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL, email TEXT NOT NULL UNIQUE, user_role TEXT NOT NULL DEFAULT 'user')`,
	`CREATE TABLE IF NOT EXISTS qb_members (user_id TEXT NOT NULL REFERENCES qb_users(id), organization_id TEXT NOT NULL REFERENCES qb_organizations(id), role TEXT NOT NULL, PRIMARY KEY (user_id, organization_id))`,
	`CREATE INDEX IF NOT EXISTS qb_members_org ON qb_members(organization_id, role)`,
	auditDDL,
}

func sqlType(t schema.ColumnType) string {
	switch t {
	case schema.TypeInteger, schema.TypeBoolean:
		return "INTEGER"
	case schema.TypeReal:
		return "REAL"
	default:
		return "TEXT"
	}
}

// notNull reports whether the column is NOT NULL in the database.
func notNull(t *schema.Table, c *schema.Column) bool {
	return c.Type == schema.TypeID || c.Required || c.Name == "createdAt"
}

func columnDDL(cfg *schema.Config, t *schema.Table, c *schema.Column) string {
	var b strings.Builder
	b.WriteString(Q(c.SQLName) + " " + sqlType(c.Type))
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
			b.WriteString(" REFERENCES " + Q(rt.Name) + "(" + Q(rt.PrimaryKey().SQLName) + ")")
		}
	}
	return b.String()
}

// TableDDL is the CREATE TABLE statement of a config table.
func TableDDL(cfg *schema.Config, t *schema.Table) string {
	var parts []string
	for _, c := range t.Columns {
		parts = append(parts, columnDDL(cfg, t, c))
	}
	for _, u := range t.Unique {
		cols := make([]string, len(u))
		for i, n := range u {
			cols[i] = Q(t.Column(n).SQLName)
		}
		parts = append(parts, "UNIQUE ("+strings.Join(cols, ", ")+")")
	}
	return "CREATE TABLE IF NOT EXISTS " + Q(t.Name) + " (\n  " + strings.Join(parts, ",\n  ") + "\n)"
}

// IndexDDL lists the indexes of a config table: the firewall scope in
// default-sort order (partial on live rows, so keyset pages seek instead of
// scanning), the owner scope, references, and the soft-delete column.
func IndexDDL(t *schema.Table) []string {
	var out []string
	idx := func(name, cols, where string) {
		s := fmt.Sprintf("CREATE INDEX IF NOT EXISTS %s ON %s (%s)", Q("qbx_"+t.Name+"_"+name), Q(t.Name), cols)
		if where != "" {
			s += " WHERE " + where
		}
		out = append(out, s)
	}
	live := Q(t.Column("deletedAt").SQLName) + " IS NULL"
	var scope []string
	if oc := t.OrgColumn(); oc != nil {
		scope = append(scope, Q(oc.SQLName))
	}
	order := sortColumns(t)
	idx("scope", strings.Join(append(append([]string{}, scope...), order...), ", "), live)
	if owc := t.OwnerColumn(); owc != nil {
		idx("owner", strings.Join(append(append(append([]string{}, scope...), Q(owc.SQLName)), order...), ", "), live)
	}
	for _, c := range t.Columns {
		if c.References != "" {
			idx("ref_"+c.SQLName, Q(c.SQLName), "")
		}
	}
	idx("deleted", Q(t.Column("deletedAt").SQLName), "")
	return out
}

// sortColumns are the quoted SQL names of the default sort keys and the
// primary key, the order a default list reads in.
func sortColumns(t *schema.Table) []string {
	var out []string
	seen := map[string]bool{}
	for _, k := range t.DefaultSort {
		if c := t.Column(k.Column); c != nil && !seen[c.Name] {
			seen[c.Name] = true
			out = append(out, Q(c.SQLName))
		}
	}
	if pk := t.PrimaryKey(); pk != nil && !seen[pk.Name] {
		out = append(out, Q(pk.SQLName))
	}
	return out
}

// LayoutError is a difference between the config and the database that
// cannot be applied without losing data.
type LayoutError struct {
	Path        string
	Differences []string
}

func (e *LayoutError) Error() string {
	return fmt.Sprintf("database %s does not match the config and cannot be changed safely:\n  %s\nrestore the config, or migrate the database by hand", e.Path, strings.Join(e.Differences, "\n  "))
}

type dbColumn struct {
	name, typ string
	notNull   bool
}

func (s *Store) tableColumns(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, table string) (map[string]dbColumn, error) {
	rows, err := q.QueryContext(ctx, "SELECT name, type, \"notnull\" FROM pragma_table_info(?)", table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]dbColumn{}
	for rows.Next() {
		var c dbColumn
		var nn int
		if err := rows.Scan(&c.name, &c.typ, &nn); err != nil {
			return nil, err
		}
		c.notNull = nn != 0
		out[c.name] = c
	}
	return out, rows.Err()
}

// plan compares the config with the database and returns the statements that
// bring the database in line, or a LayoutError.
func (s *Store) plan(ctx context.Context) ([]string, error) {
	var stmts, diffs []string
	var version string
	if err := s.DB.QueryRowContext(ctx, "SELECT value FROM qb_meta WHERE key = 'format'").Scan(&version); err == nil {
		var v int
		fmt.Sscan(version, &v)
		if v > FormatVersion {
			return nil, fmt.Errorf("database %s was written by a newer Quickback Console (format %d; this one reads %d): upgrade qb", s.Path, v, FormatVersion)
		}
	}
	for _, t := range s.Config.Tables {
		have, err := s.tableColumns(ctx, s.DB, t.Name)
		if err != nil {
			return nil, fmt.Errorf("database %s: %w", s.Path, err)
		}
		if len(have) == 0 {
			stmts = append(stmts, TableDDL(s.Config, t))
			stmts = append(stmts, IndexDDL(t)...)
			continue
		}
		want := map[string]bool{}
		for _, c := range t.Columns {
			want[c.SQLName] = true
			hc, ok := have[c.SQLName]
			if !ok {
				if notNull(t, c) {
					diffs = append(diffs, fmt.Sprintf("table %s: new column %s is required and the table has rows; make it optional first", t.Name, c.Name))
					continue
				}
				stmts = append(stmts, "ALTER TABLE "+Q(t.Name)+" ADD COLUMN "+columnDDL(s.Config, t, c))
				continue
			}
			if !strings.EqualFold(hc.typ, sqlType(c.Type)) {
				diffs = append(diffs, fmt.Sprintf("table %s: column %s is %s in the database but %s (%s) in the config", t.Name, c.Name, hc.typ, sqlType(c.Type), c.Type))
			}
		}
		var extra []string
		for name := range have {
			if !want[name] {
				extra = append(extra, name)
			}
		}
		sort.Strings(extra)
		for _, name := range extra {
			diffs = append(diffs, fmt.Sprintf("table %s: column %s is in the database but not in the config (dropped or renamed?)", t.Name, name))
		}
		stmts = append(stmts, IndexDDL(t)...)
	}
	if len(diffs) > 0 {
		return nil, &LayoutError{Path: s.Path, Differences: diffs}
	}
	return stmts, nil
}

func (s *Store) migrate(ctx context.Context) error {
	tx, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		return s.wrapErr(err)
	}
	defer tx.Rollback()
	for _, st := range identityDDL {
		if _, err := tx.ExecContext(ctx, st); err != nil {
			return s.wrapErr(err)
		}
	}
	if _, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO qb_meta(key, value) VALUES ('format', ?)", fmt.Sprint(FormatVersion)); err != nil {
		return s.wrapErr(err)
	}
	if err := tx.Commit(); err != nil {
		return s.wrapErr(err)
	}
	stmts, err := s.plan(ctx)
	if err != nil {
		return err
	}
	tx, err = s.DB.BeginTx(ctx, nil)
	if err != nil {
		return s.wrapErr(err)
	}
	defer tx.Rollback()
	for _, st := range stmts {
		if _, err := tx.ExecContext(ctx, st); err != nil {
			return fmt.Errorf("database %s: %s: %w", s.Path, firstLine(st), err)
		}
	}
	return s.wrapErr(tx.Commit())
}

// checkLayout verifies a read-only database already matches the config.
func (s *Store) checkLayout(ctx context.Context) error {
	stmts, err := s.plan(ctx)
	if err != nil {
		return err
	}
	for _, st := range stmts {
		if !strings.HasPrefix(st, "CREATE INDEX") {
			return fmt.Errorf("database %s is read-only and lacks what the config declares (%s)", s.Path, firstLine(st))
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

func (s *Store) wrapErr(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "SQLITE_BUSY") || strings.Contains(msg, "database is locked"):
		return fmt.Errorf("database %s is locked by another writer (waited %d ms); try again when it finishes", s.Path, BusyTimeoutMS)
	case strings.Contains(msg, "readonly") || strings.Contains(msg, "read-only"):
		return fmt.Errorf("database %s is read-only; open it with --read-only or fix its permissions", s.Path)
	case strings.Contains(msg, "not a database") || strings.Contains(msg, "malformed"):
		return fmt.Errorf("database %s is not a SQLite database or is corrupt; restore it from a backup or start over with `qb seed --reset`", s.Path)
	}
	return fmt.Errorf("database %s: %w", s.Path, err)
}

// IsEmpty reports whether the database holds no identities yet.
func (s *Store) IsEmpty(ctx context.Context) (bool, error) {
	var n int
	err := s.DB.QueryRowContext(ctx, "SELECT count(*) FROM (SELECT 1 FROM qb_organizations LIMIT 1)").Scan(&n)
	if err != nil {
		return false, s.wrapErr(err)
	}
	return n == 0, nil
}

var errNoRows = sql.ErrNoRows

func isNoRows(err error) bool { return errors.Is(err, errNoRows) }
