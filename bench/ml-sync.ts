/**
 * ML sync benchmark (docs/ml-sync.md): full syncs of 10,000 and 100,000 sandbox listings and of
 * 100,000 orders — wall time, ML calls against the minimum, peak memory of this process (which
 * plays the jobs container; the sandbox runs in a child process so its memory is not counted) —
 * then p99 of the /ml/listings and /ml/orders queries with 100,000 rows, first page and deep cursor.
 *
 * `npm run bench -- ml-sync`, or `npx tsx bench/ml-sync.ts`. ML_SYNC_BENCH_SIZES=1000 shrinks it.
 */
import { fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { createLogger } from "#core/log";
import { createMlServices } from "#integrations/mercadolibre";
import { createTokenCipher } from "#core/token-cipher";
import { createNodeDb } from "#db/client-node";
import { dropDatabase, ensureDatabase, migrateDatabase } from "#db/migrate";
import { listListings, listOrders } from "#db/queries/ml-read";
import { claimSyncSlot } from "#db/queries/ml-sync";
import { runSyncRun } from "../jobs/src/processors/mercadolibre/sync";
import type { JobContext } from "../jobs/src/processors/types";
import { JobMetrics } from "../jobs/src/runtime/metrics";
import { connectSandboxSeller, randomTokenKeys } from "#test/support/ml-seller";
import { machineLine, writeSection } from "./lib";

interface Ready {
  url: string;
  appId: string;
  clientSecret: string;
}

const DEMO = 410_000_001;

if (process.argv.includes("--serve")) {
  const { startMlSandbox } = await import("#dev/sandbox/ml");
  const listings = Number(process.argv[process.argv.indexOf("--serve") + 1]);
  const orders = Number(process.argv[process.argv.indexOf("--serve") + 2]);
  const sb = await startMlSandbox({ port: 0, listings, orders, questions: 0, claims: 0, secondSellerListings: 1 });
  process.send?.({ url: sb.url, appId: sb.appId, clientSecret: sb.clientSecret } satisfies Ready);
  process.on("message", () => void sb.close().then(() => process.exit(0)));
} else {
  await main();
}

async function startSandbox(listings: number, orders: number) {
  const child = fork(fileURLToPath(import.meta.url), ["--serve", String(listings), String(orders)], { execArgv: process.execArgv });
  const ready = await new Promise<Ready>((resolve) => child.once("message", (m) => resolve(m as Ready)));
  return { ready, stop: () => new Promise<void>((resolve) => (child.once("exit", () => resolve()), child.send("stop"))) };
}

async function counters(url: string): Promise<Record<string, number>> {
  return ((await (await fetch(`${url}/_sandbox/counters`)).json()) as { counts: Record<string, number> }).counts;
}

/** Samples RSS and heap while `fn` runs; the sync's memory is what it adds over the baseline. */
async function measured<T>(fn: () => Promise<T>): Promise<{ result: T; seconds: number; peakRssMb: number; peakHeapMb: number; baseRssMb: number }> {
  global.gc?.();
  const base = process.memoryUsage();
  let peakRss = base.rss;
  let peakHeap = base.heapUsed;
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }, 50);
  const started = performance.now();
  try {
    const result = await fn();
    return { result, seconds: (performance.now() - started) / 1000, peakRssMb: peakRss / 2 ** 20, peakHeapMb: peakHeap / 2 ** 20, baseRssMb: base.rss / 2 ** 20 };
  } finally {
    clearInterval(timer);
  }
}

interface SyncRow {
  what: string;
  seconds: number;
  perSecond: number;
  calls: string;
  minimum: string;
  peakRssMb: number;
  peakHeapMb: number;
}

