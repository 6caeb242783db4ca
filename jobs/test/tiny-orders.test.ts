import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AppError } from "#core/errors";
import { uuidv7 } from "#core/ids";
import { createMemoryQuotaStore, createTinyServices, tinyDefaults, type TinyConfig, type TinyServices } from "#integrations/tiny";
import { pushOrderToTiny, type OrderPushResult } from "#domain/orders/tiny-order-push";
import { createTokenCipher, generateTokenKey } from "#core/token-cipher";
import { createNodeDb } from "#db/client-node";
import { clearPushRefusals, setMlEcommerceChannel } from "#db/queries/tiny-orders";
import { mlAccounts, mlOrderItems, mlOrders, tinyAccounts, tinyOrderPushes, tinyProductLinks } from "#db/schema";
import { startTinySandbox, type TinySandbox } from "#dev/sandbox/tiny";
import { startSpecGate, type SpecGate } from "#dev/sandbox/tiny/contract/gate";
import { tinyOrderPush } from "../src/processors/tiny/order-push";
import type { JobContext } from "../src/processors/types";
import { JobMetrics } from "../src/runtime/metrics";
import { seedUserWithTinyAccount } from "./support/tiny";
import { createTestResources, memoryLogger, type TestResources } from "./support/resources";

const key = generateTokenKey("tk1");
// Short, so the fault test's latency outlasts it; the sandbox answers in milliseconds otherwise.
const timeoutMs = 1_500;

let resources: TestResources;
let sandbox: TinySandbox;
let database: ReturnType<typeof createNodeDb>;
let tiny: TinyServices;
let channelId: number;
let gate: SpecGate;

async function services(quota: Partial<TinyConfig["quota"]> = {}): Promise<TinyServices> {
  const config: TinyConfig = {
    // Through Tiny's published spec: a request that breaks it fails here (dev/sandbox/tiny/contract/gate.ts).
    apiUrl: gate.url,
    authUrl: sandbox.authUrl.replace(/\/auth$/, ""),
    clientId: sandbox.clientId,
    clientSecret: sandbox.clientSecret,
    redirectUri: "",
    timeoutMs,
    maxAttempts: 3,
    refreshMarginSeconds: tinyDefaults.refreshMarginSeconds,
    quota: { ...tinyDefaults.quota, readsPerMinute: 10_000, writesPerMinute: 10_000, burstPerSecond: 10_000, ...quota },
  };
  return createTinyServices({
    db: database.db,
    transaction: (fn) => database.db.transaction((tx) => fn(tx)),
    cipher: await createTokenCipher(key),
    config,
    quotaStore: createMemoryQuotaStore(),
    log: memoryLogger(),
  });
}

/** A user with one Tiny account (real sandbox grant, ML channel set) and one ML account. */
async function seedSeller(options: { channel?: boolean } = {}) {
  const { userId, tinyAccountId } = await seedUserWithTinyAccount(database.db, tiny, sandbox, "orders");
  if (options.channel !== false) await setMlEcommerceChannel(database.db, tinyAccountId, channelId);
  const mlAccountId = uuidv7();
  const mlUserId = 700_000_000 + Math.floor(Math.random() * 99_000_000);
  await database.db.insert(mlAccounts).values({ id: mlAccountId, userId, mlUserId, nickname: `SELLER_${mlUserId}`, siteId: "MLB" });
  return { userId, tinyAccountId, mlAccountId };
}

const productIds = () => new Map([...sandbox.state().products.values()].map((p) => [p.sku, p.id]));

