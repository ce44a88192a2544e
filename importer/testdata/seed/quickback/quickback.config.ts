// The hiring pipeline of the "Common Patterns" recipes, as a Quickback
// project would declare it (defineTable form).
import { defineConfig } from "@quickback/compiler";

export default defineConfig({
  name: "Hiring",
  auth: {
    roleHierarchy: ["interviewer", "recruiter", "hiring-manager", "owner"],
  },
});
