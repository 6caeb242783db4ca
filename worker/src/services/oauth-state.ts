import { randomToken, sha256Hex } from "../../../core/crypto";
import type { Services } from ".";

/**
 * The OAuth `state` of any provider's connect flow: random, bound server-side to the user who
 * started it, expiring, and usable once. The callback is a plain browser redirect without our
 * bearer token, so the stored record — not the request — says whose account is being
 * connected. Stored under the state's hash (a Redis dump alone completes nobody's flow) and
 * taken with GETDEL, so of two callbacks with one state only the first finds it.
 */
export interface OAuthStateRecord<T> {
  userId: string;
  createdAt: string;
  data: T;
}

const STATE_SHAPE = /^[A-Za-z0-9_-]{43}$/;

const stateKey = async (services: Pick<Services, "key">, provider: string, state: string) => services.key(provider, "oauth-state", await sha256Hex(state));

export async function issueOAuthState<T>(
  services: Pick<Services, "key" | "redis" | "now">,
  input: { provider: string; userId: string; data: T; ttlSeconds: number },
): Promise<{ state: string; expiresAt: Date }> {
  const state = randomToken(32);
  const record: OAuthStateRecord<T> = { userId: input.userId, createdAt: services.now().toISOString(), data: input.data };
  await services.redis.set(await stateKey(services, input.provider, state), JSON.stringify(record), { ex: input.ttlSeconds });
  return { state, expiresAt: new Date(services.now().getTime() + input.ttlSeconds * 1000) };
}

/** The record, once; undefined for a state that is unknown, expired, already used or not even shaped like ours. */
export async function consumeOAuthState<T>(services: Pick<Services, "key" | "redis">, provider: string, state: string): Promise<OAuthStateRecord<T> | undefined> {
  if (!STATE_SHAPE.test(state)) return undefined;
  const raw = await services.redis.getdel<OAuthStateRecord<T> | string>(await stateKey(services, provider, state));
  if (!raw) return undefined;
  return typeof raw === "string" ? (JSON.parse(raw) as OAuthStateRecord<T>) : raw;
}

/** How a connect callback ended. The browser came from the provider, so it goes back to the dashboard carrying this. */
export type ConnectOutcome = { ok: true; result: "connected" | "reconnected"; accountId: string } | { ok: false; error: string; status: number; message: string };

export const connectFailure = (error: string, status: number, message: string): ConnectOutcome => ({ ok: false, error, status, message });

/**
 * The dashboard URL with the outcome in its query: `<param>=connected|reconnected&account=<id>`,
 * or `<param>=error&error=<code>&status=<http>&message=…`. Each provider documents its codes.
 */
export function connectOutcomeUrl(dashboardUrl: string, param: string, outcome: ConnectOutcome): string {
  const url = new URL(dashboardUrl);
  if (outcome.ok) {
    url.searchParams.set(param, outcome.result);
    url.searchParams.set("account", outcome.accountId);
  } else {
    url.searchParams.set(param, "error");
    url.searchParams.set("error", outcome.error);
    url.searchParams.set("status", String(outcome.status));
    url.searchParams.set("message", outcome.message);
  }
  return url.toString();
}
