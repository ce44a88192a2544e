package engine_test

import (
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/dbconn"
	"quickback.dev/qb/internal/enginetest"
	"quickback.dev/qb/schema"
)

// layRaw opens the file without the store (no migration, no pragmas but
// the driver's defaults), for before/after comparisons.
func layRaw(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func layStrings(t testing.TB, db *sql.DB, q string, args ...any) []string {
	t.Helper()
	var out []string
	for _, vals := range enginetest.Rows(t, db, q, args...) {
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = fmt.Sprint(v)
		}
		out = append(out, strings.Join(parts, "|"))
	}
	return out
}

// laySchema is every object of sqlite_master with its SQL.
func laySchema(t testing.TB, db *sql.DB) string {
	t.Helper()
	return strings.Join(layStrings(t, db, "SELECT type, name, tbl_name, COALESCE(sql, '') FROM sqlite_master ORDER BY type, name"), "\n")
}

type layCol struct {
	typ     string
	notNull bool
	pk      bool
}

func layColumns(t testing.TB, db *sql.DB, table string) map[string]layCol {
	t.Helper()
	rows, err := db.Query(`SELECT name, type, "notnull", pk FROM pragma_table_info(?)`, table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]layCol{}
	for rows.Next() {
		var name string
		var c layCol
		var nn, pk int
		if err := rows.Scan(&name, &c.typ, &nn, &pk); err != nil {
			t.Fatal(err)
		}
		c.notNull, c.pk = nn != 0, pk != 0
		out[name] = c
	}
	return out
}

