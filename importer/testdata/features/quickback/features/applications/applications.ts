// Applications: clause-list firewall, references with onDelete, protected
// and immutable fields, or/and/record/userRole access, function access.
import { feature, q } from "@quickback/compiler";
import jobs from "../jobs/jobs";
import candidates from "../candidates/candidates";

export default feature("applications", {
  columns: {
    id: q.id(),
    jobId: q.text().required().references(() => jobs.id, { onDelete: "cascade" }),
    candidateId: q.text().required().references(() => candidates.id),
    status: q.enum(["new", "screen", "onsite", "offer", "hired", "declined"]).default("new").required(),
    score: q.int().optional(),
    summary: q.text({ maxLength: 2000 }).optional(),
    reviewedAt: q.timestamp().optional(),
    ownerId: q.text().required(),
    organizationId: q.text().required(),
  },
  firewall: [
    { field: "organizationId", equals: "ctx.activeOrgId" },
    { field: "deletedAt", isNull: true },
    { field: "status", notEquals: "declined" },
  ],
  guards: {
    createable: ["jobId", "candidateId", "summary", "status"],
    updatable: ["summary"],
    immutable: ["jobId", "candidateId"],
    protected: { status: ["advance", "hire", "withdraw", "ghostAction"], score: ["advance"], reviewedAt: ["mark-reviewed"] },
  },
  read: {
    access: {
      or: [
        { roles: ["admin", "owner"] },
        { userRole: ["support"] },
        { roles: ["member", "recruiter"], record: { ownerId: { equals: "$ctx.userId" } } },
      ],
    },
  },
  crud: {
    create: { access: { roles: ["recruiter+"] } },
    update: {
      access: {
        and: [
          { roles: ["recruiter+"] },
          { record: { status: { notIn: ["hired", "declined"] }, score: { lessThan: 90 } } },
        ],
      },
    },
    delete: { access: async (ctx: any, record: any) => ctx.roles.includes("owner") },
  },
});
