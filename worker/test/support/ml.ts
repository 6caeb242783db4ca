import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { eq, sql } from "drizzle-orm";
import { inject } from "vitest";
import { uuidv7 } from "#core/ids";
import type { MlTokenSet } from "#integrations/mercadolibre";
import { insertMlAccount } from "#db/queries/ml-accounts";
import { mlAccounts } from "#db/schema";
import { readConfig } from "../../src/env";
import { buildServices, type Services } from "../../src/services";
import { api, type ApiResponse, type Session } from "./api";

declare module "vitest" {
  export interface ProvidedContext {
    stackUrls: { qstash: string; mlSandbox: string };
  }
}

export const DEMO_SELLER_ID = 410_000_001;
export const SECOND_SELLER_ID = 410_000_002;
export const OPERATOR_USER_ID = 410_000_003;

export const sandboxUrl = () => inject("stackUrls").mlSandbox;

export function testServices(): Services {
  return buildServices(readConfig(env as unknown as Record<string, string>), `test-${crypto.randomUUID()}`);
}

export async function sandbox<T = Record<string, unknown>>(path: string, init: { method?: string; json?: unknown } = {}): Promise<T> {
  const response = await fetch(`${sandboxUrl()}${path}`, {
    method: init.method ?? (init.json === undefined ? "GET" : "POST"),
    ...(init.json === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(init.json) }),
  });
  if (!response.ok) throw new Error(`sandbox ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** Calls of the ML token endpoint so far, by status. */
export async function tokenEndpointCalls(): Promise<{ count: number; byStatus: Record<string, number> }> {
  const counters = await sandbox<{ detail: Record<string, { count: number; byStatus: Record<string, number> }> }>("/_sandbox/counters");
  return counters.detail["POST /oauth/token"] ?? { count: 0, byStatus: {} };
}

export async function endpointCalls(key: string): Promise<number> {
  const counters = await sandbox<{ counts: Record<string, number> }>("/_sandbox/counters");
  return counters.counts[key] ?? 0;
}

/** Where our callback sent the browser: the dashboard, with a grant to complete or the error outcome. */
export interface CallbackResult {
  dashboard: URL;
  outcome: string | null;
  error: string | null;
  status: string | null;
  message: string | null;
  grant: string | null;
  /** The callback URL as ML sent the browser there (for replays). */
  callbackPath: string;
}

export interface ConnectResult {
  /** connected (201) or reconnected (200) when the grant was completed, else error. */
  outcome: "connected" | "reconnected" | "error";
  accountId: string | null;
  /** The answer of POST /ml/auth/complete: the account, or a problem. */
  completed: ApiResponse<Record<string, unknown>>;
  callback: CallbackResult;
}

export async function startFlow(session: Session, site?: string): Promise<{ url: URL; state: string }> {
  const started = await api<{ url: string }>(`/ml/auth/start${site ? `?site=${site}` : ""}`, { token: session.accessToken });
  if (started.status !== 200) throw new Error(`start failed: ${started.status} ${JSON.stringify(started.body)}`);
  const url = new URL(started.body.url);
  return { url, state: url.searchParams.get("state")! };
}

/** The browser at ML's authorization page: returns where ML sends it next (the callback path + query). */
export async function authorize(authUrl: URL, params: Record<string, string>): Promise<{ status: number; location: string | null; body: string }> {
  const url = new URL(authUrl);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  const response = await fetch(url, { redirect: "manual" });
  return { status: response.status, location: response.headers.get("location"), body: await response.text() };
}

/** A browser-style GET that does not follow redirects (the test follows Location itself). */
export async function browserGet(path: string, token?: string): Promise<{ status: number; location: string | null; body: string }> {
  const headers = new Headers({ "cf-connecting-ip": "192.0.2.7", accept: "text/html" });
  if (token) headers.set("authorization", `Bearer ${token}`);
  const response = await exports.default.fetch(new Request(`http://api.test${path}`, { headers, redirect: "manual" }));
  return { status: response.status, location: response.headers.get("location"), body: await response.text() };
}

