// Each interviewer's notes are their own.
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { defineTable } from "@quickback/compiler";
import { candidates } from "../candidates/candidates";

export const interviewNotes = sqliteTable("interview_notes", {
  id: text("id").primaryKey(),
  organizationId: text("organization_id").notNull(),
  ownerId: text("owner_id").notNull(),
  candidateId: text("candidate_id").notNull().references(() => candidates.id),
  content: text("content", { length: 4000 }).notNull(),
  rating: integer("rating"),
});

const anyMember = { access: { roles: ["interviewer+"] } };

export default defineTable(interviewNotes, {
  firewall: { organization: {}, owner: { mode: "strict" } },
  guards: {
    createable: ["candidateId", "content", "rating"],
    updatable: ["content", "rating"],
  },
  crud: { list: anyMember, get: anyMember, create: anyMember, update: anyMember, delete: anyMember },
  displayColumn: "content",
});
