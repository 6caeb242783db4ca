import { jobs } from "#core/jobs/catalog";
import { Queue } from "bullmq";
import { inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Problem } from "#core/errors";
import { createNodeDb } from "#db/client-node";
import { webhookEvents } from "#db/schema";
import { localQstashSigningKeys } from "../src/env";
import type { EnqueueResult } from "../src/queues/enqueue";
import { startJobs, type RunningJobs } from "../src/start";
import { signDelivery } from "./support/qstash-signer";
import { orderNotification } from "./support/notifications";
import { adminCredentials, closedPort, createTestResources, memoryLogger, metricsToken, publicUrl, type TestResources } from "./support/resources";

let resources: TestResources;
let up: RunningJobs;
let down: RunningJobs;
let webhookQueue: Queue;
const log = memoryLogger();

beforeAll(async () => {
  resources = await createTestResources();
  // No processors: jobs stay waiting, so the tests can inspect exactly what was enqueued.
  up = await startJobs(resources.env(), { processors: {}, log, maxBodyBytes: 4096 });
  down = await startJobs(resources.env({ REDIS_URL: `redis://127.0.0.1:${await closedPort()}` }), {
    processors: {},
    log: memoryLogger(),
  });
  webhookQueue = new Queue("ml-webhook", { connection: { host: "127.0.0.1", port: 6379 }, prefix: resources.prefix });
});

afterAll(async () => {
  await Promise.all([up?.close(), down?.close()]);
  await webhookQueue?.close();
  await resources?.cleanup();
});

interface Delivery {
  jobName?: string;
  body?: string;
  signedBody?: string;
  signedUrl?: string;
  key?: string;
  issuedAt?: number;
  messageId?: string;
  signature?: string | null;
  target?: RunningJobs;
}

/** Posts like QStash would: signed for the public URL unless a test says otherwise. */
async function deliver(options: Delivery = {}): Promise<Response> {
  const jobName = options.jobName ?? "ml.webhook";
  const body = options.body ?? JSON.stringify(orderNotification());
  const signature =
    options.signature === undefined
      ? await signDelivery({
          key: options.key ?? localQstashSigningKeys.current,
          url: options.signedUrl ?? `${publicUrl}/qstash/${jobName}`,
          body: options.signedBody ?? body,
          ...(options.issuedAt === undefined ? {} : { issuedAt: options.issuedAt }),
        })
      : options.signature;
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "upstash-message-id": options.messageId ?? `msg_${Math.random().toString(36).slice(2)}`,
    "upstash-retried": "0",
  };
  if (signature !== null) headers["upstash-signature"] = signature;
  return fetch(`${(options.target ?? up).url}/qstash/${jobName}`, { method: "POST", headers, body });
}

const jobCount = () => webhookQueue.getJobCountByTypes("waiting", "active", "delayed", "completed", "failed");

describe("GET /health", () => {
  it("answers 200 with both checks and their latency", async () => {
    const response = await fetch(`${up.url}/health`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { checks: { database: { latencyMs: number }; redis: { latencyMs: number } } };
    expect(body).toMatchObject({
      status: "ok",
      checks: { database: { ok: true }, redis: { ok: true } },
    });
    expect(typeof body.checks.database.latencyMs).toBe("number");
    expect(typeof body.checks.redis.latencyMs).toBe("number");
  });

  it("answers 503 naming the failing check when Redis is unreachable", async () => {
    const started = Date.now();
    const response = await fetch(`${down.url}/health`);
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({
      status: "unavailable",
      checks: { database: { ok: true }, redis: { ok: false, error: "unreachable" } },
    });
  });
});

describe("startJobs", () => {
  it("rejects when the port is taken, leaving nothing running", async () => {
    const port = new URL(up.url).port;
    const quiet = memoryLogger();
    await expect(startJobs(resources.env({ JOBS_PORT: port }), { processors: {}, log: quiet })).rejects.toThrow(/EADDRINUSE/);
    expect(quiet.lines.some((l) => l.msg === "shutdown complete")).toBe(true);
  });

  it("rejects when the admin port is taken, closing the public listener it had opened", async () => {
    const quiet = memoryLogger();
    const publicPort = String(await closedPort());
    const env = resources.env({ JOBS_PORT: publicPort, JOBS_ADMIN_PORT: new URL(up.adminUrl).port });
    await expect(startJobs(env, { processors: {}, log: quiet })).rejects.toThrow(/EADDRINUSE/);
    expect(quiet.lines.some((l) => l.msg === "shutdown complete")).toBe(true);
    await expect(fetch(`http://127.0.0.1:${publicPort}/health`)).rejects.toThrow();
  });
});

describe("HTTP conventions", () => {
  it("answers unknown routes with a 404 problem carrying the request id", async () => {
    const response = await fetch(`${up.url}/nope`);
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toContain("application/problem+json");
    const requestId = response.headers.get("x-request-id");
    expect(requestId).toBeTruthy();
    expect(await response.json()).toMatchObject({ status: 404, code: "not_found", requestId });
  });

  it("rejects bodies over the limit with 413", async () => {
    const response = await deliver({ body: JSON.stringify(orderNotification({ resource: "x".repeat(5000) })) });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ code: "payload_too_large" });
  });

  it("logs one JSON line per request", () => {
    const line = log.lines.find((l) => l.msg === "request" && l.path === "/nope");
    expect(line).toMatchObject({ method: "GET", status: 404 });
    expect(typeof line?.requestId).toBe("string");
  });
});

