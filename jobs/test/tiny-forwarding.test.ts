import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TinyServices } from "#integrations/tiny";
import { createNodeDb } from "#db/client-node";
import { setMlEcommerceChannel } from "#db/queries/tiny-orders";
import { mlOrders, tinyAccounts, tinyOrderPushes, tinyProductLinks, webhookEvents } from "#db/schema";
import { DEMO_SELLER_ID, startMlSandbox, type MlSandbox } from "#dev/sandbox/ml";
import { startReceiver, type Receiver } from "#dev/sandbox/ml/test-helpers";
import { startTinySandbox, type TinySandbox } from "#dev/sandbox/tiny";
import { startSpecGate, type SpecGate } from "#dev/sandbox/tiny/contract/gate";
import { connectSandboxSeller, randomTokenKeys } from "#test/support/ml-seller";
import { localQstashSigningKeys } from "../src/env";
import { startJobs, type RunningJobs } from "../src/start";
import { signDelivery } from "./support/qstash-signer";
import { sandboxTinyServices, seedUserWithTinyAccount } from "./support/tiny";
import { createTestResources, memoryLogger, publicUrl, waitFor, type TestResources } from "./support/resources";

/**
 * Forwarding end to end: the ML sandbox's own order notifications go through the jobs ingress
 * and the ML webhook processor; the stored order is forwarded to Tiny by the tinyerp.order.push
 * job on a real BullMQ worker against the Tiny sandbox. No step is called by hand.
 */
let resources: TestResources;
let ml: MlSandbox;
let tinySandbox: TinySandbox;
let gate: SpecGate;
let receiver: Receiver;
let jobs: RunningJobs;
let database: ReturnType<typeof createNodeDb>;
let tiny: TinyServices;
let seller: { userId: string; accountId: string; tinyAccountId: string };

