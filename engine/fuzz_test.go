package engine_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/enginetest"
	"quickback.dev/qb/schema"
)

// Fuzz targets for hostile input (issue 8): filter expressions, JSON data of
// writes and actions, and cursors. Each target opens one seeded database
// (a copy of the per-process template) and reuses it for every input, so an
// exec costs a few statements. The committed seed corpora are under
// testdata/fuzz/<FuzzName>/.

// fzWho is one caller of the fuzz targets.
type fzWho struct {
	label string
	id    engine.Identity
}

// fzIdentities resolves the callers the targets draw from: every role of
// acme, a hiring manager of globex, a caller without organization and an
// anonymous one.
func fzIdentities(f *testing.F, e *engine.Engine) []fzWho {
	f.Helper()
	var out []fzWho
	for _, as := range []string{"u-dana", "u-ivan", "u-rachel", "u-olivia", "u-helen", "u-marco@globex"} {
		user, org, _ := strings.Cut(as, "@")
		out = append(out, fzWho{as, enginetest.Member(f, e, user, org)})
	}
	noorg := enginetest.Member(f, e, "u-dana", "")
	noorg.OrgID = ""
	out = append(out, fzWho{"noorg:u-dana", noorg})
	out = append(out, fzWho{"anon@acme", engine.Identity{Anonymous: true, OrgID: "acme"}})
	return out
}

func fzPick[E any](list []E, b uint8) E { return list[int(b)%len(list)] }

// fzCode returns the engine code of a refusal; a non-engine error or a code
// outside the catalogue fails the test.
func fzCode(t *testing.T, what string, err error) engine.Code {
	t.Helper()
	if err == nil {
		return ""
	}
	ee, ok := engine.AsError(err)
	if !ok {
		t.Fatalf("%s: untyped error %T: %v", what, err, err)
	}
	if ee.Code.Status() == 0 || ee.Status != ee.Code.Status() {
		t.Fatalf("%s: code %q status %d outside the catalogue", what, ee.Code, ee.Status)
	}
	return ee.Code
}

