/**
 * A flash sale against ML's per-application limit (issue 18, "A flash sale is limited by ML, not by us"),
 * on an isolated stack under wrangler dev: sales are made in the ML sandbox, which notifies the Worker
 * like ML does; the clock stops when every order is in Postgres.
 *
 * 1. Baseline: the old fixed pacing of 10 ML calls/s per account (ML_ACCOUNT_RATE_PER_SECOND=10), emulated
 *    by pinning the app budget at 10/s, which for one seller is the same pace; sandbox limit off.
 * 2. One seller's burst with the sandbox limiting the application to R calls/s (default ML's documented
 *    18,000/h = 5/s). Target ≥ 0.9 R orders/s.
 * 3. The same burst with the sandbox limit off: as fast as the box goes.
 * 4. Ten sellers bursting at once under R: each within 20 % of an equal share.
 * Every run: 0 lost, 0 processed twice. Default ML_APP_RATE_* and ML_ACCOUNT_CONCURRENCY from 2 on.
 *
 * BENCH_FLASH_SALES (2,000), BENCH_FLASH_SELLER_SALES (200 for each of the ten), BENCH_FLASH_BASELINE_SALES
 * (500), BENCH_FLASH_RATE (5) and BENCH_FLASH_SALES_PER_SECOND (25) scale it; at R = 5 the full run takes about 17 minutes.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { Queue } from "bullmq";
import { sql } from "drizzle-orm";
import { Redis } from "ioredis";
import { createNodeDb } from "#db/client-node";
import { dropDatabase } from "#db/migrate";
import { ML_DOCUMENTED_APP_RATE_PER_SECOND } from "#dev/sandbox/ml";
import { startChild, type ChildHandle } from "#dev/stack/child";
import { isolatedStackConfig } from "#dev/stack/config";
import { waitForHttp } from "#dev/stack/ports";
import { deleteKeysWithPrefix } from "#dev/stack/redis-keys";
import { jobsEnv, localTokenEncryptionKeys, startStack } from "#dev/stack/start";
import { signDelivery } from "../jobs/test/support/qstash-signer";
import { connectSandboxSeller } from "#test/support/ml-seller";
import { machineLine, writeSection } from "./lib";

const sales = Number(process.env.BENCH_FLASH_SALES ?? 2_000);
const sellerSales = Number(process.env.BENCH_FLASH_SELLER_SALES ?? 200);
const baselineSales = Number(process.env.BENCH_FLASH_BASELINE_SALES ?? 500);
const rate = Number(process.env.BENCH_FLASH_RATE ?? ML_DOCUMENTED_APP_RATE_PER_SECOND);
// Sales made per second: about the issue's 2,000 in 11 s.
const salesPerSecond = Number(process.env.BENCH_FLASH_SALES_PER_SECOND ?? 200);
const appId = "5503910054141466";
const root = fileURLToPath(new URL("..", import.meta.url));
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// The old pacing, for the baseline: one seller at 10 calls/s is exactly what ML_ACCOUNT_RATE_PER_SECOND=10 gave.
const baselineVars = { ML_APP_RATE_PER_SECOND: "10", ML_APP_RATE_MIN_PER_SECOND: "10", ML_APP_RATE_MAX_PER_SECOND: "10" };
Object.assign(process.env, baselineVars, { LOG_LEVEL: "warn" });

const config = await isolatedStackConfig();
const stack = await startStack(
  { ...config, sandbox: { ...config.sandbox, listings: 20, orders: 0, products: 10 } },
  // The per-source flood limit protects production, where ML notifies from many addresses; here one sandbox sends all.
  { quiet: true, readyTimeoutMs: 90_000, workerVars: { WEBHOOK_RATE_LIMIT_PER_MINUTE: "100000000", LOG_LEVEL: "warn" } },
);
let jobs: ChildHandle = stack.processes.jobs;
const database = createNodeDb(config.databaseUrl, { max: 4 });
const sandboxUrl = stack.urls.mlSandbox!;
const control = async <T>(path: string, method = "POST", json: unknown = {}) => {
  const response = await fetch(`${sandboxUrl}/_sandbox${path}`, { method, headers: { "content-type": "application/json" }, ...(method === "GET" ? {} : { body: JSON.stringify(json) }) });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
};

// The sandbox notifies this relay, which hands each notification to the jobs ingress signed as QStash would, at once
// and retrying until it is accepted. Thousands of notifications in flight at once are more than wrangler dev and the
// local QStash take on two shared cores (connections fail, ML's retries run out): that is the edge's own part of the
// issue, measured by the webhooks bench. Here the edge is left out so the run measures the ML call budget.
const ingressPath = "/qstash/ml.webhook";
const pending: string[] = [];
let forwarding = 0;
const forward = async (): Promise<void> => {
  if (forwarding >= 32) return;
  forwarding++;
  try {
    for (let body = pending.shift(); body !== undefined; body = pending.shift()) {
      for (let attempt = 0; ; attempt++) {
        const signature = await signDelivery({ key: config.qstashCurrentSigningKey, url: `${jobsEnv(config).JOBS_PUBLIC_URL}${ingressPath}`, body });
        const response = await fetch(`${stack.urls.jobs}${ingressPath}`, {
          method: "POST",
          headers: { "upstash-signature": signature, "content-type": "application/json", "upstash-message-id": `msg_${crypto.randomUUID()}` },
          body,
        }).catch(() => null);
        await response?.arrayBuffer();
        if (response?.ok) break;
        await sleep(Math.min(2_000, 100 * 2 ** attempt));
      }
    }
  } finally {
    forwarding--;
  }
};
const relay = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    pending.push(Buffer.concat(chunks).toString());
    res.writeHead(200).end("ok");
    void forward();
  });
});
await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));

interface Seller {
  mlUserId: number;
  itemId: string;
}

interface Outcome {
  name: string;
  sellers: number;
  orders: number;
  createdInS: number;
  drainedInS: number;
  ordersPerSecond: number;
  perSeller: number[];
  /** Per-seller orders stored when half of all were. */
  atHalf: number[];
  mlGets: number;
  refused429: number;
  lost: number;
  processedTwice: number;
  failed: number;
}

