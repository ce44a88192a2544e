package engine_test

import (
	"context"
	"flag"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/engine/seed"
	"quickback.dev/qb/internal/enginetest"
	"quickback.dev/qb/internal/pgtest"
	"quickback.dev/qb/schema"
)

// Pools the generators draw from. Organization and user ids include
// look-alikes that a sloppy comparison (case folding, trimming, prefix
// matching, Unicode normalization) would confuse with the real ones.
var (
	// Data organizations: mostly acme, and its look-alikes.
	ctOrgPool = []string{"acme", "acme", "acme", "acme ", "ACME", "acme2", "globex", "ａｃｍｅ", " acme"}
	// Caller organizations: mostly acme, sometimes none.
	ctIdOrgPool = []string{"acme", "acme", "acme", "acme", "globex", "acme ", "ACME", "acme2", ""}
	ctUserPool  = []string{"u-1", "u-1", "u-2", "u-3", "U-1", "u-1 ", "u-10", "ü-1"}
	ctIdUsers   = []string{"u-1", "u-1", "u-1", "u-2", "u-3", "U-1", ""}
	ctRolePool  = []string{"interviewer", "recruiter", "hiring-manager", "owner", "interviewer", "recruiter", "hiring-manager", "owner", "", "admin", "Owner"}
	ctTimePool  = []string{"2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z", "2026-01-02T08:30:00Z", "2025-12-31T23:59:59Z", "2026-03-01T12:00:00.250Z"}
	ctTextRunes = []rune("abcxyzABCXYZ éüßçñ日本語ﻻ👩‍💻 '\"%_\\;-")
	ctIdRunes   = []rune("abcdefghjk")
)

func ctDrawFrom[E any](rt *rapid.T, pool []E, label string) E {
	return rapid.SampledFrom(pool).Draw(rt, label)
}

// ctMaybe returns nil with probability about 1/3.
func ctMaybe(rt *rapid.T, label string, v any) any {
	if rapid.IntRange(0, 2).Draw(rt, label+"?") == 0 {
		return nil
	}
	return v
}

// ctGenData is random seed data for candidates and interview notes: many
// organizations and owners, ties on the default sort, NULLs, Unicode and
// soft-deleted rows. raw lists the email and phone values stored.
type ctGenData struct {
	seed       *seed.Data
	candidates []string
	notes      []string
	raw        []string
}

