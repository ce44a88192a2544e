package engine_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/fixtures"
	"quickback.dev/qb/internal/enginetest"
	"quickback.dev/qb/schema"
)

// auCount is the number of audit entries, once e's group-committed read
// entries are in the log.
func auCount(t *testing.T, e *engine.Engine) int {
	t.Helper()
	if err := e.FlushAudit(context.Background()); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := engine.RawDB(e).QueryRow("SELECT count(*) FROM qb_audit").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// auLast is the newest audit entry.
func auLast(t *testing.T, e *engine.Engine) engine.AuditEntry {
	t.Helper()
	es, err := e.AuditEntries(context.Background(), engine.AuditFilter{Limit: 1})
	if err != nil || len(es) != 1 {
		t.Fatalf("last audit entry: %v (%d entries)", err, len(es))
	}
	return es[0]
}

// auFill appends n read entries (alternating allowed and refused).
func auFill(t *testing.T, e *engine.Engine, n int) {
	t.Helper()
	ctx := context.Background()
	ivan := enginetest.Member(t, e, "u-ivan", "acme")
	for i := 0; i < n; i++ {
		if i%2 == 0 {
			_, _ = e.Get(ctx, ivan, "jobs", "nope")
		} else {
			_, _ = e.List(ctx, ivan, "ats_imports", engine.ListQuery{})
		}
	}
}

func auVerify(t *testing.T, e *engine.Engine, head string) engine.VerifyResult {
	t.Helper()
	res, err := e.VerifyAudit(context.Background(), head)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func auExec(t *testing.T, e *engine.Engine, q string, args ...any) {
	t.Helper()
	if _, err := engine.RawDB(e).Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// ── tamper evidence ──────────────────────────────────────────────────────────

func TestAuditUntouchedLogVerifies(t *testing.T) {
	e := enginetest.Seeded(t)
	auFill(t, e, 10)
	res := auVerify(t, e, "")
	if !res.OK || res.BrokenSeq != 0 || res.Entries != int64(auCount(t, e)) {
		t.Fatalf("untouched log: %+v", res)
	}
	if res.Head != auLast(t, e).Hash {
		t.Errorf("head %s is not the last entry's hash", res.Head)
	}
	// The head recorded now still verifies after more entries are appended.
	auFill(t, e, 3)
	if r := auVerify(t, e, res.Head); !r.OK {
		t.Errorf("an earlier head no longer verifies after appends: %+v", r)
	}
	if r := auVerify(t, e, engine.GenesisHash); !r.OK {
		t.Errorf("the genesis head: %+v", r)
	}
}

func TestAuditEmptyLogVerifies(t *testing.T) {
	e := enginetest.Open(t)
	res := auVerify(t, e, "")
	if !res.OK || res.Entries != 0 || res.Head != engine.GenesisHash {
		t.Errorf("empty log: %+v", res)
	}
	if r := auVerify(t, e, strings.Repeat("ab", 32)); r.OK {
		t.Errorf("an empty log cannot hold a recorded head: %+v", r)
	}
}

func TestAuditTamperingIsDetected(t *testing.T) {
	cases := []struct {
		name   string
		tamper func(t *testing.T, e *engine.Engine)
		broken int64
	}{
		{"edit the outcome of entry 4", func(t *testing.T, e *engine.Engine) {
			auExec(t, e, "UPDATE qb_audit SET outcome = 'ok' WHERE seq = 4")
		}, 4},
		{"edit the identity of entry 6", func(t *testing.T, e *engine.Engine) {
			auExec(t, e, "UPDATE qb_audit SET user_id = 'u-olivia', role = 'owner' WHERE seq = 6")
		}, 6},
		{"edit the changed fields of entry 3", func(t *testing.T, e *engine.Engine) {
			auExec(t, e, `UPDATE qb_audit SET fields = '["salaryMax"]' WHERE seq = 3`)
		}, 3},
		{"edit the time of entry 2", func(t *testing.T, e *engine.Engine) {
			auExec(t, e, "UPDATE qb_audit SET at = '2020-01-01T00:00:00.000Z' WHERE seq = 2")
		}, 2},
		{"replace the hash of entry 5 (and so the chain to 6)", func(t *testing.T, e *engine.Engine) {
			auExec(t, e, "UPDATE qb_audit SET hash = ? WHERE seq = 5", strings.Repeat("0", 64))
		}, 5},
		// The formula number is not hashed itself: only 1 and 2 exist.
		{"edit the hash formula of entry 6 to one qb does not know", func(t *testing.T, e *engine.Engine) {
			auExec(t, e, "UPDATE qb_audit SET hash_version = 3 WHERE seq = 6")
		}, 6},
		{"edit the hash formula of entry 4 to zero", func(t *testing.T, e *engine.Engine) {
			auExec(t, e, "UPDATE qb_audit SET hash_version = 0 WHERE seq = 4")
		}, 4},
		// A deleted entry is named itself, not the one after it.
		{"delete middle entry 5", func(t *testing.T, e *engine.Engine) {
			auExec(t, e, "DELETE FROM qb_audit WHERE seq = 5")
		}, 5},
		{"delete the first entry", func(t *testing.T, e *engine.Engine) {
			auExec(t, e, "DELETE FROM qb_audit WHERE seq = 1")
		}, 1},
		{"delete entry 5 and renumber the rest", func(t *testing.T, e *engine.Engine) {
			auExec(t, e, "DELETE FROM qb_audit WHERE seq = 5")
			auExec(t, e, "UPDATE qb_audit SET seq = -seq WHERE seq > 5")
			auExec(t, e, "UPDATE qb_audit SET seq = -seq - 1 WHERE seq < 0")
		}, 5},
		{"swap entries 3 and 4", func(t *testing.T, e *engine.Engine) {
			auExec(t, e, "UPDATE qb_audit SET seq = -1 WHERE seq = 3")
			auExec(t, e, "UPDATE qb_audit SET seq = 3 WHERE seq = 4")
			auExec(t, e, "UPDATE qb_audit SET seq = 4 WHERE seq = -1")
		}, 3},
		{"swap the contents of entries 7 and 8", func(t *testing.T, e *engine.Engine) {
			cols := "at, os_user, user_id, org_id, role, operation, table_name, record_id, outcome, fields, prev_hash, hash"
			auExec(t, e, "CREATE TEMP TABLE swap AS SELECT seq, "+cols+" FROM qb_audit WHERE seq IN (7, 8)")
			set := []string{}
			for _, c := range strings.Split(cols, ", ") {
				set = append(set, fmt.Sprintf("%s = (SELECT %s FROM swap WHERE swap.seq = 15 - qb_audit.seq)", c, c))
			}
			auExec(t, e, "UPDATE qb_audit SET "+strings.Join(set, ", ")+" WHERE seq IN (7, 8)")
			auExec(t, e, "DROP TABLE swap")
		}, 7},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := enginetest.Seeded(t)
			auFill(t, e, 10) // entry 1 is the seed, 2..11 reads
			if r := auVerify(t, e, ""); !r.OK {
				t.Fatalf("before tampering: %+v", r)
			}
			c.tamper(t, e)
			r := auVerify(t, e, "")
			if r.OK {
				t.Fatalf("tampering not detected: %+v", r)
			}
			if r.BrokenSeq != c.broken {
				t.Errorf("broken at %d, want %d (%s)", r.BrokenSeq, c.broken, r.Problem)
			}
			if !strings.Contains(r.Problem, fmt.Sprint(c.broken)) {
				t.Errorf("the problem %q does not name entry %d", r.Problem, c.broken)
			}
		})
	}
}

// TestAuditTruncatedTail: removing the newest entries leaves a consistent
// shorter chain; the witness catches it (naming the first removed entry),
// and without the witness a head recorded as SEQ:HASH does. A bare hash
// the log and witness do not know is reported as such, not as a
// truncation it cannot tell from a rewrite.
func TestAuditTruncatedTail(t *testing.T) {
	e := enginetest.Seeded(t)
	auFill(t, e, 10)
	v := auVerify(t, e, "")
	head := fmt.Sprintf("%d:%s", v.HeadSeq, v.Head)
	total := auCount(t, e) // 11
	auExec(t, e, "DELETE FROM qb_audit WHERE seq > ?", total-3)

	r := auVerify(t, e, "")
	if r.OK || r.Kind != "truncated" || r.BrokenSeq != int64(total-2) || !strings.Contains(r.Problem, "truncated") {
		t.Fatalf("a truncated tail against the witness: %+v", r)
	}

	// Without the witness, a clean truncation is a valid shorter chain...
	if err := os.Rename(e.WitnessPath(), e.WitnessPath()+".moved"); err != nil {
		t.Fatal(err)
	}
	if r := auVerify(t, e, ""); !r.OK || r.Witness.Found {
		t.Fatalf("truncated log without witness or head: %+v", r)
	}
	// ... which a recorded head catches.
	r = auVerify(t, e, head)
	if r.OK || r.Kind != "truncated" || r.BrokenSeq != int64(total-2) {
		t.Errorf("a truncated tail against the recorded head %s: %+v", head, r)
	}
	r = auVerify(t, e, v.Head)
	if r.OK || r.Kind != "unknown-head" || strings.Contains(r.Problem, "truncated tail") {
		t.Errorf("a bare head the log does not hold: %+v", r)
	}
	// Appending new entries after the truncation does not hide it.
	auFill(t, e, 5)
	if r := auVerify(t, e, head); r.OK {
		t.Error("a truncated and re-grown log verifies against the earlier head")
	}
}

// ── one entry per engine entry point ─────────────────────────────────────────

func TestAuditOneEntryPerOperation(t *testing.T) {
	e := enginetest.Seeded(t)
	ctx := context.Background()
	ivan := enginetest.Member(t, e, "u-ivan", "acme")     // interviewer
	rachel := enginetest.Member(t, e, "u-rachel", "acme") // recruiter
	dana := enginetest.Member(t, e, "u-dana", "acme")     // hiring-manager
	olivia := enginetest.Member(t, e, "u-olivia", "acme") // owner
	dry := engine.WriteOptions{DryRun: true}

	type step struct {
		name      string
		do        func() error
		op        string // the entry's operation
		table     string
		record    string // "" = not checked, "*" = any non-empty
		outcome   string
		who       engine.Identity
		unchanged string // a table whose rows must not change
	}
	var newCandidate string
	steps := []step{
		// Reads: one entry per query, allowed or refused.
		{"list allowed", func() error { _, err := e.List(ctx, ivan, "candidates", engine.ListQuery{Limit: 2}); return err }, "list", "candidates", "", "ok", ivan, ""},
		{"list next page", func() error {
			p, err := e.List(ctx, ivan, "candidates", engine.ListQuery{Limit: 2})
			if err != nil {
				return err
			}
			_, err = e.List(ctx, ivan, "candidates", engine.ListQuery{Limit: 2, Cursor: p.Next})
			return err
		}, "list", "candidates", "", "ok", ivan, ""},
		{"list role refusal", func() error { _, err := e.List(ctx, ivan, "ats_imports", engine.ListQuery{}); return err }, "list", "ats_imports", "", "ACCESS_ROLE_REQUIRED", ivan, ""},
		{"list masked filter refusal", func() error {
			_, err := e.List(ctx, ivan, "candidates", engine.ListQuery{Filters: []engine.Filter{{Column: "email", Op: "=", Value: "x"}}})
			return err
		}, "list", "candidates", "", "QUERY_COLUMN_MASKED", ivan, ""},
		{"list internal table", func() error { _, err := e.List(ctx, dana, "interview_scores", engine.ListQuery{}); return err }, "list", "interview_scores", "", "INTERNAL_TABLE", dana, ""},
		{"list unknown table", func() error { _, err := e.List(ctx, dana, "nope", engine.ListQuery{}); return err }, "list", "nope", "", "NOT_FOUND", dana, ""},
		{"get allowed", func() error { _, err := e.Get(ctx, ivan, "candidates", "c-jane"); return err }, "get", "candidates", "c-jane", "ok", ivan, ""},
		{"get not found (other organization)", func() error { _, err := e.Get(ctx, ivan, "candidates", "c-gx-john"); return err }, "get", "candidates", "c-gx-john", "FIREWALL_NOT_FOUND", ivan, ""},
		{"get role refusal", func() error { _, err := e.Get(ctx, ivan, "ats_imports", "x-acme-1"); return err }, "get", "ats_imports", "x-acme-1", "ACCESS_ROLE_REQUIRED", ivan, ""},
		{"explain", func() error { _, err := e.Explain(ctx, ivan, "candidates", "c-jane"); return err }, "explain", "candidates", "c-jane", "ok", ivan, ""},
		{"explain unknown table", func() error { _, err := e.Explain(ctx, ivan, "nope", ""); return err }, "explain", "nope", "", "NOT_FOUND", ivan, ""},
		{"actions listing", func() error { _, err := e.Actions(ctx, dana, "applications", "a-1002"); return err }, "actions", "applications", "a-1002", "ok", dana, ""},

		// Writes: the entry is committed with the write; refusals and dry
		// runs log the attempt and change nothing else.
		{"create allowed", func() error {
			r, err := e.Create(ctx, rachel, "candidates", map[string]any{"name": "Audit Test", "email": "audit@example.com"}, engine.WriteOptions{})
			if err == nil {
				newCandidate = r.Row.ID()
			}
			return err
		}, "create", "candidates", "*", "ok", rachel, ""},
		{"create role refusal", func() error {
			_, err := e.Create(ctx, ivan, "candidates", map[string]any{"name": "X", "email": "x@example.com"}, engine.WriteOptions{})
			return err
		}, "create", "candidates", "", "ACCESS_ROLE_REQUIRED", ivan, "candidates"},
		{"create guard refusal", func() error {
			_, err := e.Create(ctx, rachel, "candidates", map[string]any{"name": "X", "email": "x@example.com", "organizationId": "globex"}, engine.WriteOptions{})
			return err
		}, "create", "candidates", "", "GUARD_SYSTEM_MANAGED", rachel, "candidates"},
		{"create dry run", func() error {
			_, err := e.Create(ctx, rachel, "candidates", map[string]any{"name": "Dry", "email": "dry@example.com"}, dry)
			return err
		}, "create:dry-run", "candidates", "*", "ok", rachel, "candidates"},
		{"update allowed", func() error {
			_, err := e.Update(ctx, rachel, "candidates", "c-tomas", map[string]any{"name": "Tomás R."}, engine.WriteOptions{})
			return err
		}, "update", "candidates", "c-tomas", "ok", rachel, ""},
		{"update guard refusal", func() error {
			_, err := e.Update(ctx, rachel, "candidates", "c-tomas", map[string]any{"email": "t@example.com"}, engine.WriteOptions{})
			return err
		}, "update", "candidates", "c-tomas", "GUARD_FIELD_NOT_UPDATABLE", rachel, "candidates"},
		{"update role refusal", func() error {
			_, err := e.Update(ctx, ivan, "candidates", "c-tomas", map[string]any{"name": "X"}, engine.WriteOptions{})
			return err
		}, "update", "candidates", "c-tomas", "ACCESS_ROLE_REQUIRED", ivan, "candidates"},
		{"update not found", func() error {
			_, err := e.Update(ctx, rachel, "candidates", "c-gx-nina", map[string]any{"name": "X"}, engine.WriteOptions{})
			return err
		}, "update", "candidates", "c-gx-nina", "FIREWALL_NOT_FOUND", rachel, "candidates"},
		{"update protected field", func() error {
			_, err := e.Update(ctx, dana, "applications", "a-1002", map[string]any{"stage": "hired"}, engine.WriteOptions{})
			return err
		}, "update", "applications", "a-1002", "GUARD_FIELD_PROTECTED", dana, "applications"},
		{"update dry run", func() error {
			_, err := e.Update(ctx, rachel, "candidates", "c-tomas", map[string]any{"name": "Dry"}, dry)
			return err
		}, "update:dry-run", "candidates", "c-tomas", "ok", rachel, "candidates"},
		{"delete dry run", func() error { _, err := e.Delete(ctx, dana, "candidates", "c-kenji", dry); return err }, "delete:dry-run", "candidates", "c-kenji", "ok", dana, "candidates"},
		{"delete role refusal", func() error {
			_, err := e.Delete(ctx, rachel, "candidates", "c-kenji", engine.WriteOptions{})
			return err
		}, "delete", "candidates", "c-kenji", "ACCESS_ROLE_REQUIRED", rachel, "candidates"},
		{"delete not found", func() error { _, err := e.Delete(ctx, dana, "candidates", "c-zoe", engine.WriteOptions{}); return err }, "delete", "candidates", "c-zoe", "FIREWALL_NOT_FOUND", dana, "candidates"},
		{"delete internal table", func() error {
			_, err := e.Delete(ctx, dana, "interview_scores", "s-1", engine.WriteOptions{})
			return err
		}, "delete", "interview_scores", "s-1", "INTERNAL_TABLE", dana, "interview_scores"},
		{"delete allowed", func() error {
			_, err := e.Delete(ctx, dana, "candidates", "c-kenji", engine.WriteOptions{})
			return err
		}, "delete", "candidates", "c-kenji", "ok", dana, ""},
		{"upsert create path", func() error {
			_, err := e.Upsert(ctx, olivia, "ats_imports", map[string]any{"externalId": "audit-1", "candidateName": "A"}, engine.WriteOptions{})
			return err
		}, "upsert", "ats_imports", "*", "ok", olivia, ""},
		{"upsert update path", func() error {
			_, err := e.Upsert(ctx, olivia, "ats_imports", map[string]any{"externalId": "audit-1", "candidateName": "B"}, engine.WriteOptions{})
			return err
		}, "upsert", "ats_imports", "*", "ok", olivia, ""},
		{"upsert role refusal", func() error {
			_, err := e.Upsert(ctx, ivan, "ats_imports", map[string]any{"externalId": "audit-2"}, engine.WriteOptions{})
			return err
		}, "upsert", "ats_imports", "", "ACCESS_ROLE_REQUIRED", ivan, "ats_imports"},
		{"upsert dry run", func() error {
			_, err := e.Upsert(ctx, olivia, "ats_imports", map[string]any{"externalId": "audit-3"}, dry)
			return err
		}, "upsert:dry-run", "ats_imports", "*", "ok", olivia, "ats_imports"},

		// Actions.
		{"run allowed", func() error {
			_, err := e.Run(ctx, dana, "applications", "advanceStage", "a-1002", map[string]any{"stage": "screening"}, engine.WriteOptions{})
			return err
		}, "action:advanceStage", "applications", "a-1002", "ok", dana, ""},
		{"run role refusal", func() error {
			_, err := e.Run(ctx, ivan, "applications", "advanceStage", "a-1009", map[string]any{"stage": "screening"}, engine.WriteOptions{})
			return err
		}, "action:advanceStage", "applications", "a-1009", "ACCESS_ROLE_REQUIRED", ivan, "applications"},
		{"run transition refusal", func() error {
			_, err := e.Run(ctx, dana, "applications", "advanceStage", "a-1005", map[string]any{"stage": "applied"}, engine.WriteOptions{})
			return err
		}, "action:advanceStage", "applications", "a-1005", "ACCESS_ACTION_NOT_ALLOWED_FOR_STATE", dana, "applications"},
		{"run dry run", func() error {
			_, err := e.Run(ctx, ivan, "applications", "submitScore", "a-1001", map[string]any{"score": 4, "feedback": "ok"}, dry)
			return err
		}, "action:submitScore:dry-run", "applications", "a-1001", "ok", ivan, "interview_scores"},
		{"run insert action", func() error {
			_, err := e.Run(ctx, ivan, "applications", "submitScore", "a-1001", map[string]any{"score": 4, "feedback": "ok"}, engine.WriteOptions{})
			return err
		}, "action:submitScore", "applications", "a-1001", "ok", ivan, ""},

		// A policy diff is audited too (by the system, not an identity).
		{"policy diff", func() error { _, err := e.Diff(ctx, enginetest.Config(t)); return err }, "diff", "", "*", "ok", engine.Identity{UserID: "system"}, ""},
	}
	for _, s := range steps {
		var snapshot string
		if s.unchanged != "" {
			snapshot = auTableDump(t, e, s.unchanged)
		}
		before := auCount(t, e)
		err := s.do()
		wantEntries := 1
		if s.name == "list next page" {
			wantEntries = 2 // two queries, two entries
		}
		if got := auCount(t, e) - before; got != wantEntries {
			t.Errorf("%s: %d audit entries, want %d (err %v)", s.name, got, wantEntries, err)
			continue
		}
		if (err == nil) != (s.outcome == "ok") {
			t.Errorf("%s: err = %v, want outcome %s", s.name, err, s.outcome)
		}
		last := auLast(t, e)
		who := s.who.UserID
		if last.Operation != s.op || last.Table != s.table || last.Outcome != s.outcome || last.UserID != who || last.OrgID != s.who.OrgID || last.Role != s.who.Role {
			t.Errorf("%s: entry %+v, want %s on %q by %s@%s (%s) → %s", s.name, last, s.op, s.table, who, s.who.OrgID, s.who.Role, s.outcome)
		}
		switch s.record {
		case "":
		case "*":
			if last.RecordID == "" {
				t.Errorf("%s: the entry names no record", s.name)
			}
		default:
			if last.RecordID != s.record {
				t.Errorf("%s: record %q, want %q", s.name, last.RecordID, s.record)
			}
		}
		if last.OSUser == "" || last.At == "" {
			t.Errorf("%s: entry lacks the OS user or time: %+v", s.name, last)
		}
		if s.unchanged != "" && auTableDump(t, e, s.unchanged) != snapshot {
			t.Errorf("%s: table %s changed", s.name, s.unchanged)
		}
	}
	if newCandidate == "" {
		t.Fatal("the allowed create did not return a row")
	}
	// The write entries name the fields they changed.
	es, _ := e.AuditEntries(ctx, engine.AuditFilter{Operation: "update", Outcome: "ok"})
	if len(es) != 1 || strings.Join(es[0].Fields, ",") != "name,modifiedAt,modifiedBy" {
		t.Errorf("update entry fields: %+v", es)
	}
	es, _ = e.AuditEntries(ctx, engine.AuditFilter{Operation: "create", Outcome: "ok"})
	if len(es) != 1 || es[0].RecordID != newCandidate || !strings.Contains(strings.Join(es[0].Fields, ","), "email") {
		t.Errorf("create entry: %+v", es)
	}
	if r := auVerify(t, e, ""); !r.OK {
		t.Errorf("log after every operation: %+v", r)
	}
}

// Count is a companion of List (the total shown beside a page the List call
// already logged): it writes no entry of its own, so a list view is logged
// once per page query, not twice.
func TestAuditCountIsPartOfTheListView(t *testing.T) {
	e := enginetest.Seeded(t)
	ivan := enginetest.Member(t, e, "u-ivan", "acme")
	before := auCount(t, e)
	n, err := e.Count(context.Background(), ivan, "candidates", engine.ListQuery{})
	if err != nil || n == 0 {
		t.Fatalf("count: %d, %v", n, err)
	}
	if got := auCount(t, e) - before; got != 0 {
		t.Errorf("Count wrote %d entries, want 0 (the List it accompanies is the logged query)", got)
	}
}

// auTableDump is every row of a table, as text.
func auTableDump(t *testing.T, e *engine.Engine, table string) string {
	t.Helper()
	var b strings.Builder
	for _, r := range enginetest.Rows(t, engine.RawDB(e), "SELECT * FROM "+engine.Q(table)+" ORDER BY 1") {
		fmt.Fprintln(&b, r...)
	}
	return b.String()
}

// ── masked values never reach the log ────────────────────────────────────────

func TestAuditNeverHoldsMaskedValues(t *testing.T) {
	e := enginetest.Seeded(t)
	ctx := context.Background()
	ivan := enginetest.Member(t, e, "u-ivan", "acme") // interviewer: email and phone masked
	const email, phone = "jane@example.com", "555-123-4567"

	// Reads, searches, filters, writes, refusals and explanations touching
	// c-jane, several of them carrying the raw values as input.
	_, _ = e.List(ctx, ivan, "candidates", engine.ListQuery{})
	_, _ = e.List(ctx, ivan, "candidates", engine.ListQuery{Search: "jane"})
	_, _ = e.List(ctx, ivan, "candidates", engine.ListQuery{Search: email})
	_, _ = e.List(ctx, ivan, "candidates", engine.ListQuery{Filters: []engine.Filter{{Column: "email", Op: "=", Value: email}}})
	_, _ = e.List(ctx, ivan, "candidates", engine.ListQuery{Filters: []engine.Filter{{Column: "phone", Op: "~", Value: "555"}}})
	_, _ = e.List(ctx, ivan, "candidates", engine.ListQuery{Sort: []schema.SortKey{{Column: "email"}}})
	_, _ = e.Get(ctx, ivan, "candidates", "c-jane")
	_, _ = e.Explain(ctx, ivan, "candidates", "c-jane")
	_, _ = e.Update(ctx, ivan, "candidates", "c-jane", map[string]any{"phone": phone}, engine.WriteOptions{})
	_, _ = e.Update(ctx, ivan, "candidates", "c-jane", map[string]any{"email": email, "phone": phone}, engine.WriteOptions{DryRun: true})
	_, _ = e.Create(ctx, ivan, "candidates", map[string]any{"name": "Jane Doe", "email": email, "phone": phone}, engine.WriteOptions{})
	_, _ = e.Delete(ctx, ivan, "candidates", "c-jane", engine.WriteOptions{})
	_, _ = e.Create(ctx, ivan, "interview_notes", map[string]any{"candidateId": "c-jane", "content": "met Jane"}, engine.WriteOptions{})
	_, _ = e.Upsert(ctx, ivan, "candidates", map[string]any{"id": "c-jane", "email": email}, engine.WriteOptions{})
	_, _ = e.Run(ctx, ivan, "applications", "submitScore", "a-1001", map[string]any{"score": 5, "feedback": email + " " + phone}, engine.WriteOptions{DryRun: true})

	rows := enginetest.Rows(t, engine.RawDB(e), "SELECT * FROM qb_audit")
	n := len(rows)
	for _, vals := range rows {
		line := fmt.Sprint(vals...)
		for _, secret := range []string{email, phone} {
			if strings.Contains(line, secret) {
				t.Errorf("audit row holds %q: %s", secret, line)
			}
		}
	}
	if n < 15 {
		t.Errorf("only %d entries: the operations were not all logged", n)
	}
}

// ── concurrent writers never fork the chain ─────────────────────────────────

func TestAuditConcurrentEnginesKeepOneChain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hiring.db")
	first := enginetest.Seeded(t, enginetest.At(path))
	const workers, each = 6, 30
	engines := []*engine.Engine{first}
	for len(engines) < workers {
		engines = append(engines, enginetest.Open(t, enginetest.At(path))) // separate connections pools, like separate processes
	}
	start := auCount(t, first)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w, e := range engines {
		wg.Add(1)
		go func(w int, e *engine.Engine) {
			defer wg.Done()
			rachel, err := e.ResolveIdentity(ctx, "u-rachel", "acme", "")
			if err != nil {
				errs <- err
				return
			}
			ivan, _ := e.ResolveIdentity(ctx, "u-ivan", "acme", "")
			for i := 0; i < each; i++ {
				switch i % 3 {
				case 0: // a write: entry inside its transaction
					_, err = e.Create(ctx, rachel, "candidates", map[string]any{"name": "C", "email": fmt.Sprintf("w%d-%d@example.com", w, i)}, engine.WriteOptions{})
				case 1: // a read
					_, err = e.List(ctx, ivan, "jobs", engine.ListQuery{Limit: 5})
				case 2: // a refusal: entry in a short transaction of its own
					_, _ = e.Create(ctx, ivan, "candidates", map[string]any{"name": "C"}, engine.WriteOptions{})
					err = nil
				}
				if err != nil {
					errs <- fmt.Errorf("worker %d step %d: %w", w, i, err)
				}
			}
		}(w, e)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := auCount(t, first) - start; got != workers*each {
		t.Errorf("%d entries appended, want %d (none lost)", got, workers*each)
	}
	r := auVerify(t, first, "")
	if !r.OK {
		t.Fatalf("chain after concurrent writers: %+v", r)
	}
	var minSeq, maxSeq, n int64
	if err := engine.RawDB(first).QueryRow("SELECT min(seq), max(seq), count(*) FROM qb_audit").Scan(&minSeq, &maxSeq, &n); err != nil {
		t.Fatal(err)
	}
	if minSeq != 1 || maxSeq != n {
		t.Errorf("seq not contiguous: %d..%d for %d entries", minSeq, maxSeq, n)
	}
	var forks int
	if err := engine.RawDB(first).QueryRow("SELECT count(*) FROM (SELECT prev_hash FROM qb_audit GROUP BY prev_hash HAVING count(*) > 1)").Scan(&forks); err != nil {
		t.Fatal(err)
	}
	if forks != 0 {
		t.Errorf("%d entries share a previous hash: the chain forked", forks)
	}
}

// ── listing filters ─────────────────────────────────────────────────────────

func TestAuditEntriesFilters(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2030, 1, 1, 10, 0, 0, 0, time.UTC)
	e := enginetest.Seeded(t, enginetest.Clock(func() time.Time { return clock }))
	ivan := enginetest.Member(t, e, "u-ivan", "acme")
	gus := enginetest.Member(t, e, "u-gus", "globex")
	dana := enginetest.Member(t, e, "u-dana", "acme")

	_, _ = e.List(ctx, ivan, "candidates", engine.ListQuery{})  // 10:00 ok
	_, _ = e.List(ctx, ivan, "ats_imports", engine.ListQuery{}) // 10:00 refused
	clock = clock.Add(time.Hour)
	_, _ = e.Get(ctx, gus, "jobs", "nope")                      // 11:00 FIREWALL_NOT_FOUND
	_, _ = e.List(ctx, dana, "ats_imports", engine.ListQuery{}) // 11:00 ok
	clock = clock.Add(time.Hour)
	_, _ = e.Create(ctx, dana, "jobs", map[string]any{"title": "QA"}, engine.WriteOptions{}) // 12:00 ok

	at := func(h int) string { return engine.FormatTime(time.Date(2030, 1, 1, h, 0, 0, 0, time.UTC)) }
	cases := []struct {
		name string
		f    engine.AuditFilter
		want []string // operation/table/outcome
	}{
		{"user", engine.AuditFilter{UserID: "u-ivan"}, []string{"list candidates ok", "list ats_imports ACCESS_ROLE_REQUIRED"}},
		{"org", engine.AuditFilter{OrgID: "globex"}, []string{"get jobs FIREWALL_NOT_FOUND"}},
		{"table", engine.AuditFilter{Table: "ats_imports"}, []string{"list ats_imports ACCESS_ROLE_REQUIRED", "list ats_imports ok"}},
		{"outcome ok", engine.AuditFilter{Outcome: "ok", Since: at(10)}, []string{"list candidates ok", "list ats_imports ok", "create jobs ok"}},
		{"outcome refused", engine.AuditFilter{Outcome: "refused"}, []string{"list ats_imports ACCESS_ROLE_REQUIRED", "get jobs FIREWALL_NOT_FOUND"}},
		{"outcome code", engine.AuditFilter{Outcome: "FIREWALL_NOT_FOUND"}, []string{"get jobs FIREWALL_NOT_FOUND"}},
		{"since", engine.AuditFilter{Since: at(11)}, []string{"get jobs FIREWALL_NOT_FOUND", "list ats_imports ok", "create jobs ok"}},
		{"until", engine.AuditFilter{Since: at(10), Until: at(10)}, []string{"list candidates ok", "list ats_imports ACCESS_ROLE_REQUIRED"}},
		{"window", engine.AuditFilter{Since: at(11), Until: at(11)}, []string{"get jobs FIREWALL_NOT_FOUND", "list ats_imports ok"}},
		{"operation", engine.AuditFilter{Operation: "create"}, []string{"create jobs ok"}},
		{"combined", engine.AuditFilter{UserID: "u-dana", Table: "ats_imports", Outcome: "ok"}, []string{"list ats_imports ok"}},
		{"limit keeps the newest", engine.AuditFilter{Since: at(10), Limit: 2}, []string{"list ats_imports ok", "create jobs ok"}},
	}
	for _, c := range cases {
		es, err := e.AuditEntries(ctx, c.f)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var got []string
		for _, x := range es {
			got = append(got, x.Operation+" "+x.Table+" "+x.Outcome)
		}
		if strings.Join(got, "; ") != strings.Join(c.want, "; ") {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

// TestOptionsClockAndOSUser: the clock and operator given to Open stamp
// every entry the engine appends: a seed's, a read's and a bulk load's.
func TestOptionsClockAndOSUser(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)
	e := enginetest.Open(t, enginetest.Options(engine.Options{Clock: func() time.Time { return at }, OSUser: "operator-7"}))
	if _, err := e.Seed(ctx, enginetest.Fixtures(t, e.Config()), false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.List(ctx, enginetest.Member(t, e, "u-dana", ""), "jobs", engine.ListQuery{}); err != nil {
		t.Fatal(err)
	}
	if _, err := fixtures.Generate(ctx, e, "jobs", fixtures.GenerateOptions{Rows: 3, Seed: 9}); err != nil {
		t.Fatal(err)
	}
	entries, err := e.AuditEntries(ctx, engine.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, x := range entries {
		ops = append(ops, x.Operation)
		if x.At != engine.FormatTime(at) || x.OSUser != "operator-7" {
			t.Errorf("entry %d (%s): at %s by %s, want %s by operator-7", x.Seq, x.Operation, x.At, x.OSUser, engine.FormatTime(at))
		}
	}
	if got := strings.Join(ops, " "); got != "seed list generate:start generate" {
		t.Errorf("operations %q", got)
	}
}

// SPEC §3.7: every operation is audited, allowed or refused. A write that
// fails on a database error (here a trigger aborting the insert) used to
// leave no entry.
func TestAuditWriteDatabaseError(t *testing.T) {
	e := enginetest.Seeded(t)
	ctx := context.Background()
	if _, err := engine.RawDB(e).Exec(`CREATE TRIGGER rv_boom BEFORE INSERT ON "jobs" BEGIN SELECT RAISE(ABORT, 'rv boom'); END`); err != nil {
		t.Fatal(err)
	}
	dana := enginetest.Member(t, e, "u-dana", "acme")
	before, err := e.AuditEntries(ctx, engine.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	_, werr := e.Create(ctx, dana, "jobs", map[string]any{"title": "Welder"}, engine.WriteOptions{})
	if werr == nil {
		t.Fatal("create succeeded despite the trigger")
	}
	after, err := e.AuditEntries(ctx, engine.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before)+1 {
		t.Fatalf("audit entries %d → %d after a failed create; want one more", len(before), len(after))
	}
	last := after[len(after)-1]
	if last.Operation != "create" || last.Outcome == "ok" || last.Table != "jobs" {
		t.Errorf("last entry %+v; want the failed create", last)
	}
	if v, err := e.VerifyAudit(ctx, ""); err != nil || !v.OK {
		t.Errorf("verify: %+v %v", v, err)
	}
}
