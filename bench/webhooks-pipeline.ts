/**
 * The webhook pipeline end to end (issues 5 and 18), on an isolated stack under wrangler dev:
 * notifications for BENCH_WEBHOOK_NOTIFICATIONS (default 10,000) unique sandbox orders of one seller,
 * plus 20 % duplicates, shuffled, sent as ML would (64 connections). The edge alone is `webhooks.ts`.
 *
 * Each variant gets its own stack with the local QStash holding deliveries (QSTASH_LOCAL_HOLD), so
 * the two costs show apart: first every notification is acknowledged (the ack phase), then the hold
 * is released and the clock runs until every order is in Postgres (the drain: QStash → jobs ingress
 * → BullMQ → ML GET → Postgres). During the drain one connection keeps sending re-sends of already
 * acknowledged notifications, so the ack latency is measured while the pipeline works.
 *
 * Variants (BENCH_PIPELINE_VARIANTS, default `before:1,after:1,after:2`): `after` is this working
 * tree's jobs code, `before` the copy in BENCH_PIPELINE_BEFORE_DIR (a snapshot taken before the
 * change; skipped when unset); the number is how many jobs processes share the one Redis and Postgres.
 * BENCH_PIPELINE_CPU_PROF=<dir> runs the jobs processes under `--cpu-prof` and summarises the profiles.
 * BENCH_PIPELINE_NAIVE=1 adds issue 5's naive design (fetch and upsert inside the webhook request).
 */