func ctDrawData(rt *rapid.T) ctGenData {
	var g ctGenData
	g.seed = &seed.Data{}
	cands := seed.Table{Table: "candidates"}
	nc := rapid.IntRange(0, 20).Draw(rt, "candidates")
	candOrg := map[string]string{}
	for i := 0; i < nc; i++ {
		id := fmt.Sprintf("c%02d-%s", i, rapid.StringOfN(rapid.RuneFrom(ctIdRunes), 0, 3, -1).Draw(rt, "cid"))
		org := ctDrawFrom(rt, ctOrgPool, "org")
		email := fmt.Sprintf("%s%02d@%s.com", rapid.StringOfN(rapid.RuneFrom([]rune("qwrtzk")), 3, 8, -1).Draw(rt, "local"), i, rapid.StringOfN(rapid.RuneFrom([]rune("mnpv")), 3, 6, -1).Draw(rt, "domain"))
		v := map[string]any{
			"id":             id,
			"organizationId": org,
			"name":           rapid.StringOfN(rapid.RuneFrom(ctTextRunes), 1, 12, -1).Draw(rt, "name"),
			"email":          email,
			"createdAt":      ctDrawFrom(rt, ctTimePool, "createdAt"),
		}
		g.raw = append(g.raw, email)
		if ph := ctMaybe(rt, "phone", fmt.Sprintf("9%02d-%03d-%04d", i, rapid.IntRange(0, 999).Draw(rt, "ph1"), rapid.IntRange(0, 9999).Draw(rt, "ph2"))); ph != nil {
			v["phone"] = ph
			g.raw = append(g.raw, ph.(string))
		}
		if s := ctMaybe(rt, "source", ctDrawFrom(rt, []string{"referral", "linkedin", "website", "agency", "ats"}, "src")); s != nil {
			v["source"] = s
		}
		if u := ctMaybe(rt, "createdBy", ctDrawFrom(rt, ctUserPool, "cb")); u != nil {
			v["createdBy"] = u
		}
		if rapid.IntRange(0, 4).Draw(rt, "deleted") == 0 {
			v["deletedAt"] = ctDrawFrom(rt, ctTimePool, "deletedAt")
		}
		cands.Rows = append(cands.Rows, seed.Row{Values: v, File: "gen", Line: i + 1})
		g.candidates = append(g.candidates, id)
		candOrg[id] = org
	}
	notes := seed.Table{Table: "interview_notes"}
	nn := rapid.IntRange(0, 20).Draw(rt, "notes")
	for i := 0; i < nn && nc > 0; i++ {
		cid := ctDrawFrom(rt, g.candidates, "candidateId")
		v := map[string]any{
			"id":             fmt.Sprintf("n%02d", i),
			"organizationId": candOrg[cid], // a note references a candidate of its organization
			"ownerId":        ctDrawFrom(rt, append([]string{""}, ctUserPool...), "owner"),
			"candidateId":    cid,
			"content":        rapid.StringOfN(rapid.RuneFrom(ctTextRunes), 0, 10, -1).Draw(rt, "content"),
			"createdAt":      ctDrawFrom(rt, ctTimePool, "createdAt"),
		}
		if r := ctMaybe(rt, "rating", int64(rapid.IntRange(1, 5).Draw(rt, "r"))); r != nil {
			v["rating"] = r
		}
		if u := ctMaybe(rt, "createdBy", ctDrawFrom(rt, ctUserPool, "cb")); u != nil {
			v["createdBy"] = u
		}
		if rapid.IntRange(0, 4).Draw(rt, "deleted") == 0 {
			v["deletedAt"] = ctDrawFrom(rt, ctTimePool, "deletedAt")
		}
		notes.Rows = append(notes.Rows, seed.Row{Values: v, File: "gen", Line: i + 1})
		g.notes = append(g.notes, v["id"].(string))
	}
	g.seed.Tables = []seed.Table{cands, notes}
	return g
}

// ctDrawIdentity is a random caller: any role (including none and unknown
// ones), any organization (including none), any user, sometimes anonymous.
func ctDrawIdentity(rt *rapid.T) engine.Identity {
	if rapid.IntRange(0, 9).Draw(rt, "anonymous") == 0 {
		return engine.Identity{Anonymous: true, OrgID: ctDrawFrom(rt, ctIdOrgPool, "anonOrg")}
	}
	return engine.Identity{
		UserID:   ctDrawFrom(rt, ctIdUsers, "user"),
		OrgID:    ctDrawFrom(rt, ctIdOrgPool, "idOrg"),
		Role:     ctDrawFrom(rt, ctRolePool, "role"),
		UserRole: ctDrawFrom(rt, []string{"user", "admin", ""}, "userRole"),
	}
}

// ctSortable lists the columns per table for the differential test; some are nullable,
// some masked for some callers.
var ctSortable = map[string][]string{
	"candidates":      {"name", "source", "phone", "email", "createdAt", "createdBy", "modifiedAt", "id"},
	"interview_notes": {"rating", "content", "candidateId", "createdAt", "createdBy", "ownerId", "id"},
}

func ctDrawQuery(rt *rapid.T, table string) engine.ListQuery {
	q := engine.ListQuery{Limit: rapid.IntRange(1, 4).Draw(rt, "limit")}
	for _, col := range rapid.SliceOfNDistinct(rapid.SampledFrom(ctSortable[table]), 0, 2, func(s string) string { return s }).Draw(rt, "sort") {
		q.Sort = append(q.Sort, schema.SortKey{Column: col, Desc: rapid.Bool().Draw(rt, "desc")})
	}
	return q
}

var ctPropVariants = []string{"", "notesOptional", "propCond", "notesOptional+propCond"}

// TestPropertyListMatchesGet: for random data, callers and config variants,
// paging through List to the end yields exactly the ids Get returns, each
// once, with the same values.
func TestPropertyListMatchesGet(t *testing.T) { propListMatchesGet(t) }