/** The browser following ML's redirect to our callback, then ours to the dashboard. */
export async function followCallback(location: string): Promise<CallbackResult> {
  const target = new URL(location);
  if (`${target.origin}${target.pathname}` !== "http://api.test/ml/auth/callback") throw new Error(`unexpected redirect target ${target.origin}${target.pathname}`);
  const callbackPath = `${target.pathname}${target.search}`;
  const response = await browserGet(callbackPath);
  if (response.status !== 302) throw new Error(`callback answered ${response.status}: ${response.body}`);
  const dashboard = new URL(response.location!);
  return {
    dashboard,
    outcome: dashboard.searchParams.get("ml_connect"),
    error: dashboard.searchParams.get("error"),
    status: dashboard.searchParams.get("status"),
    message: dashboard.searchParams.get("message"),
    grant: dashboard.searchParams.get("grant"),
    callbackPath,
  };
}

/** What the dashboard does with the grant in its URL, as the signed-in user. */
export function completeGrant(session: Session, grant: string | null): Promise<ApiResponse<Record<string, unknown>>> {
  return api<Record<string, unknown>>("/ml/auth/complete", { method: "POST", json: { grant }, token: session.accessToken });
}

/** The whole dance: start → ML authorization (as `sellerId`) → callback → dashboard → complete, all as one user. */
export async function connect(session: Session, sellerId = DEMO_SELLER_ID, extra: Record<string, string> = {}): Promise<ConnectResult> {
  const { url } = await startFlow(session);
  const authorized = await authorize(url, { sandbox_user: String(sellerId), ...extra });
  if (authorized.status !== 302 || !authorized.location) throw new Error(`authorization answered ${authorized.status}: ${authorized.body.slice(0, 300)}`);
  const callback = await followCallback(authorized.location);
  if (callback.outcome !== "pending") throw new Error(`callback ended ${callback.outcome}: ${callback.dashboard.search}`);
  const completed = await completeGrant(session, callback.grant);
  const outcome = completed.status === 201 ? "connected" : completed.status === 200 ? "reconnected" : "error";
  return { outcome, accountId: outcome === "error" ? null : String(completed.body.id), completed, callback };
}

export async function purge(session: Session, accountId: string | null): Promise<void> {
  if (!accountId) return;
  await api(`/ml/accounts/${accountId}?purge=true`, { method: "DELETE", token: session.accessToken });
}

/** A fresh sandbox seller (ML's `POST /users/test_user`): its own id, no listings yet. */
export async function newSandboxSeller(): Promise<number> {
  const { access_token } = await sandbox<{ access_token: string }>("/_sandbox/tokens", { json: { user_id: DEMO_SELLER_ID } });
  const response = await fetch(`${sandboxUrl()}/users/test_user`, {
    method: "POST",
    headers: { authorization: `Bearer ${access_token}`, "content-type": "application/json" },
    body: JSON.stringify({ site_id: "MLB" }),
  });
  if (response.status !== 201) throw new Error(`test_user: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { id: number }).id;
}

/**
 * An account row holding a real sandbox grant minted without the browser flow, for a seller of
 * its own (a new test user unless `sellerId` is given), so parallel tests never collide on the
 * one-seller-one-user rule and what ML returns names this account's seller.
 */
export async function seedAccount(services: Services, userId: string, options: { sellerId?: number; expired?: boolean } = {}) {
  const minted = await sandbox<{ access_token: string; refresh_token: string; expires_in: number; user_id: number; scope: string }>("/_sandbox/tokens", {
    json: { user_id: options.sellerId ?? (await newSandboxSeller()) },
  });
  const ml = await services.ml();
  const id = uuidv7();
  const tokens: MlTokenSet = {
    accessToken: minted.access_token,
    refreshToken: minted.refresh_token,
    expiresInSeconds: minted.expires_in,
    expiresAt: options.expired ? new Date(Date.now() - 60_000) : new Date(Date.now() + minted.expires_in * 1000),
    userId: minted.user_id,
    scope: minted.scope,
  };
  const mlUserId = minted.user_id;
  await insertMlAccount(services.db, { id, userId, mlUserId, nickname: `SEED_${mlUserId}`, siteId: "MLB", ...(await ml.tokens.sealTokens(id, tokens)), now: new Date() });
  return { id, mlUserId, accessToken: minted.access_token, refreshToken: minted.refresh_token };
}

export async function rawAccountRow(services: Services, id: string): Promise<Record<string, unknown> | undefined> {
  const result = await services.db.execute(sql`select * from ml_accounts where id = ${id}`);
  return (result.rows as Record<string, unknown>[])[0];
}

export async function expireInDb(services: Services, id: string): Promise<void> {
  await services.db
    .update(mlAccounts)
    .set({ accessExpiresAt: new Date(Date.now() - 1_000) })
    .where(eq(mlAccounts.id, id));
}
