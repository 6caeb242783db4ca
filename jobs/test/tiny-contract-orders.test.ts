import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toTinyDate, tinyOrderApi, type TinyServices } from "#integrations/tiny";
import { pushOrderToTiny } from "#domain/orders/tiny-order-push";
import { tinyContactsApi } from "#integrations/tiny/contacts-api";
import { createNodeDb } from "#db/client-node";
import { mlOrders, tinyAccounts } from "#db/schema";
import { startTinySandbox, type TinySandbox } from "#dev/sandbox/tiny";
import { classify } from "#dev/sandbox/tiny/contract/known-deviations";
import { startPrismProxy, type PrismProxy } from "#dev/sandbox/tiny/contract/prism";
import { createViolationRecorder } from "#dev/sandbox/tiny/contract/recorder";
import { linkToSandboxProducts, seedMlOrder, seedOrderSeller, type OrderSeller, type SeededItem } from "./support/tiny-orders";
import { createTestResources, memoryLogger, type TestResources } from "./support/resources";
import { tinyServicesThroughPrism } from "./support/tiny-prism";

// The order half of our Tiny client under Tiny's published spec: the push (domain/orders/tiny-order-push.ts)
// and every helper of integrations/tiny/orders-api.ts send their requests through Prism's validating proxy,
// and any violation outside dev/sandbox/tiny/contract/known-deviations.ts fails the file.

let resources: TestResources;
let sandbox: TinySandbox;
let prism: PrismProxy;
let prismStartMs = 0;
let database: ReturnType<typeof createNodeDb>;
let tiny: TinyServices;
let seller: OrderSeller;
const recorder = createViolationRecorder(() => prism.url);
const items: SeededItem[] = [
  { mlItemId: "MLB7700000001", mlVariationId: null, sku: "SKU-1", quantity: 2, unitPrice: "50.00" },
  { mlItemId: "MLB7700000002", mlVariationId: 77_000_000_021, sku: "SKU-2", quantity: 1, unitPrice: "39.90" },
];
let nextOrder = 0;
const newMlOrderId = () => 3_000_000_000_000 + Date.now() * 10 + ++nextOrder;
const tinyOrdersOf = (mlOrderId: number) => [...sandbox.state().orders.values()].filter((o) => o.ecommerce.numeroPedidoEcommerce === String(mlOrderId));

function push(mlOrderId: number) {
  return pushOrderToTiny({
    ctx: { db: database.db, client: tiny.client.forAccount(seller.tinyAccountId), log: memoryLogger() },
    input: { userId: seller.userId, tinyAccountId: seller.tinyAccountId, mlOrderId },
  });
}

beforeAll(async () => {
  resources = await createTestResources();
  database = createNodeDb(resources.databaseUrl, { max: 8 });
  sandbox = await startTinySandbox({ port: 0, seed: 31, products: 10, quotas: { readPerMinute: 10_000, writePerMinute: 10_000, burstPerSecond: null } });
  const started = performance.now();
  prism = await startPrismProxy(sandbox.apiUrl);
  prismStartMs = performance.now() - started;
  tiny = await tinyServicesThroughPrism({ db: database.db, sandbox, prismUrl: prism.url, fetch: recorder.fetch, keyId: "co1" });
  seller = await seedOrderSeller(database.db, tiny, sandbox, "contract-orders");
  // Paid orders then owe their invoice too, so the push exercises generate + emit.
  await database.db.update(tinyAccounts).set({ invoiceOnPaid: true }).where(eq(tinyAccounts.id, seller.tinyAccountId));
  await linkToSandboxProducts(database.db, seller, sandbox, items);
}, 120_000);

afterAll(async () => {
  await prism?.stop();
  await sandbox?.close();
  await database?.close();
  await resources?.cleanup();
});

