package engine_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/dbconn"
	"quickback.dev/qb/internal/enginetest"
	"quickback.dev/qb/schema"
)

// The long-run property test (issue 8, "Long runs"): 10,000 random engine
// calls — lists with random filters, sorts, searches and cursor
// continuations (forged cursors too), gets, creates, updates, deletes,
// upserts, both actions, dry runs of every write, with valid and invalid
// input — as random identities: every membership of the fixtures, synthetic
// identities of every role in every organization, anonymous callers, a
// caller with no organization and one with an unknown role. After each call:
//
//   - no row returned belongs to another organization than the caller's,
//     to another owner on an owner-scoped table, or is soft-deleted;
//   - no value of a column masked for the caller appears raw anywhere in the
//     output (rows, changes, error message and details) or in the audit
//     entry, compared against the raw values read from the database before
//     and after the call;
//   - a call that wrote nothing (a read, a refusal, a dry run) left every
//     table but qb_audit unchanged (a hash of all of them, in Go);
//   - the audit log grew by exactly one entry, which chains onto the head
//     verified before it (its hash recomputed with the engine's function);
//     the whole chain is also verified with Engine.VerifyAudit every 1,000
//     calls and at the end.
//
// The count is 10,000 (at least); -short runs 1,500. QB_LONGRUN_SEED
// replays a run.

// lrState is what the checker knows of the database between calls.
type lrState struct {
	hash    string
	ids     map[string][]string // table → every id (all orgs, deleted too)
	orgIDs  map[string][]string // "table org" → ids of that organization
	masked  []lrMasked          // raw values of masked columns
	visible map[string][]string // org → text values of unmasked columns
	seq     int64
	head    string
}

// lrMasked is one raw value of a masked column.
type lrMasked struct {
	table, col, org, owner, value string
}

type lrRun struct {
	t     *testing.T
	e     *engine.Engine
	cfg   *schema.Config
	rng   *rand.Rand
	st    lrState
	ctx   context.Context
	step  int
	stats map[string]int
	org   string // the current caller's organization
}

func TestLongRunRandomOperations(t *testing.T) {
	if testing.Short() {
		t.Skip("a long run (10,000 operations)")
	}
	t.Parallel() // with the other slow tests, after the package's quick ones
	lrMain(t, 10000)
}

// TestLongRunRandomOperationsPostgres is the long run on PostgreSQL (SPEC
// §8): the same operations and checks, 2,000 of them (every call is a
// round trip to the server).
func TestLongRunRandomOperationsPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("a long run (2,000 operations)")
	}
	t.Parallel()
	lrMain(t, 2000, enginetest.Postgres())
}

func lrMain(t *testing.T, steps int, extra ...enginetest.Option) {
	seed := uint64(time.Now().UnixNano())
	if s := strings.TrimSpace(os.Getenv("QB_LONGRUN_SEED")); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("QB_LONGRUN_SEED: %v", err)
		}
		seed = v
	}
	t.Logf("QB_LONGRUN_SEED=%d", seed)
	e := enginetest.Seeded(t, append([]enginetest.Option{ctVariant(t, "ownerWrites")}, extra...)...)
	r := &lrRun{t: t, e: e, cfg: e.Config(), rng: rand.New(rand.NewPCG(seed, 0x10a6)), ctx: context.Background(), stats: map[string]int{}}
	ids := lrIdentities(t, e)
	r.scan()
	vr, err := e.VerifyAudit(r.ctx, "")
	if err != nil || !vr.OK {
		t.Fatalf("audit before the run: %+v %v", vr, err)
	}
	r.st.seq, r.st.head = vr.Entries, vr.Head
	start := time.Now()
	verified := 1
	for r.step = 1; r.step <= steps; {
		id := ids[r.rng.IntN(len(ids))]
		r.org = id.OrgID
		r.one(id)
		if r.step-verified >= 1000 {
			r.verifyAll()
			verified = r.step
		}
	}
	r.verifyAll()
	t.Logf("%d calls in %v: %v", r.step-1, time.Since(start).Round(time.Millisecond), r.stats)
}