// fzSecrets are the raw values of the masked columns of candidates (every
// organization), read once before fuzzing.
func fzSecrets(f *testing.F, e *engine.Engine) map[string]bool {
	f.Helper()
	rows, err := engine.RawDB(e).Query(`SELECT email, phone FROM candidates`)
	if err != nil {
		f.Fatal(err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var email, phone *string
		if err := rows.Scan(&email, &phone); err != nil {
			f.Fatal(err)
		}
		for _, s := range []*string{email, phone} {
			if s != nil && *s != "" {
				out[*s] = true
			}
		}
	}
	return out
}

// fzCheckRow fails when a row the engine returned lies outside id's
// firewall (another organization, another owner under a strict owner
// scope, soft-deleted) or shows a masked column raw to a role that must not
// see it.
func fzCheckRow(t *testing.T, e *engine.Engine, id engine.Identity, r engine.Row, secrets map[string]bool) {
	t.Helper()
	fzCheckRowStored(t, e, id, r, secrets, true)
}

// fzCheckRowStored is fzCheckRow; stored is false for the row of a dry run
// (it is not in the database).
func fzCheckRowStored(t *testing.T, e *engine.Engine, id engine.Identity, r engine.Row, secrets map[string]bool, stored bool) {
	t.Helper()
	tb := r.Table
	if oc := tb.OrgColumn(); oc != nil {
		if got, _ := r.Get(oc.Name).(string); got != id.OrgID || id.OrgID == "" {
			t.Fatalf("%s %s of organization %q returned to a caller of %q", tb.Name, r.ID(), got, id.OrgID)
		}
	}
	if owc := tb.OwnerColumn(); owc != nil {
		if got, _ := r.Get(owc.Name).(string); got != id.UserID {
			t.Fatalf("%s %s of owner %q returned to %q", tb.Name, r.ID(), got, id.UserID)
		}
	}
	if tb.Name == "candidates" && id.Role != "hiring-manager" && id.Role != "recruiter" {
		for _, c := range []string{"email", "phone"} {
			v := r.Get(c)
			if v != nil && !r.IsMasked(c) {
				t.Fatalf("%s.%s of %s shown unmasked to %s: %v", tb.Name, c, r.ID(), id.Role, v)
			}
			if s, ok := v.(string); ok && secrets[s] {
				t.Fatalf("%s.%s of %s shows a raw value to %s", tb.Name, c, r.ID(), id.Role)
			}
		}
	}
	if !stored {
		return
	}
	// The stored row, not just what the engine says about it.
	q := fmt.Sprintf("SELECT %s, %s FROM %s WHERE %s = ?", engine.Q(tb.Column("deletedAt").SQLName), fzOrgExpr(tb), engine.Q(tb.Name), engine.Q(tb.PrimaryKey().SQLName))
	var deleted any
	var org string
	if err := engine.RawDB(e).QueryRow(q, r.ID()).Scan(&deleted, &org); err != nil {
		t.Fatalf("stored %s %s: %v", tb.Name, r.ID(), err)
	}
	if deleted != nil {
		t.Fatalf("soft-deleted %s %s returned", tb.Name, r.ID())
	}
	if tb.OrgColumn() != nil && org != id.OrgID {
		t.Fatalf("%s %s is stored in organization %q, returned to %q", tb.Name, r.ID(), org, id.OrgID)
	}
}

func fzOrgExpr(tb *schema.Table) string {
	if oc := tb.OrgColumn(); oc != nil {
		return "COALESCE(" + engine.Q(oc.SQLName) + ", '')"
	}
	return "''"
}

// fzChecksum is a digest of every table but the audit log.
func fzChecksum(t testing.TB, e *engine.Engine) [32]byte {
	t.Helper()
	return sha256.Sum256([]byte(enginetest.Dump(t, engine.RawDB(e), "qb_audit")))
}

// fzDecodeObject decodes data like main.go's decodeObject (--data,
// --input): one JSON object, numbers kept as json.Number. ok is false for
// anything else.
func fzDecodeObject(data []byte) (map[string]any, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil || dec.More() {
		return nil, false
	}
	return m, true
}

// FuzzFilter: any filter expression, parsed then listed by an interviewer
// and a hiring manager on candidates and jobs, is refused with
// VALIDATION_FAILED or QUERY_COLUMN_MASKED, or gives rows inside the
// firewall that never show a masked value raw.
func FuzzFilter(f *testing.F) {
	for _, s := range []string{
		"name=Jane Doe", "name~Jane", "email~example.com", "phone=555-123-4567",
		"source in referral,linkedin", "source in ", "status!=open", "salaryMin>=100000",
		"salaryMax<abc", "createdAt<=2026-01-01", "createdAt>2026-01-01T00:00:00Z", "organizationId=globex",
		"deletedAt!=", `name" OR 1=1 --`, "name=' OR '1'='1", "name~%", `name~\_%`,
		"id in c-jane,c-gx-john", "=x", "", "name", "name in", "title~\x00\xff", "department>=", "ｎａｍｅ=x",
		"organizationId in acme,globex,initech",
	} {
		f.Add(s)
	}
	e := enginetest.Seeded(f)
	dana := enginetest.Member(f, e, "u-dana", "")
	ivan := enginetest.Member(f, e, "u-ivan", "")
	secrets := fzSecrets(f, e)
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, expr string) {
		flt, err := engine.ParseFilter(expr)
		if err != nil {
			if c := fzCode(t, "parse", err); c != engine.ValidationFailed {
				t.Fatalf("parse %q: %s, want VALIDATION_FAILED", expr, c)
			}
			return
		}
		for _, id := range []engine.Identity{ivan, dana} {
			for _, table := range []string{"candidates", "jobs"} {
				p, err := e.List(ctx, id, table, engine.ListQuery{Filters: []engine.Filter{flt}})
				what := fmt.Sprintf("list %s as %s with %q", table, id.Role, expr)
				switch c := fzCode(t, what, err); c {
				case "":
				case engine.ValidationFailed:
					continue
				case engine.QueryColumnMasked:
					if id.Role == "hiring-manager" {
						t.Fatalf("%s: QUERY_COLUMN_MASKED for a role that sees every column", what)
					}
					continue
				default:
					t.Fatalf("%s: %s", what, c)
				}
				if table == "candidates" && id.Role == "interviewer" && (flt.Column == "email" || flt.Column == "phone") {
					t.Fatalf("%s: a filter on a masked column ran", what)
				}
				for _, r := range p.Rows {
					fzCheckRow(t, e, id, r, secrets)
				}
			}
		}
	})
}

