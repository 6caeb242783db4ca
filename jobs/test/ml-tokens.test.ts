import { Queue } from "bullmq";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uuidv7 } from "#core/ids";
import { createMlServices, tokenContext, type MlConfig, type MlServices } from "#integrations/mercadolibre";
import { createMemoryQuotaStore, createTinyServices, tinyDefaults, tinyTokenContext, type TinyServices } from "#integrations/tiny";
import { createTokenCipher, generateTokenKey } from "#core/token-cipher";
import { createNodeDb } from "#db/client-node";
import { findMlAccount, insertMlAccount, listMlAccountEvents } from "#db/queries/ml-accounts";
import { findTinyAccount, insertTinyAccount } from "#db/queries/tiny";
import { insertUser } from "#db/queries/users";
import { mlAccounts } from "#db/schema";
import { rotateTokenKeys } from "#domain/accounts/token-rotation";
import { DEMO_SELLER_ID, startMlSandbox, type MlSandbox } from "#dev/sandbox/ml";
import { startJobs } from "../src/start";
import { createTestResources, memoryLogger, waitFor, type TestResources } from "./support/resources";

const oldKey = generateTokenKey("old");
const newKey = generateTokenKey("new");
const day = 24 * 3600_000;

let resources: TestResources;
let sandbox: MlSandbox;
let database: ReturnType<typeof createNodeDb>;
let userId: string;
let mlConfig: MlConfig;

const tokenCalls = () => sandbox.counters.snapshot()["POST /oauth/token"] ?? { count: 0, byStatus: {} as Record<string, number> };

async function servicesWith(keys: string): Promise<MlServices> {
  return createMlServices({
    db: database.db,
    transaction: (fn) => database.db.transaction((tx) => fn(tx)),
    cipher: await createTokenCipher(keys),
    config: mlConfig,
    log: memoryLogger(),
  });
}

/** A real sandbox grant in a row of ours, under a made-up ML user id (the one-seller-one-user rule stays out of the way). */
async function seedAccount(ml: MlServices, options: { expiresInMs?: number; lastApiCallAt?: Date; connectedAt?: Date } = {}) {
  const minted = sandbox.issueToken(DEMO_SELLER_ID);
  const id = uuidv7();
  const mlUserId = 800_000_000 + Math.floor(Math.random() * 99_000_000);
  const sealed = await ml.tokens.sealTokens(id, {
    accessToken: minted.access_token,
    refreshToken: minted.refresh_token!,
    expiresAt: new Date(Date.now() + (options.expiresInMs ?? minted.expires_in * 1000)),
    expiresInSeconds: minted.expires_in,
    userId: DEMO_SELLER_ID,
    scope: "offline_access read write",
  });
  await insertMlAccount(database.db, { id, userId, mlUserId, nickname: `SEED_${mlUserId}`, siteId: "MLB", ...sealed, now: new Date() });
  if (options.lastApiCallAt || options.connectedAt) {
    await database.db
      .update(mlAccounts)
      .set({ ...(options.lastApiCallAt ? { lastApiCallAt: options.lastApiCallAt } : {}), ...(options.connectedAt ? { connectedAt: options.connectedAt } : {}) })
      .where(eq(mlAccounts.id, id));
  }
  return { id, accessToken: minted.access_token, refreshToken: minted.refresh_token! };
}

beforeAll(async () => {
  resources = await createTestResources();
  sandbox = await startMlSandbox({ port: 0, seed: 11, listings: 5, orders: 2 });
  database = createNodeDb(resources.databaseUrl, { max: 30 });
  // The database is dropped (terminating connections) at cleanup; that is expected, not a failure.
  database.pool.on("error", () => undefined);
  mlConfig = { apiUrl: sandbox.url, appId: sandbox.appId, clientSecret: sandbox.clientSecret, redirectUri: "http://127.0.0.1/cb", timeoutMs: 5_000, maxAttempts: 3, refreshMarginSeconds: 300 };
  const user = await insertUser(database.db, { email: `ml-${uuidv7()}@example.com`, name: null, passwordHash: "x" });
  userId = user!.id;
});