// lrIdentities is every caller the run draws from.
func lrIdentities(t *testing.T, e *engine.Engine) []engine.Identity {
	t.Helper()
	ctx := context.Background()
	ms, err := e.Members(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []engine.Identity
	for _, m := range ms {
		out = append(out, m.Identity())
	}
	orgs := []string{"acme", "globex", "initech"}
	for _, o := range orgs {
		for _, role := range e.Config().Auth.Roles {
			id, err := e.ResolveIdentity(ctx, "", o, role)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, id)
		}
		out = append(out, engine.Identity{OrgID: o, Anonymous: true})
	}
	out = append(out,
		engine.Identity{UserID: "u-dana", Role: "hiring-manager", UserRole: "user", Email: "dana@acme.test"}, // no organization
		engine.Identity{UserID: "u-dana", OrgID: "acme", Role: "superuser", UserRole: "user"},                // unknown role
		engine.Identity{UserID: "", OrgID: "acme", Role: "hiring-manager"},                                   // no user
	)
	return out
}

// scan reads every table but qb_audit and the search indexes (derived from
// their tables' rows): the hash, the ids, the raw values of
// masked columns and the visible text of unmasked ones.
func (r *lrRun) scan() {
	t := r.t
	db := engine.RawDB(r.e)
	st := lrState{ids: map[string][]string{}, orgIDs: map[string][]string{}, visible: map[string][]string{}, seq: r.st.seq, head: r.st.head}
	h := sha256.New()
	var b []byte
	tables, order := "SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'qb_audit' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'qb_fts_%' ORDER BY name", "rowid"
	if dbconn.IsPostgresDB(db) {
		tables, order = `SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name != 'qb_audit' ORDER BY table_name::text COLLATE "C"`, "1"
	}
	for _, name := range enginetest.Rows(t, db, tables) {
		tb := r.cfg.Table(name[0].(string))
		h.Write([]byte("== " + name[0].(string) + "\n"))
		enginetest.Each(t, db, func(vals []any) {
			b = enginetest.AppendRow(b[:0], vals)
			h.Write(b)
			if tb != nil {
				r.collect(&st, tb, vals)
			}
		}, `SELECT * FROM "`+name[0].(string)+`" ORDER BY `+order)
	}
	st.hash = hex.EncodeToString(h.Sum(nil))
	r.st = st
}

// collect records one row of a feature table (values in column order).
func (r *lrRun) collect(st *lrState, tb *schema.Table, vals []any) {
	get := func(c *schema.Column) string {
		if c == nil {
			return ""
		}
		for i, x := range tb.Columns {
			if x == c {
				s, _ := vals[i].(string)
				return s
			}
		}
		return ""
	}
	org := get(tb.OrgColumn())
	owner := get(tb.OwnerColumn())
	if tb.OwnerColumn() == nil {
		owner = get(tb.Column("createdBy"))
	}
	st.ids[tb.Name] = append(st.ids[tb.Name], get(tb.PrimaryKey()))
	st.orgIDs[tb.Name+" "+org] = append(st.orgIDs[tb.Name+" "+org], get(tb.PrimaryKey()))
	for i, c := range tb.Columns {
		s, ok := vals[i].(string)
		if !ok || s == "" {
			continue
		}
		if _, m := tb.Masking[c.Name]; m {
			st.masked = append(st.masked, lrMasked{tb.Name, c.Name, org, owner, s})
		} else {
			st.visible[org] = append(st.visible[org], s)
		}
	}
}

// rawVisible reports whether id may see the raw value of m.
func (r *lrRun) rawVisible(id engine.Identity, m lrMasked) bool {
	if id.Anonymous || m.org != id.OrgID {
		return false
	}
	mk := r.cfg.Table(m.table).Masking[m.col]
	if slices.Contains(mk.ShowRoles, id.Role) {
		return true
	}
	return mk.ShowOwner && id.UserID != "" && m.owner == id.UserID
}