/** An ML order of two items; `linked` lists the item positions that get a Tiny product link. */
async function seedOrder(seller: Awaited<ReturnType<typeof seedSeller>>, options: { linked?: number[]; buyerDoc?: string; status?: string } = {}) {
  const mlOrderId = 2_000_000_000_000 + Math.floor(Math.random() * 1e12);
  const base = Math.floor(Math.random() * 1e9);
  const now = new Date();
  const buyerId = 300_000_000 + Math.floor(Math.random() * 1e8);
  const [order] = await database.db
    .insert(mlOrders)
    .values({
      accountId: seller.mlAccountId,
      mlOrderId,
      status: options.status ?? "paid",
      totalAmount: "150.00",
      buyerId,
      buyer: { id: buyerId, nickname: `BUYER${buyerId}`, firstName: "Maria", lastName: "Silva", ...(options.buyerDoc ? { docType: "CPF", docNumber: options.buyerDoc } : {}) },
      mlDateCreated: now,
      mlLastUpdated: now,
      fetchedAt: now,
    })
    .returning({ id: mlOrders.id });
  const items = [
    { mlItemId: `MLB${base}1`, mlVariationId: null, sellerSku: "SKU-1", quantity: 2, unitPrice: "50.00", sku: "SKU-1" },
    { mlItemId: `MLB${base}2`, mlVariationId: base * 10 + 1, sellerSku: "SKU-2", quantity: 1, unitPrice: "50.00", sku: "SKU-2" },
  ];
  await database.db
    .insert(mlOrderItems)
    .values(
      items.map((it, position) => ({ orderId: order!.id, position, mlItemId: it.mlItemId, mlVariationId: it.mlVariationId, sellerSku: it.sellerSku, quantity: it.quantity, unitPrice: it.unitPrice })),
    );
  const ids = productIds();
  for (const [i, it] of items.entries()) {
    if (!(options.linked ?? [0, 1]).includes(i)) continue;
    await database.db.insert(tinyProductLinks).values({
      userId: seller.userId,
      tinyAccountId: seller.tinyAccountId,
      mlItemId: it.mlItemId,
      mlVariationId: it.mlVariationId,
      tinyProductId: ids.get(it.sku)!,
      tinySku: it.sku,
      source: "manual",
    });
  }
  return { mlOrderId, items };
}

/** Tiny's side, from the sandbox's own state: the orders carrying this ML order's number. */
const tinyOrdersOf = (mlOrderId: number) => [...sandbox.state().orders.values()].filter((o) => o.ecommerce.numeroPedidoEcommerce === String(mlOrderId));

function push(seller: { userId: string; tinyAccountId: string }, mlOrderId: number): Promise<OrderPushResult> {
  return pushOrderToTiny({
    ctx: { db: database.db, client: tiny.client.forAccount(seller.tinyAccountId), log: memoryLogger() },
    input: { userId: seller.userId, tinyAccountId: seller.tinyAccountId, mlOrderId },
  });
}

async function until(check: () => boolean, timeout = 10_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not reached");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  resources = await createTestResources();
  sandbox = await startTinySandbox({ port: 0, seed: 21, products: 10, quotas: { enabled: false } });
  gate = await startSpecGate(sandbox.apiUrl);
  database = createNodeDb(resources.databaseUrl, { max: 24 });
  channelId = sandbox.state().lookups.ecommerces[0]!.id;
  tiny = await services();
}, 60_000);

afterEach(() => {
  sandbox.faults.clear();
});

afterAll(async () => {
  await database?.close();
  await gate?.close();
  await sandbox?.close();
  await resources?.cleanup();
});

