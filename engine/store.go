// Package engine is the embedded policy engine: it compiles a schema.Config
// into SQL predicates and enforces firewall, access, guards, masking and
// actions against a SQLite database. It has no terminal code.
package engine

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"quickback.dev/qb/schema"

	"modernc.org/sqlite" // the pure-Go SQLite driver
)

func init() {
	sqlite.MustRegisterDeterministicScalarFunction("qb_contains", 2, qbContains)
}

// qbContains is the SQL function qb_contains(haystack, needle): 1 when the
// haystack contains the needle ignoring case (Unicode lower-casing), 0
// otherwise, NULL for a NULL haystack.
func qbContains(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	text := func(v driver.Value) (string, bool) {
		switch x := v.(type) {
		case string:
			return x, true
		case []byte:
			return string(x), true
		case nil:
			return "", false
		}
		return fmt.Sprint(v), true
	}
	h, ok := text(args[0])
	if !ok {
		return nil, nil
	}
	n, _ := text(args[1])
	if strings.Contains(strings.ToLower(h), strings.ToLower(n)) {
		return int64(1), nil
	}
	return int64(0), nil
}

// formatVersion is the version of the console's own tables (qb_*). A database
// written by a newer version is refused rather than misread.
const formatVersion = 1

// BusyTimeoutMS is how long a statement waits for another writer's lock.
const BusyTimeoutMS = 5000

// store is an open SQLite database laid out for a config.
type store struct {
	db       *sql.DB
	path     string
	cfg      *schema.Config
	readOnly bool
	// roReason says why the store is read-only ("" when it is not, or
	// when the caller asked for it without a reason).
	roReason string
	// busyMS is the busy timeout the connections were opened with.
	busyMS int
}

// DSN is the driver connection string for path: WAL, a busy timeout, foreign
// keys on, and immediate write transactions so writers queue instead of
// deadlocking on a lock upgrade.
func DSN(path string, readOnly bool) string { return dsn(path, readOnly, BusyTimeoutMS) }

func dsn(path string, readOnly bool, busyMS int) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyMS))
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

// ReadOnlyReason reports whether the database file at path must be opened
// read-only, and why: the operator marked it read-only (no write permission
// bit for anyone, which is honoured even for root, who the kernel would let
// write), or the operating system refuses to let this process write the
// file or create the journal files (-wal, -shm) next to it. A file that
// does not exist is not read-only ("").
func ReadOnlyReason(path string) string {
	fi, err := os.Stat(path)
	if err != nil || fi.IsDir() {
		return ""
	}
	if fi.Mode().Perm()&0o222 == 0 {
		return fmt.Sprintf("the file's permissions allow no writes (mode %04o)", fi.Mode().Perm())
	}
	if err := canWrite(path, false); err != nil {
		return "this user may not write the file (" + err.Error() + ")"
	}
	dir := filepath.Dir(path)
	if err := canWrite(dir, true); err != nil {
		return "this user may not create files in its directory " + dir + " (" + err.Error() + ")"
	}
	return ""
}

// ReadOnlyError refuses a write to a store opened read-only.
type ReadOnlyError struct {
	Path, Reason string
}

func (e *ReadOnlyError) Error() string {
	why := ""
	if e.Reason != "" {
		why = " (" + e.Reason + ")"
	}
	return fmt.Sprintf("database %s is open read-only%s: writes are refused; make it writable (chmod u+w %s) and open it again, or work on a copy", e.Path, why, e.Path)
}

// writable is nil for a writable store and a *ReadOnlyError otherwise.
func (s *store) writable() error {
	if !s.readOnly {
		return nil
	}
	return &ReadOnlyError{Path: s.path, Reason: s.roReason}
}

// sqliteMagic opens every SQLite database file.
const sqliteMagic = "SQLite format 3\x00"