afterAll(async () => {
  await database?.close();
  await sandbox?.close();
  await resources?.cleanup();
});

describe("token manager in the jobs runtime (node-postgres)", () => {
  it("20 concurrent callers on an expired token: one call to ML's token endpoint, everyone gets the new token", async () => {
    const ml = await servicesWith(`${newKey}`);
    const seeded = await seedAccount(ml, { expiresInMs: -60_000 });
    const before = tokenCalls().count;
    const started = performance.now();
    const results = await Promise.all(Array.from({ length: 20 }, () => ml.tokens.getAccessToken(seeded.id)));
    const elapsedMs = Math.round(performance.now() - started);
    expect(tokenCalls().count - before).toBe(1);
    expect(new Set(results.map((r) => r.token)).size).toBe(1);
    expect(results[0]!.token).not.toBe(seeded.accessToken);
    console.info(JSON.stringify({ measurement: "20 concurrent callers, expired token (node-postgres)", elapsedMs, tokenEndpointCalls: tokenCalls().count - before }));

    // Only the newest refresh token works at ML, and it is the one stored.
    const row = (await findMlAccount(database.db, seeded.id))!;
    const cipher = await createTokenCipher(newKey);
    const stored = await cipher.open(row.refreshTokenEnc!, tokenContext(seeded.id, "refresh"));
    expect(stored).not.toBe(seeded.refreshToken);
    expect(sandbox.ctx.state.refreshTokens.has(stored)).toBe(true);
    expect(sandbox.ctx.state.refreshTokens.has(seeded.refreshToken)).toBe(false);
  });

  it("key rotation re-seals every row under the new key and tokens stay readable, also after the old key is dropped", async () => {
    const before = await servicesWith(oldKey);
    const seeded = await Promise.all([seedAccount(before), seedAccount(before), seedAccount(before)]);
    for (const { id } of seeded) expect((await findMlAccount(database.db, id))!.tokenKeyId).toBe("old");

    const both = await createTokenCipher(`${newKey},${oldKey}`);
    const result = await rotateTokenKeys({ ctx: { db: database.db, transaction: (fn) => database.db.transaction((tx) => fn(tx)) }, input: { cipher: both, batchSize: 2 } });
    expect(result.failed).toEqual([]);
    expect(result.resealed).toBeGreaterThanOrEqual(3);
    // Idempotent: nothing left to do.
    expect((await rotateTokenKeys({ ctx: { db: database.db, transaction: (fn) => database.db.transaction((tx) => fn(tx)) }, input: { cipher: both } })).resealed).toBe(0);

    const after = await servicesWith(newKey);
    for (const { id, accessToken } of seeded) {
      const row = (await findMlAccount(database.db, id))!;
      expect(row.tokenKeyId).toBe("new");
      expect(row.accessTokenEnc).toMatch(/^v1\.new\./);
      expect((await after.tokens.getAccessToken(id)).token).toBe(accessToken);
    }
  });

  it("key rotation covers Tiny's tokens too: after one run they open with the new key alone", async () => {
    const tinyWith = async (keys: string): Promise<TinyServices> =>
      createTinyServices({
        db: database.db,
        transaction: (fn) => database.db.transaction((tx) => fn(tx)),
        cipher: await createTokenCipher(keys),
        // Nothing listens here: reading a stored token must not need Tiny, and any refresh attempt would fail loudly.
        config: {
          apiUrl: "http://127.0.0.1:9",
          authUrl: "http://127.0.0.1:9",
          clientId: "rotation",
          clientSecret: "rotation",
          redirectUri: "",
          timeoutMs: 1_000,
          maxAttempts: 1,
          refreshMarginSeconds: 300,
          quota: tinyDefaults.quota,
        },
        quotaStore: createMemoryQuotaStore(),
        log: memoryLogger(),
      });
    const seedTiny = async (tiny: TinyServices) => {
      const id = uuidv7();
      const tokens = { accessToken: `tiny-access-${id}`, refreshToken: `tiny-refresh-${id}` };
      const sealed = await tiny.tokens.sealTokens(id, { ...tokens, expiresInSeconds: 4 * 3600, accessExpiresAt: new Date(Date.now() + 4 * 3600_000), refreshExpiresAt: new Date(Date.now() + day) });
      const cnpj = String(10_000_000_000_000 + Math.floor(Math.random() * 89_999_999_999_999));
      await insertTinyAccount(database.db, { id, userId, companyName: `Rotation ${cnpj}`, tradeName: null, cnpj, ...sealed, now: new Date() });
      return { id, ...tokens };
    };

    const tinyBefore = await tinyWith(oldKey);
    const seeded = await Promise.all([seedTiny(tinyBefore), seedTiny(tinyBefore), seedTiny(tinyBefore)]);
    const mlSeeded = await seedAccount(await servicesWith(oldKey));
    const tinyAfter = await tinyWith(newKey);
    // What retiring the old key without this rotation would do to a Tiny account.
    await expect(tinyAfter.tokens.getAccessToken(seeded[0]!.id)).rejects.toMatchObject({ code: "internal", retryable: false });

    const both = await createTokenCipher(`${newKey},${oldKey}`);
    const result = await rotateTokenKeys({ ctx: { db: database.db, transaction: (fn) => database.db.transaction((tx) => fn(tx)) }, input: { cipher: both, batchSize: 2 } });
    expect(result.failed).toEqual([]);
    expect(result.byTable.tiny_accounts).toEqual({ resealed: 3, skipped: 0, failed: [] });
    expect(result.byTable.ml_accounts!.resealed).toBeGreaterThanOrEqual(1);
    expect((await rotateTokenKeys({ ctx: { db: database.db, transaction: (fn) => database.db.transaction((tx) => fn(tx)) }, input: { cipher: both } })).resealed).toBe(0);

    const newOnly = await createTokenCipher(newKey);
    for (const { id, accessToken, refreshToken } of seeded) {
      const row = (await findTinyAccount(database.db, id))!;
      expect(row.tokenKeyId).toBe("new");
      expect(row.accessTokenEnc).toMatch(/^v1\.new\./);
      expect(row.refreshTokenEnc).toMatch(/^v1\.new\./);
      expect(row.status).toBe("active");
      expect((await tinyAfter.tokens.getAccessToken(id)).token).toBe(accessToken);
      // Tiny rotates refresh tokens, so the row holds the grant's only live copy: it must open too.
      expect(await newOnly.open(row.refreshTokenEnc!, tinyTokenContext(id, "refresh"))).toBe(refreshToken);
    }
    expect((await findMlAccount(database.db, mlSeeded.id))!.tokenKeyId).toBe("new");
    expect((await (await servicesWith(newKey)).tokens.getAccessToken(mlSeeded.id)).token).toBe(mlSeeded.accessToken);
  });

  it("a key missing from the keyring is an operator error, not a revoked grant: the account stays active", async () => {
    const ml = await servicesWith(oldKey);
    const seeded = await seedAccount(ml);
    const withoutOld = await servicesWith(newKey);
    await expect(withoutOld.tokens.getAccessToken(seeded.id)).rejects.toMatchObject({ code: "internal", retryable: false });
    expect((await findMlAccount(database.db, seeded.id))!.status).toBe("active");
  });
});

