// People: the firewall comes from q.scope("organization"); masking with
// show.roles, show.or "owner", and a custom mask function.
import { feature, q } from "@quickback/compiler";

export default feature("candidates", {
  columns: {
    id: q.id(),
    fullName: q.text({ maxLength: 200 }).required().searchable(),
    email: q.text().required().filterable("eq"),
    phone: q.text().optional(),
    taxId: q.text().optional(),
    origin: q.enum(["referral", "board", "event"]).default("board"),
    organizationId: q.scope("organization"),
  },
  guards: {
    createable: ["fullName", "email", "phone", "taxId", "origin", "organizationId"],
    updatable: ["fullName", "phone", "ghost"],
  },
  masking: {
    email: { type: "email", show: { roles: ["admin+"] }, query: { roles: ["admin+"] } },
    phone: { type: "phone", show: { roles: ["recruiter"], or: "owner" } },
    taxId: { type: "custom", mask: (v: string) => "#".repeat(v.length), show: { roles: ["owner"] } },
  },
  crud: {
    list: { access: { roles: ["member", "recruiter", "admin", "owner"] } },
    get: { access: { roles: ["member+"] } },
    create: { access: { roles: ["recruiter+"] } },
    update: { access: { roles: ["recruiter+"] } },
    delete: { access: { roles: ["owner"] } },
    batchCreate: { access: { roles: ["admin"] } },
  },
});
