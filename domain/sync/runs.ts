import { AppError } from "#core/errors";
import type { MlAccountSummary } from "#db/queries/ml-accounts";
import { claimSyncSlot, failSyncRun } from "#db/queries/ml-sync";
import type { TinyAccountSummary } from "#db/queries/tiny";
import { claimProductSyncRun, finishProductSyncRun } from "#db/queries/tiny-product-sync";
import type { MlSyncRun, SyncRunKind, SyncRunMode, TinyProductSyncRun } from "#db/schema";
import type { ActingContext } from "../context";

/** A live run of an overlapping kind exists; an HTTP caller answers 409 naming it. */
export class SyncRunningError extends AppError {
  constructor(readonly run: MlSyncRun) {
    super("conflict", `A ${run.kind} sync of this account is already ${run.status} (run ${run.id}).`, { retryable: false });
  }
}

/** A live product sync of the Tiny account exists; an HTTP caller answers 409 naming it. */
export class ProductSyncRunningError extends AppError {
  constructor(readonly run: TinyProductSyncRun) {
    super("conflict", `A product sync of this Tiny account is already ${run.status} (run ${run.id}).`, { retryable: false });
  }
}

type StartContext = Pick<ActingContext, "db" | "now" | "enqueue" | "actor">;

/**
 * Starts an ML sync run of the seller's account: the row first (its partial unique index is
 * what makes concurrent requests end in one run), then the job. A run whose job cannot be
 * queued is failed at once, so it never blocks the next request.
 */
export async function requestMlSyncRun({ ctx, input }: { ctx: StartContext; input: { account: MlAccountSummary; kind: SyncRunKind; mode: SyncRunMode } }): Promise<{ run: MlSyncRun; jobId: string }> {
  const { account } = input;
  if (account.status !== "active") throw new AppError("conflict", `The account is ${account.status}; reconnect it before syncing.`);
  const claimed = await claimSyncSlot(ctx.db, { accountId: account.id, kind: input.kind, mode: input.mode, trigger: "api", requestedBy: ctx.actor.userId, since: null, now: ctx.now() });
  if (!claimed.created) throw new SyncRunningError(claimed.running);
  try {
    const { jobId } = await ctx.enqueue("ml.sync", { runId: claimed.run.id }, { deduplicationId: `mlsync-${claimed.run.id}` });
    return { run: claimed.run, jobId };
  } catch (error) {
    await failSyncRun(ctx.db, claimed.run.id, { at: ctx.now().toISOString(), phase: null, message: "The run could not be queued.", code: "unavailable" }, true, ctx.now());
    throw error;
  }
}

/**
 * Starts an ML → Tiny product sync of the seller's Tiny account, the same way: the run row is
 * the lock, and the hours of Tiny quota it spends are spent by the job, never by a request.
 */
export async function requestProductSyncRun({ ctx, input }: { ctx: StartContext; input: { account: TinyAccountSummary } }): Promise<{ run: TinyProductSyncRun; jobId: string }> {
  const { account } = input;
  if (account.status !== "active") throw new AppError("conflict", `The Tiny account is ${account.status}; reconnect it before syncing.`);
  const claimed = await claimProductSyncRun(ctx.db, { userId: ctx.actor.userId, tinyAccountId: account.id, trigger: "api", requestedBy: ctx.actor.userId, now: ctx.now() });
  if (!claimed.created) throw new ProductSyncRunningError(claimed.running);
  try {
    const { jobId } = await ctx.enqueue("tinyerp.products.sync", { runId: claimed.run.id }, { deduplicationId: `tinyproductsync-${claimed.run.id}` });
    return { run: claimed.run, jobId };
  } catch (error) {
    await finishProductSyncRun(ctx.db, claimed.run.id, { status: "failed", lastError: "The run could not be queued.", now: ctx.now() });
    throw error;
  }
}
