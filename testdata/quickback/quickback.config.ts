// The hiring pipeline as a deployed Quickback project declares it: the
// definitions that produced drizzle/features/*.sql (and Better Auth's
// tables in drizzle/auth/*.sql).
import { defineConfig } from "@quickback/compiler";

export default defineConfig({
  name: "Hiring",
  auth: {
    roleHierarchy: ["interviewer", "recruiter", "hiring-manager", "owner"],
  },
});
