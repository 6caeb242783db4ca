/**
 * Tiny product sync benchmark (docs/tiny.md): a full ML → Tiny product sync of 10,000 listings
 * against the Tiny sandbox with quotas disabled — wall time and calls against the minimum
 * (1 Tiny lookup + 1 Tiny write + 1 ML description read per new product) — then the rerun, which
 * must write nothing. With Tiny's real quota (30 writes/min) the first run would be bounded by the
 * quota, not by us.
 *
 * The listings are the ML sandbox demo seller's real items (ids, titles, prices, GTINs, SKUs), so
 * the description reads go through the ML client, its tokens and the per-account rate limit
 * (Redis) exactly as in the jobs container. Listings with variations are stored as simple rows
 * (no variation rows): every listing then costs the same minimum, and the variation path has its
 * own tests.
 *
 * `npm run bench -- tiny-products`, or `npx tsx bench/tiny-products.ts`. TINY_PRODUCTS_BENCH_SIZE=1000 shrinks it.
 */
import { randomBytes } from "node:crypto";
import { loadavg } from "node:os";
import { Redis } from "ioredis";
import { uuidv7 } from "#core/ids";
import { createLogger } from "#core/log";
import { createMlServices, mlDefaults } from "#integrations/mercadolibre";
import { createMemoryQuotaStore, createTinyServices, tinyDefaults } from "#integrations/tiny";
import { createTokenCipher } from "#core/token-cipher";
import { createNodeDb } from "#db/client-node";
import { dropDatabase, ensureDatabase, migrateDatabase } from "#db/migrate";
import { insertTinyAccount } from "#db/queries/tiny";
import { claimProductSyncRun, findProductSyncRun } from "#db/queries/tiny-product-sync";
import { mlListings } from "#db/schema";
import { DEMO_SELLER_ID, startMlSandbox } from "#dev/sandbox/ml";
import { startTinySandbox } from "#dev/sandbox/tiny";
import { deleteKeysWithPrefix } from "#dev/stack/redis-keys";
import { tinyProductSync } from "../jobs/src/processors/tiny/product-sync";
import type { JobContext, JobServices } from "../jobs/src/processors/types";
import { JobMetrics } from "../jobs/src/runtime/metrics";
import { connectSandboxSeller, randomTokenKeys } from "#test/support/ml-seller";
import { machineLine, writeSection } from "./lib";

const size = Number(process.env.TINY_PRODUCTS_BENCH_SIZE ?? 10_000);
const databaseUrl = `postgres://postgres@127.0.0.1:5432/autoecom_bench_${randomBytes(4).toString("hex")}`;
const redisUrl = "redis://127.0.0.1:6379";
const keyPrefix = `bench-tiny-products-${randomBytes(4).toString("hex")}`;
const descriptionRoute = "GET /items/:id/description";
const log = createLogger({}, "warn");

class Deferred extends Error {}

