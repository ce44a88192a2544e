import type { ActionExecutor } from "@quickback/types";
import { count } from "drizzle-orm";
import { applications } from "../schema";

export const execute: ActionExecutor = async ({ db }) => {
  const rows = await db.select({ status: applications.status, n: count() }).from(applications).groupBy(applications.status);
  return { rows };
};
