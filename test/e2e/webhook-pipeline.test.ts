import { fileURLToPath } from "node:url";
import { Queue } from "bullmq";
import { eq, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNodeDb } from "#db/client-node";
import { dropDatabase } from "#db/migrate";
import { mlOrders, webhookEvents } from "#db/schema";
import { DEMO_SELLER_ID } from "#dev/sandbox/ml";
import { startChild, type ChildHandle } from "#dev/stack/child";
import { isolatedStackConfig } from "#dev/stack/config";
import { waitForHttp } from "#dev/stack/ports";
import { deleteKeysWithPrefix } from "#dev/stack/redis-keys";
import { jobsEnv, localTokenEncryptionKeys, startStack, type RunningStack } from "#dev/stack/start";
import { signDelivery } from "../../jobs/test/support/qstash-signer";
import { connectSandboxSeller } from "../support/ml-seller";

/**
 * The whole pipeline as `npm run dev` runs it: a sale in the ML sandbox → its notification to
 * the Worker under wrangler dev → the local QStash → the jobs process's ingress → BullMQ → the
 * order row in Postgres. The orders read API is issue 6's, so the result is read through
 * GET /webhooks/events (the API) and the ml_orders table (directly).
 */
const root = fileURLToPath(new URL("../..", import.meta.url));
let stack: RunningStack;
let config: Awaited<ReturnType<typeof isolatedStackConfig>>;
let database: ReturnType<typeof createNodeDb>;
let token: string;
let accountId: string;
let jobsProcess: ChildHandle | undefined;
let webhookQueue: Queue;

beforeAll(async () => {
  config = await isolatedStackConfig();
  stack = await startStack({ ...config, sandbox: { ...config.sandbox, listings: 30, orders: 3, products: 10 } }, { quiet: true, readyTimeoutMs: 90_000 });
  database = createNodeDb(config.databaseUrl, { max: 3 });
  const credentials = { email: `wh-${Date.now()}@example.com`, password: "webhook pipeline" };
  await api("/auth/register", { method: "POST", json: credentials });
  const registered = await api<{ accessToken: string; user: { id: string } }>("/auth/login", { method: "POST", json: credentials });
  token = registered.body.accessToken;
  const sandbox = { url: stack.urls.mlSandbox!, appId: "5503910054141466", clientSecret: "sandbox-client-secret" };
  ({ accountId } = await connectSandboxSeller({ databaseUrl: config.databaseUrl, tokenKeys: localTokenEncryptionKeys, sandbox, mlUserId: DEMO_SELLER_ID, userId: registered.body.user.id }));
  webhookQueue = new Queue("ml-webhook", { connection: { host: "127.0.0.1", port: 6379 }, prefix: config.redisKeyPrefix });
}, 150_000);

afterAll(async () => {
  await webhookQueue?.close();
  await jobsProcess?.stop();
  await database?.close();
  await stack?.stop();
  if (!config) return;
  await dropDatabase(config.databaseUrl);
  await deleteKeysWithPrefix(config.redisUrl, config.redisKeyPrefix);
}, 60_000);

async function api<T>(path: string, init: { method?: string; json?: unknown; token?: string } = {}): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = {};
  if (init.json !== undefined) headers["content-type"] = "application/json";
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const response = await fetch(`${stack.urls.worker}${path}`, { method: init.method ?? "GET", headers, ...(init.json === undefined ? {} : { body: JSON.stringify(init.json) }) });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as T };
}

