package engine_test

// Security review regression tests (firewall, masking, access, audit).

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/fixtures"
	"quickback.dev/qb/schema"
)

// rvSeeded opens a fresh database seeded from the default fixtures for the
// default config with edits applied (extra is appended to the config text).
func rvSeeded(t *testing.T, extra string, edits ...ctEdit) *engine.Engine {
	t.Helper()
	text := ctApplyEdits(t, ctBaseConfigText(t), edits...) + "\n" + extra
	cfg := ctParseConfig(t, text)
	data, err := fixtures.Read(cfg, filepath.Join(ctProjectDir, "fixtures"))
	if err != nil {
		t.Fatalf("read fixtures: %v", err)
	}
	e := ctOpenEngine(t, cfg)
	if _, err := e.Seed(context.Background(), data, false); err != nil {
		t.Fatalf("seed: %v", err)
	}
	return e
}

// rvFirstID is the id of the first row id sees in table.
func rvFirstID(t *testing.T, e *engine.Engine, id engine.Identity, table string) string {
	t.Helper()
	p, err := e.List(context.Background(), id, table, engine.ListQuery{Limit: 1})
	if err != nil || len(p.Rows) == 0 {
		t.Fatalf("list %s: %v (%d rows)", table, err, len(p.Rows))
	}
	return p.Rows[0].ID()
}

// SPEC §3.2: a "$ctx" value the caller lacks fails the condition. For notIn
// it used to be dropped from the list, so the condition passed every row.
func TestReviewNotInMissingCtxDenies(t *testing.T) {
	e := rvSeeded(t, "", ctEdit{
		Section: "[tables.candidates.crud]",
		Old:     `list.access   = { roles = ["interviewer+"] }`,
		New:     `list.access   = { roles = ["interviewer+"], record = { email = { notIn = ["$ctx.email"] } } }`,
	}, ctEdit{
		Section: "[tables.candidates.crud]",
		Old:     `get.access    = { roles = ["interviewer+"] }`,
		New:     `get.access    = { roles = ["interviewer+"], record = { email = { notIn = ["$ctx.email"] } } }`,
	})
	ctx := context.Background()
	full := ctMember(t, e, "u-dana", "acme")
	candID := rvFirstID(t, e, full, "candidates")
	noEmail := full
	noEmail.Email = ""
	p, err := e.List(ctx, noEmail, "candidates", engine.ListQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Rows) != 0 {
		t.Errorf("notIn with a missing $ctx.email passed %d rows; want none (a missing value fails the condition)", len(p.Rows))
	}
	n, err := e.Count(ctx, noEmail, "candidates", engine.ListQuery{})
	if err != nil || n != 0 {
		t.Errorf("count = %d, %v; want 0", n, err)
	}
	_, err = e.Get(ctx, noEmail, "candidates", candID)
	if c := ctErrCode(t, err); c != engine.AccessConditionFailed {
		t.Errorf("get: %v, want ACCESS_CONDITION_FAILED", err)
	}
}