func TestStoreCreatesLayout(t *testing.T) {
	cfg := enginetest.Config(t)
	path := filepath.Join(t.TempDir(), "layout.db")
	st := enginetest.Open(t, enginetest.WithConfig(cfg), enginetest.At(path))
	defer st.Close()
	db := engine.RawDB(st)

	for _, q := range []string{"qb_meta", "qb_organizations", "qb_users", "qb_members", "qb_audit"} {
		if len(layColumns(t, db, q)) == 0 {
			t.Errorf("console table %s missing", q)
		}
	}
	if v := layStrings(t, db, "SELECT value FROM qb_meta WHERE key = 'format'"); !slices.Equal(v, []string{fmt.Sprint(engine.FormatVersion)}) {
		t.Errorf("qb_meta format = %v, want %d", v, engine.FormatVersion)
	}

	for _, tb := range cfg.Tables {
		cols := layColumns(t, db, tb.Name)
		if len(cols) != len(tb.Columns) {
			t.Errorf("%s: %d columns in the database, %d in the config", tb.Name, len(cols), len(tb.Columns))
		}
		for _, sys := range []string{"created_at", "created_by", "modified_at", "modified_by", "deleted_at", "deleted_by"} {
			if _, ok := cols[sys]; !ok {
				t.Errorf("%s: audit column %s missing", tb.Name, sys)
			}
		}
		var ddl string
		if err := db.QueryRow("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", tb.Name).Scan(&ddl); err != nil {
			t.Fatal(err)
		}
		fks := layStrings(t, db, `SELECT "from", "table", "to" FROM pragma_foreign_key_list(?)`, tb.Name)
		for _, c := range tb.Columns {
			dc, ok := cols[c.SQLName]
			if !ok {
				t.Errorf("%s.%s: column %s missing", tb.Name, c.Name, c.SQLName)
				continue
			}
			wantType := map[schema.ColumnType]string{schema.TypeInteger: "INTEGER", schema.TypeBoolean: "INTEGER", schema.TypeReal: "REAL"}[c.Type]
			if wantType == "" {
				wantType = "TEXT"
			}
			if dc.typ != wantType {
				t.Errorf("%s.%s: type %s, want %s", tb.Name, c.Name, dc.typ, wantType)
			}
			wantNN := c.Type == schema.TypeID || c.Required || c.Name == "createdAt"
			if dc.notNull != wantNN {
				t.Errorf("%s.%s: NOT NULL = %v, want %v", tb.Name, c.Name, dc.notNull, wantNN)
			}
			if dc.pk != (c.Type == schema.TypeID) {
				t.Errorf("%s.%s: primary key = %v", tb.Name, c.Name, dc.pk)
			}
			q := `"` + c.SQLName + `"`
			var checks []string
			if c.Type == schema.TypeEnum {
				checks = append(checks, fmt.Sprintf("CHECK (%s IN ('%s'))", q, strings.Join(c.Values, "','")))
			}
			if c.Type == schema.TypeBoolean {
				checks = append(checks, fmt.Sprintf("CHECK (%s IN (0,1))", q))
			}
			if c.Min != nil {
				checks = append(checks, fmt.Sprintf("CHECK (%s >= %v)", q, *c.Min))
			}
			if c.Max != nil {
				checks = append(checks, fmt.Sprintf("CHECK (%s <= %v)", q, *c.Max))
			}
			if c.MaxLength != nil {
				checks = append(checks, fmt.Sprintf("CHECK (length(%s) <= %d)", q, *c.MaxLength))
			}
			for _, ch := range checks {
				if !strings.Contains(ddl, ch) {
					t.Errorf("%s.%s: %s missing from\n%s", tb.Name, c.Name, ch, ddl)
				}
			}
			if c.References != "" {
				want := c.SQLName + "|" + c.References + "|id"
				if !slices.Contains(fks, want) {
					t.Errorf("%s.%s: REFERENCES %s(id) missing (foreign keys: %v)", tb.Name, c.Name, c.References, fks)
				}
			}
		}
		// Unique groups: a unique index (origin "u") on exactly those columns.
		for _, grp := range tb.Unique {
			var want []string
			for _, n := range grp {
				want = append(want, tb.Column(n).SQLName)
			}
			found := false
			for _, idx := range layStrings(t, db, `SELECT name FROM pragma_index_list(?) WHERE "unique" = 1 AND origin = 'u'`, tb.Name) {
				if slices.Equal(layStrings(t, db, "SELECT name FROM pragma_index_info(?) ORDER BY seqno", idx), want) {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: UNIQUE (%s) missing", tb.Name, strings.Join(want, ", "))
			}
		}
		// The indexes of IndexDDL exist.
		for _, ix := range engine.IndexDDL(tb) {
			name := strings.Fields(ix)[5]
			name = strings.Trim(name, `"`)
			if n := layStrings(t, db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = ?", name); n[0] != "1" {
				t.Errorf("%s: index %s missing", tb.Name, name)
			}
		}
	}

	// The constraints hold against writes that bypass the engine.
	mustFail := func(what, q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err == nil {
			t.Errorf("%s: accepted by the database", what)
		}
	}
	if _, err := db.Exec(`INSERT INTO jobs (id, organization_id, title, created_at) VALUES ('j1', 'o1', 'T', '2026-01-01T00:00:00.000Z')`); err != nil {
		t.Fatal(err)
	}
	mustFail("bad enum", `INSERT INTO jobs (id, organization_id, title, status, created_at) VALUES ('j2', 'o1', 'T', 'nope', 'x')`)
	mustFail("below min", `INSERT INTO jobs (id, organization_id, title, salary_min, created_at) VALUES ('j3', 'o1', 'T', -1, 'x')`)
	mustFail("missing required", `INSERT INTO jobs (id, organization_id, created_at) VALUES ('j4', 'o1', 'x')`)
	mustFail("missing createdAt", `INSERT INTO jobs (id, organization_id, title) VALUES ('j5', 'o1', 'T')`)
	mustFail("too long", `INSERT INTO jobs (id, organization_id, title, created_at) VALUES ('j6', 'o1', ?, 'x')`, strings.Repeat("x", 201))
	mustFail("dangling reference", `INSERT INTO applications (id, organization_id, candidate_id, job_id, stage, created_at) VALUES ('a1', 'o1', 'nobody', 'j1', 'applied', 'x')`)
	if _, err := db.Exec(`INSERT INTO candidates (id, organization_id, name, email, created_at) VALUES ('c1', 'o1', 'N', 'e@x.test', 'x')`); err != nil {
		t.Fatal(err)
	}
	mustFail("duplicate (organizationId, email)", `INSERT INTO candidates (id, organization_id, name, email, created_at) VALUES ('c2', 'o1', 'N', 'e@x.test', 'x')`)
	if _, err := db.Exec(`INSERT INTO candidates (id, organization_id, name, email, created_at) VALUES ('c3', 'o2', 'N', 'e@x.test', 'x')`); err != nil {
		t.Errorf("the same email in another organization: %v", err)
	}
}

func TestStorePragmas(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pragmas.db")
	st := enginetest.Open(t, enginetest.At(path))
	defer st.Close()
	engine.RawDB(st).SetMaxOpenConns(3) // every pooled connection gets the pragmas
	for i := 0; i < 3; i++ {
		conn, err := engine.RawDB(st).Conn(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		for pragma, want := range map[string]string{
			"journal_mode": "wal",
			"foreign_keys": "1",
			"busy_timeout": fmt.Sprint(dbconn.BusyTimeoutMS),
		} {
			var got string
			if err := conn.QueryRowContext(t.Context(), "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("connection %d: PRAGMA %s = %s, want %s", i, pragma, got, want)
			}
		}
	}
}

func TestStoreAddsTableAndNullableColumn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "seeded.db")
	enginetest.Seeded(t, enginetest.At(path)).Close()
	raw := layRaw(t, path)
	before := layStrings(t, raw, "SELECT * FROM candidates ORDER BY id")
	beforeData := enginetest.Dump(t, raw)

	cfg2 := enginetest.Config(t,
		enginetest.Edit{Old: `source         = { type = "enum", values = ["referral", "linkedin", "website", "agency", "ats"], searchable = true }`,
			New: `source         = { type = "enum", values = ["referral", "linkedin", "website", "agency", "ats"], searchable = true }
linkedinUrl    = { type = "text", maxLength = 500 }
rating         = { type = "integer", min = 1, max = 5 }`},
		enginetest.Edit{Old: `# ── External system sync`,
			New: `[tables.referrals]
[tables.referrals.columns]
id             = { type = "id" }
organizationId = { type = "text", required = true }
candidateId    = { type = "text", required = true, references = "candidates" }
note           = { type = "text", maxLength = 100 }
[tables.referrals.firewall]
organization = {}

# ── External system sync`})
	st := enginetest.Open(t, enginetest.WithConfig(cfg2), enginetest.At(path))
	cols := layColumns(t, engine.RawDB(st), "candidates")
	for _, n := range []string{"linkedin_url", "rating"} {
		if c, ok := cols[n]; !ok || c.notNull {
			t.Errorf("candidates.%s: %+v (present %v), want a nullable column", n, c, ok)
		}
	}
	if _, err := engine.RawDB(st).Exec(`UPDATE candidates SET rating = 9 WHERE id = 'c-jane'`); err == nil {
		t.Errorf("an added column lost its CHECK constraint")
	}
	rc := layColumns(t, engine.RawDB(st), "referrals")
	if len(rc) != 4+len(schema.SystemColumns) || !rc["candidate_id"].notNull {
		t.Errorf("referrals: %+v", rc)
	}
	if fks := layStrings(t, engine.RawDB(st), `SELECT "from", "table" FROM pragma_foreign_key_list('referrals')`); !slices.Equal(fks, []string{"candidate_id|candidates"}) {
		t.Errorf("referrals foreign keys: %v", fks)
	}
	// Data kept: the old columns hold the same values, the new ones null.
	after := layStrings(t, engine.RawDB(st), "SELECT * FROM candidates ORDER BY id")
	if len(after) != len(before) {
		t.Fatalf("%d candidates after, %d before", len(after), len(before))
	}
	for i := range after {
		if !strings.HasPrefix(after[i], before[i]+"|") || !strings.HasSuffix(after[i], "|<nil>|<nil>") {
			t.Fatalf("row changed:\n  before %s\n  after  %s", before[i], after[i])
		}
	}
	st.Close()
	// Opening again with the same config changes nothing.
	s1 := laySchema(t, raw)
	st = enginetest.Open(t, enginetest.WithConfig(cfg2), enginetest.At(path))
	st.Close()
	if laySchema(t, raw) != s1 {
		t.Fatal("a second open with the same config changed the schema")
	}
	// Nothing but the layout changed (the audit log included).
	if d := enginetest.Dump(t, raw); !strings.Contains(d, "== referrals\n") || strings.Count(d, "\n") != strings.Count(beforeData, "\n")+1 {
		t.Errorf("data changed beyond the new table")
	}
}

