// Candidates' contact details are masked below recruiter.
import { sqliteTable, text, unique } from "drizzle-orm/sqlite-core";
import { defineTable } from "@quickback/compiler";

export const candidates = sqliteTable(
  "candidates",
  {
    id: text("id").primaryKey(),
    organizationId: text("organization_id").notNull(),
    name: text("name", { length: 200 }).notNull(),
    email: text("email", { length: 320 }).notNull(),
    phone: text("phone", { length: 40 }),
    resumeUrl: text("resume_url", { length: 2000 }),
    source: text("source", { enum: ["referral", "linkedin", "website", "agency", "ats"] }),
    internalNotes: text("internal_notes"),
    legalName: text("legal_name"),
  },
  (t) => [unique().on(t.organizationId, t.email)],
);

export default defineTable(candidates, {
  firewall: { organization: {} },
  guards: {
    createable: ["name", "email", "phone", "resumeUrl", "source", "legalName"],
    updatable: ["name", "phone", "internalNotes", "legalName"],
  },
  masking: {
    email: { type: "email", show: { roles: ["hiring-manager", "recruiter"] } },
    phone: { type: "phone", show: { roles: ["hiring-manager", "recruiter"] } },
    legalName: { type: "name", show: { roles: ["hiring-manager"] } },
  },
  crud: {
    list: { access: { roles: ["owner", "hiring-manager", "recruiter", "interviewer"] } },
    get: { access: { roles: ["owner", "hiring-manager", "recruiter", "interviewer"] } },
    create: { access: { roles: ["hiring-manager", "recruiter"] } },
    update: { access: { roles: ["hiring-manager", "recruiter"] } },
    delete: { access: { roles: ["hiring-manager"] } },
  },
  displayColumn: "name",
});