// Tables, row ids (one per organization, soft-deleted, absent) and write
// paths the write target draws from.
var (
	fzWriteTables = []string{"jobs", "candidates", "interview_notes", "applications", "ats_imports", "interview_scores", "qb_audit", `jobs" --`}
	fzWriteRows   = map[string][]string{
		"jobs":            {"j-robotics-eng", "j-gx-analyst", "j-none"},
		"candidates":      {"c-jane", "c-gx-john", "c-none"},
		"interview_notes": {"n-01", "n-03", "n-12", "n-none"},
		"applications":    {"a-1003", "a-2001", "a-1024", "a-none"},
		"ats_imports":     {"x-acme-1", "x-gx-1", "x-none"},
	}
)

// FuzzWriteJSON: any JSON object given to create, update or upsert (dry
// run or real) by any caller never panics; a refusal is a typed error after
// which the tables are unchanged, as they are after a dry run; a result
// never holds a row of another organization or a raw masked value.
func FuzzWriteJSON(f *testing.F) {
	for i, s := range []string{
		`{"title":"Fuzz engineer","department":"QA","salaryMin":1,"salaryMax":2}`,
		`{"name":"Fuzz Person","email":"fuzz@example.com","phone":"555-000-0000","source":"ats"}`,
		`{"candidateId":"c-jane","content":"good","rating":5}`,
		`{"candidateId":"c-gx-john","jobId":"j-robotics-eng","notes":"cross org"}`,
		`{"externalId":"ext-1","candidateName":"X","rawPayload":{"a":[1,2,{"b":null}]}}`,
		`{"externalId":"x-gx-1","source":"fuzz"}`,
		`{"organizationId":"globex","title":"moved"}`,
		`{"id":"j-gx-analyst","title":"taken"}`,
		`{"stage":"hired"}`, `{"notes":"` + strings.Repeat("n", 4001) + `"}`,
		`{"salaryMin":1e400}`, `{"salaryMin":-1}`, `{"salaryMin":9007199254740993}`, `{"rating":2.5}`,
		`{"name":"\u0000\ud800"}`, `{"name":"` + "\xff\xfe" + `"}`, `{"title":null}`, `{"deletedAt":"2026-01-01"}`,
		`{"name\" , \"organizationId":"x"}`, `[]`, `null`, `{} {}`, `{"a":1`, `{"syncedAt":"yesterday"}`,
		`{"status":"open","title":"` + strings.Repeat("é", 201) + `"}`,
	} {
		f.Add(uint8(i), uint8(i/3), uint8(i/2), i%2 == 0, []byte(s))
	}
	e := enginetest.Seeded(f)
	whos := fzIdentities(f, e)
	secrets := fzSecrets(f, e)
	ctx := context.Background()
	var base [32]byte
	baseOK := false
	f.Fuzz(func(t *testing.T, tableSel, whoSel, opSel uint8, dry bool, data []byte) {
		m, ok := fzDecodeObject(data)
		if !ok {
			return
		}
		table := fzPick(fzWriteTables, tableSel)
		who := fzPick(whos, whoSel)
		if !baseOK {
			base, baseOK = fzChecksum(t, e), true
		}
		var res *engine.WriteResult
		var err error
		op := fzPick([]string{"create", "update", "upsert"}, opSel)
		switch op {
		case "create":
			res, err = e.Create(ctx, who.id, table, m, engine.WriteOptions{DryRun: dry})
		case "update":
			rows := fzWriteRows[table]
			rowID := "x"
			if len(rows) > 0 {
				rowID = fzPick(rows, opSel/3)
			}
			res, err = e.Update(ctx, who.id, table, rowID, m, engine.WriteOptions{DryRun: dry})
		case "upsert":
			res, err = e.Upsert(ctx, who.id, table, m, engine.WriteOptions{DryRun: dry})
		}
		what := fmt.Sprintf("%s %s as %s (dry %v) %s", op, table, who.label, dry, data)
		fzCode(t, what, err)
		if err != nil || dry {
			if got := fzChecksum(t, e); got != base {
				t.Fatalf("%s: refused or dry run, yet the tables changed (err %v)", what, err)
			}
			if err != nil {
				return
			}
		}
		if res == nil || res.Row == nil {
			t.Fatalf("%s: success without a row", what)
		}
		if res.DryRun != dry {
			t.Fatalf("%s: DryRun %v", what, res.DryRun)
		}
		fzCheckRowStored(t, e, who.id, *res.Row, secrets, !dry)
		if table == "candidates" && who.id.Role != "hiring-manager" && who.id.Role != "recruiter" {
			for _, ch := range res.Changes {
				if (ch.Field == "email" || ch.Field == "phone") && !ch.Masked && (ch.After != nil || ch.Before != nil) {
					t.Fatalf("%s: change of %s shown unmasked", what, ch.Field)
				}
			}
		}
		if !dry {
			// Keep the database small: a created row is removed again (it
			// has no dependants yet); the baseline is recomputed lazily.
			if res.Path == "create" {
				tb := res.Row.Table
				if _, derr := engine.RawDB(e).Exec(fmt.Sprintf("DELETE FROM %s WHERE %s = ?", engine.Q(tb.Name), engine.Q(tb.PrimaryKey().SQLName)), res.Row.ID()); derr != nil {
					t.Fatalf("clean up: %v", derr)
				}
			}
			baseOK = false
		}
	})
}

