// Rows synced from another ATS by upsert; the table kept its camelCase name.
import { integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { defineTable } from "@quickback/compiler";

export const atsImports = sqliteTable(
  "atsImports",
  {
    id: text("id").primaryKey(),
    organizationId: text("organization_id").notNull(),
    externalId: text("external_id", { length: 200 }).notNull(),
    source: text("source", { length: 100 }),
    candidateName: text("candidate_name", { length: 200 }),
    candidateEmail: text("candidate_email", { length: 320 }),
    rawPayload: text("raw_payload", { mode: "json" }),
    syncedAt: integer("synced_at", { mode: "timestamp_ms" }),
  },
  (t) => [uniqueIndex("atsImports_organizationId_externalId_unique").on(t.organizationId, t.externalId)],
);

export default defineTable(atsImports, {
  firewall: { organization: {} },
  guards: {
    createable: ["externalId", "source", "candidateName", "candidateEmail", "rawPayload"],
    updatable: ["candidateName", "candidateEmail", "rawPayload", "syncedAt"],
  },
  masking: {
    candidateEmail: { type: "email", show: { roles: ["hiring-manager", "recruiter"] } },
  },
  crud: {
    list: { access: { roles: ["owner", "hiring-manager"] } },
    get: { access: { roles: ["owner", "hiring-manager"] } },
    create: { access: { roles: ["owner", "hiring-manager"] } },
    update: { access: { roles: ["owner", "hiring-manager"] } },
    delete: { access: { roles: ["owner"] } },
  },
});
