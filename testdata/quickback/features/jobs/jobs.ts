// Job openings: every member reads them, managers write them.
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { defineTable } from "@quickback/compiler";

export const jobs = sqliteTable("jobs", {
  id: text("id").primaryKey(),
  organizationId: text("organization_id").notNull(),
  title: text("title", { length: 200 }).notNull(),
  department: text("department", { length: 100 }),
  status: text("status", { enum: ["draft", "open", "closed"] }).notNull().default("open"),
  salaryMin: integer("salary_min"),
  salaryMax: integer("salary_max"),
  description: text("description"),
  isRemote: integer("is_remote", { mode: "boolean" }).notNull().default(false),
});

const members = ["owner", "hiring-manager", "recruiter", "interviewer"];
const managers = ["owner", "hiring-manager"];

export default defineTable(jobs, {
  firewall: { organization: {} },
  guards: {
    createable: ["title", "department", "status", "salaryMin", "salaryMax", "description", "isRemote"],
    updatable: ["title", "department", "status", "description", "isRemote"],
  },
  crud: {
    list: { access: { roles: members } },
    get: { access: { roles: members } },
    create: { access: { roles: managers } },
    update: { access: { roles: managers } },
    delete: { access: { roles: managers } },
  },
  displayColumn: "title",
  defaultSort: "-createdAt",
});