// FuzzActionInput: any JSON input to advanceStage or submitScore, dry run or
// real, on applications of any organization, by any caller: no panic, only
// typed refusals that change nothing, and results inside the firewall.
func FuzzActionInput(f *testing.F) {
	for i, s := range []string{
		`{"stage":"screening"}`, `{"stage":"rejected","note":"no"}`, `{"stage":"hired"}`, `{"stage":"nope"}`,
		`{"score":5,"feedback":"great"}`, `{"score":0}`, `{"score":6}`, `{"score":"5"}`, `{"score":4.5}`,
		`{"score":1e309}`, `{"score":-9223372036854775809}`, `{"score":3,"extra":true}`, `{}`,
		`{"stage":null}`, `{"note":"` + strings.Repeat("x", 501) + `","stage":"screening"}`,
		`{"feedback":{"nested":[1,2]},"score":2}`, `{"stage":"screening"} trailing`, `"str"`,
	} {
		f.Add(uint8(i), uint8(i/2), uint8(i), i%3 == 0, []byte(s))
	}
	e := enginetest.Seeded(f)
	whos := fzIdentities(f, e)
	secrets := fzSecrets(f, e)
	apps := []string{"a-1001", "a-1003", "a-1010", "a-2001", "a-1024", "a-none", ""}
	ctx := context.Background()
	var base [32]byte
	baseOK := false
	f.Fuzz(func(t *testing.T, actSel, whoSel, appSel uint8, dry bool, data []byte) {
		m, ok := fzDecodeObject(data)
		if !ok {
			return
		}
		action := fzPick([]string{"advanceStage", "submitScore", "advanceStage\" --"}, actSel)
		who := fzPick(whos, whoSel)
		app := fzPick(apps, appSel)
		if !baseOK {
			base, baseOK = fzChecksum(t, e), true
		}
		res, err := e.Run(ctx, who.id, "applications", action, app, m, engine.WriteOptions{DryRun: dry})
		what := fmt.Sprintf("%s on %q as %s (dry %v) %s", action, app, who.label, dry, data)
		fzCode(t, what, err)
		if err != nil || dry {
			if got := fzChecksum(t, e); got != base {
				t.Fatalf("%s: refused or dry run, yet the tables changed (err %v)", what, err)
			}
			if err != nil {
				return
			}
		}
		if res.Row == nil {
			t.Fatalf("%s: a record action without its row", what)
		}
		fzCheckRowStored(t, e, who.id, *res.Row, secrets, !dry)
		for _, r := range res.Inserted {
			if got, _ := r.Get("organizationId").(string); got != who.id.OrgID {
				t.Fatalf("%s: inserted a row of organization %q for a caller of %q", what, got, who.id.OrgID)
			}
		}
		if !dry {
			for _, r := range res.Inserted {
				if _, derr := engine.RawDB(e).Exec(fmt.Sprintf("DELETE FROM %s WHERE id = ?", engine.Q(r.Table.Name)), r.ID()); derr != nil {
					t.Fatalf("clean up: %v", derr)
				}
			}
			baseOK = false
		}
	})
}