import { mkdirSync, readFileSync, readdirSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import { createLogger } from "#core/log";
import { createMlServices } from "#integrations/mercadolibre";
import { toOrderRow } from "#integrations/mercadolibre/transform";
import { createTokenCipher } from "#core/token-cipher";
import { createNodeDb } from "#db/client-node";
import { dropDatabase } from "#db/migrate";
import { upsertOrder } from "#db/queries/ml-data";
import { DEMO_SELLER_ID } from "#dev/sandbox/ml";
import { startChild, type ChildHandle } from "#dev/stack/child";
import { isolatedStackConfig } from "#dev/stack/config";
import { deleteKeysWithPrefix } from "#dev/stack/redis-keys";
import { jobsEnv, localTokenEncryptionKeys, startStack } from "#dev/stack/start";
import { waitForHttp } from "#dev/stack/ports";
import { connectSandboxSeller } from "#test/support/ml-seller";
import { machineLine, writeSection } from "./lib";

const unique = Number(process.env.BENCH_WEBHOOK_NOTIFICATIONS ?? 10_000);
const total = Math.round(unique * 1.2);
const variants = (process.env.BENCH_PIPELINE_VARIANTS ?? "before:1,after:1,after:2").split(",").map((spec) => {
  const [build, processes] = spec.split(":");
  return { build: build as "before" | "after", processes: Number(processes ?? 1) };
});
const beforeDir = process.env.BENCH_PIPELINE_BEFORE_DIR;
const profileDir = process.env.BENCH_PIPELINE_CPU_PROF;
const appId = "5503910054141466";
const root = fileURLToPath(new URL("..", import.meta.url));

// One seller receives everything and the sandbox has no rate limit: what is measured is our own capacity, not ML's quota.
const jobsVars = {
  ML_APP_RATE_PER_SECOND: "10000",
  ML_APP_RATE_MIN_PER_SECOND: "10000",
  ML_APP_RATE_MAX_PER_SECOND: "10000",
  ML_ACCOUNT_CONCURRENCY: "64",
  LOG_LEVEL: process.env.BENCH_PIPELINE_LOG_LEVEL ?? "info",
};

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : 0);
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const lat = (l: number[]) => `${round(percentile(l, 50))} / ${round(percentile(l, 99))} / ${round(l.at(-1) ?? 0)}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** CPU seconds (user + system) of a process and its descendants, from /proc. */
function treeCpuSeconds(pid: number): number {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1]!.split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // Gone while listing.
    }
  }
  let sum = 0;
  const walk = (p: number) => {
    try {
      const fields = readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1]!.split(" ");
      sum += (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      return;
    }
    for (const child of children.get(p) ?? []) walk(child);
  };
  walk(pid);
  return sum;
}

/** CPU seconds of every process whose command name matches (postgres backends, redis-server). */
function cpuSecondsByName(pattern: RegExp): number {
  let sum = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      if (!pattern.test(name)) continue;
      const fields = stat.split(") ")[1]!.split(" ");
      sum += (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      // Gone while listing.
    }
  }
  return sum;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface CpuProfile {
  startTime: number;
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }>;
  samples: number[];
  timeDeltas: number[];
}

/**
 * Self time by function and by package/area, from the `.cpuprofile` files of one variant, counting only
 * the samples taken during the drain (the profiles' clock is the system's monotonic one, like hrtime's).
 */
function summariseProfiles(dir: string, window: [number, number], codeDir: string): { total: number; functions: Array<[string, number]>; areas: Array<[string, number]> } {
  const functions = new Map<string, number>();
  const areas = new Map<string, number>();
  let totalMs = 0;
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"))) {
    const profile = JSON.parse(readFileSync(join(dir, file), "utf8")) as CpuProfile;
    const byId = new Map(profile.nodes.map((node) => [node.id, node]));
    let at = profile.startTime;
    profile.samples.forEach((id, i) => {
      const node = byId.get(id)!;
      at += profile.timeDeltas[i] ?? 0;
      if (at < window[0] || at > window[1]) return;
      const ms = (profile.timeDeltas[i] ?? 0) / 1000;
      const { functionName, url, lineNumber } = node.callFrame;
      if (functionName === "(idle)") return;
      totalMs += ms;
      const path = url.replace(/^file:\/\//, "");
      const where = path.includes("/node_modules/")
        ? `${path
            .split("/node_modules/")
            .at(-1)!
            .split("/")
            .slice(0, path.split("/node_modules/").at(-1)!.startsWith("@") ? 2 : 1)
            .join("/")}`
        : path
          ? relative(codeDir, path)
          : "";
      const area = path.includes("/node_modules/")
        ? where
        : path.startsWith("node:") || !path
          ? functionName.startsWith("(")
            ? functionName
            : "node internals"
          : where.split("/").slice(0, 2).join("/");
      const key = `${functionName || "(anonymous)"} ${where}${path && !path.includes("/node_modules/") ? `:${lineNumber + 1}` : ""}`;
      functions.set(key, (functions.get(key) ?? 0) + ms);
      areas.set(area, (areas.get(area) ?? 0) + ms);
    });
  }
  const top = (m: Map<string, number>, n: number) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n);
  return { total: totalMs, functions: top(functions, 15), areas: top(areas, 12) };
}

interface VariantResult {
  label: string;
  acks: { latencies: number[]; failures: number; seconds: number };
  drainSeconds: number;
  probe: { latencies: number[]; failures: number };
  landed: number;
  fetchesPerOrder: number;
  eventDuplicates: number;
  unfinished: number;
  perProcess: number[];
  cpu: Record<string, { cores: number; msPerOrder: number }>;
  /** The drain, on the monotonic clock in µs. */
  window: [number, number];
  profile?: ReturnType<typeof summariseProfiles>;
}

const notification = (resource: string, id = crypto.randomUUID()) =>
  JSON.stringify({ _id: id, resource, user_id: DEMO_SELLER_ID, topic: "orders_v2", application_id: Number(appId), attempts: 1, sent: new Date().toISOString(), received: new Date().toISOString() });

async function send(url: string, bodies: string[], concurrency: number, until?: () => boolean) {
  const latencies: number[] = [];
  let failures = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (until ? !until() : next < bodies.length) {
        const body = bodies[next++ % bodies.length]!;
        const started = performance.now();
        const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body });
        await response.arrayBuffer();
        latencies.push(performance.now() - started);
        if (response.status !== 200) failures++;
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return { latencies, failures };
}

let naiveTable = "";

async function runVariant(build: "before" | "after", processes: number, withNaive: boolean): Promise<VariantResult> {
  const label = `${build}, ${processes} jobs process${processes > 1 ? "es" : ""}`;
  const base = await isolatedStackConfig();
  const config = { ...base, qstashHold: true, sandbox: { ...base.sandbox, listings: 50, orders: 0, products: 10 } };
  const stack = await startStack(config, {
    quiet: true,
    readyTimeoutMs: 90_000,
    // The per-source flood limit protects production; here one address is the load on purpose.
    workerVars: { WEBHOOK_RATE_LIMIT_PER_MINUTE: "100000000", LOG_LEVEL: "warn" },
  });
  const database = createNodeDb(config.databaseUrl, { max: 4 });
  const sandboxUrl = stack.urls.mlSandbox!;
  const sandbox = async <T>(path: string, method = "POST", json: unknown = {}) => {
    const response = await fetch(`${sandboxUrl}/_sandbox${path}`, { method, headers: { "content-type": "application/json" }, ...(method === "GET" ? {} : { body: JSON.stringify(json) }) });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  const jobs: Array<{ child: ChildHandle; adminUrl: string }> = [];
  const variantProfileDir = profileDir ? join(profileDir, `${build}-${processes}`) : undefined;
  try {
    // The stack's own jobs process is replaced by this variant's build and count.
    await stack.processes.jobs.stop();
    const dir = build === "before" ? beforeDir! : root;
    if (variantProfileDir) mkdirSync(variantProfileDir, { recursive: true });
    for (let i = 0; i < processes; i++) {
      // The first listens where the Worker's QStash messages point; the others only consume the queues.
      const port = i === 0 ? config.ports.jobs : await freePort();
      const adminPort = await freePort();
      const env = { ...process.env, ...jobsEnv(config), ...jobsVars, JOBS_PORT: String(port), JOBS_ADMIN_PORT: String(adminPort) };
      const profileArgs = variantProfileDir ? ["--cpu-prof", `--cpu-prof-dir=${variantProfileDir}`] : [];
      const child = startChild(`jobs-${i}`, process.execPath, [...profileArgs, "--import", "tsx", "jobs/src/main.ts"], { cwd: dir, env, quiet: process.env.BENCH_PIPELINE_VERBOSE !== "1" });
      jobs.push({ child, adminUrl: `http://${config.host}:${adminPort}` });
      await waitForHttp(`http://${config.host}:${port}/health`, { timeoutMs: 60_000, isAlive: child.alive });
    }

    await connectSandboxSeller({
      databaseUrl: config.databaseUrl,
      tokenKeys: localTokenEncryptionKeys,
      sandbox: { url: sandboxUrl, appId, clientSecret: "sandbox-client-secret" },
      mlUserId: DEMO_SELLER_ID,
    });
    // The bench sends notifications itself; the sandbox's own would double them.
    await sandbox("/callback", "PUT", { url: null });
    const webhookUrl = `${stack.urls.worker}/webhooks/ml`;

    const orderIds: number[] = [];
    for (let i = 0; i < unique; i += 50) {
      const batch = await Promise.all(Array.from({ length: Math.min(50, unique - i) }, () => sandbox<{ id: number }>("/orders", "POST", { status: "payment_required" })));
      orderIds.push(...batch.map((o) => o.id));
    }
    const messages = orderIds.map((id) => notification(`/orders/${id}`));
    const list = [...messages, ...Array.from({ length: total - unique }, (_, i) => messages[i % messages.length]!)];
    for (let i = list.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [list[i], list[j]] = [list[j]!, list[i]!];
    }
    const ordersInDb = async () =>
      Number(((await database.db.execute(sql`select count(*)::int as n from ml_orders where ml_order_id = any(${`{${orderIds.join(",")}}`}::bigint[])`)).rows[0] as { n: number }).n);
    const ordersFetched = async () => (await sandbox<{ counts: Record<string, number> }>("/counters", "GET")).counts["GET /orders/:id"] ?? 0;
    await sandbox("/counters", "DELETE");

    // ---- ack phase: deliveries held -------------------------------------------------------
    const ackStarted = performance.now();
    const acks = await send(webhookUrl, list, 64);
    const ackSeconds = (performance.now() - ackStarted) / 1000;

    // ---- drain: release, clock until every order is in Postgres ------------------------------
    const pids = { jobs: jobs.map((j) => j.child.process.pid!), workerd: stack.processes.worker.process.pid! };
    const cpu = () => ({
      jobs: pids.jobs.reduce((sum, pid) => sum + treeCpuSeconds(pid), 0),
      "wrangler + workerd": treeCpuSeconds(pids.workerd),
      "bench + QStash + ML sandbox": process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6,
      postgres: cpuSecondsByName(/^postgres/),
      redis: cpuSecondsByName(/^redis-server/),
    });
    const cpuBefore = cpu();
    const released = await fetch(`${stack.urls.qstash}/v2/local/release`, { method: "POST", headers: { authorization: `Bearer ${config.qstashToken}` } });
    if (!released.ok) throw new Error(`release: ${released.status} ${await released.text()}`);
    const drainStarted = performance.now();
    const windowStart = Number(process.hrtime.bigint() / 1000n);
    let drained = false;
    const probe = send(webhookUrl, messages.slice(0, 500), 1, () => drained);
    let landed = 0;
    while ((landed = await ordersInDb()) < unique && performance.now() - drainStarted < 900_000) await sleep(100);
    const drainSeconds = (performance.now() - drainStarted) / 1000;
    const windowEnd = Number(process.hrtime.bigint() / 1000n);
    drained = true;
    const probed = await probe;
    const cpuAfter = cpu();
    // CPU per order is what a change buys regardless of what else shares the box; cores used shows saturation.
    const cpuUsed = Object.fromEntries(
      Object.entries(cpuAfter).map(([k, v]) => {
        const seconds = v - cpuBefore[k as keyof typeof cpuBefore];
        return [k, { cores: round(seconds / drainSeconds, 2), msPerOrder: round((seconds * 1000) / unique, 2) }];
      }),
    );

    // Everything settles (the probe's re-sends included) before counting.
    for (let i = 0; i < 600; i++) {
      const [row] = (await database.db.execute(sql`select count(*) filter (where status in ('received','enqueued','processing'))::int as open from webhook_events`)).rows as Array<{ open: number }>;
      if (row!.open === 0) break;
      await sleep(500);
    }
    const fetches = await ordersFetched();
    const eventDuplicates = Number(
      ((await database.db.execute(sql`select count(*)::int as n from (select ml_notification_id from webhook_events group by 1 having count(*) > 1) d`)).rows[0] as { n: number }).n,
    );
    const unfinished = Number(((await database.db.execute(sql`select count(*)::int as n from webhook_events where status not in ('processed','skipped')`)).rows[0] as { n: number }).n);
    // Which process did the work: each one's own counter of fetched notifications.
    const perProcess = await Promise.all(
      jobs.map(async ({ adminUrl }) => {
        const text = await (await fetch(`${adminUrl}/metrics`, { headers: { authorization: `Bearer ${config.metricsToken}` } })).text();
        return text
          .split("\n")
          .filter((line) => line.startsWith("autoecom_ml_notifications_total") && line.includes('outcome="fetched"'))
          .reduce((sum, line) => sum + Number(line.split(" ").at(-1)), 0);
      }),
    );

    if (withNaive) naiveTable = await runNaive(database, sandboxUrl, orderIds, list, ordersInDb, ordersFetched, sandbox);

    return {
      label,
      acks: { ...acks, seconds: ackSeconds },
      drainSeconds,
      probe: probed,
      landed,
      fetchesPerOrder: fetches / unique,
      eventDuplicates,
      unfinished,
      perProcess,
      cpu: cpuUsed,
      window: [windowStart, windowEnd],
    };
  } finally {
    await Promise.all(jobs.map(({ child }) => child.stop(30_000)));
    await database.close();
    await stack.stop();
    await dropDatabase(config.databaseUrl);
    await deleteKeysWithPrefix(config.redisUrl, config.redisKeyPrefix);
  }
}

