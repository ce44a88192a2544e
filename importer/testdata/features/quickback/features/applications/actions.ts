import { z } from "zod";
import { eq } from "drizzle-orm";
import { defineActions } from "@quickback/compiler";
import applications from "./applications";
import { applicationActivity } from "./activity";

export default defineActions(applications, {
  advance: {
    description: "Move an application forward.",
    input: z.object({
      next: z.enum(["screen", "onsite", "offer"]),
      score: z.number().int().min(0).max(100).optional(),
      summary: z.string().max(2000).optional(),
    }),
    access: { roles: ["recruiter", "admin", "owner"] },
    transition: { field: "status", via: "next", fromTo: { new: ["screen"], screen: ["onsite"], onsite: ["offer"] } },
    handler: "./handlers/advance",
  },
  hire: {
    description: "The candidate accepted.",
    input: z.object({}),
    access: { roles: ["owner"] },
    transition: { field: "status", to: "hired", fromTo: { offer: ["hired"] } },
    handler: "./handlers/hire",
  },
  withdraw: {
    description: "The candidate withdrew.",
    input: z.object({ reason: z.string().optional() }),
    access: { roles: ["member+"], record: { ownerId: { equals: "$ctx.userId" } } },
    transition: { field: "status", to: "declined", fromTo: { new: ["declined"], screen: ["declined"] } },
    handler: "./handlers/withdraw",
  },
  addNote: {
    type: "record",
    description: "Log a note on the application.",
    input: z.object({ body: z.string().min(1).max(500), weight: z.coerce.number().int().optional() }),
    access: { roles: ["member+"] },
    execute: async ({ db, record, input, ctx }) => {
      await db.insert(applicationActivity).values({
        id: crypto.randomUUID(),
        organizationId: ctx.activeOrgId,
        applicationId: record.id,
        actorId: ctx.userId,
        kind: "note",
        body: input.body,
        weight: input.weight ?? 1,
      });
      return record;
    },
  },
  "mark-reviewed": {
    description: "Stamp the review time.",
    input: z.object({}),
    access: { roles: ["admin+"] },
    execute: async ({ db, record }) => {
      await db.update(applications).set({ reviewedAt: new Date().toISOString() }).where(eq(applications.id, record.id));
      return record;
    },
  },
  stats: {
    description: "Counts per status.",
    standalone: true,
    path: "/applications/stats",
    method: "GET",
    input: z.object({ since: z.string().datetime().optional() }),
    access: async (ctx: any) => true,
    handler: "./handlers/stats",
  },
  bulkTag: {
    description: "Tag many applications.",
    standalone: true,
    input: z.object({ ids: z.array(z.string()).min(1), tag: z.string() }),
    access: { roles: ["admin"] },
    handler: "./handlers/bulk-tag",
  },
});
