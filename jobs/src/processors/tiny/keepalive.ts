import { AppError } from "#core/errors";
import { errorFields } from "#core/log";
import { TinyAccountUnavailableError } from "#integrations/tiny";
import { findTinyAccountsDueForKeepAlive } from "#db/queries/tiny";
import type { Processor } from "../types";

const hour = 3_600_000;

/**
 * Tiny access tokens live 4 h and refresh tokens 1 day. Refreshing every account once its last
 * refresh is 3 h old keeps the access token valid for Worker requests (they then never pay for
 * a refresh) and renews the refresh token about 8 times a day: the jobs container can be down
 * for most of a day before any account is lost.
 */
export const refreshAfterMs = 3 * hour;
/** A refresh token with less than this left is renewed whatever its age says. */
export const refreshExpiryMarginMs = 20 * hour;
/** Accounts per sweep; the rest wait for the next one, 30 minutes later. */
const sweepLimit = 500;

/**
 * One sweep: every due account is refreshed through the token manager, whose row lock makes
 * this safe next to Worker requests refreshing the same account. A revoked grant is recorded
 * there (status reauth_required, reason, event) and is final; other failures are recorded
 * as the account's last error and retried by the next sweep.
 */
export const tinyKeepAlive: Processor<"tinyerp.tokens.keepalive"> = async (payload, ctx) => {
  const tiny = ctx.services.tiny;
  if (!tiny) {
    throw new AppError("unavailable", "Tiny is not configured in the jobs container (TINY_CLIENT_ID, TINY_CLIENT_SECRET, TOKEN_ENCRYPTION_KEYS).", { retryable: false });
  }
  const now = Date.now();
  const due = payload.accountId
    ? [{ id: payload.accountId }]
    : await findTinyAccountsDueForKeepAlive(ctx.db, {
        refreshedBefore: new Date(now - refreshAfterMs),
        refreshExpiresBefore: new Date(now + refreshExpiryMarginMs),
        limit: sweepLimit,
      });
  let refreshed = 0;
  let reauthRequired = 0;
  let failed = 0;
  for (const account of due) {
    if (ctx.signal.aborted) break;
    try {
      const token = await tiny.tokens.getAccessToken(account.id, { forceRefresh: true });
      if (token.refreshed) refreshed++;
    } catch (error) {
      if (error instanceof TinyAccountUnavailableError) {
        if (error.accountStatus === "reauth_required") reauthRequired++;
        continue;
      }
      failed++;
      ctx.services.metrics.inc("autoecom_token_refresh_failures_total", { provider: "tiny" });
      ctx.log.warn("tiny keep-alive refresh failed", { accountId: account.id, ...errorFields(error) });
    }
  }
  ctx.log.info("tiny keep-alive sweep", { due: due.length, refreshed, reauthRequired, failed });
  return { due: due.length, refreshed, reauthRequired, failed };
};

export const tinyProcessors = {
  "tinyerp.tokens.keepalive": tinyKeepAlive,
};
