import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uuidv7 } from "#core/ids";
import { createRedisQuotaStore, createTinyQuota, createTinyServices, tinyDefaults, TinyApiError, type TinyQuota, type TinyQuotaSettings } from "#integrations/tiny";
import { createTokenCipher, generateTokenKey } from "#core/token-cipher";
import { createNodeDb } from "#db/client-node";
import { insertTinyAccount } from "#db/queries/tiny";
import { insertUser } from "#db/queries/users";
import { startTinySandbox, type TinySandbox } from "#dev/sandbox/tiny";
import { createTestResources, memoryLogger, type TestResources } from "./support/resources";

let resources: TestResources;
let redis: Redis;

beforeAll(async () => {
  resources = await createTestResources();
  redis = new Redis("redis://127.0.0.1:6379");
}, 60_000);

afterAll(async () => {
  await redis?.quit();
  await resources?.cleanup();
});

/** One "container": its own quota object over the shared Redis, as every jobs replica and Worker isolate has. */
function caller(prefix: string, settings: Partial<TinyQuotaSettings> = {}): TinyQuota {
  const store = createRedisQuotaStore((script, keys, args) => redis.eval(script, keys.length, ...keys, ...args), prefix);
  return createTinyQuota({ store, settings: { ...tinyDefaults.quota, ...settings } });
}

const outcome = (p: Promise<void>) =>
  p.then(
    () => "granted",
    (error: unknown) => (error instanceof TinyApiError && error.code === "rate_limited" ? `limited:${error.retryAfterSeconds}` : `error:${String(error)}`),
  );

describe("the company-wide Tiny quota (Redis)", () => {
  it("two callers of one company share the burst and the minute budget; other companies are untouched", async () => {
    const prefix = `${resources.prefix}:tiny-quota:${uuidv7()}`;
    const a = caller(prefix, { burstPerSecond: 3, readsPerMinute: 5 });
    const b = caller(prefix, { burstPerSecond: 3, readsPerMinute: 5 });
    const results = await Promise.all([
      ...Array.from({ length: 4 }, () => outcome(a.acquire("111", "read", { maxWaitMs: 0 }))),
      ...Array.from({ length: 4 }, () => outcome(b.acquire("111", "read", { maxWaitMs: 0 }))),
    ]);
    expect(results.filter((r) => r === "granted")).toHaveLength(3);
    expect(results.filter((r) => r.startsWith("limited:"))).toHaveLength(5);
    // Writes have their own budget, and another company its own.
    expect(await outcome(a.acquire("111", "write", { maxWaitMs: 0 }))).toBe("granted");
    expect(await outcome(b.acquire("222", "read", { maxWaitMs: 0 }))).toBe("granted");

    // Waiting is allowed up to maxWaitMs: the sliding burst window frees a slot after about a second.
    const started = Date.now();
    await a.acquire("111", "read", { maxWaitMs: 1_500 });
    await b.acquire("111", "read", { maxWaitMs: 1_500 });
    expect(Date.now() - started).toBeLessThan(1_500);
    // Five of the minute are spent: the sixth would wait for the next minute, beyond any short wait.
    const sixth = await outcome(b.acquire("111", "read", { maxWaitMs: 2_000 }));
    expect(sixth).toMatch(/^limited:\d+$/);
  });

  it("a 429 or an exhausted window seen by one caller blocks every caller of the company until Tiny's reset", async () => {
    const prefix = `${resources.prefix}:tiny-quota:${uuidv7()}`;
    const a = caller(prefix, { burstPerSecond: 100, readsPerMinute: 1_000 });
    const b = caller(prefix, { burstPerSecond: 100, readsPerMinute: 1_000 });
    await a.observe("333", "read", 429, new Headers({ "x-ratelimit-limit": "30", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "7" }));
    expect(await outcome(b.acquire("333", "read", { maxWaitMs: 0 }))).toBe("limited:7");
    expect(await outcome(b.acquire("333", "write", { maxWaitMs: 0 }))).toBe("granted");

    await a.observe("444", "write", 200, new Headers({ "x-ratelimit-remaining": "0", "x-ratelimit-reset": "2" }));
    expect(await outcome(b.acquire("444", "write", { maxWaitMs: 0 }))).toBe("limited:2");
    // A shorter reset reported later never shortens a block already in place.
    await a.observe("444", "write", 429, new Headers({ "x-ratelimit-reset": "1" }));
    expect(await outcome(b.acquire("444", "write", { maxWaitMs: 0 }))).toBe("limited:2");
    // No reset header at all (Tiny sends none on some 429s): a full minute.
    await a.observe("555", "read", 429, new Headers());
    expect(await outcome(b.acquire("555", "read", { maxWaitMs: 0 }))).toBe("limited:60");
    // Healthy answers change nothing.
    await a.observe("666", "read", 200, new Headers({ "x-ratelimit-remaining": "12", "x-ratelimit-reset": "40" }));
    expect(await outcome(b.acquire("666", "read", { maxWaitMs: 0 }))).toBe("granted");
  });
});

