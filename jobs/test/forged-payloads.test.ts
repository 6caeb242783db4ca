import { Queue } from "bullmq";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uuidv7 } from "#core/ids";
import type { TinyServices } from "#integrations/tiny";
import { createNodeDb } from "#db/client-node";
import { upsertManualLink } from "#db/queries/tiny";
import { tinyOrderPushes, tinyProductLinks, tinyProductSyncRuns, tinyProducts, tinyStockLevels } from "#db/schema";
import { startTinySandbox, type TinySandbox } from "#dev/sandbox/tiny";
import { randomTokenKeys } from "#test/support/ml-seller";
import { localQstashSigningKeys } from "../src/env";
import { tinyOrderPush } from "../src/processors/tiny/order-push";
import { tinyProductSync } from "../src/processors/tiny/product-sync";
import { tinyStockSync, tinyWebhook } from "../src/processors/tiny/stock";
import { startJobs, type RunningJobs } from "../src/start";
import { signDelivery } from "./support/qstash-signer";
import { closedPort, createTestResources, memoryLogger, publicUrl, waitFor, type TestResources } from "./support/resources";
import { sandboxTinyServices } from "./support/tiny";
import { linkToSandboxProducts, seedMlOrder, seedOrderSeller, type OrderSeller } from "./support/tiny-orders";

/**
 * A job payload is a claim, not proof (review M2): whoever can sign a QStash delivery, or a bug
 * upstream, can name one user's order with another user's Tiny account. Each forged job here
 * goes in through the real signed ingress and a real BullMQ worker; it must fail at once and
 * for good, write nothing for either tenant and cost no Tiny call.
 */
let resources: TestResources;
let sandbox: TinySandbox;
let database: ReturnType<typeof createNodeDb>;
let tiny: TinyServices;
let jobs: RunningJobs;
const log = memoryLogger();
const queues: Queue[] = [];
let attacker: OrderSeller;
let victim: OrderSeller;

