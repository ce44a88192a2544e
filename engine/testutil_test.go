package engine_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"pgregory.net/rapid"
	"quickback.dev/qb/engine"
	"quickback.dev/qb/fixtures"
	"quickback.dev/qb/schema"
)

// ctTB is what the helpers need of *testing.T and *rapid.T.
type ctTB interface {
	rapid.TB
	Cleanup(func())
}

// ctProjectDir is the default project (quickback.toml, fixtures/) seen from
// this package's directory.
const ctProjectDir = ".."

var (
	ctConfigText     string
	ctConfigTextOnce sync.Once
	ctConfigTextErr  error
)

// ctBaseConfigText is the default project's quickback.toml.
func ctBaseConfigText(t ctTB) string {
	t.Helper()
	ctConfigTextOnce.Do(func() {
		b, err := os.ReadFile(filepath.Join(ctProjectDir, "quickback.toml"))
		ctConfigText, ctConfigTextErr = string(b), err
	})
	if ctConfigTextErr != nil {
		t.Fatalf("read quickback.toml: %v", ctConfigTextErr)
	}
	return ctConfigText
}

// ctEdit replaces the first occurrence of Old after the line Section (a TOML
// header such as "[tables.jobs.crud]") with New. An empty Section edits from
// the top of the file.
type ctEdit struct {
	Section, Old, New string
}

