import { AppError } from "../../../core/errors";
import { uuidv7 } from "../../../core/ids";
import { errorFields } from "../../../core/log";
import { createPkcePair } from "../../../core/oauth/pkce";
import {
  MlApiError,
  authorizationUrl,
  exchangeAuthorizationCode,
  fetchMlUserMe,
  isMlInvalidGrant,
  type MlSiteId,
  type MlTokenSet,
} from "../../../core/mercadolibre";
import {
  deleteMlAccount,
  disconnectMlAccount,
  findMlAccountOfUser,
  insertMlAccount,
  insertMlAccountEvent,
  listMlAccountEvents,
  listMlAccountsOfUser,
  lockMlAccountByMlUserId,
  reconnectMlAccount,
  type MlAccountEvent,
  type MlAccountSummary,
} from "../../../db/queries/ml-accounts";
import type { Principal } from "../lib/types";
import { connectFailure as fail, connectOutcomeUrl, consumeOAuthState, issueOAuthState, type ConnectOutcome } from "./oauth-state";
import type { Services } from ".";
import { forgetMlAccountCache } from "./webhooks";

const PROVIDER = "ml";

/** What the one-time `state` stands for while the seller is at ML's consent page (the user id is in the record itself). */
interface PendingConnect {
  verifier: string;
  site: MlSiteId;
}

export async function startConnect(
  services: Services,
  principal: Principal,
  input: { site: MlSiteId },
): Promise<{ url: string; expiresAt: string }> {
  const { config } = await services.ml();
  const pkce = await createPkcePair();
  const issued = await issueOAuthState<PendingConnect>(services, {
    provider: PROVIDER,
    userId: principal.userId,
    data: { verifier: pkce.verifier, site: input.site },
    ttlSeconds: services.config.ML_OAUTH_STATE_TTL_SECONDS,
  });
  return {
    url: authorizationUrl(config, { site: input.site, state: issued.state, codeChallenge: pkce.challenge }),
    expiresAt: issued.expiresAt.toISOString(),
  };
}

/**
 * The browser lands here from ML. Only a state we issued, unexpired and unused, goes any
 * further; it is consumed first (GETDEL) so a replay of the same URL finds nothing.
 */
