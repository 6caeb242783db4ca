/**
 * Tiny order push benchmark (docs/tiny.md, "Orders"): N paid ML orders with linked items go through
 * the `tinyerp.order.push` job — the catalog's enqueue, the jobs runtime's real BullMQ workers —
 * against the Tiny sandbox with its default quota and our default share (30 reads and 30 writes a
 * minute, 3 a second). Reports orders/minute, Tiny calls per order (reads/writes, from the sandbox's
 * own counters, so steps added to the push later are counted without changing this file) against
 * the minimum, job latency, Tiny 429s, and how many Tiny orders each ML order became.
 *
 * `npm run bench -- tiny-orders`, or `npx tsx bench/tiny-orders.ts`. TINY_ORDERS_BENCH_SIZE=20 shrinks it.
 */
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { eq } from "drizzle-orm";
import { jobs } from "#core/jobs/catalog";
import { createLogger } from "#core/log";
import { generateTokenKey } from "#core/token-cipher";
import { createNodeDb } from "#db/client-node";
import { tinyOrderPushes } from "#db/schema";
import { startTinySandbox } from "#dev/sandbox/tiny";
import { createEnqueue } from "../jobs/src/queues/enqueue";
import { closeQueues, createQueues } from "../jobs/src/queues/registry";
import { closeRedis, createProducerConnection } from "../jobs/src/redis";
import { startJobs } from "../jobs/src/start";
import { createTestResources } from "../jobs/test/support/resources";
import { sandboxTinyServices } from "../jobs/test/support/tiny";
import { linkToSandboxProducts, seedMlOrder, seedOrderSeller } from "../jobs/test/support/tiny-orders";
import { machineLine, writeSection } from "./lib";

const size = Number(process.env.TINY_ORDERS_BENCH_SIZE ?? 60);
/** Half the orders come from a buyer seen before: Tiny already has the contact, so the push skips creating it. */
const buyers = Math.ceil(size / 2);
const log = createLogger({ service: "bench" }, "warn");
const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : 0);

/** Which code was measured: the commit, and whether (and in what state) the push module was uncommitted. */
function codeVersion(): string {
  const git = (...args: string[]) => execFileSync("git", args, { encoding: "utf8" }).trim();
  const commit = git("rev-parse", "--short", "HEAD");
  const pushFiles = ["domain/orders/tiny-order-push.ts", "domain/orders/tiny-order-followups.ts", "integrations/tiny/orders-api.ts"];
  const dirty = git("status", "--porcelain", "--", ...pushFiles);
  if (!dirty) return `commit ${commit}`;
  const hash = createHash("sha256");
  for (const file of pushFiles) hash.update(readFileSync(new URL(`../${file}`, import.meta.url)).toString());
  return `commit ${commit} with uncommitted changes to the push (${pushFiles.join(", ")}: sha256 ${hash.digest("hex").slice(0, 12)})`;
}

