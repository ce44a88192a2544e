import type { ActionExecutor } from "@quickback/types";
import { applications } from "../schema";

export const execute: ActionExecutor = async ({ db, whereRecord }) => {
  const [row] = await db.update(applications).set({ status: "hired" }).where(whereRecord!(applications)).returning();
  return row;
};