describe("order push to Tiny (exactly once)", () => {
  it("happy path: contact by CPF, linked items, ML order id as the e-commerce number, markers after, the paid sale's stock and receivables posted; a repeat is a no-op", async () => {
    const seller = await seedSeller();
    const { mlOrderId } = await seedOrder(seller, { buyerDoc: "529.982.247-25" });
    sandbox.counters.reset();
    const first = await push(seller, mlOrderId);
    expect(first.push).toMatchObject({ status: "created", attempts: 1, lastError: null, failureReasons: [] });
    expect(first.push.markersAddedAt).not.toBeNull();
    expect(first.push.stockPostedAt).not.toBeNull();
    expect(first.push.receivablesPostedAt).not.toBeNull();
    // Invoicing is off by default: emitting an NF-e needs the seller's certificate set up in Tiny.
    expect(first.push.invoiceId).toBeNull();
    // A new buyer: look for the order, find contact, create contact, create order, add markers, post stock, post receivables.
    expect(first.calls).toBe(7);
    expect(first.push.tinyCalls).toBe(7);
    expect(sandbox.counters.counts()).toEqual({
      "GET /public-api/v3/pedidos": 1,
      "GET /public-api/v3/contatos": 1,
      "POST /public-api/v3/contatos": 1,
      "POST /public-api/v3/pedidos": 1,
      "POST /public-api/v3/pedidos/:idPedido/marcadores": 1,
      "POST /public-api/v3/pedidos/:idPedido/lancar-estoque": 1,
      "POST /public-api/v3/pedidos/:idPedido/lancar-contas": 1,
    });

    const orders = tinyOrdersOf(mlOrderId);
    expect(orders).toHaveLength(1);
    const order = orders[0]!;
    expect(order.id).toBe(first.push.tinyOrderId);
    expect(String(order.numeroPedido)).toBe(first.push.tinyOrderNumber);
    expect(order.numeroOrdemCompra).toBe(String(mlOrderId));
    expect(order.marcadores).toEqual([`ml-${mlOrderId}`, "autoecom"]);
    const ids = productIds();
    expect(order.itens.map((i) => [i.produtoId, i.quantidade, i.valorUnitario])).toEqual([
      [ids.get("SKU-1"), 2, 50],
      [ids.get("SKU-2"), 1, 50],
    ]);
    expect(sandbox.state().contacts.get(order.idContato)?.cpfCnpj.replace(/\D/g, "")).toBe("52998224725");

    sandbox.counters.reset();
    const again = await push(seller, mlOrderId);
    expect(again).toMatchObject({ inProgress: false, calls: 0 });
    expect(again.push.tinyOrderId).toBe(first.push.tinyOrderId);
    expect(sandbox.counters.total()).toBe(0);
    expect(tinyOrdersOf(mlOrderId)).toHaveLength(1);

    // The same buyer's next order reuses the contact without asking Tiny: the lookup and the 4 writes every paid order needs.
    const second = await seedOrder(seller, { buyerDoc: "52998224725" });
    const secondPush = await push(seller, second.mlOrderId);
    expect(secondPush.calls).toBe(5);
    expect(tinyOrdersOf(second.mlOrderId)[0]!.idContato).toBe(order.idContato);
  });

  it("a timeout after Tiny created the order: unknown, then found by its e-commerce number; exactly one Tiny order", async () => {
    const seller = await seedSeller();
    const { mlOrderId } = await seedOrder(seller);
    // Tiny sits on the create longer than our timeout, then creates it anyway.
    sandbox.faults.add(undefined, { match: { method: "POST", path: "/public-api/v3/pedidos" }, latencyMs: timeoutMs + 1_000, times: 1 });
    const first = await push(seller, mlOrderId);
    expect(first.push.status).toBe("unknown");
    expect(first.push.tinyOrderId).toBeNull();
    expect(first.push.failureReasons[0]?.code).toBe("outcome_unknown");

    await until(() => tinyOrdersOf(mlOrderId).length > 0);
    sandbox.counters.reset();
    const second = await push(seller, mlOrderId);
    expect(second.push).toMatchObject({ status: "created", attempts: 2, tinyOrderId: tinyOrdersOf(mlOrderId)[0]!.id });
    // Looked up, never created again: the lookup and the markers only.
    expect(sandbox.counters.get("POST /public-api/v3/pedidos")).toBe(0);
    expect(sandbox.counters.get("GET /public-api/v3/pedidos")).toBe(1);
    expect(tinyOrdersOf(mlOrderId)).toHaveLength(1);
    expect(tinyOrdersOf(mlOrderId)[0]!.marcadores).toContain(`ml-${mlOrderId}`);
  });

  it("a timeout whose order lands before the lookup is resolved in the same attempt", async () => {
    const seller = await seedSeller();
    const { mlOrderId } = await seedOrder(seller);
    // The create is slow but lands while our lookup is itself delayed.
    sandbox.faults.add(undefined, { match: { method: "POST", path: "/public-api/v3/pedidos" }, latencyMs: timeoutMs + 200, times: 1 });
    // Both lookups are slow: the one before the create, and the one after its timeout while the order lands.
    sandbox.faults.add(undefined, { match: { method: "GET", path: "/public-api/v3/pedidos" }, latencyMs: 600, times: 2 });
    const result = await push(seller, mlOrderId);
    expect(result.push.status).toBe("created");
    expect(tinyOrdersOf(mlOrderId)).toHaveLength(1);
    expect(result.push.tinyOrderId).toBe(tinyOrdersOf(mlOrderId)[0]!.id);
  });

  it("an order already in Tiny (Tiny's own ML integration, a lost record) is found before the first create: no second order", async () => {
    const seller = await seedSeller();
    const { mlOrderId } = await seedOrder(seller);
    const existing = await fetch(`${sandbox.url}/_sandbox/orders`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ itens: [{ sku: "SKU-1", quantidade: 2 }], numeroPedidoEcommerce: String(mlOrderId) }),
    }).then((r) => r.json() as Promise<{ id: number }>);
    sandbox.counters.reset();
    const result = await push(seller, mlOrderId);
    expect(sandbox.counters.get("POST /public-api/v3/pedidos")).toBe(0);
    expect(result.push).toMatchObject({ status: "created", tinyOrderId: existing.id });
    expect(tinyOrdersOf(mlOrderId)).toHaveLength(1);
  });

  it("Tiny's 409 (no id in it) is an ambiguous outcome: looked up, still unknown, and the next push looks again before creating once", async () => {
    const seller = await seedSeller();
    const { mlOrderId } = await seedOrder(seller);
    sandbox.faults.add(undefined, { match: { method: "POST", path: "/public-api/v3/pedidos" }, errorRate: 1, errorStatus: 409, times: 1 });
    sandbox.counters.reset();
    const first = await push(seller, mlOrderId);
    expect(first.push.status).toBe("unknown");
    expect(sandbox.counters.get("GET /public-api/v3/pedidos")).toBe(2);
    const second = await push(seller, mlOrderId);
    expect(second.push.status).toBe("created");
    expect(tinyOrdersOf(mlOrderId)).toHaveLength(1);
  });

  it("our own quota gives up before the create is sent: back to intent (not 'unknown'), and the next push creates once", async () => {
    const seller = await seedSeller();
    const { mlOrderId } = await seedOrder(seller);
    const starved = await services({ writesPerMinute: 1, maxWaitMs: 50 });
    const client = starved.client.forAccount(seller.tinyAccountId);
    // The contact create spends the only write of the minute; the order create cannot get one.
    const first = await pushOrderToTiny({ ctx: { db: database.db, client, log: memoryLogger() }, input: { userId: seller.userId, tinyAccountId: seller.tinyAccountId, mlOrderId } });
    expect(first.push).toMatchObject({ status: "intent", tinyOrderId: null });
    expect(first.push.failureReasons[0]?.code).toBe("tiny_rejected");
    expect(tinyOrdersOf(mlOrderId)).toHaveLength(0);
    const second = await push(seller, mlOrderId);
    expect(second.push.status).toBe("created");
    expect(tinyOrdersOf(mlOrderId)).toHaveLength(1);
  });

  it("5 concurrent pushes of one ML order → one Tiny order, one create call", async () => {
    const seller = await seedSeller();
    const { mlOrderId } = await seedOrder(seller);
    sandbox.faults.add(undefined, { match: { method: "POST", path: "/public-api/v3/pedidos" }, latencyMs: 300, times: 1 });
    sandbox.counters.reset();
    const results = await Promise.all(Array.from({ length: 5 }, () => push(seller, mlOrderId)));
    expect(results.filter((r) => !r.inProgress)).toHaveLength(1);
    expect(new Set(results.map((r) => r.push.id)).size).toBe(1);
    expect(sandbox.counters.get("POST /public-api/v3/pedidos")).toBe(1);
    expect(tinyOrdersOf(mlOrderId)).toHaveLength(1);
    const after = await push(seller, mlOrderId);
    expect(after.push).toMatchObject({ status: "created", tinyOrderId: tinyOrdersOf(mlOrderId)[0]!.id });
  });

  it("orders of one new buyer pushed at once create one Tiny contact, not one each", async () => {
    const seller = await seedSeller();
    const first = await seedOrder(seller, { buyerDoc: "11144477735" });
    const others = await Promise.all([seedOrder(seller, { buyerDoc: "111.444.777-35" }), seedOrder(seller, { buyerDoc: "11144477735" })]);
    // Tiny is slow to create the contact, so every push reaches the contact step while it is in flight.
    sandbox.faults.add(undefined, { match: { method: "POST", path: "/public-api/v3/contatos" }, latencyMs: 400, times: 1 });
    sandbox.counters.reset();
    const results = await Promise.all([first, ...others].map((o) => push(seller, o.mlOrderId)));
    expect(results.map((r) => r.push.status)).toEqual(["created", "created", "created"]);
    expect(sandbox.counters.get("POST /public-api/v3/contatos")).toBe(1);
    const contacts = new Set([first, ...others].map((o) => tinyOrdersOf(o.mlOrderId)[0]!.idContato));
    expect(contacts.size).toBe(1);
  });

  it("the lease is renewed at every step: a push slower than its lease keeps the order, a second pusher stays out", async () => {
    const seller = await seedSeller();
    const { mlOrderId } = await seedOrder(seller);
    for (const [method, path] of [
      ["GET", "/public-api/v3/pedidos"],
      ["GET", "/public-api/v3/contatos"],
      ["POST", "/public-api/v3/contatos"],
      ["POST", "/public-api/v3/pedidos"],
    ] as const) {
      sandbox.faults.add(undefined, { match: { method, path }, latencyMs: 500, times: 1 });
    }
    const slow = pushOrderToTiny({
      ctx: { db: database.db, client: tiny.client.forAccount(seller.tinyAccountId), log: memoryLogger(), leaseMs: 900 },
      input: { userId: seller.userId, tinyAccountId: seller.tinyAccountId, mlOrderId },
    });
    // Past the first lease, while the slow push is still working through its calls.
    await new Promise((resolve) => setTimeout(resolve, 1_300));
    const second = await push(seller, mlOrderId);
    expect(second.inProgress).toBe(true);
    expect((await slow).push.status).toBe("created");
    expect(tinyOrdersOf(mlOrderId)).toHaveLength(1);
  });

  it("an item without a unit price fails the push before any Tiny call instead of billing it at zero", async () => {
    const seller = await seedSeller();
    const { mlOrderId, items } = await seedOrder(seller);
    await database.db.update(mlOrderItems).set({ unitPrice: null }).where(eq(mlOrderItems.mlItemId, items[0]!.mlItemId));
    sandbox.counters.reset();
    const result = await push(seller, mlOrderId);
    expect(result.push.status).toBe("failed");
    expect(result.push.failureReasons).toEqual([expect.objectContaining({ code: "missing_price", mlItemId: items[0]!.mlItemId })]);
    expect(sandbox.counters.total()).toBe(0);
  });

  it("an unlinked item fails the push with a listed reason, before any Tiny call; linking it and pushing again works", async () => {
    const seller = await seedSeller();
    const { mlOrderId, items } = await seedOrder(seller, { linked: [0] });
    sandbox.counters.reset();
    const result = await push(seller, mlOrderId);
    expect(result.push.status).toBe("failed");
    expect(result.push.failureReasons).toEqual([expect.objectContaining({ code: "unlinked_item", mlItemId: items[1]!.mlItemId, mlVariationId: items[1]!.mlVariationId })]);
    expect(result.push.lastError).toContain("SKU-2");
    expect(sandbox.counters.total()).toBe(0);
    expect(tinyOrdersOf(mlOrderId)).toHaveLength(0);

    await database.db.insert(tinyProductLinks).values({
      userId: seller.userId,
      tinyAccountId: seller.tinyAccountId,
      mlItemId: items[1]!.mlItemId,
      mlVariationId: items[1]!.mlVariationId,
      tinyProductId: productIds().get("SKU-2")!,
      source: "manual",
    });
    const fixed = await push(seller, mlOrderId);
    expect(fixed.push).toMatchObject({ status: "created", failureReasons: [] });
    expect(tinyOrdersOf(mlOrderId)).toHaveLength(1);
  });

  it("without the account's ML channel the push fails clearly instead of creating an order it could not find again", async () => {
    const seller = await seedSeller({ channel: false });
    const { mlOrderId } = await seedOrder(seller);
    const result = await push(seller, mlOrderId);
    expect(result.push.status).toBe("failed");
    expect(result.push.failureReasons[0]?.code).toBe("no_ml_channel");
    expect(tinyOrdersOf(mlOrderId)).toHaveLength(0);
  });

  it("tenant isolation: another user's ML order is not found and records nothing", async () => {
    const owner = await seedSeller();
    const stranger = await seedSeller();
    const { mlOrderId } = await seedOrder(owner);
    await expect(push(stranger, mlOrderId)).rejects.toSatisfy((e) => e instanceof AppError && e.code === "not_found");
    expect(tinyOrdersOf(mlOrderId)).toHaveLength(0);
  });

  it("the tinyerp.order.push processor: pushes, retries an unknown outcome without duplicating, completes a definitive failure", async () => {
    const seller = await seedSeller();
    const { mlOrderId } = await seedOrder(seller);
    const deferred: string[] = [];
    const enqueued: Array<{ name: string; payload: unknown }> = [];
    const context = (): JobContext<"tinyerp.order.push"> => ({
      job: { id: `direct-${mlOrderId}`, name: "tinyerp.order.push", queue: "tinyerp-realtime", attempt: 1, maxAttempts: 6, enqueuedAt: Date.now() },
      log: memoryLogger(),
      db: database.db,
      enqueue: async (name, payload) => {
        enqueued.push({ name, payload });
        return { jobId: `job-${enqueued.length}`, deduplicated: false };
      },
      signal: new AbortController().signal,
      services: {
        redis: undefined as never,
        keyPrefix: resources.prefix,
        ml: null,
        mlTokens: null,
        mlAppId: null,
        mlLimits: { accountConcurrency: 1, appRate: { initial: 1, min: 1, max: 1 } },
        metrics: new JobMetrics(),
        tiny,
        retention: { webhookEventsDays: 90 },
      },
      now: () => new Date(),
      defer: (_ms, reason) => {
        deferred.push(reason);
        return Promise.reject(new Error("deferred"));
      },
      progress: async () => undefined,
    });
    const payload = { userId: seller.userId, tinyAccountId: seller.tinyAccountId, mlOrderId };
    sandbox.faults.add(undefined, { match: { method: "POST", path: "/public-api/v3/pedidos" }, errorRate: 1, errorStatus: 502, times: 1 });
    // A 5xx on the create is ambiguous: the job fails (to be retried), the row says unknown.
    await expect(tinyOrderPush(payload, context())).rejects.toSatisfy((e) => e instanceof AppError && e.retryable);
    await tinyOrderPush(payload, context());
    expect(tinyOrdersOf(mlOrderId)).toHaveLength(1);
    // The sale's stock was posted: both linked products are re-synced to ML now, not at the next poll.
    const ids = productIds();
    expect(enqueued.map((e) => e.payload)).toEqual(
      expect.arrayContaining([
        { accountId: seller.tinyAccountId, productIds: [ids.get("SKU-1")], trigger: "order" },
        { accountId: seller.tinyAccountId, productIds: [ids.get("SKU-2")], trigger: "order" },
      ]),
    );
    expect(enqueued).toHaveLength(2);
    await tinyOrderPush(payload, context());
    expect(tinyOrdersOf(mlOrderId)).toHaveLength(1);
    expect(enqueued).toHaveLength(2);
    expect(deferred).toEqual([]);

    const unlinked = await seedOrder(seller, { linked: [] });
    await tinyOrderPush({ ...payload, mlOrderId: unlinked.mlOrderId }, context());
    expect(tinyOrdersOf(unlinked.mlOrderId)).toHaveLength(0);
  });
});

