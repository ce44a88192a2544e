// Two scopes, an explicit org-only firewall, hide mode; owner-only access
// through a record condition.
import { feature, q } from "@quickback/compiler";
import applications from "../applications/applications";

export default feature("interviews", {
  columns: {
    id: q.id(),
    applicationId: q.text().required().references(() => applications.id),
    scheduledBy: q.scope("owner"),
    organizationId: q.scope("organization"),
    startsAt: q.timestamp().required(),
    minutes: q.int().default(45).required(),
    room: q.text({ maxLength: 120 }).optional(),
  },
  firewall: [{ field: "organizationId", equals: "ctx.activeOrgId" }],
  firewallErrorMode: "hide",
  guards: {
    createable: ["applicationId", "startsAt", "minutes", "room"],
    updatable: ["startsAt", "minutes", "room"],
  },
  read: {
    access: {
      or: [
        { roles: ["admin", "owner", "boss"] },
        { roles: ["member"], record: { scheduledBy: { equals: "$ctx.userId" } } },
      ],
    },
  },
  crud: {
    create: { access: { roles: ["member+"] } },
    update: { access: { record: { scheduledBy: { equals: "$ctx.userId" } } } },
    delete: { access: { roles: ["boss"] } },
  },
});