async function syncBench(kind: "listings" | "orders", listings: number, orders: number, databaseUrl: string): Promise<SyncRow> {
  const sandbox = await startSandbox(listings, orders);
  const database = createNodeDb(databaseUrl, { max: 12 });
  const redis = new Redis("redis://127.0.0.1:6379");
  const prefix = `bench-mlsync-${randomBytes(4).toString("hex")}`;
  try {
    const tokenKeys = randomTokenKeys();
    // The previous stage's account keeps its rows (the read bench needs them) but frees the seller id.
    await database.db.execute(`update ml_accounts set ml_user_id = 900000000 + floor(random() * 99000000)::bigint where ml_user_id = ${DEMO}`);
    const { accountId } = await connectSandboxSeller({ databaseUrl, tokenKeys, sandbox: sandbox.ready, mlUserId: DEMO });
    const log = createLogger({ service: "bench" }, "warn");
    const ml = createMlServices({
      db: database.db,
      transaction: (fn) => database.db.transaction((tx) => fn(tx)),
      cipher: await createTokenCipher(tokenKeys),
      config: { apiUrl: sandbox.ready.url, appId: sandbox.ready.appId, clientSecret: sandbox.ready.clientSecret, redirectUri: "", timeoutMs: 30_000, maxAttempts: 3, refreshMarginSeconds: 300 },
      log,
    });
    const claimed = await claimSyncSlot(database.db, { accountId, kind, mode: "full", trigger: "bench", requestedBy: null, since: null, now: new Date() });
    if (!claimed.created) throw new Error("run already live");
    const ctx: JobContext<"ml.sync"> = {
      job: { id: `bench-${claimed.run.id}`, name: "ml.sync", queue: "ml-sync", attempt: 1, maxAttempts: 5, enqueuedAt: Date.now() },
      log,
      db: database.db,
      enqueue: () => Promise.reject(new Error("unused")),
      signal: new AbortController().signal,
      services: {
        redis,
        keyPrefix: prefix,
        ml: ml.client,
        mlTokens: ml.tokens,
        mlAppId: sandbox.ready.appId,
        mlLimits: { accountConcurrency: 4, appRate: { initial: 100_000, min: 100_000, max: 100_000 } },
        metrics: new JobMetrics(),
        tiny: null,
        retention: { webhookEventsDays: 90 },
      },
      now: () => new Date(),
      defer: () => Promise.reject(new Error("unused")),
      progress: async () => undefined,
    };
    await fetch(`${sandbox.ready.url}/_sandbox/counters`, { method: "DELETE" });
    const run = await measured(() => runSyncRun(ctx, claimed.run.id));
    const counts = await counters(sandbox.ready.url);
    const n = kind === "listings" ? listings : (await database.db.execute<{ n: number }>(`select count(*)::int as n from ml_orders`)).rows[0]!.n;
    let calls: string;
    let minimum: string;
    if (kind === "listings") {
      const searches = counts["GET /users/:id/items/search"] ?? 0;
      const multigets = counts["GET /items"] ?? 0;
      calls = `${searches} searches + ${multigets} multigets`;
      minimum = `${Math.ceil(n / 100)} + ${Math.ceil(n / 20)}`;
    } else {
      calls = `${counts["GET /orders/search"] ?? 0} searches + ${counts["GET /orders/:id"] ?? 0} GETs`;
      minimum = `${Math.ceil(n / 50)} (+1 per 30-day slice)`;
    }
    console.log(
      `${kind} ${kind === "listings" ? listings : n}: ${run.seconds.toFixed(1)} s, ${calls}, peak RSS ${run.peakRssMb.toFixed(0)} MB (base ${run.baseRssMb.toFixed(0)}), heap ${run.peakHeapMb.toFixed(0)} MB`,
    );
    return {
      what: `${kind} full sync, ${n.toLocaleString("en")} ${kind}`,
      seconds: run.seconds,
      perSecond: n / run.seconds,
      calls,
      minimum,
      peakRssMb: run.peakRssMb,
      peakHeapMb: run.peakHeapMb,
    };
  } finally {
    await redis.quit();
    await database.close();
    await sandbox.stop();
  }
}

