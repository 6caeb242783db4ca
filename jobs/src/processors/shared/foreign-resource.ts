import { ForeignResourceError } from "#db/queries/ml-data";
import type { JobContext } from "../types";

/**
 * Every ML path that stores data (webhook, sync, reconciliation) treats a refused resource the
 * same way: logged and counted in /metrics, nothing stored. Returns false for any other error,
 * which the caller rethrows.
 */
export function noteForeignResource(ctx: Pick<JobContext, "log" | "services">, accountId: string, error: unknown, path: "webhook" | "sync" | "reconcile"): error is ForeignResourceError {
  if (!(error instanceof ForeignResourceError)) return false;
  ctx.log.warn("ml resource refused: not this account's", { accountId, kind: error.kind, mlId: error.mlId, reason: error.reason });
  ctx.services.metrics.inc("autoecom_ml_foreign_resources_total", { kind: error.kind, path });
  return true;
}