/** Issue 5's comparison: fetch and upsert inside the webhook request, no queue, no dedup. */
async function runNaive(
  database: ReturnType<typeof createNodeDb>,
  sandboxUrl: string,
  orderIds: number[],
  list: string[],
  ordersInDb: () => Promise<number>,
  ordersFetched: () => Promise<number>,
  sandbox: (path: string, method?: string) => Promise<unknown>,
): Promise<string> {
  const accountId = ((await database.db.execute(sql`select id from ml_accounts limit 1`)).rows[0] as { id: string }).id;
  await database.db.execute(sql`delete from ml_orders`);
  const ml = createMlServices({
    db: database.db,
    transaction: (fn) => database.db.transaction((tx) => fn(tx)),
    cipher: await createTokenCipher(localTokenEncryptionKeys),
    config: { apiUrl: sandboxUrl, appId, clientSecret: "sandbox-client-secret", redirectUri: "", timeoutMs: 10_000, maxAttempts: 3, refreshMarginSeconds: 300 },
    log: createLogger({}, "error"),
  }).client;
  const naive = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      void (async () => {
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString()) as { resource: string };
          const fetchedAt = new Date();
          const response = await ml.request(accountId, "GET", body.resource);
          await upsertOrder(database.db, accountId, toOrderRow(response.data, fetchedAt));
          res.writeHead(200).end("ok");
        } catch {
          res.writeHead(500).end("error");
        }
      })();
    });
  });
  await new Promise<void>((resolve) => naive.listen(0, "127.0.0.1", resolve));
  await sandbox("/counters", "DELETE");
  const started = performance.now();
  const sent = await send(`http://127.0.0.1:${(naive.address() as AddressInfo).port}/`, list, 64);
  const seconds = (performance.now() - started) / 1000;
  const landed = await ordersInDb();
  const fetches = await ordersFetched();
  await new Promise<void>((resolve) => naive.close(() => resolve()));
  return [
    "| design | notifications (unique) | ack p50 / p99 / max ms | non-2xx acks | all orders in Postgres after | orders/s | ML GETs per unique order | lost |",
    "|---|---|---|---|---|---|---|---|",
    `| naive (fetch + upsert in the request) | ${list.length} (${orderIds.length}) | ${lat(sent.latencies)} | ${sent.failures} | ${round(seconds, 2)} s | ${Math.round(orderIds.length / seconds)} | ${round(fetches / orderIds.length, 3)} | ${orderIds.length - landed} |`,
  ].join("\n");
}