const setMlStatus = (mlOrderId: number, status: string) => database.db.update(mlOrders).set({ status }).where(eq(mlOrders.mlOrderId, mlOrderId));
const invoiceOnPaid = (tinyAccountId: string) => database.db.update(tinyAccounts).set({ invoiceOnPaid: true }).where(eq(tinyAccounts.id, tinyAccountId));
/** Stock movements Tiny recorded for one of its orders (origem pedido). */
const movementsOf = (tinyOrderId: number) => sandbox.state().movements.filter((m) => m.origem === "pedido" && m.idOrigem === tinyOrderId);
const invoicesOf = (tinyOrderId: number) => [...sandbox.state().invoices.values()].filter((n) => n.idPedido === tinyOrderId);

describe("after the order exists: stock, invoice, receivables, cancellation", () => {
  it("an unpaid order is created without posting anything; once paid, the next push posts stock and receivables exactly once", async () => {
    const seller = await seedSeller();
    const { mlOrderId } = await seedOrder(seller, { status: "payment_in_process" });
    const created = await push(seller, mlOrderId);
    expect(created.push).toMatchObject({ status: "created", stockPostedAt: null, receivablesPostedAt: null });
    expect(movementsOf(created.push.tinyOrderId!)).toHaveLength(0);

    await setMlStatus(mlOrderId, "paid");
    sandbox.counters.reset();
    const paid = await push(seller, mlOrderId);
    expect(paid.calls).toBe(2);
    expect(sandbox.counters.counts()).toEqual({ "POST /public-api/v3/pedidos/:idPedido/lancar-estoque": 1, "POST /public-api/v3/pedidos/:idPedido/lancar-contas": 1 });
    // Two items → two exits, posted once: the only place an ML sale lowers Tiny stock.
    expect(movementsOf(paid.push.tinyOrderId!).map((m) => [m.tipo, m.quantidade])).toEqual([
      ["S", 2],
      ["S", 1],
    ]);
    expect((await push(seller, mlOrderId)).calls).toBe(0);
    expect(movementsOf(paid.push.tinyOrderId!)).toHaveLength(2);
  });

  it("Tiny posted the stock itself (account setting): its 'already posted' answer counts as done, nothing is posted twice", async () => {
    const seller = await seedSeller();
    const { mlOrderId } = await seedOrder(seller, { status: "payment_in_process" });
    const created = await push(seller, mlOrderId);
    await fetch(`${sandbox.apiUrl}/pedidos/${created.push.tinyOrderId}/lancar-estoque`, { method: "POST", headers: { authorization: `Bearer ${(await sandbox.issueTokens()).access_token}` } });
    await setMlStatus(mlOrderId, "paid");
    const paid = await push(seller, mlOrderId);
    expect(paid.push).toMatchObject({ lastError: null });
    expect(paid.push.stockPostedAt).not.toBeNull();
    expect(movementsOf(created.push.tinyOrderId!)).toHaveLength(2);
  });

  it("invoice on paid: generated from the order and emitted; number, key and link stored; a repeat costs nothing", async () => {
    const seller = await seedSeller();
    await invoiceOnPaid(seller.tinyAccountId);
    const { mlOrderId } = await seedOrder(seller);
    const result = await push(seller, mlOrderId);
    const invoices = invoicesOf(result.push.tinyOrderId!);
    expect(invoices).toHaveLength(1);
    const nota = invoices[0]!;
    expect(nota.situacao).toBe(6);
    expect(result.push).toMatchObject({ invoiceId: nota.id, invoiceNumber: String(nota.numero), invoiceKey: nota.chaveAcesso, invoiceSituation: 6, invoiceError: null });
    expect(nota.chaveAcesso).toMatch(/^\d{44}$/);
    expect(result.push.invoiceLink).toMatch(/^https?:\/\//);
    expect(result.push.invoiceEmittedAt).not.toBeNull();
    expect((await push(seller, mlOrderId)).calls).toBe(0);
  });

  it("a lost answer to the invoice generation: the retry finds the invoice through the order, still one invoice", async () => {
    const seller = await seedSeller();
    await invoiceOnPaid(seller.tinyAccountId);
    const { mlOrderId } = await seedOrder(seller);
    // Tiny generates the invoice but the answer arrives after our timeout.
    sandbox.faults.add(undefined, { match: { method: "POST", path: "/public-api/v3/pedidos/*/gerar-nota-fiscal" }, latencyMs: timeoutMs + 500, times: 1 });
    await expect(push(seller, mlOrderId)).rejects.toBeInstanceOf(Error);
    const [row] = await database.db.select().from(tinyOrderPushes).where(eq(tinyOrderPushes.mlOrderId, mlOrderId));
    expect(row).toMatchObject({ status: "created", invoiceId: null });
    await until(() => invoicesOf(row!.tinyOrderId!).length > 0);
    const retried = await push(seller, mlOrderId);
    const invoices = invoicesOf(row!.tinyOrderId!);
    expect(invoices).toHaveLength(1);
    expect(retried.push).toMatchObject({ invoiceId: invoices[0]!.id, invoiceSituation: 6 });
  });

  it("SEFAZ rejects the invoice: the order stays created, the reason is kept, nothing else is blocked; clearing it lets a later push emit", async () => {
    const seller = await seedSeller();
    await invoiceOnPaid(seller.tinyAccountId);
    const { mlOrderId } = await seedOrder(seller);
    sandbox.faults.add(undefined, { match: { method: "POST", path: "/public-api/v3/notas/*/emitir" }, extra: { sefazRejeicao: "Rejeição 539: Duplicidade de NF-e" }, times: 1 });
    const rejected = await push(seller, mlOrderId);
    expect(rejected.push.status).toBe("created");
    expect(rejected.push.invoiceError).toContain("Rejeição 539");
    expect(rejected.push).toMatchObject({ invoiceSituation: 5, invoiceEmittedAt: null });
    expect(rejected.push.receivablesPostedAt).not.toBeNull();
    // Rejections are not retried by themselves: the seller fixes the data in Tiny first.
    expect((await push(seller, mlOrderId)).calls).toBe(0);

    // A resend clears the refusal only between pushes, never under a push that holds the order.
    await database.db
      .update(tinyOrderPushes)
      .set({ claimedUntil: new Date(Date.now() + 60_000) })
      .where(eq(tinyOrderPushes.id, rejected.push.id));
    await clearPushRefusals(database.db, rejected.push.id, new Date());
    expect((await database.db.select().from(tinyOrderPushes).where(eq(tinyOrderPushes.id, rejected.push.id)))[0]!.invoiceError).toContain("Rejeição 539");
    await database.db.update(tinyOrderPushes).set({ claimedUntil: null }).where(eq(tinyOrderPushes.id, rejected.push.id));
    await clearPushRefusals(database.db, rejected.push.id, new Date());
    const resent = await push(seller, mlOrderId);
    expect(resent.push).toMatchObject({ invoiceSituation: 6, invoiceError: null });
    expect(invoicesOf(resent.push.tinyOrderId!)).toHaveLength(1);
  });

  it("ML cancels a pushed, paid order: the Tiny order is cancelled and its stock and receivables returned exactly once", async () => {
    const seller = await seedSeller();
    const { mlOrderId } = await seedOrder(seller);
    const created = await push(seller, mlOrderId);
    const tinyOrderId = created.push.tinyOrderId!;
    expect(movementsOf(tinyOrderId)).toHaveLength(2);

    await setMlStatus(mlOrderId, "cancelled");
    sandbox.counters.reset();
    const cancelled = await push(seller, mlOrderId);
    expect(sandbox.counters.counts()).toEqual({
      "PUT /public-api/v3/pedidos/:idPedido/situacao": 1,
      "POST /public-api/v3/pedidos/:idPedido/estornar-estoque": 1,
      "POST /public-api/v3/pedidos/:idPedido/estornar-contas": 1,
    });
    expect(sandbox.state().orders.get(tinyOrderId)!.situacao).toBe(2);
    expect(cancelled.push.tinyCancelledAt).not.toBeNull();
    expect(cancelled.push.stockReturnedAt).not.toBeNull();
    expect(cancelled.push.receivablesReversedAt).not.toBeNull();
    const returned = () => movementsOf(tinyOrderId).filter((m) => m.tipo === "E");
    expect(returned().map((m) => m.quantidade)).toEqual([2, 1]);

    // Every later event of the order (ML keeps notifying) changes nothing.
    await Promise.all([push(seller, mlOrderId), push(seller, mlOrderId), push(seller, mlOrderId)]);
    expect(returned()).toHaveLength(2);
    expect((await push(seller, mlOrderId)).calls).toBe(0);
  });

  it("an order cancelled before it reached Tiny is never created", async () => {
    const seller = await seedSeller();
    const { mlOrderId } = await seedOrder(seller, { status: "cancelled" });
    sandbox.counters.reset();
    const result = await push(seller, mlOrderId);
    expect(result.push.status).toBe("cancelled");
    expect(sandbox.counters.total()).toBe(0);
    expect(tinyOrdersOf(mlOrderId)).toHaveLength(0);
  });

  it("cancelled while the create's outcome was unknown: looked up first; the order found is cancelled, not left open", async () => {
    const seller = await seedSeller();
    const { mlOrderId } = await seedOrder(seller);
    sandbox.faults.add(undefined, { match: { method: "POST", path: "/public-api/v3/pedidos" }, latencyMs: timeoutMs + 1_000, times: 1 });
    expect((await push(seller, mlOrderId)).push.status).toBe("unknown");
    await until(() => tinyOrdersOf(mlOrderId).length > 0);
    await setMlStatus(mlOrderId, "cancelled");
    const result = await push(seller, mlOrderId);
    expect(result.push).toMatchObject({ status: "created", tinyOrderId: tinyOrdersOf(mlOrderId)[0]!.id });
    expect(result.push.tinyCancelledAt).not.toBeNull();
    expect(tinyOrdersOf(mlOrderId)[0]!.situacao).toBe(2);
  });
});

describe("Tiny's published spec", () => {
  // Runs last in this file: every request above went through the gate. (Responses are the
  // sandbox's, including the faults these tests inject on purpose, such as a bare 502.)
  it("no request of the tests above broke it in a way no known deviation explains", () => {
    expect(gate.unexplained("requests")).toEqual([]);
  });
});
