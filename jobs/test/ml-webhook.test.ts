import { Queue } from "bullmq";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toClaimRow, toListingRow, toOrderRow, toQuestionRow, toShipmentRow } from "#integrations/mercadolibre/transform";
import { mlRecordedTopics } from "#core/jobs/ml-topics";
import { createNodeDb } from "#db/client-node";
import { upsertClaim, upsertListing, upsertOrder, upsertQuestion, upsertShipment } from "#db/queries/ml-data";
import { domainEvents, mlAccounts, mlClaims, mlListings, mlOrders, mlQuestions, mlShipments, webhookEvents } from "#db/schema";
import { DEMO_SELLER_ID, SECOND_SELLER_ID, startMlSandbox, type MlSandbox } from "#dev/sandbox/ml";
import { startReceiver, type Receiver } from "#dev/sandbox/ml/test-helpers";
import { connectSandboxSeller, randomTokenKeys } from "#test/support/ml-seller";
import { localQstashSigningKeys } from "../src/env";
import { startJobs, type RunningJobs } from "../src/start";
import { signDelivery } from "./support/qstash-signer";
import { createTestResources, memoryLogger, metricsToken, publicUrl, waitFor, type TestResources } from "./support/resources";

/**
 * The jobs side of the webhook pipeline against real Postgres, Redis and the ML sandbox: the
 * sandbox's own notifications (all its payload variants) are captured by a receiver and
 * delivered to the ingress signed exactly as QStash signs them.
 */
let resources: TestResources;
let sandbox: MlSandbox;
let receiver: Receiver;
let jobs: RunningJobs;
let database: ReturnType<typeof createNodeDb>;
let demo: { userId: string; accountId: string };
let syncQueue: Queue;
let tokenKeys: string;

beforeAll(async () => {
  resources = await createTestResources();
  receiver = await startReceiver();
  sandbox = await startMlSandbox({ port: 0, seed: 11, listings: 40, orders: 5, callbackUrl: receiver.url, timeScale: 0.0005 });
  tokenKeys = randomTokenKeys();
  demo = await connectSandboxSeller({ databaseUrl: resources.databaseUrl, tokenKeys, sandbox, mlUserId: DEMO_SELLER_ID });
  database = createNodeDb(resources.databaseUrl, { max: 2 });
  jobs = await startJobs(
    resources.env({
      ML_API_URL: sandbox.url,
      ML_APP_ID: sandbox.appId,
      ML_CLIENT_SECRET: sandbox.clientSecret,
      TOKEN_ENCRYPTION_KEYS: tokenKeys,
      ML_APP_RATE_PER_SECOND: "1000",
      ML_APP_RATE_MAX_PER_SECOND: "1000",
    }),
    { log: memoryLogger(), schedulers: false },
  );
  syncQueue = new Queue("ml-sync", { connection: { host: "127.0.0.1", port: 6379 }, prefix: resources.prefix });
}, 60_000);

afterAll(async () => {
  await syncQueue?.close();
  await jobs?.close();
  await database?.close();
  await sandbox?.close();
  await receiver?.close();
  await resources?.cleanup();
});

async function deliver(body: unknown, jobName = "ml.webhook"): Promise<Response> {
  const raw = JSON.stringify(body);
  const signature = await signDelivery({ key: localQstashSigningKeys.current, url: `${publicUrl}/qstash/${jobName}`, body: raw });
  return fetch(`${jobs.url}/qstash/${jobName}`, {
    method: "POST",
    headers: { "upstash-signature": signature, "content-type": "application/json", "upstash-message-id": `msg_${crypto.randomUUID()}` },
    body: raw,
  });
}

/** Every notification the sandbox sent since `from`, in order. */
async function captured(from: number): Promise<Record<string, unknown>[]> {
  await sandbox.webhooks.idle();
  return receiver.received.slice(from);
}

const getCount = (route: string) => sandbox.counters.get(route);
const orderRow = async (id: number) => (await database.db.select().from(mlOrders).where(eq(mlOrders.mlOrderId, id)))[0];

async function settled(): Promise<void> {
  await waitFor(
    async () => {
      const [row] = await database.db.select({ open: sql<number>`count(*) filter (where status in ('received','enqueued','processing'))::int` }).from(webhookEvents);
      return row!.open === 0 ? true : undefined;
    },
    "every webhook event to settle",
    20_000,
  );
}