// TestStoreRefusesUnsafeChanges: a retyped column or a new required one on
// a table with rows is refused, changing nothing. (A column the config no
// longer names is not a difference: TestExtraColumnIgnored.)
func TestStoreRefusesUnsafeChanges(t *testing.T) {
	cases := []struct {
		name        string
		edits       []enginetest.Edit
		table, col  string
		wantMessage string
	}{
		{"retyped column", []enginetest.Edit{{Old: `salaryMin      = { type = "integer", min = 0 }`, New: `salaryMin      = { type = "text" }`}}, "jobs", "salaryMin", "is INTEGER in the database but TEXT"},
		{"new required column", []enginetest.Edit{{Old: `phone          = { type = "text", maxLength = 40 }`, New: `phone          = { type = "text", maxLength = 40 }
score          = { type = "integer", required = true }`}}, "candidates", "score", "required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "seeded.db")
			enginetest.Seeded(t, enginetest.At(path)).Close()
			raw := layRaw(t, path)
			schemaBefore, dataBefore := laySchema(t, raw), enginetest.Dump(t, raw)
			cfg2 := enginetest.Config(t, tc.edits...)
			st, err := engine.Open(cfg2, path, engine.Options{})
			if err == nil {
				st.Close()
				t.Fatal("Open accepted an unsafe change")
			}
			var le *engine.LayoutError
			if !errors.As(err, &le) {
				t.Fatalf("err = %T %v, want *engine.LayoutError", err, err)
			}
			if le.Path != path || len(le.Differences) != 1 {
				t.Fatalf("LayoutError %+v", le)
			}
			d := le.Differences[0]
			if !strings.Contains(d, "table "+tc.table+":") || !strings.Contains(d, "column "+tc.col+" ") || !strings.Contains(d, tc.wantMessage) {
				t.Fatalf("difference %q does not name %s.%s (%s)", d, tc.table, tc.col, tc.wantMessage)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("message does not name the database: %v", err)
			}
			if laySchema(t, raw) != schemaBefore {
				t.Error("the schema changed")
			}
			if enginetest.Dump(t, raw) != dataBefore {
				t.Error("the data changed")
			}
		})
	}

	// Several differences are all reported.
	path := filepath.Join(t.TempDir(), "seeded.db")
	enginetest.Seeded(t, enginetest.At(path)).Close()
	_, err := engine.Open(enginetest.Config(t, append(slices.Clone(cases[0].edits), cases[1].edits...)...), path, engine.Options{})
	var le *engine.LayoutError
	if !errors.As(err, &le) || len(le.Differences) != 2 {
		t.Fatalf("err = %v, want both differences", err)
	}
}

func TestStoreRefusesNewerFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "seeded.db")
	enginetest.Seeded(t, enginetest.At(path)).Close()
	raw := layRaw(t, path)
	if _, err := raw.Exec("UPDATE qb_meta SET value = ? WHERE key = 'format'", fmt.Sprint(engine.FormatVersion+1)); err != nil {
		t.Fatal(err)
	}
	schemaBefore, dataBefore := laySchema(t, raw), enginetest.Dump(t, raw)
	for _, ro := range []bool{false, true} {
		st, err := engine.Open(enginetest.Config(t), path, engine.Options{ReadOnly: ro})
		if err == nil {
			st.Close()
			t.Fatalf("read-only %v: a database of format %d was opened", ro, engine.FormatVersion+1)
		}
		if !strings.Contains(err.Error(), "newer") || !strings.Contains(err.Error(), fmt.Sprintf("format %d", engine.FormatVersion+1)) {
			t.Errorf("read-only %v: message %q", ro, err)
		}
	}
	if laySchema(t, raw) != schemaBefore || enginetest.Dump(t, raw) != dataBefore {
		t.Error("a refused open changed the database")
	}
}