const results: VariantResult[] = [];
for (const [i, { build, processes }] of variants.entries()) {
  if (build === "before" && !beforeDir) continue;
  const result = await runVariant(build, processes, process.env.BENCH_PIPELINE_NAIVE === "1" && i === variants.length - 1);
  if (profileDir) result.profile = summariseProfiles(join(profileDir, `${build}-${processes}`), result.window, build === "before" ? beforeDir! : root);
  results.push(result);
  console.log(JSON.stringify({ ...result, acks: lat(result.acks.latencies), probe: lat(result.probe.latencies), profile: result.profile }, null, 1));
}

const pipelineTable = [
  "| variant | acks: p50 / p99 / max ms, non-2xx, acks/s | drain (release → all in Postgres) | drained orders/s | ack p50 / p99 / max ms during the drain (1 conn.), non-2xx | ML GETs per unique order | lost | event rows twice | events not finished | fetched by each process | CPU during the drain: cores (ms per order) |",
  "|---|---|---|---|---|---|---|---|---|---|---|",
  ...results.map(
    (r) =>
      `| ${r.label} | ${lat(r.acks.latencies)}, ${r.acks.failures}, ${Math.round(total / r.acks.seconds)} | ${round(r.drainSeconds, 2)} s | **${Math.round(unique / r.drainSeconds)}** | ${lat(r.probe.latencies)}, ${r.probe.failures} | ${round(r.fetchesPerOrder, 3)} | ${unique - r.landed} | ${r.eventDuplicates} | ${r.unfinished} | ${r.perProcess.join(" + ")} | ${Object.entries(
        r.cpu,
      )
        .map(([k, v]) => `${k} ${v.cores} (${v.msPerOrder})`)
        .join(", ")} |`,
  ),
].join("\n");
console.log(pipelineTable);

