import { AppError } from "#core/errors";
import { errorFields } from "#core/log";
import { createPkcePair } from "#core/oauth/pkce";
import { MlApiError, authorizationUrl, exchangeAuthorizationCode, fetchMlUserMe, isMlInvalidGrant, type MlSiteId, type MlTokenSet } from "#integrations/mercadolibre";
import { findMlAccountOfUser, listMlAccountEvents, listMlAccountsOfUser, type MlAccountEvent, type MlAccountSummary } from "#db/queries/ml-accounts";
import { connectMlAccount, disconnectMercadoLibreAccount } from "#domain/accounts/mercadolibre-account";
import type { Principal } from "../lib/types";
import { codeRejected, connectFailure as fail, connectOutcomeUrl, issueOAuthState, receiveCallback, takeOAuthGrant, type ConnectOutcome } from "./oauth-state";
import type { Services } from ".";
import { actingContext, domainContext } from "./domain-context";
import { forgetMlAccountCache } from "./webhooks";

const PROVIDER = "ml";

/** What the one-time `state` stands for while the seller is at ML's consent page (the user id is in the record itself). */
interface PendingConnect {
  verifier: string;
  site: MlSiteId;
}

export async function startConnect(services: Services, principal: Principal, input: { site: MlSiteId }): Promise<{ url: string; expiresAt: string }> {
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

/** The browser lands here from ML: the state is spent, and the code parked for the dashboard to complete. */
export async function receiveConnectCallback(services: Services, query: { state: string; code?: string | undefined; error?: string | undefined }): Promise<ConnectOutcome> {
  // 503 before the state is spent, should the integration have been unconfigured since the start.
  await services.ml();
  return receiveCallback<PendingConnect>(services, {
    provider: PROVIDER,
    providerName: "MercadoLibre",
    query,
    refusals: {
      access_denied: fail("access_denied", 403, "The seller did not authorize AutoEcom on MercadoLibre."),
      invalid_operator_user_id: fail("operator_user", 403, "Only the MercadoLibre account administrator can connect it, not an operator/collaborator."),
    },
  });
}

/** 503 when ML is unavailable, else 502. The grant is spent either way, so the user starts again. */
const unavailable = (message: string, cause?: unknown) => new AppError(cause instanceof AppError && cause.code === "unavailable" ? "unavailable" : "bad_gateway", message, { cause });

/**
 * The dashboard completes what the callback parked, as the signed-in user, who must be the one
 * who started the flow (see oauth-state.ts). Only then is the code exchanged and the ML user
 * identified; linking it to the seller is the rule's (domain/accounts/mercadolibre-account.ts).
 */
export async function completeConnect(services: Services, principal: Principal, grant: string): Promise<{ result: "connected" | "reconnected"; account: MlAccountSummary }> {
  const ml = await services.ml();
  const pending = await takeOAuthGrant<PendingConnect>(services, PROVIDER, principal, grant);
  const log = services.logger.child({ userId: principal.userId });

  let tokens: MlTokenSet;
  try {
    tokens = await exchangeAuthorizationCode(ml.config, { code: pending.code, codeVerifier: pending.verifier }, services.now);
  } catch (error) {
    log.warn("ml code exchange failed", { ...errorFields(error), mlError: error instanceof MlApiError ? error.mlError : undefined });
    if (isMlInvalidGrant(error)) throw codeRejected("MercadoLibre");
    throw unavailable("MercadoLibre could not complete the connection; start again.", error);
  }

  let me;
  try {
    me = await fetchMlUserMe(ml.config, tokens.accessToken);
  } catch (error) {
    log.warn("ml /users/me failed during connect", errorFields(error));
    throw unavailable("MercadoLibre could not complete the connection; start again.");
  }
  if (me.id !== tokens.userId) throw unavailable("MercadoLibre returned an inconsistent user; start again.");

  const { result, accountId } = await connectMlAccount({
    ctx: actingContext(services, principal),
    input: { tokens, me, forgetSeller: (mlUserId) => forgetSellerCache(services, mlUserId) },
  });
  return { result, account: await ownAccount(services, principal, accountId) };
}

/**
 * Runs after the commit: a Redis failure here must not turn a connect or disconnect that
 * happened into a 500. The cache entry then lapses by its own TTL.
 */
async function forgetSellerCache(services: Services, mlUserId: number): Promise<void> {
  try {
    await forgetMlAccountCache(services, String(mlUserId));
  } catch (error) {
    services.logger.warn("ml account cache not invalidated", { mlUserId, ...errorFields(error) });
  }
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

/** The account must be the caller's; `disconnectMercadoLibreAccount` says what disconnecting does. */
export async function disconnectAccount(services: Services, principal: Principal, id: string, options: { purge: boolean }): Promise<void> {
  const account = await ownAccount(services, principal, id);
  await disconnectMercadoLibreAccount({ ctx: domainContext(services), input: { account, purge: options.purge, forgetSeller: (mlUserId) => forgetSellerCache(services, mlUserId) } });
}

export async function refreshAccount(services: Services, principal: Principal, id: string): Promise<MlAccountSummary> {
  await ownAccount(services, principal, id);
  const ml = await services.ml();
  await ml.tokens.getAccessToken(id, { forceRefresh: true });
  return ownAccount(services, principal, id);
}
