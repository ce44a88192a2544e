// Internal table (no default export): only actions write it.
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const applicationActivity = sqliteTable("application_activity", {
  id: text("id").primaryKey(),
  organizationId: text("organization_id").notNull(),
  applicationId: text("application_id").notNull(),
  actorId: text("actor_id").notNull(),
  kind: text("kind", { enum: ["note", "stage"] }).notNull(),
  body: text("body"),
  weight: integer("weight").default(1),
});