function p(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

/** Query latency as the Worker runs it (same query modules), against the 100,000-row account. */
async function readBench(databaseUrl: string): Promise<string[]> {
  const database = createNodeDb(databaseUrl, { max: 4 });
  try {
    const [{ id: accountId }] = (await database.db.execute<{ id: string }>("select account_id as id from ml_listings group by account_id order by count(*) desc limit 1")).rows as [{ id: string }];
    const [{ id: orderAccount }] = (await database.db.execute<{ id: string }>("select account_id as id from ml_orders group by account_id order by count(*) desc limit 1")).rows as [{ id: string }];
    const rows: string[] = [];
    const time = async (name: string, fn: () => Promise<unknown>) => {
      for (let i = 0; i < 20; i++) await fn();
      const samples: number[] = [];
      for (let i = 0; i < 300; i++) {
        const t = performance.now();
        await fn();
        samples.push(performance.now() - t);
      }
      rows.push(`| ${name} | ${p(samples, 0.5).toFixed(2)} | ${p(samples, 0.99).toFixed(2)} | ${Math.max(...samples).toFixed(2)} |`);
      console.log(rows.at(-1));
    };
    const deepListing = (
      await database.db.execute<{ ml_last_updated: Date; id: string }>(
        `select ml_last_updated, id from ml_listings where account_id = '${accountId}' order by ml_last_updated desc, id desc offset 80000 limit 1`,
      )
    ).rows[0]!;
    const deepTitle = (await database.db.execute<{ title: string; id: string }>(`select title, id from ml_listings where account_id = '${accountId}' order by title, id offset 80000 limit 1`))
      .rows[0]!;
    const deepOrder = (
      await database.db.execute<{ ml_date_created: Date; id: string }>(
        `select ml_date_created, id from ml_orders where account_id = '${orderAccount}' order by ml_date_created desc, id desc offset 80000 limit 1`,
      )
    ).rows[0]!;
    await time("GET /ml/listings first page (50, -updated)", () => listListings(database.db, { accountIds: [accountId], sort: "-updated", limit: 51 }));
    await time("GET /ml/listings deep cursor (row 80,000, -updated)", () =>
      listListings(database.db, { accountIds: [accountId], sort: "-updated", after: { value: new Date(deepListing.ml_last_updated).toISOString(), id: deepListing.id }, limit: 51 }),
    );
    await time("GET /ml/listings deep cursor (row 80,000, title)", () =>
      listListings(database.db, { accountIds: [accountId], sort: "title", after: { value: deepTitle.title, id: deepTitle.id }, limit: 51 }),
    );
    await time("GET /ml/listings?status=paused first page", () => listListings(database.db, { accountIds: [accountId], sort: "-updated", status: "paused", limit: 51 }));
    await time("GET /ml/listings?sku= (variation SKU)", () => listListings(database.db, { accountIds: [accountId], sort: "-updated", sku: "VER-000007", limit: 51 }));
    await time("GET /ml/orders first page (50)", () => listOrders(database.db, { accountIds: [orderAccount], limit: 51 }));
    await time("GET /ml/orders deep cursor (row 80,000)", () =>
      listOrders(database.db, { accountIds: [orderAccount], after: { value: new Date(deepOrder.ml_date_created).toISOString(), id: deepOrder.id }, limit: 51 }),
    );
    await time("GET /ml/orders?status=paid first page", () => listOrders(database.db, { accountIds: [orderAccount], status: "paid", limit: 51 }));
    return rows;
  } finally {
    await database.close();
  }
}

async function main(): Promise<void> {
  const sizes = (process.env.ML_SYNC_BENCH_SIZES ?? "10000,100000").split(",").map(Number);
  const databaseUrl = `postgres://postgres@127.0.0.1:5432/autoecom_bench_${randomBytes(4).toString("hex")}`;
  await ensureDatabase(databaseUrl);
  await migrateDatabase(databaseUrl);
  const syncRows: SyncRow[] = [];
  try {
    // Listings first, then orders into the same database, so the read bench sees both tables full.
    for (const size of sizes) {
      // A fresh database per size would hide nothing; reusing it keeps the largest catalogue for the reads.
      syncRows.push(await syncBench("listings", size, 0, databaseUrl));
    }
    const largest = Math.max(...sizes);
    syncRows.push(await syncBench("orders", 1, largest, databaseUrl));
    const readRows = await readBench(databaseUrl);
    const content = [
      "## ML sync (`bench/ml-sync.ts`)",
      "",
      `Machine: ${machineLine()}. The ML sandbox runs in a child process; the sync runs in the benchmark process (standing in for the jobs container) against local Postgres 15 and Redis. Memory is this process's peak RSS and heap while the sync ran. Reads call the same query modules the Worker's /ml routes use, directly against Postgres (no HTTP), 300 samples each after 20 warm-up calls.`,
      "",
      "| sync | wall time s | records/s | ML calls | minimum (⌈N/100⌉ + ⌈N/20⌉ for listings) | peak RSS MB | peak heap MB |",
      "|---|---|---|---|---|---|---|",
      ...syncRows.map((r) => `| ${r.what} | ${r.seconds.toFixed(1)} | ${Math.round(r.perSecond)} | ${r.calls} | ${r.minimum} | ${r.peakRssMb.toFixed(0)} | ${r.peakHeapMb.toFixed(0)} |`),
      "",
      `| query (${largest.toLocaleString("en")} listings / orders in one account) | p50 ms | p99 ms | max ms |`,
      "|---|---|---|---|",
      ...readRows,
    ].join("\n");
    await writeSection("ml-sync", content);
    console.log("\nwritten to docs/benchmarks.md");
  } finally {
    await dropDatabase(databaseUrl);
  }
}
