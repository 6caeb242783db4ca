import { UnrecoverableError } from "bullmq";
import { AppError } from "#core/errors";
import { errorFields } from "#core/log";
import { describeError } from "#core/redact";
import { findMlAccount } from "#db/queries/ml-accounts";
import { claimSyncSlot, failSyncRun, findSyncRun, finishSyncRun, lastFullSyncStart, lastSuccessfulSyncStart, startSyncRun } from "#db/queries/ml-sync";
import type { ForeignResourceError } from "#db/queries/ml-data";
import { activeMlAccounts } from "#db/queries/webhooks";
import type { SyncPhase } from "#db/schema";
import type { MlSyncContext } from "#domain/sync/mercadolibre/context";
import { defaultSyncOptions, SyncSession, type SyncOptions } from "#domain/sync/mercadolibre/engine";
import { syncListings } from "#domain/sync/mercadolibre/listings";
import { syncOrders } from "#domain/sync/mercadolibre/orders";
import { syncClaims, syncQuestions } from "#domain/sync/mercadolibre/questions-claims";
import { noteForeignResource } from "../../shared/foreign-resource";
import { accountLimits } from "../../shared/ml-account-limits";
import type { JobContext, Processors } from "../../types";

export { defaultSyncOptions, type SyncOptions } from "#domain/sync/mercadolibre/engine";

/** How often the scheduler looks at every account, and how old a full sync may get before it runs another. */
export const scheduleEveryMs = 30 * 60_000;
export const fullSyncEveryMs = 7 * 24 * 60 * 60_000;

export interface SyncOutcome {
  runId: string;
  status: "succeeded" | "skipped";
  apiCalls: number;
}

/**
 * Works one run from its stored cursor to the end. Phases already passed are skipped; the
 * current one continues where its last committed page ended. Failures are written to the run
 * (it goes back to `queued` while BullMQ will retry, `failed` when it will not) and rethrown.
 */
export async function runSyncRun(ctx: JobContext, runId: string, overrides: Partial<SyncOptions> = {}): Promise<SyncOutcome> {
  const options = { ...defaultSyncOptions, ...overrides };
  const { ml } = ctx.services;
  const existing = await findSyncRun(ctx.db, runId);
  if (!existing) throw new UnrecoverableError(`Sync run ${runId} does not exist.`);
  if (existing.status === "succeeded" || existing.status === "failed") {
    ctx.log.info("sync run already finished; nothing to do", { runId, status: existing.status });
    return { runId, status: "skipped", apiCalls: existing.apiCalls };
  }
  const finalAttempt = ctx.job.attempt >= ctx.job.maxAttempts;
  const account = await findMlAccount(ctx.db, existing.accountId);
  if (!ml || !account || account.status !== "active") {
    const message = !ml ? "MercadoLibre is not configured in the jobs container." : !account ? "The account no longer exists." : `The account is ${account.status}.`;
    await failSyncRun(ctx.db, runId, { at: new Date().toISOString(), phase: null, message, code: "account_unavailable" }, true, new Date());
    throw new AppError("conflict", message, { retryable: false });
  }
  const run = await startSyncRun(ctx.db, runId, ctx.job.id, new Date());
  if (!run) return { runId, status: "skipped", apiCalls: existing.apiCalls };
  const session = new SyncSession(syncContext(ctx), ml, run, { id: account.id, mlUserId: account.mlUserId }, options);
  const log = ctx.log.child({ runId, accountId: account.id, kind: run.kind, mode: run.mode });
  log.info("sync run started", { resumedFrom: run.cursor?.phase ?? null, attempt: run.attempts });

  try {
    const startAt = session.phases.indexOf(session.cursor.phase);
    for (const phase of session.phases.slice(Math.max(0, startAt))) {
      if (session.cursor.phase !== phase) session.cursor = { phase };
      const since = run.mode === "incremental" ? (run.since ?? (await lastSuccessfulSyncStart(ctx.db, account.id, phase))) : null;
      await runPhase(session, phase, since);
      log.info("sync phase done", { phase, counts: session.countsOf(phase), apiCalls: session.apiCalls });
    }
    await finishSyncRun(ctx.db, runId, new Date());
    await ctx.progress({ runId, percent: 100, counts: session.counts, apiCalls: session.apiCalls });
    log.info("sync run succeeded", { counts: session.counts, apiCalls: session.apiCalls });
    return { runId, status: "succeeded", apiCalls: session.apiCalls };
  } catch (error) {
    const permanent = error instanceof UnrecoverableError || (error instanceof AppError && !error.retryable);
    const final = permanent || finalAttempt;
    await failSyncRun(
      ctx.db,
      runId,
      { at: new Date().toISOString(), phase: session.cursor.phase, message: describeError(error).slice(0, 500), ...(error instanceof AppError ? { code: error.code } : {}) },
      final,
      new Date(),
    ).catch((saveError: unknown) => log.error("sync failure not recorded", errorFields(saveError)));
    log.warn("sync run attempt failed", { final, ...errorFields(error) });
    throw error;
  }
}

/** The engine's view of this job: its signal and progress, the account's shared call budget, the /metrics count. */
function syncContext(ctx: JobContext): MlSyncContext {
  const limits = accountLimits(ctx.services);
  return {
    db: ctx.db,
    log: ctx.log,
    enqueue: ctx.enqueue,
    signal: ctx.signal,
    progress: (report) => ctx.progress(report),
    takeCall: (accountId) => limits.takeCall(accountId),
    noteForeign: (accountId, error): error is ForeignResourceError => noteForeignResource(ctx, accountId, error, "sync"),
  };
}

async function runPhase(session: SyncSession, phase: SyncPhase, since: Date | null): Promise<void> {
  if (phase === "listings") return syncListings(session, since);
  if (phase === "orders") return syncOrders(session, since);
  if (phase === "questions") return syncQuestions(session, since);
  return syncClaims(session);
}

/**
 * The recurring pass: an incremental `all` run per active account (a full one when the last
 * full sync is older than a week, or there never was one). Accounts with a live run are
 * skipped: the unique index answers that, so two schedulers cannot start two runs.
 */
export async function scheduleSyncs(ctx: JobContext, accountId: string | undefined): Promise<{ accounts: number; started: number }> {
  const accounts = (await activeMlAccounts(ctx.db)).filter((account) => !accountId || account.id === accountId);
  let started = 0;
  for (const account of accounts) {
    try {
      const lastFull = await lastFullSyncStart(ctx.db, account.id);
      const mode = !lastFull || Date.now() - lastFull.getTime() > fullSyncEveryMs ? "full" : "incremental";
      const claimed = await claimSyncSlot(ctx.db, { accountId: account.id, kind: "all", mode, trigger: "schedule", requestedBy: null, since: null, now: new Date() });
      if (!claimed.created) continue;
      await ctx.enqueue("ml.sync", { runId: claimed.run.id });
      started++;
    } catch (error) {
      ctx.log.warn("scheduled sync not started for account", { accountId: account.id, ...errorFields(error) });
    }
  }
  return { accounts: accounts.length, started };
}

export const mlSyncProcessors: Pick<Processors, "ml.sync" | "ml.sync.schedule"> = {
  "ml.sync": async ({ runId }, ctx) => runSyncRun(ctx, runId),
  "ml.sync.schedule": async ({ accountId }, ctx) => scheduleSyncs(ctx, accountId),
};
