import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Queue, type Job } from "bullmq";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uuidv7 } from "#core/ids";
import { jobs as catalog, type JobName, type Payload } from "#core/jobs/catalog";
import { toListingRow } from "#integrations/mercadolibre/transform";
import { type TinyServices, type TinyStock } from "#integrations/tiny";
import { toStockReading } from "#domain/stock/tiny-stock";
import { createNodeDb } from "#db/client-node";
import { upsertListing } from "#db/queries/ml-data";
import { upsertManualLink } from "#db/queries/tiny";
import { mlOrderItems, mlOrders, tinyAccounts, tinyKitComponents, tinyOrderPushes, tinyProductLinks, tinyStockLevels } from "#db/schema";
import { DEMO_SELLER_ID, SECOND_SELLER_ID, startMlSandbox, type MlSandbox } from "#dev/sandbox/ml";
import { startTinySandbox, type TinySandbox } from "#dev/sandbox/tiny";
import { startSpecGate, type SpecGate } from "#dev/sandbox/tiny/contract/gate";
import { connectSandboxSeller, randomTokenKeys } from "#test/support/ml-seller";
import { localQstashSigningKeys } from "../src/env";
import { schedules } from "../src/queues/schedulers";
import { startJobs, type RunningJobs } from "../src/start";
import { signDelivery } from "./support/qstash-signer";
import { createTestResources, memoryLogger, publicUrl, waitFor, type TestResources } from "./support/resources";
import { sandboxTinyServices, seedUserWithTinyAccount } from "./support/tiny";

/**
 * Tiny → ML stock against both sandboxes, real Postgres, Redis and BullMQ, through the jobs
 * container with its production processors. Tiny's webhooks travel the way the edge will send
 * them: a receiver standing in for the Worker and QStash signs each one and posts it to the
 * jobs ingress. Calls are counted by the sandboxes themselves.
 */

const tokenKeys = randomTokenKeys();
let resources: TestResources;
let tinySandbox: TinySandbox;
let gate: SpecGate;
let mlSandbox: MlSandbox;
let database: ReturnType<typeof createNodeDb>;
let tiny: TinyServices;
let running: RunningJobs;
let realtime: Queue;
let receiver: Server;
let seller: { userId: string; tinyAccountId: string; demoAccountId: string; secondAccountId: string };
/** Which account the receiver's webhooks are for: the edge finds it from the secret in the URL. */
let webhookAccountId: string;

const estoqueReads = () => tinySandbox.counters.get("GET /public-api/v3/estoque/:idProduto");
const mlItem = (id: string) => mlSandbox.ctx.state.items.get(id)!;
const mlCalls = () => mlSandbox.counters.total();

