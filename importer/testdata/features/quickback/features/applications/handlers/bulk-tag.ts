import type { ActionExecutor } from "@quickback/types";
import { applicationActivity } from "../activity";

export const execute: ActionExecutor = async ({ db, input, ctx }) => {
  await Promise.all(
    input.ids.map((id: string) =>
      db.insert(applicationActivity).values({ applicationId: id, actorId: ctx.userId, kind: "note", body: input.tag }),
    ),
  );
  return { ok: true };
};
