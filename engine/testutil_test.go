package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/enginetest"
)

// Config variants used by the tests, by name.
var ctVariants = map[string][]enginetest.Edit{
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
	// Recruiters list and get only the candidates they created, yet update
	// every candidate (write responses beyond get, SPEC §3.4).
	"candidatesGetOwn": {
		{Section: "[tables.candidates.crud]", Old: `list.access   = { roles = ["interviewer+"] }`, New: `list.access   = { or = [ { roles = ["interviewer", "hiring-manager", "owner"] }, { roles = ["recruiter"], record = { createdBy = { equals = "$ctx.userId" } } } ] }`},
		{Section: "[tables.candidates.crud]", Old: `get.access    = { roles = ["interviewer+"] }`, New: `get.access    = { or = [ { roles = ["interviewer", "hiring-manager", "owner"] }, { roles = ["recruiter"], record = { createdBy = { equals = "$ctx.userId" } } } ] }`},
	},
	// Recruiters create and update candidates but may not list or get them.
	"candidatesNoGet": {
		{Section: "[tables.candidates.crud]", Old: `list.access   = { roles = ["interviewer+"] }`, New: `list.access   = { roles = ["interviewer", "hiring-manager", "owner"] }`},
		{Section: "[tables.candidates.crud]", Old: `get.access    = { roles = ["interviewer+"] }`, New: `get.access    = { roles = ["interviewer", "hiring-manager", "owner"] }`},
	},
	// Hiring managers run advanceStage but may not get applications.
	"appsNoGetForHM": {
		{Section: "[tables.applications.crud]", Old: `get.access    = { roles = ["interviewer+"] }`, New: `get.access    = { roles = ["interviewer", "recruiter", "owner"] }`},
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

// ctVariant is the config edits of a named variant (several joined with
// "+" combine their edits), as a kit option.
func ctVariant(t enginetest.TB, name string) enginetest.Option {
	t.Helper()
	var eds []enginetest.Edit
	for _, part := range strings.Split(name, "+") {
		e, ok := ctVariants[part]
		if !ok {
			t.Fatalf("unknown config variant %q", part)
		}
		eds = append(eds, e...)
	}
	return enginetest.Edits(eds...)
}

// ctErrCode returns the engine code of err ("" for nil; fails on a non-engine
// error).
func ctErrCode(t enginetest.TB, err error) engine.Code {
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
func ctListAll(t enginetest.TB, e *engine.Engine, id engine.Identity, table string, q engine.ListQuery) ([]engine.Row, error) {
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

// ctMustJSON marshals v for leak checks.
func ctMustJSON(t enginetest.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return string(b)
}

// ctRawValue reads one stored value directly (bypassing the engine): table
// is the config's name, col the SQL name.
func ctRawValue(t enginetest.TB, e *engine.Engine, table, col, id string) any {
	t.Helper()
	var v any
	err := engine.RawDB(e).QueryRow(fmt.Sprintf(`SELECT %s FROM %s WHERE id = ?`, engine.Q(col), engine.Q(e.Config().Table(table).SQLName)), id).Scan(&v)
	if err != nil {
		t.Fatalf("raw %s.%s[%s]: %v", table, col, id, err)
	}
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	return v
}