describe("scheduled refresh and keep-alive (BullMQ)", () => {
  it("registers the 10-minute sweep scheduler at start-up", async () => {
    const prefix = `${resources.prefix}-sched`;
    const running = await startJobs(
      resources.env({ REDIS_KEY_PREFIX: prefix, ML_API_URL: sandbox.url, ML_APP_ID: sandbox.appId, ML_CLIENT_SECRET: sandbox.clientSecret, TOKEN_ENCRYPTION_KEYS: newKey }),
      { log: memoryLogger(), processors: {}, schedulers: true },
    );
    const queue = new Queue("ml-token-refresh", { connection: { host: "127.0.0.1", port: 6379 }, prefix });
    try {
      const schedulers = await waitFor(async () => {
        const list = await queue.getJobSchedulers();
        return list.length > 0 ? list : undefined;
      }, "the token sweep scheduler");
      expect(schedulers).toEqual([expect.objectContaining({ key: "scheduler:ml.tokens.sweep", name: "ml.tokens.sweep", every: 600_000 })]);
    } finally {
      await queue.close();
      await running.close();
    }
  });

  it("refreshes accounts expiring within the hour, keeps idle ones alive, warns before revocation, and one dead grant blocks no one", async () => {
    const ml = await servicesWith(newKey);
    const now = Date.now();
    const dueSoon = await seedAccount(ml, { expiresInMs: 30 * 60_000 });
    const fresh = await seedAccount(ml, { expiresInMs: 5 * 3600_000, lastApiCallAt: new Date(now) });
    const idle = await seedAccount(ml, { lastApiCallAt: new Date(now - 40 * day) });
    const nearRevocation = await seedAccount(ml, { lastApiCallAt: new Date(now - 110 * day) });
    const deadGrant = await seedAccount(ml, { expiresInMs: 10 * 60_000 });
    // The dead grant: ML rotated its refresh token and our copy is stale (as after a crash).
    sandbox.ctx.state.refreshTokens.delete(deadGrant.refreshToken);
    const freshBefore = (await findMlAccount(database.db, fresh.id))!;

    const prefix = `${resources.prefix}-sweep`;
    const running = await startJobs(
      resources.env({ REDIS_KEY_PREFIX: prefix, ML_API_URL: sandbox.url, ML_APP_ID: sandbox.appId, ML_CLIENT_SECRET: sandbox.clientSecret, TOKEN_ENCRYPTION_KEYS: newKey }),
      { log: memoryLogger(), schedulers: false, processors: (await import("../src/processors")).processors },
    );
    const queue = new Queue("ml-token-refresh", { connection: { host: "127.0.0.1", port: 6379 }, prefix });
    try {
      const sweep = await queue.add("ml.tokens.sweep", { spreadMs: 0 });
      await waitFor(async () => ((await sweep.getState()) === "completed" ? true : undefined), "the sweep");
      const swept = (await queue.getJob(sweep.id!))!.returnvalue as { enqueued: number; warned: number };
      expect(swept.warned).toBe(1);
      await waitFor(
        async () => {
          const counts = await queue.getJobCounts("waiting", "delayed", "active", "prioritized");
          return Object.values(counts).every((n) => n === 0) ? true : undefined;
        },
        "the per-account jobs",
        20_000,
      );

      const dueAfter = (await findMlAccount(database.db, dueSoon.id))!;
      expect(dueAfter.status).toBe("active");
      expect(dueAfter.accessExpiresAt!.getTime()).toBeGreaterThan(now + 5 * 3600_000);

      const freshAfter = (await findMlAccount(database.db, fresh.id))!;
      expect(freshAfter.accessTokenEnc).toBe(freshBefore.accessTokenEnc);

      const idleAfter = (await findMlAccount(database.db, idle.id))!;
      expect(idleAfter.lastApiCallAt!.getTime()).toBeGreaterThan(now - 60_000);

      const nearAfter = (await findMlAccount(database.db, nearRevocation.id))!;
      expect(nearAfter.lastApiCallAt!.getTime()).toBeGreaterThan(now - 60_000);
      expect((await listMlAccountEvents(database.db, nearRevocation.id)).map((e) => e.type)).toContain("inactivity_warning");

      const deadAfter = (await findMlAccount(database.db, deadGrant.id))!;
      expect(deadAfter.status).toBe("reauth_required");
      expect(deadAfter.refreshTokenEnc).toBeNull();
      expect((await listMlAccountEvents(database.db, deadGrant.id)).map((e) => e.type)).toEqual(["reauth_required"]);

      // A second sweep leaves the reauth_required account alone and does not warn twice the same day.
      const second = await queue.add("ml.tokens.sweep", { spreadMs: 0 });
      await waitFor(async () => ((await second.getState()) === "completed" ? true : undefined), "the second sweep");
      const secondResult = (await queue.getJob(second.id!))!.returnvalue as { warned: number };
      expect(secondResult.warned).toBe(0);
    } finally {
      await queue.close();
      await running.close();
    }
  });
});
