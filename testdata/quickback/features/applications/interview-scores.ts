// Scores are written by the submitScore action only (no routes). The
// interviewer's column kept its first name, scorer_id.
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { applications } from "./applications";

export const interviewScores = sqliteTable("interview_scores", {
  id: text("id").primaryKey(),
  organizationId: text("organization_id").notNull(),
  applicationId: text("application_id").notNull().references(() => applications.id),
  interviewerId: text("scorer_id").notNull(),
  score: integer("score").notNull(),
  feedback: text("feedback", { length: 4000 }),
});
