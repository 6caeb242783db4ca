import { Queue } from "bullmq";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uuidv7 } from "#core/ids";
import { createMemoryQuotaStore, createTinyServices, tinyDefaults, tinyTokenContext, type TinyConfig, type TinyServices } from "#integrations/tiny";
import { createTokenCipher, generateTokenKey } from "#core/token-cipher";
import { createNodeDb } from "#db/client-node";
import { findTinyAccount, insertTinyAccount, listTinyAccountEvents } from "#db/queries/tiny";
import { insertUser } from "#db/queries/users";
import { tinyAccounts } from "#db/schema";
import { startTinySandbox, type TinySandbox } from "#dev/sandbox/tiny";
import { startJobs } from "../src/start";
import { createTestResources, memoryLogger, waitFor, type TestResources } from "./support/resources";

const key = generateTokenKey("tk1");
const hour = 3600_000;

let resources: TestResources;
let sandbox: TinySandbox;
let database: ReturnType<typeof createNodeDb>;
let userId: string;
let tinyConfig: TinyConfig;

/** Counts what our code sends to Tiny's token endpoint: the network, not our modules. */
function countingFetch() {
  const counts = { token: 0, api: 0 };
  const wrapped: typeof fetch = (input, init) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.toString() : input.url;
    if (url.endsWith("/token")) counts.token++;
    else counts.api++;
    return fetch(input, init);
  };
  return { fetch: wrapped, counts };
}

async function services(options: { fetch?: typeof fetch } = {}): Promise<TinyServices> {
  return createTinyServices({
    db: database.db,
    transaction: (fn) => database.db.transaction((tx) => fn(tx)),
    cipher: await createTokenCipher(key),
    config: tinyConfig,
    quotaStore: createMemoryQuotaStore(),
    log: memoryLogger(),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}

/** A real sandbox grant in a row of ours, under a made-up CNPJ. */
async function seedAccount(tiny: TinyServices, options: { accessExpiresInMs?: number; lastRefreshAgoMs?: number; refreshExpiresInMs?: number } = {}) {
  const minted = await sandbox.issueTokens();
  const id = uuidv7();
  const now = Date.now();
  const sealed = await tiny.tokens.sealTokens(id, {
    accessToken: minted.access_token,
    refreshToken: minted.refresh_token,
    expiresInSeconds: minted.expires_in,
    accessExpiresAt: new Date(now + (options.accessExpiresInMs ?? minted.expires_in * 1000)),
    refreshExpiresAt: new Date(now + (options.refreshExpiresInMs ?? minted.refresh_expires_in * 1000)),
  });
  const cnpj = String(10_000_000_000_000 + Math.floor(Math.random() * 89_999_999_999_999));
  await insertTinyAccount(database.db, { id, userId, companyName: `Seed ${cnpj}`, tradeName: null, cnpj, ...sealed, now: new Date(now - (options.lastRefreshAgoMs ?? 0)) });
  return { id, refreshToken: minted.refresh_token };
}

/** Someone else refreshed with our refresh token: Tiny rotated it away and our copy is dead. */
async function rotateAway(refreshToken: string): Promise<void> {
  const response = await fetch(sandbox.tokenUrl, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "refresh_token", client_id: sandbox.clientId, client_secret: sandbox.clientSecret, refresh_token: refreshToken }),
  });
  expect(response.status).toBe(200);
}

beforeAll(async () => {
  resources = await createTestResources();
  sandbox = await startTinySandbox({ port: 0, seed: 5, products: 10, quotas: { enabled: false } });
  database = createNodeDb(resources.databaseUrl, { max: 24 });
  const user = await insertUser(database.db, { email: `tiny-${uuidv7()}@example.com`, name: null, passwordHash: "x" });
  userId = user!.id;
  tinyConfig = {
    apiUrl: sandbox.apiUrl,
    authUrl: sandbox.authUrl.replace(/\/auth$/, ""),
    clientId: sandbox.clientId,
    clientSecret: sandbox.clientSecret,
    redirectUri: "",
    timeoutMs: 5_000,
    maxAttempts: 3,
    refreshMarginSeconds: tinyDefaults.refreshMarginSeconds,
    quota: { ...tinyDefaults.quota, readsPerMinute: 10_000, burstPerSecond: 10_000 },
  };
}, 60_000);