async function deliver(jobName: string, payload: unknown): Promise<string> {
  const raw = JSON.stringify(payload);
  const signature = await signDelivery({ key: localQstashSigningKeys.current, url: `${publicUrl}/qstash/${jobName}`, body: raw });
  const response = await fetch(`${jobs.url}/qstash/${jobName}`, {
    method: "POST",
    headers: { "upstash-signature": signature, "content-type": "application/json", "upstash-message-id": `msg_${crypto.randomUUID()}` },
    body: raw,
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { jobId: string }).jobId;
}

/** Waits for the job to end in `state` and returns what BullMQ kept of it. */
async function settled(queueName: string, jobId: string, state: "failed" | "completed" = "failed") {
  const queue = new Queue(queueName, { connection: { host: "127.0.0.1", port: 6379 }, prefix: resources.prefix });
  queues.push(queue);
  // The state first: a job read before it settles carries its in-flight attempt counts.
  return waitFor(async () => ((await queue.getJobState(jobId)) === state ? await queue.getJob(jobId) : undefined), `${jobId} to end ${state}`);
}

/** Nothing left to run on the queue (an earlier test's follow-ups included), so counters show this test's calls alone. */
async function idle(queueName: string) {
  const queue = new Queue(queueName, { connection: { host: "127.0.0.1", port: 6379 }, prefix: resources.prefix });
  queues.push(queue);
  await waitFor(async () => Object.values(await queue.getJobCounts("waiting", "active", "delayed", "prioritized")).every((n) => n === 0), `${queueName} to be idle`);
}

beforeAll(async () => {
  resources = await createTestResources();
  sandbox = await startTinySandbox({ port: 0, seed: 31, products: 6, quotas: { enabled: false } });
  database = createNodeDb(resources.databaseUrl, { max: 4 });
  const tokenKeys = randomTokenKeys();
  tiny = await sandboxTinyServices(database.db, sandbox, tokenKeys, memoryLogger());
  attacker = await seedOrderSeller(database.db, tiny, sandbox, "attacker");
  victim = await seedOrderSeller(database.db, tiny, sandbox, "victim");
  jobs = await startJobs(
    resources.env({
      TOKEN_ENCRYPTION_KEYS: tokenKeys,
      TINY_API_URL: sandbox.apiUrl,
      TINY_AUTH_URL: tiny.config.authUrl,
      TINY_CLIENT_ID: tiny.config.clientId,
      TINY_CLIENT_SECRET: tiny.config.clientSecret,
      // The stock processors need an ML client; nothing may reach it, so it points where nothing listens.
      ML_API_URL: `http://127.0.0.1:${await closedPort()}`,
      ML_APP_ID: "1234567890",
      ML_CLIENT_SECRET: "unused",
    }),
    {
      processors: { "tinyerp.order.push": tinyOrderPush, "tinyerp.products.sync": tinyProductSync, "tinyerp.stock.sync": tinyStockSync, "tinyerp.webhook": tinyWebhook },
      log,
      schedulers: false,
    },
  );
}, 60_000);

afterAll(async () => {
  await Promise.all(queues.map((queue) => queue.close()));
  await jobs?.close();
  await database?.close();
  await sandbox?.close();
  await resources?.cleanup();
});

describe.sequential("forged job payloads", () => {
  it("tinyerp.order.push naming the attacker's order and the victim's Tiny account fails for good, writing and calling nothing", async () => {
    const mlOrderId = 3_000_000_000_000 + Math.floor(Math.random() * 1e12);
    const item = { mlItemId: `MLB${Date.now()}`, mlVariationId: null, sku: [...sandbox.state().products.values()][0]!.sku, quantity: 1, unitPrice: "10.00" };
    await seedMlOrder(database.db, attacker, { mlOrderId, buyerId: 310_000_001, items: [item] });
    await linkToSandboxProducts(database.db, attacker, sandbox, [item]);
    sandbox.counters.reset();

    const jobId = await deliver("tinyerp.order.push", { userId: attacker.userId, tinyAccountId: victim.tinyAccountId, mlOrderId });
    const job = await settled("tinyerp-realtime", jobId);

    // Permanent: one attempt of the six the catalog allows, no retry scheduled.
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toMatch(/not_found/);
    expect(await database.db.select().from(tinyOrderPushes).where(eq(tinyOrderPushes.mlOrderId, mlOrderId))).toEqual([]);
    expect(await database.db.select().from(tinyOrderPushes).where(eq(tinyOrderPushes.tinyAccountId, victim.tinyAccountId))).toEqual([]);
    expect(sandbox.counters.total()).toBe(0);
    expect(log.lines.find((line) => line.msg.startsWith("order push refused"))).toMatchObject({
      level: "warn",
      userId: attacker.userId,
      tinyAccountId: victim.tinyAccountId,
      mlOrderId,
    });

    // The same order with the attacker's own account is pushed: the refusal is about ownership, nothing else.
    await settled("tinyerp-realtime", await deliver("tinyerp.order.push", { userId: attacker.userId, tinyAccountId: attacker.tinyAccountId, mlOrderId }), "completed");
    const pushes = await database.db.select().from(tinyOrderPushes).where(eq(tinyOrderPushes.mlOrderId, mlOrderId));
    expect(pushes.map((push) => [push.tinyAccountId, push.status])).toEqual([[attacker.tinyAccountId, "created"]]);
  });

  it("tinyerp.order.push naming the victim's order with the victim's Tiny account but the attacker as user fails for good", async () => {
    const mlOrderId = 3_100_000_000_000 + Math.floor(Math.random() * 1e12);
    const item = { mlItemId: `MLB${Date.now()}`, mlVariationId: null, sku: [...sandbox.state().products.values()][1]!.sku, quantity: 1, unitPrice: "10.00" };
    await seedMlOrder(database.db, victim, { mlOrderId, buyerId: 310_000_002, items: [item] });
    sandbox.counters.reset();

    const job = await settled("tinyerp-realtime", await deliver("tinyerp.order.push", { userId: attacker.userId, tinyAccountId: victim.tinyAccountId, mlOrderId }));
    expect(job.attemptsMade).toBe(1);
    expect(await database.db.select().from(tinyOrderPushes).where(eq(tinyOrderPushes.mlOrderId, mlOrderId))).toEqual([]);
    expect(sandbox.counters.total()).toBe(0);
  });

  it("tinyerp.products.sync of a run whose Tiny account is not its user's fails for good, writing and calling nothing", async () => {
    // Runs are written by the Worker for the caller's own account; this one is what a bug or a tampered row would leave.
    const runId = uuidv7();
    await database.db.insert(tinyProductSyncRuns).values({ id: runId, userId: attacker.userId, tinyAccountId: victim.tinyAccountId, trigger: "api", requestedBy: attacker.userId });
    const linksBefore = await database.db.select().from(tinyProductLinks).where(eq(tinyProductLinks.tinyAccountId, victim.tinyAccountId));
    sandbox.counters.reset();

    const job = await settled("tinyerp-sync", await deliver("tinyerp.products.sync", { runId }));
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toMatch(/not_found/);
    const [run] = await database.db.select().from(tinyProductSyncRuns).where(eq(tinyProductSyncRuns.id, runId));
    expect(run!.status).toBe("queued");
    expect(await database.db.select().from(tinyProductLinks).where(eq(tinyProductLinks.tinyAccountId, victim.tinyAccountId))).toEqual(linksBefore);
    expect(await database.db.select().from(tinyProducts).where(eq(tinyProducts.accountId, victim.tinyAccountId))).toEqual([]);
    expect(sandbox.counters.total()).toBe(0);
    expect(log.lines.find((line) => line.msg.startsWith("product sync refused"))).toMatchObject({ level: "warn", runId, userId: attacker.userId, tinyAccountId: victim.tinyAccountId });
  });

  it("tinyerp.stock.sync and tinyerp.webhook naming the victim's linked product under the attacker's account touch nothing of the victim", async () => {
    const productId = [...sandbox.state().products.values()][2]!.id;
    const mlItemId = `MLB${Date.now()}`;
    await upsertManualLink(database.db, { userId: victim.userId, tinyAccountId: victim.tinyAccountId, mlItemId, mlVariationId: null, tinyProductId: productId, tinySku: null }, new Date());
    const [linkBefore] = await database.db.select().from(tinyProductLinks).where(eq(tinyProductLinks.mlItemId, mlItemId));
    await idle("tinyerp-realtime");
    sandbox.counters.reset();

    // Tiny product ids are read with the named account's own token, and only products that account links are followed.
    const sync = await settled("tinyerp-realtime", await deliver("tinyerp.stock.sync", { accountId: attacker.tinyAccountId, productIds: [productId], trigger: "api" }), "completed");
    expect(sync.returnvalue).toMatchObject({ outcome: "synced", products: 0, ignored: 1, tinyReads: 0, pushed: 0 });
    const hook = await settled(
      "tinyerp-realtime",
      await deliver("tinyerp.webhook", { accountId: attacker.tinyAccountId, tipo: "estoque", dados: { idProduto: productId }, receivedAt: Date.now() }),
      "completed",
    );
    const followUp = await settled("tinyerp-realtime", (hook.returnvalue as { jobId: string }).jobId, "completed");
    expect(followUp.returnvalue).toMatchObject({ outcome: "synced", ignored: 1, tinyReads: 0, pushed: 0 });

    expect(sandbox.counters.total()).toBe(0);
    expect(await database.db.select().from(tinyProductLinks).where(eq(tinyProductLinks.mlItemId, mlItemId))).toEqual([linkBefore]);
    const levels = await database.db.select().from(tinyStockLevels).where(eq(tinyStockLevels.tinyProductId, productId));
    expect(levels).toEqual([]);
  });
});