// checkFile refuses, before SQLite touches it, a file that is not a SQLite
// database or is shorter than its header says (truncated): SQLite would
// otherwise fail later, half-way through a query, or write to it.
func checkFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if fi, serr := os.Stat(path); serr == nil && fi.Mode().Perm()&0o444 == 0 {
			return fmt.Errorf("database %s cannot be read (%v); fix its permissions (chmod u+r %s)", path, err, path)
		}
		return fmt.Errorf("database %s cannot be opened (%v); check the path and its permissions", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("database %s: %w", path, err)
	}
	if fi.IsDir() {
		return fmt.Errorf("database %s is a directory, not a database file; pass the file with --db FILE", path)
	}
	size := fi.Size()
	if size == 0 {
		return nil // SQLite treats an empty file as an empty database
	}
	var h [100]byte
	n, err := io.ReadFull(f, h[:])
	notDB := fmt.Errorf("database %s is not a SQLite database (it does not start with the SQLite header); check --db and the config's database path, or restore it from a backup", path)
	if err != nil || n < len(h) || string(h[:16]) != sqliteMagic {
		return notDB
	}
	pageSize := int64(binary.BigEndian.Uint16(h[16:18]))
	if pageSize == 1 {
		pageSize = 65536
	}
	if pageSize < 512 || pageSize&(pageSize-1) != 0 {
		return notDB
	}
	// The page count in the header is valid when its version matches the
	// change counter (SQLite 3.7.0 and later).
	// A write-ahead log that is not empty may hold pages a checkpoint was
	// copying when the process died; SQLite recovers from it, so the sizes
	// are only compared without one.
	if wi, err := os.Stat(path + "-wal"); err == nil && wi.Size() > 0 {
		return nil
	}
	pages := int64(binary.BigEndian.Uint32(h[28:32]))
	if pages > 0 && binary.BigEndian.Uint32(h[92:96]) == binary.BigEndian.Uint32(h[24:28]) && size < pages*pageSize {
		return fmt.Errorf("database %s is truncated (%d of %d bytes) or corrupt; restore it from a backup, or start over with `qb seed --reset` on a new file", path, size, pages*pageSize)
	}
	if size%pageSize != 0 {
		return fmt.Errorf("database %s is truncated or corrupt (%d bytes is not a whole number of %d-byte pages); restore it from a backup", path, size, pageSize)
	}
	return nil
}

// openStore opens (or creates) the database at path and brings its tables in
// line with the config: missing tables and nullable columns are added; any
// change that cannot be applied safely is refused with the difference named.
// A file that is not a database, or is truncated, is refused untouched.
func openStore(cfg *schema.Config, path string, opts Options) (*store, error) {
	if opts.ReadOnly {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("database %s: %w", path, err)
		}
	}
	if err := checkFile(path); err != nil {
		return nil, err
	}
	busy := BusyTimeoutMS
	if opts.BusyTimeout > 0 {
		busy = max(1, int(opts.BusyTimeout/time.Millisecond))
	}
	db, err := sql.Open("sqlite", dsn(path, opts.ReadOnly, busy))
	if err != nil {
		return nil, fmt.Errorf("database %s: %w", path, err)
	}
	s := &store{db: db, path: path, cfg: cfg, readOnly: opts.ReadOnly, roReason: opts.ReadOnlyReason, busyMS: busy}
	if err := s.ping(); err != nil {
		db.Close()
		// Read-only in a directory this user may not write, a WAL database
		// cannot create its -shm file. Without a -wal file there is nothing
		// beyond the main file to read, so it is opened as immutable.
		_, walErr := os.Stat(path + "-wal")
		if !opts.ReadOnly || !errors.Is(walErr, os.ErrNotExist) || canWrite(filepath.Dir(path), true) == nil {
			return nil, err
		}
		if s.db, err = sql.Open("sqlite", dsn(path, true, busy)+"&immutable=1"); err != nil {
			return nil, fmt.Errorf("database %s: %w", path, err)
		}
		if err := s.ping(); err != nil {
			s.db.Close()
			return nil, err
		}
	}
	if !opts.ReadOnly {
		if err := s.migrate(context.Background()); err != nil {
			s.db.Close()
			return nil, err
		}
	} else if err := s.checkLayout(context.Background()); err != nil {
		s.db.Close()
		return nil, err
	}
	return s, nil
}

func (s *store) ping() error {
	var n int
	if err := s.db.QueryRow("SELECT count(*) FROM sqlite_master").Scan(&n); err != nil {
		if w := s.wrapErr(err); !strings.HasPrefix(w.Error(), "database "+s.path+": ") {
			return w
		}
		return fmt.Errorf("database %s: cannot be read as SQLite (%v); check the path or restore it from a backup", s.path, err)
	}
	return nil
}

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

