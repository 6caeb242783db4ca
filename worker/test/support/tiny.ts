import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { eq, sql } from "drizzle-orm";
import { inject } from "vitest";
import { uuidv7 } from "#core/ids";
import { createTinyServices, createRedisQuotaStore, tinyConfigFromEnv, type TinyServices, type TinyTokenSet } from "#integrations/tiny";
import { createTokenCipher } from "#core/token-cipher";
import { withWorkerTransaction } from "#db/client-worker";
import { insertTinyAccount } from "#db/queries/tiny";
import { mlAccounts, mlListings, mlListingVariations, tinyAccounts } from "#db/schema";
import { readConfig } from "../../src/env";
import { buildServices, type Services } from "../../src/services";
import { api, type ApiResponse, type Session } from "./api";

export const tinyUrl = () => (inject("stackUrls") as unknown as { tinySandbox: string }).tinySandbox;
export const config = () => readConfig(env as unknown as Record<string, string>);

export function testServices(): Services {
  return buildServices(config(), `test-${crypto.randomUUID()}`);
}

export async function sandbox<T = Record<string, unknown>>(path: string, init: { method?: string; json?: unknown } = {}): Promise<T> {
  const response = await fetch(`${tinyUrl()}${path}`, {
    method: init.method ?? (init.json === undefined ? "GET" : "POST"),
    ...(init.json === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(init.json) }),
  });
  if (!response.ok) throw new Error(`tiny sandbox ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

export interface SandboxAccount {
  account: { razaoSocial: string; cnpj: string; fantasia: string };
}

/** A fetch that counts what our code sends to Tiny's token endpoint (the network, not our modules). */
export function countingFetch(): { fetch: typeof fetch; tokenCalls: () => number; apiCalls: () => number } {
  let tokenCalls = 0;
  let apiCalls = 0;
  return {
    fetch: (input, init) => {
      const url = typeof input === "string" ? input : input instanceof URL ? input.toString() : input.url;
      if (url.includes("/protocol/openid-connect/token")) tokenCalls++;
      // The API is reached through the spec gate in front of the sandbox (test/setup/worker-stack.ts).
      else if (url.startsWith((env as unknown as { TINY_API_URL: string }).TINY_API_URL)) apiCalls++;
      return fetch(input, init);
    },
    tokenCalls: () => tokenCalls,
    apiCalls: () => apiCalls,
  };
}

/** Tiny services as one Worker request builds them, optionally with an instrumented fetch. */
export async function tinyServices(services: Services, options: { fetch?: typeof fetch } = {}): Promise<TinyServices> {
  const c = config();
  return createTinyServices({
    db: services.db,
    transaction: (fn) => withWorkerTransaction({ databaseUrl: c.DATABASE_URL, neonWsProxy: c.NEON_WS_PROXY }, fn),
    cipher: await createTokenCipher(c.TOKEN_ENCRYPTION_KEYS!),
    config: tinyConfigFromEnv(c)!,
    quotaStore: createRedisQuotaStore((script, keys, args) => services.redis.eval(script, keys, args), services.key("tiny-quota")),
    log: services.logger,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}

/** Where our callback sent the browser: the dashboard, with a grant to complete or the error outcome. */
export interface CallbackResult {
  outcome: string | null;
  error: string | null;
  status: string | null;
  message: string | null;
  grant: string | null;
  /** The callback as Tiny sent the browser there, for replays. */
  callbackPath: string;
}

export interface ConnectResult {
  /** connected (201) or reconnected (200) when the grant was completed, else error. */
  outcome: "connected" | "reconnected" | "error";
  accountId: string | null;
  /** The answer of POST /tinyerp/auth/complete: the account, or a problem. */
  completed: ApiResponse<Record<string, unknown>>;
  callback: CallbackResult;
}

export async function startFlow(session: Session): Promise<{ url: URL; state: string }> {
  const started = await api<{ url: string; expiresAt: string }>("/tinyerp/auth/connect", { method: "POST", token: session.accessToken });
  if (started.status !== 200) throw new Error(`connect failed: ${started.status} ${JSON.stringify(started.body)}`);
  const url = new URL(started.body.url);
  return { url, state: url.searchParams.get("state")! };
}

/** The browser at Tiny's authorization page: where Tiny sends it next. */
export async function authorize(authUrl: URL, params: Record<string, string> = {}): Promise<{ status: number; location: string | null; body: string }> {
  const url = new URL(authUrl);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  const response = await fetch(url, { redirect: "manual" });
  return { status: response.status, location: response.headers.get("location"), body: await response.text() };
}

export async function browserGet(path: string): Promise<{ status: number; location: string | null; body: string }> {
  const headers = new Headers({ "cf-connecting-ip": "192.0.2.9", accept: "text/html" });
  const response = await exports.default.fetch(new Request(`http://api.test${path}`, { headers, redirect: "manual" }));
  return { status: response.status, location: response.headers.get("location"), body: await response.text() };
}

export async function followCallback(location: string): Promise<CallbackResult> {
  const target = new URL(location);
  if (`${target.origin}${target.pathname}` !== "http://api.test/tinyerp/auth/callback") throw new Error(`unexpected redirect target ${location}`);
  const callbackPath = `${target.pathname}${target.search}`;
  const response = await browserGet(callbackPath);
  if (response.status !== 302) throw new Error(`callback answered ${response.status}: ${response.body}`);
  const dashboard = new URL(response.location!);
  return {
    outcome: dashboard.searchParams.get("tiny_connect"),
    error: dashboard.searchParams.get("error"),
    status: dashboard.searchParams.get("status"),
    message: dashboard.searchParams.get("message"),
    grant: dashboard.searchParams.get("grant"),
    callbackPath,
  };
}