// TestPropertyListMatchesGetPostgres is TestPropertyListMatchesGet on
// PostgreSQL (SPEC §8).
func TestPropertyListMatchesGetPostgres(t *testing.T) {
	pgFewerChecks(t)
	propListMatchesGet(t, enginetest.Postgres())
}

func propListMatchesGet(t *testing.T, extra ...enginetest.Option) {
	ctx := context.Background()
	rapid.Check(t, func(rt *rapid.T) {
		variant := ctDrawFrom(rt, ctPropVariants, "variant")
		e := enginetest.Open(rt, append([]enginetest.Option{ctVariant(rt, variant)}, extra...)...) // a fresh database
		g := ctDrawData(rt)
		if _, err := e.Seed(ctx, g.seed, false); err != nil {
			rt.Fatalf("seed: %v", err)
		}
		for n := rapid.IntRange(1, 3).Draw(rt, "callers"); n > 0; n-- {
			id := ctDrawIdentity(rt)
			for table, all := range map[string][]string{"candidates": g.candidates, "interview_notes": g.notes} {
				q := ctDrawQuery(rt, table)
				rows, err := ctListAll(rt, e, id, table, q)
				if ctErrCode(rt, err) == engine.QueryColumnMasked {
					q.Sort = nil // sorting on a masked column is refused; list in the default order
					rows, err = ctListAll(rt, e, id, table, q)
				}
				listed := map[string]engine.Row{}
				if err == nil {
					for _, r := range rows {
						listed[r.ID()] = r
					}
				}
				var got, want []string
				for _, rowID := range all {
					row, gerr := e.Get(ctx, id, table, rowID)
					ctErrCode(rt, gerr)
					if gerr == nil {
						got = append(got, rowID)
						if l, ok := listed[rowID]; ok && !reflect.DeepEqual(l.Values, row.Values) {
							rt.Errorf("%s %s as %v: list shows %v, get %v", table, rowID, id, l.Values, row.Values)
						}
					}
				}
				for rowID := range listed {
					want = append(want, rowID)
				}
				sort.Strings(got)
				sort.Strings(want)
				if !reflect.DeepEqual(got, want) {
					rt.Fatalf("%s as %+v (variant %q, query %+v, list error %v):\n  list %v\n  get  %v", table, id, variant, q, err, want, got)
				}
			}
		}
	})
}

// TestPropertyMaskedNeverRaw: a caller for whom email and phone are masked
// never receives a raw value of them, through any list, get, write result,
// explanation or error.
func TestPropertyMaskedNeverRaw(t *testing.T) { propMaskedNeverRaw(t) }

// TestPropertyMaskedNeverRawPostgres is TestPropertyMaskedNeverRaw on
// PostgreSQL.
func TestPropertyMaskedNeverRawPostgres(t *testing.T) {
	pgFewerChecks(t)
	propMaskedNeverRaw(t, enginetest.Postgres())
}