const admin = (await control<{ access_token: string }>("/tokens", "POST", {})).access_token;
/** A fresh seller (ML's test user), connected, with one listing that cannot run out of stock. */
async function newSeller(): Promise<Seller> {
  const made = await fetch(`${sandboxUrl}/users/test_user`, {
    method: "POST",
    headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
    body: JSON.stringify({ site_id: "MLB" }),
  });
  const { id } = (await made.json()) as { id: number };
  const item = await control<{ id: string }>("/items", "POST", { seller_id: id, available_quantity: 1_000_000, price: 99.9, title: "Oferta relâmpago" });
  await connectSandboxSeller({ databaseUrl: config.databaseUrl, tokenKeys: localTokenEncryptionKeys, sandbox: { url: sandboxUrl, appId, clientSecret: "sandbox-client-secret" }, mlUserId: id });
  return { mlUserId: id, itemId: item.id };
}

async function restartJobs(vars: Record<string, string | undefined>): Promise<void> {
  await jobs.stop();
  const env: NodeJS.ProcessEnv = { ...process.env, ...jobsEnv(config) };
  for (const [key, value] of Object.entries(vars)) if (value === undefined) delete env[key];
  jobs = startChild("jobs", process.execPath, ["--import", "tsx", "jobs/src/main.ts"], { cwd: root, env, quiet: true });
  await waitForHttp(`${stack.urls.jobs}/health`, { timeoutMs: 60_000, isAlive: jobs.alive });
  await keepRecoveryPassesOut({ registered: true });
}

// The recovery passes (missed feeds every 10 minutes, the orders reconciliation every 15, both also at start-up) would
// store some of the burst's orders through /orders/search, 51 a call, outside the budget's per-order path: the run would
// not measure the budget alone. The jobs container registers their schedulers at boot; the bench removes them, and any
// pass still queued, once the container is up (and again before each burst).
const recoveryPasses = ["ml.missed-feeds", "ml.reconcile"];
const queueConnection = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
const syncQueue = new Queue("ml-sync", { connection: queueConnection, prefix: config.redisKeyPrefix });
async function keepRecoveryPassesOut(options: { registered?: boolean } = {}): Promise<void> {
  const ids = recoveryPasses.map((name) => `scheduler:${name}`);
  // A container just started registers them in the background after it answers /health.
  for (let i = 0; options.registered && i < 100; i++) {
    const registered = (await syncQueue.getJobSchedulers()).map((s) => s.key);
    if (ids.every((id) => registered.includes(id))) break;
    await sleep(100);
  }
  for (const id of ids) await syncQueue.removeJobScheduler(id);
  // A pass already running (the one registering starts at once) is let finish: a failed one comes back delayed, for a retry.
  for (let i = 0; i < 600; i++) {
    const queued = await syncQueue.getJobs(["waiting", "delayed", "prioritized"]);
    await Promise.all(queued.filter((job) => recoveryPasses.includes(job.name)).map((job) => job.remove().catch(() => undefined)));
    if (!(await syncQueue.getJobs(["active"])).some((job) => recoveryPasses.includes(job.name))) return;
    await sleep(200);
  }
  throw new Error("a recovery pass is still running after 2 minutes");
}

