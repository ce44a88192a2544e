// Drizzle table with an optional owner scope on another column.
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { defineTable } from "@quickback/compiler";

export const feedback = sqliteTable("feedback", {
  id: text("id").primaryKey(),
  organizationId: text("organization_id").notNull(),
  authorId: text("author_id").notNull(),
  interviewId: text("interview_id").notNull(),
  verdict: text("verdict", { enum: ["no", "maybe", "yes"] }).notNull(),
  stars: integer("stars"),
  createdAt: integer("created_at", { mode: "timestamp" }),
});

export default defineTable(feedback, {
  firewall: {
    organization: {},
    owner: { column: "authorId", mode: "optional" },
  },
  guards: false,
  crud: {
    list: { access: { roles: ["member+"] } },
    get: { access: { roles: ["member+"] } },
    create: { access: { roles: ["member+"] } },
    update: { access: { roles: ["member+"] } },
  },
  defaultSort: "-stars",
});
