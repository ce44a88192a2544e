// Package enginetest is the one way tests build engines over the default
// project (quickback.toml and fixtures/ at the module root): its config with
// edits, an empty or a seeded database in a temporary directory (seeded ones
// are copies of one seeded template per config, so a seeded engine costs a
// file copy), identities, a fixed clock, and a look at the database behind
// the engine's back. Only tests import it.
package enginetest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"pgregory.net/rapid"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/engine/seed"
	"quickback.dev/qb/fixtures"
	"quickback.dev/qb/internal/dbconn"
	"quickback.dev/qb/internal/pgtest"
	"quickback.dev/qb/internal/testkit"
	"quickback.dev/qb/schema"
)

// TB is what the kit needs of *testing.T, *testing.B and *rapid.T.
type TB interface {
	rapid.TB
	Cleanup(func())
}

// Now is the time of the fixed clock (Fixed).
var Now = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// OSUser is the operator a Fixed engine records.
const OSUser = "tester"

// Edit changes the default quickback.toml before it is parsed: the first
// occurrence of Old after the line Section (a TOML header such as
// "[tables.jobs.crud]") becomes New. Without Section, Old must occur
// exactly once in the file; an empty Old appends New at the end. An edit
// that does not apply fails the test, so a drifting config cannot silently
// void a case.
type Edit struct {
	Section, Old, New string
}

// ConfigText is the default project's quickback.toml with edits applied.
func ConfigText(t TB, edits ...Edit) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root(t), "quickback.toml"))
	if err != nil {
		t.Fatalf("read quickback.toml: %v", err)
	}
	text := string(b)
	for _, e := range edits {
		switch {
		case e.Old == "":
			text += "\n" + e.New + "\n"
			continue
		case e.Section == "":
			if n := strings.Count(text, e.Old); n != 1 {
				t.Fatalf("config edit: %q occurs %d times, want once", e.Old, n)
			}
		}
		start := 0
		if e.Section != "" {
			i := strings.Index(text, e.Section+"\n")
			if i < 0 {
				t.Fatalf("config edit: section %q not found", e.Section)
			}
			start = i + len(e.Section) + 1
		}
		j := strings.Index(text[start:], e.Old)
		if j < 0 {
			t.Fatalf("config edit: %q not found after %q", e.Old, e.Section)
		}
		j += start
		text = text[:j] + e.New + text[j+len(e.Old):]
	}
	return text
}

var (
	mu        sync.Mutex
	configs   = map[string]*schema.Config{}     // by text
	seedData  = map[*schema.Config]*seed.Data{} // by config
	templates = map[templateKey][]byte{}        // seeded database files
)

// Config is the default project's config with edits applied, parsed as if
// it were the project's quickback.toml (relative paths resolve against the
// project). Configs are cached by their text and shared: do not change one
// (see OwnConfig).
func Config(t TB, edits ...Edit) *schema.Config {
	t.Helper()
	text := ConfigText(t, edits...)
	mu.Lock()
	defer mu.Unlock()
	if cfg, ok := configs[text]; ok {
		return cfg
	}
	cfg, err := schema.Parse(filepath.Join(root(t), "quickback.toml"), []byte(text))
	if err != nil {
		t.Fatalf("parse config:\n%v", err)
	}
	configs[text] = cfg
	return cfg
}

// OwnConfig is Config parsed afresh for this test alone, for a test that
// changes its config (Config's are shared).
func OwnConfig(t TB, edits ...Edit) *schema.Config {
	t.Helper()
	cfg, err := schema.Parse(filepath.Join(root(t), "quickback.toml"), []byte(ConfigText(t, edits...)))
	if err != nil {
		t.Fatalf("parse config:\n%v", err)
	}
	return cfg
}

// Fixtures are the project's fixtures read against cfg (cached per config).
func Fixtures(t TB, cfg *schema.Config) *seed.Data {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	return fixturesLocked(t, cfg)
}

func fixturesLocked(t TB, cfg *schema.Config) *seed.Data {
	t.Helper()
	if d, ok := seedData[cfg]; ok {
		return d
	}
	d, err := fixtures.Read(cfg, filepath.Join(root(t), "fixtures"))
	if err != nil {
		t.Fatalf("read fixtures:\n%v", err)
	}
	seedData[cfg] = d
	return d
}

