import { AppError } from "#core/errors";
import { randomToken, sha256Hex } from "#core/crypto";
import type { Principal } from "../lib/types";
import type { Services } from ".";

/**
 * The two one-time codes of any provider's connect flow, both random, bound server-side to the
 * user who started the flow, expiring, and usable once:
 * - the OAuth `state`, while the seller is at the provider's consent page;
 * - the grant, from the callback until the dashboard completes the connection.
 * The callback is a plain browser redirect without our bearer token, so it cannot tell who is
 * at the browser: whoever started the flow may have sent the consent URL to someone else. It
 * therefore stores nothing; the authenticated completion does, and only for the user who
 * started. Both are stored under their hash (a Redis dump alone completes nobody's flow) and
 * taken with GETDEL, so of two uses only the first finds the record.
 */
export interface OAuthStateRecord<T> {
  userId: string;
  createdAt: string;
  data: T;
}

/** What randomToken(32) yields; anything else is refused before Redis is asked. */
export const ONE_TIME_CODE_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** Long enough for the dashboard to load and post it, short enough that a leaked URL is soon worthless. */
const GRANT_TTL_SECONDS = 300;

type Kind = "oauth-state" | "oauth-grant";

const codeKey = async (services: Pick<Services, "key">, provider: string, kind: Kind, code: string) => services.key(provider, kind, await sha256Hex(code));

async function issue<T>(
  services: Pick<Services, "key" | "redis" | "now">,
  kind: Kind,
  input: { provider: string; userId: string; data: T; ttlSeconds: number },
): Promise<{ code: string; expiresAt: Date }> {
  const code = randomToken(32);
  const record: OAuthStateRecord<T> = { userId: input.userId, createdAt: services.now().toISOString(), data: input.data };
  await services.redis.set(await codeKey(services, input.provider, kind, code), JSON.stringify(record), { ex: input.ttlSeconds });
  return { code, expiresAt: new Date(services.now().getTime() + input.ttlSeconds * 1000) };
}

/** The record, once; undefined for a code that is unknown, expired, already used or not even shaped like ours. */
async function consume<T>(services: Pick<Services, "key" | "redis">, kind: Kind, provider: string, code: string): Promise<OAuthStateRecord<T> | undefined> {
  if (!ONE_TIME_CODE_SHAPE.test(code)) return undefined;
  const raw = await services.redis.getdel<OAuthStateRecord<T> | string>(await codeKey(services, provider, kind, code));
  if (!raw) return undefined;
  return typeof raw === "string" ? (JSON.parse(raw) as OAuthStateRecord<T>) : raw;
}

export async function issueOAuthState<T>(
  services: Pick<Services, "key" | "redis" | "now">,
  input: { provider: string; userId: string; data: T; ttlSeconds: number },
): Promise<{ state: string; expiresAt: Date }> {
  const issued = await issue(services, "oauth-state", input);
  return { state: issued.code, expiresAt: issued.expiresAt };
}

export const consumeOAuthState = <T>(services: Pick<Services, "key" | "redis">, provider: string, state: string) => consume<T>(services, "oauth-state", provider, state);

/** What a grant holds besides the state's data: the provider's authorization code, exchanged only at completion. */
export type ParkedGrant<T> = T & { code: string };

/** How a connect callback ended. The browser came from the provider, so it goes back to the dashboard carrying this. */
export type ConnectOutcome = { ok: true; grant: string } | { ok: false; error: string; status: number; message: string };

export const connectFailure = (error: string, status: number, message: string): ConnectOutcome => ({ ok: false, error, status, message });

/**
 * The callback's whole job: spend the state, then either map the provider's refusal to one of
 * our fixed outcomes (its own `error`/`error_description` text is never passed on: the
 * dashboard would show whatever a crafted URL put there) or park the code as a grant.
 * `refusals` maps the provider's error codes we tell apart; any other is `authorization_failed`.
 */
export async function receiveCallback<T>(
  services: Services,
  input: {
    provider: string;
    providerName: string;
    query: { state: string; code?: string | undefined; error?: string | undefined };
    refusals: Record<string, ConnectOutcome>;
  },
): Promise<ConnectOutcome> {
  const pending = await consumeOAuthState<T>(services, input.provider, input.query.state);
  if (!pending) return connectFailure("invalid_state", 400, "The connection request is unknown, expired or was already used; start again.");
  const log = services.logger.child({ userId: pending.userId, provider: input.provider });
  const { error, code } = input.query;
  if (error || !code) {
    log.info("oauth authorization refused", { providerError: error?.slice(0, 64) });
    return (
      (error && Object.hasOwn(input.refusals, error) ? input.refusals[error] : undefined) ??
      connectFailure("authorization_failed", 400, `${input.providerName} did not authorize the connection; start again.`)
    );
  }
  const parked = await issue<ParkedGrant<T>>(services, "oauth-grant", {
    provider: input.provider,
    userId: pending.userId,
    data: { ...pending.data, code },
    ttlSeconds: GRANT_TTL_SECONDS,
  });
  return { ok: true, grant: parked.code };
}

/**
 * The grant, once, for the user who started the flow. Anyone else — the seller whose browser
 * consented to someone else's flow, or whoever got hold of the URL — gets a 403, and the grant
 * is spent either way: a grant that has been seen by the wrong user is not worth keeping.
 */
export async function takeOAuthGrant<T>(services: Services, provider: string, principal: Principal, grant: string): Promise<ParkedGrant<T>> {
  const record = await consume<ParkedGrant<T>>(services, "oauth-grant", provider, grant);
  if (!record) {
    throw new AppError("validation_failed", "The connection is unknown, expired or was already completed; start again.", {
      fields: [{ path: "body.grant", message: "unknown, expired or already used", code: "unknown_or_used" }],
    });
  }
  if (record.userId !== principal.userId) {
    services.logger.warn("oauth grant completed by another user", { provider, startedBy: record.userId, userId: principal.userId });
    throw new AppError("forbidden", "This connection was started by another AutoEcom user; start it from your own account.");
  }
  return record.data;
}

/** The provider refused the authorization code at completion (expired, reused, PKCE mismatch): the user starts again. */
export const codeRejected = (providerName: string) =>
  new AppError("validation_failed", `${providerName} rejected the authorization code (expired, reused or PKCE mismatch); start again.`, {
    fields: [{ path: "body.grant", message: "the provider rejected its authorization code", code: "code_rejected" }],
  });

/**
 * The dashboard URL with the outcome in its query: `<param>=pending&grant=<code>`, or
 * `<param>=error&error=<code>&status=<http>&message=…` with our fixed text. Each provider documents its codes.
 */
export function connectOutcomeUrl(dashboardUrl: string, param: string, outcome: ConnectOutcome): string {
  const url = new URL(dashboardUrl);
  if (outcome.ok) {
    url.searchParams.set(param, "pending");
    url.searchParams.set("grant", outcome.grant);
  } else {
    url.searchParams.set(param, "error");
    url.searchParams.set("error", outcome.error);
    url.searchParams.set("status", String(outcome.status));
    url.searchParams.set("message", outcome.message);
  }
  return url.toString();
}
