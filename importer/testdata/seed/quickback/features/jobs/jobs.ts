// Public read, authenticated write.
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { defineTable } from "@quickback/compiler";

export const jobs = sqliteTable("jobs", {
  id: text("id").primaryKey(),
  organizationId: text("organization_id").notNull(),
  title: text("title", { length: 200 }).notNull(),
  department: text("department", { length: 100 }),
  status: text("status", { enum: ["draft", "open", "closed"] }).default("open"),
  salaryMin: integer("salary_min"),
  salaryMax: integer("salary_max"),
});

const everyone = ["owner", "hiring-manager", "recruiter", "interviewer"];
const managers = ["owner", "hiring-manager"];

export default defineTable(jobs, {
  firewall: { organization: {} },
  guards: {
    createable: ["title", "department", "status", "salaryMin", "salaryMax"],
    updatable: ["title", "department", "status"],
  },
  crud: {
    list: { access: { roles: everyone } },
    get: { access: { roles: everyone } },
    create: { access: { roles: managers } },
    update: { access: { roles: managers } },
    delete: { access: { roles: managers } },
  },
  displayColumn: "title",
  defaultSort: "-createdAt",
});