func propMaskedNeverRaw(t *testing.T, extra ...enginetest.Option) {
	ctx := context.Background()
	rapid.Check(t, func(rt *rapid.T) {
		e := enginetest.Open(rt, append([]enginetest.Option{ctVariant(rt, "ownerWrites")}, extra...)...) // a fresh database
		g := ctDrawData(rt)
		if _, err := e.Seed(ctx, g.seed, false); err != nil {
			rt.Fatalf("seed: %v", err)
		}
		id := ctDrawIdentity(rt)
		id.Anonymous = false
		id.Role = ctDrawFrom(rt, []string{"interviewer", "owner"}, "maskedRole")
		raw := append([]string{}, g.raw...)
		var outs []any
		out := func(v any, err error) {
			if err != nil {
				outs = append(outs, err, err.Error(), engine.FormatError(err))
				return
			}
			outs = append(outs, v)
		}
		q := engine.ListQuery{Limit: rapid.IntRange(1, 5).Draw(rt, "limit"), Search: rapid.SampledFrom([]string{"", "a", "com", "@", "9"}).Draw(rt, "search")}
		rows, err := ctListAll(rt, e, id, "candidates", q)
		out(rows, err)
		for _, col := range []string{"email", "phone"} {
			if len(raw) > 0 {
				_, err := e.List(ctx, id, "candidates", engine.ListQuery{Filters: []engine.Filter{{Column: col, Op: "=", Value: ctDrawFrom(rt, raw, "filterValue")}}})
				if c := ctErrCode(rt, err); c != engine.QueryColumnMasked && !(c == engine.OrgRequired && id.OrgID == "") {
					rt.Errorf("filter on masked %s: %v", col, err)
				}
				out(nil, err)
			}
		}
		for _, c := range g.candidates {
			out(e.Get(ctx, id, "candidates", c))
			out(e.Explain(ctx, id, "candidates", c))
			newPhone := fmt.Sprintf("8%02d-555-%04d", len(raw), rapid.IntRange(0, 9999).Draw(rt, "newPhone"))
			raw = append(raw, newPhone)
			data := map[string]any{"phone": newPhone}
			if rapid.Bool().Draw(rt, "badField") {
				data["email"] = "x" // not updatable: refused
			}
			out(e.Update(ctx, id, "candidates", c, data, engine.WriteOptions{DryRun: rapid.Bool().Draw(rt, "dry")}))
		}
		// Creates: a new email, or one that already exists (unique violation).
		email := fmt.Sprintf("fresh%02d@vvvv.org", len(raw))
		if len(g.raw) > 0 && rapid.Bool().Draw(rt, "dupEmail") {
			email = ctDrawFrom(rt, g.raw, "dup")
		}
		phone := fmt.Sprintf("7%02d-555-%04d", len(raw), rapid.IntRange(0, 9999).Draw(rt, "createPhone"))
		raw = append(raw, email, phone)
		out(e.Create(ctx, id, "candidates", map[string]any{"name": "N", "email": email, "phone": phone}, engine.WriteOptions{}))
		out(e.Create(ctx, id, "candidates", map[string]any{"name": "N", "email": email, "phone": phone, "source": "bogus"}, engine.WriteOptions{}))
		out(e.Upsert(ctx, id, "candidates", map[string]any{"id": ctDrawFrom(rt, append([]string{"zz"}, g.candidates...), "upsertId"), "phone": phone}, engine.WriteOptions{}))
		rows, err = ctListAll(rt, e, id, "candidates", engine.ListQuery{})
		out(rows, err)
		out(e.Explain(ctx, id, "candidates", ""))
		for i, o := range outs {
			s := ctMustJSON(rt, o)
			if err, ok := o.(error); ok {
				s += err.Error()
			}
			if str, ok := o.(string); ok {
				s += str
			}
			for _, r := range raw {
				if strings.Contains(s, r) {
					rt.Fatalf("output %d for %+v leaks %q: %s", i, id, r, s)
				}
			}
		}
	})
}

// A refused write (wrong role, another organization's row, invalid data)
// leaves every table but the audit log byte-for-byte unchanged.
func TestPropertyRefusedWriteChangesNothing(t *testing.T) { propRefusedWriteChangesNothing(t) }

// TestPropertyRefusedWriteChangesNothingPostgres is
// TestPropertyRefusedWriteChangesNothing on PostgreSQL.
func TestPropertyRefusedWriteChangesNothingPostgres(t *testing.T) {
	pgFewerChecks(t)
	propRefusedWriteChangesNothing(t, enginetest.Postgres())
}