// tableDDL is the CREATE TABLE statement of a config table.
func tableDDL(cfg *schema.Config, t *schema.Table) string {
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

// indexDDL lists the indexes of a config table: the firewall scope in
// default-sort order (partial on live rows, so keyset pages seek instead of
// scanning), the owner scope, references, and the soft-delete column.
func indexDDL(t *schema.Table) []string {
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

func (s *store) tableColumns(ctx context.Context, q interface {
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
func (s *store) plan(ctx context.Context) ([]string, error) {
	var stmts, diffs []string
	if err := s.checkFormat(ctx); err != nil {
		return nil, err
	}
	for _, t := range s.cfg.Tables {
		have, err := s.tableColumns(ctx, s.db, t.Name)
		if err != nil {
			return nil, fmt.Errorf("database %s: %w", s.path, err)
		}
		if len(have) == 0 {
			stmts = append(stmts, tableDDL(s.cfg, t))
			stmts = append(stmts, indexDDL(t)...)
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
				stmts = append(stmts, "ALTER TABLE "+Q(t.Name)+" ADD COLUMN "+columnDDL(s.cfg, t, c))
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
		stmts = append(stmts, indexDDL(t)...)
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

// migrate brings the database in line with the config in one transaction.
// The plan is made first, so a database that cannot be changed safely (or
// was written by a newer version) is refused before anything is written.
func (s *store) migrate(ctx context.Context) error {
	stmts, err := s.plan(ctx)
	if err != nil {
		return err
	}
	if s.upToDate(ctx, stmts) {
		// Nothing to write: opening needs no write lock, so a database
		// another process is writing can still be opened and read.
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.wrapErr(err)
	}
	defer tx.Rollback()
	for _, st := range identityDDL {
		if _, err := tx.ExecContext(ctx, st); err != nil {
			return s.wrapErr(err)
		}
	}
	if _, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO qb_meta(key, value) VALUES ('format', ?)", fmt.Sprint(formatVersion)); err != nil {
		return s.wrapErr(err)
	}
	for _, st := range stmts {
		if _, err := tx.ExecContext(ctx, st); err != nil {
			return fmt.Errorf("database %s: %s: %w", s.path, firstLine(st), err)
		}
	}
	return s.wrapErr(tx.Commit())
}

// upToDate reports whether the database already holds everything migrate
// would create: the console's tables and format, and every object of stmts
// (which must all be CREATE … IF NOT EXISTS).
func (s *store) upToDate(ctx context.Context, stmts []string) bool {
	var format string
	if err := s.db.QueryRowContext(ctx, "SELECT value FROM qb_meta WHERE key = 'format'").Scan(&format); err != nil {
		return false
	}
	for _, st := range append(append([]string{}, identityDDL...), stmts...) {
		name, ok := createdName(st)
		if !ok {
			return false
		}
		var n int
		if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE name = ?", name).Scan(&n); err != nil || n == 0 {
			return false
		}
	}
	return true
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

func (s *store) wrapErr(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	switch {
	case isBusy(err):
		return fmt.Errorf("database %s is locked by another writer (waited %d ms); try again when it finishes, or find the process holding it (fuser %s)", s.path, s.busyTimeout(), s.path)
	case strings.Contains(msg, "readonly") || strings.Contains(msg, "read-only"):
		return fmt.Errorf("database %s is read-only; open it with --read-only or fix its permissions", s.path)
	case strings.Contains(msg, "unable to open") || strings.Contains(msg, "SQLITE_CANTOPEN"):
		return fmt.Errorf("database %s cannot be opened (%v); check the path and the permissions of the file and its directory", s.path, err)
	case strings.Contains(msg, "not a database") || strings.Contains(msg, "malformed"):
		return fmt.Errorf("database %s is not a SQLite database or is corrupt; restore it from a backup or start over with `qb seed --reset`", s.path)
	}
	return fmt.Errorf("database %s: %w", s.path, err)
}

// isBusy reports whether err is SQLite's "another connection holds the lock".
func isBusy(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "SQLITE_BUSY") || strings.Contains(msg, "database is locked")
}

func (s *store) busyTimeout() int {
	if s.busyMS > 0 {
		return s.busyMS
	}
	return BusyTimeoutMS
}

var errNoRows = sql.ErrNoRows

func isNoRows(err error) bool { return errors.Is(err, errNoRows) }