// forbidden lists the raw masked values id may not see in any output: masked
// for it (or in another organization), and not also a value id sees
// legitimately (the same email raw in a row it may see, or in an unmasked
// column of its organization).
func (r *lrRun) forbidden(id engine.Identity, states ...lrState) []string {
	allowed := map[string]bool{}
	var out []string
	for _, st := range states {
		for _, m := range st.masked {
			if r.rawVisible(id, m) {
				allowed[m.value] = true
			}
		}
	}
	for _, st := range states {
		for _, m := range st.masked {
			if allowed[m.value] || len(m.value) < 5 {
				continue
			}
			legit := false
			for _, st2 := range states {
				for _, v := range st2.visible[id.OrgID] {
					if strings.Contains(v, m.value) {
						legit = true
						break
					}
				}
			}
			if !legit && !slices.Contains(out, m.value) {
				out = append(out, m.value)
			}
		}
	}
	return out
}

func (r *lrRun) fail(what string, format string, args ...any) {
	r.t.Helper()
	r.t.Fatalf("call %d (%s): "+format, append([]any{r.step, what}, args...)...)
}

// call runs one engine call and checks everything after it. wrote tells
// whether the call may have changed the database (an ok, non-dry write).
// known are strings the caller itself put where it may read them back (into
// unmasked columns, a search): a raw masked value among them is its own
// input, not a leak.
func (r *lrRun) call(id engine.Identity, what string, wrote bool, known []string, fn func() (rows []engine.Row, out any, err error)) []engine.Row {
	r.t.Helper()
	before := r.st
	rows, out, err := fn()
	r.step++
	r.stats[strings.Fields(what)[0]]++
	if err != nil {
		ee, ok := engine.AsError(err)
		if !ok {
			r.fail(what, "not an engine error: %v", err)
		}
		r.stats["refused"]++
		wrote = false
		out = ee
	}
	// (d) exactly one new audit entry, chained onto the verified head.
	ents, aerr := r.e.AuditEntries(r.ctx, engine.AuditFilter{AfterSeq: before.seq})
	if aerr != nil {
		r.fail(what, "audit: %v", aerr)
	}
	if len(ents) != 1 {
		r.fail(what, "%d audit entries appended, want exactly 1: %+v", len(ents), ents)
	}
	a := ents[0]
	if a.Seq != before.seq+1 || a.PrevHash != before.head || engine.EntryHash(&a) != a.Hash {
		r.fail(what, "audit entry %d does not chain onto %d/%s: %+v", a.Seq, before.seq, before.head, a)
	}
	wantOutcome := "ok"
	if ee, ok := engine.AsError(err); ok {
		wantOutcome = string(ee.Code)
	}
	if a.Outcome != wantOutcome {
		r.fail(what, "audit outcome %q, want %q", a.Outcome, wantOutcome)
	}
	// (c) nothing but the audit log changed unless the call wrote.
	r.scan()
	r.st.seq, r.st.head = a.Seq, a.Hash
	if !wrote && r.st.hash != before.hash {
		r.fail(what, "the call wrote nothing (err %v) but the database changed", err)
	}
	if wrote {
		r.stats["written"]++
	}
	// (a) rows stay inside the caller's firewall.
	for _, row := range rows {
		t := row.Table
		if c := t.OrgColumn(); c != nil && row.Get(c.Name) != id.OrgID {
			r.fail(what, "%s row %s of organization %v returned to %s", t.Name, row.ID(), row.Get(c.Name), id)
		}
		if c := t.OwnerColumn(); c != nil && t.Firewall.Owner != nil && t.Firewall.Owner.Mode == schema.OwnerStrict && row.Get(c.Name) != id.UserID {
			r.fail(what, "%s row %s of owner %v returned to %s", t.Name, row.ID(), row.Get(c.Name), id)
		}
		if row.Get("deletedAt") != nil {
			r.fail(what, "soft-deleted %s row %s returned", t.Name, row.ID())
		}
	}
	// (b) no raw masked value in the output or the audit entry.
	blob, jerr := json.Marshal(out)
	if jerr != nil {
		r.fail(what, "marshal output: %v", jerr)
	}
	entry, _ := json.Marshal(a)
	text := string(blob) + "\n" + string(entry)
	if err != nil {
		text += "\n" + err.Error() + "\n" + engine.FormatError(err)
	}
	for _, v := range r.forbidden(id, before, r.st) {
		if strings.Contains(text, v) && !slices.ContainsFunc(known, func(k string) bool { return strings.Contains(k, v) }) {
			r.fail(what, "raw masked value %q escaped to %s:\n%s", v, id, text)
		}
	}
	return rows
}