async function control<T = Record<string, unknown>>(path: string, json: unknown = {}): Promise<T> {
  const response = await fetch(`${ml.url}/_sandbox${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(json) });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

async function deliver(body: unknown, jobName = "ml.webhook"): Promise<Response> {
  const raw = JSON.stringify(body);
  const signature = await signDelivery({ key: localQstashSigningKeys.current, url: `${publicUrl}/qstash/${jobName}`, body: raw });
  return fetch(`${jobs.url}/qstash/${jobName}`, {
    method: "POST",
    headers: { "upstash-signature": signature, "content-type": "application/json", "upstash-message-id": `msg_${crypto.randomUUID()}` },
    body: raw,
  });
}

/** Delivers every order notification the ML sandbox sent since `mark`, as QStash would. */
async function deliverOrderNotifications(mark: number): Promise<void> {
  await ml.webhooks.idle();
  for (const n of receiver.received.slice(mark).filter((n) => n.topic === "orders_v2")) expect((await deliver(n)).status).toBe(200);
}

const tinyOrdersOf = (mlOrderId: number) => [...tinySandbox.state().orders.values()].filter((o) => o.ecommerce.numeroPedidoEcommerce === String(mlOrderId));
const pushOf = async (mlOrderId: number) => (await database.db.select().from(tinyOrderPushes).where(eq(tinyOrderPushes.mlOrderId, mlOrderId)))[0];

/** Links the order's listing to a Tiny product, as the product sync or the seller would have. */
async function linkItems(order: { order_items: Array<{ item: { id: string; variation_id?: number | null } }> }): Promise<void> {
  const productId = [...tinySandbox.state().products.values()][0]!.id;
  for (const { item } of order.order_items) {
    await database.db
      .insert(tinyProductLinks)
      .values({ userId: seller.userId, tinyAccountId: seller.tinyAccountId, mlItemId: item.id, mlVariationId: item.variation_id ?? null, tinyProductId: productId, source: "manual" })
      .onConflictDoNothing();
  }
}

beforeAll(async () => {
  resources = await createTestResources();
  receiver = await startReceiver();
  ml = await startMlSandbox({ port: 0, seed: 5, listings: 20, orders: 0, callbackUrl: receiver.url, timeScale: 0.0005 });
  tinySandbox = await startTinySandbox({ port: 0, seed: 5, products: 5, quotas: { enabled: false } });
  gate = await startSpecGate(tinySandbox.apiUrl);
  const tokenKeys = randomTokenKeys();
  const demo = await connectSandboxSeller({ databaseUrl: resources.databaseUrl, tokenKeys, sandbox: ml, mlUserId: DEMO_SELLER_ID });
  database = createNodeDb(resources.databaseUrl, { max: 4 });
  tiny = await sandboxTinyServices(database.db, tinySandbox, tokenKeys, memoryLogger());
  const { tinyAccountId } = await seedUserWithTinyAccount(database.db, tiny, tinySandbox, "forward", demo.userId);
  await setMlEcommerceChannel(database.db, tinyAccountId, tinySandbox.state().lookups.ecommerces[0]!.id);
  seller = { userId: demo.userId, accountId: demo.accountId, tinyAccountId };
  jobs = await startJobs(
    resources.env({
      ML_API_URL: ml.url,
      ML_APP_ID: ml.appId,
      ML_CLIENT_SECRET: ml.clientSecret,
      TOKEN_ENCRYPTION_KEYS: tokenKeys,
      ML_APP_RATE_PER_SECOND: "1000",
      ML_APP_RATE_MAX_PER_SECOND: "1000",
      // The jobs' Tiny calls go through Tiny's published spec (dev/sandbox/tiny/contract/gate.ts).
      TINY_API_URL: gate.url,
      TINY_AUTH_URL: tiny.config.authUrl,
      TINY_CLIENT_ID: tiny.config.clientId,
      TINY_CLIENT_SECRET: tiny.config.clientSecret,
      TINY_QUOTA_READS_PER_MINUTE: "100000",
      TINY_QUOTA_WRITES_PER_MINUTE: "100000",
      TINY_QUOTA_BURST_PER_SECOND: "10000",
    }),
    { log: memoryLogger(), schedulers: false },
  );
}, 60_000);

afterAll(async () => {
  await jobs?.close();
  await database?.close();
  await ml?.close();
  await gate?.close();
  await tinySandbox?.close();
  await receiver?.close();
  await resources?.cleanup();
});

describe.sequential("ML order events forward orders to Tiny", () => {
  it("a paid ML order reaches Tiny once through the webhook pipeline; its cancellation follows, stock returned once", async () => {
    const mark = receiver.received.length;
    const order = await control<{ id: number; order_items: Array<{ item: { id: string; variation_id?: number | null } }> }>("/orders", { status: "payment_required" });
    await linkItems(order);
    await deliverOrderNotifications(mark);
    await waitFor(async () => ((await database.db.select().from(webhookEvents)).every((e) => e.status === "processed") ? true : undefined), "notifications processed", 20_000);
    // Not paid yet: nothing is forwarded (a push job would have landed well within this wait).
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await pushOf(order.id)).toBeUndefined();

    const paidMark = receiver.received.length;
    await control(`/orders/${order.id}/pay`);
    await deliverOrderNotifications(paidMark);
    const created = await waitFor(
      async () => {
        const push = await pushOf(order.id);
        return push?.status === "created" && push.stockPostedAt && push.receivablesPostedAt ? push : undefined;
      },
      "the paid order pushed to Tiny",
      20_000,
    );
    expect(tinyOrdersOf(order.id).map((o) => o.id)).toEqual([created.tinyOrderId]);
    const exits = () => tinySandbox.state().movements.filter((m) => m.origem === "pedido" && m.idOrigem === created.tinyOrderId);
    expect(exits().filter((m) => m.tipo === "S")).toHaveLength(order.order_items.length);

    const cancelMark = receiver.received.length;
    await control(`/orders/${order.id}/cancel`, { group: "buyer", code: "buyer_regrets", description: "Desisti" });
    await deliverOrderNotifications(cancelMark);
    const cancelled = await waitFor(
      async () => {
        const push = await pushOf(order.id);
        return push?.tinyCancelledAt && push.stockReturnedAt && push.receivablesReversedAt ? push : undefined;
      },
      "the cancellation followed in Tiny",
      20_000,
    );
    expect(cancelled.status).toBe("created");
    expect(tinySandbox.state().orders.get(created.tinyOrderId!)!.situacao).toBe(2);
    expect(exits().filter((m) => m.tipo === "E")).toHaveLength(order.order_items.length);
    // ML's later notifications about the same order change nothing in Tiny.
    await deliverOrderNotifications(cancelMark);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(exits().filter((m) => m.tipo === "E")).toHaveLength(order.order_items.length);
    expect(tinyOrdersOf(order.id)).toHaveLength(1);
  });

  it("the sweep forwards a paid order whose enqueue was lost; orders from before Tiny was connected, or with forwarding off, stay out", async () => {
    const [lost, old, off] = await Promise.all([
      control<{ id: number; order_items: Array<{ item: { id: string } }> }>("/orders", { status: "paid" }),
      control<{ id: number }>("/orders", { status: "paid" }),
      control<{ id: number }>("/orders", { status: "paid" }),
    ]);
    await linkItems(lost);
    // Stored as the pipeline would store them, but no push was ever enqueued (a crash in between).
    const mlRow = async (id: number) => {
      const response = await fetch(`${ml.url}/orders/${id}`, { headers: { authorization: `Bearer ${ml.issueToken(DEMO_SELLER_ID).access_token}` } });
      return response.json();
    };
    const { toOrderRow } = await import("#integrations/mercadolibre/transform");
    const { upsertOrder } = await import("#db/queries/ml-data");
    for (const id of [lost.id, old.id]) await upsertOrder(database.db, seller.accountId, toOrderRow(await mlRow(id), new Date()));
    await database.db
      .update(mlOrders)
      .set({ mlDateCreated: new Date("2020-01-01T00:00:00Z") })
      .where(eq(mlOrders.mlOrderId, old.id));
    await database.db
      .update(mlOrders)
      .set({ updatedAt: new Date(Date.now() - 10 * 60_000) })
      .where(eq(mlOrders.accountId, seller.accountId));

    const sweep = await deliver({}, "tinyerp.orders.forward.sweep");
    expect(sweep.status).toBe(200);
    const pushed = await waitFor(async () => ((await pushOf(lost.id))?.status === "created" ? pushOf(lost.id) : undefined), "the swept order pushed", 20_000);
    expect(tinyOrdersOf(lost.id).map((o) => o.id)).toEqual([pushed!.tinyOrderId]);
    expect(await pushOf(old.id)).toBeUndefined();

    await database.db.update(tinyAccounts).set({ forwardOrders: false }).where(eq(tinyAccounts.id, seller.tinyAccountId));
    await upsertOrder(database.db, seller.accountId, toOrderRow(await mlRow(off.id), new Date()));
    await database.db
      .update(mlOrders)
      .set({ updatedAt: new Date(Date.now() - 10 * 60_000) })
      .where(eq(mlOrders.mlOrderId, off.id));
    await deliver({}, "tinyerp.orders.forward.sweep");
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await pushOf(off.id)).toBeUndefined();
    await database.db.update(tinyAccounts).set({ forwardOrders: true }).where(eq(tinyAccounts.id, seller.tinyAccountId));
  });
});

describe("Tiny's published spec", () => {
  // Runs last in this file: every request the jobs sent to Tiny above went through the gate.
  it("no request of the tests above broke it in a way no known deviation explains", () => {
    expect(gate.unexplained("requests")).toEqual([]);
  });
});