describe("POST /qstash/:jobName", () => {
  it("rejects missing, tampered, misaddressed, expired and foreign signatures with 401, enqueueing nothing", async () => {
    const before = await jobCount();
    const now = Math.floor(Date.now() / 1000);
    const rejected = [
      await deliver({ signature: null }),
      await deliver({ signature: "not.a.jwt" }),
      await deliver({ signedBody: JSON.stringify(orderNotification({ resource: "/orders/1" })) }),
      // Signed for the address the request actually hit, not the published one: the Host-header trap.
      await deliver({ signedUrl: `${up.url}/qstash/ml.webhook` }),
      await deliver({ issuedAt: now - 3600 }),
      await deliver({ key: "sig_someoneElsesKey" }),
    ];
    for (const response of rejected) {
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ code: "unauthorized" });
    }
    expect(await jobCount()).toBe(before);
  });

  it("accepts a delivery signed with the next signing key (key rotation)", async () => {
    const response = await deliver({
      key: localQstashSigningKeys.next,
      body: JSON.stringify(orderNotification({ _id: "rotation-test" })),
    });
    expect(response.status).toBe(200);
  });

  it("answers 404 for a job the catalog does not know", async () => {
    const response = await deliver({ jobName: "ml.nothing" });
    expect(response.status).toBe(404);
  });

  it("answers 400 with field errors for an invalid payload, enqueueing nothing", async () => {
    const before = await jobCount();
    const response = await deliver({ body: JSON.stringify({ resource: "", topic: "orders_v2" }) });
    expect(response.status).toBe(400);
    const problem = (await response.json()) as Problem;
    expect(problem.code).toBe("validation_failed");
    const paths = (problem.errors ?? []).map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(["body.resource", "body.user_id", "body.application_id", "body.sent"]));

    const notJson = await deliver({ body: "{not json" });
    expect(notJson.status).toBe(400);
    expect(await jobCount()).toBe(before);
  });

  it("enqueues the normalised payload with the catalog's options", async () => {
    const response = await deliver({ body: JSON.stringify(orderNotification({ _id: "enqueue-test" })) });
    expect(response.status).toBe(200);
    const { jobId, deduplicated } = (await response.json()) as EnqueueResult;
    expect(deduplicated).toBe(false);
    const job = await webhookQueue.getJob(jobId);
    expect(job?.name).toBe("ml.webhook");
    expect(job?.data).toMatchObject({ notificationId: "enqueue-test", userId: "468424240", topic: "orders_v2" });
    expect(job?.opts.attempts).toBe(8);
    // The coalescing delay: notifications for one resource arriving within it share one fetch.
    expect(job?.opts.delay).toBe(jobs["ml.webhook"].options.delay);
    expect(await job?.getState()).toBe("delayed");
  });

  it("turns a redelivery into one job: same QStash message, and ML's retry of the same notification", async () => {
    const before = await jobCount();
    const body = JSON.stringify(orderNotification({ _id: "dedup-test" }));
    const first = (await (await deliver({ body, messageId: "msg_dedup" })).json()) as EnqueueResult;
    const again = await (await deliver({ body, messageId: "msg_dedup" })).json();
    // ML retried: new QStash message, higher attempts, same notification id.
    const mlRetry = await (await deliver({ body: JSON.stringify(orderNotification({ _id: "dedup-test", attempts: 2 })), messageId: "msg_other" })).json();
    expect(first.deduplicated).toBe(false);
    expect(again).toEqual({ jobId: first.jobId, deduplicated: true });
    expect(mlRetry).toEqual({ jobId: first.jobId, deduplicated: true });
    expect(await jobCount()).toBe(before + 1);
  });

  it("records one enqueued event per notification when many deliveries arrive at once (grouped inserts), ML's retries included", async () => {
    const ids = Array.from({ length: 60 }, (_, i) => `burst-${i}`);
    // Each notification twice (an ML retry: another QStash message), all at once.
    const responses = await Promise.all([...ids, ...ids].map((id, i) => deliver({ body: JSON.stringify(orderNotification({ _id: id, attempts: i < ids.length ? 1 : 2 })) })));
    expect(responses.map((r) => r.status)).toEqual(responses.map(() => 200));
    const database = createNodeDb(resources.databaseUrl, { max: 1 });
    try {
      const rows = await database.db
        .select({ key: webhookEvents.notificationKey, status: webhookEvents.status, jobId: webhookEvents.jobId })
        .from(webhookEvents)
        .where(inArray(webhookEvents.mlNotificationId, ids));
      expect(rows).toHaveLength(ids.length);
      expect(new Set(rows.map((r) => r.key)).size).toBe(ids.length);
      expect(rows.every((r) => r.status === "enqueued" && r.jobId)).toBe(true);
    } finally {
      await database.close();
    }
  });

  it("answers 503 when Redis is unreachable, without hanging", async () => {
    const started = Date.now();
    const response = await deliver({ target: down });
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("5");
    expect(await response.json()).toMatchObject({ code: "unavailable" });
  });
});

