import type { ActionExecutor } from "@quickback/types";
import { applications } from "../schema";

export const execute: ActionExecutor = async ({ db, record, input, whereRecord }) => {
  if (input.reason) {
    await db.update(applications).set({ summary: input.reason }).where(whereRecord!(applications));
  }
  return record;
};
