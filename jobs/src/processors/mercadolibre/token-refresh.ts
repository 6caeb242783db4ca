import { AppError } from "#core/errors";
import { errorFields } from "#core/log";
import { MlAccountUnavailableError } from "#integrations/mercadolibre";
import { getMe } from "#integrations/mercadolibre/users-api";
import { findIdleMlAccounts, findMlAccountsDueForRefresh, insertMlAccountEvent, lastMlAccountEventOfType } from "#db/queries/ml-accounts";
import type { JobContext, Processor } from "../types";

const minute = 60_000;
const day = 24 * 60 * minute;

/** Tokens expiring within this are refreshed by the sweep (roadmap: "within the hour"). */
export const refreshWithinMs = 60 * minute;
/** Per-account jobs are spread over this much of the 10-minute sweep interval, so ML sees no burst. */
export const spreadMs = 5 * minute;
/** An account with no successful ML call for this long gets a keep-alive call (ML revokes after ~120 days). */
export const keepAliveAfterMs = 30 * day;
/** Still no successful call after this long means keep-alives are failing: warn the seller before ML revokes. */
export const inactivityWarnAfterMs = 100 * day;
const inactivityRevocationMs = 120 * day;
/** Accounts handled per sweep; the rest wait for the next one, 10 minutes later. */
const sweepLimit = 5_000;

function requireMl(ctx: { services: JobContext["services"] }) {
  const { ml, mlTokens } = ctx.services;
  if (!ml || !mlTokens) {
    throw new AppError("unavailable", "MercadoLibre is not configured in the jobs container (ML_APP_ID, ML_CLIENT_SECRET, TOKEN_ENCRYPTION_KEYS).", {
      retryable: false,
    });
  }
  return { ml, mlTokens };
}

/**
 * Finds the accounts that need work and enqueues one job each, delayed across the spread
 * window. Enqueue failures are per account too: one refused add does not stop the others.
 */
export const sweepMlTokens: Processor<"ml.tokens.sweep"> = async (payload, ctx) => {
  requireMl(ctx);
  const now = new Date();
  const due = await findMlAccountsDueForRefresh(ctx.db, new Date(now.getTime() + refreshWithinMs), sweepLimit);
  const idle = await findIdleMlAccounts(ctx.db, new Date(now.getTime() - keepAliveAfterMs), sweepLimit);

  const work = new Map<string, { keepAlive: boolean }>();
  for (const account of due) work.set(account.id, { keepAlive: false });
  for (const account of idle) work.set(account.id, { keepAlive: true });

  let warned = 0;
  for (const account of idle) {
    const lastCall = account.lastApiCallAt ?? account.connectedAt;
    const idleMs = now.getTime() - lastCall.getTime();
    if (idleMs < inactivityWarnAfterMs) continue;
    const previous = await lastMlAccountEventOfType(ctx.db, account.id, "inactivity_warning");
    if (previous && now.getTime() - previous.createdAt.getTime() < day) continue;
    const daysLeft = Math.max(0, Math.floor((inactivityRevocationMs - idleMs) / day));
    await insertMlAccountEvent(ctx.db, {
      accountId: account.id,
      type: "inactivity_warning",
      level: "warn",
      message: `No successful MercadoLibre call for ${Math.floor(idleMs / day)} days: ML revokes access after about 4 months (about ${daysLeft} days left). Keep-alive calls are failing; check the account.`,
      details: { lastApiCallAt: account.lastApiCallAt?.toISOString() ?? null, daysLeft },
      now,
    });
    warned++;
  }

  const sweep = now.toISOString();
  const ids = [...work.keys()];
  let enqueued = 0;
  let failed = 0;
  for (const [index, accountId] of ids.entries()) {
    // Evenly spaced plus up to a second of jitter, so accounts due together do not refresh together.
    const window = payload.spreadMs ?? spreadMs;
    const delayMs = window === 0 ? 0 : (index / Math.max(1, ids.length)) * window + Math.random() * 1_000;
    try {
      await ctx.enqueue("ml.token.refresh", { accountId, keepAlive: work.get(accountId)!.keepAlive, sweep }, { delayMs });
      enqueued++;
    } catch (error) {
      failed++;
      ctx.log.warn("could not enqueue ml token refresh", { accountId, ...errorFields(error) });
    }
  }
  ctx.log.info("ml token sweep", { due: due.length, idle: idle.length, enqueued, failed, warned });
  return { due: due.length, idle: idle.length, enqueued, failed, warned };
};

/**
 * One account: refresh if the token expires within the hour (the token manager's lock makes
 * this safe next to Worker requests doing the same), then, for idle accounts, one real API
 * call so ML counts the grant as used. A revoked grant is recorded by the token manager
 * (status reauth_required + event) and ends the job: retrying cannot bring it back.
 */
export const refreshMlToken: Processor<"ml.token.refresh"> = async (payload, ctx) => {
  const { ml, mlTokens } = requireMl(ctx);
  try {
    const token = await mlTokens.getAccessToken(payload.accountId, { minValiditySeconds: refreshWithinMs / 1000 });
    let keptAlive = false;
    if (payload.keepAlive) {
      await getMe(ml.forAccount(payload.accountId));
      keptAlive = true;
    }
    return { outcome: "ok", refreshed: token.refreshed, keptAlive };
  } catch (error) {
    if (error instanceof MlAccountUnavailableError) {
      ctx.log.info("ml account skipped", { accountId: payload.accountId, status: error.accountStatus });
      return { outcome: "skipped", status: error.accountStatus };
    }
    if (error instanceof AppError && error.code === "not_found" && !("mlStatus" in error)) {
      return { outcome: "skipped", status: "deleted" };
    }
    // Every attempt counts: a refresh that keeps failing loses the account once the refresh token expires.
    ctx.services.metrics.inc("autoecom_token_refresh_failures_total", { provider: "mercadolibre" });
    throw error;
  }
};

export const mlTokenProcessors = {
  "ml.tokens.sweep": sweepMlTokens,
  "ml.token.refresh": refreshMlToken,
};