/** What the dashboard does with the grant in its URL, as the signed-in user. */
export function completeGrant(session: Session, grant: string | null): Promise<ApiResponse<Record<string, unknown>>> {
  return api<Record<string, unknown>>("/tinyerp/auth/complete", { method: "POST", json: { grant }, token: session.accessToken });
}

/** The whole dance through real redirects, as one user: our connect → Tiny's consent → our callback → dashboard → complete. */
export async function connect(session: Session, params: Record<string, string> = {}): Promise<ConnectResult> {
  const { url } = await startFlow(session);
  const authorized = await authorize(url, params);
  if (authorized.status !== 302 || !authorized.location) throw new Error(`authorization answered ${authorized.status}: ${authorized.body.slice(0, 300)}`);
  const callback = await followCallback(authorized.location);
  if (callback.outcome !== "pending") throw new Error(`callback ended ${callback.outcome}: ${JSON.stringify(callback)}`);
  const completed = await completeGrant(session, callback.grant);
  const outcome = completed.status === 201 ? "connected" : completed.status === 200 ? "reconnected" : "error";
  return { outcome, accountId: outcome === "error" ? null : String(completed.body.id), completed, callback };
}

/**
 * An account row holding a real sandbox grant minted without the browser, under a made-up
 * CNPJ so tests stay independent (Tiny's quota still counts them all as the sandbox's one company).
 */
export async function seedAccount(services: Services, userId: string, options: { expired?: boolean } = {}) {
  const minted = await sandbox<{ access_token: string; refresh_token: string; expires_in: number; refresh_expires_in: number }>("/_sandbox/oauth/token", { json: {} });
  const tiny = await services.tiny();
  const id = uuidv7();
  const now = Date.now();
  const tokens: TinyTokenSet = {
    accessToken: minted.access_token,
    refreshToken: minted.refresh_token,
    expiresInSeconds: minted.expires_in,
    accessExpiresAt: new Date(options.expired ? now - 60_000 : now + minted.expires_in * 1000),
    refreshExpiresAt: new Date(now + minted.refresh_expires_in * 1000),
  };
  const cnpj = String(10_000_000_000_000 + Math.floor(Math.random() * 89_999_999_999_999));
  await insertTinyAccount(services.db, { id, userId, companyName: `Seed ${cnpj}`, tradeName: null, cnpj, ...(await tiny.tokens.sealTokens(id, tokens)), now: new Date() });
  return { id, cnpj, accessToken: minted.access_token, refreshToken: minted.refresh_token };
}

export async function rawAccountRow(services: Services, id: string): Promise<Record<string, unknown> | undefined> {
  const result = await services.db.execute(sql`select * from tiny_accounts where id = ${id}`);
  return (result.rows as Record<string, unknown>[])[0];
}

export async function setAccountColumns(services: Services, id: string, values: Partial<typeof tinyAccounts.$inferInsert>): Promise<void> {
  await services.db.update(tinyAccounts).set(values).where(eq(tinyAccounts.id, id));
}

/** ML data the other engineers' sync writes, inserted directly: one listing without variations, one with two. */
export async function seedListings(services: Services, userId: string) {
  const accountId = uuidv7();
  const mlUserId = 800_000_000 + Math.floor(Math.random() * 99_000_000);
  await services.db.insert(mlAccounts).values({ id: accountId, userId, mlUserId, nickname: `SELLER_${mlUserId}`, siteId: "MLB" });
  const base = Math.floor(Math.random() * 1e9);
  const simple = `MLB${base}1`;
  const withVariations = `MLB${base}2`;
  const now = new Date();
  await services.db.insert(mlListings).values({ accountId, mlItemId: simple, title: "Camiseta simples", status: "active", sellerSku: "SKU-1", mlLastUpdated: now, fetchedAt: now });
  const [listingB] = await services.db
    .insert(mlListings)
    .values({ accountId, mlItemId: withVariations, title: "Camiseta com grade", status: "active", sellerSku: null, mlLastUpdated: now, fetchedAt: now })
    .returning({ id: mlListings.id });
  const variationIds = [base * 10 + 1, base * 10 + 2];
  await services.db.insert(mlListingVariations).values([
    { listingId: listingB!.id, mlVariationId: variationIds[0]!, sellerSku: "SKU-2" },
    { listingId: listingB!.id, mlVariationId: variationIds[1]!, sellerSku: "SKU-3" },
  ]);
  return { mlAccountId: accountId, simple, withVariations, variationIds };
}

/** Seeded Tiny products: SKU-n → id. */
export async function sandboxProducts(): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (let offset = 0; ; offset += 100) {
    const minted = await sandbox<{ access_token: string }>("/_sandbox/oauth/token", { json: {} });
    const response = await fetch(`${tinyUrl()}/public-api/v3/produtos?limit=100&offset=${offset}`, { headers: { authorization: `Bearer ${minted.access_token}` } });
    const page = (await response.json()) as { itens: Array<{ id: number; sku: string }>; paginacao: { total: number } };
    for (const item of page.itens) out.set(item.sku, item.id);
    if (offset + 100 >= page.paginacao.total) break;
  }
  return out;
}

export { api };