// A throwaway database and Redis prefix, as each test file gets; the jobs runtime's environment comes with them.
const resources = await createTestResources();
const database = createNodeDb(resources.databaseUrl, { max: 8 });
// Default quotas: Tiny's per-company minute buckets and its burst bucket, as the sandbox models them.
const sandbox = await startTinySandbox({ port: 0, seed: 3, products: 20 });
const tokenKeys = generateTokenKey("bench");
const producerConnection = createProducerConnection("redis://127.0.0.1:6379", log);
const queues = createQueues({ connection: producerConnection, prefix: resources.prefix, log });
let running: Awaited<ReturnType<typeof startJobs>> | undefined;
try {
  const tiny = await sandboxTinyServices(database.db, sandbox, tokenKeys, log);
  const seller = await seedOrderSeller(database.db, tiny, sandbox, "bench-orders");
  const { userId, tinyAccountId } = seller;
  // Ten ML listings, each linked to one seeded Tiny product; every order sells two of them.
  const catalogue = Array.from({ length: 10 }, (_, i) => ({ mlItemId: `MLB${900_000_000 + i}`, mlVariationId: null, sku: `SKU-${i + 1}` }));
  await linkToSandboxProducts(database.db, seller, sandbox, catalogue);
  const mlOrderIds = Array.from({ length: size }, (_, i) => 2_100_000_000_000 + i);
  for (const [i, mlOrderId] of mlOrderIds.entries()) {
    const items = [catalogue[i % catalogue.length]!, catalogue[(i + 3) % catalogue.length]!].map((it, position) => ({ ...it, quantity: 1 + position, unitPrice: "50.00" }));
    await seedMlOrder(database.db, seller, { mlOrderId, buyerId: 400_000_000 + (i % buyers), items });
  }

  running = await startJobs(
    resources.env({
      TINY_API_URL: sandbox.apiUrl,
      TINY_AUTH_URL: sandbox.authUrl.replace(/\/auth$/, ""),
      TINY_CLIENT_ID: sandbox.clientId,
      TINY_CLIENT_SECRET: sandbox.clientSecret,
      TOKEN_ENCRYPTION_KEYS: tokenKeys,
    }),
    { log, schedulers: false },
  );
  const enqueue = createEnqueue({ connection: producerConnection, queues });
  const queue = queues[jobs["tinyerp.order.push"].queue];

  sandbox.counters.reset();
  const started = Date.now();
  const jobIds: string[] = [];
  for (const mlOrderId of mlOrderIds) jobIds.push((await enqueue("tinyerp.order.push", { userId, tinyAccountId, mlOrderId })).jobId);
  // Generous: the quota alone allows ~10–15 orders a minute, and a retried job waits 30 s or more.
  const deadline = started + 10 * 60_000 + size * 20_000;
  let finished: Awaited<ReturnType<typeof queue.getJob>>[] = [];
  for (;;) {
    finished = await Promise.all(jobIds.map((id) => queue.getJob(id)));
    const states = await Promise.all(finished.map((job) => job?.getState()));
    const done = states.filter((s) => s === "completed" || s === "failed").length;
    if (done === jobIds.length) break;
    if (Date.now() > deadline) throw new Error(`${jobIds.length - done} pushes still unfinished at the deadline`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  const ended = Math.max(...finished.map((job) => job?.finishedOn ?? 0));
  const minutes = (ended - started) / 60_000;

  const snapshot = sandbox.counters.snapshot();
  const api = Object.entries(snapshot).filter(([key]) => / \/public-api\/v3\//.test(key));
  const sum = (entries: typeof api) => entries.reduce((n, [, v]) => n + v.count, 0);
  const reads = sum(api.filter(([key]) => key.startsWith("GET ")));
  const writes = sum(api.filter(([key]) => !key.startsWith("GET ")));
  const tiny429 = api.reduce((n, [, v]) => n + (v.byStatus["429"] ?? 0), 0);
  const byRoute = api.map(([key, v]) => `${key.replace("/public-api/v3", "")} ${v.count}`).join(", ");

  const tinyOrders = [...sandbox.state().orders.values()];
  const perMlOrder = mlOrderIds.map((id) => tinyOrders.filter((o) => o.ecommerce.numeroPedidoEcommerce === String(id)).length);
  const duplicates = perMlOrder.reduce((n, c) => n + Math.max(0, c - 1), 0);
  const missing = perMlOrder.filter((c) => c === 0).length;
  const pushes = await database.db.select({ status: tinyOrderPushes.status }).from(tinyOrderPushes).where(eq(tinyOrderPushes.tinyAccountId, tinyAccountId));
  const statuses = Object.entries(pushes.reduce<Record<string, number>>((acc, p) => ({ ...acc, [p.status]: (acc[p.status] ?? 0) + 1 }), {}))
    .map(([status, n]) => `${status} ${n}`)
    .join(", ");
  const failedJobs = finished.filter((job) => job?.failedReason).length;
  const retried = finished.filter((job) => (job?.attemptsMade ?? 0) > 1).length;
  const runTimes = finished.map((job) => (job?.finishedOn ?? 0) - (job?.processedOn ?? 0)).sort((a, b) => a - b);
  const endToEnd = finished.map((job) => (job?.finishedOn ?? 0) - (job?.timestamp ?? 0)).sort((a, b) => a - b);
  const newBuyers = Math.min(buyers, size);
  // A paid order owes Tiny 4 writes (create, markers, stock posting, receivables) plus 1 per new buyer's contact.
  const minWrites = (4 * size + newBuyers) / size;

  const result = { size, buyers, minutes, reads, writes, tiny429, duplicates, missing, statuses, failedJobs, retried, byRoute, runTimes, endToEnd };
  console.log(JSON.stringify(result));
  const per = (n: number) => (n / size).toFixed(2);
  const s = (ms: number) => (ms / 1000).toFixed(1);
  await writeSection(
    "tiny-orders",
    `## Tiny order push (${size} ML orders → Tiny, default quota)

${machineLine()}. Measured ${new Date().toISOString().slice(0, 10)} on ${codeVersion()}.
Path: \`enqueue("tinyerp.order.push")\` (the catalog's options) → BullMQ on Redis 7 → the jobs runtime's workers (\`startJobs\`, queue \`${jobs["tinyerp.order.push"].queue}\`) → \`pushOrderToTiny\` → the Tiny sandbox in this process, with its default quota (60 reads and 60 writes a minute, 4 a second) and our default share (30 reads and 30 writes a minute, 3 a second). All ${size} jobs enqueued at once; ${size} paid orders of 2 linked items each, from ${buyers} buyers (the second half of the orders are repeat buyers, whose contact Tiny already has). Calls are the sandbox's own counts.

| orders | wall time | orders/min | Tiny reads / order | Tiny writes / order | minimum: writes / order | Tiny 429s | ML orders with exactly one Tiny order | duplicates | missing | push rows | failed / retried jobs |
|---|---|---|---|---|---|---|---|---|---|---|---|
| ${size} | ${(minutes * 60).toFixed(0)} s | ${(size / minutes).toFixed(1)} | ${per(reads)} | ${per(writes)} | 4 (create, markers, stock, receivables; contact known); ${minWrites.toFixed(2)} with this mix's new contacts | ${tiny429} | ${perMlOrder.filter((c) => c === 1).length} | ${duplicates} | ${missing} | ${statuses} | ${failedJobs} / ${retried} |

| latency (s) | p50 | p95 | max |
|---|---|---|---|
| job run (worker picks it up → done; includes waiting for quota) | ${s(percentile(runTimes, 50))} | ${s(percentile(runTimes, 95))} | ${s(runTimes.at(-1) ?? 0)} |
| enqueue → done (includes the queue ahead of it) | ${s(percentile(endToEnd, 50))} | ${s(percentile(endToEnd, 95))} | ${s(endToEnd.at(-1) ?? 0)} |

Calls by route: ${byRoute}. At our share of 30 writes a minute, ${per(writes)} writes per order caps the sustained rate at ${(30 / (writes / size)).toFixed(1)} orders a minute.

The minimum for a paid order is 4 writes (create, markers, the sale's stock posting, its receivables) and 1 read (the look-up by e-commerce number before the first create), plus the contact create for a new buyer (1 write) and its lookup (1 read); a repeat buyer's contact is reused without a call. Invoicing adds 2 (generate, emit). Measured: ${per(reads)} reads and ${per(writes)} writes per order, against a minimum of ${minWrites.toFixed(2)} writes for this mix. Writes bind: at our share of 30 a minute, W writes per order caps throughput at 30 / W orders a minute, whatever the concurrency. The first minute runs ahead of that (the window starts empty), so short runs overstate the sustained rate.`,
  );
} finally {
  await running?.close();
  await closeQueues(queues);
  await closeRedis(producerConnection);
  await sandbox.close();
  await database.close();
  await resources.cleanup();
}
