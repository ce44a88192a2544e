// An application's stage changes only through advanceStage.
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

const staff = ["owner", "hiring-manager", "recruiter"];

export default defineTable(applications, {
  firewall: { organization: {} },
  guards: {
    createable: ["candidateId", "jobId", "notes"],
    updatable: ["notes"],
    protected: { stage: ["advanceStage"] },
  },
  crud: {
    list: { access: { roles: [...staff, "interviewer"] } },
    get: { access: { roles: [...staff, "interviewer"] } },
    create: { access: { roles: staff } },
    update: { access: { roles: staff } },
    delete: { access: { roles: ["hiring-manager"] } },
  },
});