// A transition field masked for the caller: neither a refused run nor the
// action listing may reveal its state (the allowed targets name it).
func TestReviewActionsMaskedTransitionField(t *testing.T) {
	e := rvSeeded(t, "[tables.applications.masking]\nstage = { type = \"redact\", show = { roles = [\"owner\"] } }\n")
	ctx := context.Background()
	dana := ctMember(t, e, "u-dana", "acme")
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

// Updating a field the caller sees masked must not tell, through the
// reported changes, whether the value written equals the hidden one.
func TestReviewMaskedUpdateEqualityOracle(t *testing.T) {
	e := rvSeeded(t, "", ctEdit{
		Section: "[tables.candidates.masking]",
		Old:     `phone = { type = "phone", show = { roles = ["hiring-manager", "recruiter"] } }`,
		New:     `phone = { type = "phone", show = { roles = ["hiring-manager"] } }`,
	})
	ctx := context.Background()
	dana := ctMember(t, e, "u-dana", "acme")
	rachel := ctMember(t, e, "u-rachel", "acme")
	p, err := e.List(ctx, dana, "candidates", engine.ListQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var candID, phone string
	for _, r := range p.Rows {
		if s, ok := r.Get("phone").(string); ok && s != "" {
			candID, phone = r.ID(), s
			break
		}
	}
	if candID == "" {
		t.Fatal("no candidate with a phone")
	}
	has := func(res *engine.WriteResult) bool {
		for _, c := range res.Changes {
			if c.Field == "phone" {
				if !c.Masked || c.After == phone || c.Before == phone {
					t.Errorf("phone change not masked: %+v", c)
				}
				return true
			}
		}
		return false
	}
	same, err := e.Update(ctx, rachel, "candidates", candID, map[string]any{"phone": phone}, engine.WriteOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	other, err := e.Update(ctx, rachel, "candidates", candID, map[string]any{"phone": "000-000-0000"}, engine.WriteOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if has(same) != has(other) {
		t.Errorf("changes reveal whether the written phone equals the hidden one (same value listed: %v, other value listed: %v)", has(same), has(other))
	}
}

// SPEC §3.7: every operation is audited, allowed or refused. A write that
// fails on a database error (here a trigger aborting the insert) used to
// leave no entry.
func TestReviewWriteDatabaseErrorIsAudited(t *testing.T) {
	e := ctSeeded(t, "")
	ctx := context.Background()
	if _, err := engine.RawDB(e).Exec(`CREATE TRIGGER rv_boom BEFORE INSERT ON "jobs" BEGIN SELECT RAISE(ABORT, 'rv boom'); END`); err != nil {
		t.Fatal(err)
	}
	dana := ctMember(t, e, "u-dana", "acme")
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

// A cursor carries the sort-key values of the last row, the primary key
// always among them: a masked primary key would leave in every cursor raw
// (and break record ids and audit entries). The config refuses it.
func TestReviewPrimaryKeyCannotBeMasked(t *testing.T) {
	text := ctBaseConfigText(t) + "\n[tables.jobs.masking]\nid = { type = \"redact\", show = { roles = [\"owner\"] } }\n"
	_, err := schema.Parse(filepath.Join(ctProjectDir, "quickback.toml"), []byte(text))
	if err == nil {
		t.Fatal("a masked primary key was accepted")
	}
	if !strings.Contains(err.Error(), "tables.jobs.masking.id") {
		t.Errorf("error does not name the key path: %v", err)
	}
}

// FK_NOT_FOUND on another organization's row, a soft-deleted row and a
// nonexistent id must be identical in code, message and details.
func TestReviewForeignKeyIndistinguishable(t *testing.T) {
	e := ctSeeded(t, "")
	ctx := context.Background()
	dana := ctMember(t, e, "u-dana", "acme")
	helen := ctMember(t, e, "u-helen", "globex")
	otherOrg := rvFirstID(t, e, helen, "candidates")
	deleted := rvFirstID(t, e, dana, "candidates")
	if _, err := e.Delete(ctx, dana, "candidates", deleted, engine.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	msgs := map[string]string{}
	for name, ref := range map[string]string{"other org": otherOrg, "soft-deleted": deleted, "nonexistent": "no-such-id"} {
		_, err := e.Create(ctx, dana, "interview_notes", map[string]any{"candidateId": ref, "content": "x"}, engine.WriteOptions{})
		if c := ctErrCode(t, err); c != engine.FKNotFound {
			t.Fatalf("%s: %v, want FK_NOT_FOUND", name, err)
		}
		ee, _ := engine.AsError(err)
		msgs[name] = ee.Message + " " + ctMustJSON(t, ee.Details)
	}
	if msgs["other org"] != msgs["nonexistent"] || msgs["soft-deleted"] != msgs["nonexistent"] {
		t.Errorf("FK_NOT_FOUND differs: %v", msgs)
	}
}