// Option tunes Open and Seeded.
type Option func(*setup)

type setup struct {
	cfg   *schema.Config
	edits []Edit
	opts  engine.Options
	path  string
	// quickback: the database is built from testdata/quickback's
	// migrations before qb opens it (Quickback).
	quickback bool
	// pg: the database is PostgreSQL (Postgres): a schema of the test's
	// own when empty (pgEmpty), else a copy of a seeded template database.
	pg, pgEmpty bool
}

// Postgres puts the engine on PostgreSQL (SPEC §8): a schema of the test's
// own on the throwaway cluster of internal/pgtest (or QB_PG_DSN's server);
// the test skips when there is none. Seeded seeds it through qb.
func Postgres() Option { return func(s *setup) { s.pg = true } }

// Backends are the databases every conformance case runs on: SQLite, and
// PostgreSQL (its subtests skip without a server).
var Backends = []struct {
	Name string
	Opts []Option
}{{"sqlite", nil}, {"postgres", []Option{Postgres()}}}

// QuickbackEdits make the default config describe the database of
// testdata/quickback as it is: identities in Better Auth's tables, the ATS
// imports in the camelCase table atsImports with their sync time in epoch
// milliseconds, an interview score's interviewer in scorer_id.
var QuickbackEdits = []Edit{
	{Section: "[auth]", Old: `admins = ["owner", "hiring-manager"]`, New: `admins = ["owner", "hiring-manager"]` + "\nsource = \"better-auth\""},
	{Section: "[tables.ats_imports]", Old: `upsertKey = ["externalId"]`, New: "table = \"atsImports\"\nupsertKey = [\"externalId\"]"},
	{Section: "[tables.interview_scores.columns]", Old: `interviewerId  = { type = "text", required = true }`, New: `interviewerId  = { type = "text", required = true, column = "scorer_id" }`},
	{Section: "[tables.ats_imports.columns]", Old: `syncedAt       = { type = "timestamp" }`, New: `syncedAt       = { type = "timestamp", format = "epoch_ms" }`},
}

// QuickbackPGEdits describe the PostgreSQL form of testdata/quickback
// (drizzle-pg): QuickbackEdits but for the sync time, which is a native
// timestamp there (read and written as ISO-8601 text, the default format).
var QuickbackPGEdits = QuickbackEdits[:3]

// Quickback puts the engine on a database qb did not create: an empty file
// into which the migrations of a Quickback project (testdata/quickback) have
// run, as `wrangler d1 export` and sqlite3 would leave it. The default
// config gets QuickbackEdits (after any other edits). Seeded fills it
// through qb (identities into Better Auth's tables).
func Quickback() Option { return func(s *setup) { s.quickback = true } }

// QuickbackDB runs the migrations of testdata/quickback (auth, then
// features, each folder in file order) into the database file at path.
func QuickbackDB(t TB, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, dir := range []string{"auth", "features"} {
		runMigrations(t, db, "drizzle/"+dir)
	}
}

// runMigrations runs the .sql files of testdata/quickback/dir in db, in
// file order.
func runMigrations(t TB, db *sql.DB, dir string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root(t), "testdata", "quickback", filepath.FromSlash(dir), "*.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no migrations in testdata/quickback/%s (%v)", dir, err)
	}
	slices.Sort(files)
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(string(src)); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
}