// ctApplyEdits applies edits to the config text; it fails the test when an
// edit does not apply, so a drifting config cannot silently disable a case.
func ctApplyEdits(t ctTB, text string, edits ...ctEdit) string {
	t.Helper()
	for _, e := range edits {
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

// ctParseConfig parses config text as if it were the project's quickback.toml
// (so relative paths resolve against the project).
func ctParseConfig(t ctTB, text string) *schema.Config {
	t.Helper()
	cfg, err := schema.Parse(filepath.Join(ctProjectDir, "quickback.toml"), []byte(text))
	if err != nil {
		t.Fatalf("parse config variant: %v\n%s", err, text)
	}
	return cfg
}

// Config variants used by the tests, by name.
var ctVariants = map[string][]ctEdit{
	"": nil,
	// Optional owner scope on interview notes: hiring managers bypass.
	"notesOptional": {{
		Section: "[tables.interview_notes.firewall]",
		Old:     `owner = { mode = "strict" }`,
		New:     `owner = { mode = "optional", bypass = ["hiring-manager"] }`,
	}},
	// errorMode = "hide" on every table the tests probe.
	"hide": {
		{Section: "[tables.jobs.firewall]", Old: "organization = {}", New: "organization = {}\nerrorMode = \"hide\""},
		{Section: "[tables.candidates.firewall]", Old: "organization = {}", New: "organization = {}\nerrorMode = \"hide\""},
		{Section: "[tables.interview_notes.firewall]", Old: "organization = {}", New: "organization = {}\nerrorMode = \"hide\""},
		{Section: "[tables.applications.firewall]", Old: "organization = {}", New: "organization = {}\nerrorMode = \"hide\""},
	},
	// Anonymous callers may list jobs.
	"public": {{
		Section: "[tables.jobs.crud]",
		Old:     `list.access   = { roles = ["interviewer+"] }`,
		New:     `list.access   = { roles = ["PUBLIC", "interviewer+"] }`,
	}},
	// Owners may write candidates (to see masked write responses).
	"ownerWrites": {
		{Section: "[tables.candidates.crud]", Old: `create.access = { roles = ["hiring-manager", "recruiter"] }`, New: `create.access = { roles = ["hiring-manager", "recruiter", "owner"] }`},
		{Section: "[tables.candidates.crud]", Old: `update.access = { roles = ["hiring-manager", "recruiter"] }`, New: `update.access = { roles = ["hiring-manager", "recruiter", "owner"] }`},
	},
	// Recruiters update only the candidates they created.
	"candidatesOr": {{
		Section: "[tables.candidates.crud]",
		Old:     `update.access = { roles = ["hiring-manager", "recruiter"] }`,
		New:     `update.access = { or = [ { roles = ["hiring-manager"] }, { roles = ["recruiter"], record = { createdBy = { equals = "$ctx.userId" } } } ] }`,
	}},
	// Recruiters list, get and update only the candidates they created.
	"candidatesOrList": {
		{Section: "[tables.candidates.crud]", Old: `list.access   = { roles = ["interviewer+"] }`, New: `list.access   = { or = [ { roles = ["interviewer", "hiring-manager", "owner"] }, { roles = ["recruiter"], record = { createdBy = { equals = "$ctx.userId" } } } ] }`},
		{Section: "[tables.candidates.crud]", Old: `get.access    = { roles = ["interviewer+"] }`, New: `get.access    = { or = [ { roles = ["interviewer", "hiring-manager", "owner"] }, { roles = ["recruiter"], record = { createdBy = { equals = "$ctx.userId" } } } ] }`},
		{Section: "[tables.candidates.crud]", Old: `update.access = { roles = ["hiring-manager", "recruiter"] }`, New: `update.access = { or = [ { roles = ["hiring-manager"] }, { roles = ["recruiter"], record = { createdBy = { equals = "$ctx.userId" } } } ] }`},
	},
	// Record conditions on list and get of two tables (property tests):
	// recruiters see the candidates they created; interviewers and
	// recruiters see notes rated 3 or more (a NULL rating fails).
	"propCond": {
		{Section: "[tables.candidates.crud]", Old: `list.access   = { roles = ["interviewer+"] }`, New: `list.access   = { or = [ { roles = ["interviewer", "hiring-manager", "owner"] }, { roles = ["recruiter"], record = { createdBy = { equals = "$ctx.userId" } } } ] }`},
		{Section: "[tables.candidates.crud]", Old: `get.access    = { roles = ["interviewer+"] }`, New: `get.access    = { or = [ { roles = ["interviewer", "hiring-manager", "owner"] }, { roles = ["recruiter"], record = { createdBy = { equals = "$ctx.userId" } } } ] }`},
		{Section: "[tables.interview_notes.crud]", Old: `list.access   = { roles = ["interviewer+"] }`, New: `list.access   = { or = [ { roles = ["hiring-manager", "owner"] }, { roles = ["interviewer", "recruiter"], record = { rating = { gte = 3 } } } ] }`},
		{Section: "[tables.interview_notes.crud]", Old: `get.access    = { roles = ["interviewer+"] }`, New: `get.access    = { or = [ { roles = ["hiring-manager", "owner"] }, { roles = ["interviewer", "recruiter"], record = { rating = { gte = 3 } } } ] }`},
	},
	// jobId of an application is immutable (settable on create only, though
	// not createable), and stage is protected in the list form (any action).
	"appsImmutable": {
		{Section: "[tables.applications.guards]", Old: `createable = ["candidateId", "jobId", "notes"]`, New: `createable = ["candidateId", "notes"]` + "\nimmutable  = [\"jobId\"]"},
		{Section: "[tables.applications.guards]", Old: `protected  = { stage = ["advanceStage"] }`, New: `protected  = ["stage"]`},
	},
	// A trusted feed: guards = false on ats_imports.
	"atsNoGuards": {
		{Section: "", Old: "[tables.ats_imports.guards]\ncreateable = [\"externalId\", \"source\", \"candidateName\", \"candidateEmail\", \"rawPayload\"]\nupdatable  = [\"candidateName\", \"candidateEmail\", \"rawPayload\", \"syncedAt\"]\n", New: ""},
		{Section: "[tables.ats_imports]", Old: `upsertKey = ["externalId"]`, New: `upsertKey = ["externalId"]` + "\nguards = false"},
	},
	// Owners update only draft jobs, and a job must still be a draft after
	// the update (the condition holds before and after).
	"jobsDraftOnly": {{
		Section: "[tables.jobs.crud]",
		Old:     `update.access = { roles = ["owner", "hiring-manager"] }`,
		New:     `update.access = { or = [ { roles = ["hiring-manager"] }, { roles = ["owner"], record = { status = { equals = "draft" } } } ] }`,
	}},
}

var (
	ctCfgCache   = map[string]*schema.Config{}
	ctSeedCache  = map[string]*engine.SeedData{}
	ctCfgCacheMu sync.Mutex
)

// ctVariantConfig returns the parsed config of a named variant (several
// joined with "+" combine their edits) and the
// fixtures read against it (both cached: they are not mutated).
func ctVariantConfig(t ctTB, name string) (*schema.Config, *engine.SeedData) {
	t.Helper()
	ctCfgCacheMu.Lock()
	defer ctCfgCacheMu.Unlock()
	if cfg, ok := ctCfgCache[name]; ok {
		return cfg, ctSeedCache[name]
	}
	var eds []ctEdit
	for _, part := range strings.Split(name, "+") {
		e, ok := ctVariants[part]
		if !ok {
			t.Fatalf("unknown config variant %q", part)
		}
		eds = append(eds, e...)
	}
	cfg := ctParseConfig(t, ctApplyEdits(t, ctBaseConfigText(t), eds...))
	data, err := fixtures.Read(cfg, filepath.Join(ctProjectDir, "fixtures"))
	if err != nil {
		t.Fatalf("read fixtures: %v", err)
	}
	ctCfgCache[name], ctSeedCache[name] = cfg, data
	return cfg, data
}

// ctOpenEngine opens an empty database in a fresh temp dir for cfg.
func ctOpenEngine(t ctTB, cfg *schema.Config) *engine.Engine {
	t.Helper()
	dir := ctTempDir(t)
	e, err := engine.Open(cfg, filepath.Join(dir, "test.db"), engine.Options{})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// ctTempDir is t.TempDir for tests and a fresh directory for rapid's *T.
func ctTempDir(t ctTB) string {
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

var (
	ctTemplates   = map[string][]byte{}
	ctTemplatesMu sync.Mutex
)

// ctSeeded opens a fresh temp database for the named config variant, seeded
// from the default project's fixtures. The first call per variant seeds a
// database through Engine.Seed and keeps its bytes; later calls start from a
// copy of them (same content, much faster than seeding again).
func ctSeeded(t ctTB, variant string, opts ...engine.Options) *engine.Engine {
	t.Helper()
	cfg, data := ctVariantConfig(t, variant)
	ctTemplatesMu.Lock()
	img, ok := ctTemplates[variant]
	if !ok {
		dir := ctTempDir(t)
		path := filepath.Join(dir, "template.db")
		e, err := engine.Open(cfg, path, engine.Options{})
		if err != nil {
			ctTemplatesMu.Unlock()
			t.Fatalf("open: %v", err)
		}
		_, err = e.Seed(context.Background(), data, false)
		e.Close()
		if err != nil {
			ctTemplatesMu.Unlock()
			t.Fatalf("seed: %v", err)
		}
		if _, err := os.Stat(path + "-wal"); err == nil {
			ctTemplatesMu.Unlock()
			t.Fatalf("template database left a WAL file behind")
		}
		img, err = os.ReadFile(path)
		if err != nil {
			ctTemplatesMu.Unlock()
			t.Fatal(err)
		}
		ctTemplates[variant] = img
	}
	ctTemplatesMu.Unlock()
	path := filepath.Join(ctTempDir(t), "test.db")
	if err := os.WriteFile(path, img, 0o600); err != nil {
		t.Fatal(err)
	}
	var o engine.Options
	if len(opts) > 0 {
		o = opts[0]
	}
	e, err := engine.Open(cfg, path, o)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// ctMember resolves a user's identity through the engine (org may be "" for
// single-membership users).
func ctMember(t ctTB, e *engine.Engine, user, org string) engine.Identity {
	t.Helper()
	id, err := e.ResolveIdentity(context.Background(), user, org, "")
	if err != nil {
		t.Fatalf("identity %s@%s: %v", user, org, err)
	}
	return id
}

// ctErrCode returns the engine code of err ("" for nil; fails on a non-engine
// error).
func ctErrCode(t ctTB, err error) engine.Code {
	t.Helper()
	if err == nil {
		return ""
	}
	ee, ok := engine.AsError(err)
	if !ok {
		t.Fatalf("not an engine error: %v", err)
	}
	if ee.Status != ee.Code.Status() {
		t.Errorf("%s: status %d, want %d", ee.Code, ee.Status, ee.Code.Status())
	}
	return ee.Code
}

// ctListAll pages through a list to its end and returns every row; it fails on
// a duplicate id or a page longer than the limit.
func ctListAll(t ctTB, e *engine.Engine, id engine.Identity, table string, q engine.ListQuery) ([]engine.Row, error) {
	t.Helper()
	var out []engine.Row
	seen := map[string]bool{}
	q.Cursor = ""
	for pages := 0; ; pages++ {
		if pages > 10000 {
			t.Fatalf("list %s: paging does not end", table)
		}
		p, err := e.List(context.Background(), id, table, q)
		if err != nil {
			return nil, err
		}
		if q.Limit > 0 && len(p.Rows) > q.Limit {
			t.Fatalf("list %s: page of %d rows exceeds limit %d", table, len(p.Rows), q.Limit)
		}
		if p.Next != "" && q.Limit > 0 && len(p.Rows) != q.Limit {
			t.Fatalf("list %s: a page before the last holds %d rows, not the limit %d", table, len(p.Rows), q.Limit)
		}
		for _, r := range p.Rows {
			if seen[r.ID()] {
				t.Fatalf("list %s: id %s appears twice", table, r.ID())
			}
			seen[r.ID()] = true
			out = append(out, r)
		}
		if p.Next == "" {
			return out, nil
		}
		q.Cursor = p.Next
	}
}

func ctRowIDs(rows []engine.Row) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.ID()
	}
	sort.Strings(out)
	return out
}

func ctFindRow(rows []engine.Row, id string) *engine.Row {
	for i := range rows {
		if rows[i].ID() == id {
			return &rows[i]
		}
	}
	return nil
}

// ctDump renders every table but the audit log as text, rows in primary-key
// (rowid) order, values with their SQLite types: equal dumps mean the
// database is unchanged apart from qb_audit.
func ctDump(t ctTB, db *sql.DB) string {
	t.Helper()
	ctx := context.Background()
	rows, err := db.QueryContext(ctx, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('qb_audit') AND name NOT LIKE 'sqlite_%' ORDER BY name")
	if err != nil {
		t.Fatalf("dump: %v", err)
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, n)
	}
	rows.Close()
	var b strings.Builder
	for _, tb := range tables {
		fmt.Fprintf(&b, "== %s\n", tb)
		r, err := db.QueryContext(ctx, `SELECT * FROM "`+tb+`" ORDER BY rowid`)
		if err != nil {
			// WITHOUT ROWID tables are not used; fall back to no order.
			r, err = db.QueryContext(ctx, `SELECT * FROM "`+tb+`"`)
			if err != nil {
				t.Fatalf("dump %s: %v", tb, err)
			}
		}
		cols, _ := r.Columns()
		for r.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := r.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				if i > 0 {
					b.WriteByte('|')
				}
				if bs, ok := v.([]byte); ok {
					v = string(bs)
				}
				fmt.Fprintf(&b, "%T:%q", v, fmt.Sprint(v))
			}
			b.WriteByte('\n')
		}
		r.Close()
	}
	return b.String()
}

// ctMustJSON marshals v for leak checks.
func ctMustJSON(t ctTB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return string(b)
}

// ctRawValue reads one stored value directly (bypassing the engine).
func ctRawValue(t ctTB, e *engine.Engine, table, col, id string) any {
	t.Helper()
	var v any
	err := engine.RawDB(e).QueryRow(fmt.Sprintf(`SELECT %s FROM %s WHERE id = ?`, engine.Q(col), engine.Q(table)), id).Scan(&v)
	if err != nil {
		t.Fatalf("raw %s.%s[%s]: %v", table, col, id, err)
	}
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	return v
}
