// A tableless feature: actions with no table.
import { z } from "zod";

export default {
  actions: {
    pipelineCsv: {
      description: "Export the pipeline.",
      standalone: true,
      input: z.object({}),
      access: { roles: ["admin"] },
      handler: "./handlers/csv",
    },
  },
};
