import { AppError } from "#core/errors";
import { errorFields } from "#core/log";
import { describeError } from "#core/redact";
import { TinyAccountUnavailableError } from "#integrations/tiny";
import { findTinyAccount } from "#db/queries/tiny";
import { accountsForScheduledProductSync, claimProductSyncRun, finishProductSyncRun, findProductSyncRun, startProductSyncRun } from "#db/queries/tiny-product-sync";
import { syncProductsToTiny } from "#domain/sync/tiny/product-sync";
import { accountLimits } from "../shared/ml-account-limits";
import type { Processor } from "../types";

/**
 * How long one execution works before handing the queue back (the job is deferred, not
 * failed). tinyerp-sync runs one job at a time and a large catalogue takes hours under Tiny's
 * quota: without slices the token keep-alive of every other account would wait behind it.
 */
export const productSyncSliceMs = 4 * 60_000;

/**
 * One execution of a run (`domain/sync/tiny/product-sync.ts` decides what each listing
 * becomes in Tiny): it refuses a run whose Tiny account is another user's, defers the job when
 * the slice is over, and marks the run failed when BullMQ will not try again.
 */
export const tinyProductSync: Processor<"tinyerp.products.sync"> = async (payload, ctx) => {
  const tiny = ctx.services.tiny;
  if (!tiny) throw new AppError("unavailable", "Tiny is not configured in the jobs container.", { retryable: false });
  const existing = await findProductSyncRun(ctx.db, payload.runId);
  if (!existing) throw new AppError("not_found", `No product sync run ${payload.runId}.`, { retryable: false });
  // The run writes the user's links and products into the account it names: both must be one tenant's.
  const owner = await findTinyAccount(ctx.db, existing.tinyAccountId);
  if (owner && owner.userId !== existing.userId) {
    ctx.log.warn("product sync refused: the Tiny account does not belong to the run's user", { runId: existing.id, userId: existing.userId, tinyAccountId: existing.tinyAccountId });
    throw new AppError("not_found", `No Tiny account ${existing.tinyAccountId} for the run's user.`, { retryable: false });
  }
  const run = await startProductSyncRun(ctx.db, payload.runId, new Date());
  if (!run) return { runId: payload.runId, status: existing.status, skipped: true };
  const started = ctx.now().getTime();
  const limits = accountLimits(ctx.services);
  let outcome: Awaited<ReturnType<typeof syncProductsToTiny>>;
  try {
    outcome = await syncProductsToTiny({
      ctx: {
        db: ctx.db,
        log: ctx.log,
        now: ctx.now,
        signal: ctx.signal,
        progress: (report) => ctx.progress(report),
        tiny: tiny.client,
        ml: ctx.services.ml,
        takeCall: (accountId) => limits.takeCall(accountId),
      },
      input: { run, until: started + productSyncSliceMs },
    });
  } catch (error) {
    const finalAttempt = ctx.job.attempt >= ctx.job.maxAttempts;
    const permanent = error instanceof TinyAccountUnavailableError || (error instanceof AppError && !error.retryable);
    if (permanent || finalAttempt) {
      await finishProductSyncRun(ctx.db, run.id, { status: "failed", lastError: describeError(error).slice(0, 500), now: new Date() });
      ctx.log.warn("tiny product sync failed", { runId: run.id, ...errorFields(error) });
    }
    if (error instanceof TinyAccountUnavailableError) throw new AppError("conflict", error.message, { retryable: false, cause: error });
    throw error;
  }
  // Outside the try: a deferral is not a failure, even on the last attempt (it spends none).
  if (outcome.status === "sliced") return await ctx.defer(1_000, "time slice");
  const { counts } = outcome;
  await finishProductSyncRun(ctx.db, run.id, { status: "succeeded", lastError: null, now: new Date() });
  ctx.log.info("tiny product sync finished", { runId: run.id, ...counts });
  return { runId: run.id, status: "succeeded", counts };
};

/** Daily: a run per eligible account, skipping accounts whose previous run is still live. */
export const tinyProductSyncSchedule: Processor<"tinyerp.products.sync.schedule"> = async (payload, ctx) => {
  const accounts = (await accountsForScheduledProductSync(ctx.db)).filter((a) => !payload.accountId || a.id === payload.accountId);
  let started = 0;
  let running = 0;
  for (const account of accounts) {
    const claimed = await claimProductSyncRun(ctx.db, { userId: account.userId, tinyAccountId: account.id, trigger: "schedule", requestedBy: null, now: new Date() });
    if (!claimed.created) {
      running++;
      continue;
    }
    await ctx.enqueue("tinyerp.products.sync", { runId: claimed.run.id });
    started++;
  }
  ctx.log.info("tiny product sync schedule", { accounts: accounts.length, started, running });
  return { accounts: accounts.length, started, running };
};

export const tinyProductSyncProcessors = {
  "tinyerp.products.sync": tinyProductSync,
  "tinyerp.products.sync.schedule": tinyProductSyncSchedule,
};
