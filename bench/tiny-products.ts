/**
 * Tiny product sync benchmark (docs/tiny.md): a full ML → Tiny product sync of 10,000 listings
 * against the Tiny sandbox with quotas disabled — wall time and Tiny calls against the minimum
 * (1 lookup + 1 write per new product) — then the rerun, which must write nothing. With Tiny's
 * real quota (30 writes/min) the first run would be bounded by the quota, not by us.
 *
 * `npm run bench -- tiny-products`, or `npx tsx bench/tiny-products.ts`. TINY_PRODUCTS_BENCH_SIZE=1000 shrinks it.
 */
import { randomBytes } from "node:crypto";
import { uuidv7 } from "../core/ids";
import { createLogger } from "../core/log";
import { createMemoryQuotaStore, createTinyServices, tinyDefaults } from "../core/tiny";
import { createTokenCipher, generateTokenKey } from "../core/token-cipher";
import { createNodeDb } from "../db/client-node";
import { dropDatabase, ensureDatabase, migrateDatabase } from "../db/migrate";
import { insertTinyAccount } from "../db/queries/tiny";
import { claimProductSyncRun, findProductSyncRun } from "../db/queries/tiny-product-sync";
import { insertUser } from "../db/queries/users";
import { mlAccounts, mlListings } from "../db/schema";
import { startTinySandbox } from "../dev/sandbox/tiny";
import { tinyProductSync } from "../jobs/src/processors/tiny/product-sync";
import type { JobContext } from "../jobs/src/processors/types";
import { machineLine, writeSection } from "./lib";

const size = Number(process.env.TINY_PRODUCTS_BENCH_SIZE ?? 10_000);
const databaseUrl = `postgres://postgres@127.0.0.1:5432/autoecom_bench_${randomBytes(4).toString("hex")}`;
const log = createLogger({}, "warn");

class Deferred extends Error {}

await ensureDatabase(databaseUrl);
await migrateDatabase(databaseUrl);
const database = createNodeDb(databaseUrl, { max: 8 });
const sandbox = await startTinySandbox({ port: 0, seed: 1, products: 0, quotas: { enabled: false } });
try {
  const tiny = createTinyServices({
    db: database.db,
    transaction: (fn) => database.db.transaction((tx) => fn(tx)),
    cipher: await createTokenCipher(generateTokenKey("bench")),
    config: {
      apiUrl: sandbox.apiUrl,
      authUrl: sandbox.authUrl.replace(/\/auth$/, ""),
      clientId: sandbox.clientId,
      clientSecret: sandbox.clientSecret,
      redirectUri: "",
      timeoutMs: 10_000,
      maxAttempts: 3,
      refreshMarginSeconds: tinyDefaults.refreshMarginSeconds,
      quota: { ...tinyDefaults.quota, readsPerMinute: 10_000_000, writesPerMinute: 10_000_000, burstPerSecond: 1_000_000 },
    },
    quotaStore: createMemoryQuotaStore(),
    log,
  });
  const user = await insertUser(database.db, { email: `bench-${uuidv7()}@example.com`, name: null, passwordHash: "x" });
  const userId = user!.id;
  const mlAccountId = uuidv7();
  await database.db.insert(mlAccounts).values({ id: mlAccountId, userId, mlUserId: 555_000_001, nickname: "BENCH", siteId: "MLB" });
  const now = new Date();
  for (let start = 0; start < size; start += 1_000) {
    await database.db.insert(mlListings).values(
      Array.from({ length: Math.min(1_000, size - start) }, (_, i) => ({
        accountId: mlAccountId,
        mlItemId: `MLB${String(start + i).padStart(9, "0")}`,
        title: `Produto ${start + i}`,
        price: `${10 + ((start + i) % 90)}.90`,
        status: "active",
        sellerSku: `BENCH-${start + i}`,
        mlLastUpdated: now,
        fetchedAt: now,
      })),
    );
  }
  const minted = await sandbox.issueTokens();
  const tinyAccountId = uuidv7();
  const sealed = await tiny.tokens.sealTokens(tinyAccountId, {
    accessToken: minted.access_token,
    refreshToken: minted.refresh_token,
    expiresInSeconds: minted.expires_in,
    accessExpiresAt: new Date(Date.now() + minted.expires_in * 1000),
    refreshExpiresAt: new Date(Date.now() + minted.refresh_expires_in * 1000),
  });
  await insertTinyAccount(database.db, { id: tinyAccountId, userId, companyName: "Bench", tradeName: null, cnpj: "12345678000199", ...sealed, now });

  /** One run to the end, re-entering after each time slice as the job queue would. */
  async function run() {
    const claimed = await claimProductSyncRun(database.db, { userId, tinyAccountId, trigger: "api", requestedBy: userId, now: new Date() });
    if (!claimed.created) throw new Error("live run");
    sandbox.counters.reset();
    const started = performance.now();
    for (;;) {
      const ctx = {
        job: { id: "bench", name: "tinyerp.products.sync", queue: "tinyerp-sync", attempt: 1, maxAttempts: 1, enqueuedAt: Date.now() },
        log,
        db: database.db,
        signal: new AbortController().signal,
        services: { tiny },
        enqueue: () => Promise.reject(new Error("not in the bench")),
        defer: () => Promise.reject(new Deferred()),
        progress: () => Promise.resolve(),
      } as unknown as JobContext<"tinyerp.products.sync">;
      try {
        await tinyProductSync({ runId: claimed.run.id }, ctx);
        break;
      } catch (error) {
        if (!(error instanceof Deferred)) throw error;
      }
    }
    const seconds = (performance.now() - started) / 1000;
    const finished = (await findProductSyncRun(database.db, claimed.run.id))!;
    const counts = sandbox.counters.counts();
    const reads = Object.entries(counts).filter(([k]) => k.startsWith("GET ")).reduce((n, [, v]) => n + v, 0);
    const writes = Object.entries(counts).filter(([k]) => !k.startsWith("GET ")).reduce((n, [, v]) => n + v, 0);
    return { seconds, reads, writes, status: finished.status, counts: finished.counts };
  }

  const first = await run();
  const rerun = await run();
  console.log(JSON.stringify({ size, first, rerun }));
  const row = (label: string, r: typeof first) =>
    `| ${label} | ${r.status} | ${r.seconds.toFixed(1)} s | ${Math.round(size / r.seconds)} | ${r.reads} | ${r.writes} | ${((r.reads + r.writes) / size).toFixed(2)} | ${r.counts.created ?? 0} / ${r.counts.updated ?? 0} / ${r.counts.unchanged ?? 0} |`;
  await writeSection(
    "tiny-products",
    `## Tiny product sync (${size.toLocaleString("en")} ML listings → Tiny, quotas disabled)

${machineLine()}. One job, sandbox in-process, Postgres local. Minimum for a new product: 1 lookup + 1 write (2 calls per item).

| run | status | wall time | items/s | Tiny reads | Tiny writes | calls/item | created / updated / unchanged |
|---|---|---|---|---|---|---|---|
${row("first (all new)", first)}
${row("rerun (nothing changed)", rerun)}

With Tiny's default quota (30 writes/min per company) the first run's ${first.writes.toLocaleString("en")} writes alone take ≈ ${Math.ceil(first.writes / 30)} minutes; the rerun is bounded by its reads (30/min) instead.`,
  );
} finally {
  await sandbox.close();
  await database.close();
  await dropDatabase(databaseUrl);
}