async function tinyControl<T>(path: string, body: unknown): Promise<T> {
  const response = await fetch(`${tinySandbox.url}/_sandbox${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

let skuCounter = 0;
async function tinyProduct(stock: number): Promise<number> {
  return (await tinyControl<{ id: number }>("/products", { sku: `STK-${Date.now() % 1e6}-${++skuCounter}`, estoque: stock })).id;
}
const setTinyStock = (idProduto: number, quantidade: number, extra: { tipo?: "B" | "E" | "S"; deposito?: number } = {}) =>
  tinyControl("/stock", { idProduto, quantidade, tipo: extra.tipo ?? "B", ...extra });

const used = new Set<string>();
/** Seeded listings the test has not used yet, active and outside User Products (their stock path is changeListing's own test). */
function pickListings(sellerId: number, n: number, kind: "plain" | "variations" | "full") {
  const picked = [...mlSandbox.ctx.state.items.values()]
    .filter((i) => i.sellerId === sellerId && i.status === "active" && !i.userProductId && !used.has(i.id))
    .filter((i) => (kind === "full" ? i.logisticType === "fulfillment" : i.logisticType !== "fulfillment"))
    .filter((i) => (kind === "variations" ? (i.variations?.length ?? 0) >= 2 : kind === "full" || !i.variations?.length))
    .slice(0, n);
  if (picked.length < n) throw new Error(`the ML sandbox seed has fewer than ${n} ${kind} listings for ${sellerId}`);
  for (const i of picked) used.add(i.id);
  return picked;
}

/** The listing as our ML sync would have stored it: read from ML with the seller's token, through the same upsert. */
async function importListing(accountId: string, sellerId: number, itemId: string): Promise<void> {
  const token = mlSandbox.issueToken(sellerId).access_token;
  const raw = await fetch(`${mlSandbox.url}/items/${itemId}?include_attributes=all`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.json());
  await upsertListing(database.db, accountId, toListingRow(raw, new Date()));
}

async function link(mlItemId: string, tinyProductId: number, mlVariationId: number | null = null, owner = seller) {
  await upsertManualLink(database.db, { userId: owner.userId, tinyAccountId: owner.tinyAccountId, mlItemId, mlVariationId, tinyProductId, tinySku: null }, new Date());
}

const linkOf = async (mlItemId: string) => (await database.db.select().from(tinyProductLinks).where(eq(tinyProductLinks.mlItemId, mlItemId)))[0]!;

async function runJob<K extends JobName>(name: K, data: Payload<K>, timeoutMs = 20_000): Promise<Job> {
  const added = await realtime.add(name, data, catalog[name].options);
  return waitFor(
    async () => {
      const state = await realtime.getJobState(added.id!);
      // Read after the state, so the job carries its result.
      const job = state === "completed" || state === "failed" ? await realtime.getJob(added.id!) : undefined;
      if (state === "failed") throw new Error(`${name} failed: ${job?.failedReason}`);
      return job;
    },
    `job ${name}`,
    timeoutMs,
  );
}

/** Nothing queued, delayed or running on the realtime queue: every webhook has been followed to its end. */
const settled = () =>
  waitFor(async () => {
    const counts = await realtime.getJobCounts("waiting", "active", "delayed", "prioritized", "waiting-children");
    return Object.values(counts).every((n) => n === 0);
  }, "the realtime queue to settle");

beforeAll(async () => {
  resources = await createTestResources();
  tinySandbox = await startTinySandbox({ port: 0, seed: 31, products: 3, quotas: { enabled: false } });
  gate = await startSpecGate(tinySandbox.apiUrl);
  mlSandbox = await startMlSandbox({ port: 0, seed: 17, listings: 150, orders: 0, questions: 0, claims: 0 });
  database = createNodeDb(resources.databaseUrl, { max: 8 });
  tiny = await sandboxTinyServices(database.db, tinySandbox, tokenKeys, memoryLogger());
  const { userId, tinyAccountId } = await seedUserWithTinyAccount(database.db, tiny, tinySandbox, "stock");
  const demo = await connectSandboxSeller({ databaseUrl: resources.databaseUrl, tokenKeys, sandbox: mlSandbox, mlUserId: DEMO_SELLER_ID, userId });
  const second = await connectSandboxSeller({ databaseUrl: resources.databaseUrl, tokenKeys, sandbox: mlSandbox, mlUserId: SECOND_SELLER_ID, userId });
  seller = { userId, tinyAccountId, demoAccountId: demo.accountId, secondAccountId: second.accountId };
  webhookAccountId = tinyAccountId;

  running = await startJobs(
    resources.env({
      ML_API_URL: mlSandbox.url,
      ML_APP_ID: mlSandbox.appId,
      ML_CLIENT_SECRET: mlSandbox.clientSecret,
      ML_APP_RATE_PER_SECOND: "10000",
      ML_APP_RATE_MAX_PER_SECOND: "10000",
      // The jobs' Tiny calls go through Tiny's published spec (dev/sandbox/tiny/contract/gate.ts).
      TINY_API_URL: gate.url,
      TINY_AUTH_URL: tinySandbox.authUrl.replace(/\/auth$/, ""),
      TINY_CLIENT_ID: tinySandbox.clientId,
      TINY_CLIENT_SECRET: tinySandbox.clientSecret,
      TOKEN_ENCRYPTION_KEYS: tokenKeys,
      TINY_QUOTA_READS_PER_MINUTE: "100000",
      TINY_QUOTA_WRITES_PER_MINUTE: "100000",
      TINY_QUOTA_BURST_PER_SECOND: "10000",
    }),
    { log: memoryLogger(), schedulers: false },
  );
  realtime = new Queue("tinyerp-realtime", { connection: { host: "127.0.0.1", port: 6379 }, prefix: resources.prefix });

  // Stands in for the edge route and QStash: Tiny's envelope → a signed tinyerp.webhook delivery.
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        const envelope = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { tipo: string; dados: Record<string, unknown> };
        const body = JSON.stringify({ accountId: webhookAccountId, tipo: envelope.tipo, dados: envelope.dados, receivedAt: Date.now() });
        const signature = await signDelivery({ key: localQstashSigningKeys.current, url: `${publicUrl}/qstash/tinyerp.webhook`, body });
        const answer = await fetch(`${running.url}/qstash/tinyerp.webhook`, {
          method: "POST",
          headers: { "content-type": "application/json", "upstash-signature": signature, "upstash-message-id": `msg_${uuidv7()}` },
          body,
        });
        res.writeHead(answer.status === 200 ? 200 : 502).end();
      })();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
}, 90_000);

afterAll(async () => {
  receiver?.close();
  await realtime?.close();
  await running?.close();
  await database?.close();
  await mlSandbox?.close();
  await gate?.close();
  await tinySandbox?.close();
  await resources?.cleanup();
});

const webhooksOn = () => tinySandbox.setWebhookUrl(`http://127.0.0.1:${(receiver.address() as AddressInfo).port}/tiny`);
const webhooksOff = () => tinySandbox.setWebhookUrl(null);

describe("sellable units from GET /estoque", () => {
  const stock = (depositos: Array<[saldo: number, reservado: number, disponivel: number, desconsiderar: boolean]>): TinyStock => ({
    id: 1,
    nome: "P",
    codigo: "P",
    unidade: "UN",
    saldo: 999,
    reservado: 0,
    disponivel: 999,
    depositos: depositos.map(([saldo, reservado, disponivel, desconsiderar], i) => ({ id: i + 1, nome: `D${i}`, desconsiderar, saldo, reservado, disponivel })),
  });

  it("sums counted deposits only (never Tiny's root), keeps fractions and negatives for the floor, and reads the reservation-less 0 as the physical stock", () => {
    const at = new Date();
    // The Full deposit (desconsiderar) holds 50 that must never be sold from here.
    expect(
      toStockReading(
        1,
        stock([
          [10, 2, 8, false],
          [50, 0, 50, true],
          [3.5, 0, 3.5, false],
        ]),
        at,
      ),
    ).toMatchObject({ physical: 13.5, reserved: 2, available: 11.5 });
    expect(
      toStockReading(
        1,
        stock([
          [2, 5, -3, false],
          [1, 0, 1, false],
        ]),
        at,
      ).available,
    ).toBe(-2);
    // Accounts without the reservation module: disponivel is a constant 0 beside a real saldo.
    expect(toStockReading(1, stock([[7, 0, 0, false]]), at).available).toBe(7);
    // Everything reserved is a real 0.
    expect(toStockReading(1, stock([[7, 7, 0, false]]), at).available).toBe(0);
  });
});

describe.sequential("Tiny stock → MercadoLibre listings", () => {
  it("a Tiny change reaches a listing and one variation through webhook → ingress → jobs; the same stock again costs no ML call, stock in an uncounted deposit changes nothing", async () => {
    const [plain] = pickListings(DEMO_SELLER_ID, 1, "plain");
    const [varied] = pickListings(DEMO_SELLER_ID, 1, "variations");
    const variation = varied!.variations![1]!;
    const untouched = varied!.variations!.filter((v) => v.id !== variation.id).map((v) => [v.id, v.qty]);
    await importListing(seller.demoAccountId, DEMO_SELLER_ID, plain!.id);
    await importListing(seller.demoAccountId, DEMO_SELLER_ID, varied!.id);
    const p1 = await tinyProduct(1);
    const p2 = await tinyProduct(1);
    await link(plain!.id, p1);
    await link(varied!.id, p2, variation.id);
    const [target1, target2] = [plain!.qty + 7, variation.qty + 3];

    webhooksOn();
    try {
      await setTinyStock(p1, target1);
      await setTinyStock(p2, target2);
      await waitFor(async () => mlItem(plain!.id).qty === target1 && mlItem(varied!.id).variations!.find((v) => v.id === variation.id)!.qty === target2, "ML to show Tiny's stock", 20_000);
      await settled();
    } finally {
      webhooksOff();
    }
    // Only the linked variation moved; every other one kept its id and stock.
    expect(
      mlItem(varied!.id)
        .variations!.filter((v) => v.id !== variation.id)
        .map((v) => [v.id, v.qty]),
    ).toEqual(untouched);
    expect(await linkOf(plain!.id)).toMatchObject({ mlPushedQuantity: target1, stockError: null });
    expect((await linkOf(varied!.id)).mlPushedQuantity).toBe(target2);
    const [level] = await database.db.select().from(tinyStockLevels).where(eq(tinyStockLevels.tinyProductId, p1));
    expect(Number(level!.available)).toBe(target1);

    // The same stock again: one Tiny read per product, not one ML call.
    tinySandbox.counters.reset();
    mlSandbox.counters.reset();
    await runJob("tinyerp.stock.sync", { accountId: seller.tinyAccountId, productIds: [p1, p2], trigger: "api" });
    expect(tinySandbox.counters.counts()).toEqual({ "GET /public-api/v3/estoque/:idProduto": 2 });
    expect(mlCalls()).toBe(0);

    // 50 units land in Tiny's "Mercado Livre Full" deposit, which Tiny does not count: nothing to sell here.
    const fullDeposit = tinySandbox.state().deposits.find((d) => d.desconsideraSaldo)!;
    await setTinyStock(p1, 50, { deposito: fullDeposit.id });
    await runJob("tinyerp.stock.sync", { accountId: seller.tinyAccountId, productIds: [p1], trigger: "api" });
    expect(mlCalls()).toBe(0);
    expect(mlItem(plain!.id).qty).toBe(target1);

    // Tiny's ids may come as strings; order events are taken note of and left alone.
    const asString = await runJob("tinyerp.webhook", { accountId: seller.tinyAccountId, tipo: "estoque", dados: { idProduto: ` ${p2}` }, receivedAt: Date.now() });
    expect(asString.returnvalue).toMatchObject({ outcome: "stock_sync", productId: p2 });
    const order = await runJob("tinyerp.webhook", { accountId: seller.tinyAccountId, tipo: "inclusao_pedido", dados: { id: "358126298" }, receivedAt: Date.now() });
    expect(order.returnvalue).toEqual({ outcome: "ignored", tipo: "inclusao_pedido" });
    await settled();
    expect(mlCalls()).toBe(0);
  }, 60_000);

  it("a kit follows its component: the component's webhook re-reads the kit, whose listing moves", async () => {
    const [listing] = pickListings(DEMO_SELLER_ID, 1, "plain");
    await importListing(seller.demoAccountId, DEMO_SELLER_ID, listing!.id);
    const component = await tinyProduct(9);
    const kit = (await tinyControl<{ id: number }>("/products", { sku: `STK-KIT-${Date.now() % 1e6}`, tipo: "K", kit: [{ id: component, quantidade: 2 }] })).id;
    await link(listing!.id, kit);

    await runJob("tinyerp.stock.sync", { accountId: seller.tinyAccountId, productIds: [kit], trigger: "api" });
    expect(mlItem(listing!.id).qty).toBe(4);
    const parts = await database.db.select().from(tinyKitComponents).where(eq(tinyKitComponents.kitProductId, kit));
    expect(parts.map((p) => [p.componentProductId, Number(p.quantity)])).toEqual([[component, 2]]);

    tinySandbox.counters.reset();
    webhooksOn();
    try {
      await setTinyStock(component, 15);
      await waitFor(async () => mlItem(listing!.id).qty === 7, "the kit listing to follow its component", 20_000);
      await settled();
    } finally {
      webhooksOff();
    }
    // The component (its webhook) and the kit; composition and type are known, so nothing else.
    expect(tinySandbox.counters.counts()).toEqual({ "GET /public-api/v3/estoque/:idProduto": 2 });
    expect(await linkOf(listing!.id)).toMatchObject({ mlPushedQuantity: 7, stockError: null });
  }, 60_000);

  it("an ML sale Tiny has not posted yet is held back from every listing of the product; once posted it is not taken twice", async () => {
    const [sold, sibling] = pickListings(DEMO_SELLER_ID, 2, "plain");
    await importListing(seller.demoAccountId, DEMO_SELLER_ID, sold!.id);
    await importListing(seller.demoAccountId, DEMO_SELLER_ID, sibling!.id);
    const product = await tinyProduct(10);
    await link(sold!.id, product);
    await link(sibling!.id, product);
    await runJob("tinyerp.stock.sync", { accountId: seller.tinyAccountId, productIds: [product], trigger: "api" });
    expect([mlItem(sold!.id).qty, mlItem(sibling!.id).qty]).toEqual([10, 10]);

    // A buyer takes 2 on ML; ML lowers that listing itself. Our order pipeline stored the order; Tiny has no posting yet.
    const order = await fetch(`${mlSandbox.url}/_sandbox/orders`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ item_id: sold!.id, quantity: 2 }) }).then(
      (r) => r.json() as Promise<{ id: number }>,
    );
    expect(mlItem(sold!.id).qty).toBe(8);
    const storeOrder = async (mlOrderId: number, status: string, quantity: number) => {
      const now = new Date();
      const [row] = await database.db
        .insert(mlOrders)
        .values({ accountId: seller.demoAccountId, mlOrderId, status, mlDateCreated: now, mlLastUpdated: now, fetchedAt: now })
        .returning({ id: mlOrders.id });
      await database.db.insert(mlOrderItems).values({ orderId: row!.id, position: 0, mlItemId: sold!.id, quantity });
    };
    await storeOrder(order.id, "paid", 2);
    // A cancelled order holds nothing back.
    await storeOrder(order.id + 1_000_000_000, "cancelled", 3);

    // Any read of Tiny now (its 10 are stale by 2) must not put the sold units back on ML.
    await runJob("tinyerp.stock.sync", { accountId: seller.tinyAccountId, productIds: [product], trigger: "api" });
    expect([mlItem(sold!.id).qty, mlItem(sibling!.id).qty]).toEqual([8, 8]);

    // Tiny posts the sale (its stock drops to 8) and our push records the posting.
    await setTinyStock(product, 2, { tipo: "S" });
    await database.db.insert(tinyOrderPushes).values({ userId: seller.userId, tinyAccountId: seller.tinyAccountId, mlOrderId: order.id, status: "created", tinyOrderId: 1, stockPostedAt: new Date() });
    mlSandbox.counters.reset();
    await runJob("tinyerp.stock.sync", { accountId: seller.tinyAccountId, productIds: [product], trigger: "api" });
    expect([mlItem(sold!.id).qty, mlItem(sibling!.id).qty]).toEqual([8, 8]);
    expect(mlCalls()).toBe(0);
  }, 60_000);

  it("a kit sold on ML and not yet posted in Tiny holds its components back from the components' own listings", async () => {
    const [kitListing, componentListing] = pickListings(DEMO_SELLER_ID, 2, "plain");
    await importListing(seller.demoAccountId, DEMO_SELLER_ID, kitListing!.id);
    await importListing(seller.demoAccountId, DEMO_SELLER_ID, componentListing!.id);
    const component = await tinyProduct(10);
    const kit = (await tinyControl<{ id: number }>("/products", { sku: `STK-KIT2-${Date.now() % 1e6}`, tipo: "K", kit: [{ id: component, quantidade: 2 }] })).id;
    await link(kitListing!.id, kit);
    await link(componentListing!.id, component);
    await runJob("tinyerp.stock.sync", { accountId: seller.tinyAccountId, productIds: [kit, component], trigger: "api" });
    expect([mlItem(kitListing!.id).qty, mlItem(componentListing!.id).qty]).toEqual([5, 10]);

    // One kit sold on ML: 2 components are gone, though Tiny still says 10 until it posts the sale.
    const now = new Date();
    const mlOrderId = 9_200_000_000 + Math.floor(Math.random() * 1e8);
    const [row] = await database.db
      .insert(mlOrders)
      .values({ accountId: seller.demoAccountId, mlOrderId, status: "paid", mlDateCreated: now, mlLastUpdated: now, fetchedAt: now })
      .returning({ id: mlOrders.id });
    await database.db.insert(mlOrderItems).values({ orderId: row!.id, position: 0, mlItemId: kitListing!.id, quantity: 1 });
    await runJob("tinyerp.stock.sync", { accountId: seller.tinyAccountId, productIds: [component], trigger: "api" });
    expect(mlItem(componentListing!.id).qty).toBe(8);
  }, 60_000);

  it("an old sale whose push failed still holds its units back; an old sale never pushed no longer does", async () => {
    const [listing] = pickListings(DEMO_SELLER_ID, 1, "plain");
    await importListing(seller.demoAccountId, DEMO_SELLER_ID, listing!.id);
    const product = await tinyProduct(10);
    // Linked long ago, so both sales below happened while the link existed.
    await database.db
      .insert(tinyProductLinks)
      .values({ userId: seller.userId, tinyAccountId: seller.tinyAccountId, mlItemId: listing!.id, tinyProductId: product, source: "manual", linkedAt: new Date("2020-01-01T00:00:00Z") });
    const weekAgo = new Date(Date.now() - 7 * 24 * 3_600_000);
    const storeOldSale = async (mlOrderId: number, quantity: number) => {
      const [row] = await database.db
        .insert(mlOrders)
        .values({ accountId: seller.demoAccountId, mlOrderId, status: "paid", mlDateCreated: weekAgo, mlLastUpdated: weekAgo, fetchedAt: weekAgo })
        .returning({ id: mlOrders.id });
      await database.db.insert(mlOrderItems).values({ orderId: row!.id, position: 0, mlItemId: listing!.id, quantity });
    };
    const failedPush = 9_100_000_000 + Math.floor(Math.random() * 1e8);
    await storeOldSale(failedPush, 3);
    await storeOldSale(failedPush + 1, 4);
    // The first was pushed and failed (an unlinked item, a Tiny refusal): Tiny never posted its 3 units.
    await database.db.insert(tinyOrderPushes).values({ userId: seller.userId, tinyAccountId: seller.tinyAccountId, mlOrderId: failedPush, status: "failed" });
    await runJob("tinyerp.stock.sync", { accountId: seller.tinyAccountId, productIds: [product], trigger: "api" });
    expect(mlItem(listing!.id).qty).toBe(7);
  }, 60_000);

  it("a Full listing is refused and recorded on its link, while the product's listings on another ML account still move", async () => {
    const [full] = pickListings(DEMO_SELLER_ID, 1, "full");
    const [other] = pickListings(SECOND_SELLER_ID, 1, "plain");
    await importListing(seller.demoAccountId, DEMO_SELLER_ID, full!.id);
    await importListing(seller.secondAccountId, SECOND_SELLER_ID, other!.id);
    // The seed's Full listings have variations; stock is then set per variation.
    const fullVariation = full!.variations?.[0];
    const fullQty = () => (fullVariation ? mlItem(full!.id).variations!.find((v) => v.id === fullVariation.id)!.qty : mlItem(full!.id).qty);
    const before = fullQty();
    // Different from what both listings show, so both need a write.
    const target = Math.max(before, other!.qty) + 5;
    const product = await tinyProduct(target);
    await link(full!.id, product, fullVariation?.id ?? null);
    await link(other!.id, product);

    const job = await runJob("tinyerp.stock.sync", { accountId: seller.tinyAccountId, productIds: [product], trigger: "api" });
    expect(job.returnvalue).toMatchObject({ outcome: "synced", pushed: 1, refused: 1 });
    expect(mlItem(other!.id).qty).toBe(target);
    expect(fullQty()).toBe(before);
    const fullLink = await linkOf(full!.id);
    expect(fullLink.stockError).toMatch(/Full/);
    expect(fullLink.stockErrorAt).not.toBeNull();
    expect(fullLink.mlPushedQuantity).toBeNull();
    expect(await linkOf(other!.id)).toMatchObject({ mlPushedQuantity: target, stockError: null });
  }, 60_000);

  it("a burst of 20 stock webhooks for one product costs one or two Tiny reads and ends at Tiny's last number", async () => {
    const [listing] = pickListings(DEMO_SELLER_ID, 1, "plain");
    await importListing(seller.demoAccountId, DEMO_SELLER_ID, listing!.id);
    const product = await tinyProduct(3);
    await link(listing!.id, product);
    await runJob("tinyerp.stock.sync", { accountId: seller.tinyAccountId, productIds: [product], trigger: "api" });
    expect(mlItem(listing!.id).qty).toBe(3);

    tinySandbox.counters.reset();
    mlSandbox.counters.reset();
    tinySandbox.webhooks.clearLog();
    webhooksOn();
    try {
      await Promise.all(Array.from({ length: 20 }, () => setTinyStock(product, 1, { tipo: "E" })));
      await waitFor(async () => mlItem(listing!.id).qty === 23, "ML to show the burst's end", 20_000);
      await tinySandbox.webhooks.idle();
      await settled();
    } finally {
      webhooksOff();
    }
    const delivered = tinySandbox.webhooks.deliveries().filter((d) => d.meta.tipo === "estoque");
    expect(delivered.filter((d) => d.status === "delivered")).toHaveLength(20);
    expect(estoqueReads()).toBeGreaterThanOrEqual(1);
    expect(estoqueReads()).toBeLessThanOrEqual(2);
    expect(mlSandbox.counters.get("PUT /items/:id")).toBeLessThanOrEqual(2);
    expect(mlItem(listing!.id).qty).toBe(23);
    console.info(JSON.stringify({ measurement: "tiny stock: burst of 20 stock webhooks for one product", tinyStockReads: estoqueReads(), mlItemPuts: mlSandbox.counters.get("PUT /items/:id") }));
  }, 60_000);

  it("a disconnected or unknown Tiny account: webhooks and syncs complete and call neither Tiny nor ML", async () => {
    const other = await seedUserWithTinyAccount(database.db, tiny, tinySandbox, "stock-off");
    const product = await tinyProduct(5);
    await link(pickListings(DEMO_SELLER_ID, 1, "plain")[0]!.id, product, null, { ...seller, ...other });
    await database.db.update(tinyAccounts).set({ status: "disconnected", accessTokenEnc: null, refreshTokenEnc: null, tokenKeyId: null }).where(eq(tinyAccounts.id, other.tinyAccountId));
    tinySandbox.counters.reset();
    mlSandbox.counters.reset();
    for (const accountId of [other.tinyAccountId, uuidv7()]) {
      const hook = await runJob("tinyerp.webhook", { accountId, tipo: "estoque", dados: { idProduto: String(product) }, receivedAt: Date.now() });
      expect(hook.returnvalue).toEqual({ outcome: "account_unavailable" });
      const sync = await runJob("tinyerp.stock.sync", { accountId, productIds: [product], trigger: "webhook" });
      expect(sync.returnvalue).toEqual({ outcome: "account_unavailable" });
    }
    const poll = await runJob("tinyerp.stock.poll", { accountId: other.tinyAccountId });
    expect(poll.returnvalue).toMatchObject({ queued: 0 });
    expect(tinySandbox.counters.total()).toBe(0);
    expect(mlCalls()).toBe(0);
  }, 60_000);

  it("the poll re-reads at most 10 linked products per company, never-read first, and leaves those read in the last 5 minutes", async () => {
    const owner = await seedUserWithTinyAccount(database.db, tiny, tinySandbox, "stock-poll");
    const products: number[] = [];
    for (let i = 0; i < 12; i++) products.push(await tinyProduct(i));
    // Links to listings this seller has none of in our data: read and refused, which is all the poll is about.
    for (const [i, id] of products.entries()) await link(`MLB9${Date.now() % 1e8}${i}`, id, null, { ...seller, ...owner });
    const readAt = async () =>
      new Map((await database.db.select().from(tinyStockLevels).where(eq(tinyStockLevels.accountId, owner.tinyAccountId))).map((l) => [l.tinyProductId, l.fetchedAt.getTime()]));

    tinySandbox.counters.reset();
    await runJob("tinyerp.stock.poll", { accountId: owner.tinyAccountId });
    await settled();
    const first = await readAt();
    expect(first.size).toBe(10);
    expect(estoqueReads()).toBe(10);

    await runJob("tinyerp.stock.poll", { accountId: owner.tinyAccountId });
    await settled();
    const second = await readAt();
    // The two never read; the ten read a moment ago are not read again.
    expect(second.size).toBe(12);
    expect(estoqueReads()).toBe(12);
    for (const [id, at] of first) expect(second.get(id)).toBe(at);

    // A sync of the whole account (the API's "sync now") reads every linked product once.
    tinySandbox.counters.reset();
    const all = await runJob("tinyerp.stock.sync", { accountId: owner.tinyAccountId, trigger: "api" });
    expect(all.returnvalue).toMatchObject({ outcome: "synced", products: 12, tinyReads: 12, refused: 12 });
    expect(estoqueReads()).toBe(12);
    expect((await linkOf((await database.db.select().from(tinyProductLinks).where(eq(tinyProductLinks.tinyAccountId, owner.tinyAccountId)))[0]!.mlItemId)).stockError).toMatch(
      /not in this seller's ML data/,
    );
  }, 60_000);

  it("registers the 5-minute poll on the realtime queue at start-up, beside the queue's other schedules", async () => {
    const prefix = `${resources.prefix}-sched`;
    // A container configured for Tiny (the realtime queue's schedules all need it).
    const started = await startJobs(resources.env({ REDIS_KEY_PREFIX: prefix, TINY_CLIENT_ID: tinySandbox.clientId, TINY_CLIENT_SECRET: tinySandbox.clientSecret, TOKEN_ENCRYPTION_KEYS: tokenKeys }), {
      log: memoryLogger(),
      processors: {},
      schedulers: true,
    });
    const queue = new Queue("tinyerp-realtime", { connection: { host: "127.0.0.1", port: 6379 }, prefix });
    try {
      const declared = schedules.filter((s) => s.queue === "tinyerp-realtime");
      const registered = await waitFor(async () => {
        const list = await queue.getJobSchedulers();
        return list.length >= declared.length ? list : undefined;
      }, "the realtime schedulers");
      expect(registered.map((s) => [s.key, s.name, s.every]).sort()).toEqual(declared.map((s) => [s.id, s.name, s.everyMs]).sort());
      expect(registered).toContainEqual(expect.objectContaining({ key: "scheduler:tinyerp.stock.poll", name: "tinyerp.stock.poll", every: 5 * 60_000 }));
    } finally {
      await queue.close();
      await started.close();
    }
  }, 30_000);

  it("ML failing with a 5xx: the link records no error, the job retries and the stock lands", async () => {
    const [listing] = pickListings(DEMO_SELLER_ID, 1, "plain");
    await importListing(seller.demoAccountId, DEMO_SELLER_ID, listing!.id);
    const target = listing!.qty + 4;
    const product = await tinyProduct(target);
    await link(listing!.id, product);
    // The ML client repeats an idempotent PUT three times itself; the job's own retry comes after.
    mlSandbox.faults.add(undefined, { match: { method: "PUT", path: `/items/${listing!.id}` }, errorRate: 1, errorStatus: 503, times: 3 });
    try {
      const job = await runJob("tinyerp.stock.sync", { accountId: seller.tinyAccountId, productIds: [product], trigger: "api" });
      // One failed attempt, then the completing one.
      expect(job.attemptsMade).toBe(2);
      expect(job.stacktrace?.[0]).toMatch(/MercadoLibre did not take the stock of 1 listing/);
    } finally {
      mlSandbox.faults.clear();
    }
    expect(mlSandbox.counters.snapshot()["PUT /items/:id"]?.byStatus).toMatchObject({ "503": 3, "200": 1 });
    expect(mlItem(listing!.id).qty).toBe(target);
    expect(await linkOf(listing!.id)).toMatchObject({ mlPushedQuantity: target, stockError: null });
  }, 60_000);

  // Last: it leaves this company's read budget blocked for a minute.
  it("quota exhaustion: the sync gives its worker back, returns after Tiny's window without spending an attempt, loses nothing and never draws a 429 from Tiny", async () => {
    const listings = pickListings(DEMO_SELLER_ID, 3, "plain");
    const products: number[] = [];
    for (const listing of listings) {
      await importListing(seller.demoAccountId, DEMO_SELLER_ID, listing.id);
      const product = await tinyProduct(1);
      products.push(product);
      await link(listing.id, product);
    }
    await runJob("tinyerp.stock.sync", { accountId: seller.tinyAccountId, productIds: products, trigger: "api" });
    const targets = listings.map((l) => l.qty + 11);
    for (const [i, product] of products.entries()) await setTinyStock(product, targets[i]!);

    // Tiny allows this company 2 reads a minute. One is spent, and its window has 5 s left.
    tinySandbox.quotas.configure({ enabled: true, readPerMinute: 2, burstPerSecond: null });
    tinySandbox.quotas.reset();
    try {
      await tiny.client.forAccount(seller.tinyAccountId).info();
      tinySandbox.clock.advance(55_000);
      tinySandbox.counters.reset();
      const job = await runJob("tinyerp.stock.sync", { accountId: seller.tinyAccountId, productIds: products, trigger: "api" }, 45_000);
      // The first read emptied the window: the job was deferred (run again, no attempt spent), not failed.
      expect(job.attemptsStarted).toBeGreaterThanOrEqual(2);
      // BullMQ counts the completing attempt: one attempt made, over two or more runs.
      expect(job.attemptsMade).toBe(1);
      expect(job.stacktrace).toEqual([]);
      expect(job.returnvalue).toMatchObject({ outcome: "synced" });
      // Each product read once over all attempts (the retry reused the read it had), none refused by Tiny.
      expect(tinySandbox.counters.snapshot()["GET /public-api/v3/estoque/:idProduto"]?.byStatus).toEqual({ "200": 3 });
      expect(listings.map((l) => mlItem(l.id).qty)).toEqual(targets);
      console.info(JSON.stringify({ measurement: "tiny stock: 3 products against 1 read left in a 5 s window", runs: job.attemptsStarted, tinyStockReads: estoqueReads() }));
    } finally {
      tinySandbox.quotas.configure({ enabled: false });
    }
  }, 60_000);
});

describe("Tiny's published spec", () => {
  // Runs last in this file: every request the jobs sent to Tiny above went through the gate.
  it("no request of the tests above broke it in a way no known deviation explains", () => {
    expect(gate.unexplained("requests")).toEqual([]);
  });
});