async function control<T = Record<string, unknown>>(path: string, json: unknown = {}): Promise<T> {
  const response = await fetch(`${sandbox.url}/_sandbox${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(json) });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

describe("ml.webhook processing", () => {
  it("turns a sandbox sale into an order, listing and shipment, one ML fetch per resource", async () => {
    const mark = receiver.received.length;
    sandbox.counters.reset();
    const order = await control<{ id: number; shipping: { id: number } }>("/orders", {});
    const notifications = await captured(mark);
    expect(notifications.map((n) => n.topic).sort()).toEqual(["items", "orders_v2", "orders_v2", "shipments"]);
    for (const n of notifications) expect((await deliver(n)).status).toBe(200);
    await settled();

    const row = await orderRow(order.id);
    expect(row).toMatchObject({ accountId: demo.accountId, status: "paid", shippingId: order.shipping.id });
    expect(row!.payments[0]).toMatchObject({ status: "approved" });
    expect(getCount("GET /orders/:id")).toBe(1);
    expect(getCount("GET /items/:id")).toBe(1);
    expect(getCount("GET /shipments/:id")).toBe(1);
    const [shipment] = await database.db.select().from(mlShipments).where(eq(mlShipments.mlShipmentId, order.shipping.id));
    expect(shipment).toMatchObject({ status: "ready_to_ship", substatus: "ready_to_print", labelAvailable: true });
    const events = await database.db.select().from(webhookEvents).where(eq(webhookEvents.accountId, demo.accountId));
    expect(events.filter((e) => e.status !== "processed")).toEqual([]);
    expect(new Set(events.map((e) => e.outcome))).toEqual(new Set(["fetched", "coalesced"]));
  });

  it("processes a notification delivered five times exactly once", async () => {
    const mark = receiver.received.length;
    await control("/questions", { item_id: (await control<{ order_items: { item: { id: string } }[] }>("/orders", {})).order_items[0]!.item.id, text: "Tem azul?" });
    const question = (await captured(mark)).find((n) => n.topic === "questions")!;
    sandbox.counters.reset();
    const answers = await Promise.all(Array.from({ length: 5 }, () => deliver(question)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    const bodies = (await Promise.all(answers.map((a) => a.json()))) as { jobId: string }[];
    expect(new Set(bodies.map((b) => b.jobId)).size).toBe(1);
    await settled();
    expect(getCount("GET /questions/:id")).toBe(1);
    const id = Number(String(question.resource).split("/").pop());
    const [row] = await database.db.select().from(mlQuestions).where(eq(mlQuestions.mlQuestionId, id));
    expect(row).toMatchObject({ status: "UNANSWERED", text: "Tem azul?" });
    const announced = await database.db
      .select()
      .from(domainEvents)
      .where(eq(domainEvents.subjectId, String(id)));
    expect(announced).toEqual([expect.objectContaining({ type: "question.received", userId: demo.userId })]);
  });

  it("coalesces a created/paid/shipped burst delivered out of order into one row with the newest state", async () => {
    const mark = receiver.received.length;
    const order = await control<{ id: number }>("/orders", { status: "payment_required" });
    await control(`/orders/${order.id}/pay`);
    await control(`/orders/${order.id}/ship`);
    const burst = (await captured(mark)).filter((n) => n.topic === "orders_v2");
    expect(burst.length).toBe(3);
    sandbox.counters.reset();
    for (const n of [...burst].reverse()) expect((await deliver(n)).status).toBe(200);
    await settled();
    expect(getCount("GET /orders/:id")).toBe(1);
    const row = await orderRow(order.id);
    expect(row).toMatchObject({ status: "paid", tags: ["paid", "not_delivered"] });
  });

  it("never lets an older state overwrite a newer one", async () => {
    const order = await control<Record<string, unknown> & { id: number; last_updated: string }>("/orders", {});
    const newer = toOrderRow({ ...order, status: "cancelled", last_updated: new Date(Date.parse(order.last_updated) + 60_000).toISOString() }, new Date());
    const older = toOrderRow({ ...order, status: "paid" }, new Date());
    expect((await upsertOrder(database.db, demo.accountId, newer)).applied).toBe(true);
    expect((await upsertOrder(database.db, demo.accountId, older)).applied).toBe(false);
    expect((await orderRow(order.id))!.status).toBe("cancelled");
  });

  it("keeps the buyer from a full answer when a later fetch is a 206", async () => {
    const mark = receiver.received.length;
    const order = await control<{ id: number }>("/orders", {});
    const first = (await captured(mark)).filter((n) => n.topic === "orders_v2").at(-1)!;
    await deliver(first);
    await settled();
    expect((await orderRow(order.id))!.buyer).toMatchObject({ id: expect.any(Number) });

    await fetch(`${sandbox.url}/_sandbox/orders/${order.id}/partial`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ fields: ["buyer", "feedback"] }) });
    const mark2 = receiver.received.length;
    await control(`/orders/${order.id}/ready_to_ship`);
    for (const n of (await captured(mark2)).filter((x) => x.topic === "orders_v2")) await deliver(n);
    await settled();
    const row = await orderRow(order.id);
    expect(row!.missingFields).toEqual(["buyer", "feedback"]);
    expect(row!.buyer).toMatchObject({ id: expect.any(Number) });
  });

  it("stores claims and listings with their SKUs", async () => {
    const mark = receiver.received.length;
    const order = await control<{ id: number }>("/orders", {});
    const claim = await control<{ id: number }>("/claims", { order_id: order.id });
    for (const n of await captured(mark)) await deliver(n);
    await settled();
    const [claimRow] = await database.db.select().from(mlClaims).where(eq(mlClaims.mlClaimId, claim.id));
    expect(claimRow).toMatchObject({ status: "opened", resource: "order", resourceId: order.id });
    const listings = await database.db.select().from(mlListings).where(eq(mlListings.accountId, demo.accountId));
    expect(listings.length).toBeGreaterThan(0);
  });

  it("rides out a 429 and 5xx storm, then processes every notification exactly once", async () => {
    const mark = receiver.received.length;
    const created = [];
    for (let i = 0; i < 5; i++) created.push(await control<{ id: number }>("/orders", {}));
    const notifications = (await captured(mark)).filter((n) => n.topic === "orders_v2");
    sandbox.faults.set(undefined, [
      { match: { path: "/orders/*" }, rateLimitRate: 1, retryAfterSeconds: 1, times: 6 },
      { match: { path: "/orders/*" }, errorRate: 1, errorStatus: 503, times: 6 },
    ]);
    sandbox.counters.reset();
    for (const n of notifications) await deliver(n);
    await settled();
    sandbox.faults.clear();
    for (const order of created) expect((await orderRow(order.id))?.status).toBe("paid");
    const keys = notifications.map((n) => `id|${String(n._id ?? n.id)}`);
    const rows = await database.db
      .select()
      .from(webhookEvents)
      .where(sql`${webhookEvents.notificationKey} in ${keys}`);
    expect(rows).toHaveLength(notifications.length);
    expect(rows.every((r) => r.status === "processed")).toBe(true);
  }, 60_000);

  it("fails a permanent 4xx at once (no retries), and lets the user replay it", async () => {
    const foreign = await control<{ id: number }>("/orders", { seller_id: SECOND_SELLER_ID });
    const body = {
      _id: crypto.randomUUID(),
      resource: `/orders/${foreign.id}`,
      user_id: DEMO_SELLER_ID,
      topic: "orders_v2",
      application_id: sandbox.appId,
      attempts: 1,
      sent: new Date().toISOString(),
    };
    await deliver(body);
    const key = `id|${body._id}`;
    const failed = await waitFor(
      async () => {
        const [row] = await database.db.select().from(webhookEvents).where(eq(webhookEvents.notificationKey, key));
        return row?.status === "failed" ? row : undefined;
      },
      "the event to fail",
      15_000,
    );
    expect(failed.attempts).toBe(1);
    expect(failed.lastError).toMatch(/403/);

    await database.db.update(webhookEvents).set({ status: "enqueued", replayCount: 1 }).where(eq(webhookEvents.id, failed.id));
    expect((await deliver({ eventId: failed.id, replay: 1 }, "ml.webhook.replay")).status).toBe(200);
    await waitFor(
      async () => {
        const [row] = await database.db.select().from(webhookEvents).where(eq(webhookEvents.id, failed.id));
        return row?.status === "failed" && row.attempts === 2 ? row : undefined;
      },
      "the replay to run",
      15_000,
    );
  });

  it("records the topics the catalog only records, without calling ML, and skips a topic outside its list", async () => {
    const before = getCount("GET /orders/:id") + getCount("GET /items/:id");
    const outcomes: Record<string, unknown> = {};
    for (const topic of [...mlRecordedTopics, "invoices"]) {
      const id = crypto.randomUUID();
      const body = { _id: id, resource: "3f6da1e35ac84f70a24af7360d24c7bc", user_id: DEMO_SELLER_ID, topic, application_id: Number(sandbox.appId), attempts: 1, sent: new Date().toISOString() };
      expect((await deliver(body)).status).toBe(200);
      await settled();
      const [event] = await database.db
        .select()
        .from(webhookEvents)
        .where(eq(webhookEvents.notificationKey, `id|${id}`));
      outcomes[topic] = [event?.status, event?.outcome];
    }
    expect(outcomes).toEqual({ messages: ["processed", "recorded"], payments: ["processed", "recorded"], invoices: ["skipped", "unhandled_topic"] });
    expect(getCount("GET /orders/:id") + getCount("GET /items/:id")).toBe(before);
  });

  it("recovers notifications ML gave up on from /missed_feeds, and orders ML never notified through reconciliation", async () => {
    receiver.respond = () => ({ status: 500 });
    const missed = await control<{ id: number }>("/orders", {});
    await sandbox.webhooks.idle();
    receiver.respond = () => ({ status: 200 });
    expect(await orderRow(missed.id)).toBeUndefined();
    await syncQueue.add("ml.missed-feeds", {}, { jobId: `missed-${missed.id}` });
    await waitFor(async () => (await orderRow(missed.id)) ?? undefined, "the missed order to land", 20_000);
    const [event] = await database.db
      .select()
      .from(webhookEvents)
      .where(eq(webhookEvents.resource, `/orders/${missed.id}`));
    expect(event?.source).toBe("missed_feed");

    // The callback is off: ML never even tries.
    await fetch(`${sandbox.url}/_sandbox/callback`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ url: null }) });
    const silent = await control<{ id: number }>("/orders", {});
    await syncQueue.add("ml.reconcile", {}, { jobId: `reconcile-${silent.id}` });
    const row = await waitFor(async () => (await orderRow(silent.id)) ?? undefined, "the silent order to be reconciled", 20_000);
    expect(row.status).toBe("paid");
    await fetch(`${sandbox.url}/_sandbox/callback`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ url: receiver.url }) });
  }, 60_000);

  it("serves queue and job metrics in Prometheus format behind the metrics token", async () => {
    expect((await fetch(`${jobs.adminUrl}/metrics`)).status).toBe(401);
    const response = await fetch(`${jobs.adminUrl}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text).toMatch(/autoecom_queue_jobs\{queue="ml-webhook",state="completed"\} \d+/);
    expect(text).toMatch(/autoecom_job_duration_seconds_count\{queue="ml-webhook",job="ml.webhook",outcome="completed"\} \d+/);
    expect(text).toMatch(/autoecom_webhook_events\{status="processed",topic="orders_v2"\} \d+/);
    expect(text).toMatch(/autoecom_ml_notifications_total\{topic="orders_v2",outcome="coalesced"\} \d+/);
  });
});