// fzCursorSorts are the sorts the cursor target lists with (each gives a
// different cursor signature).
var fzCursorSorts = [][]schema.SortKey{nil, {{Column: "id"}}, {{Column: "name", Desc: true}}, {{Column: "createdAt"}, {Column: "source", Desc: true}}, {{Column: "title"}}, {{Column: "content"}}}

// FuzzCursor: a list with any cursor (garbage, any base64, or a forged
// cursor with a real signature of another query and values of another
// organization's rows) never returns a row outside the caller's firewall
// (organization, owner scope, not deleted); a refusal is VALIDATION_FAILED.
func FuzzCursor(f *testing.F) {
	e := enginetest.Seeded(f)
	ctx := context.Background()
	whos := fzIdentities(f, e)[:5] // members of acme and globex
	secrets := fzSecrets(f, e)
	tables := []string{"candidates", "jobs", "interview_notes", "applications"}
	// Real signatures: the first page of each query as the owner of acme
	// (notes: as the author of n-01).
	sigs := map[string]bool{}
	olivia, ivan := enginetest.Member(f, e, "u-olivia", ""), enginetest.Member(f, e, "u-ivan", "")
	for _, tb := range tables {
		for _, s := range fzCursorSorts {
			id := olivia
			if tb == "interview_notes" {
				id = ivan
			}
			p, err := e.List(ctx, id, tb, engine.ListQuery{Sort: s, Limit: 1})
			if err != nil || p.Next == "" {
				continue
			}
			raw, _ := base64.RawURLEncoding.DecodeString(p.Next)
			var body struct {
				K string `json:"k"`
			}
			if json.Unmarshal(raw, &body) == nil {
				sigs[body.K] = true
			}
		}
	}
	f.Add("", uint8(0), uint8(0), uint8(0), "", "", int64(0))
	f.Add("not a cursor", uint8(1), uint8(1), uint8(1), "", "", int64(0))
	f.Add("eyJrIjoiY2FuZGlkYXRlczotY3JlYXRlZEF0LGlkIiwidiI6WyIiLCIiXX0", uint8(0), uint8(0), uint8(0), "", "", int64(0))
	var sorted []string
	for sig := range sigs {
		sorted = append(sorted, sig)
	}
	sort.Strings(sorted)
	for i, sig := range sorted {
		// A real signature with another organization's values, with
		// strange values, with one value too many.
		f.Add(sig, uint8(i), uint8(i/2), uint8(2), "2099-01-01T00:00:00.000Z", "j-gx-analyst", int64(i))
		f.Add(sig, uint8(i+1), uint8(i), uint8(3), "", "c-gx-john", int64(-1))
		f.Add(sig, uint8(i+2), uint8(i/3), uint8(4), "' OR 1=1 --", "\x00", int64(1<<62))
	}
	f.Fuzz(func(t *testing.T, s string, whoSel, qSel, mode uint8, v1, v2 string, n int64) {
		who := fzPick(whos, whoSel)
		table := fzPick(tables, qSel)
		keys := fzPick(fzCursorSorts, qSel/4)
		cursor := s
		switch mode % 6 {
		case 1: // any bytes, encoded as a cursor is
			cursor = base64.RawURLEncoding.EncodeToString([]byte(s))
		case 2, 3, 4, 5: // a forged body: s is the signature
			var vals []any
			switch mode % 6 {
			case 2:
				vals = []any{v1, v2}
			case 3:
				vals = []any{v1, n, v2}
			case 4:
				vals = []any{n, nil}
			case 5:
				vals = []any{true, []any{v1}, map[string]any{"x": v2}}
			}
			b, _ := json.Marshal(map[string]any{"k": s, "v": vals})
			cursor = base64.RawURLEncoding.EncodeToString(b)
		}
		q := engine.ListQuery{Sort: keys, Cursor: cursor, Limit: int(n % 7)}
		p, err := e.List(ctx, who.id, table, q)
		what := fmt.Sprintf("list %s as %s sort %v cursor %q", table, who.label, keys, cursor)
		switch c := fzCode(t, what, err); c {
		case "":
		case engine.ValidationFailed, engine.QueryColumnMasked:
			return
		case engine.AccessRoleRequired:
			// Only if the same query without a cursor is refused too.
			q.Cursor = ""
			if _, err2 := e.List(ctx, who.id, table, q); fzCode(t, what, err2) != c {
				t.Fatalf("%s: %s only with the cursor", what, c)
			}
			return
		default:
			t.Fatalf("%s: %s, want VALIDATION_FAILED", what, c)
		}
		for _, r := range p.Rows {
			fzCheckRow(t, e, who.id, r, secrets)
		}
		// Following the page's own cursor stays inside too.
		if p.Next != "" {
			q.Cursor = p.Next
			p2, err := e.List(ctx, who.id, table, q)
			if err != nil {
				t.Fatalf("%s: the next page: %v", what, err)
			}
			for _, r := range p2.Rows {
				fzCheckRow(t, e, who.id, r, secrets)
			}
		}
	})
}