const storedPerSeller = async (sellers: Seller[]) => {
  const rows = (
    await database.db.execute(
      sql`select a.ml_user_id::bigint as seller, count(o.id)::int as n from ml_accounts a left join ml_orders o on o.account_id = a.id where a.ml_user_id = any(${`{${sellers.map((s) => s.mlUserId).join(",")}}`}::bigint[]) group by 1`,
    )
  ).rows as Array<{ seller: string; n: number }>;
  const bySeller = new Map(rows.map((r) => [Number(r.seller), r.n]));
  return sellers.map((s) => bySeller.get(s.mlUserId) ?? 0);
};

async function burst(name: string, sellers: Seller[], perSeller: number, limit: number | null): Promise<Outcome> {
  await keepRecoveryPassesOut();
  // Each run starts from the configured rate, not from what the previous one learned.
  await deleteKeysWithPrefix(config.redisUrl, `${config.redisKeyPrefix}:ml-app`);
  await control("/rate-limit", "PUT", { perSecond: limit });
  await control("/counters", "DELETE");
  const total = sellers.length * perSeller;
  const started = performance.now();
  // The sellers' sales interleaved, at a steady pace: everyone's flash sale starts at once.
  const queue = Array.from({ length: total }, (_, i) => sellers[i % sellers.length]!);
  const made: Array<Promise<unknown>> = [];
  for (let i = 0; i < queue.length; i++) {
    const seller = queue[i]!;
    made.push(control("/orders", "POST", { seller_id: seller.mlUserId, item_id: seller.itemId, status: "paid" }));
    const due = started + ((i + 1) * 1000) / salesPerSecond;
    if (due > performance.now()) await sleep(due - performance.now());
  }
  await Promise.all(made);
  const createdInS = (performance.now() - started) / 1000;
  let atHalf: number[] = [];
  const timeoutMs = 120_000 + (limit ? (total / limit) * 2_000 : total * 50);
  let counts = await storedPerSeller(sellers);
  while (counts.reduce((a, b) => a + b, 0) < total && performance.now() - started < timeoutMs) {
    await sleep(250);
    counts = await storedPerSeller(sellers);
    if (!atHalf.length && counts.reduce((a, b) => a + b, 0) >= total / 2) atHalf = counts;
  }
  const drainedInS = (performance.now() - started) / 1000;
  // Let what is still queued (the second notification of each order) finish before counting.
  for (let i = 0; i < 240; i++) {
    const [row] = (await database.db.execute(sql`select count(*) filter (where status in ('received','enqueued','processing'))::int as open from webhook_events`)).rows as Array<{ open: number }>;
    if (row!.open === 0) break;
    await sleep(500);
  }
  const stored = counts.reduce((a, b) => a + b, 0);
  const detail = (await control<{ detail: Record<string, { byStatus: Record<string, number> }> }>("/counters", "GET")).detail["GET /orders/:id"]?.byStatus ?? {};
  const ids = `{${sellers.map((s) => s.mlUserId).join(",")}}`;
  const [events] = (
    await database.db.execute(
      sql`select (select count(*)::int from (select ml_notification_id from webhook_events where ml_user_id = any(${ids}::bigint[]) group by 1 having count(*) > 1) d) as twice,
                 (select count(*)::int from webhook_events where ml_user_id = any(${ids}::bigint[]) and status = 'failed') as failed`,
    )
  ).rows as Array<{ twice: number; failed: number }>;
  const outcome: Outcome = {
    name,
    sellers: sellers.length,
    orders: total,
    createdInS,
    drainedInS,
    ordersPerSecond: stored / drainedInS,
    perSeller: counts,
    atHalf,
    mlGets: detail["200"] ?? 0,
    refused429: detail["429"] ?? 0,
    lost: total - stored,
    processedTwice: events!.twice,
    failed: events!.failed,
  };
  console.log(JSON.stringify(outcome));
  return outcome;
}

