// A public careers page: a camelCase feature name and PUBLIC read.
import { feature, q } from "@quickback/compiler";

export default feature("jobPostings", {
  columns: {
    id: q.id(),
    slug: q.text({ maxLength: 120 }).required(),
    headline: q.text().required().searchable(),
    organizationId: q.scope("organization"),
  },
  unique: [{ columns: ["organizationId", "slug"] }],
  guards: { createable: ["slug", "headline"], updatable: ["headline"] },
  read: { access: { roles: ["PUBLIC"] } },
  crud: {
    create: { access: { roles: ["admin", "owner"] } },
    put: { access: { roles: ["admin"] } },
  },
});