describe("the client against the sandbox's real quota", () => {
  let sandbox: TinySandbox;
  let database: ReturnType<typeof createNodeDb>;

  beforeAll(async () => {
    // Tiny's side: 12 reads a minute, 4 a second, for the whole company (the sandbox's one account).
    sandbox = await startTinySandbox({ port: 0, seed: 9, products: 5, quotas: { readPerMinute: 12, writePerMinute: 12, burstPerSecond: 4 } });
    database = createNodeDb(resources.databaseUrl, { max: 8 });
  }, 60_000);

  afterAll(async () => {
    await database?.close();
    await sandbox?.close();
  });

  it("three concurrent workers of one company stay inside Tiny's limits: no 429 from Tiny, then a clean 429 of ours", async () => {
    const user = await insertUser(database.db, { email: `tq-${uuidv7()}@example.com`, name: null, passwordHash: "x" });
    const prefix = `${resources.prefix}:tiny-quota:${uuidv7()}`;
    const tokenKeys = generateTokenKey("q1");
    const build = async () =>
      createTinyServices({
        db: database.db,
        transaction: (fn) => database.db.transaction((tx) => fn(tx)),
        cipher: await createTokenCipher(tokenKeys),
        config: {
          apiUrl: sandbox.apiUrl,
          authUrl: sandbox.authUrl.replace(/\/auth$/, ""),
          clientId: sandbox.clientId,
          clientSecret: sandbox.clientSecret,
          redirectUri: "",
          timeoutMs: 5_000,
          maxAttempts: 3,
          refreshMarginSeconds: 300,
          // Our share: 10 of the 12 reads a minute, 3 of the 4 a second.
          quota: { readsPerMinute: 10, writesPerMinute: 10, burstPerSecond: 3, maxWaitMs: 5_000 },
        },
        quotaStore: createRedisQuotaStore((script, keys, args) => redis.eval(script, keys.length, ...keys, ...args), prefix),
        log: memoryLogger(),
      });
    const first = await build();
    const minted = await sandbox.issueTokens();
    const id = uuidv7();
    const now = Date.now();
    const sealed = await first.tokens.sealTokens(id, {
      accessToken: minted.access_token,
      refreshToken: minted.refresh_token,
      expiresInSeconds: minted.expires_in,
      accessExpiresAt: new Date(now + 4 * 3600_000),
      refreshExpiresAt: new Date(now + 24 * 3600_000),
    });
    await insertTinyAccount(database.db, { id, userId: user!.id, companyName: "Quota Ltda", tradeName: null, cnpj: "12345678000195", ...sealed, now: new Date() });
    sandbox.counters.reset();

    const workers = await Promise.all([build(), build(), build()]);
    const started = performance.now();
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        workers[i % 3]!.client.forAccount(id)
          .listProducts({ limit: 1 })
          .then(
            () => "ok",
            (error: unknown) => (error instanceof TinyApiError ? error.code : String(error)),
          ),
      ),
    );
    const elapsedMs = Math.round(performance.now() - started);
    const byStatus = sandbox.counters.snapshot()["GET /public-api/v3/produtos"]?.byStatus ?? {};
    console.info(JSON.stringify({ measurement: "tiny: 12 concurrent reads by 3 workers, budget 10/min 3/s vs Tiny 12/min 4/s", elapsedMs, outcomes: countBy(outcomes), tinyByStatus: byStatus }));
    expect(outcomes.filter((o) => o === "ok")).toHaveLength(10);
    expect(outcomes.filter((o) => o === "rate_limited")).toHaveLength(2);
    // Tiny never had to refuse anything, and saw only the ten calls our budget let through.
    expect(byStatus["429"] ?? 0).toBe(0);
    expect(byStatus["200"]).toBe(10);
    // At most 3 in any 1.1 s: ten calls cannot finish in under three windows.
    expect(elapsedMs).toBeGreaterThanOrEqual(2_000);
  });
});

function countBy(values: string[]): Record<string, number> {
  return values.reduce<Record<string, number>>((acc, v) => ({ ...acc, [v]: (acc[v] ?? 0) + 1 }), {});
}