await ensureDatabase(databaseUrl);
await migrateDatabase(databaseUrl);
const database = createNodeDb(databaseUrl, { max: 8 });
const redis = new Redis(redisUrl);
const tinySandbox = await startTinySandbox({ port: 0, seed: 1, products: 0, quotas: { enabled: false } });
const mlSandbox = await startMlSandbox({ port: 0, seed: 1, listings: size, orders: 0, questions: 0, claims: 0 });
try {
  const tokenKeys = randomTokenKeys();
  // One keyring for both providers, as the jobs container builds it.
  const cipher = await createTokenCipher(tokenKeys);
  const tiny = createTinyServices({
    db: database.db,
    transaction: (fn) => database.db.transaction((tx) => fn(tx)),
    cipher,
    config: {
      apiUrl: tinySandbox.apiUrl,
      authUrl: tinySandbox.authUrl.replace(/\/auth$/, ""),
      clientId: tinySandbox.clientId,
      clientSecret: tinySandbox.clientSecret,
      redirectUri: "",
      timeoutMs: 10_000,
      maxAttempts: 3,
      refreshMarginSeconds: tinyDefaults.refreshMarginSeconds,
      quota: { ...tinyDefaults.quota, readsPerMinute: 10_000_000, writesPerMinute: 10_000_000, burstPerSecond: 1_000_000 },
    },
    quotaStore: createMemoryQuotaStore(),
    log,
  });
  const ml = createMlServices({
    db: database.db,
    transaction: (fn) => database.db.transaction((tx) => fn(tx)),
    cipher,
    config: {
      apiUrl: mlSandbox.url,
      appId: mlSandbox.appId,
      clientSecret: mlSandbox.clientSecret,
      redirectUri: "",
      timeoutMs: 10_000,
      maxAttempts: mlDefaults.maxAttempts,
      refreshMarginSeconds: mlDefaults.refreshMarginSeconds,
    },
    log,
  });
  const { userId, accountId: mlAccountId } = await connectSandboxSeller({
    databaseUrl,
    tokenKeys,
    sandbox: { url: mlSandbox.url, appId: mlSandbox.appId, clientSecret: mlSandbox.clientSecret },
    mlUserId: DEMO_SELLER_ID,
  });

  const itemIds = mlSandbox.ctx.state.sellerItems.get(DEMO_SELLER_ID) ?? [];
  if (itemIds.length < size) throw new Error(`the ML sandbox seeded ${itemIds.length} listings, not ${size}`);
  const fetchedAt = new Date();
  for (let start = 0; start < size; start += 1_000) {
    await database.db.insert(mlListings).values(
      itemIds.slice(start, Math.min(start + 1_000, size)).map((id) => {
        const item = mlSandbox.ctx.state.items.get(id);
        if (!item) throw new Error(`ML sandbox item ${id} vanished`);
        return {
          accountId: mlAccountId,
          mlItemId: item.id,
          title: item.title,
          price: item.price.toFixed(2),
          // The sync leaves closed listings out; every row stays in scope so a run covers `size` listings.
          status: "active",
          // About half the seed's simple listings and none of its variation parents carry a SKU;
          // a listing without one would only be reported, so it gets a stable made-up one.
          sellerSku: item.sku ?? `BENCH-${item.id}`,
          gtin: item.variations?.length ? null : (item.gtin ?? null),
          mlLastUpdated: new Date(item.updated),
          fetchedAt,
        };
      }),
    );
  }
  const minted = await tinySandbox.issueTokens();
  const tinyAccountId = uuidv7();
  const sealed = await tiny.tokens.sealTokens(tinyAccountId, {
    accessToken: minted.access_token,
    refreshToken: minted.refresh_token,
    expiresInSeconds: minted.expires_in,
    accessExpiresAt: new Date(Date.now() + minted.expires_in * 1000),
    refreshExpiresAt: new Date(Date.now() + minted.refresh_expires_in * 1000),
  });
  await insertTinyAccount(database.db, { id: tinyAccountId, userId, companyName: "Bench", tradeName: null, cnpj: "12345678000199", ...sealed, now: new Date() });

  const services: JobServices = {
    redis,
    keyPrefix,
    ml: ml.client,
    mlTokens: ml.tokens,
    mlAppId: mlSandbox.appId,
    // High enough never to wait: the bench measures the sync, not the production pacing.
    mlLimits: { accountConcurrency: 4, appRate: { initial: 1_000_000, min: 1_000_000, max: 1_000_000 } },
    metrics: new JobMetrics(),
    tiny,
    retention: { webhookEventsDays: 90 },
  };

  /** One run to the end, re-entering after each time slice as the job queue would. */
  async function run() {
    const claimed = await claimProductSyncRun(database.db, { userId, tinyAccountId, trigger: "api", requestedBy: userId, now: new Date() });
    if (!claimed.created) throw new Error("live run");
    tinySandbox.counters.reset();
    mlSandbox.counters.reset();
    const started = performance.now();
    for (;;) {
      const ctx: JobContext<"tinyerp.products.sync"> = {
        job: { id: "bench", name: "tinyerp.products.sync", queue: "tinyerp-sync", attempt: 1, maxAttempts: 1, enqueuedAt: Date.now() },
        log,
        db: database.db,
        signal: new AbortController().signal,
        services,
        enqueue: () => Promise.reject(new Error("not in the bench")),
        now: () => new Date(),
        defer: () => Promise.reject(new Deferred()),
        progress: () => Promise.resolve(),
      };
      try {
        await tinyProductSync({ runId: claimed.run.id }, ctx);
        break;
      } catch (error) {
        if (!(error instanceof Deferred)) throw error;
      }
    }
    const seconds = (performance.now() - started) / 1000;
    const finished = (await findProductSyncRun(database.db, claimed.run.id))!;
    const counts = tinySandbox.counters.counts();
    const reads = Object.entries(counts)
      .filter(([k]) => k.startsWith("GET "))
      .reduce((n, [, v]) => n + v, 0);
    const writes = Object.entries(counts)
      .filter(([k]) => !k.startsWith("GET "))
      .reduce((n, [, v]) => n + v, 0);
    const mlCounts = mlSandbox.counters.counts();
    const mlDescriptions = mlCounts[descriptionRoute] ?? 0;
    const mlOther = mlSandbox.counters.total() - mlDescriptions;
    return { seconds, reads, writes, mlDescriptions, mlOther, mlCounts, status: finished.status, counts: finished.counts, problems: finished.problems.slice(0, 5) };
  }

  // Other work on the machine (test runs, other benches) skews wall time; the section says how busy it was.
  const loadBefore = loadavg()[0]!;
  const first = await run();
  const rerun = await run();
  const loadAfter = loadavg()[0]!;
  console.log(JSON.stringify({ size, first, rerun }));
  const calls = (r: typeof first) => r.reads + r.writes + r.mlDescriptions + r.mlOther;
  const row = (label: string, r: typeof first) =>
    `| ${label} | ${r.status} | ${r.seconds.toFixed(1)} s | ${Math.round(size / r.seconds)} | ${r.reads} | ${r.writes} | ${r.mlDescriptions}${r.mlOther ? ` (+${r.mlOther} other)` : ""} | ${(calls(r) / size).toFixed(2)} | ${r.counts.created ?? 0} / ${r.counts.updated ?? 0} / ${r.counts.unchanged ?? 0} | ${r.counts.problems ?? 0} |`;
  const mlRate = 5;
  await writeSection(
    "tiny-products",
    `## Tiny product sync (${size.toLocaleString("en")} ML listings → Tiny, quotas disabled)

${machineLine()}; 1-minute load ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after. One job; Tiny and ML sandboxes in-process, Postgres and Redis local. The listings are the ML sandbox
demo seller's items (real ids; the seed's SKU, or a made-up one for the listings that have none; listings with variations
stored as simple rows). New products read their description from ML through the ML client and the per-account rate limit
(set high here). Minimum for a new product: 1 Tiny lookup + 1 Tiny write + 1 ML description read (3 calls per item).

| run | status | wall time | items/s | Tiny reads | Tiny writes | ML description reads | calls/item | created / updated / unchanged | problems |
|---|---|---|---|---|---|---|---|---|---|
${row("first (all new)", first)}
${row("rerun (nothing changed)", rerun)}

With Tiny's default quota (30 writes/min per company) the first run's ${first.writes.toLocaleString("en")} writes alone take ≈ ${Math.ceil(first.writes / 30)} minutes; the
${first.mlDescriptions.toLocaleString("en")} ML description reads at the default ${mlRate} calls/s for the whole application (ML_APP_RATE_PER_SECOND, before it adapts) would take ≈ ${Math.ceil(first.mlDescriptions / mlRate / 60)} minutes on their
own, and each runs just before a write, so they hide inside the writes' wait. The rerun reads nothing from ML and is bounded by its Tiny reads (30/min).`,
  );
} finally {
  await mlSandbox.close();
  await tinySandbox.close();
  await redis.quit();
  await database.close();
  await dropDatabase(databaseUrl);
  await deleteKeysWithPrefix(redisUrl, keyPrefix);
}