// QuickbackPGDB runs the PostgreSQL migrations of testdata/quickback
// (drizzle-pg, in file order: Better Auth's tables, then the features) in
// the database or schema the postgres:// URL names.
func QuickbackPGDB(t TB, url string) {
	t.Helper()
	db, err := dbconn.OpenRaw(url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	runMigrations(t, db, "drizzle-pg")
}

// TheirDB builds at path a database qb never opened: the migrations of
// testdata/quickback, then the rows of the default project's fixtures
// (copied from a database qb seeded), as a Quickback project's D1 database
// holds them — no qb_* object in it.
func TheirDB(t TB, path string) {
	t.Helper()
	src := Seeded(t, Quickback())
	QuickbackDB(t, path)
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec("ATTACH DATABASE ? AS src", src.Path()); err != nil {
		t.Fatal(err)
	}
	for _, r := range Rows(t, db, `SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`) {
		name := engine.Q(r[0].(string))
		if _, err := db.Exec(fmt.Sprintf("INSERT INTO main.%s SELECT * FROM src.%s", name, name)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec("DETACH DATABASE src"); err != nil {
		t.Fatal(err)
	}
	if n := Rows(t, db, `SELECT count(*) FROM main.sqlite_master WHERE name LIKE 'qb\_%' ESCAPE '\'`)[0][0]; n != int64(0) {
		t.Fatalf("their database holds %v qb objects before qb opened it", n)
	}
}

// Edits uses the default config with edits applied (see Config).
func Edits(edits ...Edit) Option {
	return func(s *setup) { s.cfg, s.edits = nil, append(s.edits, edits...) }
}

// WithConfig uses cfg instead of the default config.
func WithConfig(cfg *schema.Config) Option { return func(s *setup) { s.cfg, s.edits = cfg, nil } }

// Options opens the engine with o (a later Fixed or Clock still applies).
func Options(o engine.Options) Option { return func(s *setup) { s.opts = o } }

// Fixed pins the engine's clock to Now and its operator to OSUser, so what
// it writes is the same on every run.
func Fixed() Option {
	return func(s *setup) { s.opts.Clock, s.opts.OSUser = func() time.Time { return Now }, OSUser }
}

// Clock gives the engine its clock.
func Clock(now func() time.Time) Option { return func(s *setup) { s.opts.Clock = now } }

// At puts the database file at path instead of a temporary directory.
func At(path string) Option { return func(s *setup) { s.path = path } }

func (s *setup) apply(t TB, opts []Option) {
	t.Helper()
	for _, o := range opts {
		o(s)
	}
	if s.cfg == nil {
		if s.quickback && s.pg {
			s.edits = append(s.edits, QuickbackPGEdits...)
		} else if s.quickback {
			s.edits = append(s.edits, QuickbackEdits...)
		}
		s.cfg = Config(t, s.edits...)
	}
	if s.path == "" && s.pg {
		if s.pgEmpty {
			s.path = pgtest.Schema(t)
			if s.quickback {
				QuickbackPGDB(t, s.path)
			}
		} else {
			s.path = pgtest.Get(t).Clone(t, pgTemplate(t, s.cfg, s.quickback))
		}
	}
	if s.path == "" {
		s.path = filepath.Join(TempDir(t), "test.db")
	}
}

// Open opens an engine on a new, empty database (the config's tables, no
// rows), closed when the test ends.
func Open(t TB, opts ...Option) *engine.Engine {
	t.Helper()
	var s setup
	s.pgEmpty = true
	s.apply(t, opts)
	return open(t, s)
}

func open(t TB, s setup) *engine.Engine {
	t.Helper()
	requireIsolatedWitness(t)
	if _, err := os.Stat(s.path); s.quickback && !s.pg && err != nil {
		QuickbackDB(t, s.path)
	}
	e, err := engine.Open(s.cfg, s.path, s.opts)
	if err != nil {
		t.Fatalf("open %s: %v", s.path, err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// Seeded opens an engine on a new database holding the project's fixtures,
// closed when the test ends. The first call per config seeds a template
// (Engine.Seed, with the engine's default clock and operator) and keeps its
// bytes; every call starts from a copy of them.
func Seeded(t TB, opts ...Option) *engine.Engine {
	t.Helper()
	var s setup
	s.apply(t, opts)
	if s.pg {
		return open(t, s)
	}
	img := template(t, s.cfg, s.quickback)
	if err := os.WriteFile(s.path, img, 0o600); err != nil {
		t.Fatal(err)
	}
	return open(t, s)
}

// templateKey names a seeded template: its config, and whether qb seeded
// a Quickback project's database rather than one it created.
type templateKey struct {
	cfg       *schema.Config
	quickback bool
}

func template(t TB, cfg *schema.Config, quickback bool) []byte {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	key := templateKey{cfg, quickback}
	if img, ok := templates[key]; ok {
		return img
	}
	requireIsolatedWitness(t)
	data := fixturesLocked(t, cfg)
	path := filepath.Join(TempDir(t), "template.db")
	if quickback {
		QuickbackDB(t, path)
	}
	// Seeded a day before Now by OSUser: the seed's audit entry, and so
	// every hash after it, is the same on every run and machine.
	seededAt := Now.Add(-24 * time.Hour)
	e, err := engine.Open(cfg, path, engine.Options{Clock: func() time.Time { return seededAt }, OSUser: OSUser})
	if err != nil {
		t.Fatalf("open template: %v", err)
	}
	_, err = e.Seed(context.Background(), data, false)
	if cerr := e.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatalf("seed template: %v", err)
	}
	if _, err := os.Stat(path + "-wal"); err == nil {
		t.Fatalf("the template database left a WAL file behind")
	}
	img, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	templates[key] = img
	return img
}

var pgTemplates = map[templateKey]string{} // seeded template databases

// pgTemplate is the URL of a PostgreSQL database seeded (seedPostgres)
// once per config, which Seeded copies for each test; with quickback, the
// PostgreSQL migrations of testdata/quickback run in it first.
func pgTemplate(t TB, cfg *schema.Config, quickback bool) string {
	t.Helper()
	key := templateKey{cfg, quickback}
	mu.Lock()
	url, ok := pgTemplates[key]
	mu.Unlock()
	if ok {
		return url
	}
	tplMu.Lock()
	defer tplMu.Unlock()
	mu.Lock()
	url, ok = pgTemplates[key]
	mu.Unlock()
	if ok {
		return url
	}
	url = pgtest.Get(t).Template(t)
	if quickback {
		QuickbackPGDB(t, url)
	}
	seedPostgres(t, setup{cfg: cfg, path: url})
	mu.Lock()
	pgTemplates[key] = url
	mu.Unlock()
	return url
}

// tplMu serializes the seeding of PostgreSQL templates.
var tplMu sync.Mutex

// seedPostgres seeds the fixtures into the test's PostgreSQL schema as
// template seeds a SQLite file: a day before Now, by OSUser.
func seedPostgres(t TB, s setup) {
	t.Helper()
	requireIsolatedWitness(t)
	data := Fixtures(t, s.cfg)
	seededAt := Now.Add(-24 * time.Hour)
	e, err := engine.Open(s.cfg, s.path, engine.Options{Clock: func() time.Time { return seededAt }, OSUser: OSUser})
	if err != nil {
		t.Fatalf("open %s: %v", dbconn.DisplayName(s.path), err)
	}
	_, err = e.Seed(context.Background(), data, false)
	if cerr := e.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
}

// requireIsolatedWitness fails a test whose package did not keep audit
// witness files out of the user's state directory: every engine that
// appends records its heads there otherwise.
func requireIsolatedWitness(t TB) {
	t.Helper()
	if os.Getenv(engine.WitnessDirEnv) == "" {
		t.Fatalf("%s is not set: add `func TestMain(m *testing.M) { os.Exit(testkit.IsolateWitness(m.Run)) }` to the package's tests", engine.WitnessDirEnv)
	}
}

// Member resolves a user (id or email) in org ("" for a user with one
// membership) through the engine, as --as does.
func Member(t TB, e *engine.Engine, user, org string) engine.Identity {
	t.Helper()
	id, err := e.ResolveIdentity(context.Background(), user, org, "")
	if err != nil {
		t.Fatalf("identity %s@%s: %v", user, org, err)
	}
	return id
}

var (
	dbMu sync.Mutex
	dbs  = map[TB]map[string]*sql.DB{}
)

// DB is a second connection pool on e's database (one per test), for
// reading or changing it behind the engine's back.
func DB(t TB, e *engine.Engine) *sql.DB {
	t.Helper()
	dbMu.Lock()
	defer dbMu.Unlock()
	if db := dbs[t][e.Path()]; db != nil {
		return db
	}
	var db *sql.DB
	var err error
	if dbconn.IsPostgres(e.Path()) {
		db, err = dbconn.OpenRaw(e.Path())
	} else {
		db, err = sql.Open("sqlite", dbconn.DSN(e.Path(), false))
	}
	if err != nil {
		t.Fatal(err)
	}
	if dbs[t] == nil {
		dbs[t] = map[string]*sql.DB{}
		t.Cleanup(func() {
			dbMu.Lock()
			defer dbMu.Unlock()
			for _, db := range dbs[t] {
				db.Close()
			}
			delete(dbs, t)
		})
	}
	dbs[t][e.Path()] = db
	return db
}

// Rows runs query and returns every row, each value as the driver gives it
// but []byte as a string.
func Rows(t TB, db *sql.DB, query string, args ...any) [][]any {
	t.Helper()
	var out [][]any
	Each(t, db, func(vals []any) { out = append(out, slices.Clone(vals)) }, query, args...)
	return out
}

// Each calls fn with every row of query, each value as the driver gives it
// but []byte as a string; vals is reused from row to row.
func Each(t TB, db *sql.DB, fn func(vals []any), query string, args ...any) {
	t.Helper()
	rows, err := db.Query(query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				vals[i] = string(b)
			}
		}
		fn(vals)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// Dump renders every table of db but those named in skip: tables by name,
// rows in rowid order, each value with its SQLite type (NULL, i42, r1.5,
// t4:text with its length), so two dumps are equal exactly when the data
// is. The layout record in qb_meta (a cache of the open-time check, keyed
// by the schema version, which a copy of the file may change) is not data
// and is left out, and so are search indexes (qb_fts_*: derived from
// their tables' rows).
func Dump(t TB, db *sql.DB, skip ...string) string {
	t.Helper()
	var b []byte
	tables, order := "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name", "rowid"
	if dbconn.IsPostgresDB(db) {
		// No rowid: rows in primary key order (every table has one).
		tables, order = `SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name::text COLLATE "C"`, "1"
	}
	for _, tr := range Rows(t, db, tables) {
		name := tr[0].(string)
		if slices.Contains(skip, name) || strings.HasPrefix(name, "qb_fts_") {
			// A search index and its shadow tables follow the table's rows.
			continue
		}
		b = append(b, "== "+name+"\n"...)
		query := `SELECT * FROM "` + strings.ReplaceAll(name, `"`, `""`) + `" ORDER BY ` + order
		if name == "qb_meta" {
			query = `SELECT * FROM qb_meta WHERE key <> 'layout' ORDER BY ` + order
		}
		Each(t, db, func(row []any) { b = AppendRow(b, row) }, query)
	}
	return string(b)
}

// FirstDiff is the first line where two texts (such as two Dumps)
// differ, with its number, or their lengths in lines when one is the
// other's start.
func FirstDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return fmt.Sprintf("line %d:\n  %s\n  %s", i+1, la[i], lb[i])
		}
	}
	return fmt.Sprintf("%d and %d lines", len(la), len(lb))
}

// AppendRow appends one line of Dump: the values with their types, "|"
// between them.
func AppendRow(b []byte, vals []any) []byte {
	for i, v := range vals {
		if i > 0 {
			b = append(b, '|')
		}
		b = appendValue(b, v)
	}
	return append(b, '\n')
}

func appendValue(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "NULL"...)
	case int64:
		return strconv.AppendInt(append(b, 'i'), x, 10)
	case float64:
		return strconv.AppendFloat(append(b, 'r'), x, 'g', -1, 64)
	case string:
		return append(append(strconv.AppendInt(append(b, 't'), int64(len(x)), 10), ':'), x...)
	}
	return fmt.Appendf(b, "%T:%v", v, v)
}

// TempDir is a directory of the test's own, removed when it ends: in memory
// (/dev/shm) when the machine has one, since every engine a test closes
// syncs its file to disk and the suite opens hundreds; t.TempDir otherwise
// (rapid's *T has none: a fresh directory then).
func TempDir(t TB) string {
	t.Helper()
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if d, err := os.MkdirTemp("/dev/shm", "qbtest"); err == nil {
			t.Cleanup(func() { os.RemoveAll(d) })
			return d
		}
	}
	if tt, ok := t.(interface{ TempDir() string }); ok {
		return tt.TempDir()
	}
	d, err := os.MkdirTemp("", "qbtest")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// root is the module's directory.
func root(t TB) string {
	t.Helper()
	return testkit.ModuleRoot(t)
}