const profileTable = (heading: string, rows: Array<[string, number]>, total: number, code: boolean) =>
  [`| ${heading} | ms per order | % |`, "|---|---|---|", ...rows.map(([k, v]) => `| ${code ? `\`${k}\`` : k} | ${round(v / unique, 2)} | ${round((100 * v) / total)} |`)].join("\n");
// V8 samples wall time between samples: on a box shared with other work a busy thread waiting for a core is counted
// too, so the totals exceed the CPU /proc reports; the shares are what the profile is for.
const profileNote =
  "V8's profiler counts the wall time between samples, so on a shared box a thread waiting for a core counts too and the totals run above the CPU /proc reports (the table's last column); read the shares. `writev`/`writeBuffer`/`writeUtf8String` are socket writes (one per Postgres statement or Redis command, plus the HTTP answers and the log lines); the kernel's loopback work is charged to the writer.";
const profileText = results
  .filter((r) => r.profile)
  .map((r) => {
    const { total: cpu, areas, functions } = r.profile!;
    return `#### ${r.label}: ${round(cpu / 1000, 1)} s of jobs CPU during the drain, ${round(cpu / unique, 2)} ms per order\n\n${profileTable("self time by area", areas, cpu, false)}\n\n${profileTable("self time by function", functions, cpu, true)}`;
  })
  .join("\n\n");