// Identifiers never reach SQL unvalidated: a table, column, sort key, field,
// operator or action name carrying SQL is refused as unknown before any
// statement runs, and values only travel as parameters (an injection in a
// value matches nothing and never appears in the statement's text).
func TestFuzzIdentifiersNeverReachSQL(t *testing.T) {
	e := enginetest.Seeded(t)
	ctx := context.Background()
	dana := enginetest.Member(t, e, "u-dana", "")
	before := enginetest.Dump(t, engine.RawDB(e), "qb_audit")
	hostile := []string{`name" OR 1=1 --`, `name"; DROP TABLE candidates; --`, "name`", "name'", "name OR 1", "\"name\"", "name\x00", "candidates.name"}
	want := func(what string, err error, codes ...engine.Code) {
		t.Helper()
		c := ctErrCode(t, err)
		for _, w := range codes {
			if c == w {
				return
			}
		}
		t.Errorf("%s: got %q, want one of %v", what, c, codes)
	}
	for _, h := range hostile {
		_, err := e.List(ctx, dana, "candidates", engine.ListQuery{Filters: []engine.Filter{{Column: h, Op: "=", Value: "x"}}})
		want("filter column "+h, err, engine.ValidationFailed)
		_, _, err = e.ListSQL(dana, "candidates", engine.ListQuery{Filters: []engine.Filter{{Column: h, Op: "~", Value: "x"}}})
		want("ListSQL filter column "+h, err, engine.ValidationFailed)
		_, err = e.List(ctx, dana, "candidates", engine.ListQuery{Sort: []schema.SortKey{schema.ParseSortKey("-" + h)}})
		want("sort "+h, err, engine.ValidationFailed)
		_, err = e.Count(ctx, dana, "candidates", engine.ListQuery{Filters: []engine.Filter{{Column: h, Op: "in", Value: "x"}}})
		want("count filter column "+h, err, engine.ValidationFailed)
		// ParseFilter takes identifier bytes only: the rest is no operator.
		_, err = engine.ParseFilter(h + "=x")
		want("ParseFilter "+h, err, engine.ValidationFailed)
		tbl := "candidates" + strings.TrimPrefix(h, "name")
		_, err = e.List(ctx, dana, tbl, engine.ListQuery{})
		want("list table "+tbl, err, engine.NotFound)
		_, err = e.Get(ctx, dana, tbl, "c-jane")
		want("get table "+tbl, err, engine.NotFound)
		_, err = e.Create(ctx, dana, tbl, map[string]any{"name": "x", "email": "x@y.z"}, engine.WriteOptions{})
		want("create table "+tbl, err, engine.NotFound)
		_, err = e.Update(ctx, dana, tbl, "c-jane", map[string]any{"name": "x"}, engine.WriteOptions{})
		want("update table "+tbl, err, engine.NotFound)
		_, err = e.Upsert(ctx, dana, tbl, map[string]any{"name": "x"}, engine.WriteOptions{})
		want("upsert table "+tbl, err, engine.NotFound)
		_, err = e.Delete(ctx, dana, tbl, "c-jane", engine.WriteOptions{})
		want("delete table "+tbl, err, engine.NotFound)
		_, err = e.Create(ctx, dana, "candidates", map[string]any{h: "x", "name": "x", "email": "x@y.z"}, engine.WriteOptions{})
		want("create field "+h, err, engine.ValidationFailed)
		_, err = e.Update(ctx, dana, "candidates", "c-jane", map[string]any{h: "x"}, engine.WriteOptions{})
		want("update field "+h, err, engine.ValidationFailed)
		_, err = e.Run(ctx, dana, "applications", "advanceStage"+strings.TrimPrefix(h, "name"), "a-1001", map[string]any{"stage": "screening"}, engine.WriteOptions{})
		want("action "+h, err, engine.NotFound)
		_, err = e.Run(ctx, dana, "applications", "advanceStage", "a-1001", map[string]any{h: "screening", "stage": "screening"}, engine.WriteOptions{})
		want("action input "+h, err, engine.ValidationFailed)
	}
	for _, op := range []string{"= 1 OR 1=1 --", "LIKE", "IS", "==", ""} {
		_, err := e.List(ctx, dana, "candidates", engine.ListQuery{Filters: []engine.Filter{{Column: "name", Op: op, Value: "x"}}})
		want("operator "+op, err, engine.ValidationFailed)
	}
	// Values are parameters: an injection in a filter value, a search, a
	// row id or a cursor value matches nothing and is not in the SQL text.
	for _, v := range []string{`' OR '1'='1`, `" OR "1"="1`, `x') OR 1=1 --`, `%' OR 1=1 --`} {
		for _, q := range []engine.ListQuery{
			{Filters: []engine.Filter{{Column: "name", Op: "=", Value: v}}},
			{Filters: []engine.Filter{{Column: "name", Op: "~", Value: v}}},
			{Filters: []engine.Filter{{Column: "name", Op: "in", Value: v + ",x"}}},
			{Filters: []engine.Filter{{Column: "createdAt", Op: "=", Value: v}}},
			{Search: v},
		} {
			rows, err := ctListAll(t, e, dana, "candidates", q)
			if err != nil || len(rows) != 0 {
				t.Errorf("value %q in %+v: %d rows, err %v", v, q, len(rows), err)
			}
			stmt, args, err := e.ListSQL(dana, "candidates", q)
			if err != nil || strings.Contains(stmt, v) || strings.Contains(stmt, "1=1") || len(args) == 0 {
				t.Errorf("value %q in %+v reached the statement text: %s (err %v)", v, q, stmt, err)
			}
		}
		if _, err := e.Get(ctx, dana, "candidates", "c-jane"+v); ctErrCode(t, err) != engine.FirewallNotFound {
			t.Errorf("get id %q: %v", "c-jane"+v, err)
		}
	}
	if after := enginetest.Dump(t, engine.RawDB(e), "qb_audit"); after != before {
		t.Error("the tables changed")
	}
	for _, tb := range []string{"candidates", "jobs", "applications"} {
		var n int
		if err := engine.RawDB(e).QueryRow(`SELECT count(*) FROM ` + engine.Q(tb)).Scan(&n); err != nil || n == 0 {
			t.Errorf("table %s: %d rows, %v", tb, n, err)
		}
	}
}
