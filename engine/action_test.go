package engine_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/enginetest"
	"quickback.dev/qb/schema"
)

// ── helpers (prefixed act: the package's tests share one namespace) ─────────

// actNowText is the pinned clock (enginetest.Fixed) as stored.
var actNowText = engine.FormatTime(enginetest.Now)

// actErr asserts err is an engine refusal with code (and its status).
func actErr(t testing.TB, err error, code engine.Code) *engine.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s", code)
	}
	ee, ok := engine.AsError(err)
	if !ok {
		t.Fatalf("not an engine error: %v", err)
	}
	if ee.Code != code {
		t.Fatalf("code %s, want %s: %s", ee.Code, code, engine.FormatError(ee))
	}
	if ee.Status != code.Status() {
		t.Fatalf("%s: status %d, want %d", code, ee.Status, code.Status())
	}
	return ee
}

func actAudit(t testing.TB, e *engine.Engine) []engine.AuditEntry {
	t.Helper()
	es, err := e.AuditEntries(context.Background(), engine.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func actStage(t testing.TB, e *engine.Engine, id string) string {
	t.Helper()
	var s string
	if err := engine.RawDB(e).QueryRow("SELECT stage FROM applications WHERE id = ?", id).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

func actJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func actIn(kv ...any) map[string]any {
	m := map[string]any{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

// actFields returns the details.fields of a refusal as field → category.
func actFields(t testing.TB, ee *engine.Error) map[string]string {
	t.Helper()
	probs, ok := ee.Details["fields"].([]engine.FieldProblem)
	if !ok {
		t.Fatalf("details.fields is %T, want []engine.FieldProblem", ee.Details["fields"])
	}
	out := map[string]string{}
	for _, p := range probs {
		if _, dup := out[p.Field]; dup {
			t.Errorf("field %s reported twice", p.Field)
		}
		if p.Message == "" && p.Category != "system-managed" {
			t.Errorf("field %s has no message", p.Field)
		}
		out[p.Field] = p.Category
	}
	return out
}

var actCtx = context.Background()

// ── check order ─────────────────────────────────────────────────────────────

func TestActionUnknownTableOrAction(t *testing.T) {
	e := enginetest.Seeded(t, enginetest.Fixed())
	dana := enginetest.Member(t, e, "u-dana", "")
	_, err := e.Run(actCtx, dana, "nope", "advanceStage", "a-1002", nil, engine.WriteOptions{})
	actErr(t, err, engine.NotFound)
	_, err = e.Run(actCtx, dana, "applications", "nope", "a-1002", nil, engine.WriteOptions{})
	actErr(t, err, engine.NotFound)
	_, err = e.Actions(actCtx, dana, "nope", "")
	actErr(t, err, engine.NotFound)
}

func TestActionRoleRequiredBeforeAnyRow(t *testing.T) { actRoleRequiredBeforeAnyRow(t) }

// actRoleRequiredBeforeAnyRow runs TestActionRoleRequiredBeforeAnyRow on databases built with the kit options extra.
func actRoleRequiredBeforeAnyRow(t *testing.T, extra ...enginetest.Option) {
	e := enginetest.Seeded(t, append([]enginetest.Option{enginetest.Fixed()}, extra...)...)
	ivan := enginetest.Member(t, e, "u-ivan", "")
	before := enginetest.Dump(t, engine.RawDB(e), "qb_audit")
	// Existing, foreign, deleted and absent records: all the same 403, with
	// bad input too, so the refusal never reveals whether a row exists.
	var first *engine.Error
	for _, id := range []string{"a-1002", "a-2001", "a-1024", "a-nope"} {
		_, err := e.Run(actCtx, ivan, "applications", "advanceStage", id, actIn("stage", "nope", "bogus", 1), engine.WriteOptions{})
		ee := actErr(t, err, engine.AccessRoleRequired)
		if ee.Details["rule"] != "tables.applications.actions.advanceStage.access" {
			t.Errorf("rule = %v", ee.Details["rule"])
		}
		if first == nil {
			first = ee
		} else if !reflect.DeepEqual(first, ee) {
			t.Errorf("role refusal differs for %s:\n%+v\n%+v", id, first, ee)
		}
	}
	if after := enginetest.Dump(t, engine.RawDB(e), "qb_audit"); after != before {
		t.Error("a refused action changed the database")
	}
	last := actAudit(t, e)
	if l := last[len(last)-1]; l.Operation != "action:advanceStage" || l.Outcome != string(engine.AccessRoleRequired) || l.UserID != "u-ivan" {
		t.Errorf("audit entry %+v", l)
	}
}

// actNotFoundSame checks that the three not-found cases give the same
// refusal apart from the id.
func actNotFoundSame(t *testing.T, e *engine.Engine, id engine.Identity, code engine.Code) {
	t.Helper()
	var want *engine.Error
	for _, rid := range []string{"a-2001", "a-1024", "a-nope"} {
		// Bad input too: the record is checked first.
		_, err := e.Run(actCtx, id, "applications", "advanceStage", rid, actIn("stage", "nope"), engine.WriteOptions{})
		ee := actErr(t, err, code)
		norm := &engine.Error{Code: ee.Code, Status: ee.Status, Message: strings.ReplaceAll(ee.Message, rid, "ID"), Details: map[string]any{}}
		for k, v := range ee.Details {
			if k == "id" {
				if v != rid {
					t.Errorf("details.id = %v, want %s", v, rid)
				}
				continue
			}
			norm.Details[k] = v
		}
		if want == nil {
			want = norm
		} else if !reflect.DeepEqual(want, norm) {
			t.Errorf("not-found refusals differ:\n%+v\n%+v", want, norm)
		}
	}
}

func TestActionRecordNotFound(t *testing.T) {
	e := enginetest.Seeded(t, enginetest.Fixed())
	dana := enginetest.Member(t, e, "u-dana", "")
	actNotFoundSame(t, e, dana, engine.FirewallNotFound)

	hide := enginetest.Seeded(t, enginetest.Fixed(), enginetest.Edits(enginetest.Edit{Old: "[tables.applications.firewall]\norganization = {}", New: "[tables.applications.firewall]\norganization = {}\nerrorMode = \"hide\""}))
	actNotFoundSame(t, hide, enginetest.Member(t, hide, "u-dana", ""), engine.NotFound)

	// An interviewer of globex scoring an acme application.
	gus := enginetest.Member(t, e, "u-gus", "")
	_, err := e.Run(actCtx, gus, "applications", "submitScore", "a-1001", actIn("score", json.Number("3"), "feedback", "x"), engine.WriteOptions{})
	actErr(t, err, engine.FirewallNotFound)
}

// actCondition is advanceStage restricted to records not yet decided.
var actCondition = enginetest.Edit{Old: `access = { roles = ["hiring-manager"] }
input.stage`, New: `access = { roles = ["hiring-manager"], record = { stage = { notIn = ["hired", "rejected"] } } }
input.stage`}

func TestActionRecordCondition(t *testing.T) {
	e := enginetest.Seeded(t, enginetest.Fixed(), enginetest.Edits(actCondition))
	dana := enginetest.Member(t, e, "u-dana", "")
	// The condition comes before input validation and the transition.
	for _, in := range []map[string]any{actIn("stage", "screening"), actIn("stage", "nope", "x", 1)} {
		_, err := e.Run(actCtx, dana, "applications", "advanceStage", "a-1005", in, engine.WriteOptions{})
		ee := actErr(t, err, engine.AccessConditionFailed)
		if rules, _ := ee.Details["rules"].([]string); !slices.Contains(rules, "tables.applications.actions.advanceStage.access") {
			t.Errorf("rules = %v", ee.Details["rules"])
		}
	}
	// An open application passes the condition.
	if _, err := e.Run(actCtx, dana, "applications", "advanceStage", "a-1002", actIn("stage", "screening"), engine.WriteOptions{}); err != nil {
		t.Fatal(err)
	}

	hide := enginetest.Seeded(t, enginetest.Fixed(), enginetest.Edits(actCondition, enginetest.Edit{Old: "[tables.applications.firewall]\norganization = {}", New: "[tables.applications.firewall]\norganization = {}\nerrorMode = \"hide\""}))
	_, err := hide.Run(actCtx, enginetest.Member(t, hide, "u-dana", ""), "applications", "advanceStage", "a-1005", actIn("stage", "screening"), engine.WriteOptions{})
	actErr(t, err, engine.NotFound)
}

func TestActionInputValidation(t *testing.T) { actInputValidation(t) }

// actInputValidation runs TestActionInputValidation on databases built with the kit options extra.
func actInputValidation(t *testing.T, extra ...enginetest.Option) {
	e := enginetest.Seeded(t, append([]enginetest.Option{enginetest.Fixed()}, extra...)...)
	dana := enginetest.Member(t, e, "u-dana", "")
	before := enginetest.Dump(t, engine.RawDB(e), "qb_audit")
	run := func(rowID string, in map[string]any) error {
		_, err := e.Run(actCtx, dana, "applications", "advanceStage", rowID, in, engine.WriteOptions{})
		return err
	}
	ee := actErr(t, run("a-1002", actIn("stage", "nope", "note", json.Number("5"), "bogus", true, "extra", "x")), engine.ValidationFailed)
	want := map[string]string{"stage": "invalid", "note": "invalid", "bogus": "unknown", "extra": "unknown"}
	if got := actFields(t, ee); !reflect.DeepEqual(got, want) {
		t.Errorf("fields = %v, want %v", got, want)
	}
	for _, f := range []string{"stage", "note", "bogus", "extra"} {
		if !strings.Contains(ee.Message, f) {
			t.Errorf("message %q does not name %s", ee.Message, f)
		}
	}
	ee = actErr(t, run("a-1002", actIn()), engine.ValidationFailed)
	if got := actFields(t, ee); !reflect.DeepEqual(got, map[string]string{"stage": "required"}) {
		t.Errorf("fields = %v", got)
	}
	ee = actErr(t, run("a-1002", actIn("stage", "screening", "note", strings.Repeat("n", 501))), engine.ValidationFailed)
	if got := actFields(t, ee); !reflect.DeepEqual(got, map[string]string{"note": "invalid"}) {
		t.Errorf("fields = %v", got)
	}
	if strings.Contains(ee.Message, "nnnnn") {
		t.Error("the message echoes the value")
	}
	// Unknown keys alone are refused.
	ee = actErr(t, run("a-1002", actIn("stage", "screening", "stgae", "x")), engine.ValidationFailed)
	if got := actFields(t, ee); !reflect.DeepEqual(got, map[string]string{"stgae": "unknown"}) {
		t.Errorf("fields = %v", got)
	}
	// Input validation comes before the transition: a hired record with a
	// bad target is a 400, not a 409.
	actErr(t, run("a-1005", actIn("stage", "nope")), engine.ValidationFailed)
	// Types of submitScore: an integer in range.
	ivan := enginetest.Member(t, e, "u-ivan", "")
	for _, score := range []any{json.Number("2.5"), "4", json.Number("0"), json.Number("6"), true} {
		_, err := e.Run(actCtx, ivan, "applications", "submitScore", "a-1001", actIn("score", score, "feedback", "ok"), engine.WriteOptions{})
		ee := actErr(t, err, engine.ValidationFailed)
		if got := actFields(t, ee); !reflect.DeepEqual(got, map[string]string{"score": "invalid"}) {
			t.Errorf("score %v: fields = %v", score, got)
		}
	}
	// The id shape: a record action needs one.
	actErr(t, run("", actIn("stage", "screening")), engine.ValidationFailed)
	if after := enginetest.Dump(t, engine.RawDB(e), "qb_audit"); after != before {
		t.Error("a refused action changed the database")
	}
}

func TestActionTransitionRefused(t *testing.T) { actTransitionRefused(t) }

// actTransitionRefused runs TestActionTransitionRefused on databases built with the kit options extra.
func actTransitionRefused(t *testing.T, extra ...enginetest.Option) {
	e := enginetest.Seeded(t, append([]enginetest.Option{enginetest.Fixed()}, extra...)...)
	dana := enginetest.Member(t, e, "u-dana", "")
	before := enginetest.Dump(t, engine.RawDB(e), "qb_audit")
	_, err := e.Run(actCtx, dana, "applications", "advanceStage", "a-1002", actIn("stage", "offer"), engine.WriteOptions{})
	ee := actErr(t, err, engine.ActionNotAllowedForState)
	if ee.Details["field"] != "stage" || ee.Details["current"] != "applied" || ee.Details["target"] != "offer" ||
		!reflect.DeepEqual(ee.Details["allowed"], []string{"screening", "rejected"}) {
		t.Errorf("details = %v", ee.Details)
	}
	_, err = e.Run(actCtx, dana, "applications", "advanceStage", "a-1005", actIn("stage", "offer"), engine.WriteOptions{})
	ee = actErr(t, err, engine.ActionNotAllowedForState)
	if ee.Details["current"] != "hired" || !reflect.DeepEqual(ee.Details["allowed"], []string{}) {
		t.Errorf("details = %v", ee.Details)
	}
	if after := enginetest.Dump(t, engine.RawDB(e), "qb_audit"); after != before {
		t.Error("a refused transition changed the database")
	}
}

// ── the pipeline ────────────────────────────────────────────────────────────

// actPipeline is the hiring pipeline as the product describes it: forward
// one stage at a time, reject from any open stage, hired and rejected are
// terminal.
var actPipeline = map[string][]string{
	"applied":   {"screening", "rejected"},
	"screening": {"interview", "rejected"},
	"interview": {"offer", "rejected"},
	"offer":     {"hired", "rejected"},
}

var actStages = []string{"applied", "screening", "interview", "offer", "hired", "rejected"}

func TestActionPipelineTransitions(t *testing.T) { actPipelineTransitions(t) }

// actPipelineTransitions runs TestActionPipelineTransitions on databases built with the kit options extra.
func actPipelineTransitions(t *testing.T, extra ...enginetest.Option) {
	e := enginetest.Seeded(t, append([]enginetest.Option{enginetest.Fixed()}, extra...)...)
	dana := enginetest.Member(t, e, "u-dana", "")
	at := map[string]string{"applied": "a-1002", "screening": "a-1003", "interview": "a-1001", "offer": "a-1004", "hired": "a-1005", "rejected": "a-1006"}
	before := enginetest.Dump(t, engine.RawDB(e), "qb_audit")
	// Every pair, as dry runs on one database.
	for _, from := range actStages {
		for _, to := range actStages {
			res, err := e.Run(actCtx, dana, "applications", "advanceStage", at[from], actIn("stage", to), engine.WriteOptions{DryRun: true})
			if slices.Contains(actPipeline[from], to) {
				if err != nil {
					t.Errorf("%s → %s: %v", from, to, err)
					continue
				}
				if res.Row.Get("stage") != to || !res.DryRun {
					t.Errorf("%s → %s: result stage %v dryRun %v", from, to, res.Row.Get("stage"), res.DryRun)
				}
				continue
			}
			if err == nil {
				t.Errorf("%s → %s: allowed, want 409", from, to)
				continue
			}
			ee := actErr(t, err, engine.ActionNotAllowedForState)
			if ee.Details["current"] != from || ee.Details["target"] != to {
				t.Errorf("%s → %s: details %v", from, to, ee.Details)
			}
		}
	}
	if after := enginetest.Dump(t, engine.RawDB(e), "qb_audit"); after != before {
		t.Fatal("dry runs changed the database")
	}

	// Real runs: applied → screening, and rejection from every open stage.
	res, err := e.Run(actCtx, dana, "applications", "advanceStage", "a-1002", actIn("stage", "screening", "note", "phone screen booked"), engine.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Row.Get("stage") != "screening" || res.Row.Get("modifiedBy") != "u-dana" || res.Row.Get("modifiedAt") != actNowText || res.Action != "advanceStage" {
		t.Errorf("result row %v", res.Row.Map())
	}
	var changed []string
	for _, c := range res.Changes {
		changed = append(changed, c.Field)
		if c.Field == "stage" && (c.Before != "applied" || c.After != "screening") {
			t.Errorf("stage change %+v", c)
		}
	}
	if !reflect.DeepEqual(changed, []string{"stage", "modifiedAt", "modifiedBy"}) {
		t.Errorf("changes %v", changed)
	}
	if actStage(t, e, "a-1002") != "screening" {
		t.Error("stage not written")
	}
	audit := actAudit(t, e)
	if l := audit[len(audit)-1]; l.Operation != "action:advanceStage" || l.Outcome != "ok" || l.RecordID != "a-1002" || !slices.Contains(l.Fields, "stage") {
		t.Errorf("audit %+v", l)
	}
	for _, id := range []string{"a-1016", "a-1012", "a-1007", "a-1013"} {
		if _, err := e.Run(actCtx, dana, "applications", "advanceStage", id, actIn("stage", "rejected"), engine.WriteOptions{}); err != nil {
			t.Errorf("reject %s: %v", id, err)
		} else if actStage(t, e, id) != "rejected" {
			t.Errorf("%s not rejected", id)
		}
	}
	// Nothing leaves hired.
	for _, to := range actStages {
		_, err := e.Run(actCtx, dana, "applications", "advanceStage", "a-1010", actIn("stage", to), engine.WriteOptions{})
		actErr(t, err, engine.ActionNotAllowedForState)
	}
	if v, err := e.VerifyAudit(actCtx, ""); err != nil || !v.OK {
		t.Errorf("audit chain: %+v %v", v, err)
	}
}

// ── inserts ─────────────────────────────────────────────────────────────────

func TestActionSubmitScoreInserts(t *testing.T) { actSubmitScoreInserts(t) }

// actSubmitScoreInserts runs TestActionSubmitScoreInserts on databases built with the kit options extra.
func actSubmitScoreInserts(t *testing.T, extra ...enginetest.Option) {
	e := enginetest.Seeded(t, append([]enginetest.Option{enginetest.Fixed()}, extra...)...)
	ivan := enginetest.Member(t, e, "u-ivan", "")
	appBefore, err := e.Get(actCtx, ivan, "applications", "a-1001")
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Run(actCtx, ivan, "applications", "submitScore", "a-1001", actIn("score", json.Number("4"), "feedback", "Strong systems design"), engine.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Row == nil || !reflect.DeepEqual(res.Row.Map(), appBefore.Map()) {
		t.Errorf("the record changed or is missing: %v", res.Row)
	}
	// interview_scores is internal: nobody may get its rows, so the result
	// names the inserted row and its fields, never its values (SPEC §3.4).
	if len(res.Inserted) != 0 || len(res.Withheld) != 1 {
		t.Fatalf("inserted %v, withheld %v", res.Inserted, res.Withheld)
	}
	w := res.Withheld[0]
	wantFields := []string{"id", "organizationId", "applicationId", "interviewerId", "score", "feedback", "createdAt", "createdBy", "modifiedAt", "modifiedBy"}
	if w.Table != "interview_scores" || w.ID == "" || !reflect.DeepEqual(w.Fields, wantFields) {
		t.Errorf("withheld %+v", w)
	}
	var org, by, at, app, feedback string
	var score int64
	err = engine.RawDB(e).QueryRow("SELECT organization_id, created_by, created_at, application_id, score, feedback FROM interview_scores WHERE id = ?", w.ID).Scan(&org, &by, &at, &app, &score, &feedback)
	if err != nil {
		t.Fatal(err)
	}
	if org != "acme" || by != "u-ivan" || at != actNowText || app != "a-1001" || score != 4 || feedback != "Strong systems design" {
		t.Errorf("stored row %s %s %s %s %d %q", org, by, at, app, score, feedback)
	}
	if got := ctRawValue(t, e, "interview_scores", e.Config().Table("interview_scores").Column("interviewerId").SQLName, w.ID); got != "u-ivan" {
		t.Errorf("stored interviewerId %v", got)
	}
	if slices.ContainsFunc(res.Changes, func(c engine.Change) bool { return strings.HasPrefix(c.Field, "interview_scores.") }) {
		t.Errorf("changes show the withheld row's values: %+v", res.Changes)
	}
	audit := actAudit(t, e)
	if l := audit[len(audit)-1]; l.Operation != "action:submitScore" || l.Outcome != "ok" || !slices.Contains(l.Fields, "interview_scores.score") {
		t.Errorf("audit %+v", l)
	}
	// The internal table still has no CRUD.
	_, err = e.List(actCtx, ivan, "interview_scores", engine.ListQuery{})
	actErr(t, err, engine.InternalTable)
}

// actSecondInsert adds a second score row to submitScore, for an
// application of another organization (a reference the caller cannot see),
// and a set of the record's notes before it.
var actSecondInsert = []enginetest.Edit{
	{Old: `input.feedback = { type = "text", maxLength = 4000 }
`, New: `input.feedback = { type = "text", maxLength = 4000 }
set = { notes = "$input.feedback" }
`},
	{Old: `values = { applicationId = "$record.id", interviewerId = "$ctx.userId", score = "$input.score", feedback = "$input.feedback" }
`, New: `values = { applicationId = "$record.id", interviewerId = "$ctx.userId", score = "$input.score", feedback = "$input.feedback" }

[[tables.applications.actions.submitScore.insert]]
table  = "interview_scores"
values = { applicationId = "a-2001", interviewerId = "$ctx.userId", score = "$input.score" }
`},
}

func TestActionFailedInsertWritesNothing(t *testing.T) {
	t.Run("reference", func(t *testing.T) {
		e := enginetest.Seeded(t, enginetest.Fixed(), enginetest.Edits(actSecondInsert...))
		dana := enginetest.Member(t, e, "u-dana", "")
		before := enginetest.Dump(t, engine.RawDB(e), "qb_audit")
		n := len(actAudit(t, e))
		_, err := e.Run(actCtx, dana, "applications", "submitScore", "a-1001", actIn("score", json.Number("5"), "feedback", "ok"), engine.WriteOptions{})
		ee := actErr(t, err, engine.FKNotFound)
		if got := actFields(t, ee); !reflect.DeepEqual(got, map[string]string{"applicationId": "reference"}) {
			t.Errorf("fields %v", got)
		}
		if after := enginetest.Dump(t, engine.RawDB(e), "qb_audit"); after != before {
			t.Error("a failed action left writes behind")
		}
		if audit := actAudit(t, e); len(audit) != n+1 || audit[n].Outcome != string(engine.FKNotFound) {
			t.Errorf("audit: %d entries after %d", len(audit), n)
		}
	})
	t.Run("range", func(t *testing.T) {
		// The input no longer checks the range: the insert's column does.
		e := enginetest.Seeded(t, enginetest.Fixed(), enginetest.Edits(enginetest.Edit{Old: `input.score    = { type = "integer", min = 1, max = 5 }`, New: `input.score    = { type = "integer" }`},
			actSecondInsert[0]))
		dana := enginetest.Member(t, e, "u-dana", "")
		before := enginetest.Dump(t, engine.RawDB(e), "qb_audit")
		_, err := e.Run(actCtx, dana, "applications", "submitScore", "a-1001", actIn("score", json.Number("9"), "feedback", "ok"), engine.WriteOptions{})
		ee := actErr(t, err, engine.ValidationFailed)
		if got := actFields(t, ee); !reflect.DeepEqual(got, map[string]string{"score": "invalid"}) {
			t.Errorf("fields %v", got)
		}
		if after := enginetest.Dump(t, engine.RawDB(e), "qb_audit"); after != before {
			t.Error("a failed action left writes behind")
		}
	})
}

// ── guards on what an action sets ───────────────────────────────────────────

func TestActionGuards(t *testing.T) {
	cfg := enginetest.OwnConfig(t) // the test changes it
	e := enginetest.Seeded(t, enginetest.Fixed(), enginetest.WithConfig(cfg))
	dana := enginetest.Member(t, e, "u-dana", "")
	apps := cfg.Table("applications")
	adv, score := apps.Action("advanceStage"), apps.Action("submitScore")
	before := enginetest.Dump(t, engine.RawDB(e), "qb_audit")

	// The loader refuses these; the engine refuses them again at run time.
	saved := adv.Set
	adv.Set = append(slices.Clone(saved), schema.Assign{Column: "createdBy", Value: "u-x"}, schema.Assign{Column: "organizationId", Value: "globex"})
	_, err := e.Run(actCtx, dana, "applications", "advanceStage", "a-1002", actIn("stage", "screening"), engine.WriteOptions{})
	ee := actErr(t, err, engine.GuardSystemManaged)
	if got := actFields(t, ee); !reflect.DeepEqual(got, map[string]string{"createdBy": "system-managed", "organizationId": "system-managed"}) {
		t.Errorf("fields %v", got)
	}
	adv.Set = saved

	// stage is protected for advanceStage only.
	score.Set = []schema.Assign{{Column: "stage", Value: "hired"}}
	_, err = e.Run(actCtx, dana, "applications", "submitScore", "a-1002", actIn("score", json.Number("3"), "feedback", "x"), engine.WriteOptions{})
	ee = actErr(t, err, engine.GuardFieldProtected)
	if got := actFields(t, ee); !reflect.DeepEqual(got, map[string]string{"stage": "protected"}) {
		t.Errorf("fields %v", got)
	}
	if want := "action submitScore may not set these fields of applications: stage (protected)"; ee.Message != want {
		t.Errorf("message %q, want %q", ee.Message, want)
	}
	score.Set = nil

	// An insert may not set system-managed columns of its table either.
	savedIns := score.Inserts
	ins := savedIns[0]
	ins.Values = append(slices.Clone(ins.Values), schema.Assign{Column: "organizationId", Value: "globex"})
	score.Inserts = []schema.Insert{ins}
	_, err = e.Run(actCtx, dana, "applications", "submitScore", "a-1002", actIn("score", json.Number("3"), "feedback", "x"), engine.WriteOptions{})
	actErr(t, err, engine.GuardSystemManaged)
	score.Inserts = savedIns

	if after := enginetest.Dump(t, engine.RawDB(e), "qb_audit"); after != before {
		t.Error("a refused action changed the database")
	}
	// advanceStage may set the protected stage (the normal path).
	if _, err := e.Run(actCtx, dana, "applications", "advanceStage", "a-1002", actIn("stage", "screening"), engine.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
}

// ── dry run ─────────────────────────────────────────────────────────────────

func TestActionDryRun(t *testing.T) { actDryRun(t) }

// actDryRun runs TestActionDryRun on databases built with the kit options extra.
func actDryRun(t *testing.T, extra ...enginetest.Option) {
	e := enginetest.Seeded(t, append([]enginetest.Option{enginetest.Fixed()}, extra...)...)
	dana := enginetest.Member(t, e, "u-dana", "")
	before := enginetest.Dump(t, engine.RawDB(e), "qb_audit")
	n := len(actAudit(t, e))

	res, err := e.Run(actCtx, dana, "applications", "advanceStage", "a-1002", actIn("stage", "screening"), engine.WriteOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if !res.DryRun || res.Row.Get("stage") != "screening" || len(res.Changes) == 0 || res.Changes[0].Field != "stage" {
		t.Errorf("dry-run result %+v", res)
	}
	res, err = e.Run(actCtx, dana, "applications", "submitScore", "a-1001", actIn("score", json.Number("3"), "feedback", "fine"), engine.WriteOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Withheld) != 1 || res.Withheld[0].Table != "interview_scores" {
		t.Errorf("dry-run inserted %+v, withheld %+v", res.Inserted, res.Withheld)
	}
	if after := enginetest.Dump(t, engine.RawDB(e), "qb_audit"); after != before {
		t.Error("a dry run changed the database")
	}
	audit := actAudit(t, e)
	if len(audit) != n+2 {
		t.Fatalf("audit gained %d entries, want 2 (one per dry run)", len(audit)-n)
	}
	for i, op := range []string{"action:advanceStage:dry-run", "action:submitScore:dry-run"} {
		if a := audit[n+i]; a.Operation != op || a.Outcome != "ok" {
			t.Errorf("audit %+v, want %s", a, op)
		}
	}
	// A refused dry run is audited with its refusal.
	_, err = e.Run(actCtx, dana, "applications", "advanceStage", "a-1002", actIn("stage", "hired"), engine.WriteOptions{DryRun: true})
	actErr(t, err, engine.ActionNotAllowedForState)
	if after := enginetest.Dump(t, engine.RawDB(e), "qb_audit"); after != before {
		t.Error("a refused dry run changed the database")
	}
	if v, err := e.VerifyAudit(actCtx, ""); err != nil || !v.OK {
		t.Errorf("audit chain: %+v %v", v, err)
	}
}

// ── races ───────────────────────────────────────────────────────────────────

func TestActionTransitionLost(t *testing.T) {
	e := enginetest.Seeded(t, enginetest.Fixed(), enginetest.Edits(actAnnotate...))
	dana := enginetest.Member(t, e, "u-dana", "")
	before := enginetest.Dump(t, engine.RawDB(e), "qb_audit")
	// Another writer moves the record between the check and the update.
	restore := engine.SetBeforeActionUpdate(func(ctx context.Context, tx *sql.Tx) {
		if _, err := tx.ExecContext(actCtx, "UPDATE applications SET stage = 'rejected' WHERE id = 'a-1002'"); err != nil {
			t.Error(err)
		}
	})
	_, err := e.Run(actCtx, dana, "applications", "advanceStage", "a-1002", actIn("stage", "screening"), engine.WriteOptions{})
	restore()
	ee := actErr(t, err, engine.TransitionLost)
	if ee.Details["field"] != "stage" {
		t.Errorf("details %v", ee.Details)
	}
	// Without a transition the update is still conditioned on the firewall:
	// a record deleted under the action is lost too.
	restore = engine.SetBeforeActionUpdate(func(ctx context.Context, tx *sql.Tx) {
		if _, err := tx.ExecContext(actCtx, "UPDATE applications SET deleted_at = '2026-03-01T00:00:00.000Z' WHERE id = 'a-1001'"); err != nil {
			t.Error(err)
		}
	})
	_, err = e.Run(actCtx, dana, "applications", "annotate", "a-1001", actIn("note", "x"), engine.WriteOptions{})
	restore()
	actErr(t, err, engine.TransitionLost)
	if after := enginetest.Dump(t, engine.RawDB(e), "qb_audit"); after != before {
		t.Error("a lost action left writes behind")
	}
	audit := actAudit(t, e)
	if l := audit[len(audit)-1]; l.Outcome != string(engine.TransitionLost) {
		t.Errorf("audit %+v", l)
	}
}

// actRace runs advanceStage on rowID from n goroutines at once, alternating
// the targets, and returns the targets that succeeded in commit order.
func actRace(t *testing.T, e *engine.Engine, id engine.Identity, rowID string, n int, targets ...string) []string {
	t.Helper()
	var mu sync.Mutex
	var won []string
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		target := targets[i%len(targets)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := e.Run(actCtx, id, "applications", "advanceStage", rowID, actIn("stage", target), engine.WriteOptions{})
			if err == nil {
				mu.Lock()
				won = append(won, target)
				mu.Unlock()
				return
			}
			ee, ok := engine.AsError(err)
			if !ok || (ee.Code != engine.TransitionLost && ee.Code != engine.ActionNotAllowedForState) {
				t.Errorf("goroutine %d (%s): %v", i, target, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	return won
}

func actOKRuns(t *testing.T, e *engine.Engine, rowID string) []string {
	t.Helper()
	var out []string
	for _, a := range actAudit(t, e) {
		if a.Operation == "action:advanceStage" && a.RecordID == rowID && a.Outcome == "ok" {
			out = append(out, a.RecordID)
		}
	}
	return out
}

func TestActionConcurrentGoroutines(t *testing.T) {
	e := enginetest.Seeded(t, enginetest.Fixed())
	dana := enginetest.Member(t, e, "u-dana", "")

	// From offer, hired and rejected are both terminal: exactly one wins.
	won := actRace(t, e, dana, "a-1004", 20, "hired", "rejected")
	if len(won) != 1 {
		t.Fatalf("%d goroutines succeeded (%v), want exactly one", len(won), won)
	}
	if s := actStage(t, e, "a-1004"); s != won[0] {
		t.Errorf("stage %s, winner %s", s, won[0])
	}
	if ok := actOKRuns(t, e, "a-1004"); len(ok) != 1 {
		t.Errorf("%d ok audit entries", len(ok))
	}

	// From applied, screening and rejected conflict; screening → rejected is
	// itself a legal move, so a rejection may follow a won screening. Each
	// target wins at most once and the successes form a legal path.
	won = actRace(t, e, dana, "a-1002", 20, "screening", "rejected")
	switch {
	case reflect.DeepEqual(won, []string{"screening"}), reflect.DeepEqual(won, []string{"rejected"}), reflect.DeepEqual(won, []string{"screening", "rejected"}):
	default:
		t.Fatalf("successes %v do not form a legal path from applied", won)
	}
	if s := actStage(t, e, "a-1002"); s != won[len(won)-1] {
		t.Errorf("stage %s, last winner %s", s, won[len(won)-1])
	}
	if ok := actOKRuns(t, e, "a-1002"); len(ok) != len(won) {
		t.Errorf("%d ok audit entries for %d successes", len(ok), len(won))
	}
	if v, err := e.VerifyAudit(actCtx, ""); err != nil || !v.OK {
		t.Errorf("audit chain: %+v %v", v, err)
	}
}

// ── masking ─────────────────────────────────────────────────────────────────

// actAnnotate masks applications.notes for everyone but hiring managers and
// adds an action interviewers may run that rewrites the notes.
var actAnnotate = []enginetest.Edit{
	{Old: "", New: `[tables.applications.masking]
notes = { type = "redact", show = { roles = ["hiring-manager"] } }

[tables.applications.actions.annotate]
type = "record"
access = { roles = ["interviewer", "hiring-manager"] }
input.note = { type = "text", maxLength = 100 }
set = { notes = "$input.note" }
`},
}

func TestActionResultsMasked(t *testing.T) {
	e := enginetest.Seeded(t, enginetest.Fixed(), enginetest.Edits(actAnnotate...))
	ivan := enginetest.Member(t, e, "u-ivan", "")
	dana := enginetest.Member(t, e, "u-dana", "")
	var oldNotes string
	if err := engine.RawDB(e).QueryRow("SELECT notes FROM applications WHERE id = 'a-1001'").Scan(&oldNotes); err != nil {
		t.Fatal(err)
	}
	secret := "SECRET-NEW-NOTE"
	leak := func(what string, v any) {
		t.Helper()
		s := actJSON(t, v)
		for _, raw := range []string{oldNotes, secret, "Referred by Ivan"} {
			if strings.Contains(s, raw) {
				t.Errorf("%s leaks %q: %s", what, raw, s)
			}
		}
	}
	for _, dry := range []bool{true, false} {
		res, err := e.Run(actCtx, ivan, "applications", "annotate", "a-1001", actIn("note", secret), engine.WriteOptions{DryRun: dry})
		if err != nil {
			t.Fatal(err)
		}
		leak(fmt.Sprintf("result (dry run %v)", dry), res)
		leak("changes", res.Changes)
		if res.Row.Get("notes") != "[REDACTED]" || !res.Row.IsMasked("notes") {
			t.Errorf("notes = %v", res.Row.Get("notes"))
		}
		i := slices.IndexFunc(res.Changes, func(c engine.Change) bool { return c.Field == "notes" })
		if i < 0 || !res.Changes[i].Masked || res.Changes[i].Before != "[REDACTED]" || res.Changes[i].After != "[REDACTED]" {
			t.Errorf("notes change %+v", res.Changes)
		}
	}
	// A record action that only inserts still returns the record masked.
	res, err := e.Run(actCtx, ivan, "applications", "submitScore", "a-1007", actIn("score", json.Number("2"), "feedback", "meh"), engine.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Row.Get("notes") != nil { // a-1007 has no notes: null stays null
		t.Errorf("notes = %v", res.Row.Get("notes"))
	}
	res, err = e.Run(actCtx, ivan, "applications", "submitScore", "a-1003", actIn("score", json.Number("2"), "feedback", "meh"), engine.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Row.Get("notes") != "[REDACTED]" {
		t.Errorf("notes = %v", res.Row.Get("notes"))
	}
	// Refusals do not echo the value either.
	_, err = e.Run(actCtx, ivan, "applications", "annotate", "a-1001", actIn("note", secret+strings.Repeat("x", 100)), engine.WriteOptions{})
	leak("refusal", actErr(t, err, engine.ValidationFailed))
	leak("audit", actAudit(t, e))
	// The hiring manager sees the raw value.
	res, err = e.Run(actCtx, dana, "applications", "annotate", "a-1001", actIn("note", "visible"), engine.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Row.Get("notes") != "visible" || res.Changes[0].Before != secret {
		t.Errorf("hiring manager sees %v / %+v", res.Row.Get("notes"), res.Changes[0])
	}
}

// ── standalone actions ──────────────────────────────────────────────────────

var actPostDraft = enginetest.Edit{Old: "", New: `[tables.jobs.actions.postDraft]
type = "standalone"
description = "Post a draft job"
access = { roles = ["hiring-manager"] }
input.title = { type = "text", maxLength = 200 }
input.department = { type = "text", default = "Engineering" }

[[tables.jobs.actions.postDraft.insert]]
table = "jobs"
values = { title = "$input.title", department = "$input.department", status = "draft", salaryMin = 0 }
`}

func TestActionStandalone(t *testing.T) {
	e := enginetest.Seeded(t, enginetest.Fixed(), enginetest.Edits(actPostDraft))
	dana := enginetest.Member(t, e, "u-dana", "")
	before := enginetest.Dump(t, engine.RawDB(e), "qb_audit")
	_, err := e.Run(actCtx, dana, "jobs", "postDraft", "j-firmware", actIn("title", "Welder"), engine.WriteOptions{})
	actErr(t, err, engine.ValidationFailed)
	_, err = e.Run(actCtx, enginetest.Member(t, e, "u-ivan", ""), "jobs", "postDraft", "", actIn("title", "Welder"), engine.WriteOptions{})
	actErr(t, err, engine.AccessRoleRequired)
	if after := enginetest.Dump(t, engine.RawDB(e), "qb_audit"); after != before {
		t.Error("a refused action changed the database")
	}
	res, err := e.Run(actCtx, dana, "jobs", "postDraft", "", actIn("title", "Welder"), engine.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Row != nil || len(res.Inserted) != 1 {
		t.Fatalf("result %+v", res)
	}
	got := res.Inserted[0].Map()
	for k, v := range map[string]any{"title": "Welder", "department": "Engineering", "status": "draft", "salaryMin": int64(0), "organizationId": "acme", "createdBy": "u-dana", "createdAt": actNowText} {
		if got[k] != v {
			t.Errorf("%s = %#v, want %#v", k, got[k], v)
		}
	}
	if _, err := e.Get(actCtx, dana, "jobs", res.Inserted[0].ID()); err != nil {
		t.Errorf("the inserted job is not readable: %v", err)
	}
	infos, err := e.Actions(actCtx, dana, "jobs", "")
	if err != nil || len(infos) != 1 || !infos[0].Available || infos[0].Type != "standalone" || len(infos[0].Inputs) != 2 {
		t.Errorf("Actions: %+v %v", infos, err)
	}
}

// ── Actions() ───────────────────────────────────────────────────────────────

func actInfo(t *testing.T, e *engine.Engine, id engine.Identity, rowID, name string) engine.ActionInfo {
	t.Helper()
	infos, err := e.Actions(actCtx, id, "applications", rowID)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, in := range infos {
		names = append(names, in.Name)
	}
	if !reflect.DeepEqual(names, []string{"advanceStage", "submitScore"}) {
		t.Fatalf("actions %v", names)
	}
	for _, in := range infos {
		if in.Name == name {
			if in.Reason == "" {
				t.Errorf("%s: no reason", name)
			}
			return in
		}
	}
	panic("unreachable")
}

func TestActionsAvailability(t *testing.T) {
	e := enginetest.Seeded(t, enginetest.Fixed())
	dana := enginetest.Member(t, e, "u-dana", "")
	ivan := enginetest.Member(t, e, "u-ivan", "")
	before := enginetest.Dump(t, engine.RawDB(e), "qb_audit")

	// Dana on an applied application: both available.
	a := actInfo(t, e, dana, "a-1002", "advanceStage")
	if !a.Available || a.Code != "" || a.Field != "stage" || a.Current != "applied" || !reflect.DeepEqual(a.Allowed, []string{"screening", "rejected"}) {
		t.Errorf("dana advanceStage on applied: %+v", a)
	}
	if len(a.Inputs) != 2 || a.Inputs[0].Name != "stage" || a.Description == "" {
		t.Errorf("inputs %+v", a.Inputs)
	}
	if s := actInfo(t, e, dana, "a-1002", "submitScore"); !s.Available {
		t.Errorf("dana submitScore: %+v", s)
	}
	// Dana on a hired application: no transition from hired.
	a = actInfo(t, e, dana, "a-1005", "advanceStage")
	if a.Available || a.Code != engine.ActionNotAllowedForState || a.Current != "hired" || len(a.Allowed) != 0 ||
		a.Rule != "tables.applications.actions.advanceStage.transition.from" {
		t.Errorf("dana advanceStage on hired: %+v", a)
	}
	// Ivan: the role decides before the state.
	for _, rid := range []string{"a-1002", "a-1005"} {
		a = actInfo(t, e, ivan, rid, "advanceStage")
		if a.Available || a.Code != engine.AccessRoleRequired || a.Rule != "tables.applications.actions.advanceStage.access" ||
			!strings.Contains(a.Reason, "tables.applications.actions.advanceStage.access") {
			t.Errorf("ivan advanceStage on %s: %+v", rid, a)
		}
		if s := actInfo(t, e, ivan, rid, "submitScore"); !s.Available {
			t.Errorf("ivan submitScore on %s: %+v", rid, s)
		}
	}
	// Without a record, record actions need one; outside the firewall they
	// get the firewall's refusal.
	a = actInfo(t, e, dana, "", "advanceStage")
	if a.Available || a.Code == "" {
		t.Errorf("dana advanceStage without a record: %+v", a)
	}
	a = actInfo(t, e, dana, "a-2001", "submitScore")
	if a.Available || a.Code != engine.FirewallNotFound {
		t.Errorf("dana submitScore on a globex record: %+v", a)
	}
	// Availability agrees with running.
	for _, rid := range []string{"a-1002", "a-1005"} {
		a = actInfo(t, e, dana, rid, "advanceStage")
		for _, to := range actStages {
			_, err := e.Run(actCtx, dana, "applications", "advanceStage", rid, actIn("stage", to), engine.WriteOptions{DryRun: true})
			if (err == nil) != slices.Contains(a.Allowed, to) {
				t.Errorf("%s → %s: Run error %v, Allowed %v", rid, to, err, a.Allowed)
			}
		}
	}
	// The record condition is reported with its code.
	c := enginetest.Seeded(t, enginetest.Fixed(), enginetest.Edits(actCondition))
	a = actInfo(t, c, enginetest.Member(t, c, "u-dana", ""), "a-1005", "advanceStage")
	if a.Available || a.Code != engine.AccessConditionFailed {
		t.Errorf("condition: %+v", a)
	}
	if after := enginetest.Dump(t, engine.RawDB(e), "qb_audit"); after != before {
		t.Error("Actions changed the database")
	}
}

// A transition field masked for the caller: neither a refused run nor the
// action listing may reveal its state (the allowed targets name it).
func TestActionsMaskedTransitionField(t *testing.T) {
	e := enginetest.Seeded(t, enginetest.Edits(enginetest.Edit{New: "[tables.applications.masking]\nstage = { type = \"redact\", show = { roles = [\"owner\"] } }"}))
	ctx := context.Background()
	dana := enginetest.Member(t, e, "u-dana", "acme")
	p, err := e.List(ctx, dana, "applications", engine.ListQuery{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	appID := ""
	for _, r := range p.Rows {
		if ctRawValue(t, e, "applications", "stage", r.ID()) == "applied" {
			appID = r.ID()
			break
		}
	}
	if appID == "" {
		t.Fatal("no applied application")
	}
	infos, err := e.Actions(ctx, dana, "applications", appID)
	if err != nil {
		t.Fatal(err)
	}
	raw := ctRawValue(t, e, "applications", "stage", appID)
	for _, in := range infos {
		if in.Name != "advanceStage" {
			continue
		}
		if len(in.Allowed) > 0 {
			t.Errorf("advanceStage lists allowed targets %v of a masked stage (raw %v)", in.Allowed, raw)
		}
		if in.Current != engine.Redacted {
			t.Errorf("current = %q, want masked", in.Current)
		}
		if strings.Contains(in.Reason, "screening") || strings.Contains(in.Reason, "rejected") {
			t.Errorf("reason names targets of a masked state: %q", in.Reason)
		}
	}
}

// An action on a record the caller may not get answers with the record's id
// and changed field names only (SPEC §3.4), dry run or not.
func TestActionResultWithheldBeyondGet(t *testing.T) {
	e := enginetest.Seeded(t, ctVariant(t, "appsNoGetForHM"))
	dana := enginetest.Member(t, e, "u-dana", "")
	if _, err := e.Get(actCtx, dana, "applications", "a-1002"); ctErrCode(t, err) != engine.AccessRoleRequired {
		t.Fatalf("the variant lets dana get applications: %v", err)
	}
	for _, dry := range []bool{true, false} {
		res, err := e.Run(actCtx, dana, "applications", "advanceStage", "a-1002", actIn("stage", "screening"), engine.WriteOptions{DryRun: dry})
		if err != nil {
			t.Fatal(err)
		}
		want := []engine.WithheldRow{{Table: "applications", ID: "a-1002", Fields: []string{"stage", "modifiedAt", "modifiedBy"}}}
		if res.Row != nil || len(res.Changes) != 0 || !reflect.DeepEqual(res.Withheld, want) {
			t.Errorf("dry run %v: row %v, changes %+v, withheld %+v", dry, res.Row, res.Changes, res.Withheld)
		}
		if s := ctMustJSON(t, res); strings.Contains(s, "screening") || strings.Contains(s, "c-") {
			t.Errorf("the result shows values of the record: %s", s)
		}
	}
	if got := ctRawValue(t, e, "applications", "stage", "a-1002"); got != "screening" {
		t.Errorf("stored stage %v", got)
	}
	audit := actAudit(t, e)
	if l := audit[len(audit)-1]; l.Operation != "action:advanceStage" || !reflect.DeepEqual(l.Fields, []string{"stage", "modifiedAt", "modifiedBy"}) {
		t.Errorf("audit %+v", l)
	}
	// No field of the record changes: the record is named with no fields.
	res, err := e.Run(actCtx, dana, "applications", "submitScore", "a-1002", actIn("score", json.Number("3"), "feedback", "ok"), engine.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Row != nil || len(res.Withheld) != 2 || res.Withheld[0].Table != "applications" || len(res.Withheld[0].Fields) != 0 || res.Withheld[1].Table != "interview_scores" {
		t.Errorf("submitScore: row %v, withheld %+v", res.Row, res.Withheld)
	}
}