const basic = (username: string, password: string) => ({
  authorization: `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`,
});
const adminAuth = basic(adminCredentials.username, adminCredentials.password);
const metricsAuth = { authorization: `Bearer ${metricsToken}` };

describe("the public listener (the one QStash reaches)", () => {
  it("serves neither Bull Board nor /metrics, whatever the credentials", async () => {
    expect(new URL(up.adminUrl).port).not.toBe(new URL(up.url).port);
    for (const path of ["/admin/queues", "/admin/queues/api/queues", "/metrics"]) {
      for (const headers of [{}, adminAuth, metricsAuth]) {
        const response = await fetch(`${up.url}${path}`, { headers });
        expect(response.status, `${path} ${JSON.stringify(headers)}`).toBe(404);
        expect(await response.json()).toMatchObject({ code: "not_found" });
      }
    }
  });

  it("is not where the admin listener serves the ingress or the health probe", async () => {
    expect((await fetch(`${up.adminUrl}/health`)).status).toBe(404);
    expect((await fetch(`${up.adminUrl}/qstash/ml.webhook`, { method: "POST", body: "{}" })).status).toBe(404);
  });
});

describe("Bull Board at /admin/queues on the admin listener", () => {
  it("requires basic auth, and the metrics token does not open it", async () => {
    const anonymous = await fetch(`${up.adminUrl}/admin/queues`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toMatch(/^Basic /);
    const wrong = await fetch(`${up.adminUrl}/admin/queues/api/queues`, { headers: basic(adminCredentials.username, "nope") });
    expect(wrong.status).toBe(401);
    expect((await fetch(`${up.adminUrl}/admin/queues/api/queues`, { headers: metricsAuth })).status).toBe(401);
    expect((await fetch(`${up.adminUrl}/admin/queues/api/queues`, { headers: basic(adminCredentials.username, metricsToken) })).status).toBe(401);
  });

  it("serves the dashboard and lists every catalog queue", async () => {
    const page = await fetch(`${up.adminUrl}/admin/queues`, { headers: adminAuth });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    const api = await fetch(`${up.adminUrl}/admin/queues/api/queues`, { headers: adminAuth });
    expect(api.status).toBe(200);
    const { queues } = (await api.json()) as { queues: { name: string }[] };
    expect(queues.map((q) => q.name).sort()).toEqual(["ml-sync", "ml-token-refresh", "ml-webhook", "tinyerp-realtime", "tinyerp-sync"]);
  });

  it("answers its API with 503 instead of hanging while Redis is unreachable", async () => {
    const response = await fetch(`${down.adminUrl}/admin/queues/api/queues`, { headers: adminAuth, signal: AbortSignal.timeout(2_000) });
    expect(response.status).toBe(503);
  });
});

describe("/metrics on the admin listener", () => {
  it("opens with its own bearer token only: the admin credentials get 401", async () => {
    const anonymous = await fetch(`${up.adminUrl}/metrics`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toMatch(/^Bearer /);
    expect(anonymous.headers.get("content-type")).toContain("application/problem+json");
    expect((await fetch(`${up.adminUrl}/metrics`, { headers: adminAuth })).status).toBe(401);
    expect((await fetch(`${up.adminUrl}/metrics`, { headers: { authorization: `Bearer ${adminCredentials.password}` } })).status).toBe(401);
    expect((await fetch(`${up.adminUrl}/metrics`, { headers: { authorization: `Bearer ${metricsToken}x` } })).status).toBe(401);
    const response = await fetch(`${up.adminUrl}/metrics`, { headers: metricsAuth });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("autoecom_queue_jobs");
  });
});