// verifyAll recomputes the whole chain and checks it ends at the head the
// incremental checks reached.
func (r *lrRun) verifyAll() {
	r.t.Helper()
	vr, err := r.e.VerifyAudit(r.ctx, r.st.head)
	if err != nil || !vr.OK || vr.Head != r.st.head || vr.Entries != r.st.seq {
		r.t.Fatalf("after call %d: VerifyAudit %+v %v (expected head %s, %d entries)", r.step-1, vr, err, r.st.head, r.st.seq)
	}
}

// ── random input ─────────────────────────────────────────────────────────

var lrTables = []string{"jobs", "candidates", "interview_notes", "applications", "ats_imports", "interview_scores", "candidates", "applications", "nope"}

var lrTexts = []string{"", "a", "Jane", "robot", "x'; DROP TABLE jobs;--", "%", "_", "日本語", "\u202eevil", "NULL", strings.Repeat("z", 300), "jane@example.com", "555-123-4567", "ex"}

func (r *lrRun) pick(xs []string) string { return xs[r.rng.IntN(len(xs))] }

// anyID is an id of any table (any org, deleted too) or a made-up one;
// most often one of the caller's organization.
func (r *lrRun) anyID(table string) string {
	if ids := r.st.orgIDs[table+" "+r.org]; len(ids) > 0 && r.rng.IntN(2) == 0 {
		return r.pick(ids)
	}
	switch r.rng.IntN(10) {
	case 0:
		return r.pick([]string{"", "nope", "c-jane", "a-1001", "' OR 1=1 --"})
	case 1, 2:
		tb := r.pick(lrTables)
		if ids := r.st.ids[tb]; len(ids) > 0 {
			return r.pick(ids)
		}
	}
	if ids := r.st.ids[table]; len(ids) > 0 {
		return r.pick(ids)
	}
	return "nope"
}

// value is a random value for a column: mostly valid, sometimes not.
func (r *lrRun) value(t *schema.Table, c *schema.Column) any {
	if r.rng.IntN(20) == 0 {
		return r.pick([]string{"", "not-a-number", "x"})
	}
	if r.rng.IntN(25) == 0 {
		return nil
	}
	if c.References != "" {
		return r.anyID(c.References)
	}
	switch c.Type {
	case schema.TypeInteger:
		return json.Number(strconv.Itoa(r.rng.IntN(12) - 2))
	case schema.TypeEnum:
		if r.rng.IntN(6) == 0 {
			return "bogus"
		}
		return r.pick(c.Values)
	case schema.TypeJSON:
		return map[string]any{"k": r.rng.IntN(9)}
	case schema.TypeTimestamp:
		return r.pick([]string{"2026-01-02T03:04:05Z", "yesterday"})
	case schema.TypeBoolean:
		return r.rng.IntN(2) == 0
	}
	n := r.step
	switch c.Name {
	case "email", "candidateEmail":
		// Fresh addresses, or one of the organization's existing ones
		// (a unique violation must not echo it to a caller it is masked
		// for).
		if r.rng.IntN(3) == 0 {
			for _, m := range r.st.masked {
				if m.col == "email" && r.rng.IntN(4) == 0 {
					return m.value
				}
			}
		}
		return fmt.Sprintf("lr%d.%s@mail%d.test", n, c.Name, r.rng.IntN(5))
	case "phone":
		return fmt.Sprintf("(%03d) %03d-%04d", 100+r.rng.IntN(900), r.rng.IntN(1000), 1000+n%9000)
	case "externalId":
		return fmt.Sprintf("ext-%d", r.rng.IntN(25))
	}
	return r.pick(lrTexts)
}