export async function completeConnect(
  services: Services,
  query: { state: string; code?: string | undefined; error?: string | undefined; error_description?: string | undefined },
): Promise<ConnectOutcome> {
  const ml = await services.ml();
  const pending = await consumeOAuthState<PendingConnect>(services, PROVIDER, query.state);
  if (!pending) return fail("invalid_state", 400, "The connection request is unknown, expired or was already used; start again.");
  const log = services.logger.child({ userId: pending.userId });

  if (query.error) {
    log.info("ml authorization refused", { mlError: query.error });
    if (query.error === "access_denied") return fail("access_denied", 403, "The seller did not authorize AutoEcom on MercadoLibre.");
    if (query.error === "invalid_operator_user_id") {
      return fail("operator_user", 403, "Only the MercadoLibre account administrator can connect it, not an operator/collaborator.");
    }
    return fail("authorization_failed", 400, `MercadoLibre did not authorize the connection (${query.error.slice(0, 64)}).`);
  }
  if (!query.code) return fail("authorization_failed", 400, "MercadoLibre returned neither a code nor an error.");

  let tokens: MlTokenSet;
  try {
    tokens = await exchangeAuthorizationCode(ml.config, { code: query.code, codeVerifier: pending.data.verifier }, services.now);
  } catch (error) {
    log.warn("ml code exchange failed", { ...errorFields(error), mlError: error instanceof MlApiError ? error.mlError : undefined });
    if (isMlInvalidGrant(error)) return fail("code_rejected", 400, "MercadoLibre rejected the authorization code (expired, reused or PKCE mismatch); start again.");
    return fail("ml_unavailable", error instanceof AppError ? error.status : 502, "MercadoLibre could not complete the connection; try again.");
  }

  let me;
  try {
    me = await fetchMlUserMe(ml.config, tokens.accessToken);
  } catch (error) {
    log.warn("ml /users/me failed during connect", errorFields(error));
    return fail("ml_unavailable", 502, "MercadoLibre could not complete the connection; try again.");
  }
  if (me.id !== tokens.userId) return fail("ml_unavailable", 502, "MercadoLibre returned an inconsistent user; try again.");

  const now = services.now();
  const outcome = await services.transaction(async (tx): Promise<ConnectOutcome> => {
    const existing = await lockMlAccountByMlUserId(tx, me.id);
    if (existing && existing.userId !== pending.userId) {
      return fail("ml_account_taken", 409, "This MercadoLibre account is already connected to another AutoEcom user.");
    }
    const accountId = existing?.id ?? uuidv7();
    const sealed = await ml.tokens.sealTokens(accountId, tokens);
    if (existing) {
      await reconnectMlAccount(tx, accountId, { ...sealed, nickname: me.nickname, siteId: me.site_id, now });
      await insertMlAccountEvent(tx, { accountId, type: "reconnected", message: `Reconnected as ${me.nickname}.`, details: { previousStatus: existing.status }, now });
      return { ok: true, result: "reconnected", accountId };
    }
    const inserted = await insertMlAccount(tx, { id: accountId, userId: pending.userId, mlUserId: me.id, nickname: me.nickname, siteId: me.site_id, ...sealed, now });
    // Lost a race with another connect of the same ML user between the lock and the insert.
    if (!inserted) return fail("ml_account_taken", 409, "This MercadoLibre account is already connected to another AutoEcom user.");
    await insertMlAccountEvent(tx, { accountId, type: "connected", message: `Connected ${me.nickname} (${me.site_id}).`, now });
    return { ok: true, result: "connected", accountId };
  });
  if (outcome.ok) {
    // The edge may have cached "not ours" for this seller; its next notification must be taken.
    await forgetMlAccountCache(services, String(me.id));
    log.info("ml account connected", { accountId: outcome.accountId, mlUserId: me.id, result: outcome.result });
  } else log.warn("ml account connect refused", { mlUserId: me.id, error: outcome.error });
  return outcome;
}

/** The outcome's `error` codes are documented in docs/mercadolibre-accounts.md. */
export function connectRedirect(services: Services, outcome: ConnectOutcome): string {
  return connectOutcomeUrl(services.config.ML_DASHBOARD_URL, "ml_connect", outcome);
}

export function listAccounts(services: Services, principal: Principal): Promise<MlAccountSummary[]> {
  return listMlAccountsOfUser(services.db, principal.userId);
}

/** 404 for a missing id and for someone else's: the answer must not tell them apart. */
async function ownAccount(services: Services, principal: Principal, id: string): Promise<MlAccountSummary> {
  const account = await findMlAccountOfUser(services.db, principal.userId, id);
  if (!account) throw new AppError("not_found", "No such MercadoLibre account.");
  return account;
}

export async function accountEvents(services: Services, principal: Principal, id: string, limit: number): Promise<MlAccountEvent[]> {
  await ownAccount(services, principal, id);
  return listMlAccountEvents(services.db, id, limit);
}

/**
 * Disconnect deletes the tokens at once; scheduled work selects active accounts only, and
 * queued jobs for it fail permanently on the status. `purge` also deletes the row, and with
 * it (cascade) its events and every record synced for it.
 */
export async function disconnectAccount(services: Services, principal: Principal, id: string, options: { purge: boolean }): Promise<void> {
  const account = await ownAccount(services, principal, id);
  const now = services.now();
  if (options.purge) {
    await deleteMlAccount(services.db, id);
  } else {
    await disconnectMlAccount(services.db, id, now);
    await insertMlAccountEvent(services.db, { accountId: id, type: "disconnected", message: "Disconnected by the user; tokens deleted, synced data kept.", now });
  }
  await forgetMlAccountCache(services, String(account.mlUserId));
  services.logger.info("ml account disconnected", { accountId: id, mlUserId: account.mlUserId, purge: options.purge });
}

export async function refreshAccount(services: Services, principal: Principal, id: string): Promise<MlAccountSummary> {
  await ownAccount(services, principal, id);
  const ml = await services.ml();
  await ml.tokens.getAccessToken(id, { forceRefresh: true });
  return ownAccount(services, principal, id);
}
