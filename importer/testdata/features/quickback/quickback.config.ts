import { defineConfig, defineRuntime, defineDatabase } from "@quickback/compiler";

export default defineConfig({
  name: "Talent Desk",
  features: { organizations: true },
  auth: {
    roleHierarchy: ["member", "recruiter", "admin", "owner"],
  },
  providers: {
    runtime: defineRuntime("cloudflare", { compatibilityDate: "2025-06-01" }),
    database: defineDatabase("cloudflare-d1", { namingConvention: "snake_case" }),
  },
});
