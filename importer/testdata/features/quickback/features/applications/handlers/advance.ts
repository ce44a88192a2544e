import type { ActionExecutor } from "@quickback/types";
import { applications } from "../schema";

export const execute: ActionExecutor = async ({ db, record, input, auditFields, whereTransition }) => {
  if (record.status === "declined") {
    throw new Error("declined applications stay declined");
  }
  const [row] = await db
    .update(applications)
    .set({
      status: input.next,
      score: input.score ?? record.score,
      summary: input.summary ?? null,
      modifiedAt: auditFields!.modifiedAt,
    })
    .where(whereTransition!(applications))
    .returning();
  return row;
};