func propRefusedWriteChangesNothing(t *testing.T, extra ...enginetest.Option) {
	tables := []string{"jobs", "candidates", "interview_notes", "applications", "ats_imports", "interview_scores"}
	rowIDs := map[string][]string{
		"jobs":             {"j-firmware", "j-gx-analyst", "j-intern-2025", "j-nope"},
		"candidates":       {"c-jane", "c-gx-john", "c-zoe", "c-layla"},
		"interview_notes":  {"n-01", "n-03", "n-12", "n-21"},
		"applications":     {"a-1001", "a-1024", "a-2001"},
		"ats_imports":      {"x-acme-1", "x-globex-1"},
		"interview_scores": {"s-01"},
	}
	users := []string{"u-dana", "u-ivan", "u-rachel", "u-olivia", "u-sam", "u-helen", "u-gus", "u-marco@globex", "u-marco@acme", "anon@acme", "noorg:u-dana"}
	fields := []string{"title", "status", "salaryMin", "name", "email", "phone", "source", "content", "rating", "candidateId", "jobId", "stage", "notes",
		"externalId", "candidateName", "rawPayload", "syncedAt", "organizationId", "ownerId", "createdAt", "deletedAt", "id", "bogus", "score"}
	values := []any{"x", "", "open", "archived", "hired", -1, 0, 3, 6, 1.5, true, nil, "c-gx-john", "c-jane", "j-gx-analyst", "j-firmware", "greenhouse-1001",
		"lever-5001", "jane@example.com", strings.Repeat("y", 5000), map[string]any{"a": 1}, "2026-13-45", "acme", "globex", "u-ivan"}
	rapid.Check(t, func(rt *rapid.T) {
		variant := ctDrawFrom(rt, []string{"", "candidatesOr", "jobsDraftOnly", "hide"}, "variant")
		e := enginetest.Seeded(rt, append([]enginetest.Option{ctVariant(rt, variant)}, extra...)...)
		ctx := context.Background()
		for n := rapid.IntRange(1, 6).Draw(rt, "writes"); n > 0; n-- {
			as := ctDrawFrom(rt, users, "as")
			var id engine.Identity
			switch {
			case as == "anon@acme":
				id = engine.Identity{Anonymous: true, OrgID: "acme"}
			case strings.HasPrefix(as, "noorg:"):
				id = enginetest.Member(rt, e, strings.TrimPrefix(as, "noorg:"), "")
				id.OrgID = ""
			default:
				user, org, _ := strings.Cut(as, "@")
				id = enginetest.Member(rt, e, user, org)
			}
			table := ctDrawFrom(rt, tables, "table")
			data := map[string]any{}
			for k := rapid.IntRange(0, 4).Draw(rt, "nfields"); k > 0; k-- {
				data[ctDrawFrom(rt, fields, "field")] = ctDrawFrom(rt, values, "value")
			}
			rowID := ctDrawFrom(rt, rowIDs[table], "rowID")
			before := enginetest.Dump(rt, engine.RawDB(e), "qb_audit")
			var err error
			op := ctDrawFrom(rt, []string{"create", "update", "delete", "upsert"}, "op")
			switch op {
			case "create":
				_, err = e.Create(ctx, id, table, data, engine.WriteOptions{})
			case "update":
				_, err = e.Update(ctx, id, table, rowID, data, engine.WriteOptions{})
			case "delete":
				_, err = e.Delete(ctx, id, table, rowID, engine.WriteOptions{})
			case "upsert":
				_, err = e.Upsert(ctx, id, table, data, engine.WriteOptions{})
			}
			if err == nil {
				continue // an accepted write: the next one compares from here
			}
			if _, ok := engine.AsError(err); !ok {
				rt.Fatalf("%s %s as %s: not a catalogue error: %v", op, table, as, err)
			}
			if after := enginetest.Dump(rt, engine.RawDB(e), "qb_audit"); after != before {
				rt.Fatalf("refused %s %s %s as %s with %v (%v) changed the database", op, table, rowID, as, data, err)
			}
		}
	})
}

// pgPropertyChecks bounds the random cases of a property on PostgreSQL,
// where each builds a database on the server (≈ 0.3 s against a file
// copy): the same properties as on SQLite, fewer draws. A smaller
// -rapid.checks still wins.
const pgPropertyChecks = 8

// pgFewerChecks lowers rapid's check count to pgPropertyChecks for the
// test (restored when it ends), skipping it without a server. Property
// tests do not run in parallel.
func pgFewerChecks(t *testing.T) {
	pgtest.Get(t) // skips here, not inside rapid's checks (which would count each skip as invalid)
	f := flag.Lookup("rapid.checks")
	if f == nil {
		return
	}
	old := f.Value.String()
	if n, err := strconv.Atoi(old); err != nil || n <= pgPropertyChecks {
		return
	}
	f.Value.Set(strconv.Itoa(pgPropertyChecks))
	t.Cleanup(func() { f.Value.Set(old) })
}