afterAll(async () => {
  await database?.close();
  await sandbox?.close();
  await resources?.cleanup();
});

describe("the Tiny token manager in the jobs container (node-postgres)", () => {
  it("20 concurrent callers of an expired account make one token call, and the rotated refresh token is what is stored", async () => {
    const seeded = await seedAccount(await services(), { accessExpiresInMs: -60_000 });
    const counter = countingFetch();
    // Each caller builds its own services, as separate jobs would.
    const started = performance.now();
    const results = await Promise.all(Array.from({ length: 20 }, async () => (await services({ fetch: counter.fetch })).tokens.getAccessToken(seeded.id)));
    const elapsedMs = Math.round(performance.now() - started);
    expect(counter.counts.token).toBe(1);
    expect(new Set(results.map((r) => r.token)).size).toBe(1);
    expect(results.filter((r) => r.refreshed)).toHaveLength(1);
    console.info(JSON.stringify({ measurement: "tiny: 20 concurrent callers, expired token (node-postgres)", elapsedMs, tokenCalls: counter.counts.token }));

    const row = (await findTinyAccount(database.db, seeded.id))!;
    const stored = await (await createTokenCipher(key)).open(row.refreshTokenEnc!, tinyTokenContext(seeded.id, "refresh"));
    expect(stored).not.toBe(seeded.refreshToken);
    // What was stored is the live grant: the next forced refresh works.
    expect((await (await services()).tokens.getAccessToken(seeded.id, { forceRefresh: true })).refreshed).toBe(true);
  });

  it("concurrent forced refreshes (keep-alive racing a request) rotate once and never break the grant", async () => {
    const seeded = await seedAccount(await services());
    const counter = countingFetch();
    const results = await Promise.all(Array.from({ length: 10 }, async () => (await services({ fetch: counter.fetch })).tokens.getAccessToken(seeded.id, { forceRefresh: true })));
    expect(counter.counts.token).toBe(1);
    expect(new Set(results.map((r) => r.token)).size).toBe(1);
    expect((await findTinyAccount(database.db, seeded.id))!.status).toBe("active");
  });

  it("a transient token-endpoint failure keeps the account active but records the error", async () => {
    const seeded = await seedAccount(await services(), { accessExpiresInMs: -60_000 });
    const failing: typeof fetch = async (input, init) => {
      const url = typeof input === "string" ? input : input instanceof URL ? input.toString() : input.url;
      if (url.endsWith("/token")) return new Response(null, { status: 503 });
      return fetch(input, init);
    };
    await expect((await services({ fetch: failing })).tokens.getAccessToken(seeded.id)).rejects.toMatchObject({ code: "unavailable", retryable: true });
    const row = (await findTinyAccount(database.db, seeded.id))!;
    expect(row.status).toBe("active");
    expect(row.lastError).toMatch(/Token refresh failed/);
    expect((await listTinyAccountEvents(database.db, seeded.id)).map((e) => e.type)).toEqual(["refresh_failed"]);
    // The grant itself was never spent: the next attempt succeeds and clears the error.
    await (await services()).tokens.getAccessToken(seeded.id);
    expect((await findTinyAccount(database.db, seeded.id))!.lastError).toBeNull();
  });
});

