// Applications: stage is protected and moves only through advanceStage.
import { sqliteTable, text } from "drizzle-orm/sqlite-core";
import { defineTable } from "@quickback/compiler";
import { candidates } from "../candidates/candidates";
import { jobs } from "../jobs/jobs";

export const STAGES = ["applied", "screening", "interview", "offer", "hired", "rejected"] as const;

export const applications = sqliteTable("applications", {
  id: text("id").primaryKey(),
  organizationId: text("organization_id").notNull(),
  candidateId: text("candidate_id").notNull().references(() => candidates.id),
  jobId: text("job_id").notNull().references(() => jobs.id),
  stage: text("stage", { enum: STAGES }).notNull().default("applied"),
  notes: text("notes", { length: 4000 }),
});

export default defineTable(applications, {
  firewall: { organization: {} },
  guards: {
    createable: ["candidateId", "jobId", "notes"],
    updatable: ["notes"],
    protected: { stage: ["advanceStage"] },
  },
  crud: {
    list: { access: { roles: ["owner", "hiring-manager", "recruiter", "interviewer"] } },
    get: { access: { roles: ["owner", "hiring-manager", "recruiter", "interviewer"] } },
    create: { access: { roles: ["owner", "hiring-manager", "recruiter"] } },
    update: { access: { roles: ["owner", "hiring-manager", "recruiter"] } },
    delete: { access: { roles: ["hiring-manager"] } },
  },
});