await writeSection(
  "webhooks-pipeline",
  `## Webhook pipeline end to end (issues 5 and 18)

Run: \`npm run bench -- webhooks-pipeline\` on ${new Date().toISOString().slice(0, 10)}; ${machineLine()}.
Path: HTTP client → wrangler dev (workerd) → account check → local QStash stand-in → jobs ingress → BullMQ on Redis 7 →
\`ml.webhook\` processor → ML sandbox → Postgres 15. Everything, the load generator, the QStash stand-in and the ML sandbox
included (one Node process), shares this machine's 2 cores. One seller; the ML call budget is lifted (ML_APP_RATE_*=10000,
ML_ACCOUNT_CONCURRENCY=64) and the sandbox has no rate limit, so this is our own capacity. LOG_LEVEL=info in the jobs processes.

### ${total} notifications for ${unique} unique orders (20 % duplicates, shuffled), 64 connections

${pipelineTable}

Each variant runs on a fresh stack with QStash holding deliveries while the notifications are acknowledged; the drain
starts at the release (every held message is then delivered at once) and ends when the last order is in Postgres.
"Before" is the jobs code as it was before issue 18's pipeline changes, run from a copy beside this one.
${profileText ? `\n### Where the jobs processes' time goes (\`--cpu-prof\`, samples during the drain)\n\n${profileNote}\n\n${profileText}\n` : ""}${naiveTable ? `\n### The naive design (issue 5), same notifications\n\n${naiveTable}\n` : ""}`,
);
