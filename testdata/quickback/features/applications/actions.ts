import { eq } from "drizzle-orm";
import { z } from "zod";
import { defineActions } from "@quickback/compiler";
import { applications, STAGES } from "./applications";
import { interviewScores } from "./interview-scores";

export default defineActions(applications, {
  advanceStage: {
    type: "record",
    description: "Move an application along the pipeline",
    input: z.object({ stage: z.enum(STAGES), note: z.string().max(500).optional() }),
    access: { roles: ["hiring-manager"] },
    transition: {
      field: "stage",
      via: "stage",
      fromTo: {
        applied: ["screening", "rejected"],
        screening: ["interview", "rejected"],
        interview: ["offer", "rejected"],
        offer: ["hired", "rejected"],
      },
    },
    execute: async ({ db, record, input }) => {
      await db.update(applications).set({ stage: input.stage }).where(eq(applications.id, record.id));
      return { ...record, stage: input.stage };
    },
  },
  submitScore: {
    type: "record",
    description: "Score an application after an interview",
    input: z.object({ score: z.number().int().min(1).max(5), feedback: z.string().max(4000) }),
    access: { roles: ["owner", "hiring-manager", "interviewer"] },
    execute: async ({ db, record, input, ctx }) => {
      await db.insert(interviewScores).values({
        applicationId: record.id,
        interviewerId: ctx.userId,
        score: input.score,
        feedback: input.feedback,
      });
      return record;
    },
  },
});