describe.sequential("order push and order helpers against Tiny's published v3 spec (Prism validating proxy)", () => {
  it("the push: contact by CPF and by ML code (lookup + create), POST /pedidos, markers and the steps after; then the ML cancellation", async () => {
    const before = recorder.violations.length;
    const byDocument = newMlOrderId();
    const byCode = newMlOrderId();
    await seedMlOrder(database.db, seller, { mlOrderId: byDocument, buyerId: 310_000_001, buyerDoc: "529.982.247-25", items });
    await seedMlOrder(database.db, seller, { mlOrderId: byCode, buyerId: 310_000_002, items });
    for (const mlOrderId of [byDocument, byCode]) {
      const { push: row } = await push(mlOrderId);
      expect(row, row.lastError ?? "").toMatchObject({ status: "created", failureReasons: [] });
      expect(row.markersAddedAt).not.toBeNull();
      expect(tinyOrdersOf(mlOrderId)).toHaveLength(1);
    }
    expect(recorder.calls.get("GET /contatos")).toBe(2);
    expect(recorder.calls.get("POST /contatos")).toBe(2);
    expect(recorder.calls.get("POST /pedidos/{idPedido}/marcadores")).toBe(2);

    await database.db.update(mlOrders).set({ status: "cancelled" }).where(eq(mlOrders.mlOrderId, byCode));
    await push(byCode);
    expect(tinyOrdersOf(byCode)).toHaveLength(1);
    expect(recorder.unexplainedSince(before)).toBe("");
  });

  it("an order already in Tiny is found by its e-commerce number before the first create; Tiny's 409 on a repeated payload passes the check", async () => {
    const before = recorder.violations.length;
    const mlOrderId = newMlOrderId();
    await seedMlOrder(database.db, seller, { mlOrderId, buyerId: 310_000_003, items });
    const existing = await fetch(`${sandbox.url}/_sandbox/orders`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ itens: [{ sku: "SKU-1", quantidade: 2 }], numeroPedidoEcommerce: String(mlOrderId) }),
    }).then((r) => r.json() as Promise<{ id: number }>);
    const lookupsBefore = recorder.calls.get("GET /pedidos") ?? 0;
    const createsBefore = recorder.calls.get("POST /pedidos") ?? 0;
    const { push: row } = await push(mlOrderId);
    expect(row).toMatchObject({ status: "created", tinyOrderId: existing.id });
    expect(recorder.calls.get("GET /pedidos")).toBe(lookupsBefore + 1);
    expect(recorder.calls.get("POST /pedidos") ?? 0).toBe(createsBefore);
    expect(tinyOrdersOf(mlOrderId)).toHaveLength(1);

    // The same payload twice within Tiny's window: the second answer is the id-less 409.
    const api = tinyOrderApi(tiny.client.forAccount(seller.tinyAccountId));
    const contactId = await tinyContactsApi(tiny.client.forAccount(seller.tinyAccountId)).create({ nome: "Duplicado", codigo: `DUP-${mlOrderId}` });
    const body = { idContato: contactId, numeroOrdemCompra: `DUP-${mlOrderId}`, itens: [{ produto: { id: [...sandbox.state().products.values()][0]!.id }, quantidade: 1, valorUnitario: 10 }] };
    await api.createOrder(body);
    await expect(api.createOrder(body)).rejects.toMatchObject({ code: "conflict", tinyStatus: 409 });
    expect(recorder.violations.slice(before).some((v) => v.route === "/pedidos" && v.status === 409)).toBe(true);
    expect(recorder.unexplainedSince(before)).toBe("");
  });

  it("every helper of orders-api, on a sale that is invoiced and on one that is cancelled", async () => {
    const before = recorder.violations.length;
    const used = new Set<string>();
    const all = tinyOrderApi(tiny.client.forAccount(seller.tinyAccountId));
    // Counts which helpers ran, so a helper added to orders-api without a call here fails below.
    const api = new Proxy(all, {
      get: (target, name) => {
        if (typeof name === "string") used.add(name);
        return Reflect.get(target, name) as unknown;
      },
    });
    const channel = sandbox.state().lookups.ecommerces[0]!.id;
    const productId = (sku: string) => [...sandbox.state().products.values()].find((p) => p.sku === sku)!.id;

    // The order push's contact calls (integrations/tiny/contacts-api.ts), in the shapes the push sends them.
    const contacts = tinyContactsApi(tiny.client.forAccount(seller.tinyAccountId));
    expect((await contacts.list({ cpfCnpj: "11144477735", limit: 10 })).itens).toEqual([]);
    const contactId = await contacts.create({ nome: "Contrato Pedidos", codigo: "ML-CONTRACT-1", tipoPessoa: "F", cpfCnpj: "11144477735" });
    expect((await contacts.list({ codigo: "ML-CONTRACT-1", limit: 10 })).itens.map((c) => c.id)).toEqual([contactId]);

    const create = async () => {
      const numero = String(newMlOrderId());
      const created = await api.createOrder({
        data: toTinyDate(new Date()),
        idContato: contactId,
        numeroOrdemCompra: numero,
        observacoes: `Pedido Mercado Livre ${numero}`,
        ecommerce: { id: channel, numeroPedidoEcommerce: numero },
        itens: [{ produto: { id: productId("SKU-3") }, quantidade: 1, valorUnitario: 25 }],
      });
      expect((await api.findOrdersByEcommerceNumber(numero)).map((o) => o.id)).toEqual([created.id]);
      await api.addOrderMarkers(created.id, [`ml-${numero}`, "autoecom"]);
      await api.postOrderStock(created.id);
      await api.postOrderReceivables(created.id);
      return created.id;
    };

    const invoiced = await create();
    const invoice = await api.generateInvoice(invoiced);
    const emitted = await api.emitInvoice(invoice.id);
    expect(emitted.chaveAcesso).toMatch(/^\d{44}$/);
    expect(await api.getInvoiceLink(invoice.id)).toBeTruthy();
    expect((await api.getOrder(invoiced)).idNotaFiscal).toBe(invoice.id);

    const cancelled = await create();
    await api.setOrderSituation(cancelled, 2);
    await api.reverseOrderStock(cancelled);
    await api.reverseOrderReceivables(cancelled);
    expect((await api.getOrder(cancelled)).situacao).toBe(2);

    expect(Object.keys(all).filter((name) => !used.has(name))).toEqual([]);
    expect(recorder.unexplainedSince(before)).toBe("");
  });

  it("flags an order request that breaks the spec (the check is live for these routes)", async () => {
    const before = recorder.violations.length;
    const refused = await tiny.client
      .forAccount(seller.tinyAccountId)
      .request({ method: "POST", path: "/pedidos", body: { itens: [{ produto: { id: 1 }, quantidade: "one" }] } })
      .catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: "bad_request", tinyStatus: 400 });
    const flagged = classify(recorder.violations.slice(before)).unexplained.map((v) => `${v.location.join(".")} ${v.message}`);
    expect(flagged).toEqual(expect.arrayContaining([expect.stringContaining("idContato"), expect.stringMatching(/^request\.body\.itens\.0\.quantidade /)]));
  });

  it("costs: Prism's start-up, and what a call through it adds", async () => {
    const token = (await sandbox.issueTokens()).access_token;
    const orderId = [...sandbox.state().orders.values()].at(-1)!.id;
    const time = async (base: string) => {
      const samples: number[] = [];
      for (let i = 0; i < 60; i++) {
        const started = performance.now();
        const response = await fetch(`${base}/pedidos/${orderId}`, { headers: { authorization: `Bearer ${token}` } });
        await response.arrayBuffer();
        expect(response.status).toBe(200);
        // The first calls warm both paths (connections, Prism's route cache).
        if (i >= 10) samples.push(performance.now() - started);
      }
      return samples.sort((a, b) => a - b);
    };
    const direct = await time(sandbox.apiUrl);
    const proxied = await time(prism.url);
    const p = (sorted: number[], q: number) => Number(sorted[Math.floor(q * (sorted.length - 1))]!.toFixed(2));
    console.info(
      JSON.stringify({
        measurement: "Prism validating proxy in front of the Tiny sandbox",
        startupMs: Math.round(prismStartMs),
        getOrderDirectMs: { p50: p(direct, 0.5), p95: p(direct, 0.95) },
        getOrderThroughPrismMs: { p50: p(proxied, 0.5), p95: p(proxied, 0.95) },
        callsThroughPrismInThisFile: Object.fromEntries(recorder.calls),
        knownDeviationsMet: [...classify(recorder.violations).explained.keys()],
      }),
    );
    expect(proxied.length).toBe(50);
  });
});
