package engine_test

import (
	"context"
	"reflect"
	"testing"

	"pgregory.net/rapid"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/enginetest"
)

// Labels name rows by their display column exactly as a list would show
// them to the caller: another organization's row, a soft-deleted row and
// an absent id get no label, alike; a row outside the owner scope neither.
func TestLabelsThroughTheFirewall(t *testing.T) {
	ctx := context.Background()
	e := enginetest.Seeded(t, enginetest.Fixed())
	dana := enginetest.Member(t, e, "u-dana", "")
	got, err := e.Labels(ctx, dana, "candidates", []string{"c-jane", "c-gx-john", "c-zoe", "c-nobody", "c-jane", ""})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]engine.Label{"c-jane": {Text: "Jane Doe"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("candidates for u-dana: %v, want %v", got, want)
	}
	ivan := enginetest.Member(t, e, "u-ivan", "")
	got, err = e.Labels(ctx, ivan, "interview_notes", []string{"n-01", "n-02", "n-03"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got["n-01"]; !ok || len(got) != 1 {
		t.Errorf("interview notes (owner-scoped) for u-ivan: %v, want only his n-01", got)
	}
	// A table without rows to name, or no ids: nothing read, no error.
	if got, err := e.Labels(ctx, dana, "candidates", nil); err != nil || len(got) != 0 {
		t.Errorf("no ids: %v, %v", got, err)
	}
}

// A display column masked for the caller is labelled masked, never raw.
func TestLabelsMasked(t *testing.T) {
	ctx := context.Background()
	e := enginetest.Seeded(t, enginetest.Fixed(), enginetest.Edits(enginetest.Edit{
		Section: "[tables.candidates.masking]", Old: `email = `,
		New: `name = { type = "name", show = { roles = ["hiring-manager"] } }
email = `}))
	got, err := e.Labels(ctx, enginetest.Member(t, e, "u-ivan", ""), "candidates", []string{"c-jane"})
	if err != nil {
		t.Fatal(err)
	}
	if want := (engine.Label{Text: "J*** D**", Masked: true}); got["c-jane"] != want {
		t.Errorf("masked label: %+v, want %+v", got["c-jane"], want)
	}
	got, _ = e.Labels(ctx, enginetest.Member(t, e, "u-dana", ""), "candidates", []string{"c-jane"})
	if got["c-jane"] != (engine.Label{Text: "Jane Doe"}) {
		t.Errorf("raw label for a hiring manager: %+v", got["c-jane"])
	}
}

// A caller who may not list the table gets List's refusal; every call that
// reads is one audit entry, allowed or refused.
func TestLabelsAccessAndAudit(t *testing.T) {
	ctx := context.Background()
	e := enginetest.Seeded(t, enginetest.Fixed())
	before, err := e.AuditEntries(ctx, engine.AuditFilter{Operation: "labels"})
	if err != nil {
		t.Fatal(err)
	}
	anon := engine.Identity{Anonymous: true, OrgID: "acme"}
	if _, err := e.Labels(ctx, anon, "candidates", []string{"c-jane"}); ctErrCode(t, err) != engine.AccessRoleRequired {
		t.Errorf("anonymous: %v, want ACCESS_ROLE_REQUIRED", err)
	}
	if _, err := e.Labels(ctx, enginetest.Member(t, e, "u-dana", ""), "interview_scores", []string{"s-01"}); ctErrCode(t, err) != engine.InternalTable {
		t.Errorf("internal table: %v, want INTERNAL_TABLE", err)
	}
	if _, err := e.Labels(ctx, enginetest.Member(t, e, "u-dana", ""), "jobs", []string{"j-firmware", "j-robotics-eng"}); err != nil {
		t.Fatal(err)
	}
	after, err := e.AuditEntries(ctx, engine.AuditFilter{Operation: "labels"})
	if err != nil {
		t.Fatal(err)
	}
	var outcomes []string
	for _, a := range after[len(before):] {
		outcomes = append(outcomes, a.Table+":"+a.Outcome)
	}
	if want := []string{"candidates:ACCESS_ROLE_REQUIRED", "interview_scores:INTERNAL_TABLE", "jobs:ok"}; !reflect.DeepEqual(outcomes, want) {
		t.Errorf("labels entries %v, want %v", outcomes, want)
	}
}

// For random data and callers, the labelled ids are exactly the ids a list
// returns, each labelled with the display value the list shows — masked
// or not — and a refused list is a refused Labels.
func TestPropertyLabelsMatchList(t *testing.T) {
	ctx := context.Background()
	rapid.Check(t, func(rt *rapid.T) {
		e := enginetest.Open(rt, ctVariant(rt, ctDrawFrom(rt, ctPropVariants, "variant")))
		g := ctDrawData(rt)
		if _, err := e.Seed(ctx, g.seed, false); err != nil {
			rt.Fatalf("seed: %v", err)
		}
		id := ctDrawIdentity(rt)
		for table, all := range map[string][]string{"candidates": g.candidates, "interview_notes": g.notes} {
			rows, lerr := ctListAll(rt, e, id, table, engine.ListQuery{Limit: 50})
			got, err := e.Labels(ctx, id, table, all)
			if ctErrCode(rt, err) != ctErrCode(rt, lerr) && len(all) > 0 {
				rt.Fatalf("%s as %+v: labels %v, list %v", table, id, err, lerr)
			}
			if err != nil {
				continue
			}
			want := map[string]engine.Label{}
			for _, r := range rows {
				disp := map[string]string{"candidates": "name", "interview_notes": "content"}[table]
				if v := r.Get(disp); v != nil {
					want[r.ID()] = engine.Label{Text: engine.ValueString(v), Masked: r.IsMasked(disp)}
				}
			}
			if !reflect.DeepEqual(got, want) {
				rt.Fatalf("%s as %+v:\n  labels %v\n  list   %v", table, id, got, want)
			}
		}
	})
}