// data is a random write body for t: some columns, sometimes a system
// column, an unknown field or a masked value.
func (r *lrRun) data(t *schema.Table, create bool) map[string]any {
	d := map[string]any{}
	n := r.rng.IntN(4)
	if create {
		n += 2
	}
	for i := 0; i < n; i++ {
		c := t.Columns[r.rng.IntN(len(t.Columns))]
		if c.Type == schema.TypeID && r.rng.IntN(3) != 0 {
			continue
		}
		if (t.IsSystemManaged(c.Name) || c == t.OrgColumn() || c == t.OwnerColumn()) && r.rng.IntN(4) != 0 {
			continue
		}
		d[c.Name] = r.value(t, c)
	}
	if create && r.rng.IntN(3) != 0 {
		// Usually every required column, so creates often succeed.
		for _, c := range t.Columns {
			if c.Required && c.Type != schema.TypeID && c != t.OrgColumn() && c != t.OwnerColumn() && !t.IsSystemManaged(c.Name) {
				if _, ok := d[c.Name]; !ok || r.rng.IntN(2) == 0 {
					d[c.Name] = r.value(t, c)
				}
			}
		}
	}
	if r.rng.IntN(15) == 0 {
		d["unknownField"] = "x"
	}
	return d
}

// query is a random list query for t.
func (r *lrRun) query(t *schema.Table) engine.ListQuery {
	var q engine.ListQuery
	cols := []string{"nope"}
	if t != nil {
		for _, c := range t.Columns {
			cols = append(cols, c.Name)
		}
	}
	for i := r.rng.IntN(3); i > 0; i-- {
		col := r.pick(cols)
		op := r.pick([]string{"=", "!=", "<", "<=", ">", ">=", "~", "in", "=~"})
		val := r.pick(lrTexts)
		if t != nil && t.Column(col) != nil && r.rng.IntN(2) == 0 {
			if v, ok := r.value(t, t.Column(col)).(string); ok {
				val = v
			}
		}
		if op == "in" {
			val = val + "," + r.pick(lrTexts)
		}
		q.Filters = append(q.Filters, engine.Filter{Column: col, Op: op, Value: val})
	}
	for i := r.rng.IntN(3); i > 0; i-- {
		s := r.pick(cols)
		if r.rng.IntN(2) == 0 {
			s = "-" + s
		}
		q.Sort = append(q.Sort, schema.ParseSortKey(s))
	}
	if r.rng.IntN(3) == 0 {
		q.Search = r.pick(lrTexts)
	}
	q.Limit = []int{0, 1, 2, 3, 5, 10, 50, -1, 5000}[r.rng.IntN(9)]
	if r.rng.IntN(12) == 0 {
		q.Cursor = r.pick([]string{"garbage", "eyJrIjoiIiwidiI6W119", "eyJrIjoieCIsInYiOlsiYWNtZSJdfQ"})
	}
	return q
}