describe("the keep-alive schedule (BullMQ)", () => {
  const env = (prefix: string) =>
    resources.env({
      REDIS_KEY_PREFIX: prefix,
      TINY_API_URL: tinyConfig.apiUrl,
      TINY_AUTH_URL: tinyConfig.authUrl,
      TINY_CLIENT_ID: tinyConfig.clientId,
      TINY_CLIENT_SECRET: tinyConfig.clientSecret,
      TOKEN_ENCRYPTION_KEYS: key,
    });

  it("registers the 30-minute keep-alive and the daily product-sync schedulers at start-up", async () => {
    const prefix = `${resources.prefix}-tsched`;
    const running = await startJobs(env(prefix), { log: memoryLogger(), processors: {}, schedulers: true });
    const queue = new Queue("tinyerp-sync", { connection: { host: "127.0.0.1", port: 6379 }, prefix });
    try {
      const schedulers = await waitFor(async () => {
        const list = await queue.getJobSchedulers();
        return list.length >= 2 ? list : undefined;
      }, "the tiny schedulers");
      // Exactly the two schedules of this queue: the 30-minute keep-alive and the daily product sync.
      expect([...schedulers].sort((a, b) => a.key.localeCompare(b.key))).toEqual([
        expect.objectContaining({ key: "scheduler:tinyerp.products.sync.schedule", name: "tinyerp.products.sync.schedule", every: 24 * 60 * 60_000 }),
        expect.objectContaining({ key: "scheduler:tinyerp.tokens.keepalive", name: "tinyerp.tokens.keepalive", every: 30 * 60_000 }),
      ]);
    } finally {
      await queue.close();
      await running.close();
    }
  });

  it("refreshes every due account, leaves fresh ones alone, and turns a dead grant into reauth_required with a visible reason", async () => {
    const tiny = await services();
    const stale = await seedAccount(tiny, { lastRefreshAgoMs: 4 * hour });
    const dyingRefresh = await seedAccount(tiny, { refreshExpiresInMs: 2 * hour });
    const fresh = await seedAccount(tiny);
    const dead = await seedAccount(tiny, { lastRefreshAgoMs: 5 * hour });
    await rotateAway(dead.refreshToken);
    const disconnected = await seedAccount(tiny, { lastRefreshAgoMs: 5 * hour });
    await database.db.update(tinyAccounts).set({ status: "disconnected" }).where(eq(tinyAccounts.id, disconnected.id));
    const freshBefore = (await findTinyAccount(database.db, fresh.id))!;

    const prefix = `${resources.prefix}-tsweep`;
    const running = await startJobs(env(prefix), { log: memoryLogger(), schedulers: false, processors: (await import("../src/processors")).processors });
    const queue = new Queue("tinyerp-sync", { connection: { host: "127.0.0.1", port: 6379 }, prefix });
    try {
      const sweep = await queue.add("tinyerp.tokens.keepalive", {});
      await waitFor(async () => ((await sweep.getState()) === "completed" ? true : undefined), "the keep-alive sweep", 20_000);
      const result = (await queue.getJob(sweep.id!))!.returnvalue as { due: number; refreshed: number; reauthRequired: number; failed: number };
      expect(result).toMatchObject({ refreshed: 2, reauthRequired: 1, failed: 0 });

      for (const id of [stale.id, dyingRefresh.id]) {
        const row = (await findTinyAccount(database.db, id))!;
        expect(row.status).toBe("active");
        expect(row.lastRefreshAt!.getTime()).toBeGreaterThan(Date.now() - 60_000);
        expect(row.refreshExpiresAt!.getTime()).toBeGreaterThan(Date.now() + 23 * hour);
      }
      expect((await findTinyAccount(database.db, fresh.id))!.accessTokenEnc).toBe(freshBefore.accessTokenEnc);
      const deadRow = (await findTinyAccount(database.db, dead.id))!;
      expect(deadRow).toMatchObject({ status: "reauth_required", refreshTokenEnc: null, accessTokenEnc: null });
      expect(deadRow.lastError).toMatch(/invalid_grant/);
      expect((await listTinyAccountEvents(database.db, dead.id)).map((e) => e.type)).toEqual(["reauth_required"]);
      expect((await findTinyAccount(database.db, disconnected.id))!.lastRefreshAt!.getTime()).toBeLessThan(Date.now() - 4 * hour);

      // The next sweep finds nothing to do: the refreshed accounts are fresh, the dead one is out of the active set.
      const second = await queue.add("tinyerp.tokens.keepalive", {});
      await waitFor(async () => ((await second.getState()) === "completed" ? true : undefined), "the second sweep", 20_000);
      expect((await queue.getJob(second.id!))!.returnvalue).toMatchObject({ due: 0, refreshed: 0 });
    } finally {
      await queue.close();
      await running.close();
    }
  });
});