try {
  await keepRecoveryPassesOut({ registered: true });
  // One notification topic: each sale costs one ML call (GET /orders/{id}), so orders/s is calls/s.
  await control("/callback", "PUT", { url: `http://127.0.0.1:${(relay.address() as AddressInfo).port}/`, topics: ["orders_v2"] });
  const sellers = await Promise.all(Array.from({ length: 13 }, () => newSeller()));
  const [baseSeller, limitedSeller, freeSeller, ...ten] = sellers as [Seller, Seller, Seller, ...Seller[]];

  const baseline = await burst("baseline: fixed 10 calls/s per account, sandbox limit off", [baseSeller], baselineSales, null);
  await restartJobs(Object.fromEntries(Object.keys(baselineVars).map((key) => [key, undefined])));
  const limited = await burst(`one seller, sandbox limit ${rate}/s`, [limitedSeller], sales, rate);
  const free = await burst("one seller, sandbox limit off", [freeSeller], sales, null);
  const shared = await burst(`ten sellers, sandbox limit ${rate}/s`, ten, sellerSales, rate);

  const row = (o: Outcome) =>
    `| ${o.name} | ${o.sellers} | ${o.orders} | ${round(o.createdInS)} s | ${round(o.drainedInS)} s | **${round(o.ordersPerSecond, 2)}** | ${round(o.mlGets / o.orders, 3)} | ${o.refused429} | ${o.lost} | ${o.processedTwice} | ${o.failed} |`;
  const mean = shared.atHalf.reduce((a, b) => a + b, 0) / Math.max(1, shared.atHalf.length);
  const worst = Math.max(...shared.atHalf.map((n) => Math.abs(n - mean) / mean));
  const finalMean = shared.perSeller.reduce((a, b) => a + b, 0) / shared.perSeller.length;
  const ok = (met: boolean) => (met ? "met" : "**not met**");
  const clean = [baseline, limited, free, shared].every((o) => o.lost === 0 && o.processedTwice === 0 && o.failed === 0);

  await writeSection(
    "flash-sale",
    `## Flash sale against ML's per-application limit (issue 18)

Run: \`npm run bench -- flash-sale\` on ${new Date().toISOString().slice(0, 10)}; ${machineLine()}.
Path: sales made in the ML sandbox (\`POST /_sandbox/orders\`, status paid, ${salesPerSecond} sales/s) → the sandbox notifies a relay that
hands each notification to the jobs ingress signed as QStash would (the Worker and the local QStash are left out: thousands of
notifications in flight at once are more than wrangler dev takes on these two shared cores, and the edge is the issue's other
part, measured by the webhooks bench) → jobs (BullMQ) → \`GET /orders/{id}\` through the app-wide ML call budget → Postgres. Only the
\`orders_v2\` topic is subscribed, so each sale costs one ML call; each sale sends two notifications (created, paid), and the
second coalesces. The sandbox limit R = ${rate} calls/s for the application is ML's documented \`max_requests_per_hour: 18000\`
(docs/sandbox.md, "Rate limit"), answered with 429 \`local_rate_limited\` and no Retry-After, as ML documents. The jobs run with
the defaults (ML_APP_RATE_PER_SECOND=5, min 1, max 1,000; ML_ACCOUNT_CONCURRENCY=4), except the baseline, which pins the budget
at 10 calls/s: for one seller that is the old fixed pacing (ML_ACCOUNT_RATE_PER_SECOND=10) exactly. Fresh sellers per run, and
each run starts from the configured rate. "Drained" runs from the first sale made until every order is in Postgres.

| run | sellers | orders | sales made in | drained in | orders/s | ML GETs per order | 429s from the sandbox | lost | processed twice | failed |
|---|---|---|---|---|---|---|---|---|---|---|
${row(baseline)}
${row(limited)}
${row(free)}
${row(shared)}

- One seller under R = ${rate}/s: ${round(limited.ordersPerSecond, 2)} orders/s = ${round(limited.ordersPerSecond / rate, 2)} R — target ≥ 0.9 R ${ok(limited.ordersPerSecond >= 0.9 * rate)}.
  The baseline drained at ${round(baseline.ordersPerSecond, 2)} orders/s (the issue measured 10 with the old code); with ML at 5/s the
  old pacing would have sent twice what ML accepts and lived on 429s.
- Limit off: ${round(free.ordersPerSecond, 1)} orders/s, the whole run from the first sale made (${round(free.createdInS)} s of making sales) to the last order
  stored, the edge left out: our own capacity on this box, one seller with ML_ACCOUNT_CONCURRENCY=4, the budget starting at 5/s
  and doubling each second. The pipeline's own target (≥ 300/s end to end) belongs to the issue's pipeline part.
- Ten sellers at once under R: when half of the ${shared.orders} orders were stored, the sellers had ${shared.atHalf.join(", ")} (mean ${round(mean)});
  worst deviation ${round(worst * 100)} % — target within 20 % ${ok(worst <= 0.2)}. Altogether ${round(shared.ordersPerSecond, 2)} orders/s = ${round(shared.ordersPerSecond / rate, 2)} R; final
  counts ${shared.perSeller.join(", ")} (mean ${round(finalMean)}).
- Lost, processed twice (a notification handled by two jobs) and failed events: ${clean ? "0 in every run" : "**not all 0, see the table**"}.
- The jobs' recovery passes (missed feeds, orders reconciliation) are kept out: the bench removes their schedulers once the
  jobs container is up, so every order comes through its notification and the budget (ML GETs per order ≥ 1).`,
  );
} finally {
  relay.close();
  await syncQueue.close();
  await queueConnection.quit();
  await database.close();
  await jobs.stop();
  await stack.stop();
  await dropDatabase(config.databaseUrl);
  await deleteKeysWithPrefix(config.redisUrl, config.redisKeyPrefix);
}
