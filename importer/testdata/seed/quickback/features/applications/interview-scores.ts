// Internal: no default export, so no API routes; actions insert into it.
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { applications } from "./applications";

export const interviewScores = sqliteTable("interview_scores", {
  organizationId: text("organization_id").notNull(),
  applicationId: text("application_id").notNull().references(() => applications.id),
  interviewerId: text("interviewer_id").notNull(),
  score: integer("score").notNull(),
  feedback: text("feedback", { length: 4000 }),
});
