package importer

import (
	"fmt"
	"strings"
	"testing"
)

// internalProject is a feature whose folder also holds two Drizzle tables
// without a default export (internal): one that leaves organizationId to
// Quickback (the compiler adds it because the feature is org-scoped), one
// that stores it under another property name. Its action's handler is in
// the newer form: whereTransition, auditFields, a generated id, `?? null`.
var internalProject = map[string]string{
	"quickback/features/reviews/reviews.ts": `import { feature, q } from "@quickback/compiler";
export default feature("reviews", {
  columns: {
    id: q.id(),
    title: q.text({ maxLength: 100 }).required(),
    state: q.enum(["open", "closed"]).default("open"),
    organizationId: q.scope("organization"),
  },
  crud: { list: { access: { roles: ["member+"] } }, get: { access: { roles: ["member+"] } } },
});
`,
	"quickback/features/reviews/review-votes.ts": `import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
export const reviewVotes = sqliteTable("review_votes", {
  id: text("id").primaryKey(),
  reviewId: text("review_id").notNull(),
  voterId: text("voter_id").notNull(),
  weight: integer("weight").notNull(),
  remark: text("remark", { length: 500 }),
});
`,
	"quickback/features/reviews/review-tags.ts": `import { sqliteTable, text } from "drizzle-orm/sqlite-core";
export const reviewTags = sqliteTable("review_tags", {
  id: text("id").primaryKey(),
  tenant: text("organization_id").notNull(),
  reviewId: text("review_id").notNull(),
  tag: text("tag").notNull(),
});
`,
	"quickback/features/notes/notes.ts": `import { sqliteTable, text } from "drizzle-orm/sqlite-core";
export const scratch = sqliteTable("scratch", { id: text("id").primaryKey(), body: text("body") });
`,
	"quickback/features/reviews/actions.ts": `import { z } from "zod";
import { defineActions } from "@quickback/compiler";
import reviews from "./reviews";
export default defineActions(reviews, {
  close: {
    description: "Close a review with a vote",
    input: z.object({ weight: z.number().int().min(1).max(3), remark: z.string().max(500).optional() }),
    access: { roles: ["member+"] },
    transition: { field: "state", to: "closed", fromTo: { open: ["closed"] } },
    handler: "./handlers/close",
  },
});
`,
	"quickback/features/reviews/handlers/close.ts": `import { ActionExecutor } from "@quickback/types";
import { reviews } from "../schema";
import { reviewVotes } from "../review-votes";
export const execute: ActionExecutor = async ({ db, ctx, record, input, auditFields, whereTransition }) => {
  const [row] = await db
    .update(reviews)
    .set({ state: "closed", modifiedAt: auditFields!.modifiedAt })
    .where(whereTransition!(reviews))
    .returning();
  await db.insert(reviewVotes).values({
    id: crypto.randomUUID(),
    reviewId: record.id,
    voterId: ctx.userId,
    weight: input.weight,
    remark: input.remark ?? null,
  });
  return row;
};
`,
}

// TestInternalTablesScopedByOrganization: an internal table of an
// organization-scoped feature is tenanted like it (Quickback injects its
// organizationId), one whose organization_id column has another property
// name is scoped by that column, and an internal table of a folder with no
// organization-scoped feature stays unscoped. The action's newer handler
// form imports as set + insert.
func TestInternalTablesScopedByOrganization(t *testing.T) {
	res, err := Import(project(t, internalProject), "")
	if err != nil {
		t.Fatal(err)
	}
	cfg := res.Config
	for _, tc := range []struct{ table, scope string }{
		{"reviews", "organizationId"},
		{"review_votes", "organizationId"},
		{"review_tags", "tenant"},
		{"scratch", ""},
	} {
		tb := cfg.Table(tc.table)
		if tb == nil {
			t.Fatalf("table %s not imported:\n%s", tc.table, res.TOML)
		}
		got := ""
		if tb.Firewall.Organization != nil {
			got = tb.Firewall.Organization.Column
		}
		if got != tc.scope {
			t.Errorf("%s: organization scope on %q, want %q", tc.table, got, tc.scope)
		}
		if tc.scope != "" {
			if c := tb.Column(tc.scope); c == nil || !c.Required {
				t.Errorf("%s: no required column %s", tc.table, tc.scope)
			}
		}
	}
	if c := cfg.Table("review_tags").Column("tenant"); c == nil || c.SQLName != "organization_id" {
		t.Errorf("review_tags.tenant is not stored in organization_id: %+v", c)
	}
	report := fmt.Sprint(res.Report)
	if !strings.Contains(report, "internal table beside the organization-scoped reviews") {
		t.Errorf("the report does not say why review_votes is scoped:\n%s", report)
	}
	a := cfg.Table("reviews").Action("close")
	if a == nil || len(a.Set) != 1 || a.Set[0].Column != "state" || len(a.Inserts) != 1 || a.Inserts[0].Table != "review_votes" || len(a.Inserts[0].Values) != 4 {
		t.Fatalf("close: %+v\n%s", a, res.TOML)
	}
}