async function sandbox<T = Record<string, unknown>>(path: string, method = "POST", json: unknown = {}): Promise<T> {
  const response = await fetch(`${stack.urls.mlSandbox}/_sandbox${path}`, { method, headers: { "content-type": "application/json" }, body: method === "GET" ? undefined : JSON.stringify(json) });
  if (!response.ok) throw new Error(`sandbox ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

async function waitFor<T>(probe: () => Promise<T | undefined | false | null>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const orderRows = (ids: number[]) => database.db.select().from(mlOrders).where(inArray(mlOrders.mlOrderId, ids));
const counters = () => sandbox<{ counts: Record<string, number> }>("/counters", "GET");
const sandboxNotifications = () => sandbox<Array<{ id: string; topic: string; resource: string; delivery: { status: string } | null }>>("/notifications", "GET");

/** Every notification the sandbox sent for these orders, processed: exactly one event row each, none open or failed. */
async function expectProcessedExactlyOnce(orderIds: number[], timeoutMs = 90_000) {
  const resources = orderIds.map((id) => `/orders/${id}`);
  const sent = (await sandboxNotifications()).filter((n) => resources.includes(n.resource));
  await waitFor(
    async () => {
      const rows = await database.db
        .select({ key: webhookEvents.notificationKey, status: webhookEvents.status })
        .from(webhookEvents)
        .where(
          inArray(
            webhookEvents.mlNotificationId,
            sent.map((n) => n.id),
          ),
        );
      return rows.length === sent.length && rows.every((r) => r.status === "processed") ? rows : undefined;
    },
    `${sent.length} notifications to be processed`,
    timeoutMs,
  ).catch(async (error: unknown) => {
    const rows = await database.db
      .select()
      .from(webhookEvents)
      .where(
        inArray(
          webhookEvents.mlNotificationId,
          sent.map((n) => n.id),
        ),
      );
    const jobs = jobsProcess ?? stack.processes.jobs;
    throw new Error(
      `${(error as Error).message}; events: ${JSON.stringify(rows.map((r) => [r.topic, r.status, r.outcome, r.lastError]))}; ` +
        `jobs ${jobs.alive() ? "alive" : "dead"}: ${jobs.recentOutput().split("\n").slice(-8).join("\n")}`,
      { cause: error },
    );
  });
  const dupes = await database.db.execute(sql`select ml_notification_id, count(*) from webhook_events group by 1 having count(*) > 1`);
  expect(dupes.rows).toEqual([]);
  const rows = await orderRows(orderIds);
  expect(rows).toHaveLength(orderIds.length);
}

function startJobsProcess(overrides: Record<string, string> = {}): ChildHandle {
  return startChild("jobs", process.execPath, ["--import", "tsx", "jobs/src/main.ts"], { cwd: root, env: { ...process.env, ...jobsEnv(config), ...overrides }, quiet: true });
}

describe("webhook pipeline through the local stack", () => {
  it("a sandbox sale reaches Postgres and the events API, one ML fetch per order", async () => {
    const before = (await counters()).counts["GET /orders/:id"] ?? 0;
    const order = await sandbox<{ id: number }>("/orders", "POST", {});
    const row = await waitFor(async () => (await orderRows([order.id]))[0], "the order row");
    expect(row).toMatchObject({ accountId, status: "paid" });
    await expectProcessedExactlyOnce([order.id]);
    // created + paid arrived within the coalescing window: one GET for both.
    expect(((await counters()).counts["GET /orders/:id"] ?? 0) - before).toBe(1);

    const events = await api<{ events: Array<{ topic: string; resource: string; status: string; traceId: string | null; outcome: string }> }>(`/webhooks/events?topic=orders_v2&account=${accountId}`, {
      token,
    });
    expect(events.status).toBe(200);
    const mine = events.body.events.filter((e) => e.resource.endsWith(String(order.id)));
    expect(mine).toHaveLength(2);
    expect(mine.every((e) => e.status === "processed" && e.traceId)).toBe(true);
    expect(new Set(mine.map((e) => e.outcome))).toEqual(new Set(["fetched", "coalesced"]));
  });

  it("duplicates and created/paid/shipped bursts end as one row with the newest state, ≤ 1.05 fetches per order", async () => {
    await sandbox("/webhooks", "PATCH", { duplicateRate: 1 });
    const before = (await counters()).counts["GET /orders/:id"] ?? 0;
    const ids: number[] = [];
    for (let i = 0; i < 8; i++) {
      const order = await sandbox<{ id: number }>("/orders", "POST", { status: "payment_required" });
      await sandbox(`/orders/${order.id}/pay`);
      await sandbox(`/orders/${order.id}/ship`);
      ids.push(order.id);
    }
    await expectProcessedExactlyOnce(ids);
    await sandbox("/webhooks", "PATCH", { duplicateRate: 0 });
    const rows = await orderRows(ids);
    expect(rows.every((r) => r.status === "paid" && r.tags.includes("paid"))).toBe(true);
    const fetches = ((await counters()).counts["GET /orders/:id"] ?? 0) - before;
    expect(fetches / ids.length).toBeLessThanOrEqual(1.05);
  }, 120_000);

  it("survives the jobs process SIGKILLed mid-stream, Redis unreachable and QStash deliveries failing for a while", async () => {
    const ids: number[] = [];
    for (let i = 0; i < 6; i++) ids.push((await sandbox<{ id: number }>("/orders", "POST", {})).id);
    // Killed while those are being delivered and processed: nothing graceful happens.
    process.kill(-stack.processes.jobs.process.pid!, "SIGKILL");
    // While it is down, QStash deliveries fail (connection refused) and are retried.
    for (let i = 0; i < 6; i++) ids.push((await sandbox<{ id: number }>("/orders", "POST", {})).id);

    // Back, but with Redis unreachable: the ingress answers 503 and QStash keeps the messages.
    jobsProcess = startJobsProcess({ REDIS_URL: "redis://127.0.0.1:1" });
    await waitForHttp(`${stack.urls.jobs}/health`, { timeoutMs: 30_000, isAlive: jobsProcess.alive, expectStatus: 503 }).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await jobsProcess.stop();

    jobsProcess = startJobsProcess();
    await waitForHttp(`${stack.urls.jobs}/health`, { timeoutMs: 30_000, isAlive: jobsProcess.alive });
    await expectProcessedExactlyOnce(ids, 120_000);
  }, 240_000);

  it("rides out a 429 and 5xx storm from ML", async () => {
    await sandbox("/faults", "PUT", { rules: [{ match: { path: "/orders/*" }, rateLimitRate: 0.5, errorRate: 0.3, errorStatus: 503 }] });
    const ids: number[] = [];
    for (let i = 0; i < 6; i++) ids.push((await sandbox<{ id: number }>("/orders", "POST", {})).id);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await sandbox("/faults", "DELETE");
    await expectProcessedExactlyOnce(ids, 120_000);
  }, 180_000);

  it("rejects unsigned, tampered and expired QStash deliveries and bad webhook bodies, enqueueing nothing", async () => {
    const jobsBefore = await webhookQueue.getJobCountByTypes("waiting", "active", "delayed", "completed", "failed");
    const body = JSON.stringify({ _id: "sec-1", resource: "/orders/1", user_id: DEMO_SELLER_ID, topic: "orders_v2", application_id: 5503910054141466, sent: new Date().toISOString() });
    const url = `${stack.urls.jobs}/qstash/ml.webhook`;
    const post = (headers: Record<string, string>, payload = body) => fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: payload });
    expect((await post({})).status).toBe(401);
    const signed = await signDelivery({ key: config.qstashCurrentSigningKey, url, body });
    expect((await post({ "upstash-signature": signed }, body.replace("sec-1", "sec-2"))).status).toBe(401);
    const expired = await signDelivery({ key: config.qstashCurrentSigningKey, url, body, issuedAt: Math.floor(Date.now() / 1000) - 3_600 });
    expect((await post({ "upstash-signature": expired })).status).toBe(401);
    const foreign = await signDelivery({ key: "sig_not_ours", url, body });
    expect((await post({ "upstash-signature": foreign })).status).toBe(401);

    const webhook = (payload: string) => fetch(`${stack.urls.worker}/webhooks/ml`, { method: "POST", headers: { "content-type": "application/json" }, body: payload });
    expect((await webhook("{oops")).status).toBe(400);
    expect((await webhook(JSON.stringify({ topic: "orders_v2" }))).status).toBe(400);
    expect((await webhook(JSON.stringify({ padding: "x".repeat(100_000) }))).status).toBe(413);
    expect(await webhookQueue.getJobCountByTypes("waiting", "active", "delayed", "completed", "failed")).toBe(jobsBefore);
    const [row] = await database.db.select().from(webhookEvents).where(eq(webhookEvents.mlNotificationId, "sec-1"));
    expect(row).toBeUndefined();
  });
});