// one runs one random operation (a list may take several calls: its
// continuation pages).
func (r *lrRun) one(id engine.Identity) {
	table := r.pick(lrTables)
	t := r.cfg.Table(table)
	dry := r.rng.IntN(3) == 0
	opts := engine.WriteOptions{DryRun: dry}
	label := func(op string) string {
		s := fmt.Sprintf("%s %s as %s", op, table, id)
		if dry && op != "list" && op != "get" {
			s += " (dry run)"
		}
		return s
	}
	switch k := r.rng.IntN(100); {
	case k < 30: // list, then maybe its next pages
		q := r.query(t)
		for pages := 0; pages < 4; pages++ {
			var next string
			r.call(id, label("list"), false, lrKnownQuery(t, q), func() ([]engine.Row, any, error) {
				p, err := r.e.List(r.ctx, id, table, q)
				if err != nil {
					return nil, nil, err
				}
				next = p.Next
				return p.Rows, p.Rows, nil
			})
			if next == "" || r.rng.IntN(3) == 0 {
				return
			}
			q.Cursor = next
		}
	case k < 45:
		rowID := r.anyID(table)
		r.call(id, label("get")+" "+rowID, false, nil, func() ([]engine.Row, any, error) {
			row, err := r.e.Get(r.ctx, id, table, rowID)
			if err != nil {
				return nil, nil, err
			}
			return []engine.Row{*row}, row, nil
		})
	case k < 60 && t != nil:
		d := r.data(t, true)
		r.call(id, label("create"), !dry, lrKnownData(t, id, d), func() ([]engine.Row, any, error) { return lrWrite(r.e.Create(r.ctx, id, table, d, opts)) })
	case k < 75 && t != nil:
		rowID := r.anyID(table)
		d := r.data(t, false)
		r.call(id, label("update")+" "+rowID, !dry, lrKnownData(t, id, d), func() ([]engine.Row, any, error) { return lrWrite(r.e.Update(r.ctx, id, table, rowID, d, opts)) })
	case k < 79:
		rowID := r.anyID(table)
		r.call(id, label("delete")+" "+rowID, !dry, nil, func() ([]engine.Row, any, error) { return lrWrite(r.e.Delete(r.ctx, id, table, rowID, opts)) })
	case k < 85 && t != nil:
		d := r.data(t, r.rng.IntN(2) == 0)
		if r.rng.IntN(4) != 0 {
			d["externalId"] = r.value(t, &schema.Column{Name: "externalId", Type: schema.TypeText})
		}
		r.call(id, label("upsert"), !dry, lrKnownData(t, id, d), func() ([]engine.Row, any, error) { return lrWrite(r.e.Upsert(r.ctx, id, table, d, opts)) })
	default: // actions, mostly on applications
		tbl := "applications"
		if r.rng.IntN(8) == 0 {
			tbl = table
		}
		action := r.pick([]string{"advanceStage", "advanceStage", "submitScore", "submitScore", "nope"})
		rowID := r.anyID("applications")
		if r.rng.IntN(15) == 0 {
			rowID = ""
		}
		in := map[string]any{}
		switch action {
		case "advanceStage":
			in["stage"] = r.pick([]string{"applied", "screening", "interview", "offer", "hired", "rejected", "bogus"})
			if r.rng.IntN(3) == 0 {
				in["note"] = r.pick(lrTexts)
			}
		case "submitScore":
			in["score"] = json.Number(strconv.Itoa(r.rng.IntN(7)))
			in["feedback"] = r.pick(lrTexts)
		}
		if r.rng.IntN(10) == 0 {
			in["extra"] = 1
		}
		if r.rng.IntN(10) == 0 {
			delete(in, "stage")
			delete(in, "score")
		}
		r.call(id, fmt.Sprintf("run %s.%s %s as %s dry=%v", tbl, action, rowID, id, dry), !dry, lrKnownData(nil, id, in), func() ([]engine.Row, any, error) {
			res, err := r.e.Run(r.ctx, id, tbl, action, rowID, in, opts)
			if err != nil {
				return nil, nil, err
			}
			var rows []engine.Row
			if res.Row != nil {
				rows = append(rows, *res.Row)
			}
			rows = append(rows, res.Inserted...)
			return rows, res, nil
		})
	}
}

// lrKnownData lists the values of d going into columns of t that are not
// masked for id (every value when t is nil: action inputs). A column masked
// with the owner exception counts as visible: the row id writes is its own.
func lrKnownData(t *schema.Table, id engine.Identity, d map[string]any) []string {
	var out []string
	for k, v := range d {
		if t != nil {
			if mk, m := t.Masking[k]; m && (id.Anonymous || !slices.Contains(mk.ShowRoles, id.Role) && !mk.ShowOwner) {
				continue
			}
		}
		out = append(out, fmt.Sprint(v))
	}
	return out
}

// lrKnownQuery lists the filter values on unmasked columns and the search.
func lrKnownQuery(t *schema.Table, q engine.ListQuery) []string {
	out := []string{q.Search}
	for _, f := range q.Filters {
		if t != nil {
			if _, m := t.Masking[f.Column]; m {
				continue
			}
		}
		out = append(out, f.Value)
	}
	return out
}

// lrWrite adapts a write's result for call.
func lrWrite(res *engine.WriteResult, err error) ([]engine.Row, any, error) {
	if err != nil {
		return nil, nil, err
	}
	var rows []engine.Row
	if res.Row != nil {
		rows = append(rows, *res.Row)
	}
	return rows, res, nil
}
