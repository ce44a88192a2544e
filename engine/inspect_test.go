package engine_test

import (
	"context"
	"reflect"
	"testing"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/enginetest"
)

// inspectors lets owners inspect internal tables.
var inspectors = enginetest.Edit{New: "[audit]\ninspectInternal = [\"owner\"]"}

// An internal table stays closed to every CRUD operation; an identity
// whose role is in [audit].inspectInternal may list it read-only, through
// its firewall (its organization's rows only); any other role — and every
// role by default — is refused naming the rule; an inspection of a table
// that is not internal is refused.
func TestInspectInternal(t *testing.T) {
	ctx := context.Background()
	e := enginetest.Seeded(t, enginetest.Fixed(), enginetest.Edits(inspectors))
	ben := enginetest.Member(t, e, "u-ben", "")
	q := engine.ListQuery{Inspect: true, Limit: 100}
	page, err := e.List(ctx, ben, "interview_scores", q)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Rows) == 0 {
		t.Fatal("an owner inspects no rows")
	}
	for _, r := range page.Rows {
		if r.Get("organizationId") != ben.OrgID {
			t.Errorf("row %s of organization %v inspected by %s", r.ID(), r.Get("organizationId"), ben.OrgID)
		}
	}
	n, err := e.Count(ctx, ben, "interview_scores", q)
	if err != nil || n != int64(len(page.Rows)) {
		t.Errorf("count %d (%v), listed %d", n, err, len(page.Rows))
	}
	// Independent SQL: the organization's live rows.
	var want int64
	if err := enginetest.DB(t, e).QueryRow(`SELECT count(*) FROM interview_scores WHERE organization_id = ? AND deleted_at IS NULL`, ben.OrgID).Scan(&want); err != nil || want != n {
		t.Errorf("the organization holds %d scores, inspected %d (%v)", want, n, err)
	}
	// CRUD stays closed, for the inspector too.
	if _, err := e.List(ctx, ben, "interview_scores", engine.ListQuery{}); ctErrCode(t, err) != engine.InternalTable {
		t.Errorf("list: %v", err)
	}
	if _, err := e.Get(ctx, ben, "interview_scores", page.Rows[0].ID()); ctErrCode(t, err) != engine.InternalTable {
		t.Errorf("get: %v", err)
	}
	// Other roles, anonymous callers, and a table that is not internal.
	dana := enginetest.Member(t, e, "u-dana", "")
	if _, err := e.List(ctx, dana, "interview_scores", q); ctErrCode(t, err) != engine.AccessRoleRequired {
		t.Errorf("hiring manager: %v", err)
	} else if ee, _ := engine.AsError(err); ee.Details["rule"] != "audit.inspectInternal (requires role in [owner])" {
		t.Errorf("refusal rule: %v", ee.Details["rule"])
	}
	if _, err := e.List(ctx, engine.Identity{Anonymous: true, OrgID: "acme", Role: "owner"}, "interview_scores", q); ctErrCode(t, err) != engine.AccessRoleRequired {
		t.Errorf("anonymous: %v", err)
	}
	if _, err := e.List(ctx, ben, "jobs", q); ctErrCode(t, err) != engine.ValidationFailed {
		t.Errorf("inspecting jobs: %v", err)
	}
	if !e.MayInspect(ben) || e.MayInspect(dana) {
		t.Error("MayInspect disagrees with List")
	}
	// By default nobody may.
	d := enginetest.Seeded(t, enginetest.Fixed())
	if _, err := d.List(ctx, enginetest.Member(t, d, "u-ben", ""), "interview_scores", q); ctErrCode(t, err) != engine.AccessRoleRequired {
		t.Errorf("default config, owner: %v", err)
	}
}

// An inspection is audited like any read: one entry per query, as
// "inspect", refusals included.
func TestInspectAudited(t *testing.T) {
	ctx := context.Background()
	e := enginetest.Seeded(t, enginetest.Fixed(), enginetest.Edits(inspectors))
	q := engine.ListQuery{Inspect: true}
	_, _ = e.List(ctx, enginetest.Member(t, e, "u-ben", ""), "interview_scores", q)
	_, _ = e.List(ctx, enginetest.Member(t, e, "u-ivan", ""), "interview_scores", q)
	got, err := e.AuditEntries(ctx, engine.AuditFilter{Operation: "inspect"})
	if err != nil {
		t.Fatal(err)
	}
	var outcomes []string
	for _, a := range got {
		outcomes = append(outcomes, a.UserID+":"+a.Table+":"+a.Outcome)
	}
	if want := []string{"u-ben:interview_scores:ok", "u-ivan:interview_scores:ACCESS_ROLE_REQUIRED"}; !reflect.DeepEqual(outcomes, want) {
		t.Errorf("inspect entries %v, want %v", outcomes, want)
	}
}
