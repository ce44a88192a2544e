// Openings: object-form firewall with soft delete, read.access for list and
// get, a hard delete, unique constraints and display options.
import { feature, q } from "@quickback/compiler";

export default feature("jobs", {
  columns: {
    id: q.id(),
    title: q.text({ maxLength: 160 }).required().searchable(),
    team: q.text({ maxLength: 80 }).optional().filterable("eq"),
    state: q.enum(["draft", "open", "closed"]).default("draft").required().index(),
    headcount: q.int({ min: 1, max: 50 }).default(1),
    budget: q.number().optional(),
    remote: q.boolean().default(false),
    opensAt: q.timestamp().optional(),
    meta: q.json().optional(),
    organizationId: q.text().required(),
  },
  firewall: { organization: {}, softDelete: {} },
  guards: {
    createable: ["title", "team", "state", "headcount", "budget", "remote", "opensAt", "meta"],
    updatable: ["title", "team", "state", "headcount", "budget", "remote", "opensAt"],
  },
  read: {
    access: { roles: ["member+"] },
    views: { summary: { fields: ["id", "title"], access: { roles: ["member+"] } } },
  },
  crud: {
    create: { access: { roles: ["admin+"] } },
    update: { access: { roles: ["admin", "owner"] } },
    delete: { access: { roles: ["owner"] }, mode: "hard" },
  },
  unique: [{ columns: ["organizationId", "title"] }],
  displayColumn: "title",
  defaultSort: { field: "opensAt", order: "desc" },
  inputHints: { meta: "textarea" },
});