/**
 * Notifications are unsigned and `user_id` is public, so anyone can tell us "seller B has news
 * about /items/<A's item>". Each topic below is forged in the attacker's (B's) name for a
 * resource B's token can read but that ML says is A's: nothing may be stored under B, and A's
 * rows must stay A's.
 */
describe("forged notifications cannot move data between tenants", () => {
  let attacker: { userId: string; accountId: string };
  beforeAll(async () => {
    attacker = await connectSandboxSeller({ databaseUrl: resources.databaseUrl, tokenKeys, sandbox, mlUserId: SECOND_SELLER_ID });
  });

  const forge = (topic: string, resource: string) => ({
    _id: crypto.randomUUID(),
    resource,
    user_id: SECOND_SELLER_ID,
    topic,
    application_id: Number(sandbox.appId),
    attempts: 1,
    sent: new Date().toISOString(),
  });

  async function outcomeOf(body: { _id: string } & Record<string, unknown>) {
    expect((await deliver(body)).status).toBe(200);
    await settled();
    const [event] = await database.db
      .select()
      .from(webhookEvents)
      .where(eq(webhookEvents.notificationKey, `id|${body._id}`));
    return { status: event?.status, outcome: event?.outcome, accountId: event?.accountId };
  }

  /** A sale of A's bought by B: B's token can read the order, its shipment and a claim on it. */
  async function victimSaleBoughtByAttacker() {
    const mark = receiver.received.length;
    const order = await control<{ id: number; shipping: { id: number }; order_items: { item: { id: string } }[] }>("/orders", { buyer_id: SECOND_SELLER_ID });
    const claim = await control<{ id: number }>("/claims", { order_id: order.id });
    for (const n of await captured(mark)) await deliver(n);
    await settled();
    return { order, claim };
  }

  it("items: A's listing stays A's, and an unstored one of A's is not stored under B", async () => {
    const item = await control<{ id: string }>("/items", {});
    expect(await outcomeOf({ ...forge("items", `/items/${item.id}`), user_id: DEMO_SELLER_ID })).toMatchObject({ status: "processed", outcome: "fetched" });
    const [before] = await database.db.select().from(mlListings).where(eq(mlListings.mlItemId, item.id));
    expect(before?.accountId).toBe(demo.accountId);
    expect(await outcomeOf(forge("items", `/items/${item.id}`))).toEqual({ status: "skipped", outcome: "foreign_resource", accountId: attacker.accountId });
    expect((await database.db.select().from(mlListings).where(eq(mlListings.mlItemId, item.id)))[0]).toEqual(before);

    const fresh = await control<{ id: string }>("/items", {});
    expect(await outcomeOf(forge("items", `/items/${fresh.id}`))).toMatchObject({ status: "skipped", outcome: "foreign_resource" });
    expect(await database.db.select().from(mlListings).where(eq(mlListings.mlItemId, fresh.id))).toEqual([]);
    expect(await database.db.select().from(mlListings).where(eq(mlListings.accountId, attacker.accountId))).toEqual([]);
  });

  it("questions: a question on A's listing is not stored under B", async () => {
    const item = await control<{ id: string }>("/items", {});
    const mark = receiver.received.length;
    await control("/questions", { item_id: item.id, text: "Aceita troca?" });
    const genuine = (await captured(mark)).find((n) => n.topic === "questions")!;
    expect(await outcomeOf(forge("questions", String(genuine.resource)))).toMatchObject({ status: "skipped", outcome: "foreign_resource" });
    expect(await database.db.select().from(mlQuestions).where(eq(mlQuestions.accountId, attacker.accountId))).toEqual([]);
    await deliver(genuine);
    await settled();
    const id = Number(String(genuine.resource).split("/").pop());
    expect((await database.db.select().from(mlQuestions).where(eq(mlQuestions.mlQuestionId, id)))[0]?.accountId).toBe(demo.accountId);
  });

  it("orders, shipments and claims: a sale of A's that B bought stays A's", async () => {
    const { order, claim } = await victimSaleBoughtByAttacker();
    const rowsBefore = {
      order: (await database.db.select().from(mlOrders).where(eq(mlOrders.mlOrderId, order.id)))[0],
      shipment: (await database.db.select().from(mlShipments).where(eq(mlShipments.mlShipmentId, order.shipping.id)))[0],
      claim: (await database.db.select().from(mlClaims).where(eq(mlClaims.mlClaimId, claim.id)))[0],
    };
    expect(rowsBefore.order?.accountId).toBe(demo.accountId);
    expect(rowsBefore.shipment?.accountId).toBe(demo.accountId);
    expect(rowsBefore.claim?.accountId).toBe(demo.accountId);

    for (const [topic, resource] of [
      ["orders_v2", `/orders/${order.id}`],
      ["shipments", `/shipments/${order.shipping.id}`],
      ["claims", `/post-purchase/v1/claims/${claim.id}`],
    ] as const) {
      expect(await outcomeOf(forge(topic, resource)), topic).toMatchObject({ status: "skipped", outcome: "foreign_resource" });
    }
    expect((await database.db.select().from(mlOrders).where(eq(mlOrders.mlOrderId, order.id)))[0]).toEqual(rowsBefore.order);
    expect((await database.db.select().from(mlShipments).where(eq(mlShipments.mlShipmentId, order.shipping.id)))[0]).toEqual(rowsBefore.shipment);
    expect((await database.db.select().from(mlClaims).where(eq(mlClaims.mlClaimId, claim.id)))[0]).toEqual(rowsBefore.claim);
    for (const table of [mlOrders, mlShipments, mlClaims, mlQuestions, mlListings]) {
      expect(await database.db.select().from(table).where(eq(table.accountId, attacker.accountId))).toEqual([]);
    }
  });

  it("every upsert (webhooks, syncs, recovery and the Worker all write through them) refuses a resource whose seller is not the account's, or is not named", async () => {
    const { order, claim } = await victimSaleBoughtByAttacker();
    const item = await control<Record<string, unknown> & { id: string }>("/items", {});
    const mark = receiver.received.length;
    await control("/questions", { item_id: item.id, text: "Pronta entrega?" });
    const questionId = Number(
      String((await captured(mark)).find((n) => n.topic === "questions")!.resource)
        .split("/")
        .pop(),
    );
    const read = async (path: string) =>
      (await (await fetch(`${sandbox.url}${path}`, { headers: { authorization: `Bearer ${sandbox.issueToken(DEMO_SELLER_ID).access_token}`, "x-format-new": "true" } })).json()) as Record<
        string,
        unknown
      >;
    const bodies = {
      items: await read(`/items/${item.id}`),
      orders: await read(`/orders/${order.id}`),
      questions: await read(`/questions/${questionId}`),
      claims: await read(`/post-purchase/v1/claims/${claim.id}`),
      shipments: await read(`/shipments/${order.shipping.id}`),
    };
    const now = new Date();
    const upserts = {
      items: (accountId: string, raw: unknown) => upsertListing(database.db, accountId, toListingRow(raw, now)),
      orders: (accountId: string, raw: unknown) => upsertOrder(database.db, accountId, toOrderRow(raw, now)),
      questions: (accountId: string, raw: unknown) => upsertQuestion(database.db, accountId, toQuestionRow(raw, now)),
      claims: (accountId: string, raw: unknown) => upsertClaim(database.db, accountId, toClaimRow(raw, now)),
      shipments: (accountId: string, raw: unknown) => upsertShipment(database.db, accountId, toShipmentRow(raw, now)),
    };
    const unnamed = {
      items: { ...bodies.items, seller_id: null },
      orders: { ...bodies.orders, seller: undefined },
      questions: { ...bodies.questions, seller_id: undefined },
      claims: { ...bodies.claims, players: (bodies.claims.players as { role: string }[]).filter((p) => p.role !== "respondent") },
      shipments: { ...bodies.shipments, sender_id: undefined, origin: { ...(bodies.shipments.origin as object), sender_id: null } },
    };
    for (const kind of Object.keys(upserts) as (keyof typeof upserts)[]) {
      await expect(upserts[kind](attacker.accountId, bodies[kind]), kind).rejects.toMatchObject({ name: "ForeignResourceError", reason: "not_the_seller" });
      await expect(upserts[kind](demo.accountId, unnamed[kind]), `${kind} without a seller`).rejects.toMatchObject({ name: "ForeignResourceError", reason: "not_the_seller" });
      await expect(upserts[kind](demo.accountId, bodies[kind]), `${kind} of its own seller`).resolves.toMatchObject({ applied: expect.any(Boolean) });
    }
    for (const table of [mlOrders, mlShipments, mlClaims, mlQuestions, mlListings]) {
      expect(await database.db.select().from(table).where(eq(table.accountId, attacker.accountId))).toEqual([]);
    }
  });

  it("no upsert moves a row to another account, whatever the row says", async () => {
    const { order } = await victimSaleBoughtByAttacker();
    const before = await orderRow(order.id);
    expect(before?.accountId).toBe(demo.accountId);
    // Even a row naming B as the seller (as a doctored body would) cannot take A's order.
    const doctored = toOrderRow({ ...order, status: "cancelled", seller: { id: SECOND_SELLER_ID }, last_updated: new Date(Date.now() + 60_000).toISOString() }, new Date());
    await expect(upsertOrder(database.db, attacker.accountId, doctored)).rejects.toMatchObject({ name: "ForeignResourceError", reason: "held_by_another_account" });
    expect(await orderRow(order.id)).toEqual(before);
  });

  it("a seller who is removed and connects again gets the next notification processed at once (no stale account cache)", async () => {
    const notify = async () => {
      // B's own listing, notified in B's name: genuine this time.
      const item = await control<{ id: string }>("/items", { seller_id: SECOND_SELLER_ID });
      return outcomeOf(forge("items", `/items/${item.id}`));
    };
    expect(await notify()).toEqual({ status: "processed", outcome: "fetched", accountId: attacker.accountId });
    // Disconnect with purge, then connect again within seconds: a new account row.
    await database.db.delete(mlAccounts).where(eq(mlAccounts.id, attacker.accountId));
    attacker = await connectSandboxSeller({ databaseUrl: resources.databaseUrl, tokenKeys, sandbox, mlUserId: SECOND_SELLER_ID });
    expect(await notify()).toEqual({ status: "processed", outcome: "fetched", accountId: attacker.accountId });
  });
});
